/**
 * Host cluster reference counts (16-bit entries): the two-level refcount table, cluster allocation and
 * release. Refcount blocks are cached (a few, write-through): every change reaches the file before the
 * caller goes on to reference the cluster.
 *
 * Allocation takes the lowest free cluster. A missing refcount block is placed at the first cluster of the
 * range it describes (that range is entirely free, so the block can count itself); a full refcount table is
 * replaced by a larger one written into a fresh range together with the block that counts it.
 */
import type { ImageFile } from '../image-file';
import { readExact } from '../image-file';
import { BlockError } from '../types';
import { MAX_REFCOUNT_TABLE_BYTES, hex, writeU64 } from './layout';

const BLOCK_CACHE_SIZE = 8;
const MAX_REFCOUNT = 0xffff;

export interface RefcountsInit {
  readonly file: ImageFile;
  readonly clusterBits: number;
  readonly tableOffset: number;
  readonly tableClusters: number;
  /** Separates dependent writes (fdatasync unless the cache mode is unsafe). */
  readonly barrier: () => Promise<void>;
}

export class Refcounts {
  private readonly file: ImageFile;
  private readonly cs: number;
  /** Refcount entries per block. */
  private readonly perBlock: number;
  private readonly barrier: () => Promise<void>;
  private table: number[] = [];
  private tableOffset: number;
  private tableClusters: number;
  private readonly blocks = new Map<number, Uint8Array>();
  /** Every cluster below this one is in use. */
  private freeCursor = 0;

  constructor(init: RefcountsInit) {
    this.file = init.file;
    this.cs = 2 ** init.clusterBits;
    this.perBlock = this.cs / 2;
    this.barrier = init.barrier;
    this.tableOffset = init.tableOffset;
    this.tableClusters = init.tableClusters;
  }

  get location(): { offset: number; clusters: number } {
    return { offset: this.tableOffset, clusters: this.tableClusters };
  }

  /** The refcount block offsets, in table order (0 for a missing block). */
  get blockOffsets(): readonly number[] {
    return this.table;
  }

  /** Reads and validates the refcount table. */
  async load(): Promise<void> {
    const bytes = await readExact(this.file, this.tableOffset, this.tableClusters * this.cs, 'refcount table');
    const v = new DataView(bytes.buffer);
    const table: number[] = [];
    for (let i = 0; i < bytes.length / 8; i++) {
      const hi = v.getUint32(i * 8);
      const lo = v.getUint32(i * 8 + 4);
      const offset = hi * 0x1_0000_0000 + ((lo & 0xffff_fe00) >>> 0);
      if (offset !== 0) {
        if ((lo & 0x1ff) !== 0 || offset % this.cs !== 0) {
          throw new BlockError(this.file.path, `refcount block ${i} offset ${hex(offset)} is not cluster-aligned`);
        }
        if (offset + this.cs > this.file.length) {
          throw new BlockError(this.file.path, `refcount block ${i} at ${hex(offset)} lies beyond the end of the file`);
        }
      }
      table.push(offset);
    }
    this.table = table;
  }

  async get(cluster: number): Promise<number> {
    const ti = Math.floor(cluster / this.perBlock);
    if (ti >= this.table.length || this.table[ti] === 0) return 0;
    const block = await this.block(this.table[ti]!);
    return (block[(cluster % this.perBlock) * 2]! << 8) | block[(cluster % this.perBlock) * 2 + 1]!;
  }

  /** Allocates one cluster (refcount 1, on disk) and returns its host offset. */
  async allocate(): Promise<number> {
    return (await this.allocateMany(1))[0]!;
  }

  /**
   * Allocates `count` clusters, contiguous where the free space allows (so that data can be written with
   * few calls); each run's refcounts reach the file in one write.
   */
  async allocateMany(count: number): Promise<number[]> {
    const out: number[] = [];
    while (out.length < count) {
      const cluster = await this.findFree(this.freeCursor);
      const ti = Math.floor(cluster / this.perBlock);
      if (ti >= this.table.length) {
        await this.growTable(ti);
        continue;
      }
      if (this.table[ti] === 0) {
        await this.createBlock(ti);
        continue;
      }
      const blockOffset = this.table[ti]!;
      const block = await this.block(blockOffset);
      const first = cluster % this.perBlock;
      let end = first + 1;
      while (
        end < this.perBlock &&
        end - first < count - out.length &&
        block[end * 2] === 0 &&
        block[end * 2 + 1] === 0
      ) {
        end++;
      }
      for (let i = first; i < end; i++) {
        block[i * 2 + 1] = 1;
        out.push((ti * this.perBlock + i) * this.cs);
      }
      await this.file.write(blockOffset + first * 2, block.subarray(first * 2, end * 2));
      this.freeCursor = ti * this.perBlock + end;
    }
    return out;
  }

  /** Drops one reference to the cluster at `hostOffset`. */
  async release(hostOffset: number): Promise<void> {
    const cluster = Math.floor(hostOffset / this.cs);
    const count = await this.get(cluster);
    if (count === 0) throw new BlockError(this.file.path, `freeing cluster ${hex(hostOffset)} whose refcount is 0`);
    await this.set(cluster, count - 1);
    if (count === 1 && cluster < this.freeCursor) this.freeCursor = cluster;
  }

  /** Adds one reference (a cluster shared by two compressed clusters, or by a copied table). */
  async addReference(hostOffset: number): Promise<void> {
    const cluster = Math.floor(hostOffset / this.cs);
    const count = await this.get(cluster);
    if (count >= MAX_REFCOUNT) throw new BlockError(this.file.path, `refcount overflow at ${hex(hostOffset)}`);
    await this.set(cluster, count + 1);
  }

  private async set(cluster: number, value: number): Promise<void> {
    const ti = Math.floor(cluster / this.perBlock);
    const blockOffset = this.table[ti];
    if (blockOffset === undefined || blockOffset === 0) {
      throw new BlockError(this.file.path, `no refcount block for cluster ${cluster}`);
    }
    const block = await this.block(blockOffset);
    const at = (cluster % this.perBlock) * 2;
    block[at] = value >>> 8;
    block[at + 1] = value & 0xff;
    await this.file.write(blockOffset + at, block.subarray(at, at + 2));
  }

  private async findFree(from: number): Promise<number> {
    let cluster = from;
    for (;;) {
      const ti = Math.floor(cluster / this.perBlock);
      if (ti >= this.table.length || this.table[ti] === 0) return cluster;
      const block = await this.block(this.table[ti]!);
      for (let i = cluster % this.perBlock; i < this.perBlock; i++) {
        if (block[i * 2] === 0 && block[i * 2 + 1] === 0) return ti * this.perBlock + i;
      }
      cluster = (ti + 1) * this.perBlock;
    }
  }

  private async block(offset: number): Promise<Uint8Array> {
    const cached = this.blocks.get(offset);
    if (cached !== undefined) {
      this.blocks.delete(offset);
      this.blocks.set(offset, cached);
      return cached;
    }
    const block = await readExact(this.file, offset, this.cs, 'refcount block');
    this.remember(offset, block);
    return block;
  }

  private remember(offset: number, block: Uint8Array): void {
    this.blocks.set(offset, block);
    if (this.blocks.size > BLOCK_CACHE_SIZE) this.blocks.delete(this.blocks.keys().next().value!);
  }

  /** A new refcount block at the start of the (free) range it describes, counting itself. */
  private async createBlock(ti: number): Promise<void> {
    const offset = ti * this.perBlock * this.cs;
    const block = new Uint8Array(this.cs);
    block[1] = 1;
    await this.file.write(offset, block);
    await this.barrier();
    const entry = new Uint8Array(8);
    writeU64(new DataView(entry.buffer), 0, offset);
    await this.file.write(this.tableOffset + ti * 8, entry);
    this.table[ti] = offset;
    this.remember(offset, block);
  }

  /**
   * Moves the refcount table to a larger one so that it covers block index `needed`. The new table and the
   * block that counts it go into the first range beyond the old table's reach, which is entirely free.
   */
  private async growTable(needed: number): Promise<void> {
    const entriesPerCluster = this.cs / 8;
    const rangeIndex = Math.max(this.table.length, needed);
    const entries = Math.ceil(Math.max(rangeIndex + 1, this.table.length * 2) / entriesPerCluster) * entriesPerCluster;
    const clusters = entries / entriesPerCluster;
    if (entries * 8 > MAX_REFCOUNT_TABLE_BYTES || clusters + 1 > this.perBlock) {
      throw new BlockError(this.file.path, 'image too large: the refcount table cannot grow further');
    }
    const blockOffset = rangeIndex * this.perBlock * this.cs;
    const block = new Uint8Array(this.cs);
    for (let i = 0; i <= clusters; i++) block[i * 2 + 1] = 1;
    const newTable = this.table.slice();
    while (newTable.length < entries) newTable.push(0);
    newTable[rangeIndex] = blockOffset;
    const tableBytes = new Uint8Array(entries * 8);
    const tv = new DataView(tableBytes.buffer);
    newTable.forEach((offset, i) => writeU64(tv, i * 8, offset));
    await this.file.write(blockOffset, block);
    await this.file.write(blockOffset + this.cs, tableBytes);
    await this.barrier();
    const header = new Uint8Array(12);
    const hv = new DataView(header.buffer);
    writeU64(hv, 0, blockOffset + this.cs);
    hv.setUint32(8, clusters);
    await this.file.write(48, header);
    await this.barrier();
    const old = { offset: this.tableOffset, clusters: this.tableClusters };
    this.table = newTable;
    this.tableOffset = blockOffset + this.cs;
    this.tableClusters = clusters;
    this.remember(blockOffset, block);
    for (let i = 0; i < old.clusters; i++) await this.release(old.offset + i * this.cs);
  }
}
