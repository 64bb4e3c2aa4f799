/**
 * AdvSIMD shift by immediate, vector (0 Q U 011110 immh immb opcode 1 Rn Rd, immh != 0) and scalar
 * (01 U 111110 immh immb opcode 1 Rn Rd). immh's highest set bit gives the element size; the fixed-point
 * conversions (opcodes 11100, 11111) belong to fp/.
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { rd, rn, bits } from '../insn/fields';
import { lsrHi, lsrLo, shlHi, shlLo } from '../int64';
import type { LaneOp, LaneOp64 } from './lanes';
import { elementwise64, elementwiseFor, sat, signedMax, signedMin, unsignedMax } from './lanes';
import { add64, saturateSigned64, shiftLeft64, shiftRight64 } from './i64';
import { rightShifter } from './elem-ops';
import { narrowBounds, narrowSaturating, widen } from './two-misc';
import { bitString, qBit, scalar, vec } from './names';
import { fastShiftRightNarrow } from './fast-paths';

const immh = (w: number): number => bits(w, 19, 4);
/** Element size index 0..3 from immh (its highest set bit). */
const sizeOf = (w: number): number => 31 - Math.clz32(immh(w));
const immhb = (w: number): number => bits(w, 16, 7);
const rightShift = (w: number): number => (16 << sizeOf(w)) - immhb(w);
const leftShift = (w: number): number => immhb(w) - (8 << sizeOf(w));

const KIND = { Right: 0, Left: 1, Narrow: 2, Long: 3 } as const;

interface ShiftOp {
  name: string;
  u: number;
  opcode: number;
  kind: number;
  /** Scalar form exists for 64-bit only (1), for every size (2), or not at all (0). */
  scalar: number;
  make?: (e: number, k: number) => LaneOp;
  make64?: (k: number) => LaneOp64;
  signed: boolean;
}

function rightOp(signed: boolean, round: boolean, accumulate: boolean): (e: number, k: number) => LaneOp {
  return (e, k) => {
    const shift = rightShifter(e, k, signed, round);
    return accumulate ? (a, _b, d) => d + shift(a) : (a) => shift(a);
  };
}
function right64(signed: boolean, round: boolean, accumulate: boolean): (k: number) => LaneOp64 {
  return (k) => (aLo, aHi, _bLo, _bHi, dLo, dHi, out) => {
    shiftRight64(aLo, aHi, k, signed, round, out);
    if (accumulate) add64(dLo, dHi, out[0], out[1], out);
  };
}

function sri(e: number, k: number): LaneOp {
  const all = unsignedMax(e);
  const scale = 2 ** k;
  const keep = all - Math.floor(all / scale);
  return (a, _b, d) => (d & keep) | Math.floor(a / scale);
}

const sri64 =
  (k: number): LaneOp64 =>
  (aLo, aHi, _bLo, _bHi, dLo, dHi, out) => {
    const mLo = k >= 64 ? 0 : lsrLo(-1, -1, k);
    const mHi = k >= 64 ? 0 : lsrHi(-1, -1, k);
    out[0] = (dLo & ~mLo) | (k >= 64 ? 0 : lsrLo(aLo, aHi, k));
    out[1] = (dHi & ~mHi) | (k >= 64 ? 0 : lsrHi(aLo, aHi, k));
  };

function sli(_e: number, k: number): LaneOp {
  const scale = 2 ** k;
  return (a, _b, d) => (d & (scale - 1)) | (a * scale);
}

const sli64 =
  (k: number): LaneOp64 =>
  (aLo, aHi, _bLo, _bHi, dLo, dHi, out) => {
    const mLo = shlLo(-1, -1, k);
    const mHi = shlHi(-1, -1, k);
    out[0] = (dLo & ~mLo) | shlLo(aLo, aHi, k);
    out[1] = (dHi & ~mHi) | shlHi(aLo, aHi, k);
  };

function leftSat(signedOut: boolean): (e: number, k: number) => LaneOp {
  return (e, k) => {
    const lo = signedOut ? signedMin(e) : 0;
    const hi = signedOut ? signedMax(e) : unsignedMax(e);
    const scale = 2 ** k;
    return (a) => sat(a * scale, lo, hi);
  };
}

function leftSat64(signedIn: boolean, signedOut: boolean): (k: number) => LaneOp64 {
  return (k) => (aLo, aHi, _bLo, _bHi, _dLo, _dHi, out) => {
    if (signedIn && !signedOut && aHi < 0) {
      saturateSigned64(true, out); // sets QC; the unsigned floor is 0
      out[0] = 0;
      out[1] = 0;
      return;
    }
    shiftLeft64(aLo, aHi, k, signedOut, true, out);
  };
}

const OPS: ShiftOp[] = [
  {
    name: 'sshr',
    u: 0,
    opcode: 0,
    kind: KIND.Right,
    scalar: 1,
    signed: true,
    make: rightOp(true, false, false),
    make64: right64(true, false, false),
  },
  {
    name: 'ushr',
    u: 1,
    opcode: 0,
    kind: KIND.Right,
    scalar: 1,
    signed: false,
    make: rightOp(false, false, false),
    make64: right64(false, false, false),
  },
  {
    name: 'ssra',
    u: 0,
    opcode: 2,
    kind: KIND.Right,
    scalar: 1,
    signed: true,
    make: rightOp(true, false, true),
    make64: right64(true, false, true),
  },
  {
    name: 'usra',
    u: 1,
    opcode: 2,
    kind: KIND.Right,
    scalar: 1,
    signed: false,
    make: rightOp(false, false, true),
    make64: right64(false, false, true),
  },
  {
    name: 'srshr',
    u: 0,
    opcode: 4,
    kind: KIND.Right,
    scalar: 1,
    signed: true,
    make: rightOp(true, true, false),
    make64: right64(true, true, false),
  },
  {
    name: 'urshr',
    u: 1,
    opcode: 4,
    kind: KIND.Right,
    scalar: 1,
    signed: false,
    make: rightOp(false, true, false),
    make64: right64(false, true, false),
  },
  {
    name: 'srsra',
    u: 0,
    opcode: 6,
    kind: KIND.Right,
    scalar: 1,
    signed: true,
    make: rightOp(true, true, true),
    make64: right64(true, true, true),
  },
  {
    name: 'ursra',
    u: 1,
    opcode: 6,
    kind: KIND.Right,
    scalar: 1,
    signed: false,
    make: rightOp(false, true, true),
    make64: right64(false, true, true),
  },
  { name: 'sri', u: 1, opcode: 8, kind: KIND.Right, scalar: 1, signed: false, make: sri, make64: sri64 },
  {
    name: 'shl',
    u: 0,
    opcode: 10,
    kind: KIND.Left,
    scalar: 1,
    signed: false,
    make: (_e, k) => {
      const scale = 2 ** k;
      return (a) => a * scale;
    },
    make64: (k) => (aLo, aHi, _bLo, _bHi, _dLo, _dHi, out) => shiftLeft64(aLo, aHi, k, false, false, out),
  },
  { name: 'sli', u: 1, opcode: 10, kind: KIND.Left, scalar: 1, signed: false, make: sli, make64: sli64 },
  {
    name: 'sqshlu',
    u: 1,
    opcode: 12,
    kind: KIND.Left,
    scalar: 2,
    signed: true,
    make: leftSat(false),
    make64: leftSat64(true, false),
  },
  {
    name: 'sqshl',
    u: 0,
    opcode: 14,
    kind: KIND.Left,
    scalar: 2,
    signed: true,
    make: leftSat(true),
    make64: leftSat64(true, true),
  },
  {
    name: 'uqshl',
    u: 1,
    opcode: 14,
    kind: KIND.Left,
    scalar: 2,
    signed: false,
    make: leftSat(false),
    make64: leftSat64(false, false),
  },
  { name: 'shrn', u: 0, opcode: 16, kind: KIND.Narrow, scalar: 0, signed: false },
  { name: 'rshrn', u: 0, opcode: 17, kind: KIND.Narrow, scalar: 0, signed: false },
  { name: 'sqshrun', u: 1, opcode: 16, kind: KIND.Narrow, scalar: 2, signed: true },
  { name: 'sqrshrun', u: 1, opcode: 17, kind: KIND.Narrow, scalar: 2, signed: true },
  { name: 'sqshrn', u: 0, opcode: 18, kind: KIND.Narrow, scalar: 2, signed: true },
  { name: 'uqshrn', u: 1, opcode: 18, kind: KIND.Narrow, scalar: 2, signed: false },
  { name: 'sqrshrn', u: 0, opcode: 19, kind: KIND.Narrow, scalar: 2, signed: true },
  { name: 'uqrshrn', u: 1, opcode: 19, kind: KIND.Narrow, scalar: 2, signed: false },
  { name: 'sshll', u: 0, opcode: 20, kind: KIND.Long, scalar: 0, signed: true },
  { name: 'ushll', u: 1, opcode: 20, kind: KIND.Long, scalar: 0, signed: false },
];

function sameSizeExec(op: ShiftOp, w: number, isScalar: boolean): ExecFn {
  const s = sizeOf(w);
  const e = 8 << s;
  const k = op.kind === KIND.Right ? rightShift(w) : leftShift(w);
  const q = qBit(w);
  const lanes = isScalar ? 1 : (q === 1 ? 128 : 64) / e;
  const zero = isScalar ? e >> 3 : q === 1 ? 16 : 8;
  if (e === 64) return elementwise64(lanes, zero, rd(w), rn(w), rn(w), op.make64!(k));
  return elementwiseFor(op)(e, op.signed, lanes, zero, rd(w), rn(w), rn(w), op.make!(e, k));
}

function narrowExec(op: ShiftOp, w: number, isScalar: boolean): ExecFn {
  const e = 8 << sizeOf(w);
  const q = qBit(w);
  const lanes = isScalar ? 1 : 64 / e;
  if (op.name === 'shrn') return fastShiftRightNarrow(e, rightShift(w), q, rd(w), rn(w));
  const truncate = op.name === 'shrn' || op.name === 'rshrn';
  const round = op.opcode === 17 || op.opcode === 19;
  // SQSHRUN/SQRSHRUN saturate a signed source to an unsigned result.
  const { lo, hi } = narrowBounds(e, op.signed && op.u === 0);
  const first = isScalar ? 0 : q * lanes;
  const zero = isScalar ? e >> 3 : q === 1 ? 16 : 8;
  return narrowSaturating(e, op.signed, lo, hi, lanes, first, zero, rd(w), rn(w), rightShift(w), round, truncate);
}

function longExec(op: ShiftOp, w: number): ExecFn {
  const e = 8 << sizeOf(w);
  const lanes = 64 / e;
  const scale = 2 ** leftShift(w);
  return widen(e, op.signed, lanes, qBit(w) * lanes, rd(w), rn(w), (x) => x * scale, false);
}

function disasmVector(op: ShiftOp, w: number): string {
  const s = sizeOf(w);
  const q = qBit(w);
  const d = rd(w);
  const n = rn(w);
  const suffix = q === 1 ? '2' : '';
  if (op.kind === KIND.Narrow) return `${op.name}${suffix}\t${vec(d, s, q)}, ${vec(n, s + 1, 1)}, #${rightShift(w)}`;
  if (op.kind === KIND.Long) {
    const k = leftShift(w);
    if (k === 0) return `${op.u === 0 ? 'sxtl' : 'uxtl'}${suffix}\t${vec(d, s + 1, 1)}, ${vec(n, s, q)}`;
    return `${op.name}${suffix}\t${vec(d, s + 1, 1)}, ${vec(n, s, q)}, #${k}`;
  }
  const k = op.kind === KIND.Right ? rightShift(w) : leftShift(w);
  return `${op.name}\t${vec(d, s, q)}, ${vec(n, s, q)}, #${k}`;
}

function disasmScalar(op: ShiftOp, w: number): string {
  const s = sizeOf(w);
  if (op.kind === KIND.Narrow) return `${op.name}\t${scalar(rd(w), s)}, ${scalar(rn(w), s + 1)}, #${rightShift(w)}`;
  const k = op.kind === KIND.Right ? rightShift(w) : leftShift(w);
  return `${op.name}\t${scalar(rd(w), s)}, ${scalar(rn(w), s)}, #${k}`;
}

function shiftEntries(op: ShiftOp): InsnEntry[] {
  const tail = `${bitString(op.opcode, 5)}1${'x'.repeat(10)}`;
  const narrowOrLong = op.kind === KIND.Narrow || op.kind === KIND.Long;
  const list = [
    entry(`${op.name.toUpperCase()}_vec_imm`, `0x${op.u}011110${'x'.repeat(7)}${tail}`, {
      reserved: (w) => immh(w) === 0 || (immh(w) >= 8 && (narrowOrLong || qBit(w) === 0)),
      exec: (w) => {
        if (op.kind === KIND.Narrow) return narrowExec(op, w, false);
        if (op.kind === KIND.Long) return longExec(op, w);
        return sameSizeExec(op, w, false);
      },
      disasm: (w) => disasmVector(op, w),
    }),
  ];
  if (op.scalar !== 0) {
    list.push(
      entry(`${op.name.toUpperCase()}_scalar_imm`, `01${op.u}111110${'x'.repeat(7)}${tail}`, {
        reserved: (w) => immh(w) === 0 || (op.scalar === 1 && immh(w) < 8) || (op.kind === KIND.Narrow && immh(w) >= 8),
        exec: (w) => (op.kind === KIND.Narrow ? narrowExec(op, w, true) : sameSizeExec(op, w, true)),
        disasm: (w) => disasmScalar(op, w),
      }),
    );
  }
  return list;
}

export const SIMD_SHIFT_IMM: InsnEntry[] = OPS.flatMap(shiftEntries);
