/**
 * Test-side reference helpers: BigInt conversions, a seeded PRNG and the ARM ARM pseudocode for flags,
 * written independently of the emulator's int32 code.
 */

export const U64 = (1n << 64n) - 1n;
export const U32 = (1n << 32n) - 1n;

/** xorshift128+ style generator: deterministic across runs. */
export class Rng {
  private s0: bigint;
  private s1: bigint;
  constructor(seed: number) {
    this.s0 = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
    this.s1 = (BigInt(seed) ^ 0xdeadbeefn) * 0xbf58476d1ce4e5b9n + 7n;
    for (let i = 0; i < 8; i++) this.u64();
  }
  u64(): bigint {
    let x = this.s0 & U64;
    const y = this.s1 & U64;
    this.s0 = y;
    x ^= (x << 23n) & U64;
    this.s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (this.s1 + y) & U64;
  }
  u32(): number {
    return Number(this.u64() >> 32n);
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return Number(this.u64() % BigInt(n));
  }
  /** A 64-bit value biased toward interesting shapes (small, near 2^31/2^32/2^63, all ones). */
  interesting(): bigint {
    const kind = this.below(8);
    const r = this.u64();
    if (kind === 0) return r & 0xffn;
    if (kind === 1) return (0x7fffffffn + (r & 3n) - 1n) & U64;
    if (kind === 2) return (0xffffffffn + (r & 3n) - 1n) & U64;
    if (kind === 3) return (0x8000000000000000n + (r & 3n) - 2n) & U64;
    if (kind === 4) return (U64 - (r & 7n)) & U64;
    return r;
  }
}

export function toPair(v: bigint): [number, number] {
  const u = v & U64;
  return [Number(u & U32) | 0, Number(u >> 32n) | 0];
}

export function fromPair(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** AddWithCarry() from the ARM ARM (shared/functions/integer), for N = 32 or 64. */
export function addWithCarry(x: bigint, y: bigint, carryIn: number, bitsN: 32 | 64): { result: bigint; nzcv: number } {
  const mask = bitsN === 64 ? U64 : U32;
  const ux = x & mask;
  const uy = y & mask;
  const unsignedSum = ux + uy + BigInt(carryIn);
  const signedSum = BigInt.asIntN(bitsN, ux) + BigInt.asIntN(bitsN, uy) + BigInt(carryIn);
  const result = unsignedSum & mask;
  const n = Number(result >> BigInt(bitsN - 1));
  const z = result === 0n ? 1 : 0;
  const c = result === unsignedSum ? 0 : 1;
  const v = BigInt.asIntN(bitsN, result) === signedSum ? 0 : 1;
  return { result, nzcv: (n << 3) | (z << 2) | (c << 1) | v };
}

/** ConditionHolds() from the ARM ARM for a 4-bit NZCV value. */
export function conditionHolds(cond: number, nzcv: number): boolean {
  const n = (nzcv >> 3) & 1;
  const z = (nzcv >> 2) & 1;
  const c = (nzcv >> 1) & 1;
  const v = nzcv & 1;
  let result: boolean;
  switch (cond >> 1) {
    case 0:
      result = z === 1;
      break;
    case 1:
      result = c === 1;
      break;
    case 2:
      result = n === 1;
      break;
    case 3:
      result = v === 1;
      break;
    case 4:
      result = c === 1 && z === 0;
      break;
    case 5:
      result = n === v;
      break;
    case 6:
      result = n === v && z === 0;
      break;
    default:
      result = true;
  }
  return (cond & 1) === 1 && cond !== 15 ? !result : result;
}
