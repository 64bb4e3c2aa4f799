/**
 * The per-format entry points instructions call: single operations take and return bits, double
 * operations take (lo, hi) word pairs and leave the result in st.lo/st.hi.
 *
 * Each has a fast path for round-to-nearest on normal operands with a normal result, where host
 * arithmetic is already the IEEE result and only the inexact flag must be found (error-free
 * transformations; for singles, double rounding through a double is innocuous since 53 >= 2*24 + 2).
 * Everything else takes the general path in arith.ts.
 */
import { FPCR, FPSR, Format } from './status';
import type { FpStatus } from './status';
import { f32FromBits, f32ToBits, f64FromWords, f64HiWordOfLast, f64LoWord, twoProductError, twoSumError } from './bits';
import { fpAdd, fpDiv, fpMul, fpSqrt } from './arith';
import { fpMulAdd } from './fma';

const RMODE_MASK = 3 << FPCR.RMODE_SHIFT;
const MIN_NORMAL32 = 2 ** -126;
const MIN_NORMAL64 = 2 ** -1022;

/** True for a single whose exponent field is neither 0 nor all ones. */
function normal32(bits: number): boolean {
  return (((bits >>> 23) & 0xff) - 1) >>> 0 < 0xfe;
}

/** True for a double high word with an exponent field in [lo, hi]. */
function exponent64Within(hi: number, lo: number, top: number): boolean {
  const e = (hi >>> 20) & 0x7ff;
  return e >= lo && e <= top;
}

function result32(st: FpStatus, value: number, inexact: boolean): number {
  if (inexact) st.fpsr |= FPSR.IXC;
  st.lo = f32ToBits(value);
  return st.lo;
}

function result64(st: FpStatus, value: number, inexact: boolean): void {
  if (inexact) st.fpsr |= FPSR.IXC;
  st.lo = f64LoWord(value);
  st.hi = f64HiWordOfLast();
}

/** A single result that is normal (so neither tiny nor overflowed) and came from the fast path. */
function fastNormal32(r: number): boolean {
  const m = Math.abs(r);
  return m > MIN_NORMAL32 && m !== Infinity;
}

export function f32Add(st: FpStatus, a: number, b: number): number {
  if (normal32(a) && normal32(b) && (st.fpcr & RMODE_MASK) === 0) {
    const x = f32FromBits(a);
    const y = f32FromBits(b);
    const s = x + y;
    const r = Math.fround(s);
    if (fastNormal32(r)) return result32(st, r, r !== s || twoSumError(x, y, s) !== 0);
  }
  return fpAdd(st, Format.SINGLE, a, 0, b, 0, false);
}

export function f32Sub(st: FpStatus, a: number, b: number): number {
  if (normal32(a) && normal32(b) && (st.fpcr & RMODE_MASK) === 0) {
    const x = f32FromBits(a);
    const y = -f32FromBits(b);
    const s = x + y;
    const r = Math.fround(s);
    if (fastNormal32(r)) return result32(st, r, r !== s || twoSumError(x, y, s) !== 0);
  }
  return fpAdd(st, Format.SINGLE, a, 0, b, 0, true);
}

export function f32Mul(st: FpStatus, a: number, b: number): number {
  if (normal32(a) && normal32(b) && (st.fpcr & RMODE_MASK) === 0) {
    const s = f32FromBits(a) * f32FromBits(b); // exact
    const r = Math.fround(s);
    if (fastNormal32(r)) return result32(st, r, r !== s);
  }
  return fpMul(st, Format.SINGLE, a, 0, b, 0);
}

export function f32Div(st: FpStatus, a: number, b: number): number {
  if (normal32(a) && normal32(b) && (st.fpcr & RMODE_MASK) === 0) {
    const x = f32FromBits(a);
    const y = f32FromBits(b);
    const r = Math.fround(x / y);
    if (fastNormal32(r)) return result32(st, r, r * y !== x); // r * y is exact in double
  }
  return fpDiv(st, Format.SINGLE, a, 0, b, 0);
}

export function f32Sqrt(st: FpStatus, a: number): number {
  if (normal32(a) && a > 0 && (st.fpcr & RMODE_MASK) === 0) {
    const x = f32FromBits(a);
    const r = Math.fround(Math.sqrt(x));
    return result32(st, r, r * r !== x);
  }
  return fpSqrt(st, Format.SINGLE, a, 0);
}

/** c + a * b rounded once (FMADD's FPMulAdd(addend, op1, op2)). */
export function f32MulAdd(st: FpStatus, c: number, a: number, b: number): number {
  return fpMulAdd(st, Format.SINGLE, c, 0, a, 0, b, 0);
}

export function f64Add(st: FpStatus, aLo: number, aHi: number, bLo: number, bHi: number): void {
  if (exponent64Within(aHi, 1, 0x7fe) && exponent64Within(bHi, 1, 0x7fe) && (st.fpcr & RMODE_MASK) === 0) {
    const x = f64FromWords(aLo, aHi);
    const y = f64FromWords(bLo, bHi);
    const s = x + y;
    const m = Math.abs(s);
    if (m > MIN_NORMAL64 && m !== Infinity) return result64(st, s, twoSumError(x, y, s) !== 0);
  }
  fpAdd(st, Format.DOUBLE, aLo, aHi, bLo, bHi, false);
}

export function f64Sub(st: FpStatus, aLo: number, aHi: number, bLo: number, bHi: number): void {
  if (exponent64Within(aHi, 1, 0x7fe) && exponent64Within(bHi, 1, 0x7fe) && (st.fpcr & RMODE_MASK) === 0) {
    const x = f64FromWords(aLo, aHi);
    const y = -f64FromWords(bLo, bHi);
    const s = x + y;
    const m = Math.abs(s);
    if (m > MIN_NORMAL64 && m !== Infinity) return result64(st, s, twoSumError(x, y, s) !== 0);
  }
  fpAdd(st, Format.DOUBLE, aLo, aHi, bLo, bHi, true);
}

// Operands within [2^-767, 2^768) keep Dekker's splitting and the product error in range.
const SAFE_LO = 0x100;
const SAFE_HI = 0x6ff;

export function f64Mul(st: FpStatus, aLo: number, aHi: number, bLo: number, bHi: number): void {
  if (exponent64Within(aHi, SAFE_LO, SAFE_HI) && exponent64Within(bHi, SAFE_LO, SAFE_HI)) {
    if ((st.fpcr & RMODE_MASK) === 0) {
      const x = f64FromWords(aLo, aHi);
      const y = f64FromWords(bLo, bHi);
      const p = x * y;
      const m = Math.abs(p);
      if (m > 2 ** -969 && m !== Infinity) return result64(st, p, twoProductError(x, y, p) !== 0);
    }
  }
  fpMul(st, Format.DOUBLE, aLo, aHi, bLo, bHi);
}

export function f64Div(st: FpStatus, aLo: number, aHi: number, bLo: number, bHi: number): void {
  if (exponent64Within(aHi, SAFE_LO, SAFE_HI) && exponent64Within(bHi, SAFE_LO, SAFE_HI)) {
    if ((st.fpcr & RMODE_MASK) === 0) {
      const x = f64FromWords(aLo, aHi);
      const y = f64FromWords(bLo, bHi);
      const q = x / y; // within [2^-1535, 2^1535): check the range before trusting it
      const m = Math.abs(q);
      if (m > 2 ** -969 && m < 2 ** 995) {
        const ph = q * y;
        return result64(st, q, x - ph - twoProductError(q, y, ph) !== 0);
      }
    }
  }
  fpDiv(st, Format.DOUBLE, aLo, aHi, bLo, bHi);
}

export function f64Sqrt(st: FpStatus, aLo: number, aHi: number): void {
  if (aHi > 0 && exponent64Within(aHi, SAFE_LO, SAFE_HI) && (st.fpcr & RMODE_MASK) === 0) {
    const x = f64FromWords(aLo, aHi);
    const s = Math.sqrt(x);
    const ph = s * s;
    return result64(st, s, x - ph - twoProductError(s, s, ph) !== 0);
  }
  fpSqrt(st, Format.DOUBLE, aLo, aHi);
}

/**
 * Round-to-odd of the sum s = RN(x + y) whose rounding error is err: truncate toward zero, then set the
 * last bit when anything was dropped (Boldo and Melquiond's emulation of FMA relies on it).
 */
function roundToOdd(s: number, err: number): number {
  if (err === 0) return s;
  let lo = f64LoWord(s);
  let hi = f64HiWordOfLast();
  if (err < 0 !== s < 0) {
    // RN rounded away from zero: the truncation is the next value toward zero (one less in magnitude bits)
    if (lo === 0) hi -= 1;
    lo -= 1;
  }
  return f64FromWords(lo | 1, hi);
}

/**
 * c + a * b rounded once. In round-to-nearest with every operand and the result comfortably inside
 * the normal range this is RN(uh + RO(ul + pl)) with (ph, pl) = TwoProduct(a, b), (uh, ul) =
 * TwoSum(c, ph) (Boldo and Melquiond, "Emulation of FMA and correctly rounded sums", 2008); otherwise
 * the exact limb path in fma.ts.
 */
export function f64MulAdd(
  st: FpStatus,
  cLo: number,
  cHi: number,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
): void {
  if (
    (st.fpcr & RMODE_MASK) === 0 &&
    exponent64Within(aHi, SAFE_LO, SAFE_HI) &&
    exponent64Within(bHi, SAFE_LO, SAFE_HI) &&
    exponent64Within(cHi, SAFE_LO, SAFE_HI)
  ) {
    const a = f64FromWords(aLo, aHi);
    const b = f64FromWords(bLo, bHi);
    const c = f64FromWords(cLo, cHi);
    const ph = a * b;
    const m = Math.abs(ph);
    if (m > 2 ** -767 && m < 2 ** 768) {
      const pl = twoProductError(a, b, ph);
      const uh = c + ph;
      const ul = twoSumError(c, ph, uh);
      const t = ul + pl;
      const tErr = twoSumError(ul, pl, t);
      const v = roundToOdd(t, tErr);
      const r = uh + v;
      const mr = Math.abs(r);
      if (mr > 2 ** -900 && mr < 2 ** 1000) return result64(st, r, tErr !== 0 || twoSumError(uh, v, r) !== 0);
    }
  }
  fpMulAdd(st, Format.DOUBLE, cLo, cHi, aLo, aHi, bLo, bHi);
}
