/**
 * FPCompare, FPCompareEQ/GE/GT, FPMax/FPMin and FPMaxNum/FPMinNum of the ARM ARM.
 */
import { FPSR, Format } from './status';
import type { FpFormat, FpStatus } from './status';
import { f32ToBits, f64HiWordOfLast, f64LoWord } from './bits';
import { roundPack, writeBits, writeInfinity, writeZero } from './round';
import { FpType, isNegative, processNaNs2, unpack, unpacked } from './unpack';
import type { FpTypeCode } from './unpack';

/** NZCV results of FPCompare (as the 4-bit field N:Z:C:V). */
export const NZCV = { UNORDERED: 0b0011, EQUAL: 0b0110, LESS: 0b1000, GREATER: 0b0010 } as const;

/**
 * FPCompare: NZCV for FCMP/FCCMP (signalNaNs = false: only signalling NaNs raise IOC) and
 * FCMPE/FCCMPE (signalNaNs = true: any NaN raises IOC).
 */
export function fpCompare(
  st: FpStatus,
  fmt: FpFormat,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
  signalNaNs: boolean,
): number {
  const t1 = unpack(st, fmt, 0, aLo, aHi);
  const t2 = unpack(st, fmt, 1, bLo, bHi);
  if (t1 >= FpType.QNAN || t2 >= FpType.QNAN) {
    if (signalNaNs || t1 === FpType.SNAN || t2 === FpType.SNAN) st.fpsr |= FPSR.IOC;
    return NZCV.UNORDERED;
  }
  const a = unpacked[0]!;
  const b = unpacked[1]!;
  return a === b ? NZCV.EQUAL : a < b ? NZCV.LESS : NZCV.GREATER;
}

/** Unpacks two operands for the vector compares; returns false (after raising IOC as ARM says) when unordered. */
function orderedPair(
  st: FpStatus,
  fmt: FpFormat,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
  signalQuiet: boolean,
): boolean {
  const t1: FpTypeCode = unpack(st, fmt, 0, aLo, aHi);
  const t2: FpTypeCode = unpack(st, fmt, 1, bLo, bHi);
  if (t1 < FpType.QNAN && t2 < FpType.QNAN) return true;
  if (signalQuiet || t1 === FpType.SNAN || t2 === FpType.SNAN) st.fpsr |= FPSR.IOC;
  return false;
}

/** FPCompareEQ (FCMEQ): IOC only for signalling NaNs. */
export function fpCompareEQ(st: FpStatus, fmt: FpFormat, aLo: number, aHi: number, bLo: number, bHi: number): boolean {
  return orderedPair(st, fmt, aLo, aHi, bLo, bHi, false) && unpacked[0] === unpacked[1];
}

/** FPCompareGE (FCMGE, FACGE on absolute values): IOC for any NaN. */
export function fpCompareGE(st: FpStatus, fmt: FpFormat, aLo: number, aHi: number, bLo: number, bHi: number): boolean {
  return orderedPair(st, fmt, aLo, aHi, bLo, bHi, true) && unpacked[0]! >= unpacked[1]!;
}

/** FPCompareGT (FCMGT, FACGT on absolute values): IOC for any NaN. */
export function fpCompareGT(st: FpStatus, fmt: FpFormat, aLo: number, aHi: number, bLo: number, bHi: number): boolean {
  return orderedPair(st, fmt, aLo, aHi, bLo, bHi, true) && unpacked[0]! > unpacked[1]!;
}

/** Writes a finite non-zero value that is exactly representable in the format. */
export function writeExact(st: FpStatus, fmt: FpFormat, v: number): number {
  if (fmt === Format.DOUBLE) {
    st.lo = f64LoWord(v);
    st.hi = f64HiWordOfLast();
    return st.lo;
  }
  if (fmt === Format.SINGLE) return writeBits(st, fmt, false, f32ToBits(v), 0);
  return roundPack(st, fmt, v, 0, 0, 0);
}

/** Writes the chosen operand of a max/min: infinities and numbers as they are, zeros with the given sign. */
function writeChosen(st: FpStatus, fmt: FpFormat, type: FpTypeCode, v: number, zeroNegative: boolean): number {
  if (type === FpType.INFINITY) return writeInfinity(st, fmt, v < 0);
  if (type === FpType.ZERO) return writeZero(st, fmt, zeroNegative);
  return writeExact(st, fmt, v);
}

/**
 * FPMax (isMax) / FPMin; with `numeric` FPMaxNum / FPMinNum, where a quiet NaN loses to a number.
 */
export function fpMaxMin(
  st: FpStatus,
  fmt: FpFormat,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
  isMax: boolean,
  numeric: boolean,
): number {
  let t1 = unpack(st, fmt, 0, aLo, aHi);
  let t2 = unpack(st, fmt, 1, bLo, bHi);
  if (numeric) {
    // FPMaxNum/FPMinNum replace a lone quiet NaN by the infinity that can never win
    if (t1 === FpType.QNAN && t2 < FpType.QNAN) {
      t1 = FpType.INFINITY;
      unpacked[0] = isMax ? -Infinity : Infinity;
    } else if (t2 === FpType.QNAN && t1 < FpType.QNAN) {
      t2 = FpType.INFINITY;
      unpacked[1] = isMax ? -Infinity : Infinity;
    }
  }
  if (t1 >= FpType.QNAN || t2 >= FpType.QNAN) return processNaNs2(st, fmt, t1, aLo, aHi, t2, bLo, bHi);
  const a = unpacked[0]!;
  const b = unpacked[1]!;
  const firstWins = isMax ? a > b : a < b;
  const zeroNegative = isMax ? isNegative(a) && isNegative(b) : isNegative(a) || isNegative(b);
  return firstWins ? writeChosen(st, fmt, t1, a, zeroNegative) : writeChosen(st, fmt, t2, b, zeroNegative);
}
