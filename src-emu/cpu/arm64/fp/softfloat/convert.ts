/**
 * FPConvert (between half, single and double), FPRoundInt, FPToFixed and FixedToFP of the ARM ARM.
 */
import { FPCR, FPSR, Format, Rounding } from './status';
import type { FpFormat, FpStatus, RoundingMode } from './status';
import { twoSumError } from './bits';
import { roundPack, writeBits, writeInfinity, writeZero } from './round';
import { writeExact } from './compare';
import { FpType, isNegative, processNaN, unpack, unpacked, writeDefaultNaN } from './unpack';

const TWO_32 = 4294967296;

/** The NaN payload below the quiet bit, left-aligned to 51 bits (FPConvertNaN keeps the top bits). */
function nanPayload(fmt: FpFormat, lo: number, hi: number): number {
  if (fmt === Format.DOUBLE) return (hi & 0x7ffff) * TWO_32 + (lo >>> 0);
  if (fmt === Format.SINGLE) return (lo & 0x3fffff) * 2 ** 29;
  return (lo & 0x1ff) * 2 ** 42;
}

function nanIsNegative(fmt: FpFormat, lo: number, hi: number): boolean {
  return fmt === Format.DOUBLE ? hi < 0 : fmt === Format.SINGLE ? lo < 0 : (lo & 0x8000) !== 0;
}

function convertNaN(st: FpStatus, from: FpFormat, to: FpFormat, signalling: boolean, lo: number, hi: number): number {
  const negative = nanIsNegative(from, lo, hi);
  if (to === Format.HALF && (st.fpcr & FPCR.AHP) !== 0) {
    st.fpsr |= FPSR.IOC; // alternative half precision has no NaN
    return writeZero(st, to, negative);
  }
  if (signalling) st.fpsr |= FPSR.IOC;
  if ((st.fpcr & FPCR.DN) !== 0) return writeDefaultNaN(st, to);
  const payload = nanPayload(from, lo, hi);
  if (to === Format.DOUBLE) {
    const top = Math.floor(payload / TWO_32);
    return writeBits(st, to, negative, 0x7ff80000 | top, payload - top * TWO_32);
  }
  if (to === Format.SINGLE) return writeBits(st, to, negative, 0x7fc00000 | Math.floor(payload / 2 ** 29), 0);
  return writeBits(st, to, negative, 0x7e00 | Math.floor(payload / 2 ** 42), 0);
}

/** FPConvert: `from` bits (lo, hi) to `to` bits, rounding with `mode` (FCVT uses FPCR's mode, FCVTXN odd). */
export function fpConvert(
  st: FpStatus,
  from: FpFormat,
  to: FpFormat,
  lo: number,
  hi: number,
  mode: RoundingMode,
): number {
  const t = unpack(st, from, 0, lo, hi);
  if (t >= FpType.QNAN) return convertNaN(st, from, to, t === FpType.SNAN, lo, hi);
  const v = unpacked[0]!;
  if (t === FpType.INFINITY) {
    if (to === Format.HALF && (st.fpcr & FPCR.AHP) !== 0) {
      st.fpsr |= FPSR.IOC;
      return writeBits(st, to, v < 0, 0x7fff, 0);
    }
    return writeInfinity(st, to, v < 0);
  }
  if (t === FpType.ZERO) return writeZero(st, to, isNegative(v));
  return roundPack(st, to, v, 0, 0, mode);
}

/** Rounds a finite number to an integral value (as a number) under `mode`; sets `roundInexact`. */
let roundInexact = false;
function roundIntegral(v: number, mode: RoundingMode): number {
  const n = Math.floor(v);
  const error = v - n; // exact: |v| below 2^52 or v already integral
  roundInexact = error !== 0;
  let up: boolean;
  switch (mode) {
    case Rounding.TIEEVEN:
      up = error > 0.5 || (error === 0.5 && n % 2 !== 0);
      break;
    case Rounding.POSINF:
      up = error !== 0;
      break;
    case Rounding.ZERO:
      up = error !== 0 && n < 0;
      break;
    case Rounding.TIEAWAY:
      up = error > 0.5 || (error === 0.5 && n >= 0);
      break;
    default:
      up = false;
  }
  return up ? n + 1 : n;
}

/** FPRoundInt (FRINTN/P/M/Z/A/I; with exact = true FRINTX, which raises IXC when the value changes). */
export function fpRoundInt(
  st: FpStatus,
  fmt: FpFormat,
  lo: number,
  hi: number,
  mode: RoundingMode,
  exact: boolean,
): number {
  const t = unpack(st, fmt, 0, lo, hi);
  if (t >= FpType.QNAN) return processNaN(st, fmt, t, lo, hi);
  const v = unpacked[0]!;
  if (t === FpType.INFINITY) return writeInfinity(st, fmt, v < 0);
  if (t === FpType.ZERO) return writeZero(st, fmt, isNegative(v));
  const r = roundIntegral(v, mode);
  if (roundInexact && exact) st.fpsr |= FPSR.IXC;
  if (r === 0) return writeZero(st, fmt, v < 0);
  return writeExact(st, fmt, r);
}

/**
 * FPToFixed: the value times 2^fbits rounded to a (un)signed 32- or 64-bit integer, saturating with IOC.
 * Returns the low word; a 64-bit result's high word is left in st.hi.
 */
export function fpToFixed(
  st: FpStatus,
  fmt: FpFormat,
  lo: number,
  hi: number,
  fbits: number,
  unsigned: boolean,
  bits64: boolean,
  mode: RoundingMode,
): number {
  const t = unpack(st, fmt, 0, lo, hi);
  if (t >= FpType.QNAN) {
    st.fpsr |= FPSR.IOC;
    st.hi = 0;
    st.lo = 0;
    return 0;
  }
  const n = roundIntegral(unpacked[0]! * 2 ** fbits, mode); // infinities stay infinite and saturate
  const inexact = roundInexact;
  const max = bits64 ? (unsigned ? 2 ** 64 : 2 ** 63) : unsigned ? TWO_32 : 2 ** 31; // exclusive
  const min = unsigned ? 0 : -max;
  if (n >= max || n < min) {
    st.fpsr |= FPSR.IOC;
    if (n < min) {
      st.lo = 0;
      st.hi = bits64 && !unsigned ? 0x80000000 | 0 : 0;
      if (!bits64 && !unsigned) st.lo = 0x80000000 | 0;
    } else {
      st.lo = unsigned || bits64 ? -1 : 0x7fffffff;
      st.hi = bits64 ? (unsigned ? -1 : 0x7fffffff) : 0;
    }
    return st.lo;
  }
  if (inexact) st.fpsr |= FPSR.IXC;
  const high = Math.floor(n / TWO_32);
  st.hi = bits64 ? high | 0 : 0;
  st.lo = (n - high * TWO_32) | 0;
  return st.lo;
}

/**
 * FixedToFP: a 32-bit (lo) or 64-bit (lo, hi) integer divided by 2^fbits, rounded to `fmt`.
 */
export function fixedToFp(
  st: FpStatus,
  fmt: FpFormat,
  lo: number,
  hi: number,
  fbits: number,
  unsigned: boolean,
  bits64: boolean,
  mode: RoundingMode,
): number {
  let h = 0;
  let l: number;
  if (bits64) {
    h = (unsigned ? hi >>> 0 : hi | 0) * TWO_32;
    l = lo >>> 0;
  } else {
    l = unsigned ? lo >>> 0 : lo | 0;
  }
  const s = h + l;
  if (s === 0) return writeZero(st, fmt, false);
  return roundPack(st, fmt, s, twoSumError(h, l, s), -fbits, mode);
}
