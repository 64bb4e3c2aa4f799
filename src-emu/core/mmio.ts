/**
 * MMIO callbacks and the size adjustment between a guest access and what a device implements, after QEMU's
 * MemoryRegionOps and access_with_adjusted_size.
 *
 * - `valid` says which accesses the guest may make; anything else is a guest error (checked by the caller,
 *   see `accessRejection`).
 * - `impl` says which sizes the callbacks handle. A wider access is split into impl.max pieces, lowest
 *   address first. A narrower one is widened: the device sees an impl.min access at the offset rounded down
 *   to impl.min; a read returns the addressed bytes of its result, a write passes the guest's bytes shifted
 *   into their lanes with the other lanes zero. (QEMU instead passes the unaligned offset through; lanes are
 *   what device code expects to decode.)
 * - `endian` is the device's byte order. Values exchanged with the guest are little-endian, so pieces of a
 *   big-endian device are byte-swapped, and splitting/widening keeps the guest's byte addresses right.
 */

export type AccessSize = 1 | 2 | 4 | 8;
export type ImplSize = 1 | 2 | 4;
export type Endian = 'little' | 'big';

export interface MmioOps {
  /** Returns the register value, unsigned (bits above `size` are ignored). */
  readonly read: (offset: number, size: number) => number;
  readonly write: (offset: number, size: number, value: number) => void;
  readonly valid: { readonly min: AccessSize; readonly max: AccessSize; readonly unaligned: boolean };
  readonly impl: { readonly min: ImplSize; readonly max: ImplSize };
  readonly endian: Endian;
}

/** What device code writes; `mmioOps` fills in the defaults. */
export interface MmioOpsInit {
  readonly read?: (offset: number, size: number) => number;
  readonly write?: (offset: number, size: number, value: number) => void;
  /** Default 1..4, aligned only. */
  readonly valid?: { readonly min?: AccessSize; readonly max?: AccessSize; readonly unaligned?: boolean };
  /** Default: the valid sizes, with max clamped to 4. */
  readonly impl?: { readonly min?: ImplSize; readonly max?: ImplSize };
  /** Default 'little'. */
  readonly endian?: Endian;
}

const SIZES: readonly number[] = [1, 2, 4, 8];

/**
 * Builds validated MMIO ops. A missing `read` reads as zero and a missing `write` ignores the value (both
 * silently: a region that wants to complain about them should say so itself).
 */
export function mmioOps(init: MmioOpsInit): MmioOps {
  const validMin = init.valid?.min ?? 1;
  const validMax = init.valid?.max ?? 4;
  const implMin = init.impl?.min ?? (Math.min(validMin, 4) as ImplSize);
  const implMax = init.impl?.max ?? (Math.min(validMax, 4) as ImplSize);
  for (const [what, size] of [
    ['valid.min', validMin],
    ['valid.max', validMax],
    ['impl.min', implMin],
    ['impl.max', implMax],
  ] as const) {
    if (!SIZES.includes(size)) throw new Error(`MMIO ops: ${what} must be 1, 2, 4 or 8 (got ${size})`);
  }
  if (validMin > validMax) throw new Error(`MMIO ops: valid.min ${validMin} is larger than valid.max ${validMax}`);
  if (implMin > implMax) throw new Error(`MMIO ops: impl.min ${implMin} is larger than impl.max ${implMax}`);
  if (implMax > 4) throw new Error(`MMIO ops: impl.max must be at most 4 (got ${implMax})`);
  const endian = init.endian ?? 'little';
  if (endian !== 'little' && endian !== 'big') throw new Error(`MMIO ops: unknown endianness '${String(endian)}'`);
  return {
    read: init.read ?? readZero,
    write: init.write ?? ignoreWrite,
    valid: { min: validMin, max: validMax, unaligned: init.valid?.unaligned ?? false },
    impl: { min: implMin, max: implMax },
    endian,
  };
}

function readZero(): number {
  return 0;
}

function ignoreWrite(): void {}

/** Why the guest may not make this access, or null when it may. */
export function accessRejection(ops: MmioOps, offset: number, size: number): string | null {
  if (size < ops.valid.min || size > ops.valid.max) {
    return ops.valid.min === ops.valid.max
      ? `size must be ${ops.valid.min}`
      : `size must be ${ops.valid.min}..${ops.valid.max}`;
  }
  if (!ops.valid.unaligned && offset % size !== 0) return 'unaligned';
  return null;
}

/** Mask of the low `bytes` bytes (1..4) as an unsigned number. */
function byteMask(bytes: number): number {
  return bytes >= 4 ? 0xffffffff : (1 << (bytes * 8)) - 1;
}

export function bswap16(value: number): number {
  return ((value & 0xff) << 8) | ((value >>> 8) & 0xff);
}

export function bswap32(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | ((value >>> 24) & 0xff)) >>> 0;
}

function toLittle(value: number, size: number, big: boolean): number {
  if (!big || size === 1) return value;
  return size === 2 ? bswap16(value) : bswap32(value);
}

function pieceSize(ops: MmioOps, size: number): number {
  return size < ops.impl.min ? ops.impl.min : size > ops.impl.max ? ops.impl.max : size;
}

/** First device offset to call: rounded down to the piece size when widening. */
function firstPiece(offset: number, size: number, piece: number): number {
  return piece > size ? offset - (offset % piece) : offset;
}

/** Reads `size` (1, 2 or 4) bytes at `offset` as the guest sees them (little-endian, unsigned). */
export function mmioRead(ops: MmioOps, offset: number, size: number): number {
  const big = ops.endian === 'big';
  if (!big && size >= ops.impl.min && size <= ops.impl.max) {
    return (ops.read(offset, size) & byteMask(size)) >>> 0;
  }
  const piece = pieceSize(ops, size);
  const end = offset + size;
  let result = 0;
  for (let at = firstPiece(offset, size, piece); at < end; at += piece) {
    const value = toLittle((ops.read(at, piece) & byteMask(piece)) >>> 0, piece, big);
    const lo = at > offset ? at : offset;
    const hi = at + piece < end ? at + piece : end;
    result |= ((value >>> ((lo - at) * 8)) & byteMask(hi - lo)) << ((lo - offset) * 8);
  }
  return result >>> 0;
}

/** Writes the low `size` (1, 2 or 4) bytes of `value` at `offset`, little-endian as the guest sees them. */
export function mmioWrite(ops: MmioOps, offset: number, size: number, value: number): void {
  const big = ops.endian === 'big';
  if (!big && size >= ops.impl.min && size <= ops.impl.max) {
    ops.write(offset, size, (value & byteMask(size)) >>> 0);
    return;
  }
  const piece = pieceSize(ops, size);
  const end = offset + size;
  for (let at = firstPiece(offset, size, piece); at < end; at += piece) {
    const lo = at > offset ? at : offset;
    const hi = at + piece < end ? at + piece : end;
    const lanes = ((value >>> ((lo - offset) * 8)) & byteMask(hi - lo)) << ((lo - at) * 8);
    ops.write(at, piece, toLittle(lanes >>> 0, piece, big));
  }
}
