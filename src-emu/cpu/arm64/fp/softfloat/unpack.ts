/**
 * FPUnpack and NaN processing of the ARM ARM (FPUnpack, FPProcessNaN, FPProcessNaNs, FPProcessNaNs3).
 *
 * An operand is unpacked into a type code and, for numbers, its value in a slot of `unpacked`; NaNs keep
 * their bits (the caller still holds them) so payloads survive exactly.
 */
import { FPCR, FPSR, Format } from './status';
import type { FpFormat, FpStatus } from './status';
import { f16ToNumber, f32FromBits, f64FromWords } from './bits';
import { writeBits } from './round';

export const FpType = { ZERO: 0, NUMBER: 1, INFINITY: 2, QNAN: 3, SNAN: 4 } as const;
export type FpTypeCode = (typeof FpType)[keyof typeof FpType];

/** Values of unpacked operands, by slot (0-2). Zeros keep their sign (-0). */
export const unpacked = new Float64Array(3);

/** FPUnpack of a single: flushes a denormal to a signed zero (raising IDC) when FPCR.FZ is set. */
export function unpack32(st: FpStatus, slot: number, bits: number): FpTypeCode {
  const exp = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (exp === 0) {
    if (frac !== 0 && (st.fpcr & FPCR.FZ) === 0) {
      unpacked[slot] = f32FromBits(bits);
      return FpType.NUMBER;
    }
    if (frac !== 0) st.fpsr |= FPSR.IDC;
    unpacked[slot] = bits < 0 ? -0 : 0;
    return FpType.ZERO;
  }
  if (exp === 0xff) {
    if (frac === 0) {
      unpacked[slot] = bits < 0 ? -Infinity : Infinity;
      return FpType.INFINITY;
    }
    return (frac & 0x400000) !== 0 ? FpType.QNAN : FpType.SNAN;
  }
  unpacked[slot] = f32FromBits(bits);
  return FpType.NUMBER;
}

/** FPUnpack of a double given as (lo, hi) words. */
export function unpack64(st: FpStatus, slot: number, lo: number, hi: number): FpTypeCode {
  const exp = (hi >>> 20) & 0x7ff;
  const fracZero = (hi & 0xfffff) === 0 && lo === 0;
  if (exp === 0) {
    if (!fracZero && (st.fpcr & FPCR.FZ) === 0) {
      unpacked[slot] = f64FromWords(lo, hi);
      return FpType.NUMBER;
    }
    if (!fracZero) st.fpsr |= FPSR.IDC;
    unpacked[slot] = hi < 0 ? -0 : 0;
    return FpType.ZERO;
  }
  if (exp === 0x7ff) {
    if (fracZero) {
      unpacked[slot] = hi < 0 ? -Infinity : Infinity;
      return FpType.INFINITY;
    }
    return (hi & 0x80000) !== 0 ? FpType.QNAN : FpType.SNAN;
  }
  unpacked[slot] = f64FromWords(lo, hi);
  return FpType.NUMBER;
}

/** FPUnpackCV of a half (v8.0 never flushes halves); with FPCR.AHP there are no infinities or NaNs. */
export function unpack16(st: FpStatus, slot: number, bits: number): FpTypeCode {
  const ahp = (st.fpcr & FPCR.AHP) !== 0;
  const exp = (bits >>> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0x1f && !ahp) {
    if (frac === 0) {
      unpacked[slot] = (bits & 0x8000) !== 0 ? -Infinity : Infinity;
      return FpType.INFINITY;
    }
    return (frac & 0x200) !== 0 ? FpType.QNAN : FpType.SNAN;
  }
  const value = f16ToNumber(bits, ahp);
  unpacked[slot] = (bits & 0x8000) !== 0 && value === 0 ? -0 : value;
  return value === 0 ? FpType.ZERO : FpType.NUMBER;
}

/** Unpacks an operand of any format (lo holds half and single bits). */
export function unpack(st: FpStatus, fmt: FpFormat, slot: number, lo: number, hi: number): FpTypeCode {
  if (fmt === Format.DOUBLE) return unpack64(st, slot, lo, hi);
  if (fmt === Format.SINGLE) return unpack32(st, slot, lo);
  return unpack16(st, slot, lo);
}

/** True for -0 and negative numbers. */
export function isNegative(x: number): boolean {
  return x < 0 || (x === 0 && 1 / x < 0);
}

/** Writes the format's default NaN (positive, quiet, zero payload). */
export function writeDefaultNaN(st: FpStatus, fmt: FpFormat): number {
  if (fmt === Format.DOUBLE) return writeBits(st, fmt, false, 0x7ff80000, 0);
  return writeBits(st, fmt, false, fmt === Format.SINGLE ? 0x7fc00000 : 0x7e00, 0);
}

/** FPProcessNaN: quietens a NaN (IOC if it was signalling), or gives the default NaN under FPCR.DN. */
export function processNaN(st: FpStatus, fmt: FpFormat, type: FpTypeCode, lo: number, hi: number): number {
  if (type === FpType.SNAN) st.fpsr |= FPSR.IOC;
  if ((st.fpcr & FPCR.DN) !== 0) return writeDefaultNaN(st, fmt);
  if (fmt === Format.DOUBLE) {
    st.hi = hi | 0x80000;
    st.lo = lo | 0;
    return st.lo;
  }
  st.hi = 0;
  st.lo = fmt === Format.SINGLE ? lo | 0x400000 : (lo | 0x200) & 0xffff;
  return st.lo;
}

/** FPProcessNaNs: signalling NaNs before quiet ones, the first operand before the second. */
export function processNaNs2(
  st: FpStatus,
  fmt: FpFormat,
  t1: FpTypeCode,
  lo1: number,
  hi1: number,
  t2: FpTypeCode,
  lo2: number,
  hi2: number,
): number {
  if (t1 === FpType.SNAN || (t1 === FpType.QNAN && t2 !== FpType.SNAN)) {
    if (t2 === FpType.SNAN) st.fpsr |= FPSR.IOC;
    return processNaN(st, fmt, t1, lo1, hi1);
  }
  return processNaN(st, fmt, t2, lo2, hi2);
}

/** FPProcessNaNs3: as processNaNs2 over three operands (the caller knows one of them is a NaN). */
export function processNaNs3(
  st: FpStatus,
  fmt: FpFormat,
  t1: FpTypeCode,
  lo1: number,
  hi1: number,
  t2: FpTypeCode,
  lo2: number,
  hi2: number,
  t3: FpTypeCode,
  lo3: number,
  hi3: number,
): number {
  if (t1 === FpType.SNAN || t2 === FpType.SNAN || t3 === FpType.SNAN) st.fpsr |= FPSR.IOC;
  if (t1 === FpType.SNAN) return processNaN(st, fmt, t1, lo1, hi1);
  if (t2 === FpType.SNAN) return processNaN(st, fmt, t2, lo2, hi2);
  if (t3 === FpType.SNAN) return processNaN(st, fmt, t3, lo3, hi3);
  if (t1 === FpType.QNAN) return processNaN(st, fmt, t1, lo1, hi1);
  if (t2 === FpType.QNAN) return processNaN(st, fmt, t2, lo2, hi2);
  return processNaN(st, fmt, t3, lo3, hi3);
}
