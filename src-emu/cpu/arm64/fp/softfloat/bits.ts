/**
 * Bit-level views of IEEE values and exact power-of-two scaling.
 *
 * JS numbers hold every finite single and double exactly, so values are computed on as numbers and
 * only NaNs (whose payloads a number cannot be trusted to keep) are handled as bits.
 */

const f64 = new Float64Array(1);
const w64 = new Int32Array(f64.buffer);
const f32 = new Float32Array(1);
const w32 = new Int32Array(f32.buffer);

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('the FP library assumes a little-endian host');
}

/** The double whose bits are hi:lo (never call for NaNs: their payload is not guaranteed). */
export function f64FromWords(lo: number, hi: number): number {
  w64[0] = lo;
  w64[1] = hi;
  return f64[0]!;
}

/** Low word of a double's bits (call `f64HiWord` right after, for the same value). */
export function f64LoWord(value: number): number {
  f64[0] = value;
  return w64[0]!;
}

/** High word of the double last passed to `f64LoWord`. */
export function f64HiWordOfLast(): number {
  return w64[1]!;
}

/** High word of a double's bits. */
export function f64HiWord(value: number): number {
  f64[0] = value;
  return w64[1]!;
}

/** The single whose bits are given, as an (exact) number. */
export function f32FromBits(bits: number): number {
  w32[0] = bits;
  return f32[0]!;
}

/** Bits of a number already representable as a single. */
export function f32ToBits(value: number): number {
  f32[0] = value;
  return w32[0]!;
}

/** Value of a non-NaN half; with `ahp` the all-ones exponent is an ordinary binade (Alternative Half Precision). */
export function f16ToNumber(bits: number, ahp: boolean): number {
  const exp = (bits >>> 10) & 0x1f;
  const frac = bits & 0x3ff;
  const sign = (bits & 0x8000) !== 0 ? -1 : 1;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f && !ahp) return sign * Infinity;
  return sign * (frac + 0x400) * 2 ** (exp - 25);
}

const POW2_MIN = -1074;
const POW2 = new Float64Array(1024 - POW2_MIN);
for (let k = POW2_MIN; k < 1024; k++) POW2[k - POW2_MIN] = 2 ** k;

/** 2^k for -1074 <= k <= 1023 (table lookup; `**` is slow in some engines). */
export function pow2(k: number): number {
  return POW2[k - POW2_MIN]!;
}

/** x * 2^k exactly whenever the result is representable (k may be outside the pow2 range). */
export function scaleByPow2(x: number, k: number): number {
  while (k > 1023) {
    x *= POW2[1023 - POW2_MIN]!;
    k -= 1023;
  }
  while (k < -1022) {
    x *= POW2[-1022 - POW2_MIN]!;
    k += 1022;
  }
  return x * POW2[k - POW2_MIN]!;
}

/** floor(log2(|x|)) for finite non-zero x, read from the exponent bits. */
export function exponentOf(x: number): number {
  f64[0] = x;
  const field = (w64[1]! >>> 20) & 0x7ff;
  if (field !== 0) return field - 1023;
  f64[0] = x * 18446744073709551616; // 2^64 lifts any subnormal into the normal range
  return ((w64[1]! >>> 20) & 0x7ff) - 1023 - 64;
}

/** Error of the rounded sum s = a + b: a + b = s + err exactly (Knuth's TwoSum; no overflow assumed). */
export function twoSumError(a: number, b: number, s: number): number {
  const bb = s - a;
  return a - (s - bb) + (b - bb);
}

const SPLITTER = 134217729; // 2^27 + 1 (Dekker)

/** Error of the rounded product p = a * b: a * b = p + err exactly, for |a|,|b| < 2^995 and no underflow. */
export function twoProductError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const aHi = t - (t - a);
  const aLo = a - aHi;
  t = SPLITTER * b;
  const bHi = t - (t - b);
  const bLo = b - bHi;
  return aHi * bHi - p + aHi * bLo + aLo * bHi + aLo * bLo;
}
