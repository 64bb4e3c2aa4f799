/**
 * The block-backend contract shared by every disk format: what virtio-blk and the snapshot code call.
 *
 * Offsets and lengths are byte counts (sector alignment is not required at this layer). Every method is
 * asynchronous and never blocks the thread that runs the vCPUs.
 */

/** What a backend can do beyond plain reads and writes; virtio-blk offers features from these. */
export interface BlockCapabilities {
  /** `discard` releases space (otherwise it is accepted and ignored). */
  readonly discard: boolean;
  /** `writeZeroes` is cheaper than writing a buffer of zeroes (metadata-only where whole clusters). */
  readonly efficientZeroes: boolean;
  /** `blockStatus` tells allocated ranges apart (otherwise everything reports as data). */
  readonly allocationStatus: boolean;
}

/**
 * How a range of the virtual disk is defined by this image (not its backing chain):
 * - `data`: stored in this image;
 * - `zero`: this image says the range reads as zeroes (qcow2 zero clusters);
 * - `backing`: not allocated here, the content comes from the backing file;
 * - `hole`: not allocated anywhere, reads as zeroes.
 */
export type ExtentKind = 'data' | 'zero' | 'backing' | 'hole';

export interface Extent {
  readonly offset: number;
  readonly length: number;
  readonly kind: ExtentKind;
}

export interface BlockBackend {
  /** Image file path, for messages. */
  readonly path: string;
  readonly format: 'raw' | 'qcow2';
  /** Virtual disk size in bytes. */
  readonly size: number;
  readonly readOnly: boolean;
  readonly capabilities: BlockCapabilities;
  /** Fills `dest` with the bytes at `offset`. */
  read(offset: number, dest: Uint8Array): Promise<void>;
  write(offset: number, src: Uint8Array): Promise<void>;
  /** Makes every completed write durable (fdatasync). */
  flush(): Promise<void>;
  /** Advisory: whole clusters in the range stop being allocated and read as zeroes afterwards. */
  discard(offset: number, length: number): Promise<void>;
  /** The range reads as zeroes afterwards. */
  writeZeroes(offset: number, length: number): Promise<void>;
  /** Extents covering [offset, offset + length), merged, in order. */
  blockStatus(offset: number, length: number): Promise<Extent[]>;
  /** `blockStatus` over the whole disk. */
  allocationMap(): Promise<Extent[]>;
  /** Flushes, then closes this image and its backing chain. */
  close(): Promise<void>;
}

/** A configuration or image problem; the message always names the file. */
export class BlockError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'BlockError';
  }
}

/**
 * When metadata updates reach the disk:
 * - `writeback` (default): dependent metadata writes are separated by fdatasync, so a power loss leaves at
 *   worst leaked clusters; guest data is durable after `flush()`;
 * - `writethrough`: as writeback, and every write request is synced before it completes;
 * - `unsafe`: writes are ordered but never synced except by `flush()`; safe against the process being
 *   killed, not against power loss (installs and tests).
 */
export type CacheMode = 'writeback' | 'writethrough' | 'unsafe';

export function checkRequest(path: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new BlockError(path, `invalid request offset ${offset} length ${length}`);
  }
  if (offset + length > size) {
    throw new BlockError(path, `request [${offset}, ${offset + length}) beyond the end of the disk (${size} bytes)`);
  }
}

/** Appends an extent, merging it with the previous one when contiguous and of the same kind. */
export function pushExtent(list: Extent[], offset: number, length: number, kind: ExtentKind): void {
  if (length === 0) return;
  const last = list[list.length - 1];
  if (last !== undefined && last.kind === kind && last.offset + last.length === offset) {
    list[list.length - 1] = { offset: last.offset, length: last.length + length, kind };
  } else {
    list.push({ offset, length, kind });
  }
}
