/**
 * 64-bit integer helpers over int32 lo/hi pairs, without BigInt: shifts, multiply (low and high halves)
 * and division. Two-word results go to a caller's Int32Array (`out[0]` = lo, `out[1]` = hi) or come from a
 * pair of pure functions (xxxLo / xxxHi) so nothing allocates.
 */

const TWO32 = 0x1_0000_0000;

// --- shifts (amount 0..63) ---------------------------------------------------------------------------

export function shlLo(lo: number, _hi: number, s: number): number {
  return s < 32 ? lo << s : 0;
}

export function shlHi(lo: number, hi: number, s: number): number {
  if (s === 0) return hi;
  return s < 32 ? (hi << s) | (lo >>> (32 - s)) : lo << (s - 32);
}

export function lsrLo(lo: number, hi: number, s: number): number {
  if (s === 0) return lo;
  return s < 32 ? (lo >>> s) | (hi << (32 - s)) : (hi >>> (s - 32)) | 0;
}

export function lsrHi(_lo: number, hi: number, s: number): number {
  return s < 32 ? (hi >>> s) | 0 : 0;
}

export function asrLo(lo: number, hi: number, s: number): number {
  if (s === 0) return lo;
  return s < 32 ? (lo >>> s) | (hi << (32 - s)) : hi >> (s - 32);
}

export function asrHi(_lo: number, hi: number, s: number): number {
  return s < 32 ? hi >> s : hi >> 31;
}

export function rorLo(lo: number, hi: number, s: number): number {
  if (s === 0) return lo;
  if (s < 32) return (lo >>> s) | (hi << (32 - s));
  if (s === 32) return hi;
  return (hi >>> (s - 32)) | (lo << (64 - s));
}

export function rorHi(lo: number, hi: number, s: number): number {
  if (s === 0) return hi;
  if (s < 32) return (hi >>> s) | (lo << (32 - s));
  if (s === 32) return lo;
  return (lo >>> (s - 32)) | (hi << (64 - s));
}

export function ror32(v: number, s: number): number {
  return s === 0 ? v : (v >>> s) | (v << (32 - s));
}

// --- multiplication ----------------------------------------------------------------------------------

/**
 * High 32 bits of the unsigned 64-bit product of two uint32 (as int32). Both partial products a0*b and a1*b
 * (a = a1 * 2^16 + a0) are below 2^48, so exact in doubles; dividing by 2^16 is exact and `>>> 0`/`| 0`
 * floor the non-negative quotients.
 */
export function mulhu32(a: number, b: number): number {
  const bu = b >>> 0;
  const low = ((a & 0xffff) * bu) / 65536;
  return (((a >>> 16) * bu + (low >>> 0)) / 65536) | 0;
}

/** High 32 bits of the signed 64-bit product of two int32. */
export function mulhs32(a: number, b: number): number {
  let hi = mulhu32(a, b);
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  return hi;
}

/** Low 64 bits of a 64x64 product (same for signed and unsigned): out[0] lo, out[1] hi. */
export function mul64(aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array): void {
  out[0] = Math.imul(aLo, bLo);
  out[1] = (mulhu32(aLo, bLo) + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) | 0;
}

const limbA = new Float64Array(4);
const limbB = new Float64Array(4);
const column = new Float64Array(8);

/** Full unsigned 128-bit product: out[0..3] from least significant word. */
export function mulu128(aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array): void {
  limbA[0] = aLo & 0xffff;
  limbA[1] = aLo >>> 16;
  limbA[2] = aHi & 0xffff;
  limbA[3] = aHi >>> 16;
  limbB[0] = bLo & 0xffff;
  limbB[1] = bLo >>> 16;
  limbB[2] = bHi & 0xffff;
  limbB[3] = bHi >>> 16;
  column.fill(0);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) column[i + j] += limbA[i] * limbB[j];
  // Each column is below 4 * 2^32, so carries stay exact in doubles.
  let carry = 0;
  for (let k = 0; k < 8; k += 2) {
    const c0 = column[k] + carry;
    const low16 = c0 % 65536;
    const c1 = column[k + 1] + (c0 - low16) / 65536;
    const high16 = c1 % 65536;
    carry = (c1 - high16) / 65536;
    out[k >> 1] = (high16 * 65536 + low16) | 0;
  }
}

/**
 * High 64 bits of the unsigned 128-bit product (UMULH), from the four 32x32 partial products; the column sums
 * stay below 2^35, exact in doubles.
 */
export function umulh64(aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array): void {
  const middle = (mulhu32(aLo, bLo) >>> 0) + (Math.imul(aLo, bHi) >>> 0) + (Math.imul(aHi, bLo) >>> 0);
  const high =
    (Math.imul(aHi, bHi) >>> 0) + (mulhu32(aLo, bHi) >>> 0) + (mulhu32(aHi, bLo) >>> 0) + Math.floor(middle / TWO32);
  out[0] = high | 0;
  out[1] = (mulhu32(aHi, bHi) + Math.floor(high / TWO32)) | 0;
}

/** High 64 bits of the signed 128-bit product (SMULH): UMULH corrected for negative operands. */
export function smulh64(aLo: number, aHi: number, bLo: number, bHi: number, out: Int32Array): void {
  umulh64(aLo, aHi, bLo, bHi, out);
  let lo = out[0];
  let hi = out[1];
  if (aHi < 0) {
    const d = (lo >>> 0) - (bLo >>> 0);
    lo = d | 0;
    hi = (hi - bHi - (d < 0 ? 1 : 0)) | 0;
  }
  if (bHi < 0) {
    const d = (lo >>> 0) - (aLo >>> 0);
    lo = d | 0;
    hi = (hi - aHi - (d < 0 ? 1 : 0)) | 0;
  }
  out[0] = lo;
  out[1] = hi;
}

// --- division ----------------------------------------------------------------------------------------

/**
 * Unsigned 64-bit division (UDIV): quotient to out[0..1]; division by zero gives 0 as on ARM.
 * Below 2^53 both operands are exact doubles and `%` is exact, so (n - n % d) / d is the exact quotient.
 */
export function udiv64(nLo: number, nHi: number, dLo: number, dHi: number, out: Int32Array): void {
  const dh = dHi >>> 0;
  const nh = nHi >>> 0;
  if (dh === 0 && dLo === 0) {
    out[0] = out[1] = 0;
    return;
  }
  if (nh < 0x200000 && dh < 0x200000) {
    const n = nh * TWO32 + (nLo >>> 0);
    const d = dh * TWO32 + (dLo >>> 0);
    const q = (n - (n % d)) / d;
    out[0] = (q % TWO32) | 0;
    out[1] = Math.floor(q / TWO32) | 0;
    return;
  }
  if (dh === 0) udivBy32(nh, nLo >>> 0, dLo >>> 0, out);
  else udivLong(nLo, nHi, dLo, dHi, out);
}

/**
 * n / d for a divisor below 2^32, as long division in digits of 32, 16 and 16 bits: each partial dividend
 * (remainder * 2^16 + digit) stays below 2^48, exact in doubles.
 */
function udivBy32(nh: number, nl: number, d: number, out: Int32Array): void {
  const qHi = Math.floor(nh / d);
  const r0 = nh - qHi * d;
  const part1 = r0 * 65536 + (nl >>> 16);
  const q1 = Math.floor(part1 / d);
  const part2 = (part1 - q1 * d) * 65536 + (nl & 0xffff);
  const q0 = Math.floor(part2 / d);
  out[0] = (q1 * 65536 + q0) | 0;
  out[1] = qHi | 0;
}

/** Restoring shift-subtract division for operands of 2^53 and above. */
function udivLong(nLo: number, nHi: number, dLo: number, dHi: number, out: Int32Array): void {
  let qLo = 0;
  let qHi = 0;
  let rLo = 0;
  let rHi = 0;
  const dh = dHi >>> 0;
  const dl = dLo >>> 0;
  for (let bit = 63; bit >= 0; bit--) {
    // r = r << 1 | n[bit]
    rHi = (rHi << 1) | (rLo >>> 31);
    rLo = (rLo << 1) | ((bit >= 32 ? nHi >>> (bit - 32) : nLo >>> bit) & 1);
    const rh = rHi >>> 0;
    if (rh > dh || (rh === dh && rLo >>> 0 >= dl)) {
      const low = (rLo >>> 0) - dl;
      rLo = low | 0;
      rHi = (rHi - dHi - (low < 0 ? 1 : 0)) | 0;
      if (bit >= 32) qHi |= 1 << (bit - 32);
      else qLo |= 1 << bit;
    }
  }
  out[0] = qLo;
  out[1] = qHi;
}

/** Signed 64-bit division (SDIV), rounding toward zero; INT64_MIN / -1 = INT64_MIN; x / 0 = 0. */
export function sdiv64(nLo: number, nHi: number, dLo: number, dHi: number, out: Int32Array): void {
  const negN = nHi < 0;
  const negD = dHi < 0;
  let aLo = nLo;
  let aHi = nHi;
  let bLo = dLo;
  let bHi = dHi;
  if (negN) {
    aLo = -nLo | 0;
    aHi = (~nHi + (nLo === 0 ? 1 : 0)) | 0;
  }
  if (negD) {
    bLo = -dLo | 0;
    bHi = (~dHi + (dLo === 0 ? 1 : 0)) | 0;
  }
  udiv64(aLo, aHi, bLo, bHi, out);
  if (negN !== negD) {
    const lo = out[0];
    out[0] = -lo | 0;
    out[1] = (~out[1] + (lo === 0 ? 1 : 0)) | 0;
  }
}
