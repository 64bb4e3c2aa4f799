/**
 * FPMulAdd of the ARM ARM: addend + op1 * op2 rounded once.
 *
 * Singles (and halves) are exact in double arithmetic: the product is exact and TwoSum gives the exact
 * sum. Doubles are summed exactly in a 192-bit window of 16-bit limbs (the product needs 106 bits) and
 * the top 106 bits, with everything below jammed into the last bit, go to roundPack.
 */
import { FPSR, Format, Rounding } from './status';
import type { FpFormat, FpStatus, RoundingMode } from './status';
import { exponentOf, scaleByPow2, twoSumError } from './bits';
import { roundPack, writeInfinity, writeZero } from './round';
import { addFinite, mulFinite } from './arith';
import { FpType, isNegative, processNaNs3, unpack, unpacked, writeDefaultNaN } from './unpack';

const LIMBS = 12;
const WINDOW_BITS = LIMBS * 16;
const prodLimbs = new Float64Array(8);
const x = new Float64Array(LIMBS);
const y = new Float64Array(LIMBS);

/** Splits an integer below 2^53 into four 16-bit limbs. */
function toLimbs(n: number, out: Float64Array): void {
  for (let i = 0; i < 4; i++) {
    const q = Math.floor(n / 65536);
    out[i] = n - q * 65536;
    n = q;
  }
}

const aLimbs = new Float64Array(4);
const bLimbs = new Float64Array(4);

/** prodLimbs = ma * mb exactly (ma, mb integers below 2^53). */
function multiplyLimbs(ma: number, mb: number): void {
  toLimbs(ma, aLimbs);
  toLimbs(mb, bLimbs);
  prodLimbs.fill(0);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) prodLimbs[i + j] += aLimbs[i]! * bLimbs[j]!;
  let carry = 0;
  for (let i = 0; i < 8; i++) {
    const v = prodLimbs[i]! + carry;
    carry = Math.floor(v / 65536);
    prodLimbs[i] = v - carry * 65536;
  }
}

/** dst = src (limbs, little-endian) shifted left by `shift` >= 0 bits into the window. */
function placeLimbs(dst: Float64Array, src: Float64Array, count: number, shift: number): void {
  dst.fill(0);
  const limbShift = Math.floor(shift / 16);
  const mul = 2 ** (shift % 16);
  for (let i = 0; i < count; i++) {
    const v = src[i]! * mul; // below 2^32
    const hi = Math.floor(v / 65536);
    if (i + limbShift < LIMBS) dst[i + limbShift]! += v - hi * 65536;
    if (i + limbShift + 1 < LIMBS) dst[i + limbShift + 1]! += hi;
  }
}

/** Compares two windows as unsigned integers. */
function compareLimbs(a: Float64Array, b: Float64Array): number {
  for (let i = LIMBS - 1; i >= 0; i--) if (a[i] !== b[i]) return a[i]! > b[i]! ? 1 : -1;
  return 0;
}

/** a = a + b (add) or a = a - b (a >= b). */
function addLimbs(a: Float64Array, b: Float64Array, subtract: boolean): void {
  let carry = 0;
  for (let i = 0; i < LIMBS; i++) {
    const v = a[i]! + (subtract ? -b[i]! : b[i]!) + carry;
    carry = Math.floor(v / 65536);
    a[i] = v - carry * 65536;
  }
}

function bitAt(w: Float64Array, bit: number): number {
  if (bit < 0) return 0;
  return (w[bit >> 4]! >> (bit & 15)) & 1;
}

function highestBit(w: Float64Array): number {
  for (let i = LIMBS - 1; i >= 0; i--) if (w[i] !== 0) return i * 16 + 31 - Math.clz32(w[i]!);
  return -1;
}

function anyBitBelow(w: Float64Array, bit: number): boolean {
  for (let b = 0; b < bit; b++) if (bitAt(w, b) !== 0) return true;
  return false;
}

function extractBits(w: Float64Array, low: number, count: number): number {
  let v = 0;
  for (let b = low + count - 1; b >= low; b--) v = v * 2 + bitAt(w, b);
  return v;
}

/** Integer significand (53 bits, top bit set) of a finite non-zero double; its exponent is exponentOf(v) - 52. */
function significand(v: number): number {
  return scaleByPow2(Math.abs(v), 52 - exponentOf(v));
}

/** Rounds c + a * b for finite non-zero doubles. */
function mulAddFinite64(st: FpStatus, c: number, a: number, b: number, mode: RoundingMode, scale: number): number {
  const productNegative = a < 0 !== b < 0;
  const ep = exponentOf(a) + exponentOf(b) - 104; // exponent of the product's lowest bit
  const ec = exponentOf(c) - 52;
  multiplyLimbs(significand(a), significand(b));
  const productTop = ep + (prodLimbs[6]! >= 512 ? 106 : 105);
  const base = Math.max(productTop, ec + 53) + 2 - WINDOW_BITS;
  // An operand that falls below the window is far below the other one's last bit: it only acts as a sticky bit.
  if (ep >= base) placeLimbs(x, prodLimbs, 8, ep - base);
  else x.fill(0).fill(1, 0, 1);
  toLimbs(significand(c), aLimbs);
  if (ec >= base) placeLimbs(y, aLimbs, 4, ec - base);
  else y.fill(0).fill(1, 0, 1);
  let negative = productNegative;
  if (productNegative === c < 0) addLimbs(x, y, false);
  else {
    const order = compareLimbs(x, y);
    if (order === 0) return writeZero(st, Format.DOUBLE, mode === Rounding.NEGINF);
    if (order < 0) {
      addLimbs(y, x, true);
      x.set(y);
      negative = !negative;
    } else addLimbs(x, y, true);
  }
  const top = highestBit(x);
  const t1 = extractBits(x, top - 52, 53);
  let t2 = extractBits(x, top - 105, 53);
  if (t2 % 2 === 0 && anyBitBelow(x, top - 105)) t2 += 1; // jam: keeps ties and exactness decidable
  const lo = t2 * 2 ** -53;
  return roundPack(st, Format.DOUBLE, negative ? -t1 : t1, negative ? -lo : lo, base + top - 52 + scale, mode);
}

/** Rounds c + a * b for finite values in the double-exact formats (single, half). */
function mulAddFiniteNarrow(
  st: FpStatus,
  fmt: FpFormat,
  c: number,
  a: number,
  b: number,
  mode: RoundingMode,
  scale: number,
): number {
  const p = a * b;
  const s = p + c;
  if (s === 0) return writeZero(st, fmt, mode === Rounding.NEGINF);
  return roundPack(st, fmt, s, twoSumError(p, c, s), scale, mode);
}

/** Rounds (c + a * b) * 2^scale for finite non-zero a, b, c. */
export function mulAddFinite(
  st: FpStatus,
  fmt: FpFormat,
  c: number,
  a: number,
  b: number,
  mode: RoundingMode,
  scale: number,
): number {
  if (fmt === Format.DOUBLE) return mulAddFinite64(st, c, a, b, mode, scale);
  return mulAddFiniteNarrow(st, fmt, c, a, b, mode, scale);
}

/**
 * FPMulAdd(addend, op1, op2): addend + op1 * op2 with one rounding. Instructions that negate an operand
 * (FMSUB, FNMADD...) flip its sign bit before calling, as the ARM pseudocode does.
 */
export function fpMulAdd(
  st: FpStatus,
  fmt: FpFormat,
  cLo: number,
  cHi: number,
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
): number {
  const tc = unpack(st, fmt, 2, cLo, cHi);
  const t1 = unpack(st, fmt, 0, aLo, aHi);
  const t2 = unpack(st, fmt, 1, bLo, bHi);
  const invalidProduct =
    (t1 === FpType.INFINITY && t2 === FpType.ZERO) || (t1 === FpType.ZERO && t2 === FpType.INFINITY);
  if (tc >= FpType.QNAN || t1 >= FpType.QNAN || t2 >= FpType.QNAN) {
    if (tc === FpType.QNAN && invalidProduct && t1 < FpType.QNAN && t2 < FpType.QNAN) {
      st.fpsr |= FPSR.IOC;
      return writeDefaultNaN(st, fmt);
    }
    return processNaNs3(st, fmt, tc, cLo, cHi, t1, aLo, aHi, t2, bLo, bHi);
  }
  const c = unpacked[2]!;
  const a = unpacked[0]!;
  const b = unpacked[1]!;
  const productNegative = isNegative(a) !== isNegative(b);
  const productInf = t1 === FpType.INFINITY || t2 === FpType.INFINITY;
  const productZero = t1 === FpType.ZERO || t2 === FpType.ZERO;
  if (invalidProduct || (tc === FpType.INFINITY && productInf && c < 0 !== productNegative)) {
    st.fpsr |= FPSR.IOC;
    return writeDefaultNaN(st, fmt);
  }
  if (tc === FpType.INFINITY) return writeInfinity(st, fmt, c < 0);
  if (productInf) return writeInfinity(st, fmt, productNegative);
  const mode = st.rounding();
  if (productZero) {
    if (tc === FpType.ZERO && isNegative(c) === productNegative) return writeZero(st, fmt, productNegative);
    return addFinite(st, fmt, c, 0, mode);
  }
  if (tc === FpType.ZERO) return mulFinite(st, fmt, a, b, mode);
  return mulAddFinite(st, fmt, c, a, b, mode, 0);
}
