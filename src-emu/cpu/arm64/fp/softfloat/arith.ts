/**
 * FPAdd, FPSub, FPMul, FPDiv, FPSqrt of the ARM ARM for any format: special operands first, then the
 * exact result as an error-free (hi, lo) pair rounded once by roundPack.
 *
 * Operands and results are bits: `lo` holds half/single bits, doubles are (lo, hi) words. Results are
 * returned (low word) and left in st.lo/st.hi.
 */
import { FPSR, Rounding } from './status';
import type { FpFormat, FpStatus, RoundingMode } from './status';
import { exponentOf, scaleByPow2, twoProductError, twoSumError } from './bits';
import { roundPack, writeInfinity, writeZero } from './round';
import { FpType, isNegative, processNaN, processNaNs2, unpack, unpacked, writeDefaultNaN } from './unpack';

/** Rounds a + b for finite a, b that are not two zeros of the same sign. */
export function addFinite(st: FpStatus, fmt: FpFormat, a: number, b: number, mode: RoundingMode): number {
  const s = a + b;
  if (s === Infinity || s === -Infinity) {
    // only doubles overflow here, and then both are large enough to halve exactly
    const a2 = a * 0.5;
    const b2 = b * 0.5;
    const s2 = a2 + b2;
    return roundPack(st, fmt, s2, twoSumError(a2, b2, s2), 1, mode);
  }
  if (s === 0) return writeZero(st, fmt, mode === Rounding.NEGINF);
  return roundPack(st, fmt, s, twoSumError(a, b, s), 0, mode);
}

/** Rounds a * b for finite non-zero a, b. */
export function mulFinite(st: FpStatus, fmt: FpFormat, a: number, b: number, mode: RoundingMode): number {
  const ka = exponentOf(a);
  const kb = exponentOf(b);
  const ma = scaleByPow2(a, -ka);
  const mb = scaleByPow2(b, -kb);
  const p = ma * mb;
  return roundPack(st, fmt, p, twoProductError(ma, mb, p), ka + kb, mode);
}

/** Rounds a / b for finite non-zero a, b, from the correctly rounded quotient and the sign of its remainder. */
export function divFinite(st: FpStatus, fmt: FpFormat, a: number, b: number, mode: RoundingMode): number {
  const negative = a < 0 !== b < 0;
  const ka = exponentOf(a);
  const kb = exponentOf(b);
  const ma = scaleByPow2(Math.abs(a), -ka);
  const mb = scaleByPow2(Math.abs(b), -kb);
  const q = ma / mb;
  const ph = q * mb;
  const remainder = ma - ph - twoProductError(q, mb, ph); // exact (Sterbenz), and representable
  const tail = remainder === 0 ? 0 : remainder > 0 ? q * 2 ** -60 : -q * 2 ** -60;
  return roundPack(st, fmt, negative ? -q : q, negative ? -tail : tail, ka - kb, mode);
}

/** Rounds sqrt(a) for finite positive a. */
export function sqrtFinite(st: FpStatus, fmt: FpFormat, a: number, mode: RoundingMode): number {
  let k = exponentOf(a);
  if ((k & 1) !== 0) k -= 1;
  const m = scaleByPow2(a, -k); // in [1, 4)
  const s = Math.sqrt(m);
  const ph = s * s;
  const remainder = m - ph - twoProductError(s, s, ph);
  const tail = remainder === 0 ? 0 : remainder > 0 ? s * 2 ** -60 : -s * 2 ** -60;
  return roundPack(st, fmt, s, tail, k / 2, mode);
}

/** FPAdd (negate = false) and FPSub (negate = true). */
export function fpAdd(
  st: FpStatus,
  fmt: FpFormat,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
  negate: boolean,
): number {
  const t1 = unpack(st, fmt, 0, aLo, aHi);
  const t2 = unpack(st, fmt, 1, bLo, bHi);
  if (t1 >= FpType.QNAN || t2 >= FpType.QNAN) return processNaNs2(st, fmt, t1, aLo, aHi, t2, bLo, bHi);
  const a = unpacked[0]!;
  const b = negate ? -unpacked[1]! : unpacked[1]!;
  if (t1 === FpType.INFINITY || t2 === FpType.INFINITY) {
    if (t1 === FpType.INFINITY && t2 === FpType.INFINITY && a !== b) {
      st.fpsr |= FPSR.IOC;
      return writeDefaultNaN(st, fmt);
    }
    return writeInfinity(st, fmt, (t1 === FpType.INFINITY ? a : b) < 0);
  }
  if (t1 === FpType.ZERO && t2 === FpType.ZERO && isNegative(a) === isNegative(b)) {
    return writeZero(st, fmt, isNegative(a));
  }
  return addFinite(st, fmt, a, b, st.rounding());
}

/** FPMul. */
export function fpMul(st: FpStatus, fmt: FpFormat, aLo: number, aHi: number, bLo: number, bHi: number): number {
  const t1 = unpack(st, fmt, 0, aLo, aHi);
  const t2 = unpack(st, fmt, 1, bLo, bHi);
  if (t1 >= FpType.QNAN || t2 >= FpType.QNAN) return processNaNs2(st, fmt, t1, aLo, aHi, t2, bLo, bHi);
  const a = unpacked[0]!;
  const b = unpacked[1]!;
  const negative = isNegative(a) !== isNegative(b);
  if ((t1 === FpType.INFINITY && t2 === FpType.ZERO) || (t1 === FpType.ZERO && t2 === FpType.INFINITY)) {
    st.fpsr |= FPSR.IOC;
    return writeDefaultNaN(st, fmt);
  }
  if (t1 === FpType.INFINITY || t2 === FpType.INFINITY) return writeInfinity(st, fmt, negative);
  if (t1 === FpType.ZERO || t2 === FpType.ZERO) return writeZero(st, fmt, negative);
  return mulFinite(st, fmt, a, b, st.rounding());
}

/** FPDiv. */
export function fpDiv(st: FpStatus, fmt: FpFormat, aLo: number, aHi: number, bLo: number, bHi: number): number {
  const t1 = unpack(st, fmt, 0, aLo, aHi);
  const t2 = unpack(st, fmt, 1, bLo, bHi);
  if (t1 >= FpType.QNAN || t2 >= FpType.QNAN) return processNaNs2(st, fmt, t1, aLo, aHi, t2, bLo, bHi);
  const a = unpacked[0]!;
  const b = unpacked[1]!;
  const negative = isNegative(a) !== isNegative(b);
  if ((t1 === FpType.INFINITY && t2 === FpType.INFINITY) || (t1 === FpType.ZERO && t2 === FpType.ZERO)) {
    st.fpsr |= FPSR.IOC;
    return writeDefaultNaN(st, fmt);
  }
  if (t1 === FpType.INFINITY || t2 === FpType.ZERO) {
    if (t1 !== FpType.INFINITY) st.fpsr |= FPSR.DZC;
    return writeInfinity(st, fmt, negative);
  }
  if (t1 === FpType.ZERO || t2 === FpType.INFINITY) return writeZero(st, fmt, negative);
  return divFinite(st, fmt, a, b, st.rounding());
}

/** FPSqrt. */
export function fpSqrt(st: FpStatus, fmt: FpFormat, aLo: number, aHi: number): number {
  const t = unpack(st, fmt, 0, aLo, aHi);
  if (t >= FpType.QNAN) return processNaN(st, fmt, t, aLo, aHi);
  const a = unpacked[0]!;
  if (t === FpType.ZERO) return writeZero(st, fmt, isNegative(a));
  if (a < 0) {
    st.fpsr |= FPSR.IOC;
    return writeDefaultNaN(st, fmt);
  }
  if (t === FpType.INFINITY) return writeInfinity(st, fmt, false);
  return sqrtFinite(st, fmt, a, st.rounding());
}
