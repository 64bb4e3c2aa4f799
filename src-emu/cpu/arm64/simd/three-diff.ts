/**
 * AdvSIMD three registers of different types (0 Q U 01110 size 1 Rm opcode 00 Rn Rd): the long forms
 * (xADDL, xSUBL, xABAL, xABDL, xMLAL, xMLSL, xMULL, SQDMLAL, SQDMLSL, SQDMULL, PMULL), the wide forms
 * (xADDW, xSUBW) and the narrowing high-half forms (ADDHN, RADDHN, SUBHN, RSUBHN); the scalar SQDMLAL,
 * SQDMLSL and SQDMULL (01 0 11110 size 1 Rm opcode 00 Rn Rd). The long-multiply engine is shared with the
 * by-element forms (by-element.ts).
 */
import type { Cpu } from '../cpu';
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { checkFpAccess } from '../exception-hooks';
import { rd, rm, rn } from '../insn/fields';
import { mul64 } from '../int64';
import { finish, sat, signedMax, signedMin, storePair } from './lanes';
import { add64, saturateSigned64, sqadd64, sqsub64, sub64 } from './i64';
import { polyMul8 } from './elem-ops';
import { bitString, qBit, scalar, sizeField, vec } from './names';

/** Copies of Vn, Vm and Vd taken before Vd is written (operands may overlap the destination). */
const src8 = new Uint8Array(48);
const src16 = new Uint16Array(src8.buffer);
const src32 = new Int32Array(src8.buffer);
const N = 0;
const M = 16;
const DST = 32;

function snapshot(cpu: Cpu, n: number, m: number, d: number): void {
  const v = cpu.v32;
  for (let i = 0; i < 4; i++) {
    src32[i] = v[n * 4 + i];
    src32[4 + i] = v[m * 4 + i];
    src32[8 + i] = v[d * 4 + i];
  }
}

/** Element i of e bits from the snapshot region starting at byte `at`. */
function elem(at: number, e: number, i: number, signed: boolean): number {
  if (e === 8) return signed ? (src8[at + i] << 24) >> 24 : src8[at + i];
  if (e === 16) return signed ? (src16[(at >> 1) + i] << 16) >> 16 : src16[(at >> 1) + i];
  return signed ? src32[(at >> 2) + i] : src32[(at >> 2) + i] >>> 0;
}

/** Long operation on narrow elements a, b and the old wide element d (exact doubles, wide <= 32 bits). */
type LongOp = (a: number, b: number, d: number) => number;
/** The same for 32-bit inputs and a 64-bit accumulator pair; result to out. */
type LongOp64 = (a: number, b: number, dLo: number, dHi: number, out: Int32Array) => void;

const pair = new Int32Array(2);
const product = new Int32Array(2);

/** 64-bit product of two exact 32-bit numbers (signed or unsigned) into `product`. */
function mul32x32(a: number, b: number): Int32Array {
  mul64(a | 0, a < 0 ? -1 : 0, b | 0, b < 0 ? -1 : 0, product);
  return product;
}

/** Saturating doubled 64-bit product of two int32 (SQDMULL): only (-2^31)^2 overflows. */
function doubledProduct(a: number, b: number): Int32Array {
  if (a === -0x8000_0000 && b === -0x8000_0000) {
    saturateSigned64(false, product);
    return product;
  }
  const p = mul32x32(a, b);
  add64(p[0], p[1], p[0], p[1], p);
  return p;
}

export interface LongKind {
  name: string;
  signed: boolean;
  op: (e: number) => LongOp;
  op64: LongOp64;
}

const L = (name: string, signed: boolean, op: (e: number) => LongOp, op64: LongOp64): LongKind => ({
  name,
  signed,
  op,
  op64,
});

const wideBounds = (e: number): [number, number] => [signedMin(2 * e), signedMax(2 * e)];

/** The plain long operations of one signedness (xADDL, xSUBL, xABDL, xABAL, xMLAL, xMLSL, xMULL). */
function plainLongKinds(signed: boolean): Record<string, LongKind> {
  const kinds: Record<string, LongKind> = {};
  const p = signed ? 's' : 'u';
  kinds[`${p}addl`] = L(
    `${p}addl`,
    signed,
    () => (a, b) => a + b,
    (a, b, _l, _h, out) => storePair(out, 0, a + b),
  );
  kinds[`${p}subl`] = L(
    `${p}subl`,
    signed,
    () => (a, b) => a - b,
    (a, b, _l, _h, out) => storePair(out, 0, a - b),
  );
  kinds[`${p}abdl`] = L(
    `${p}abdl`,
    signed,
    () => (a, b) => Math.abs(a - b),
    (a, b, _l, _h, out) => storePair(out, 0, Math.abs(a - b)),
  );
  kinds[`${p}abal`] = L(
    `${p}abal`,
    signed,
    () => (a, b, d) => d + Math.abs(a - b),
    (a, b, l, h, out) => {
      storePair(pair, 0, Math.abs(a - b));
      add64(l, h, pair[0], pair[1], out);
    },
  );
  kinds[`${p}mlal`] = L(
    `${p}mlal`,
    signed,
    () => (a, b, d) => d + a * b,
    (a, b, l, h, out) => {
      const q = mul32x32(a, b);
      add64(l, h, q[0], q[1], out);
    },
  );
  kinds[`${p}mlsl`] = L(
    `${p}mlsl`,
    signed,
    () => (a, b, d) => d - a * b,
    (a, b, l, h, out) => {
      const q = mul32x32(a, b);
      sub64(l, h, q[0], q[1], out);
    },
  );
  kinds[`${p}mull`] = L(
    `${p}mull`,
    signed,
    () => (a, b) => a * b,
    (a, b, _l, _h, out) => {
      const q = mul32x32(a, b);
      out[0] = q[0];
      out[1] = q[1];
    },
  );
  return kinds;
}

/** SQDMULL, SQDMLAL, SQDMLSL and PMULL. */
function saturatingLongKinds(): Record<string, LongKind> {
  const kinds: Record<string, LongKind> = {};
  const dmull = (e: number): LongOp => {
    const [lo, hi] = wideBounds(e);
    return (a, b) => sat(2 * a * b, lo, hi);
  };
  kinds.sqdmull = L('sqdmull', true, dmull, (a, b, _l, _h, out) => {
    const q = doubledProduct(a, b);
    out[0] = q[0];
    out[1] = q[1];
  });
  kinds.sqdmlal = L(
    'sqdmlal',
    true,
    (e) => {
      const f = dmull(e);
      const [lo, hi] = wideBounds(e);
      return (a, b, d) => sat(d + f(a, b, 0), lo, hi);
    },
    (a, b, l, h, out) => {
      const q = doubledProduct(a, b);
      sqadd64(l, h, q[0], q[1], out);
    },
  );
  kinds.sqdmlsl = L(
    'sqdmlsl',
    true,
    (e) => {
      const f = dmull(e);
      const [lo, hi] = wideBounds(e);
      return (a, b, d) => sat(d - f(a, b, 0), lo, hi);
    },
    (a, b, l, h, out) => {
      const q = doubledProduct(a, b);
      sqsub64(l, h, q[0], q[1], out);
    },
  );
  kinds.pmull = L(
    'pmull',
    false,
    () => polyMul8,
    () => undefined,
  );
  return kinds;
}

export const LONG: Record<string, LongKind> = {
  ...plainLongKinds(true),
  ...plainLongKinds(false),
  ...saturatingLongKinds(),
};

/**
 * Long loop: wide element i of Vd = op(Vn narrow element first + i, Vm narrow element (mIndex when >= 0,
 * else first + i), old Vd element i), for `lanes` elements; scalar forms pass lanes = 1.
 */
export function longExec(
  kind: LongKind,
  e: number,
  lanes: number,
  first: number,
  mIndex: number,
  zero: number,
  d: number,
  n: number,
  m: number,
): ExecFn {
  const signed = kind.signed;
  const op = kind.op(e);
  const op64 = kind.op64;
  return (cpu) => {
    checkFpAccess(cpu);
    snapshot(cpu, n, m, d);
    const v = cpu.v32;
    for (let i = 0; i < lanes; i++) {
      const a = elem(N, e, first + i, signed);
      const b = elem(M, e, mIndex >= 0 ? mIndex : first + i, signed);
      if (e === 32) {
        op64(a, b, v[d * 4 + 2 * i], v[d * 4 + 2 * i + 1], pair);
        v[d * 4 + 2 * i] = pair[0];
        v[d * 4 + 2 * i + 1] = pair[1];
      } else if (e === 16) {
        v[d * 4 + i] = op(a, b, elem(DST, 32, i, signed));
      } else {
        cpu.v16[d * 8 + i] = op(a, b, elem(DST, 16, i, signed));
      }
    }
    finish(cpu, d, zero);
  };
}

/** xADDW/xSUBW: wide Vn element plus or minus the narrow Vm element. */
function wideExec(w: number, signed: boolean, subtract: boolean): ExecFn {
  const e = 8 << sizeField(w);
  const lanes = 64 / e;
  const first = qBit(w) * lanes;
  const d = rd(w);
  const n = rn(w);
  const m = rm(w);
  return (cpu) => {
    checkFpAccess(cpu);
    snapshot(cpu, n, m, d);
    const v = cpu.v32;
    for (let i = 0; i < lanes; i++) {
      const b = elem(M, e, first + i, signed);
      if (e === 32) {
        storePair(pair, 0, b);
        if (subtract) sub64(src32[2 * i], src32[2 * i + 1], pair[0], pair[1], pair);
        else add64(src32[2 * i], src32[2 * i + 1], pair[0], pair[1], pair);
        v[d * 4 + 2 * i] = pair[0];
        v[d * 4 + 2 * i + 1] = pair[1];
      } else {
        const a = elem(N, 2 * e, i, signed);
        const r = subtract ? a - b : a + b;
        if (e === 16) v[d * 4 + i] = r;
        else cpu.v16[d * 8 + i] = r;
      }
    }
  };
}

/** ADDHN/RADDHN/SUBHN/RSUBHN: high half of each wide sum or difference, into the low or high half of Vd. */
function highNarrowExec(w: number, subtract: boolean, round: boolean): ExecFn {
  const e = 8 << sizeField(w);
  const lanes = 64 / e;
  const q = qBit(w);
  const first = q * lanes;
  const d = rd(w);
  const n = rn(w);
  const m = rm(w);
  const half = round ? 2 ** (e - 1) : 0;
  const scale = 2 ** e;
  return (cpu) => {
    checkFpAccess(cpu);
    snapshot(cpu, n, m, d);
    const v = cpu.v32;
    for (let i = 0; i < lanes; i++) {
      if (e === 32) {
        if (subtract) sub64(src32[2 * i], src32[2 * i + 1], src32[4 + 2 * i], src32[5 + 2 * i], pair);
        else add64(src32[2 * i], src32[2 * i + 1], src32[4 + 2 * i], src32[5 + 2 * i], pair);
        if (round) add64(pair[0], pair[1], 0x8000_0000 | 0, 0, pair);
        v[d * 4 + first + i] = pair[1];
      } else {
        const a = elem(N, 2 * e, i, false);
        const b = elem(M, 2 * e, i, false);
        const r = Math.floor(((subtract ? a - b + scale * scale : a + b) + half) / scale);
        if (e === 16) cpu.v16[d * 8 + first + i] = r;
        else cpu.v8[d * 16 + first + i] = r;
      }
    }
    finish(cpu, d, q === 1 ? 16 : 8);
  };
}

const pattern = (u: number, opcode: number): string => `0x${u}01110xx1xxxxx${bitString(opcode, 4)}00${'x'.repeat(10)}`;

const suffix2 = (w: number): string => (qBit(w) === 1 ? '2' : '');

function longEntry(kind: LongKind, u: number, opcode: number, sizes: number): InsnEntry {
  return entry(`${kind.name.toUpperCase()}_vec`, pattern(u, opcode), {
    reserved: (w) => ((sizes >> sizeField(w)) & 1) === 0,
    exec: (w) => {
      const e = 8 << sizeField(w);
      const lanes = 64 / e;
      return longExec(kind, e, lanes, qBit(w) * lanes, -1, 16, rd(w), rn(w), rm(w));
    },
    disasm: (w) => {
      const s = sizeField(w);
      const q = qBit(w);
      return `${kind.name}${suffix2(w)}\t${vec(rd(w), s + 1, 1)}, ${vec(rn(w), s, q)}, ${vec(rm(w), s, q)}`;
    },
  });
}

function longScalarEntry(kind: LongKind, opcode: number): InsnEntry {
  return entry(`${kind.name.toUpperCase()}_scalar`, `01011110xx1xxxxx${bitString(opcode, 4)}00${'x'.repeat(10)}`, {
    reserved: (w) => sizeField(w) === 0 || sizeField(w) === 3,
    exec: (w) => longExec(kind, 8 << sizeField(w), 1, 0, -1, 2 << sizeField(w), rd(w), rn(w), rm(w)),
    disasm: (w) => {
      const s = sizeField(w);
      return `${kind.name}\t${scalar(rd(w), s + 1)}, ${scalar(rn(w), s)}, ${scalar(rm(w), s)}`;
    },
  });
}

function wideEntry(name: string, u: number, opcode: number, subtract: boolean): InsnEntry {
  return entry(`${name.toUpperCase()}_vec`, pattern(u, opcode), {
    reserved: (w) => sizeField(w) === 3,
    exec: (w) => wideExec(w, u === 0, subtract),
    disasm: (w) => {
      const s = sizeField(w);
      return `${name}${suffix2(w)}\t${vec(rd(w), s + 1, 1)}, ${vec(rn(w), s + 1, 1)}, ${vec(rm(w), s, qBit(w))}`;
    },
  });
}

function highNarrowEntry(name: string, u: number, opcode: number, subtract: boolean): InsnEntry {
  return entry(`${name.toUpperCase()}_vec`, pattern(u, opcode), {
    reserved: (w) => sizeField(w) === 3,
    exec: (w) => highNarrowExec(w, subtract, u === 1),
    disasm: (w) => {
      const s = sizeField(w);
      return `${name}${suffix2(w)}\t${vec(rd(w), s, qBit(w))}, ${vec(rn(w), s + 1, 1)}, ${vec(rm(w), s + 1, 1)}`;
    },
  });
}

const BHS = 0b0111;
const HS = 0b0110;

export const SIMD_THREE_DIFF: InsnEntry[] = [
  longEntry(LONG.saddl, 0, 0, BHS),
  longEntry(LONG.uaddl, 1, 0, BHS),
  wideEntry('saddw', 0, 1, false),
  wideEntry('uaddw', 1, 1, false),
  longEntry(LONG.ssubl, 0, 2, BHS),
  longEntry(LONG.usubl, 1, 2, BHS),
  wideEntry('ssubw', 0, 3, true),
  wideEntry('usubw', 1, 3, true),
  highNarrowEntry('addhn', 0, 4, false),
  highNarrowEntry('raddhn', 1, 4, false),
  longEntry(LONG.sabal, 0, 5, BHS),
  longEntry(LONG.uabal, 1, 5, BHS),
  highNarrowEntry('subhn', 0, 6, true),
  highNarrowEntry('rsubhn', 1, 6, true),
  longEntry(LONG.sabdl, 0, 7, BHS),
  longEntry(LONG.uabdl, 1, 7, BHS),
  longEntry(LONG.smlal, 0, 8, BHS),
  longEntry(LONG.umlal, 1, 8, BHS),
  longEntry(LONG.sqdmlal, 0, 9, HS),
  longEntry(LONG.smlsl, 0, 10, BHS),
  longEntry(LONG.umlsl, 1, 10, BHS),
  longEntry(LONG.sqdmlsl, 0, 11, HS),
  longEntry(LONG.smull, 0, 12, BHS),
  longEntry(LONG.umull, 1, 12, BHS),
  longEntry(LONG.sqdmull, 0, 13, HS),
  longEntry(LONG.pmull, 0, 14, 1),
  longScalarEntry(LONG.sqdmlal, 9),
  longScalarEntry(LONG.sqdmlsl, 11),
  longScalarEntry(LONG.sqdmull, 13),
];
