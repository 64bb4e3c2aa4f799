/**
 * Guest-to-host cluster mapping: the active L1 table (in memory) and a small cache of L2 tables, both
 * write-through. Entries are validated when used; a bad one is reported as corruption naming the file and
 * the guest offset, never followed.
 */
import type { ImageFile } from '../image-file';
import { readExact } from '../image-file';
import { BlockError } from '../types';
import {
  COMPRESSED_HI,
  COPIED_HI,
  ZERO_LO,
  compressedExtent,
  entryOffset,
  hex,
  l1Reserved,
  l2Reserved,
  writeU64,
} from './layout';

const L2_CACHE_SIZE = 32;

/** What one guest cluster maps to. `copied` is bit 63 (refcount exactly one). */
export type ClusterMapping =
  | { readonly kind: 'unallocated' }
  | { readonly kind: 'zero'; readonly host: number; readonly copied: boolean }
  | { readonly kind: 'normal'; readonly host: number; readonly copied: boolean }
  | { readonly kind: 'compressed'; readonly host: number; readonly length: number };

export const UNALLOCATED: ClusterMapping = { kind: 'unallocated' };

export class ClusterMap {
  readonly cs: number;
  /** Guest clusters per L2 table. */
  readonly l2Entries: number;
  private readonly l1: DataView;
  private readonly l2Cache = new Map<number, Promise<Uint8Array>>();

  constructor(
    private readonly file: ImageFile,
    readonly clusterBits: number,
    private readonly l1Offset: number,
    l1Bytes: Uint8Array,
    private readonly version: 2 | 3,
  ) {
    this.cs = 2 ** clusterBits;
    this.l2Entries = this.cs / 8;
    this.l1 = new DataView(l1Bytes.buffer, l1Bytes.byteOffset, l1Bytes.byteLength);
  }

  get l1Size(): number {
    return this.l1.byteLength / 8;
  }

  /** Checks every L1 entry (done once at open: the table is small). */
  validateL1(): void {
    for (let i = 0; i < this.l1Size; i++) {
      const hi = this.l1.getUint32(i * 8);
      const lo = this.l1.getUint32(i * 8 + 4);
      const offset = entryOffset(hi, lo);
      if (offset === 0 && (lo | (hi & 0x7fff_ffff)) === 0) continue;
      if (l1Reserved(hi, lo) || offset % this.cs !== 0) {
        throw new BlockError(this.file.path, `L2 table offset ${hex(offset)} (L1 entry ${i}) is not cluster-aligned`);
      }
      if (offset === 0 || offset + this.cs > this.file.length) {
        throw new BlockError(
          this.file.path,
          `L2 table offset ${hex(offset)} (L1 entry ${i}) lies beyond the end of the file (${this.file.length} bytes)`,
        );
      }
    }
  }

  l2Offset(l1Index: number): number {
    return entryOffset(this.l1.getUint32(l1Index * 8), this.l1.getUint32(l1Index * 8 + 4));
  }

  l1Copied(l1Index: number): boolean {
    return (this.l1.getUint32(l1Index * 8) & COPIED_HI) !== 0;
  }

  /** The L2 table at `offset` (loaded once; concurrent readers share the load). */
  table(offset: number): Promise<Uint8Array> {
    let entry = this.l2Cache.get(offset);
    if (entry !== undefined) {
      this.l2Cache.delete(offset);
    } else {
      entry = readExact(this.file, offset, this.cs, 'L2 table');
      entry.catch(() => this.l2Cache.delete(offset));
    }
    this.l2Cache.set(offset, entry);
    if (this.l2Cache.size > L2_CACHE_SIZE) this.l2Cache.delete(this.l2Cache.keys().next().value!);
    return entry;
  }

  /** Adds a table built in memory (a new L2 table, already written). */
  adopt(offset: number, table: Uint8Array): void {
    this.l2Cache.set(offset, Promise.resolve(table));
    if (this.l2Cache.size > L2_CACHE_SIZE) this.l2Cache.delete(this.l2Cache.keys().next().value!);
  }

  forget(offset: number): void {
    this.l2Cache.delete(offset);
  }

  /** How guest cluster `gc` is mapped. */
  async lookup(gc: number): Promise<ClusterMapping> {
    const l1Index = Math.floor(gc / this.l2Entries);
    const l2 = this.l2Offset(l1Index);
    if (l2 === 0) return UNALLOCATED;
    const table = await this.table(l2);
    return this.decode(table, gc % this.l2Entries, gc);
  }

  decode(table: Uint8Array, index: number, gc: number): ClusterMapping {
    const v = new DataView(table.buffer, table.byteOffset, table.byteLength);
    const hi = v.getUint32(index * 8);
    const lo = v.getUint32(index * 8 + 4);
    if ((hi & COMPRESSED_HI) !== 0) return this.decodeCompressed(hi, lo, gc);
    const host = entryOffset(hi, lo);
    const copied = (hi & COPIED_HI) !== 0;
    const zero = this.version === 3 && (lo & ZERO_LO) !== 0;
    if (l2Reserved(hi, lo) || (this.version === 2 && (lo & ZERO_LO) !== 0) || host % this.cs !== 0) {
      this.corrupt(
        gc,
        `L2 entry ${hex(hi)}_${hex(lo >>> 0)
          .slice(2)
          .padStart(8, '0')} has reserved bits set`,
      );
    }
    if (host !== 0 && host + this.cs > this.roundedFileLength()) {
      this.corrupt(gc, `data cluster ${hex(host)} lies beyond the end of the file`);
    }
    if (zero) return { kind: 'zero', host, copied };
    if (host === 0) {
      if (copied) this.corrupt(gc, 'L2 entry has offset 0 with the copied flag');
      return UNALLOCATED;
    }
    return { kind: 'normal', host, copied };
  }

  private decodeCompressed(hi: number, lo: number, gc: number): ClusterMapping {
    if ((hi & COPIED_HI) !== 0) this.corrupt(gc, 'compressed cluster with the copied flag');
    const { offset, length } = compressedExtent(hi, lo, this.clusterBits);
    if (offset === 0 || offset >= this.file.length) {
      this.corrupt(gc, `compressed data at ${hex(offset)} lies beyond the end of the file`);
    }
    return { kind: 'compressed', host: offset, length: Math.min(length, this.file.length - offset) };
  }

  private roundedFileLength(): number {
    return Math.ceil(this.file.length / this.cs) * this.cs;
  }

  private corrupt(gc: number, problem: string): never {
    throw new BlockError(this.file.path, `corrupt image at guest offset ${hex(gc * this.cs)}: ${problem}`);
  }

  /** Writes L2 entries [first, first + count) of `table` (already updated in memory) to the file. */
  async writeEntries(l2Offset: number, table: Uint8Array, first: number, count: number): Promise<void> {
    await this.file.write(l2Offset + first * 8, table.subarray(first * 8, (first + count) * 8));
  }

  /** Points L1 entry `l1Index` at a (refcount one) L2 table. */
  async setL1(l1Index: number, l2Offset: number): Promise<void> {
    const bytes = new Uint8Array(8);
    const v = new DataView(bytes.buffer);
    writeU64(v, 0, l2Offset);
    if (l2Offset !== 0) v.setUint32(0, v.getUint32(0) | COPIED_HI);
    await this.file.write(this.l1Offset + l1Index * 8, bytes);
    this.l1.setUint32(l1Index * 8, v.getUint32(0));
    this.l1.setUint32(l1Index * 8 + 4, v.getUint32(4));
  }
}

/** Stores an L2 entry in a table buffer. */
export function setL2Entry(table: Uint8Array, index: number, hi: number, lo: number): void {
  const v = new DataView(table.buffer, table.byteOffset, table.byteLength);
  v.setUint32(index * 8, hi >>> 0);
  v.setUint32(index * 8 + 4, lo >>> 0);
}

/** The L2 entry words for a standard cluster at `host` with refcount one. */
export function normalEntry(host: number): { hi: number; lo: number } {
  return { hi: (Math.floor(host / 0x1_0000_0000) | COPIED_HI) >>> 0, lo: host >>> 0 };
}
