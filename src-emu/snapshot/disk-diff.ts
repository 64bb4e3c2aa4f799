/**
 * The disk half of `diffSnapshots`: which clusters of each disk differ between the overlays two snapshots
 * froze (metadata.disks).
 *
 * The two overlays share a backing chain down to their nearest common image; below it they read the same.
 * Only ranges that some image above it defines (data or zero clusters, from blockStatus) can differ: those
 * clusters are read from both sides and compared, so a cluster written back to its old contents does not
 * count. Cost: one allocation map per image on the two paths, plus reading the candidate clusters.
 */
import { isAbsolute, resolve } from 'node:path';
import { openImage, probeFormat, type BlockBackend } from '../block';
import type { DiskDiff, DiskDiffer } from './diff';
import type { SnapshotMetadata } from './metadata';
import { readBacking } from './store/overlay-merge';

/** The unit differences are reported in (the store's overlays' cluster size). */
export const DIFF_CLUSTER = 65536;

/** The images of a chain, `path` first, as absolute paths; stops at the first raw image. */
async function chainPaths(path: string): Promise<string[]> {
  const chain: string[] = [];
  for (let at: string | null = resolve(path); at !== null;) {
    if (chain.includes(at)) throw new Error(`${path}: backing loop through ${at}`);
    chain.push(at);
    if ((await probeFormat(at)) !== 'qcow2') break;
    const backing = await readBacking(at);
    at = backing === null ? null : resolve(backing.path);
  }
  return chain;
}

/** Cluster numbers that any of `images` defines (data or zero), in order. */
async function definedClusters(images: readonly string[], clusterSize: number): Promise<number[]> {
  const clusters = new Set<number>();
  for (const path of images) {
    const image = await openImage(path, { readOnly: true });
    try {
      for (const extent of await image.allocationMap()) {
        if (extent.kind !== 'data' && extent.kind !== 'zero') continue;
        const last = Math.ceil((extent.offset + extent.length) / clusterSize);
        for (let c = Math.floor(extent.offset / clusterSize); c < last; c++) clusters.add(c);
      }
    } finally {
      await image.close();
    }
  }
  return [...clusters].sort((a, b) => a - b);
}

async function differingClusters(
  a: BlockBackend,
  b: BlockBackend,
  candidates: readonly number[],
  clusterSize: number,
): Promise<number[]> {
  const left = new Uint8Array(clusterSize);
  const right = new Uint8Array(clusterSize);
  const out: number[] = [];
  for (const cluster of candidates) {
    const offset = cluster * clusterSize;
    const length = Math.min(clusterSize, a.size - offset);
    if (length <= 0) break;
    await a.read(offset, left.subarray(0, length));
    await b.read(offset, right.subarray(0, length));
    if (Buffer.compare(left.subarray(0, length), right.subarray(0, length)) !== 0) out.push(cluster);
  }
  return out;
}

/** Clusters (of `clusterSize` bytes) whose contents differ between two images of one disk. */
export async function diffDiskImages(pathA: string, pathB: string, clusterSize = DIFF_CLUSTER): Promise<number[]> {
  const [chainA, chainB] = [await chainPaths(pathA), await chainPaths(pathB)];
  const common = chainA.find((p) => chainB.includes(p)) ?? null;
  const above = (chain: string[]) => (common === null ? chain : chain.slice(0, chain.indexOf(common)));
  const candidates = await definedClusters([...above(chainA), ...above(chainB)], clusterSize);
  const a = await openImage(pathA, { readOnly: true });
  try {
    const b = await openImage(pathB, { readOnly: true });
    try {
      if (a.size !== b.size) throw new Error(`${pathA} and ${pathB} are disks of different sizes`);
      // Without a shared image, unallocated ranges read as zeroes or as different bases: compare everything.
      const all = common === null ? Array.from({ length: Math.ceil(a.size / clusterSize) }, (_, i) => i) : candidates;
      return await differingClusters(a, b, all, clusterSize);
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
}

/**
 * A DiskDiffer for snapshots whose metadata.disks name their frozen overlays relative to the snapshot
 * files' folder `snapshotsDir` (as the snapshot store writes them). Disks present in only one snapshot
 * are left out.
 */
export function overlayDiskDiffer(snapshotsDir: string, clusterSize = DIFF_CLUSTER): DiskDiffer {
  const locate = (image: string) => (isAbsolute(image) ? image : resolve(snapshotsDir, image));
  return async (a: SnapshotMetadata, b: SnapshotMetadata): Promise<DiskDiff[]> => {
    const out: DiskDiff[] = [];
    for (const disk of a.disks) {
      const other = b.disks.find((d) => d.id === disk.id);
      if (other === undefined) continue;
      const clusters = await diffDiskImages(locate(disk.image), locate(other.image), clusterSize);
      out.push({ disk: disk.id, clusterSize, clusters });
    }
    return out;
  };
}
