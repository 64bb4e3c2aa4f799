/**
 * 64-bit element operations on int32 lo/hi pairs (no BigInt): the size = 3 forms of the AdvSIMD integer
 * instructions. Results go to `out[0]` (lo) and `out[1]` (hi); saturation sets `qc.hit` (lanes.ts).
 */
import { asrHi, asrLo, lsrHi, lsrLo, shlHi, shlLo } from '../int64';
import { qc } from './lanes';

const TWO32 = 0x1_0000_0000;

export function add64(aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array): void {
  const lo = (aLo >>> 0) + (bLo >>> 0);
  out[0] = lo | 0;
  out[1] = (aHi + bHi + (lo >= TWO32 ? 1 : 0)) | 0;
}

export function sub64(aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array): void {
  const lo = (aLo >>> 0) - (bLo >>> 0);
  out[0] = lo | 0;
  out[1] = (aHi - bHi - (lo < 0 ? 1 : 0)) | 0;
}

/** -1, 0 or 1 comparing a and b as signed (or unsigned) 64-bit values. */
export function cmp64(aLo: number, aHi: number, bLo: number, bHi: number, signed: boolean): number {
  if (aHi !== bHi) {
    if (signed) return aHi < bHi ? -1 : 1;
    return aHi >>> 0 < bHi >>> 0 ? -1 : 1;
  }
  if (aLo === bLo) return 0;
  return aLo >>> 0 < bLo >>> 0 ? -1 : 1;
}

export function saturateSigned64(negative: boolean, out: Int32Array): void {
  qc.hit = 1;
  out[0] = negative ? 0 : -1;
  out[1] = negative ? -0x8000_0000 : 0x7fff_ffff;
}

function saturateUnsigned64(high: boolean, out: Int32Array): void {
  qc.hit = 1;
  out[0] = high ? -1 : 0;
  out[1] = high ? -1 : 0;
}

export function sqadd64(aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array): void {
  add64(aLo, aHi, bLo, bHi, out);
  if ((aHi ^ bHi) >= 0 && (aHi ^ out[1]) < 0) saturateSigned64(aHi < 0, out);
}

export function sqsub64(aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array): void {
  sub64(aLo, aHi, bLo, bHi, out);
  if ((aHi ^ bHi) < 0 && (aHi ^ out[1]) < 0) saturateSigned64(aHi < 0, out);
}

export function uqadd64(aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array): void {
  const lo = (aLo >>> 0) + (bLo >>> 0);
  const hi = (aHi >>> 0) + (bHi >>> 0) + (lo >= TWO32 ? 1 : 0);
  out[0] = lo | 0;
  out[1] = hi | 0;
  if (hi >= TWO32) saturateUnsigned64(true, out);
}

export function uqsub64(aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array): void {
  if (cmp64(aLo, aHi, bLo, bHi, false) < 0) saturateUnsigned64(false, out);
  else sub64(aLo, aHi, bLo, bHi, out);
}

/** Signed + unsigned with signed saturation (SUQADD: a is the signed accumulator, b unsigned). */
export function suqadd64(aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array): void {
  add64(aLo, aHi, bLo, bHi, out);
  // The true sum is a + b with b >= 0: it overflows when it exceeds 2^63 - 1.
  const bBig = bHi < 0;
  if (bBig ? aHi >= 0 || out[1] < 0 : aHi >= 0 && out[1] < 0) saturateSigned64(false, out);
}

/** Unsigned + signed with unsigned saturation (USQADD: a is the unsigned accumulator, b signed). */
export function usqadd64(aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array): void {
  add64(aLo, aHi, bLo, bHi, out);
  if (bHi < 0) {
    // a + b < 0 exactly when a < -b.
    sub64(0, 0, bLo, bHi, out);
    if (cmp64(aLo, aHi, out[0], out[1], false) < 0) saturateUnsigned64(false, out);
    else add64(aLo, aHi, bLo, bHi, out);
  } else if (cmp64(out[0], out[1], aLo, aHi, false) < 0) {
    saturateUnsigned64(true, out);
  }
}

/**
 * The register-controlled shift of SSHL/USHL/SRSHL/URSHL/SQSHL/UQSHL/SQRSHL/UQRSHL on a 64-bit element:
 * `shift` is the signed low byte of the shift operand (left when positive).
 */
export function shiftByRegister64(
  lo: number,
  hi: number,
  shift: number,
  signed: boolean,
  round: boolean,
  saturating: boolean,
  out: Int32Array,
): void {
  if (shift >= 0) {
    shiftLeft64(lo, hi, shift, signed, saturating, out);
    return;
  }
  shiftRight64(lo, hi, -shift, signed, round, out);
}

/** a << s (s >= 0), saturating to the element range when asked. */
export function shiftLeft64(
  lo: number,
  hi: number,
  s: number,
  signed: boolean,
  saturating: boolean,
  out: Int32Array,
): void {
  const rLo = s >= 64 ? 0 : shlLo(lo, hi, s);
  const rHi = s >= 64 ? 0 : shlHi(lo, hi, s);
  out[0] = rLo;
  out[1] = rHi;
  if (!saturating || (lo === 0 && hi === 0)) return;
  // Shifting back must give the operand when nothing was lost.
  const back = s >= 64 ? 1 : 0;
  const bLo = back ? ~lo : signed ? asrLo(rLo, rHi, s) : lsrLo(rLo, rHi, s);
  const bHi = back ? ~hi : signed ? asrHi(rLo, rHi, s) : lsrHi(rLo, rHi, s);
  if (bLo !== lo || bHi !== hi) {
    if (signed) saturateSigned64(hi < 0, out);
    else saturateUnsigned64(true, out);
  }
}

/** a >> s (s >= 1, up to 128), arithmetic or logical, rounding to nearest when asked. */
export function shiftRight64(
  lo: number,
  hi: number,
  s: number,
  signed: boolean,
  round: boolean,
  out: Int32Array,
): void {
  let rLo: number;
  let rHi: number;
  if (round && s > 64) {
    // |a| < 2^63 <= 2^(s-2): a + 2^(s-1) lies strictly between 0 and 2^s.
    out[0] = 0;
    out[1] = 0;
    return;
  }
  if (s >= 64) {
    rLo = signed ? hi >> 31 : 0;
    rHi = rLo;
  } else {
    rLo = signed ? asrLo(lo, hi, s) : lsrLo(lo, hi, s);
    rHi = signed ? asrHi(lo, hi, s) : lsrHi(lo, hi, s);
  }
  if (round) {
    // (a + 2^(s-1)) >> s = (a >> s) + bit s-1 of a.
    const bit = s - 1 < 32 ? (lo >>> (s - 1)) & 1 : (hi >>> (s - 33)) & 1;
    if (bit !== 0) {
      add64(rLo, rHi, 1, 0, out);
      return;
    }
  }
  out[0] = rLo;
  out[1] = rHi;
}

export function neg64(lo: number, hi: number, out: Int32Array): void {
  sub64(0, 0, lo, hi, out);
}
