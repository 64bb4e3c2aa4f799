/**
 * Lane loops shared by the AdvSIMD integer groups. Each builder runs at decode time and returns a closure
 * specialised for the element size, signedness, lane count and registers; the per-lane operation is a small
 * function of plain numbers (elements up to 32 bits) or of int32 lo/hi pairs (64-bit elements, see i64.ts).
 *
 * Elements of 8/16/32 bits are read as exact JS numbers (signed or unsigned as the instruction needs) and
 * written back through the typed-array views, whose stores wrap modulo 2^esize: an operation returns the
 * mathematical result and the store truncates it, as the pseudocode's `result<esize-1:0>` does.
 *
 * `zero` is the first byte of Vd that the instruction clears: 8 for 64-bit vector forms, the element size
 * in bytes for scalar forms, 16 when the whole register is written.
 */
import type { Cpu } from '../cpu';
import type { ExecFn } from '../encoding';
import { checkFpAccess } from '../exception-hooks';

/** FPSR.QC, the cumulative saturation flag. */
export const QC_BIT = 1 << 27;

/** Set by saturating lane operations; closures fold it into FPSR.QC when their loop ends. */
export const qc = { hit: 0 };

/** Clamps v to [lo, hi], noting saturation. */
export function sat(v: number, lo: number, hi: number): number {
  if (v > hi) {
    qc.hit = 1;
    return hi;
  }
  if (v < lo) {
    qc.hit = 1;
    return lo;
  }
  return v;
}

/** Range of an element of `e` bits: [min, max]. */
export const signedMin = (e: number): number => -(2 ** (e - 1));
export const signedMax = (e: number): number => 2 ** (e - 1) - 1;
export const unsignedMax = (e: number): number => 2 ** e - 1;

/** Zeroes bytes [from, 16) of Vd and folds a saturation into FPSR.QC: the tail of every lane loop. */
export function finish(cpu: Cpu, d: number, from: number): void {
  if (from === 8) {
    const v = cpu.v32;
    v[4 * d + 2] = 0;
    v[4 * d + 3] = 0;
  } else if (from < 16) {
    cpu.v8.fill(0, 16 * d + from, 16 * d + 16);
  }
  if (qc.hit !== 0) {
    cpu.fpsr |= QC_BIT;
    qc.hit = 0;
  }
}

/** Operation on one element of each source and the destination's old element. */
export type LaneOp = (a: number, b: number, d: number) => number;
/** The same for 64-bit elements: writes the result to out[0] (lo), out[1] (hi). */
export type LaneOp64 = (
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
  dLo: number,
  dHi: number,
  out: Int32Array,
) => void;

const pairOut = new Int32Array(2);

/**
 * Builds the closure Vd[i] = op(Vn[i], Vm[i], Vd[i]) for i < lanes (elements of e = 8/16/32 bits, read
 * signed or unsigned). Unary operations pass m = n and ignore b.
 */
export type ElementwiseBuilder = (
  e: number,
  signed: boolean,
  lanes: number,
  zero: number,
  d: number,
  n: number,
  m: number,
  op: LaneOp,
) => ExecFn;

/**
 * The ElementwiseBuilder as source text, so that each operation family gets its own copy (elementwiseFor):
 * closures made from one function literal share their call-site feedback, and one loop calling dozens of
 * different lane operations ends up with a megamorphic call that V8 cannot inline. A copy per operation
 * keeps that call monomorphic. Plain JavaScript that sees only its two parameters.
 */
const ELEMENTWISE_SOURCE = `return function elementwise(e, signed, lanes, zero, d, n, m, op) {
  if (e === 8) {
    const sh = signed ? 24 : 0;
    const db = d * 16, nb = n * 16, mb = m * 16;
    return (cpu) => {
      checkFpAccess(cpu);
      const v = cpu.v8;
      for (let i = 0; i < lanes; i++) {
        v[db + i] = op((v[nb + i] << sh) >> sh, (v[mb + i] << sh) >> sh, (v[db + i] << sh) >> sh);
      }
      finish(cpu, d, zero);
    };
  }
  if (e === 16) {
    const sh = signed ? 16 : 0;
    const db = d * 8, nb = n * 8, mb = m * 8;
    return (cpu) => {
      checkFpAccess(cpu);
      const v = cpu.v16;
      for (let i = 0; i < lanes; i++) {
        v[db + i] = op((v[nb + i] << sh) >> sh, (v[mb + i] << sh) >> sh, (v[db + i] << sh) >> sh);
      }
      finish(cpu, d, zero);
    };
  }
  const db = d * 4, nb = n * 4, mb = m * 4;
  if (signed) {
    return (cpu) => {
      checkFpAccess(cpu);
      const v = cpu.v32;
      for (let i = 0; i < lanes; i++) v[db + i] = op(v[nb + i], v[mb + i], v[db + i]);
      finish(cpu, d, zero);
    };
  }
  return (cpu) => {
    checkFpAccess(cpu);
    const v = cpu.v32;
    for (let i = 0; i < lanes; i++) v[db + i] = op(v[nb + i] >>> 0, v[mb + i] >>> 0, v[db + i] >>> 0);
    finish(cpu, d, zero);
  };
};`;

const stamps = new WeakMap<object, ElementwiseBuilder>();

/** `elementwise` with a loop of its own for the operation family `key` (one table row). */
export function elementwiseFor(key: object): ElementwiseBuilder {
  let copy = stamps.get(key);
  if (copy === undefined) {
    const factory = new Function('checkFpAccess', 'finish', ELEMENTWISE_SOURCE) as (
      check: typeof checkFpAccess,
      tail: typeof finish,
    ) => ElementwiseBuilder;
    copy = factory(checkFpAccess, finish);
    stamps.set(key, copy);
  }
  return copy;
}

/** Vd[i] = op(Vn[i], Vm[i], Vd[i]) over 64-bit elements. */
export function elementwise64(lanes: number, zero: number, d: number, n: number, m: number, op: LaneOp64): ExecFn {
  const db = d * 4;
  const nb = n * 4;
  const mb = m * 4;
  return (cpu) => {
    checkFpAccess(cpu);
    const v = cpu.v32;
    const out = pairOut;
    for (let i = 0; i < 2 * lanes; i += 2) {
      op(v[nb + i], v[nb + i + 1], v[mb + i], v[mb + i + 1], v[db + i], v[db + i + 1], out);
      v[db + i] = out[0];
      v[db + i + 1] = out[1];
    }
    finish(cpu, d, zero);
  };
}

/** Scratch for operations whose destination may overlap a source still being read (32 bytes = Vn:Vm). */
export const scratch8 = new Uint8Array(64);
export const scratch16 = new Uint16Array(scratch8.buffer);
export const scratch32 = new Int32Array(scratch8.buffer);

/** Copies `bytes` (a multiple of 4) of Vr into the scratch buffer at byte `at`. */
export function toScratch(cpu: Cpu, r: number, at: number, bytes: number): void {
  const v = cpu.v32;
  const s = scratch32;
  const from = r * 4;
  const to = at >> 2;
  for (let i = 0; i < bytes >> 2; i++) s[to + i] = v[from + i];
}

/**
 * Pairwise: with S = the first `bytes` of Vn followed by the first `bytes` of Vm, Vd[i] = op(S[2i], S[2i+1])
 * for i < lanes. Vector forms pass bytes = the register's width, the scalar ADDP passes Vn twice.
 */
export function pairwise(
  e: number,
  signed: boolean,
  lanes: number,
  zero: number,
  d: number,
  n: number,
  m: number,
  bytes: number,
  op: LaneOp,
): ExecFn {
  const fill = (cpu: Cpu): void => {
    checkFpAccess(cpu);
    toScratch(cpu, n, 0, bytes);
    toScratch(cpu, m, bytes, bytes);
  };
  if (e === 8) {
    const sh = signed ? 24 : 0;
    return (cpu) => {
      fill(cpu);
      const s = scratch8;
      const v = cpu.v8;
      for (let i = 0; i < lanes; i++) v[d * 16 + i] = op((s[2 * i] << sh) >> sh, (s[2 * i + 1] << sh) >> sh, 0);
      finish(cpu, d, zero);
    };
  }
  if (e === 16) {
    const sh = signed ? 16 : 0;
    return (cpu) => {
      fill(cpu);
      const s = scratch16;
      const v = cpu.v16;
      for (let i = 0; i < lanes; i++) v[d * 8 + i] = op((s[2 * i] << sh) >> sh, (s[2 * i + 1] << sh) >> sh, 0);
      finish(cpu, d, zero);
    };
  }
  if (e === 32) {
    const u = signed ? 0 : 1;
    return (cpu) => {
      fill(cpu);
      const s = scratch32;
      const v = cpu.v32;
      for (let i = 0; i < lanes; i++) {
        const a = u === 1 ? s[2 * i] >>> 0 : s[2 * i];
        const b = u === 1 ? s[2 * i + 1] >>> 0 : s[2 * i + 1];
        v[d * 4 + i] = op(a, b, 0);
      }
      finish(cpu, d, zero);
    };
  }
  return (cpu) => {
    fill(cpu);
    const s = scratch32;
    const v = cpu.v32;
    for (let i = 0; i < lanes; i++) {
      // 64-bit pairwise is only ADDP.
      const lo = (s[4 * i] >>> 0) + (s[4 * i + 2] >>> 0);
      v[d * 4 + 2 * i] = lo | 0;
      v[d * 4 + 2 * i + 1] = (s[4 * i + 1] + s[4 * i + 3] + (lo > 0xffffffff ? 1 : 0)) | 0;
    }
    finish(cpu, d, zero);
  };
}

/** Stores an exact integer-valued double into the 64-bit element at v32[at], v32[at + 1]. */
export function storePair(v: Int32Array, at: number, value: number): void {
  v[at] = value | 0;
  v[at + 1] = Math.floor(value / 0x1_0000_0000) | 0;
}

/** The 64-bit element at v[at] as a double (exact below 2^53, monotonic beyond). */
export function pairValue(v: Int32Array, at: number, signed: boolean): number {
  const hi = signed ? v[at + 1] : v[at + 1] >>> 0;
  return hi * 0x1_0000_0000 + (v[at] >>> 0);
}

/**
 * Byte permutation: Vd byte i = T[table[i]], where T is Vn (bytes 0..15), then Vm (16..31), then zeros
 * (32..47). Covers REV*, XTN, ZIP/UZP/TRN and EXT.
 */
export function bytePermute(d: number, n: number, m: number, table: Uint8Array): ExecFn {
  const db = d * 16;
  return (cpu) => {
    checkFpAccess(cpu);
    toScratch(cpu, n, 0, 16);
    toScratch(cpu, m, 16, 16);
    const v = cpu.v8;
    const s = scratch8;
    for (let i = 0; i < 16; i++) v[db + i] = s[table[i]];
  };
}

/** Index of the zero bytes in bytePermute's source. */
export const PERMUTE_ZERO = 32;
