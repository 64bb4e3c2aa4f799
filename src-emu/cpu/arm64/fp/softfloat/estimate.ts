/**
 * FPRecipEstimate, FPRSqrtEstimate (the ARM table-free 8-bit estimates FRECPE/FRSQRTE use), their
 * integer forms URECPE/URSQRTE, and the Newton-Raphson step instructions FRECPS/FRSQRTS
 * (FPRecipStepFused, FPRSqrtStepFused): all as specified by the ARM ARM pseudocode.
 */
import { FPCR, FPSR, Format, Rounding } from './status';
import type { FpFormat, FpStatus } from './status';
import { mulAddFinite } from './fma';
import { MAX_BITS, SIGN_BITS, writeBits, writeInfinity, writeZero } from './round';
import { FpType, isNegative, processNaN, processNaNs2, unpack, unpacked, writeDefaultNaN } from './unpack';

/** RecipEstimate: a in [256, 512) is a 9-bit fixed-point value in [0.5, 1); the result is in [256, 512). */
export function recipEstimate(a: number): number {
  const b = Math.floor(2 ** 19 / (a * 2 + 1));
  return (b + 1) >> 1;
}

/** RecipSqrtEstimate: a in [128, 512) encodes [0.25, 1); the result is in [256, 512). */
export function recipSqrtEstimate(a: number): number {
  // a < 256: units of 1/512 rounded to nearest; else drop the bottom bit and use units of 1/256
  a = a < 256 ? a * 2 + 1 : (((a >> 1) << 1) + 1) * 2;
  let b = 512;
  while (a * (b + 1) * (b + 1) < 2 ** 28) b += 1;
  return (b + 1) >> 1;
}

/** Exponent field width, fraction width and exponent bias of each format. */
const FRACTION_BITS = [10, 23, 52] as const;
const BIAS = [15, 127, 1023] as const;

// Operand bits split into exponent field and a 52-bit fraction (as a number), set by splitOperand.
let opExp = 0;
let opFrac = 0;

function splitOperand(fmt: FpFormat, lo: number, hi: number): void {
  if (fmt === Format.DOUBLE) {
    opExp = (hi >>> 20) & 0x7ff;
    opFrac = (hi & 0xfffff) * 4294967296 + (lo >>> 0);
  } else {
    const f = FRACTION_BITS[fmt];
    opExp = (lo >>> f) & (fmt === Format.SINGLE ? 0xff : 0x1f);
    opFrac = (lo & (2 ** f - 1)) * 2 ** (52 - f);
  }
}

/** Writes sign : biasedExp : fraction, with a 52-bit fraction truncated to the format. */
function writeFields(st: FpStatus, fmt: FpFormat, negative: boolean, biasedExp: number, frac52: number): number {
  if (fmt === Format.DOUBLE) {
    const top = Math.floor(frac52 / 4294967296);
    return writeBits(st, fmt, negative, biasedExp * 1048576 + top, frac52 - top * 4294967296);
  }
  const f = FRACTION_BITS[fmt];
  return writeBits(st, fmt, negative, biasedExp * 2 ** f + Math.floor(frac52 / 2 ** (52 - f)), 0);
}

/** FPRecipEstimate (FRECPE). */
export function fpRecipEstimate(st: FpStatus, fmt: FpFormat, lo: number, hi: number): number {
  const t = unpack(st, fmt, 0, lo, hi);
  if (t >= FpType.QNAN) return processNaN(st, fmt, t, lo, hi);
  const v = unpacked[0]!;
  const negative = isNegative(v);
  if (t === FpType.INFINITY) return writeZero(st, fmt, negative);
  if (t === FpType.ZERO) {
    st.fpsr |= FPSR.DZC;
    return writeInfinity(st, fmt, negative);
  }
  const bias = BIAS[fmt];
  if (Math.abs(v) < 2 ** -(bias + 1)) {
    const mode = st.rounding();
    const toInf =
      mode === Rounding.TIEEVEN || (mode === Rounding.POSINF && !negative) || (mode === Rounding.NEGINF && negative);
    st.fpsr |= FPSR.OFC | FPSR.IXC;
    if (toInf) return writeInfinity(st, fmt, negative);
    return writeBits(st, fmt, negative, MAX_BITS[fmt], -1);
  }
  if (fmt !== Format.HALF && (st.fpcr & FPCR.FZ) !== 0 && Math.abs(v) >= 2 ** (bias - 1)) {
    st.fpsr |= FPSR.UFC;
    return writeZero(st, fmt, negative);
  }
  splitOperand(fmt, lo, hi);
  let exp = opExp;
  let frac = opFrac;
  if (exp === 0) {
    if (frac < 2 ** 51) {
      exp = -1;
      frac = (frac * 4) % 2 ** 52;
    } else frac = (frac * 2) % 2 ** 52;
  }
  const scaled = 256 + Math.floor(frac / 2 ** 44);
  let resultExp = 2 * bias - 1 - exp;
  let resultFrac = (recipEstimate(scaled) & 0xff) * 2 ** 44;
  if (resultExp === 0) resultFrac = 2 ** 51 + resultFrac / 2;
  else if (resultExp === -1) {
    resultFrac = 2 ** 50 + resultFrac / 4;
    resultExp = 0;
  }
  return writeFields(st, fmt, negative, resultExp, resultFrac);
}

/** FPRSqrtEstimate (FRSQRTE). */
export function fpRSqrtEstimate(st: FpStatus, fmt: FpFormat, lo: number, hi: number): number {
  const t = unpack(st, fmt, 0, lo, hi);
  if (t >= FpType.QNAN) return processNaN(st, fmt, t, lo, hi);
  const v = unpacked[0]!;
  if (t === FpType.ZERO) {
    st.fpsr |= FPSR.DZC;
    return writeInfinity(st, fmt, isNegative(v));
  }
  if (v < 0) {
    st.fpsr |= FPSR.IOC;
    return writeDefaultNaN(st, fmt);
  }
  if (t === FpType.INFINITY) return writeZero(st, fmt, false);
  splitOperand(fmt, lo, hi);
  let exp = opExp;
  let frac = opFrac;
  if (exp === 0) {
    while (frac < 2 ** 51) {
      frac *= 2;
      exp -= 1;
    }
    frac = (frac * 2) % 2 ** 52;
  }
  // an odd biased exponent is an even unbiased one: scale into [0.25, 0.5), else into [0.5, 1)
  const scaled = (exp & 1) !== 0 ? 128 + Math.floor(frac / 2 ** 45) : 256 + Math.floor(frac / 2 ** 44);
  const resultExp = Math.floor((bias3(fmt) - 1 - exp) / 2);
  return writeFields(st, fmt, false, resultExp, (recipSqrtEstimate(scaled) & 0xff) * 2 ** 44);
}

/** 3 * bias, so that (3 * bias - 1 - exp) / 2 is the result exponent (44, 380, 3068 in the ARM ARM). */
function bias3(fmt: FpFormat): number {
  return 3 * BIAS[fmt];
}

/** UnsignedRecipEstimate (URECPE) of a 32-bit element. */
export function unsignedRecipEstimate(x: number): number {
  if (x >= 0) return -1; // top bit clear
  return (recipEstimate((x >>> 23) & 0x1ff) << 23) | 0;
}

/** UnsignedRSqrtEstimate (URSQRTE) of a 32-bit element. */
export function unsignedRSqrtEstimate(x: number): number {
  if (x >>> 30 === 0) return -1;
  return (recipSqrtEstimate((x >>> 23) & 0x1ff) << 23) | 0;
}

const TWO = [0x4000, 0x40000000, 0x40000000] as const;
const ONE_POINT_FIVE = [0x3e00, 0x3fc00000, 0x3ff80000] as const;

/**
 * FPRecipStepFused (FRECPS, 2 - a*b) when `rsqrt` is false; FPRSqrtStepFused (FRSQRTS, (3 - a*b) / 2)
 * when true. Both negate a first (so a NaN a comes out with its sign flipped) and round once.
 */
export function fpRecipStep(
  st: FpStatus,
  fmt: FpFormat,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
  rsqrt: boolean,
): number {
  const sign = SIGN_BITS[fmt];
  if (fmt === Format.DOUBLE) aHi ^= sign;
  else aLo ^= sign;
  const t1 = unpack(st, fmt, 0, aLo, aHi);
  const t2 = unpack(st, fmt, 1, bLo, bHi);
  if (t1 >= FpType.QNAN || t2 >= FpType.QNAN) return processNaNs2(st, fmt, t1, aLo, aHi, t2, bLo, bHi);
  const a = unpacked[0]!;
  const b = unpacked[1]!;
  const inf1 = t1 === FpType.INFINITY;
  const inf2 = t2 === FpType.INFINITY;
  if ((inf1 && t2 === FpType.ZERO) || (t1 === FpType.ZERO && inf2) || t1 === FpType.ZERO || t2 === FpType.ZERO) {
    // 0 * inf gives the constant itself; so does a zero product (2 + 0, (3 + 0) / 2)
    const constant = rsqrt ? ONE_POINT_FIVE[fmt] : TWO[fmt];
    return writeBits(st, fmt, false, constant, 0);
  }
  if (inf1 || inf2) return writeInfinity(st, fmt, isNegative(a) !== isNegative(b));
  const c = rsqrt ? 3 : 2;
  return mulAddFinite(st, fmt, c, a, b, st.rounding(), rsqrt ? -1 : 0);
}

/** FPRecpX (FRECPX): keeps the sign, inverts the exponent field and clears the fraction. */
export function fpRecpX(st: FpStatus, fmt: FpFormat, lo: number, hi: number): number {
  const t = unpack(st, fmt, 0, lo, hi);
  if (t >= FpType.QNAN) return processNaN(st, fmt, t, lo, hi);
  const negative = (fmt === Format.DOUBLE ? hi : fmt === Format.SINGLE ? lo : lo << 16) < 0;
  splitOperand(fmt, lo, hi);
  const expMax = fmt === Format.DOUBLE ? 0x7ff : fmt === Format.SINGLE ? 0xff : 0x1f;
  // a flushed denormal counts as zero, as FPUnpack made it
  const exp = t === FpType.ZERO ? 0 : opExp;
  return writeFields(st, fmt, negative, exp === 0 ? expMax - 1 : ~exp & expMax, 0);
}
