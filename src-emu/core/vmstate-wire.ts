/**
 * Big-endian byte writer and reader for the VMState stream (QEMU's stream is big-endian too).
 * The reader never throws a host RangeError on short input: it throws `WireTruncated`, which the
 * VMState loader turns into an error naming the section and field.
 */

const TWO_32 = 0x1_0000_0000;

export class WireTruncated extends Error {
  constructor(
    readonly needed: number,
    readonly available: number,
  ) {
    super(`truncated stream: needed ${needed} more byte(s), ${available} left`);
  }
}

export class ByteWriter {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  private length = 0;

  /** Room for `count` more bytes; may replace `bytes` and `view`, so callers read `view` only after it. */
  private reserve(count: number): number {
    const at = this.length;
    if (at + count > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, at + count));
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length = at + count;
    return at;
  }

  u8(value: number): void {
    const at = this.reserve(1);
    this.view.setUint8(at, value);
  }
  u16(value: number): void {
    const at = this.reserve(2);
    this.view.setUint16(at, value);
  }
  u32(value: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, value >>> 0);
  }
  u64(value: bigint): void {
    const at = this.reserve(8);
    this.view.setBigUint64(at, BigInt.asUintN(64, value));
  }
  /** A safe integer written as a signed 64-bit value. */
  i64FromNumber(value: number): void {
    const hi = Math.floor(value / TWO_32);
    const at = this.reserve(8);
    this.view.setInt32(at, hi);
    this.view.setUint32(at + 4, value - hi * TWO_32);
  }
  f64(value: number): void {
    const at = this.reserve(8);
    this.view.setFloat64(at, value);
  }
  raw(data: Uint8Array): void {
    // reserve() first: it may replace `bytes`, which must be read after it.
    const at = this.reserve(data.length);
    this.bytes.set(data, at);
  }
  /** A one-byte length then the ASCII text, as QEMU writes section names. */
  shortString(text: string): void {
    if (text.length > 255) throw new Error(`name '${text}' is longer than 255 characters`);
    this.u8(text.length);
    for (let i = 0; i < text.length; i++) this.u8(text.charCodeAt(i) & 0xff);
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

export class ByteReader {
  private readonly view: DataView;
  offset = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private take(count: number): number {
    if (count > this.remaining) throw new WireTruncated(count, this.remaining);
    const at = this.offset;
    this.offset += count;
    return at;
  }

  peekU8(): number {
    return this.remaining > 0 ? this.bytes[this.offset] : -1;
  }
  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  i8(): number {
    return this.view.getInt8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2));
  }
  i16(): number {
    return this.view.getInt16(this.take(2));
  }
  u32(): number {
    return this.view.getUint32(this.take(4));
  }
  i32(): number {
    return this.view.getInt32(this.take(4));
  }
  u64(): bigint {
    return this.view.getBigUint64(this.take(8));
  }
  i64(): bigint {
    return this.view.getBigInt64(this.take(8));
  }
  /** A signed 64-bit value as a number; NaN when it is outside the safe-integer range. */
  i64AsNumber(): number {
    const at = this.take(8);
    const value = this.view.getInt32(at) * TWO_32 + this.view.getUint32(at + 4);
    return Number.isSafeInteger(value) ? value : NaN;
  }
  f64(): number {
    return this.view.getFloat64(this.take(8));
  }
  raw(count: number): Uint8Array {
    const at = this.take(count);
    return this.bytes.slice(at, at + count);
  }
  shortString(): string {
    const length = this.u8();
    const at = this.take(length);
    return String.fromCharCode(...this.bytes.subarray(at, at + length));
  }
  /** Reads a short string at the current offset without consuming it ('' when it does not fit). */
  peekShortStringAfter(skip: number): string {
    const start = this.offset + skip;
    if (start >= this.bytes.length) return '';
    const length = this.bytes[start];
    if (start + 1 + length > this.bytes.length) return '';
    return String.fromCharCode(...this.bytes.subarray(start + 1, start + 1 + length));
  }
}
