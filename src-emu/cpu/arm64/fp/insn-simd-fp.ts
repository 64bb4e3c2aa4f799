/**
 * AdvSIMD floating point on vectors (4s, 2s, 2d): the three-same group (arithmetic, fused multiply-add,
 * max/min and their pairwise forms, compares, FRECPS/FRSQRTS, FMULX) and the two-register misc group
 * (FABS/FNEG/FSQRT, FRINT*, FCVT*S/U, SCVTF/UCVTF, compares with zero, FRECPE/FRSQRTE, URECPE/URSQRTE,
 * FCVTL/FCVTN/FCVTXN).
 */
import type { Cpu } from '../cpu';
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { checkFpAccess } from '../exception-hooks';
import { bits, rd, rm, rn } from '../insn/fields';
import { Format, Rounding } from './softfloat/status';
import type { FpFormat, FpStatus, RoundingMode } from './softfloat/status';
import { SIGN_BITS } from './softfloat/round';
import { fpCompareEQ, fpCompareGE, fpCompareGT } from './softfloat/compare';
import { fixedToFp, fpConvert, fpRoundInt, fpToFixed } from './softfloat/convert';
import {
  fpRecipEstimate,
  fpRecpX,
  fpRSqrtEstimate,
  unsignedRecipEstimate,
  unsignedRSqrtEstimate,
} from './softfloat/estimate';
import { fpMulAdd } from './softfloat/fma';
import { f32Sqrt, f64Sqrt } from './softfloat/ops';
import { FpType, unpack } from './softfloat/unpack';
import { FP2_OPS, negateResult, recipStep, rsqrtStep } from './fp-ops';
import type { BinaryFpOp } from './fp-ops';
import { fpEnter, fpLeave, scalarName, vecName } from './common';
import { commitTmp, tmp32 } from './vec-scratch';

/** Compare op writing all ones or zeros. */
const compareOp =
  (test: typeof fpCompareEQ, absolute: boolean): BinaryFpOp =>
  (st, fmt, aLo, aHi, bLo, bHi) => {
    const clear = ~SIGN_BITS[fmt];
    const dbl = fmt === Format.DOUBLE;
    const t = absolute
      ? test(
          st,
          fmt,
          dbl ? aLo : aLo & clear,
          dbl ? aHi & clear : aHi,
          dbl ? bLo : bLo & clear,
          dbl ? bHi & clear : bHi,
        )
      : test(st, fmt, aLo, aHi, bLo, bHi);
    st.lo = st.hi = t ? -1 : 0;
  };

/** FMULX: FMUL, except that infinity times zero is 2 with the product's sign. */
const mulx: BinaryFpOp = (st, fmt, aLo, aHi, bLo, bHi) => {
  const t1 = unpack(st, fmt, 0, aLo, aHi);
  const t2 = unpack(st, fmt, 1, bLo, bHi);
  if ((t1 === FpType.INFINITY && t2 === FpType.ZERO) || (t1 === FpType.ZERO && t2 === FpType.INFINITY)) {
    const negative = (fmt === Format.DOUBLE ? aHi ^ bHi : aLo ^ bLo) < 0;
    st.lo = fmt === Format.DOUBLE ? 0 : 0x40000000 | (negative ? SIGN_BITS[fmt] : 0);
    st.hi = fmt === Format.DOUBLE ? 0x40000000 | (negative ? SIGN_BITS[fmt] : 0) : 0;
    return;
  }
  FP2_OPS[0]!(st, fmt, aLo, aHi, bLo, bHi);
};

const abd: BinaryFpOp = (st, fmt, aLo, aHi, bLo, bHi) => {
  FP2_OPS[3]!(st, fmt, aLo, aHi, bLo, bHi);
  if (fmt === Format.DOUBLE) st.hi &= ~SIGN_BITS[fmt];
  else st.lo &= ~SIGN_BITS[fmt];
};

interface VecFpOp {
  readonly name: string;
  readonly op: BinaryFpOp | null; // null: fused multiply-add forms
  readonly pairwise?: boolean;
  readonly negate?: boolean; // FMLS
}

/** By (U << 6) | (a << 5) | opcode. */
const VEC_FP3 = new Map<number, VecFpOp>([
  [0b0011000, { name: 'fmaxnm', op: FP2_OPS[6]! }],
  [0b0011001, { name: 'fmla', op: null }],
  [0b0011010, { name: 'fadd', op: FP2_OPS[2]! }],
  [0b0011011, { name: 'fmulx', op: mulx }],
  [0b0011100, { name: 'fcmeq', op: compareOp(fpCompareEQ, false) }],
  [0b0011110, { name: 'fmax', op: FP2_OPS[4]! }],
  [0b0011111, { name: 'frecps', op: recipStep }],
  [0b0111000, { name: 'fminnm', op: FP2_OPS[7]! }],
  [0b0111001, { name: 'fmls', op: null, negate: true }],
  [0b0111010, { name: 'fsub', op: FP2_OPS[3]! }],
  [0b0111110, { name: 'fmin', op: FP2_OPS[5]! }],
  [0b0111111, { name: 'frsqrts', op: rsqrtStep }],
  [0b1011000, { name: 'fmaxnmp', op: FP2_OPS[6]!, pairwise: true }],
  [0b1011010, { name: 'faddp', op: FP2_OPS[2]!, pairwise: true }],
  [0b1011011, { name: 'fmul', op: FP2_OPS[0]! }],
  [0b1011100, { name: 'fcmge', op: compareOp(fpCompareGE, false) }],
  [0b1011101, { name: 'facge', op: compareOp(fpCompareGE, true) }],
  [0b1011110, { name: 'fmaxp', op: FP2_OPS[4]!, pairwise: true }],
  [0b1011111, { name: 'fdiv', op: FP2_OPS[1]! }],
  [0b1111000, { name: 'fminnmp', op: FP2_OPS[7]!, pairwise: true }],
  [0b1111010, { name: 'fabd', op: abd }],
  [0b1111100, { name: 'fcmgt', op: compareOp(fpCompareGT, false) }],
  [0b1111101, { name: 'facgt', op: compareOp(fpCompareGT, true) }],
  [0b1111110, { name: 'fminp', op: FP2_OPS[5]!, pairwise: true }],
]);

const fp3Key = (w: number): number => (bits(w, 29, 1) << 6) | (bits(w, 23, 1) << 5) | bits(w, 11, 5);
/** The two-register misc opcode sits one bit higher (bits 16..12) than the three-same one. */
const fp1Key = (w: number): number => (bits(w, 29, 1) << 6) | (bits(w, 23, 1) << 5) | bits(w, 12, 5);
const vecFmt = (w: number): FpFormat => (bits(w, 22, 1) === 1 ? Format.DOUBLE : Format.SINGLE);
const laneCount = (w: number): number => (bits(w, 22, 1) === 1 ? 2 : bits(w, 30, 1) === 1 ? 4 : 2);
const sizeOf = (w: number): number => 2 + bits(w, 22, 1);
/** Scalar encodings (01U1 1110...) have bit 28 set; their one lane is written with the rest cleared. */
const isScalar = (w: number): boolean => bits(w, 28, 1) === 1;

/** Commits the scratch: a scalar result clears everything above its lane. */
function commitLanes(cpu: Cpu, d: number, q: number, scalar: boolean, fmt: FpFormat): void {
  if (scalar && fmt === Format.SINGLE) tmp32[1] = 0;
  commitTmp(cpu, d, scalar ? 0 : q);
}

/** The three-same and two-register-misc operations that also exist in scalar form. */
const SCALAR_THREE_SAME = new Set(['fmulx', 'fcmeq', 'frecps', 'frsqrts', 'fcmge', 'facge', 'fabd', 'fcmgt', 'facgt']);
const SCALAR_MISC_EXCLUDED = new Set([
  'frintn',
  'frintm',
  'frintp',
  'frintz',
  'frinta',
  'frintx',
  'frinti',
  'fabs',
  'fneg',
  'fsqrt',
]);

/** Word index of lane e of Vr for the format (doubles take two words). */
const wordOf = (r: number, fmt: FpFormat, e: number): number => 4 * r + (fmt === Format.DOUBLE ? 2 * e : e);

function storeLane(fmt: FpFormat, e: number, st: FpStatus): void {
  if (fmt === Format.DOUBLE) {
    tmp32[2 * e] = st.lo;
    tmp32[2 * e + 1] = st.hi;
  } else tmp32[e] = st.lo;
}

function fp3Exec(w: number): ExecFn {
  const info = VEC_FP3.get(fp3Key(w))!;
  const fmt = vecFmt(w);
  const scalar = isScalar(w);
  const count = scalar ? 1 : laneCount(w);
  const q = bits(w, 30, 1);
  const d = rd(w);
  const n = rn(w);
  const m = rm(w);
  const half = count >> 1;
  const neg = info.negate ? SIGN_BITS[fmt] : 0;
  const dbl = fmt === Format.DOUBLE;
  return (cpu) => {
    checkFpAccess(cpu);
    const st = fpEnter(cpu);
    const v = cpu.v32;
    for (let e = 0; e < count; e++) {
      let a: number;
      let b: number;
      if (info.pairwise) {
        const src = e < half ? n : m;
        const i = 2 * (e < half ? e : e - half);
        a = wordOf(src, fmt, i);
        b = wordOf(src, fmt, i + 1);
      } else {
        a = wordOf(n, fmt, e);
        b = wordOf(m, fmt, e);
      }
      if (info.op !== null) info.op(st, fmt, v[a]!, v[a + 1]!, v[b]!, v[b + 1]!);
      else {
        const c = wordOf(d, fmt, e);
        const aLo = dbl ? v[a]! : v[a]! ^ neg;
        const aHi = dbl ? v[a + 1]! ^ neg : 0;
        fpMulAdd(st, fmt, v[c]!, v[c + 1]!, aLo, aHi, v[b]!, v[b + 1]!);
      }
      storeLane(fmt, e, st);
    }
    commitLanes(cpu, d, q, scalar, fmt);
    fpLeave(cpu, st);
  };
}

/** Two-register misc FP ops by (U << 6) | (a << 5) | opcode: the element-wise ones. */
type UnaryFpOp = (st: FpStatus, fmt: FpFormat, lo: number, hi: number) => void;

const roundOp =
  (mode: number, exact: boolean): UnaryFpOp =>
  (st, fmt, lo, hi) => {
    fpRoundInt(st, fmt, lo, hi, (mode < 0 ? st.rounding() : mode) as RoundingMode, exact);
  };
const toIntOp =
  (mode: RoundingMode, unsigned: boolean): UnaryFpOp =>
  (st, fmt, lo, hi) => {
    const r = fpToFixed(st, fmt, lo, hi, 0, unsigned, fmt === Format.DOUBLE, mode);
    st.lo = r;
  };
const fromIntOp =
  (unsigned: boolean): UnaryFpOp =>
  (st, fmt, lo, hi) => {
    fixedToFp(st, fmt, lo, hi, 0, unsigned, fmt === Format.DOUBLE, st.rounding());
  };
const zeroCompare =
  (test: typeof fpCompareEQ, swap: boolean): UnaryFpOp =>
  (st, fmt, lo, hi) => {
    const t = swap ? test(st, fmt, 0, 0, lo, hi) : test(st, fmt, lo, hi, 0, 0);
    st.lo = st.hi = t ? -1 : 0;
  };
const signOp =
  (negate: boolean): UnaryFpOp =>
  (st, fmt, lo, hi) => {
    st.lo = lo;
    st.hi = hi;
    if (negate) negateResult(st, fmt);
    else if (fmt === Format.DOUBLE) st.hi &= ~SIGN_BITS[fmt];
    else st.lo &= ~SIGN_BITS[fmt];
  };

const VEC_FP1 = new Map<number, { name: string; op: UnaryFpOp; zero?: boolean }>([
  [0b0011000, { name: 'frintn', op: roundOp(Rounding.TIEEVEN, false) }],
  [0b0011001, { name: 'frintm', op: roundOp(Rounding.NEGINF, false) }],
  [0b0011010, { name: 'fcvtns', op: toIntOp(Rounding.TIEEVEN, false) }],
  [0b0011011, { name: 'fcvtms', op: toIntOp(Rounding.NEGINF, false) }],
  [0b0011100, { name: 'fcvtas', op: toIntOp(Rounding.TIEAWAY, false) }],
  [0b0011101, { name: 'scvtf', op: fromIntOp(false) }],
  [0b0101100, { name: 'fcmgt', op: zeroCompare(fpCompareGT, false), zero: true }],
  [0b0101101, { name: 'fcmeq', op: zeroCompare(fpCompareEQ, false), zero: true }],
  [0b0101110, { name: 'fcmlt', op: zeroCompare(fpCompareGT, true), zero: true }],
  [0b0101111, { name: 'fabs', op: signOp(false) }],
  [0b0111000, { name: 'frintp', op: roundOp(Rounding.POSINF, false) }],
  [0b0111001, { name: 'frintz', op: roundOp(Rounding.ZERO, false) }],
  [0b0111010, { name: 'fcvtps', op: toIntOp(Rounding.POSINF, false) }],
  [0b0111011, { name: 'fcvtzs', op: toIntOp(Rounding.ZERO, false) }],
  [0b0111101, { name: 'frecpe', op: (st, fmt, lo, hi) => void fpRecipEstimate(st, fmt, lo, hi) }],
  [0b1011000, { name: 'frinta', op: roundOp(Rounding.TIEAWAY, false) }],
  [0b1011001, { name: 'frintx', op: roundOp(-1, true) }],
  [0b1011010, { name: 'fcvtnu', op: toIntOp(Rounding.TIEEVEN, true) }],
  [0b1011011, { name: 'fcvtmu', op: toIntOp(Rounding.NEGINF, true) }],
  [0b1011100, { name: 'fcvtau', op: toIntOp(Rounding.TIEAWAY, true) }],
  [0b1011101, { name: 'ucvtf', op: fromIntOp(true) }],
  [0b1101100, { name: 'fcmge', op: zeroCompare(fpCompareGE, false), zero: true }],
  [0b1101101, { name: 'fcmle', op: zeroCompare(fpCompareGE, true), zero: true }],
  [0b1101111, { name: 'fneg', op: signOp(true) }],
  [0b1111001, { name: 'frinti', op: roundOp(-1, false) }],
  [0b1111010, { name: 'fcvtpu', op: toIntOp(Rounding.POSINF, true) }],
  [0b1111011, { name: 'fcvtzu', op: toIntOp(Rounding.ZERO, true) }],
  [0b1111101, { name: 'frsqrte', op: (st, fmt, lo, hi) => void fpRSqrtEstimate(st, fmt, lo, hi) }],
  [0b0111111, { name: 'frecpx', op: (st, fmt, lo, hi) => void fpRecpX(st, fmt, lo, hi) }],
  [
    0b1111111,
    {
      name: 'fsqrt',
      op: (st, fmt, lo, hi) => {
        if (fmt === Format.SINGLE) st.lo = f32Sqrt(st, lo);
        else f64Sqrt(st, lo, hi);
      },
    },
  ],
]);

/** Special two-register misc forms: precision changes and the integer estimates. */
function miscSpecial(w: number): string | null {
  const key = fp1Key(w);
  const sz = bits(w, 22, 1);
  if (key === 0b0010110) return 'fcvtn';
  if (key === 0b1010110) return sz === 1 ? 'fcvtxn' : null;
  if (key === 0b0010111) return 'fcvtl';
  if (key === 0b0111100 && sz === 0) return 'urecpe';
  if (key === 0b1111100 && sz === 0) return 'ursqrte';
  return null;
}

function fp1Reserved(w: number): boolean {
  const special = miscSpecial(w);
  if (isScalar(w)) {
    if (special !== null) return special !== 'fcvtxn';
    const info = VEC_FP1.get(fp1Key(w));
    return info === undefined || SCALAR_MISC_EXCLUDED.has(info.name);
  }
  if (special !== null) return special.startsWith('ur') && bits(w, 22, 1) === 1;
  const info = VEC_FP1.get(fp1Key(w));
  return info === undefined || info.name === 'frecpx' || (bits(w, 22, 1) === 1 && bits(w, 30, 1) === 0);
}

function fp3Reserved(w: number): boolean {
  const info = VEC_FP3.get(fp3Key(w));
  if (info === undefined) return true;
  if (isScalar(w)) return !SCALAR_THREE_SAME.has(info.name);
  return bits(w, 22, 1) === 1 && bits(w, 30, 1) === 0;
}

function fp1Exec(w: number): ExecFn {
  const special = miscSpecial(w);
  if (special !== null) return specialExec(w, special);
  const { op } = VEC_FP1.get(fp1Key(w))!;
  const fmt = vecFmt(w);
  const scalar = isScalar(w);
  const count = scalar ? 1 : laneCount(w);
  const q = bits(w, 30, 1);
  const d = rd(w);
  const n = rn(w);
  return (cpu) => {
    checkFpAccess(cpu);
    const st = fpEnter(cpu);
    const v = cpu.v32;
    for (let e = 0; e < count; e++) {
      const a = wordOf(n, fmt, e);
      op(st, fmt, v[a]!, v[a + 1]!);
      storeLane(fmt, e, st);
    }
    commitLanes(cpu, d, q, scalar, fmt);
    fpLeave(cpu, st);
  };
}

/** FCVTN/FCVTXN (narrow into the low or, for the "2" forms, high half), FCVTL (widen), URECPE/URSQRTE. */
function specialExec(w: number, name: string): ExecFn {
  const scalar = isScalar(w);
  const q = scalar ? 0 : bits(w, 30, 1);
  const sz = bits(w, 22, 1);
  const d = rd(w);
  const n = rn(w);
  const wide: FpFormat = sz === 1 ? Format.DOUBLE : Format.SINGLE;
  const narrow: FpFormat = sz === 1 ? Format.SINGLE : Format.HALF;
  return (cpu: Cpu) => {
    checkFpAccess(cpu);
    const st = fpEnter(cpu);
    const v = cpu.v32;
    if (name === 'urecpe' || name === 'ursqrte') {
      for (let e = 0; e < (q ? 4 : 2); e++) {
        const x = v[4 * n + e]!;
        tmp32[e] = name === 'urecpe' ? unsignedRecipEstimate(x) : unsignedRSqrtEstimate(x);
      }
      commitTmp(cpu, d, q);
    } else if (name === 'fcvtl') {
      const count = sz === 1 ? 2 : 4;
      for (let e = 0; e < count; e++) {
        const src = q * count + e;
        const lo = narrow === Format.HALF ? cpu.v16[8 * n + src]! : v[4 * n + src]!;
        fpConvert(st, narrow, wide, lo, 0, st.rounding());
        storeLane(wide, e, st);
      }
      commitTmp(cpu, d, 1);
    } else {
      const count = scalar ? 1 : sz === 1 ? 2 : 4;
      const mode = name === 'fcvtxn' ? Rounding.ODD : st.rounding();
      tmp32[1] = 0;
      for (let e = 0; e < count; e++) {
        const a = wordOf(n, wide, e);
        fpConvert(st, wide, narrow, v[a]!, v[a + 1]!, mode);
        tmp32[e] = st.lo;
      }
      writeNarrow(cpu, d, q, narrow);
    }
    fpLeave(cpu, st);
  };
}

/** Writes the narrowed lanes staged in tmp32 into the low half of Vd (upper cleared) or its high half. */
function writeNarrow(cpu: Cpu, d: number, q: number, narrow: FpFormat): void {
  let lo = 0;
  let hi = 0;
  if (narrow === Format.HALF) {
    lo = (tmp32[0]! & 0xffff) | (tmp32[1]! << 16);
    hi = (tmp32[2]! & 0xffff) | (tmp32[3]! << 16);
  } else {
    lo = tmp32[0]!;
    hi = tmp32[1]!;
  }
  const v = cpu.v32;
  if (q === 1) {
    v[4 * d + 2] = lo;
    v[4 * d + 3] = hi;
  } else {
    v[4 * d] = lo;
    v[4 * d + 1] = hi;
    v[4 * d + 2] = 0;
    v[4 * d + 3] = 0;
  }
}

function fp1Disasm(w: number): string {
  const special = miscSpecial(w);
  if (isScalar(w)) {
    const size = sizeOf(w);
    if (special === 'fcvtxn') return `fcvtxn\t${scalarName(rd(w), 2)}, ${scalarName(rn(w), 3)}`;
    const info = VEC_FP1.get(fp1Key(w))!;
    return `${info.name}\t${scalarName(rd(w), size)}, ${scalarName(rn(w), size)}${info.zero ? ', #0.0' : ''}`;
  }
  const q = bits(w, 30, 1);
  const size = sizeOf(w);
  if (special === 'fcvtl') return `fcvtl${q ? '2' : ''}\t${vecName(rd(w), size, 1)}, ${vecName(rn(w), size - 1, q)}`;
  if (special === 'fcvtn' || special === 'fcvtxn')
    return `${special}${q ? '2' : ''}\t${vecName(rd(w), size - 1, q)}, ${vecName(rn(w), size, 1)}`;
  if (special !== null) return `${special}\t${vecName(rd(w), 2, q)}, ${vecName(rn(w), 2, q)}`;
  const info = VEC_FP1.get(fp1Key(w))!;
  return `${info.name}\t${vecName(rd(w), size, q)}, ${vecName(rn(w), size, q)}${info.zero ? ', #0.0' : ''}`;
}

function fp3Disasm(w: number): string {
  const size = sizeOf(w);
  const name = VEC_FP3.get(fp3Key(w))!.name;
  if (isScalar(w)) return `${name}\t${scalarName(rd(w), size)}, ${scalarName(rn(w), size)}, ${scalarName(rm(w), size)}`;
  const q = bits(w, 30, 1);
  return `${name}\t${vecName(rd(w), size, q)}, ${vecName(rn(w), size, q)}, ${vecName(rm(w), size, q)}`;
}

/**
 * Reductions: FMAXNMV/FMINNMV/FMAXV/FMINV over 4s (a tree, pairs first, as the ARM ARM's Reduce), and
 * the scalar pairwise FADDP/FMAXP/FMINP/FMAXNMP/FMINNMP over the two lanes of a 2s or 2d.
 */
const REDUCE_OPS = new Map<number, { name: string; op: BinaryFpOp }>([
  [0b0001100, { name: 'fmaxnm', op: FP2_OPS[6]! }],
  [0b0101100, { name: 'fminnm', op: FP2_OPS[7]! }],
  [0b0001101, { name: 'fadd', op: FP2_OPS[2]! }],
  [0b0001111, { name: 'fmax', op: FP2_OPS[4]! }],
  [0b0101111, { name: 'fmin', op: FP2_OPS[5]! }],
]);
const reduceKey = (w: number): number => (bits(w, 23, 1) << 5) | bits(w, 12, 5);

function reduceReserved(w: number): boolean {
  const info = REDUCE_OPS.get(reduceKey(w));
  if (info === undefined) return true;
  if (isScalar(w)) return false;
  return info.name === 'fadd' || bits(w, 22, 1) === 1 || bits(w, 30, 1) === 0;
}

function reduceExec(w: number): ExecFn {
  const { op } = REDUCE_OPS.get(reduceKey(w))!;
  const scalar = isScalar(w);
  const fmt = scalar ? vecFmt(w) : Format.SINGLE;
  const d = rd(w);
  const n = rn(w);
  return (cpu) => {
    checkFpAccess(cpu);
    const st = fpEnter(cpu);
    const v = cpu.v32;
    if (scalar) {
      const a = wordOf(n, fmt, 0);
      const b = wordOf(n, fmt, 1);
      op(st, fmt, v[a]!, v[a + 1]!, v[b]!, v[b + 1]!);
    } else {
      op(st, fmt, v[4 * n]!, 0, v[4 * n + 1]!, 0);
      const first = st.lo;
      op(st, fmt, v[4 * n + 2]!, 0, v[4 * n + 3]!, 0);
      op(st, fmt, first, 0, st.lo, 0);
    }
    storeLane(fmt, 0, st);
    commitLanes(cpu, d, 0, true, fmt);
    fpLeave(cpu, st);
  };
}

function reduceDisasm(w: number): string {
  const { name } = REDUCE_OPS.get(reduceKey(w))!;
  if (isScalar(w)) {
    const size = sizeOf(w);
    return `${name}p\t${scalarName(rd(w), size)}, ${vecName(rn(w), size, size === 3 ? 1 : 0)}`;
  }
  return `${name}v\t${scalarName(rd(w), 2)}, ${vecName(rn(w), 2, 1)}`;
}

/** SCVTF/UCVTF/FCVTZS/FCVTZU (vector and scalar) with #fbits, from the shift-by-immediate space. */
function fixedLayout(w: number): { fmt: FpFormat; fbits: number; toInt: boolean; unsigned: boolean } | null {
  const immh = bits(w, 19, 4);
  if (immh < 4) return null; // 0xxx: halves (v8.2) or unallocated
  const dbl = immh >= 8;
  const shiftBits = bits(w, 16, 7);
  const fbits = (dbl ? 128 : 64) - shiftBits;
  return {
    fmt: dbl ? Format.DOUBLE : Format.SINGLE,
    fbits,
    toInt: bits(w, 11, 5) === 0b11111,
    unsigned: bits(w, 29, 1) === 1,
  };
}

function fixedReserved(w: number): boolean {
  const opcode = bits(w, 11, 5);
  if (opcode !== 0b11100 && opcode !== 0b11111) return true;
  const layout = fixedLayout(w);
  if (layout === null) return true;
  return !isScalar(w) && layout.fmt === Format.DOUBLE && bits(w, 30, 1) === 0;
}

function fixedExec(w: number): ExecFn {
  const { fmt, fbits, toInt, unsigned } = fixedLayout(w)!;
  const scalar = isScalar(w);
  const count = scalar ? 1 : fmt === Format.DOUBLE ? 2 : bits(w, 30, 1) === 1 ? 4 : 2;
  const q = bits(w, 30, 1);
  const d = rd(w);
  const n = rn(w);
  const dbl = fmt === Format.DOUBLE;
  return (cpu) => {
    checkFpAccess(cpu);
    const st = fpEnter(cpu);
    const v = cpu.v32;
    for (let e = 0; e < count; e++) {
      const a = wordOf(n, fmt, e);
      if (toInt) st.lo = fpToFixed(st, fmt, v[a]!, v[a + 1]!, fbits, unsigned, dbl, Rounding.ZERO);
      else fixedToFp(st, fmt, v[a]!, v[a + 1]!, fbits, unsigned, dbl, st.rounding());
      storeLane(fmt, e, st);
    }
    commitLanes(cpu, d, q, scalar, fmt);
    fpLeave(cpu, st);
  };
}

function fixedDisasm(w: number): string {
  const { fmt, fbits, toInt, unsigned } = fixedLayout(w)!;
  const name = toInt ? (unsigned ? 'fcvtzu' : 'fcvtzs') : unsigned ? 'ucvtf' : 'scvtf';
  const size = fmt === Format.DOUBLE ? 3 : 2;
  if (isScalar(w)) return `${name}\t${scalarName(rd(w), size)}, ${scalarName(rn(w), size)}, #${fbits}`;
  const q = bits(w, 30, 1);
  return `${name}\t${vecName(rd(w), size, q)}, ${vecName(rn(w), size, q)}, #${fbits}`;
}

/** FMLA/FMLS/FMUL/FMULX by element (vector and scalar): Vm[index] multiplies every lane. */
const ELEM_NAMES = new Map<number, string>([
  [0b00001, 'fmla'],
  [0b00101, 'fmls'],
  [0b01001, 'fmul'],
  [0b11001, 'fmulx'],
]);
const elemKey = (w: number): number => (bits(w, 29, 1) << 4) | bits(w, 12, 4);

function elemLayout(w: number): { fmt: FpFormat; index: number; m: number } | null {
  const sz = bits(w, 22, 1);
  const l = bits(w, 21, 1);
  const h = bits(w, 11, 1);
  if (sz === 1 && l === 1) return null;
  const index = sz === 1 ? h : (h << 1) | l;
  return { fmt: sz === 1 ? Format.DOUBLE : Format.SINGLE, index, m: bits(w, 16, 5) };
}

function elemReserved(w: number): boolean {
  if (!ELEM_NAMES.has(elemKey(w)) || bits(w, 23, 1) === 0) return true; // size 0x: half precision (v8.2)
  const layout = elemLayout(w);
  if (layout === null) return true;
  return !isScalar(w) && layout.fmt === Format.DOUBLE && bits(w, 30, 1) === 0;
}

function elemExec(w: number): ExecFn {
  const name = ELEM_NAMES.get(elemKey(w))!;
  const { fmt, index, m } = elemLayout(w)!;
  const scalar = isScalar(w);
  const count = scalar ? 1 : fmt === Format.DOUBLE ? 2 : bits(w, 30, 1) === 1 ? 4 : 2;
  const q = bits(w, 30, 1);
  const d = rd(w);
  const n = rn(w);
  const dbl = fmt === Format.DOUBLE;
  const neg = name === 'fmls' ? SIGN_BITS[fmt] : 0;
  const op = name === 'fmulx' ? mulx : FP2_OPS[0]!;
  const fused = name === 'fmla' || name === 'fmls';
  return (cpu) => {
    checkFpAccess(cpu);
    const st = fpEnter(cpu);
    const v = cpu.v32;
    const b = wordOf(m, fmt, index);
    const bLo = v[b]!;
    const bHi = v[b + 1]!;
    for (let e = 0; e < count; e++) {
      const a = wordOf(n, fmt, e);
      if (fused) {
        const c = wordOf(d, fmt, e);
        const aLo = dbl ? v[a]! : v[a]! ^ neg;
        const aHi = dbl ? v[a + 1]! ^ neg : 0;
        fpMulAdd(st, fmt, v[c]!, v[c + 1]!, aLo, aHi, bLo, bHi);
      } else op(st, fmt, v[a]!, v[a + 1]!, bLo, bHi);
      storeLane(fmt, e, st);
    }
    commitLanes(cpu, d, q, scalar, fmt);
    fpLeave(cpu, st);
  };
}

function elemDisasm(w: number): string {
  const name = ELEM_NAMES.get(elemKey(w))!;
  const { fmt, index, m } = elemLayout(w)!;
  const size = fmt === Format.DOUBLE ? 3 : 2;
  const element = `v${m}.${size === 3 ? 'd' : 's'}[${index}]`;
  if (isScalar(w)) return `${name}\t${scalarName(rd(w), size)}, ${scalarName(rn(w), size)}, ${element}`;
  const q = bits(w, 30, 1);
  return `${name}\t${vecName(rd(w), size, q)}, ${vecName(rn(w), size, q)}, ${element}`;
}

const FP3_IMPL = { reserved: fp3Reserved, exec: fp3Exec, disasm: fp3Disasm };
const FP1_IMPL = { reserved: fp1Reserved, exec: fp1Exec, disasm: fp1Disasm };
const REDUCE_IMPL = { reserved: reduceReserved, exec: reduceExec, disasm: reduceDisasm };
const FIXED_IMPL = { reserved: fixedReserved, exec: fixedExec, disasm: fixedDisasm };
const ELEM_IMPL = { reserved: elemReserved, exec: elemExec, disasm: elemDisasm };

export const SIMD_FP: InsnEntry[] = [
  entry('SIMD_fp_three_same', '0xx01110 xx1xxxxx 11xxx1xx xxxxxxxx', FP3_IMPL),
  entry('SIMD_fp_three_same_scalar', '01x11110 xx1xxxxx 11xxx1xx xxxxxxxx', FP3_IMPL),
  entry('SIMD_fp_two_reg_misc', '0xx01110 xx10000x xxxx10xx xxxxxxxx', FP1_IMPL),
  entry('SIMD_fp_two_reg_misc_scalar', '01x11110 xx10000x xxxx10xx xxxxxxxx', FP1_IMPL),
  entry('SIMD_fp_across_lanes', '0x101110 xx11000x xxxx10xx xxxxxxxx', REDUCE_IMPL),
  entry('SIMD_fp_pairwise_scalar', '01111110 xx11000x xxxx10xx xxxxxxxx', REDUCE_IMPL),
  entry('SIMD_fp_fixed_convert', '0xx01111 0xxxxxxx 111xx1xx xxxxxxxx', FIXED_IMPL),
  entry('SIMD_fp_fixed_convert_scalar', '01x11111 0xxxxxxx 111xx1xx xxxxxxxx', FIXED_IMPL),
  entry('SIMD_fp_by_element', '0xx01111 xxxxxxxx xxxxx0xx xxxxxxxx', ELEM_IMPL),
  entry('SIMD_fp_by_element_scalar', '01x11111 xxxxxxxx xxxxx0xx xxxxxxxx', ELEM_IMPL),
];
