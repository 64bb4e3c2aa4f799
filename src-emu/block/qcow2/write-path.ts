/**
 * Writes, zeroes and discards on a qcow2 image, one chunk of clusters at a time, in an order that a crash
 * at any moment leaves the image consistent (at worst with leaked clusters):
 *
 *   1. allocate: refcounts of new clusters (data, L2 tables) are set to one on disk;
 *   2. write guest data (whole clusters for new ones, with copy-on-write of the old content) and new L2
 *      tables (complete, entries included);
 *   3. barrier (fdatasync, unless the cache mode is unsafe);
 *   4. link: L2 entries in existing tables, then L1 entries for new tables;
 *   5. if clusters were replaced: barrier, then drop the old clusters' references.
 *
 * The caller holds the image's exclusive lock: nothing else reads or changes metadata meanwhile.
 */
import { BlockError } from '../types';
import { UNALLOCATED, normalEntry, setL2Entry, type ClusterMapping } from './cluster-map';
import { barrier, readMapped, type Qcow2Context } from './context';
import { ZERO_LO, hex } from './layout';

/** Bounds the memory one chunk of a large request needs. */
const CHUNK_BYTES = 4 * 1024 * 1024;

interface TableSlot {
  readonly l1Index: number;
  /** 0 while the table is new (not yet linked from L1). */
  readonly offset: number;
  readonly table: Uint8Array;
  /** Where the new table will live. */
  readonly newOffset: number;
  /** L2 indexes changed in an existing table. */
  readonly dirty: Set<number>;
}

/** One chunk's work: tables touched, clusters to release once the new mapping is linked. */
class ChunkPlan {
  readonly tables = new Map<number, TableSlot>();
  readonly releases: number[] = [];
  allocated = false;

  constructor(private readonly ctx: Qcow2Context) {}

  /** The L2 table for `l1Index`, allocating a new one if `create` (null when missing and not creating). */
  async slot(l1Index: number, create: boolean): Promise<TableSlot | null> {
    const known = this.tables.get(l1Index);
    if (known !== undefined) return known;
    const { map, refcounts } = this.ctx;
    const offset = map.l2Offset(l1Index);
    let slot: TableSlot;
    if (offset !== 0) {
      if (!map.l1Copied(l1Index) && (await refcounts.get(offset / this.ctx.cs)) !== 1) {
        throw new BlockError(this.ctx.file.path, `L2 table ${hex(offset)} is shared (internal snapshot): not writable`);
      }
      slot = { l1Index, offset, table: await map.table(offset), newOffset: 0, dirty: new Set() };
    } else {
      if (!create) return null;
      const newOffset = await refcounts.allocate();
      this.allocated = true;
      slot = { l1Index, offset: 0, table: new Uint8Array(this.ctx.cs), newOffset, dirty: new Set() };
    }
    this.tables.set(l1Index, slot);
    return slot;
  }

  setEntry(slot: TableSlot, index: number, hi: number, lo: number): void {
    setL2Entry(slot.table, index, hi, lo);
    if (slot.offset !== 0) slot.dirty.add(index);
  }

  /** The old cluster behind a mapping that is being replaced. */
  releaseOld(m: ClusterMapping): void {
    if (m.kind === 'normal' || (m.kind === 'zero' && m.host !== 0)) this.releases.push(m.host);
    if (m.kind === 'compressed') {
      const cs = this.ctx.cs;
      const first = Math.floor(m.host / cs);
      const last = Math.floor((m.host + m.length - 1) / cs);
      for (let c = first; c <= last; c++) this.releases.push(c * cs);
    }
  }

  /** Steps 2 (new tables), 3, 4 and 5. */
  async commit(): Promise<void> {
    const { ctx } = this;
    const fresh = [...this.tables.values()].filter((s) => s.offset === 0);
    for (const slot of fresh) await ctx.file.write(slot.newOffset, slot.table);
    if (this.allocated || fresh.length > 0) await barrier(ctx);
    for (const slot of this.tables.values()) {
      if (slot.offset !== 0) await writeDirtyRuns(ctx, slot);
    }
    for (const slot of fresh) {
      await ctx.map.setL1(slot.l1Index, slot.newOffset);
      ctx.map.adopt(slot.newOffset, slot.table);
    }
    if (this.releases.length > 0) {
      await barrier(ctx);
      // A released cluster may be reused for other data: forget any inflated copy.
      ctx.lastInflated = null;
      for (const host of this.releases) await ctx.refcounts.release(host);
    }
  }
}

async function writeDirtyRuns(ctx: Qcow2Context, slot: TableSlot): Promise<void> {
  const indexes = [...slot.dirty].sort((a, b) => a - b);
  let i = 0;
  while (i < indexes.length) {
    let j = i + 1;
    while (j < indexes.length && indexes[j] === indexes[j - 1]! + 1) j++;
    await ctx.map.writeEntries(slot.offset, slot.table, indexes[i]!, j - i);
    i = j;
  }
}

async function isExclusive(ctx: Qcow2Context, m: ClusterMapping): Promise<boolean> {
  if (m.kind !== 'normal' && m.kind !== 'zero') return false;
  if (m.host === 0) return false;
  return m.copied || (await ctx.refcounts.get(m.host / ctx.cs)) === 1;
}

/** Writes `src` at guest `offset` (already bounds-checked). */
export async function writeRange(ctx: Qcow2Context, offset: number, src: Uint8Array): Promise<void> {
  for (let done = 0; done < src.length;) {
    const pos = offset + done;
    const n = Math.min(src.length - done, CHUNK_BYTES - (pos % ctx.cs));
    await writeChunk(ctx, pos, src.subarray(done, done + n));
    done += n;
  }
}

type ClusterAction = 'in-place' | 'rewrite' | 'allocate';

interface ClusterWrite {
  readonly gc: number;
  readonly inCluster: number;
  readonly part: Uint8Array;
  readonly slot: TableSlot;
  readonly mapping: ClusterMapping;
  readonly action: ClusterAction;
}

async function writeChunk(ctx: Qcow2Context, offset: number, src: Uint8Array): Promise<void> {
  const { cs, map } = ctx;
  const plan = new ChunkPlan(ctx);
  const clusters: ClusterWrite[] = [];
  for (let done = 0; done < src.length;) {
    const pos = offset + done;
    const gc = Math.floor(pos / cs);
    const inCluster = pos % cs;
    const part = src.subarray(done, done + Math.min(cs - inCluster, src.length - done));
    done += part.length;
    const slot = (await plan.slot(Math.floor(gc / map.l2Entries), true))!;
    const mapping = slot.offset === 0 ? UNALLOCATED : map.decode(slot.table, gc % map.l2Entries, gc);
    const exclusive = await isExclusive(ctx, mapping);
    const action = !exclusive ? 'allocate' : mapping.kind === 'normal' ? 'in-place' : 'rewrite';
    clusters.push({ gc, inCluster, part, slot, mapping, action });
  }
  const fresh = await ctx.refcounts.allocateMany(clusters.filter((c) => c.action === 'allocate').length);
  if (fresh.length > 0) plan.allocated = true;
  const batch = new WriteBatch(ctx);
  let next = 0;
  for (const c of clusters) {
    const m = c.mapping;
    if (c.action === 'in-place' && m.kind === 'normal') {
      await batch.add(m.host + c.inCluster, c.part);
      continue;
    }
    const whole = new Uint8Array(cs);
    if (c.part.length < cs) await readMapped(ctx, c.gc, m, 0, whole);
    whole.set(c.part, c.inCluster);
    let host: number;
    if (c.action === 'allocate') {
      host = fresh[next++]!;
      plan.releaseOld(m);
    } else {
      host = (m as Extract<ClusterMapping, { kind: 'zero' }>).host;
    }
    await batch.add(host, whole);
    const entry = normalEntry(host);
    plan.setEntry(c.slot, c.gc % map.l2Entries, entry.hi, entry.lo);
  }
  await batch.flush();
  await plan.commit();
}

/** Joins writes to consecutive host offsets into one call. */
class WriteBatch {
  private parts: Uint8Array[] = [];
  private start = 0;
  private end = 0;

  constructor(private readonly ctx: Qcow2Context) {}

  async add(host: number, data: Uint8Array): Promise<void> {
    if (this.parts.length > 0 && host !== this.end) await this.flush();
    if (this.parts.length === 0) this.start = this.end = host;
    this.parts.push(data);
    this.end += data.length;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    await this.ctx.file.write(this.start, data);
  }
}

/**
 * What whole clusters become on writeZeroes or discard: zero clusters (version 3; needed where a backing
 * file would otherwise show through) or unallocated (reads as zeroes when there is no backing file).
 */
export type ZeroTarget = 'zero-flag' | 'unallocated';

/** Remaps whole clusters [first, first + count) to `target`, releasing what they pointed to. */
export async function zeroClusters(ctx: Qcow2Context, first: number, count: number, target: ZeroTarget): Promise<void> {
  const perChunk = Math.max(1, CHUNK_BYTES / ctx.cs);
  for (let gc = first; gc < first + count; gc += perChunk) {
    await zeroChunk(ctx, gc, Math.min(perChunk, first + count - gc), target);
  }
}

async function zeroChunk(ctx: Qcow2Context, first: number, count: number, target: ZeroTarget): Promise<void> {
  const { map } = ctx;
  const plan = new ChunkPlan(ctx);
  for (let gc = first; gc < first + count; gc++) {
    const l1Index = Math.floor(gc / map.l2Entries);
    const index = gc % map.l2Entries;
    // Without a backing file an unallocated cluster already reads as zeroes: no table is needed for it.
    const slot = await plan.slot(l1Index, target === 'zero-flag' && ctx.backing !== null);
    if (slot === null) continue;
    const m = slot.offset === 0 ? UNALLOCATED : map.decode(slot.table, index, gc);
    if (m.kind === 'unallocated' && (target === 'unallocated' || ctx.backing === null)) continue;
    if (m.kind === 'zero' && m.host === 0 && target === 'zero-flag') continue;
    plan.releaseOld(m);
    plan.setEntry(slot, index, 0, target === 'zero-flag' ? ZERO_LO : 0);
  }
  await plan.commit();
}
