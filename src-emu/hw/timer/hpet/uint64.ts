/**
 * Unsigned 64-bit values as two uint32 halves, for the HPET's 64-bit counter, comparators and periods.
 *
 * MMIO paths must not use BigInt or allocate, so each register owns one mutable `U64` and the arithmetic
 * works in place. Results wrap modulo 2^64, as the hardware's registers do. BigInt appears only in the
 * conversions used by migration.
 */

const TWO_32 = 2 ** 32;

export class U64 {
  hi = 0;
  lo = 0;

  constructor(hi = 0, lo = 0) {
    this.set(hi, lo);
  }

  set(hi: number, lo: number): this {
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this;
  }

  copy(other: U64): this {
    this.hi = other.hi;
    this.lo = other.lo;
    return this;
  }

  /** The low (`high` false) or high 32 bits. */
  half(high: boolean): number {
    return high ? this.hi : this.lo;
  }

  setHalf(high: boolean, value: number): this {
    if (high) this.hi = value >>> 0;
    else this.lo = value >>> 0;
    return this;
  }

  /** Adds a non-negative safe integer. */
  addNumber(n: number): this {
    const lo = this.lo + (n % TWO_32);
    this.lo = lo >>> 0;
    this.hi = (this.hi + Math.floor(n / TWO_32) + (lo >= TWO_32 ? 1 : 0)) >>> 0;
    return this;
  }

  add(other: U64): this {
    const lo = this.lo + other.lo;
    this.lo = lo >>> 0;
    this.hi = (this.hi + other.hi + (lo >= TWO_32 ? 1 : 0)) >>> 0;
    return this;
  }

  /** this = a - b (mod 2^64). */
  difference(a: U64, b: U64): this {
    const lo = a.lo - b.lo;
    this.lo = lo >>> 0;
    this.hi = (a.hi - b.hi - (lo < 0 ? 1 : 0)) >>> 0;
    return this;
  }

  /** Whether bit 63 is set: the value read as a signed 64-bit number is negative. */
  get negative(): boolean {
    return this.hi >= 0x8000_0000;
  }

  isZero(): boolean {
    return this.hi === 0 && this.lo === 0;
  }

  equals(other: U64): boolean {
    return this.hi === other.hi && this.lo === other.lo;
  }

  /** The value as a number; exact below 2^53, rounded above. */
  toNumber(): number {
    return this.hi * TWO_32 + this.lo;
  }

  toBigInt(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** Takes the low 64 bits of `value` (two's complement for negative values). */
  setBigInt(value: bigint): this {
    const v = BigInt.asUintN(64, value);
    return this.set(Number(v >> 32n), Number(v & 0xffff_ffffn));
  }
}

/** True when `value` (a whole number) is below 2^52, where sums of two such values stay exact. */
export function belowTwo52(value: U64): boolean {
  return value.hi < 0x10_0000;
}
