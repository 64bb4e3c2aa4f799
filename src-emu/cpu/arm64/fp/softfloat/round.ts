/**
 * FPRoundBase of the ARM ARM: rounds an exact value to half, single or double bits, raising
 * IXC/UFC/OFC as ARM does (tininess detected before rounding; flush-to-zero of tiny results when FPCR.FZ
 * is set, except for half precision, which v8.0 never flushes).
 *
 * The exact value arrives as (hi + lo) * 2^scale where hi and lo are doubles, hi is non-zero and lo is
 * smaller than one unit in the last place of hi (only its sign matters when it is far smaller). Every
 * arithmetic operation produces such a pair with error-free transformations.
 */
import { FPCR, FPSR, Format, Rounding } from './status';
import type { FpFormat, FpStatus, RoundingMode } from './status';
import { exponentOf, pow2, scaleByPow2 } from './bits';

/** Precision in bits (with the hidden bit), indexed by format. */
export const PRECISION = [11, 24, 53] as const;
/** Minimum normal exponent, indexed by format. */
export const EMIN = [-14, -126, -1022] as const;
/** Maximum normal exponent, indexed by format. */
export const EMAX = [15, 127, 1023] as const;
/** Bits of positive infinity (high word for double), indexed by format. */
export const INF_BITS = [0x7c00, 0x7f800000, 0x7ff00000] as const;
/** Bits of the largest normal (high word for double; the low word is all ones). */
export const MAX_BITS = [0x7bff, 0x7f7fffff, 0x7fefffff] as const;
/** Sign bit (of the high word for double). */
export const SIGN_BITS = [0x8000, 0x80000000 | 0, 0x80000000 | 0] as const;

const REM_EXACT = 0;
const REM_BELOW_HALF = 1;
const REM_HALF = 2;
const REM_ABOVE_HALF = 3;

// Out-parameters of splitAtRoundingPoint (module scratch: no allocation per operation).
let splitInt = 0;
let splitRem = REM_EXACT;

/**
 * Splits (h + l) * 2^f, h in [1,2] with at most 53 significant bits, |l| < ulp(h), into its integer part
 * and the class of the remainder relative to one half.
 */
function splitAtRoundingPoint(h: number, l: number, f: number): void {
  if (f <= -2) {
    splitInt = 0;
    splitRem = REM_BELOW_HALF; // below half of the smallest unit, but not zero
    return;
  }
  const x = h * pow2(f);
  const lf = l * pow2(f);
  let n = Math.floor(x);
  const frac = x - n;
  let rem: number;
  if (frac === 0) {
    if (lf === 0) rem = REM_EXACT;
    else if (lf > 0) rem = lf < 0.5 ? REM_BELOW_HALF : lf === 0.5 ? REM_HALF : REM_ABOVE_HALF;
    else {
      const m = -lf; // value is n - m, i.e. (n - 1) + (1 - m)
      n -= 1;
      if (m < 0.5) rem = REM_ABOVE_HALF;
      else if (m === 0.5) rem = REM_HALF;
      else if (m < 1) rem = REM_BELOW_HALF;
      else {
        n += 1;
        rem = REM_EXACT;
      }
    }
  } else if (frac !== 0.5) {
    // frac is a multiple of a unit larger than |lf|, so lf cannot move it across 0 or one half
    rem = frac < 0.5 ? REM_BELOW_HALF : REM_ABOVE_HALF;
  } else {
    rem = lf === 0 ? REM_HALF : lf > 0 ? REM_ABOVE_HALF : REM_BELOW_HALF;
  }
  splitInt = n;
  splitRem = rem;
}

function roundsUp(rem: number, odd: boolean, negative: boolean, mode: RoundingMode): boolean {
  if (rem === REM_EXACT) return false;
  switch (mode) {
    case Rounding.TIEEVEN:
      return rem === REM_ABOVE_HALF || (rem === REM_HALF && odd);
    case Rounding.POSINF:
      return !negative;
    case Rounding.NEGINF:
      return negative;
    case Rounding.TIEAWAY:
      return rem >= REM_HALF;
    default:
      return false; // ZERO and ODD truncate
  }
}

/** Writes the overflowed result of ARM's FPRoundBase: infinity or the largest normal. */
function overflow(st: FpStatus, fmt: FpFormat, negative: boolean, mode: RoundingMode): number {
  const toInf =
    mode === Rounding.TIEEVEN ||
    mode === Rounding.TIEAWAY ||
    (mode === Rounding.POSINF && !negative) ||
    (mode === Rounding.NEGINF && negative);
  st.fpsr |= FPSR.OFC | FPSR.IXC;
  return writeBits(st, fmt, negative, toInf ? INF_BITS[fmt] : MAX_BITS[fmt], toInf ? 0 : -1);
}

/** Stores sign|magnitude bits as the result; for doubles `magHi` is the high word and `magLo` the low. */
export function writeBits(st: FpStatus, fmt: FpFormat, negative: boolean, magHi: number, magLo: number): number {
  const sign = negative ? SIGN_BITS[fmt] : 0;
  if (fmt === Format.DOUBLE) {
    st.hi = magHi | sign;
    st.lo = magLo | 0;
  } else {
    st.hi = 0;
    st.lo = magHi | sign;
  }
  return st.lo;
}

/** Writes a signed zero of the format. */
export function writeZero(st: FpStatus, fmt: FpFormat, negative: boolean): number {
  return writeBits(st, fmt, negative, 0, 0);
}

/** Writes a signed infinity of the format. */
export function writeInfinity(st: FpStatus, fmt: FpFormat, negative: boolean): number {
  return writeBits(st, fmt, negative, INF_BITS[fmt], 0);
}

/**
 * Rounds (hi + lo) * 2^scale (hi non-zero) to `fmt` under `mode`, raising flags; see the file comment.
 * Returns the low word of the result (the whole result for half and single) and stores it in st.
 */
export function roundPack(
  st: FpStatus,
  fmt: FpFormat,
  hi: number,
  lo: number,
  scale: number,
  mode: RoundingMode,
): number {
  const negative = hi < 0;
  const k = exponentOf(hi);
  let h = scaleByPow2(negative ? -hi : hi, -k);
  let l = scaleByPow2(negative ? -lo : lo, -k);
  if (l === 0 && lo !== 0) l = (negative ? -lo : lo) > 0 ? 2 ** -200 : -(2 ** -200);
  let e = k + scale;
  if (h === 1 && l < 0) {
    // the value is just below a power of two: its leading bit is one binade lower
    h = 2;
    l *= 2;
    e -= 1;
  }
  const p = PRECISION[fmt];
  const emin = EMIN[fmt];
  const tiny = e < emin;
  if (tiny && fmt !== Format.HALF && (st.fpcr & FPCR.FZ) !== 0) {
    st.fpsr |= FPSR.UFC;
    return writeZero(st, fmt, negative);
  }
  splitAtRoundingPoint(h, l, tiny ? p - 1 - (emin - e) : p - 1);
  let n = splitInt;
  const rem = splitRem;
  if (roundsUp(rem, n % 2 !== 0, negative, mode)) n += 1;
  if (mode === Rounding.ODD && rem !== REM_EXACT && n % 2 === 0) n += 1;
  if (rem !== REM_EXACT && tiny) st.fpsr |= FPSR.UFC;
  // n includes the hidden bit, so adding (e - emin) << (p-1) yields biased exponent e - emin + 1
  const biasedBase = tiny ? 0 : e - emin;
  const expField = biasedBase + (n >= 2 ** p ? 2 : n >= 2 ** (p - 1) ? 1 : 0);
  if (fmt === Format.HALF && (st.fpcr & FPCR.AHP) !== 0) {
    if (expField > 31) {
      st.fpsr |= FPSR.IOC;
      return writeBits(st, fmt, negative, 0x7fff, 0);
    }
  } else if (expField >= 2 * EMAX[fmt] + 1) {
    return overflow(st, fmt, negative, mode);
  }
  if (rem !== REM_EXACT) st.fpsr |= FPSR.IXC;
  if (fmt === Format.DOUBLE) {
    const nHi = Math.floor(n / 4294967296);
    return writeBits(st, fmt, negative, biasedBase * 1048576 + nHi, n - nHi * 4294967296);
  }
  return writeBits(st, fmt, negative, biasedBase * 2 ** (p - 1) + n, 0);
}
