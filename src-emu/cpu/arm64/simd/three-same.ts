/**
 * AdvSIMD three registers of the same type, integer and bitwise (vector and scalar): 0 Q U 01110 size 1 Rm
 * opcode 1 Rn Rd, and 01 U 11110 size 1 Rm opcode 1 Rn Rd for the scalar forms. The floating-point opcodes
 * (11xxx) belong to fp/.
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { checkFpAccess } from '../exception-hooks';
import { rd, rm, rn } from '../insn/fields';
import type { LaneOp, LaneOp64 } from './lanes';
import { elementwise64, elementwiseFor, pairwise, sat } from './lanes';
import { boundsOf, doublingMulHigh, polyMul8, shiftByRegister } from './elem-ops';
import { add64, cmp64, shiftByRegister64, sqadd64, sqsub64, sub64, uqadd64, uqsub64 } from './i64';
import { bitString, qBit, scalar, sizeField, vec } from './names';
import { fastByteCompare, fastBytePairwise } from './fast-paths';

/** Element sizes (bit i = size i) an encoding allows. */
const ALL = 0b1111;
const BHS = 0b0111;
const HS = 0b0110;
const D = 0b1000;
const B = 0b0001;

interface SameOp {
  name: string;
  u: number;
  opcode: number;
  vector: number;
  scalar: number;
  /** Operation on e-bit elements (e = 8/16/32); `signed` reads the elements as signed. */
  make: (e: number, signed: boolean) => LaneOp;
  make64?: () => LaneOp64;
  pairwise?: boolean;
  /** Elements are signed whatever U says (SQRDMULH). */
  alwaysSigned?: boolean;
}

const mask = (bit: boolean): number => (bit ? -1 : 0);

function shiftOp(round: boolean, saturating: boolean): (e: number, signed: boolean) => LaneOp {
  return (e, signed) => {
    const { lo, hi } = boundsOf(e, signed);
    return (a, b) => shiftByRegister(a, b, round, saturating, lo, hi);
  };
}

function shiftOp64(signed: boolean, round: boolean, saturating: boolean): () => LaneOp64 {
  return () => (aLo, aHi, bLo, _bHi, _dLo, _dHi, out) =>
    shiftByRegister64(aLo, aHi, (bLo << 24) >> 24, signed, round, saturating, out);
}

function saturatingOp(f: (a: number, b: number) => number): (e: number, signed: boolean) => LaneOp {
  return (e, signed) => {
    const { lo, hi } = boundsOf(e, signed);
    return (a, b) => sat(f(a, b), lo, hi);
  };
}

const compare64 =
  (signed: boolean, test: (c: number) => boolean): (() => LaneOp64) =>
  () =>
  (aLo, aHi, bLo, bHi, _dLo, _dHi, out) => {
    const r = mask(test(cmp64(aLo, aHi, bLo, bHi, signed)));
    out[0] = r;
    out[1] = r;
  };

const plain =
  (f: LaneOp): ((e: number, signed: boolean) => LaneOp) =>
  () =>
    f;

/** Rows for a signed/unsigned pair sharing one opcode (U = 0 signed, U = 1 unsigned). */
function both(
  names: [string, string],
  opcode: number,
  sizes: [number, number],
  make: (e: number, signed: boolean) => LaneOp,
  make64?: (signed: boolean) => () => LaneOp64,
  extra: Partial<SameOp> = {},
): SameOp[] {
  const [vector, scalarSizes] = sizes;
  return [0, 1].map((u) => ({
    name: names[u],
    u,
    opcode,
    vector,
    scalar: scalarSizes,
    make,
    make64: make64?.(u === 0),
    ...extra,
  }));
}

const same64 =
  (f: (aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array) => void): (() => LaneOp64) =>
  () =>
  (aLo, aHi, bLo, bHi, _dLo, _dHi, out) =>
    f(aLo, aHi, bLo, bHi, out);

const test64 =
  (f: (aLo: number, aHi: number, bLo: number, bHi: number) => boolean): (() => LaneOp64) =>
  () =>
  (aLo, aHi, bLo, bHi, _dLo, _dHi, out) => {
    const r = mask(f(aLo, aHi, bLo, bHi));
    out[0] = r;
    out[1] = r;
  };

const dmulh = (round: boolean) => (e: number) => doublingMulHigh(e, round);

const max = (a: number, b: number): number => (a > b ? a : b);
const min = (a: number, b: number): number => (a < b ? a : b);

/** One row per (U, opcode) pair, signed/unsigned variants as separate rows. */
const SAME_OPS: SameOp[] = [
  ...both(
    ['shadd', 'uhadd'],
    0,
    [BHS, 0],
    plain((a, b) => Math.floor((a + b) / 2)),
  ),
  ...both(
    ['sqadd', 'uqadd'],
    1,
    [ALL, ALL],
    saturatingOp((a, b) => a + b),
    (s) => same64(s ? sqadd64 : uqadd64),
  ),
  ...both(
    ['srhadd', 'urhadd'],
    2,
    [BHS, 0],
    plain((a, b) => Math.floor((a + b + 1) / 2)),
  ),
  ...both(
    ['shsub', 'uhsub'],
    4,
    [BHS, 0],
    plain((a, b) => Math.floor((a - b) / 2)),
  ),
  ...both(
    ['sqsub', 'uqsub'],
    5,
    [ALL, ALL],
    saturatingOp((a, b) => a - b),
    (s) => same64(s ? sqsub64 : uqsub64),
  ),
  ...both(
    ['cmgt', 'cmhi'],
    6,
    [ALL, D],
    plain((a, b) => mask(a > b)),
    (s) => compare64(s, (c) => c > 0),
  ),
  ...both(
    ['cmge', 'cmhs'],
    7,
    [ALL, D],
    plain((a, b) => mask(a >= b)),
    (s) => compare64(s, (c) => c >= 0),
  ),
  ...both(['sshl', 'ushl'], 8, [ALL, D], shiftOp(false, false), (s) => shiftOp64(s, false, false)),
  ...both(['sqshl', 'uqshl'], 9, [ALL, ALL], shiftOp(false, true), (s) => shiftOp64(s, false, true)),
  ...both(['srshl', 'urshl'], 10, [ALL, D], shiftOp(true, false), (s) => shiftOp64(s, true, false)),
  ...both(['sqrshl', 'uqrshl'], 11, [ALL, ALL], shiftOp(true, true), (s) => shiftOp64(s, true, true)),
  ...both(['smax', 'umax'], 12, [BHS, 0], plain(max)),
  ...both(['smin', 'umin'], 13, [BHS, 0], plain(min)),
  ...both(
    ['sabd', 'uabd'],
    14,
    [BHS, 0],
    plain((a, b) => Math.abs(a - b)),
  ),
  ...both(
    ['saba', 'uaba'],
    15,
    [BHS, 0],
    plain((a, b, d) => d + Math.abs(a - b)),
  ),
  { name: 'add', u: 0, opcode: 16, vector: ALL, scalar: D, make: plain((a, b) => a + b), make64: same64(add64) },
  { name: 'sub', u: 1, opcode: 16, vector: ALL, scalar: D, make: plain((a, b) => a - b), make64: same64(sub64) },
  {
    name: 'cmtst',
    u: 0,
    opcode: 17,
    vector: ALL,
    scalar: D,
    make: plain((a, b) => mask((a & b) !== 0)),
    make64: test64((aLo, aHi, bLo, bHi) => (aLo & bLo) !== 0 || (aHi & bHi) !== 0),
  },
  {
    name: 'cmeq',
    u: 1,
    opcode: 17,
    vector: ALL,
    scalar: D,
    make: plain((a, b) => mask(a === b)),
    make64: test64((aLo, aHi, bLo, bHi) => aLo === bLo && aHi === bHi),
  },
  { name: 'mla', u: 0, opcode: 18, vector: BHS, scalar: 0, make: plain((a, b, d) => d + Math.imul(a, b)) },
  { name: 'mls', u: 1, opcode: 18, vector: BHS, scalar: 0, make: plain((a, b, d) => d - Math.imul(a, b)) },
  { name: 'mul', u: 0, opcode: 19, vector: BHS, scalar: 0, make: plain((a, b) => Math.imul(a, b)) },
  { name: 'pmul', u: 1, opcode: 19, vector: B, scalar: 0, make: plain(polyMul8) },
  ...both(['smaxp', 'umaxp'], 20, [BHS, 0], plain(max), undefined, { pairwise: true }),
  ...both(['sminp', 'uminp'], 21, [BHS, 0], plain(min), undefined, { pairwise: true }),
  { name: 'sqdmulh', u: 0, opcode: 22, vector: HS, scalar: HS, make: dmulh(false) },
  { name: 'sqrdmulh', u: 1, opcode: 22, vector: HS, scalar: HS, make: dmulh(true), alwaysSigned: true },
  { name: 'addp', u: 0, opcode: 23, vector: ALL, scalar: 0, make: plain((a, b) => a + b), pairwise: true },
];

function vectorExec(op: SameOp, w: number): ExecFn {
  const size = sizeField(w);
  const q = qBit(w);
  const e = 8 << size;
  const lanes = (q === 1 ? 128 : 64) / e;
  const zero = q === 1 ? 16 : 8;
  const signed = op.u === 0 || op.alwaysSigned === true;
  if (e === 8) {
    const fast =
      op.pairwise === true
        ? fastBytePairwise(op.name, zero, rd(w), rn(w), rm(w))
        : fastByteCompare(op.name, zero, rd(w), rn(w), rm(w), false);
    if (fast !== null) return fast;
  }
  if (op.pairwise === true) return pairwise(e, signed, lanes, zero, rd(w), rn(w), rm(w), zero, op.make(e, signed));
  if (e === 64) return elementwise64(lanes, zero, rd(w), rn(w), rm(w), op.make64!());
  return elementwiseFor(op)(e, signed, lanes, zero, rd(w), rn(w), rm(w), op.make(e, signed));
}

function scalarExec(op: SameOp, w: number): ExecFn {
  const e = 8 << sizeField(w);
  if (e === 64) return elementwise64(1, 8, rd(w), rn(w), rm(w), op.make64!());
  const signed = op.u === 0 || op.alwaysSigned === true;
  return elementwiseFor(op)(e, signed, 1, e >> 3, rd(w), rn(w), rm(w), op.make(e, signed));
}

function sameEntries(op: SameOp): InsnEntry[] {
  const opc = bitString(op.opcode, 5);
  const list = [
    entry(`${op.name.toUpperCase()}_vec`, `0x${op.u}01110 xx1xxxxx ${opc}1xx xxxxxxxx`, {
      reserved: (w) => ((op.vector >> sizeField(w)) & 1) === 0 || (sizeField(w) === 3 && qBit(w) === 0),
      exec: (w) => vectorExec(op, w),
      disasm: (w) => {
        const s = sizeField(w);
        const q = qBit(w);
        return `${op.name}\t${vec(rd(w), s, q)}, ${vec(rn(w), s, q)}, ${vec(rm(w), s, q)}`;
      },
    }),
  ];
  if (op.scalar !== 0) {
    list.push(
      entry(`${op.name.toUpperCase()}_scalar`, `01${op.u}11110 xx1xxxxx ${opc}1xx xxxxxxxx`, {
        reserved: (w) => ((op.scalar >> sizeField(w)) & 1) === 0,
        exec: (w) => scalarExec(op, w),
        disasm: (w) => {
          const s = sizeField(w);
          return `${op.name}\t${scalar(rd(w), s)}, ${scalar(rn(w), s)}, ${scalar(rm(w), s)}`;
        },
      }),
    );
  }
  return list;
}

// --- bitwise: opcode 00011, size selects the operation -------------------------------------------------

/** Bitwise result from n, m and the old d (word by word). */
type BitOp = (n: number, m: number, d: number) => number;

const BITWISE: Array<{ name: string; u: number; size: number; op: BitOp }> = [
  { name: 'and', u: 0, size: 0, op: (n, m) => n & m },
  { name: 'bic', u: 0, size: 1, op: (n, m) => n & ~m },
  { name: 'orr', u: 0, size: 2, op: (n, m) => n | m },
  { name: 'orn', u: 0, size: 3, op: (n, m) => n | ~m },
  { name: 'eor', u: 1, size: 0, op: (n, m) => n ^ m },
  { name: 'bsl', u: 1, size: 1, op: (n, m, d) => m ^ ((m ^ n) & d) },
  { name: 'bit', u: 1, size: 2, op: (n, m, d) => d ^ ((d ^ n) & m) },
  { name: 'bif', u: 1, size: 3, op: (n, m, d) => d ^ ((d ^ n) & ~m) },
];

function bitwiseExec(op: BitOp, w: number): ExecFn {
  const words = qBit(w) === 1 ? 4 : 2;
  const d = rd(w) * 4;
  const n = rn(w) * 4;
  const m = rm(w) * 4;
  return (cpu) => {
    checkFpAccess(cpu);
    const v = cpu.v32;
    for (let i = 0; i < words; i++) v[d + i] = op(v[n + i], v[m + i], v[d + i]);
    if (words === 2) {
      v[d + 2] = 0;
      v[d + 3] = 0;
    }
  };
}

function bitwiseEntry(b: (typeof BITWISE)[number]): InsnEntry {
  return entry(`${b.name.toUpperCase()}_vec`, `0x${b.u}01110 ${bitString(b.size, 2)}1xxxxx 000111xx xxxxxxxx`, {
    exec: (w) => bitwiseExec(b.op, w),
    disasm: (w) => {
      const q = qBit(w);
      if (b.name === 'orr' && rn(w) === rm(w)) return `mov\t${vec(rd(w), 0, q)}, ${vec(rn(w), 0, q)}`;
      return `${b.name}\t${vec(rd(w), 0, q)}, ${vec(rn(w), 0, q)}, ${vec(rm(w), 0, q)}`;
    },
  });
}

/** ADDP (scalar): 01 0 11110 11 11000 11011 10 Rn Rd, the two 64-bit elements of Vn summed into Dd. */
const ADDP_SCALAR = entry('ADDP_scalar', '0101111011110001101110xxxxxxxxxx', {
  exec: (w) => pairwise(64, false, 1, 8, rd(w), rn(w), rn(w), 16, (a, b) => a + b),
  disasm: (w) => `addp\td${rd(w)}, v${rn(w)}.2d`,
});

export const SIMD_THREE_SAME: InsnEntry[] = [
  ...SAME_OPS.flatMap(sameEntries),
  ...BITWISE.map(bitwiseEntry),
  ADDP_SCALAR,
];
