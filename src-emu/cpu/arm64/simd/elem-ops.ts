/**
 * Per-element integer operations on exact JS numbers (elements of 8, 16 or 32 bits, read signed or unsigned
 * as the instruction says), shared by the three-same, by-element and shift groups. Results are the
 * mathematical values; the typed-array store truncates them to the element size.
 */
import { mulhs32 } from '../int64';
import { qc, sat, signedMax, signedMin, unsignedMax } from './lanes';

/** Saturation bounds of an e-bit element. */
export function boundsOf(e: number, signed: boolean): { lo: number; hi: number } {
  return signed ? { lo: signedMin(e), hi: signedMax(e) } : { lo: 0, hi: unsignedMax(e) };
}

/** 2^s for s in -128..127 at index s + 128: shift amounts come from data, and `2 ** s` is a slow call. */
const POW2 = Float64Array.from({ length: 256 }, (_, i) => 2 ** (i - 128));

/**
 * SSHL family: shift a by the signed low byte of b (left when positive), optionally rounding right shifts
 * and saturating left shifts to [lo, hi].
 */
export function shiftByRegister(
  a: number,
  b: number,
  round: boolean,
  saturating: boolean,
  lo: number,
  hi: number,
): number {
  const s = (b << 24) >> 24;
  if (s >= 0) {
    const r = a * POW2[s + 128];
    return saturating ? sat(r, lo, hi) : r;
  }
  return shiftRightRounded(a, -s, round);
}

/**
 * a >> k (1 <= k <= 128), arithmetic for negative a, optionally rounding to nearest (ties up). a * 2^-k is
 * exact, and so is adding 0.5 while the result can still be non-zero (|a| < 2^34).
 */
export function shiftRightRounded(a: number, k: number, round: boolean): number {
  const x = a * POW2[128 - k];
  return Math.floor(round ? x + 0.5 : x);
}

/**
 * The right shift by a constant k (1..e) of an e-bit element, specialised at decode time: integer shifts
 * where the value fits int32 arithmetic, floor((a + rounding) / 2^k) otherwise.
 */
export function rightShifter(e: number, k: number, signed: boolean, round: boolean): (a: number) => number {
  if (k < 32 && !round) return signed ? (a) => a >> k : (a) => a >>> k;
  if (e <= 16) {
    const half = 1 << (k - 1);
    return (a) => (a + half) >> k;
  }
  const scale = 2 ** k;
  const half = round ? scale / 2 : 0;
  return (a) => Math.floor((a + half) / scale);
}

/** Polynomial (carry-less) product of two bytes: 15 bits (PMULL), truncated to 8 by PMUL's store. */
export function polyMul8(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) if (((b >> i) & 1) !== 0) r ^= a << i;
  return r;
}

/**
 * SQDMULH / SQRDMULH on signed e-bit elements: saturate((2 * a * b [+ 2^(e-1)]) >> e).
 */
export function doublingMulHigh(e: number, round: boolean): (a: number, b: number) => number {
  if (e === 16) {
    const add = round ? 0x8000 : 0;
    return (a, b) => sat(Math.floor((2 * a * b + add) / 0x10000), -0x8000, 0x7fff);
  }
  return (a, b) => {
    if (a === -0x8000_0000 && b === -0x8000_0000) {
      qc.hit = 1;
      return 0x7fff_ffff;
    }
    // (2p + r) >> 32 = (p + r/2) >> 31 for the 64-bit product p.
    let lo = Math.imul(a, b);
    let hi = mulhs32(a, b);
    if (round) {
      const sum = (lo >>> 0) + 0x4000_0000;
      lo = sum | 0;
      if (sum >= 0x1_0000_0000) hi = (hi + 1) | 0;
    }
    return (hi << 1) | (lo >>> 31);
  };
}
