/**
 * AdvSIMD two-register miscellaneous, integer (vector 0 Q U 01110 size 10000 opcode 10 Rn Rd and scalar
 * 01 U 11110 size 10000 opcode 10 Rn Rd), and across lanes (0 Q U 01110 size 11000 opcode 10 Rn Rd).
 * The floating-point opcodes of both spaces belong to fp/.
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { checkFpAccess } from '../exception-hooks';
import { rd, rn } from '../insn/fields';
import type { LaneOp, LaneOp64 } from './lanes';
import {
  PERMUTE_ZERO,
  bytePermute,
  elementwiseFor,
  elementwise64,
  finish,
  pairValue,
  sat,
  scratch16 as sharedScratch16,
  scratch32 as sharedScratch32,
  scratch8 as sharedScratch8,
  signedMax,
  signedMin,
  storePair,
  toScratch,
  unsignedMax,
} from './lanes';
import { add64, cmp64, neg64, saturateSigned64, shiftRight64, suqadd64, usqadd64 } from './i64';
import { arrangement, bitString, qBit, scalar, sizeField, vec } from './names';
import { fastByteCompare } from './fast-paths';

// Module-local aliases: loops index these directly rather than through an import binding.
const scratch8 = sharedScratch8;
const scratch16 = sharedScratch16;
const scratch32 = sharedScratch32;

/** Vector two-register misc pattern: 0 Q U 01110 size 10000 opcode 10 Rn Rd. */
const miscVec = (u: number, size: string, opcode: number): string =>
  `0x${u}01110${size}10000${bitString(opcode, 5)}10${'x'.repeat(10)}`;
/** Scalar form: 01 U 11110 size 10000 opcode 10 Rn Rd. */
const miscScalar = (u: number, opcode: number): string =>
  `01${u}11110xx10000${bitString(opcode, 5)}10${'x'.repeat(10)}`;

const ALL = 0b1111;
const BHS = 0b0111;
const D = 0b1000;

const mask = (bit: boolean): number => (bit ? -1 : 0);

function clz(a: number, e: number): number {
  return Math.clz32(a) - (32 - e);
}

function popcount8(a: number): number {
  let c = 0;
  for (let x = a; x !== 0; x &= x - 1) c++;
  return c;
}

function reverseBits8(a: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((a >> i) & 1) << (7 - i);
  return r;
}

// --- element-wise unary -----------------------------------------------------------------------------

interface UnaryOp {
  name: string;
  u: number;
  opcode: number;
  vector: number;
  scalar: number;
  /** Reads elements as signed. */
  signed: boolean;
  make: (e: number) => LaneOp;
  make64?: LaneOp64;
  /** Comparisons against zero print ", #0". */
  zeroOperand?: boolean;
  /** The size field is part of the opcode (NOT, RBIT): arrangement is bytes. */
  fixedSize?: number;
}

const cmpZero64 =
  (test: (c: number) => boolean): LaneOp64 =>
  (aLo, aHi, _bLo, _bHi, _dLo, _dHi, out) => {
    const r = mask(test(cmp64(aLo, aHi, 0, 0, true)));
    out[0] = r;
    out[1] = r;
  };

const abs64 =
  (saturating: boolean): LaneOp64 =>
  (aLo, aHi, _bLo, _bHi, _dLo, _dHi, out) => {
    if (aHi >= 0) {
      out[0] = aLo;
      out[1] = aHi;
      return;
    }
    neg64(aLo, aHi, out);
    if (saturating && out[1] === -0x8000_0000 && out[0] === 0) saturateSigned64(false, out);
  };

const neg64op =
  (saturating: boolean): LaneOp64 =>
  (aLo, aHi, _bLo, _bHi, _dLo, _dHi, out) => {
    neg64(aLo, aHi, out);
    if (saturating && aHi === -0x8000_0000 && aLo === 0) saturateSigned64(false, out);
  };

const plain =
  (f: LaneOp): ((e: number) => LaneOp) =>
  () =>
    f;

const UNARY: UnaryOp[] = [
  {
    name: 'cls',
    u: 0,
    opcode: 4,
    vector: BHS,
    scalar: 0,
    signed: true,
    make: (e) => (a) => clz(a < 0 ? ~a : a, e) - 1,
  },
  { name: 'clz', u: 1, opcode: 4, vector: BHS, scalar: 0, signed: false, make: (e) => (a) => clz(a, e) },
  { name: 'cnt', u: 0, opcode: 5, vector: 1, scalar: 0, signed: false, make: plain(popcount8) },
  { name: 'mvn', u: 1, opcode: 5, vector: 1, scalar: 0, signed: false, make: plain((a) => ~a), fixedSize: 0 },
  { name: 'rbit', u: 1, opcode: 5, vector: 2, scalar: 0, signed: false, make: plain(reverseBits8), fixedSize: 1 },
  {
    name: 'sqabs',
    u: 0,
    opcode: 7,
    vector: ALL,
    scalar: ALL,
    signed: true,
    make: (e) => {
      const [lo, hi] = [signedMin(e), signedMax(e)];
      return (a) => sat(Math.abs(a), lo, hi);
    },
    make64: abs64(true),
  },
  {
    name: 'sqneg',
    u: 1,
    opcode: 7,
    vector: ALL,
    scalar: ALL,
    signed: true,
    make: (e) => {
      const [lo, hi] = [signedMin(e), signedMax(e)];
      return (a) => sat(-a, lo, hi);
    },
    make64: neg64op(true),
  },
  {
    name: 'cmgt',
    u: 0,
    opcode: 8,
    vector: ALL,
    scalar: D,
    signed: true,
    make: plain((a) => mask(a > 0)),
    make64: cmpZero64((c) => c > 0),
    zeroOperand: true,
  },
  {
    name: 'cmge',
    u: 1,
    opcode: 8,
    vector: ALL,
    scalar: D,
    signed: true,
    make: plain((a) => mask(a >= 0)),
    make64: cmpZero64((c) => c >= 0),
    zeroOperand: true,
  },
  {
    name: 'cmeq',
    u: 0,
    opcode: 9,
    vector: ALL,
    scalar: D,
    signed: true,
    make: plain((a) => mask(a === 0)),
    make64: cmpZero64((c) => c === 0),
    zeroOperand: true,
  },
  {
    name: 'cmle',
    u: 1,
    opcode: 9,
    vector: ALL,
    scalar: D,
    signed: true,
    make: plain((a) => mask(a <= 0)),
    make64: cmpZero64((c) => c <= 0),
    zeroOperand: true,
  },
  {
    name: 'cmlt',
    u: 0,
    opcode: 10,
    vector: ALL,
    scalar: D,
    signed: true,
    make: plain((a) => mask(a < 0)),
    make64: cmpZero64((c) => c < 0),
    zeroOperand: true,
  },
  {
    name: 'abs',
    u: 0,
    opcode: 11,
    vector: ALL,
    scalar: D,
    signed: true,
    make: plain((a) => Math.abs(a)),
    make64: abs64(false),
  },
  {
    name: 'neg',
    u: 1,
    opcode: 11,
    vector: ALL,
    scalar: D,
    signed: true,
    make: plain((a) => -a),
    make64: neg64op(false),
  },
  {
    // Signed accumulator plus the unsigned source: the source arrives signed and is re-read as unsigned.
    name: 'suqadd',
    u: 0,
    opcode: 3,
    vector: ALL,
    scalar: ALL,
    signed: true,
    make: (e) => {
      const [lo, hi, wrap] = [signedMin(e), signedMax(e), 2 ** e];
      return (a, _b, d) => sat(d + (a < 0 ? a + wrap : a), lo, hi);
    },
    make64: (aLo, aHi, _bLo, _bHi, dLo, dHi, out) => suqadd64(dLo, dHi, aLo, aHi, out),
  },
  {
    name: 'usqadd',
    u: 1,
    opcode: 3,
    vector: ALL,
    scalar: ALL,
    signed: false,
    make: (e) => {
      const [hi, wrap] = [unsignedMax(e), 2 ** e];
      return (a, _b, d) => sat(d + (a >= wrap / 2 ? a - wrap : a), 0, hi);
    },
    make64: (aLo, aHi, _bLo, _bHi, dLo, dHi, out) => usqadd64(dLo, dHi, aLo, aHi, out),
  },
];

function unaryEntries(op: UnaryOp): InsnEntry[] {
  const sizeBits = op.fixedSize === undefined ? 'xx' : bitString(op.fixedSize, 2);
  const suffix = op.zeroOperand === true ? ', #0' : '';
  const list = [
    entry(`${op.name.toUpperCase()}_vec${op.zeroOperand === true ? '_zero' : ''}`, miscVec(op.u, sizeBits, op.opcode), {
      reserved: (w) =>
        op.fixedSize === undefined &&
        (((op.vector >> sizeField(w)) & 1) === 0 || (sizeField(w) === 3 && qBit(w) === 0)),
      exec: (w) => {
        const q = qBit(w);
        const e = op.fixedSize === undefined ? 8 << sizeField(w) : 8;
        const lanes = (q === 1 ? 128 : 64) / e;
        if (e === 8 && op.zeroOperand === true) {
          const fast = fastByteCompare(op.name, lanes, rd(w), rn(w), rn(w), true);
          if (fast !== null) return fast;
        }
        if (e === 64) return elementwise64(lanes, q === 1 ? 16 : 8, rd(w), rn(w), rn(w), op.make64!);
        return elementwiseFor(op)(e, op.signed, lanes, q === 1 ? 16 : 8, rd(w), rn(w), rn(w), op.make(e));
      },
      disasm: (w) => {
        const s = op.fixedSize === undefined ? sizeField(w) : 0;
        return `${op.name}\t${vec(rd(w), s, qBit(w))}, ${vec(rn(w), s, qBit(w))}${suffix}`;
      },
    }),
  ];
  if (op.scalar !== 0) {
    list.push(
      entry(`${op.name.toUpperCase()}_scalar${op.zeroOperand === true ? '_zero' : ''}`, miscScalar(op.u, op.opcode), {
        reserved: (w) => ((op.scalar >> sizeField(w)) & 1) === 0,
        exec: (w) => {
          const e = 8 << sizeField(w);
          if (e === 64) return elementwise64(1, 8, rd(w), rn(w), rn(w), op.make64!);
          return elementwiseFor(op)(e, op.signed, 1, e >> 3, rd(w), rn(w), rn(w), op.make(e));
        },
        disasm: (w) => `${op.name}\t${scalar(rd(w), sizeField(w))}, ${scalar(rn(w), sizeField(w))}${suffix}`,
      }),
    );
  }
  return list;
}

// --- reversals and XTN: byte permutations ------------------------------------------------------------

/** REV16/REV32/REV64: reverse e-bit elements inside each container of c bits. */
function reverseTable(e: number, c: number, q: number): Uint8Array {
  const t = new Uint8Array(16).fill(PERMUTE_ZERO);
  const eb = e >> 3;
  const cb = c >> 3;
  for (let i = 0; i < (q === 1 ? 16 : 8); i++) {
    const container = Math.floor(i / cb) * cb;
    const elem = Math.floor((i - container) / eb);
    const within = (i - container) % eb;
    t[i] = container + (cb / eb - 1 - elem) * eb + within;
  }
  return t;
}

function reverseEntry(name: string, u: number, opcode: number, container: number, sizes: number): InsnEntry {
  return entry(`${name.toUpperCase()}_vec`, miscVec(u, 'xx', opcode), {
    reserved: (w) => ((sizes >> sizeField(w)) & 1) === 0,
    exec: (w) => bytePermute(rd(w), rn(w), rn(w), reverseTable(8 << sizeField(w), container, qBit(w))),
    disasm: (w) => `${name}\t${vec(rd(w), sizeField(w), qBit(w))}, ${vec(rn(w), sizeField(w), qBit(w))}`,
  });
}

/** XTN/XTN2: the low half of each 2e-bit element of Vn into the low (Q = 0) or high half of Vd. */
function xtnTable(e: number, q: number): Uint8Array {
  const t = new Uint8Array(16);
  const eb = e >> 3;
  for (let i = 0; i < 16; i++) t[i] = q === 1 ? (i < 8 ? 16 + i : 0) : PERMUTE_ZERO;
  for (let i = 0; i < 8; i++) {
    const lane = Math.floor(i / eb);
    t[q * 8 + i] = lane * 2 * eb + (i % eb);
  }
  return t;
}

const narrowName = (name: string, q: number): string => (q === 1 ? `${name}2` : name);

const XTN = entry('XTN_vec', miscVec(0, 'xx', 18), {
  reserved: (w) => sizeField(w) === 3,
  // Vm = Vd supplies the kept low half for XTN2.
  exec: (w) => bytePermute(rd(w), rn(w), rd(w), xtnTable(8 << sizeField(w), qBit(w))),
  disasm: (w) =>
    `${narrowName('xtn', qBit(w))}\t${vec(rd(w), sizeField(w), qBit(w))}, ${vec(rn(w), sizeField(w) + 1, 1)}`,
});

// --- saturating narrows (also used by the shift-right-narrow group) -----------------------------------

/**
 * Narrowing with saturation: each 2e-bit element of Vn (signed when `srcSigned`) is shifted right by
 * `shift` (rounding when `round`), saturated to [lo, hi] and written as element `first + i` of Vd, where
 * first = 0 (Q = 0, upper half cleared) or lanes (Q = 1, low half kept). Scalar forms pass lanes = 1.
 * `truncate` (SHRN, RSHRN) keeps the low e bits instead of saturating.
 */
export function narrowSaturating(
  e: number,
  srcSigned: boolean,
  lo: number,
  hi: number,
  lanes: number,
  first: number,
  zero: number,
  d: number,
  n: number,
  shift: number,
  round: boolean,
  truncate = false,
): ExecFn {
  const scale = 2 ** shift;
  const half = shift > 0 && round ? scale / 2 : 0;
  const pair = new Int32Array(2);
  return (cpu) => {
    checkFpAccess(cpu);
    toScratch(cpu, n, 0, 16);
    for (let i = 0; i < lanes; i++) {
      let x: number;
      if (e === 32) {
        if (shift > 0) {
          shiftRight64(scratch32[2 * i], scratch32[2 * i + 1], shift, srcSigned, round, pair);
          // SHRN/RSHRN keep the low word exactly; saturating forms compare the (monotonic) double.
          x = truncate ? pair[0] : pairValue(pair, 0, srcSigned);
        } else {
          x = pairValue(scratch32, 2 * i, srcSigned);
        }
      } else {
        const raw = e === 8 ? scratch16[i] : scratch32[i];
        x = e === 8 ? (srcSigned ? (raw << 16) >> 16 : raw) : srcSigned ? raw : raw >>> 0;
        if (shift > 0) x = Math.floor((x + half) / scale);
      }
      writeElement(cpu, d, e, first + i, truncate ? x : sat(x, lo, hi));
    }
    finish(cpu, d, zero);
  };
}

function writeElement(
  cpu: { v8: Uint8Array; v16: Uint16Array; v32: Int32Array },
  d: number,
  e: number,
  i: number,
  x: number,
): void {
  if (e === 8) cpu.v8[d * 16 + i] = x;
  else if (e === 16) cpu.v16[d * 8 + i] = x;
  else cpu.v32[d * 4 + i] = x;
}

/** Bounds of SQXTN (signed), UQXTN (unsigned) and SQXTUN (signed source, unsigned result). */
export function narrowBounds(e: number, dstSigned: boolean): { lo: number; hi: number } {
  return dstSigned ? { lo: signedMin(e), hi: signedMax(e) } : { lo: 0, hi: unsignedMax(e) };
}

function satNarrowEntries(
  name: string,
  u: number,
  opcode: number,
  srcSigned: boolean,
  dstSigned: boolean,
): InsnEntry[] {
  return [
    entry(`${name.toUpperCase()}_vec`, miscVec(u, 'xx', opcode), {
      reserved: (w) => sizeField(w) === 3,
      exec: (w) => {
        const e = 8 << sizeField(w);
        const q = qBit(w);
        const lanes = 64 / e;
        const { lo, hi } = narrowBounds(e, dstSigned);
        return narrowSaturating(e, srcSigned, lo, hi, lanes, q * lanes, q === 1 ? 16 : 8, rd(w), rn(w), 0, false);
      },
      disasm: (w) =>
        `${narrowName(name, qBit(w))}\t${vec(rd(w), sizeField(w), qBit(w))}, ${vec(rn(w), sizeField(w) + 1, 1)}`,
    }),
    entry(`${name.toUpperCase()}_scalar`, miscScalar(u, opcode), {
      reserved: (w) => sizeField(w) === 3,
      exec: (w) => {
        const e = 8 << sizeField(w);
        const { lo, hi } = narrowBounds(e, dstSigned);
        return narrowSaturating(e, srcSigned, lo, hi, 1, 0, e >> 3, rd(w), rn(w), 0, false);
      },
      disasm: (w) => `${name}\t${scalar(rd(w), sizeField(w))}, ${scalar(rn(w), sizeField(w) + 1)}`,
    }),
  ];
}

// --- widening: SHLL, pairwise add long -----------------------------------------------------------------

/**
 * Widening element loop: Vd wide element i (2e bits) = f(narrow element first + i of Vn, old Vd element),
 * where `f` returns an exact double. With `accumulate` the old 64-bit element is added exactly.
 */
export function widen(
  e: number,
  signed: boolean,
  lanes: number,
  first: number,
  d: number,
  n: number,
  f: (x: number) => number,
  accumulate: boolean,
): ExecFn {
  const pair = new Int32Array(2);
  return (cpu) => {
    checkFpAccess(cpu);
    toScratch(cpu, n, 0, 16);
    for (let i = 0; i < lanes; i++) {
      const raw = e === 8 ? scratch8[first + i] : e === 16 ? scratch16[first + i] : scratch32[first + i];
      const x = signed ? (e === 32 ? raw : (raw << (32 - e)) >> (32 - e)) : e === 32 ? raw >>> 0 : raw;
      const r = f(x);
      if (e === 8) cpu.v16[d * 8 + i] = accumulate ? cpu.v16[d * 8 + i] + r : r;
      else if (e === 16) cpu.v32[d * 4 + i] = accumulate ? cpu.v32[d * 4 + i] + r : r;
      else if (accumulate) {
        const at = d * 4 + 2 * i;
        storePair(pair, 0, r);
        add64(cpu.v32[at], cpu.v32[at + 1], pair[0], pair[1], pair);
        cpu.v32[at] = pair[0];
        cpu.v32[at + 1] = pair[1];
      } else {
        storePair(cpu.v32, d * 4 + 2 * i, r);
      }
    }
  };
}

const SHLL = entry('SHLL_vec', miscVec(1, 'xx', 19), {
  reserved: (w) => sizeField(w) === 3,
  exec: (w) => {
    const e = 8 << sizeField(w);
    const lanes = 64 / e;
    const scale = 2 ** e;
    return widen(e, false, lanes, qBit(w) * lanes, rd(w), rn(w), (x) => x * scale, false);
  },
  disasm: (w) => {
    const s = sizeField(w);
    return `${narrowName('shll', qBit(w))}\t${vec(rd(w), s + 1, 1)}, ${vec(rn(w), s, qBit(w))}, #${8 << s}`;
  },
});

/** SADDLP/UADDLP/SADALP/UADALP: sums of adjacent element pairs into double-width elements. */
function addLongPairwiseExec(w: number, signed: boolean, accumulate: boolean): ExecFn {
  const e = 8 << sizeField(w);
  const q = qBit(w);
  const lanes = (q === 1 ? 64 : 32) / e;
  const d = rd(w);
  const n = rn(w);
  const zero = q === 1 ? 16 : 8;
  const pair = new Int32Array(2);
  return (cpu) => {
    checkFpAccess(cpu);
    toScratch(cpu, n, 0, 16);
    const v = cpu.v32;
    for (let i = 0; i < lanes; i++) {
      const r = readScratch(e, signed, 2 * i) + readScratch(e, signed, 2 * i + 1);
      if (e === 8) cpu.v16[d * 8 + i] = accumulate ? cpu.v16[d * 8 + i] + r : r;
      else if (e === 16) v[d * 4 + i] = accumulate ? v[d * 4 + i] + r : r;
      else {
        storePair(pair, 0, r);
        if (accumulate) add64(v[d * 4 + 2 * i], v[d * 4 + 2 * i + 1], pair[0], pair[1], pair);
        v[d * 4 + 2 * i] = pair[0];
        v[d * 4 + 2 * i + 1] = pair[1];
      }
    }
    finish(cpu, d, zero);
  };
}

/** Element i of e bits from the scratch copy of Vn. */
function readScratch(e: number, signed: boolean, i: number): number {
  if (e === 8) return signed ? (scratch8[i] << 24) >> 24 : scratch8[i];
  if (e === 16) return signed ? (scratch16[i] << 16) >> 16 : scratch16[i];
  return signed ? scratch32[i] : scratch32[i] >>> 0;
}

function addLongPairwiseEntry(name: string, u: number, opcode: number, accumulate: boolean): InsnEntry {
  return entry(`${name.toUpperCase()}_vec`, miscVec(u, 'xx', opcode), {
    reserved: (w) => sizeField(w) === 3,
    exec: (w) => addLongPairwiseExec(w, u === 0, accumulate),
    disasm: (w) => {
      const s = sizeField(w);
      const q = qBit(w);
      return `${name}\t${vec(rd(w), s + 1, q)}, ${vec(rn(w), s, q)}`;
    },
  });
}

// --- across lanes ------------------------------------------------------------------------------------

/** ADDV/SADDLV/UADDLV/SMAXV/UMAXV/SMINV/UMINV: reduce Vn's elements into element 0 of Vd. */
function acrossExec(w: number, signed: boolean, kind: 'add' | 'addl' | 'max' | 'min'): ExecFn {
  const e = 8 << sizeField(w);
  const lanes = (qBit(w) === 1 ? 128 : 64) / e;
  const d = rd(w);
  const n = rn(w);
  const wide = kind === 'addl';
  const resultBytes = (wide ? 2 * e : e) >> 3;
  return (cpu) => {
    checkFpAccess(cpu);
    toScratch(cpu, n, 0, 16);
    let acc = readScratch(e, signed, 0);
    for (let i = 1; i < lanes; i++) {
      const x = readScratch(e, signed, i);
      if (kind === 'max') acc = x > acc ? x : acc;
      else if (kind === 'min') acc = x < acc ? x : acc;
      else acc += x;
    }
    const v = cpu.v32;
    v[d * 4] = 0;
    v[d * 4 + 1] = 0;
    if (resultBytes === 8) storePair(v, d * 4, acc);
    else if (resultBytes === 4) v[d * 4] = acc;
    else if (resultBytes === 2) cpu.v16[d * 8] = acc;
    else cpu.v8[d * 16] = acc;
    v[d * 4 + 2] = 0;
    v[d * 4 + 3] = 0;
  };
}

function acrossEntry(name: string, u: number, opcode: number, kind: 'add' | 'addl' | 'max' | 'min'): InsnEntry {
  return entry(`${name.toUpperCase()}_across`, `0x${u}01110xx11000${bitString(opcode, 5)}10${'x'.repeat(10)}`, {
    reserved: (w) => sizeField(w) === 3 || (sizeField(w) === 2 && qBit(w) === 0),
    exec: (w) => acrossExec(w, u === 0, kind),
    disasm: (w) => {
      const s = sizeField(w);
      return `${name}\t${scalar(rd(w), kind === 'addl' ? s + 1 : s)}, v${rn(w)}.${arrangement(s, qBit(w))}`;
    },
  });
}

export const SIMD_TWO_MISC: InsnEntry[] = [
  ...UNARY.flatMap(unaryEntries),
  reverseEntry('rev64', 0, 0, 64, BHS),
  reverseEntry('rev16', 0, 1, 16, 1),
  reverseEntry('rev32', 1, 0, 32, 3),
  XTN,
  ...satNarrowEntries('sqxtn', 0, 20, true, true),
  ...satNarrowEntries('uqxtn', 1, 20, false, false),
  ...satNarrowEntries('sqxtun', 1, 18, true, false),
  SHLL,
  addLongPairwiseEntry('saddlp', 0, 2, false),
  addLongPairwiseEntry('uaddlp', 1, 2, false),
  addLongPairwiseEntry('sadalp', 0, 6, true),
  addLongPairwiseEntry('uadalp', 1, 6, true),
  acrossEntry('addv', 0, 27, 'add'),
  acrossEntry('saddlv', 0, 3, 'addl'),
  acrossEntry('uaddlv', 1, 3, 'addl'),
  acrossEntry('smaxv', 0, 10, 'max'),
  acrossEntry('umaxv', 1, 10, 'max'),
  acrossEntry('sminv', 0, 26, 'min'),
  acrossEntry('uminv', 1, 26, 'min'),
];
