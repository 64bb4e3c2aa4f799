/**
 * Operand sets for FP tests in the manner of Berkeley TestFloat: every class of value (signed zeros,
 * subnormals at both ends, normals at rounding boundaries, extremes, infinities, quiet and signalling
 * NaNs with payloads) plus seeded random values, including values close to each other so that sums
 * cancel and products land near ties, underflow and overflow.
 */
import { EBITS, P } from './exact-reference';
import type { Fmt } from './exact-reference';

/** Deterministic xorshift generator so failures reproduce. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0 || 1;
  }
  next32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }
  below(n: number): number {
    return this.next32() % n;
  }
  bits(count: number): bigint {
    let v = 0n;
    for (let i = 0; i < count; i += 32) v = (v << 32n) | BigInt(this.next32());
    return v & ((1n << BigInt(count)) - 1n);
  }
}

const pack = (f: Fmt, sign: boolean, exp: number, frac: bigint): bigint =>
  ((sign ? 1n : 0n) << BigInt(EBITS[f] + P[f] - 1)) | (BigInt(exp) << BigInt(P[f] - 1)) | frac;

export function cornerValues(f: Fmt): bigint[] {
  const fb = P[f] - 1;
  const maxExp = (1 << EBITS[f]) - 1;
  const bias = (1 << (EBITS[f] - 1)) - 1;
  const allFrac = (1n << BigInt(fb)) - 1n;
  const mags: bigint[] = [
    pack(f, false, 0, 0n),
    pack(f, false, 0, 1n),
    pack(f, false, 0, 2n),
    pack(f, false, 0, 3n),
    pack(f, false, 0, allFrac),
    pack(f, false, 0, 1n << BigInt(fb - 1)),
    pack(f, false, 1, 0n),
    pack(f, false, 1, 1n),
    pack(f, false, 2, 0n),
    pack(f, false, bias, 0n),
    pack(f, false, bias, 1n),
    pack(f, false, bias, 1n << BigInt(fb - 1)),
    pack(f, false, bias, allFrac),
    pack(f, false, bias + 1, 0n),
    pack(f, false, bias + 1, 1n << BigInt(fb - 1)),
    pack(f, false, bias - 1, allFrac),
    pack(f, false, bias + fb, 1n),
    pack(f, false, bias + fb + 1, 0n),
    pack(f, false, maxExp - 1, allFrac),
    pack(f, false, maxExp - 1, allFrac - 1n),
    pack(f, false, maxExp - 1, 0n),
    pack(f, false, maxExp, 0n),
    pack(f, false, maxExp, 1n << BigInt(fb - 1)),
    pack(f, false, maxExp, (1n << BigInt(fb - 1)) | 0x15n),
    pack(f, false, maxExp, 1n),
    pack(f, false, maxExp, allFrac >> 1n),
  ];
  return [...mags, ...mags.map((m) => m | pack(f, true, 0, 0n))];
}

/** Random finite values: with probability 1/2 near exponent `centre`, else anywhere. */
export function randomValue(f: Fmt, rng: Rng, centre?: number): bigint {
  const maxExp = (1 << EBITS[f]) - 1;
  let exp: number;
  if (centre !== undefined && rng.below(2) === 0) {
    exp = Math.min(maxExp - 1, Math.max(0, centre + rng.below(2 * P[f] + 6) - P[f] - 3));
  } else exp = rng.below(maxExp); // includes 0: subnormals
  let frac = rng.bits(P[f] - 1);
  const shape = rng.below(4);
  if (shape === 0) frac &= ~((1n << BigInt(rng.below(P[f] - 1))) - 1n); // few significant bits
  if (shape === 1) frac |= (1n << BigInt(rng.below(P[f] - 1))) - 1n; // long run of ones
  return pack(f, rng.below(2) === 1, exp, frac);
}

export function exponentField(f: Fmt, bits: bigint): number {
  return Number((bits >> BigInt(P[f] - 1)) & ((1n << BigInt(EBITS[f])) - 1n));
}
