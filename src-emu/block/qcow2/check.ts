/**
 * A consistency check in the manner of `qemu-img check` (without repair): every cluster's stored refcount
 * is compared with the references found by walking the header, the L1/L2 tables (active and internal
 * snapshots), the refcount structures and the snapshot table. A refcount below its references, a bad
 * table entry or a wrong copied flag is a corruption; a refcount above its references is a leak.
 */
import { openImageFile, readExact, type ImageFile } from '../image-file';
import { BlockError } from '../types';
import {
  COMPRESSED_HI,
  COPIED_HI,
  EXT_BITMAPS,
  compressedExtent,
  entryOffset,
  hex,
  l1Reserved,
  l2Reserved,
  readU64,
  type Qcow2Header,
} from './layout';
import { readQcow2Metadata } from './open';
import { Refcounts } from './refcounts';

/** Refuse to check images whose reference array would be unreasonably large (2^27 clusters). */
const MAX_CHECKED_CLUSTERS = 1 << 27;

export interface Qcow2CheckResult {
  /** Problems that make the image unsafe to write (QEMU's "corruptions"), described. */
  readonly corruptions: string[];
  /** Clusters whose refcount exceeds their references: wasted space, harmless. */
  readonly leakedClusters: number;
  /** Clusters in use (referenced). */
  readonly allocatedClusters: number;
  /** Metadata this checker does not walk (its clusters may show up as leaks). */
  readonly notChecked: string[];
}

class Walker {
  readonly refs: Uint16Array;
  readonly corruptions: string[] = [];
  private readonly cs: number;

  constructor(
    private readonly file: ImageFile,
    private readonly header: Qcow2Header,
  ) {
    this.cs = 2 ** header.clusterBits;
    const clusters = Math.ceil(file.length / this.cs);
    if (clusters > MAX_CHECKED_CLUSTERS) throw new BlockError(file.path, 'image too large to check');
    this.refs = new Uint16Array(clusters);
  }

  /** Counts one reference to each cluster of [offset, offset + length). */
  reference(offset: number, length: number, what: string): void {
    if (offset % this.cs !== 0 && !what.startsWith('compressed')) {
      this.corruptions.push(`${what} at ${hex(offset)} is not cluster-aligned`);
      return;
    }
    const first = Math.floor(offset / this.cs);
    const last = Math.floor((offset + length - 1) / this.cs);
    if (last >= this.refs.length) {
      this.corruptions.push(`${what} at ${hex(offset)} lies beyond the end of the file`);
      return;
    }
    for (let c = first; c <= last; c++) if (this.refs[c]! < 0xffff) this.refs[c]!++;
  }

  /** Walks one L1 table and its L2 tables; returns the L2 tables with their copied flags for the second pass. */
  async walkL1(offset: number, entries: number, label: string): Promise<Array<{ l2: number; copied: boolean }>> {
    this.reference(offset, Math.max(8, entries * 8), `${label} L1 table`);
    const l1 = await readExact(this.file, offset, entries * 8, `${label} L1 table`);
    const v = new DataView(l1.buffer);
    const tables: Array<{ l2: number; copied: boolean }> = [];
    for (let i = 0; i < entries; i++) {
      const hi = v.getUint32(i * 8);
      const lo = v.getUint32(i * 8 + 4);
      const l2 = entryOffset(hi, lo);
      if (l2 === 0) continue;
      if (l1Reserved(hi, lo) || l2 % this.cs !== 0 || l2 + this.cs > this.file.length) {
        this.corruptions.push(`${label} L1 entry ${i}: bad L2 table offset ${hex(l2)}`);
        continue;
      }
      this.reference(l2, this.cs, `${label} L2 table`);
      await this.walkL2(l2, `${label} L1 entry ${i}`);
      tables.push({ l2, copied: (hi & COPIED_HI) !== 0 });
    }
    return tables;
  }

  private async walkL2(offset: number, label: string): Promise<void> {
    const table = await readExact(this.file, offset, this.cs, 'L2 table');
    const v = new DataView(table.buffer);
    for (let i = 0; i < this.cs / 8; i++) {
      const hi = v.getUint32(i * 8);
      const lo = v.getUint32(i * 8 + 4);
      if ((hi & COMPRESSED_HI) !== 0) {
        const { offset: at, length } = compressedExtent(hi, lo, this.header.clusterBits);
        this.reference(at, length, `compressed cluster (${label}, L2 index ${i})`);
        continue;
      }
      if (l2Reserved(hi, lo) || (this.header.version === 2 && (lo & 1) !== 0)) {
        this.corruptions.push(`${label}, L2 index ${i}: reserved bits set`);
        continue;
      }
      const host = entryOffset(hi, lo);
      if (host !== 0) this.reference(host, this.cs, `data cluster (${label}, L2 index ${i})`);
    }
  }

  async walkSnapshots(): Promise<void> {
    const { nbSnapshots, snapshotsOffset } = this.header;
    let pos = snapshotsOffset;
    for (let i = 0; i < nbSnapshots; i++) {
      if (pos + 40 > this.file.length) {
        this.corruptions.push(`snapshot table entry ${i} lies beyond the end of the file`);
        return;
      }
      const fixed = await readExact(this.file, pos, 40, 'snapshot table entry');
      const v = new DataView(fixed.buffer);
      const l1Offset = readU64(v, 0);
      const l1Size = v.getUint32(8);
      const length = 40 + v.getUint32(36) + v.getUint16(12) + v.getUint16(14);
      pos += Math.ceil(length / 8) * 8;
      if (l1Offset % this.cs !== 0 || l1Offset + l1Size * 8 > this.file.length || l1Size * 8 > 32 * 1024 * 1024) {
        this.corruptions.push(`snapshot ${i}: bad L1 table ${hex(l1Offset)} (${l1Size} entries)`);
        continue;
      }
      await this.walkL1(l1Offset, l1Size, `snapshot ${i}`);
    }
    if (nbSnapshots > 0) this.reference(snapshotsOffset, pos - snapshotsOffset, 'snapshot table');
  }
}

export async function checkQcow2(path: string): Promise<Qcow2CheckResult> {
  const file = await openImageFile(path, 'r');
  try {
    const meta = await readQcow2Metadata(file);
    const { header } = meta;
    const cs = 2 ** header.clusterBits;
    const walker = new Walker(file, header);
    walker.reference(0, cs, 'header');
    const active = await walker.walkL1(header.l1TableOffset, header.l1Size, 'active');
    await walker.walkSnapshots();
    const refcounts = new Refcounts({
      file,
      clusterBits: header.clusterBits,
      tableOffset: header.refcountTableOffset,
      tableClusters: header.refcountTableClusters,
      barrier: () => Promise.resolve(),
    });
    walker.reference(header.refcountTableOffset, header.refcountTableClusters * cs, 'refcount table');
    await refcounts.load();
    for (const block of refcounts.blockOffsets) if (block !== 0) walker.reference(block, cs, 'refcount block');
    const result = await compareRefcounts(walker, refcounts, cs);
    await checkCopiedFlags(file, header, active, refcounts, walker.corruptions);
    const notChecked = meta.extensions.unknown.includes(EXT_BITMAPS) ? ['persistent bitmaps'] : [];
    return { ...result, corruptions: walker.corruptions, notChecked };
  } finally {
    await file.close();
  }
}

async function compareRefcounts(
  walker: Walker,
  refcounts: Refcounts,
  cs: number,
): Promise<{ leakedClusters: number; allocatedClusters: number }> {
  let leakedClusters = 0;
  let allocatedClusters = 0;
  // Like qemu-img check, only clusters inside the file are compared: a refcount set for a cluster beyond
  // the end (an allocation cut short before its first write) costs nothing.
  for (let c = 0; c < walker.refs.length; c++) {
    const stored = await refcounts.get(c);
    const referenced = walker.refs[c]!;
    if (referenced > 0) allocatedClusters++;
    if (stored < referenced) {
      walker.corruptions.push(`cluster ${c} (${hex(c * cs)}): refcount=${stored} reference=${referenced}`);
    } else if (stored > referenced) {
      leakedClusters++;
    }
  }
  return { leakedClusters, allocatedClusters };
}

/** Bit 63 of active L1 and L2 entries must say whether the refcount is exactly one. */
async function checkCopiedFlags(
  file: ImageFile,
  header: Qcow2Header,
  active: Array<{ l2: number; copied: boolean }>,
  refcounts: Refcounts,
  corruptions: string[],
): Promise<void> {
  const cs = 2 ** header.clusterBits;
  for (const { l2, copied } of active) {
    const rc = await refcounts.get(l2 / cs);
    if (copied !== (rc === 1)) corruptions.push(`L2 table ${hex(l2)}: copied flag ${copied} with refcount ${rc}`);
    const table = await readExact(file, l2, cs, 'L2 table');
    const v = new DataView(table.buffer);
    for (let i = 0; i < cs / 8; i++) {
      const hi = v.getUint32(i * 8);
      const host = entryOffset(hi, v.getUint32(i * 8 + 4));
      if ((hi & COMPRESSED_HI) !== 0 || host === 0 || host % cs !== 0) continue;
      const dataRc = await refcounts.get(host / cs);
      const flag = (hi & COPIED_HI) !== 0;
      if (flag !== (dataRc === 1)) {
        corruptions.push(`data cluster ${hex(host)}: copied flag ${flag} with refcount ${dataRc}`);
      }
    }
  }
}
