/**
 * The state one open qcow2 image shares between its read path, its write path and its checker, and the
 * reads every path needs: backing data, compressed clusters and whole-cluster contents for copy-on-write.
 */
import { promisify } from 'node:util';
import { inflateRaw, constants as zlibConstants } from 'node:zlib';
import type { ImageFile } from '../image-file';
import { BlockError, type BlockBackend, type CacheMode } from '../types';
import type { ClusterMap, ClusterMapping } from './cluster-map';
import { hex, type Qcow2Header } from './layout';
import type { Refcounts } from './refcounts';

const inflateRawAsync = promisify(inflateRaw);

export interface Qcow2Context {
  readonly file: ImageFile;
  readonly header: Qcow2Header;
  readonly cs: number;
  readonly map: ClusterMap;
  readonly refcounts: Refcounts;
  readonly backing: BlockBackend | null;
  readonly cache: CacheMode;
  /** The last decompressed cluster: sequential sector reads inside one compressed cluster inflate once. */
  lastInflated: { host: number; data: Uint8Array } | null;
}

/** fdatasync between dependent metadata writes, unless the cache mode says not to. */
export function barrier(ctx: Qcow2Context): Promise<void> {
  return ctx.cache === 'unsafe' ? Promise.resolve() : ctx.file.sync();
}

/** Reads guest bytes from the backing chain; zeroes where there is none or beyond its end. */
export async function readBacking(ctx: Qcow2Context, pos: number, dest: Uint8Array): Promise<void> {
  const backing = ctx.backing;
  const inside = backing === null ? 0 : Math.max(0, Math.min(dest.length, backing.size - pos));
  if (inside > 0) await backing!.read(pos, dest.subarray(0, inside));
  dest.fill(0, inside);
}

export async function readCompressed(
  ctx: Qcow2Context,
  m: Extract<ClusterMapping, { kind: 'compressed' }>,
): Promise<Uint8Array> {
  if (ctx.lastInflated?.host === m.host) return ctx.lastInflated.data;
  if (m.length > 2 * ctx.cs + 512) {
    throw new BlockError(ctx.file.path, `compressed cluster at ${hex(m.host)} claims ${m.length} bytes`);
  }
  const packed = new Uint8Array(m.length);
  const got = await ctx.file.read(m.host, packed);
  let data: Uint8Array;
  try {
    // Sync flush: the data may be followed by the next cluster's bytes, or end before the stream's end marker.
    data = await inflateRawAsync(packed.subarray(0, got), {
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
      maxOutputLength: ctx.cs,
    });
  } catch (e) {
    throw new BlockError(ctx.file.path, `compressed cluster at ${hex(m.host)} does not inflate: ${String(e)}`);
  }
  if (data.length !== ctx.cs) {
    throw new BlockError(ctx.file.path, `compressed cluster at ${hex(m.host)} inflates to ${data.length} bytes`);
  }
  ctx.lastInflated = { host: m.host, data };
  return data;
}

/** Reads part of one guest cluster given its mapping. */
export async function readMapped(
  ctx: Qcow2Context,
  gc: number,
  m: ClusterMapping,
  inCluster: number,
  dest: Uint8Array,
): Promise<void> {
  switch (m.kind) {
    case 'unallocated':
      return readBacking(ctx, gc * ctx.cs + inCluster, dest);
    case 'zero':
      dest.fill(0);
      return;
    case 'normal': {
      const got = await ctx.file.read(m.host + inCluster, dest);
      dest.fill(0, got);
      return;
    }
    case 'compressed': {
      const data = await readCompressed(ctx, m);
      dest.set(data.subarray(inCluster, inCluster + dest.length));
      return;
    }
    default: {
      const never: never = m;
      throw new Error(`unknown mapping ${String(never)}`);
    }
  }
}
