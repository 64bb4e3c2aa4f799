/**
 * Image-level operations for the command line and the VM library: create, describe and check an image,
 * whatever its format (`orrery img create|info|check`).
 */
import { realpath, stat } from 'node:fs/promises';
import { openImageFile } from './image-file';
import { openImage, probeFormat, type ImageFormat } from './open-image';
import { checkQcow2 } from './qcow2/check';
import { createQcow2File, type CreateQcow2Options } from './qcow2/create';
import { COMPAT_LAZY_REFCOUNTS, INCOMPAT, hasFeature } from './qcow2/layout';
import { readQcow2Metadata } from './qcow2/open';
import { createRaw } from './raw';
import { BlockError } from './types';

export interface CreateImageOptions {
  readonly format: ImageFormat;
  /** Bytes; optional for a qcow2 overlay (defaults to the backing file's size). */
  readonly size?: number;
  /** qcow2 only. */
  readonly clusterSize?: number;
  /** qcow2 only: relative paths are relative to the new image's folder. */
  readonly backing?: { readonly path: string; readonly format: ImageFormat };
}

/** What `qemu-img info` says about an image, and its backing chain. */
export interface ImageInfo {
  readonly filename: string;
  readonly format: ImageFormat;
  readonly virtualSize: number;
  /** Bytes the file occupies on disk (sparse files occupy less than their length). */
  readonly actualSize: number;
  readonly clusterSize?: number;
  readonly qcow2?: {
    readonly version: 2 | 3;
    /** "1.1" for version 3, "0.10" for version 2, as QEMU names them. */
    readonly compat: string;
    readonly refcountBits: number;
    readonly lazyRefcounts: boolean;
    readonly dirty: boolean;
    readonly corrupt: boolean;
    readonly internalSnapshots: number;
  };
  /** As stored in the image. */
  readonly backingFilename?: string;
  /** Resolved against the image's folder. */
  readonly fullBackingFilename?: string;
  readonly backingFormat?: string;
  /** The backing image's own info (the chain, top down). */
  readonly backing?: ImageInfo;
}

export interface CheckImageResult {
  readonly filename: string;
  readonly format: ImageFormat;
  /** Described problems; empty when the image is consistent. */
  readonly corruptions: string[];
  readonly leakedClusters: number;
  readonly allocatedClusters: number;
  readonly notChecked: string[];
}

export async function createImage(path: string, options: CreateImageOptions): Promise<void> {
  if (options.format === 'raw') {
    if (options.backing !== undefined) throw new BlockError(path, 'raw images have no backing file');
    if (options.size === undefined) throw new BlockError(path, 'size is required');
    return createRaw(path, options.size);
  }
  const qcow2: CreateQcow2Options = {
    ...(options.size !== undefined && { size: options.size }),
    ...(options.clusterSize !== undefined && { clusterSize: options.clusterSize }),
    ...(options.backing !== undefined && { backing: options.backing }),
  };
  return createQcow2(path, qcow2);
}

/** Creates a qcow2 image, or an overlay whose size defaults to its backing file's. */
export function createQcow2(path: string, options: CreateQcow2Options): Promise<void> {
  return createQcow2File(path, options, async (backingPath, format) => {
    const backing = await openImage(backingPath, { readOnly: true, format });
    try {
      return backing.size;
    } finally {
      await backing.close();
    }
  });
}

export function imageInfo(path: string): Promise<ImageInfo> {
  return infoInChain(path, null, []);
}

/** `imageInfo` for an image that must be qcow2. */
export async function qcow2Info(path: string): Promise<ImageInfo> {
  if ((await probeFormat(path)) !== 'qcow2') throw new BlockError(path, 'not a qcow2 image');
  return imageInfo(path);
}

async function infoInChain(path: string, format: ImageFormat | null, chain: readonly string[]): Promise<ImageInfo> {
  const real = await realpath(path);
  if (chain.includes(real)) throw new BlockError(chain[0]!, `backing file loop: ${[...chain, real].join(' -> ')}`);
  const st = await stat(path);
  const actualSize = st.blocks * 512;
  const actual = format ?? (await probeFormat(path));
  if (actual === 'raw') return { filename: path, format: 'raw', virtualSize: st.size, actualSize };
  const file = await openImageFile(path, 'r');
  let meta;
  try {
    meta = await readQcow2Metadata(file);
  } finally {
    await file.close();
  }
  const { header } = meta;
  const info: ImageInfo = {
    filename: path,
    format: 'qcow2',
    virtualSize: header.size,
    actualSize,
    clusterSize: 2 ** header.clusterBits,
    qcow2: {
      version: header.version,
      compat: header.version === 3 ? '1.1' : '0.10',
      refcountBits: 2 ** header.refcountOrder,
      lazyRefcounts: hasFeature(header.compatibleFeatures, COMPAT_LAZY_REFCOUNTS),
      dirty: hasFeature(header.incompatibleFeatures, INCOMPAT.dirty),
      corrupt: hasFeature(header.incompatibleFeatures, INCOMPAT.corrupt),
      internalSnapshots: header.nbSnapshots,
    },
  };
  if (meta.backingPath === null) return info;
  const backingFormat = meta.extensions.backingFormat;
  const knownFormat = backingFormat === 'raw' || backingFormat === 'qcow2' ? backingFormat : null;
  let backing: ImageInfo | undefined;
  try {
    backing = await infoInChain(meta.backingPath, knownFormat, [...chain, real]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return {
    ...info,
    backingFilename: meta.backingName!,
    fullBackingFilename: meta.backingPath,
    ...(backingFormat !== null && { backingFormat }),
    ...(backing !== undefined && { backing }),
  };
}

/** A consistency check of one image (not its backing files); raw images are always consistent. */
export async function checkImage(path: string): Promise<CheckImageResult> {
  const format = await probeFormat(path);
  if (format === 'raw') {
    return { filename: path, format, corruptions: [], leakedClusters: 0, allocatedClusters: 0, notChecked: [] };
  }
  const result = await checkQcow2(path);
  return { filename: path, format, ...result };
}
