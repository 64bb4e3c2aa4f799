/**
 * Test-side model of AdvSIMD registers and the ARM ARM's integer helpers, in BigInt, written from the
 * pseudocode (SatQ, shifts with rounding, polynomial multiply) independently of the emulator's lane code.
 */
import type { Cpu } from '../../../../../src-emu/cpu/arm64/cpu';
import type { InsnCase, Machine } from '../harness';
import { Rng } from '../reference';

export const QC = 1 << 27;
const U128 = (1n << 128n) - 1n;

export function setV(cpu: Cpu, r: number, value: bigint): void {
  for (let i = 0; i < 16; i++) cpu.v8[r * 16 + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

export function getV(cpu: Cpu, r: number): bigint {
  let v = 0n;
  for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(cpu.v8[r * 16 + i]);
  return v;
}

export const mask = (e: number): bigint => (1n << BigInt(e)) - 1n;
export const sx = (v: bigint, e: number): bigint => BigInt.asIntN(e, v);
export const ux = (v: bigint, e: number): bigint => BigInt.asUintN(e, v);

/** Elements of e bits of a 128-bit value, element 0 first, unsigned. */
export function lanesOf(v: bigint, e: number, count = 128 / e): bigint[] {
  return Array.from({ length: count }, (_, i) => (v >> BigInt(i * e)) & mask(e));
}

/** Packs elements (any integers, truncated to e bits) from element 0. */
export function pack(elements: readonly bigint[], e: number): bigint {
  let v = 0n;
  elements.forEach((x, i) => (v |= ux(x, e) << BigInt(i * e)));
  return v & U128;
}

/** The saturation model: SatQ(i, N, unsigned) with a sticky flag. */
export class Sat {
  hit = false;
  q(v: bigint, e: number, unsigned: boolean): bigint {
    const lo = unsigned ? 0n : -(1n << BigInt(e - 1));
    const hi = unsigned ? mask(e) : (1n << BigInt(e - 1)) - 1n;
    if (v > hi) {
      this.hit = true;
      return hi;
    }
    if (v < lo) {
      this.hit = true;
      return lo;
    }
    return v;
  }
}

/** Int(x, unsigned) of an e-bit element. */
export const int = (x: bigint, e: number, unsigned: boolean): bigint => (unsigned ? ux(x, e) : sx(x, e));

/** x << s for any signed s (negative: arithmetic right shift, i.e. floor division). */
export const shiftAny = (x: bigint, s: number): bigint => (s >= 0 ? x << BigInt(s) : x >> BigInt(-s));

/** Carry-less product. */
export function polyMul(a: bigint, b: bigint, bitsN: number): bigint {
  let r = 0n;
  for (let i = 0; i < bitsN; i++) if ((b >> BigInt(i)) & 1n) r ^= a << BigInt(i);
  return r;
}

/** Random element of e bits biased toward boundaries (0, 1, all ones, signed min/max). */
export function laneValue(rng: Rng, e: number): bigint {
  const k = rng.below(8);
  const m = mask(e);
  if (k === 0) return 0n;
  if (k === 1) return 1n;
  if (k === 2) return m;
  if (k === 3) return 1n << BigInt(e - 1);
  if (k === 4) return (1n << BigInt(e - 1)) - 1n;
  if (k === 5) return BigInt(rng.below(16));
  return (rng.u64() & m) | ((rng.u64() << 64n) & m);
}

/** A 128-bit value made of biased e-bit elements. */
export function vecValue(rng: Rng, e: number): bigint {
  return pack(
    Array.from({ length: 128 / e }, () => laneValue(rng, e)),
    e,
  );
}

export interface VCase {
  asm: string;
  /** V register inputs. */
  v: Record<number, bigint>;
  /** General register inputs. */
  x?: Record<number, bigint>;
  /** Expected V registers. */
  expectV: Record<number, bigint>;
  /** Expected FPSR.QC (starts clear); undefined = not checked. */
  qc?: boolean;
  expectX?: Record<number, bigint>;
  before?: (m: Machine) => void;
  after?: (m: Machine) => string | null;
}

/** Turns V cases into the integer harness's cases (V state set up in `before`, checked in `after`). */
export function toInsnCases(cases: readonly VCase[]): InsnCase[] {
  return cases.map((c) => ({
    asm: c.asm,
    regs: c.x,
    expect: c.expectX,
    before: (m) => {
      m.cpu.fpsr = 0;
      for (const [r, v] of Object.entries(c.v)) setV(m.cpu, Number(r), v);
      c.before?.(m);
    },
    after: (m) => {
      const problems: string[] = [];
      for (const [r, v] of Object.entries(c.expectV)) {
        const got = getV(m.cpu, Number(r));
        if (got !== (v & U128)) problems.push(`v${r} = 0x${got.toString(16)}, expected 0x${(v & U128).toString(16)}`);
      }
      if (c.qc !== undefined && ((m.cpu.fpsr & QC) !== 0) !== c.qc) problems.push(`QC = ${!c.qc}, expected ${c.qc}`);
      const extra = c.after?.(m);
      if (extra) problems.push(extra);
      const inputs = Object.entries(c.v)
        .map(([r, v]) => `v${r}=0x${v.toString(16)}`)
        .join(' ');
      return problems.length > 0 ? `${problems.join('; ')} (inputs ${inputs})` : null;
    },
  }));
}

export { Rng };
