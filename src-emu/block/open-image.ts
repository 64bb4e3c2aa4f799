/**
 * Opens any supported image with its backing chain: the format is probed from the magic unless given, a
 * backing file is opened read-only, relative backing names resolve against the overlay's folder, and a
 * loop in the chain is refused.
 */
import { realpath } from 'node:fs/promises';
import { openImageFile } from './image-file';
import { openQcow2, type BackingFormat } from './qcow2/open';
import { QCOW2_MAGIC } from './qcow2/layout';
import { RawBackend } from './raw';
import { BlockError, type BlockBackend, type CacheMode } from './types';

/** Deep enough for any real chain of snapshots; stops a crafted chain from exhausting file handles. */
export const MAX_CHAIN_DEPTH = 256;

export type ImageFormat = BackingFormat;

export interface OpenImageOptions {
  readonly readOnly?: boolean;
  readonly cache?: CacheMode;
  /** Skip probing (a raw image whose data starts with the qcow2 magic must be opened as raw). */
  readonly format?: ImageFormat;
}

export async function probeFormat(path: string): Promise<ImageFormat> {
  const file = await openImageFile(path, 'r');
  try {
    const magic = new Uint8Array(4);
    const got = await file.read(0, magic);
    const isQcow2 = got === 4 && new DataView(magic.buffer).getUint32(0) === QCOW2_MAGIC;
    return isQcow2 ? 'qcow2' : 'raw';
  } finally {
    await file.close();
  }
}

export function openImage(path: string, options: OpenImageOptions = {}): Promise<BlockBackend> {
  return openInChain(path, options.format ?? null, options.readOnly ?? false, options.cache ?? 'writeback', []);
}

async function openInChain(
  path: string,
  format: ImageFormat | null,
  readOnly: boolean,
  cache: CacheMode,
  chain: readonly string[],
): Promise<BlockBackend> {
  const real = await realpath(path);
  if (chain.includes(real)) {
    throw new BlockError(chain[0]!, `backing file loop: ${[...chain, real].join(' -> ')}`);
  }
  if (chain.length >= MAX_CHAIN_DEPTH) {
    throw new BlockError(chain[0]!, `backing chain deeper than ${MAX_CHAIN_DEPTH} images`);
  }
  const actual = format ?? (await probeFormat(path));
  if (actual === 'raw') return RawBackend.open(path, { readOnly, cache });
  return openQcow2(path, {
    readOnly,
    cache,
    openBacking: (backingPath, backingFormat) => openInChain(backingPath, backingFormat, true, cache, [...chain, real]),
  });
}
