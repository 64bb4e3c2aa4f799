/**
 * Creating qcow2 images (version 3, 16-bit refcounts), empty or as an overlay on a backing file.
 *
 * Layout: header cluster (header, backing format extension, backing name), refcount table, refcount
 * blocks, L1 table. The file is created exclusively, written, then synced.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { openImageFile } from '../image-file';
import { BlockError } from '../types';
import {
  EXT_BACKING_FORMAT,
  MAX_BACKING_NAME,
  MAX_CLUSTER_BITS,
  MIN_CLUSTER_BITS,
  QCOW2_MAGIC,
  writeU64,
} from './layout';
import type { BackingFormat } from './open';

export const DEFAULT_CLUSTER_SIZE = 65536;
const HEADER_LENGTH = 112;

export interface CreateQcow2Options {
  /** Virtual size in bytes, a multiple of 512; defaults to the backing file's size. */
  readonly size?: number;
  readonly clusterSize?: number;
  /**
   * The backing file, stored as given: a relative path is relative to the new image's folder. The format
   * is required (probing a backing file is how raw images get misread).
   */
  readonly backing?: { readonly path: string; readonly format: BackingFormat };
}

interface Layout {
  readonly cs: number;
  readonly l1Size: number;
  readonly refcountTableClusters: number;
  readonly refcountBlocks: number;
  readonly l1Clusters: number;
}

function planLayout(size: number, cs: number): Layout {
  const l1Size = Math.max(1, Math.ceil(size / ((cs / 8) * cs)));
  const l1Clusters = Math.ceil((l1Size * 8) / cs);
  const perBlock = cs / 2;
  let refcountBlocks = 1;
  let refcountTableClusters = 1;
  for (;;) {
    const total = 1 + refcountTableClusters + refcountBlocks + l1Clusters;
    const blocks = Math.ceil(total / perBlock);
    const tableClusters = Math.ceil((blocks * 8) / cs);
    if (blocks === refcountBlocks && tableClusters === refcountTableClusters) break;
    refcountBlocks = blocks;
    refcountTableClusters = tableClusters;
  }
  return { cs, l1Size, refcountTableClusters, refcountBlocks, l1Clusters };
}

function validate(path: string, size: number, cs: number, backingName: string | null): void {
  if (!Number.isSafeInteger(size) || size < 0 || size % 512 !== 0) {
    throw new BlockError(path, `invalid size ${size} (a multiple of 512 bytes is needed)`);
  }
  const bits = Math.log2(cs);
  if (!Number.isInteger(bits) || bits < MIN_CLUSTER_BITS || bits > MAX_CLUSTER_BITS) {
    throw new BlockError(path, `invalid cluster size ${cs} (a power of two from 512 to 2 MiB)`);
  }
  if (backingName !== null && new TextEncoder().encode(backingName).length > MAX_BACKING_NAME) {
    throw new BlockError(path, 'backing file name longer than 1023 bytes');
  }
}

function buildHeaderCluster(size: number, layout: Layout, backing: CreateQcow2Options['backing']): Uint8Array {
  const { cs } = layout;
  const out = new Uint8Array(cs);
  const v = new DataView(out.buffer);
  v.setUint32(0, QCOW2_MAGIC);
  v.setUint32(4, 3);
  v.setUint32(20, Math.log2(cs));
  writeU64(v, 24, size);
  v.setUint32(36, layout.l1Size);
  writeU64(v, 40, (1 + layout.refcountTableClusters + layout.refcountBlocks) * cs);
  writeU64(v, 48, cs);
  v.setUint32(56, layout.refcountTableClusters);
  v.setUint32(96, 4);
  v.setUint32(100, HEADER_LENGTH);
  let pos = HEADER_LENGTH;
  if (backing !== undefined) {
    const format = new TextEncoder().encode(backing.format);
    v.setUint32(pos, EXT_BACKING_FORMAT);
    v.setUint32(pos + 4, format.length);
    out.set(format, pos + 8);
    pos += 8 + Math.ceil(format.length / 8) * 8;
  }
  pos += 8; // end-of-extensions marker (type 0, length 0)
  if (backing !== undefined) {
    const name = new TextEncoder().encode(backing.path);
    if (pos + name.length > cs) throw new BlockError(backing.path, 'backing file name does not fit the header cluster');
    writeU64(v, 8, pos);
    v.setUint32(16, name.length);
    out.set(name, pos);
  }
  return out;
}

/** Creates a new qcow2 image at `path` (which must not exist); `backingSize` reads a backing file's size. */
export async function createQcow2File(
  path: string,
  options: CreateQcow2Options,
  backingSize?: (absolutePath: string, format: BackingFormat) => Promise<number>,
): Promise<void> {
  const cs = options.clusterSize ?? DEFAULT_CLUSTER_SIZE;
  let size = options.size;
  if (options.backing !== undefined && size === undefined) {
    if (backingSize === undefined) throw new BlockError(path, 'size is required');
    const b = options.backing;
    size = await backingSize(isAbsolute(b.path) ? b.path : resolve(dirname(path), b.path), b.format);
  }
  if (size === undefined) throw new BlockError(path, 'size is required');
  validate(path, size, cs, options.backing?.path ?? null);
  const layout = planLayout(size, cs);
  const header = buildHeaderCluster(size, layout, options.backing);
  const totalClusters = 1 + layout.refcountTableClusters + layout.refcountBlocks + layout.l1Clusters;
  const table = new Uint8Array(layout.refcountTableClusters * cs);
  const tv = new DataView(table.buffer);
  for (let i = 0; i < layout.refcountBlocks; i++) writeU64(tv, i * 8, (1 + layout.refcountTableClusters + i) * cs);
  const blocks = new Uint8Array(layout.refcountBlocks * cs);
  for (let c = 0; c < totalClusters; c++) blocks[c * 2 + 1] = 1;
  const file = await openImageFile(path, 'create');
  try {
    await file.write(0, header);
    await file.write(cs, table);
    await file.write((1 + layout.refcountTableClusters) * cs, blocks);
    await file.truncate(totalClusters * cs);
    await file.sync();
  } finally {
    await file.close();
  }
}
