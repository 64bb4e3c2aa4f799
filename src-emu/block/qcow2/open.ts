/**
 * Opening a qcow2 image: every header field, extension and table location is validated before use, and
 * features we cannot honour are refused with their name.
 *
 * Dirty and corrupt images (incompatible bits 0 and 1) open read-only only, as QEMU does for corrupt
 * images; a dirty image (lazy refcounts left unsynced) needs `qemu-img check -r all` first, since this
 * implementation does not rebuild refcounts. Images with internal snapshots also open read-only only.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { openImageFile, readExact, type ImageFile } from '../image-file';
import { BlockError, type BlockBackend, type CacheMode } from '../types';
import { Qcow2Backend } from './backend';
import { ClusterMap } from './cluster-map';
import type { Qcow2Context } from './context';
import {
  INCOMPAT,
  hasFeature,
  parseExtensions,
  parseHeader,
  readBackingName,
  unsupportedIncompatibleFeatures,
  type HeaderExtensions,
  type Qcow2Header,
} from './layout';
import { Refcounts } from './refcounts';

export type BackingFormat = 'raw' | 'qcow2';

export interface Qcow2OpenOptions {
  readonly readOnly?: boolean;
  readonly cache?: CacheMode;
  /** An already open file to use (tests interpose on file operations). */
  readonly file?: ImageFile;
  /** Opens a backing file read-only (the caller tracks the chain to detect loops). */
  readonly openBacking: (path: string, format: BackingFormat | null) => Promise<BlockBackend>;
}

export interface Qcow2Metadata {
  readonly header: Qcow2Header;
  readonly extensions: HeaderExtensions;
  /** The backing file name as stored, and resolved against the image's folder. */
  readonly backingName: string | null;
  readonly backingPath: string | null;
  readonly cluster0: Uint8Array;
}

/** Reads and validates the header cluster. */
export async function readQcow2Metadata(file: ImageFile): Promise<Qcow2Metadata> {
  const first = new Uint8Array(Math.min(file.length, 512));
  await file.read(0, first);
  const header = parseHeader(file.path, first, file.length);
  const cluster0 = await readExact(file, 0, Math.min(file.length, 2 ** header.clusterBits), 'header cluster');
  const extensions = parseExtensions(file.path, header, cluster0);
  const backingName = readBackingName(header, cluster0);
  const backingPath =
    backingName === null ? null : isAbsolute(backingName) ? backingName : resolve(dirname(file.path), backingName);
  return { header, extensions, backingName, backingPath, cluster0 };
}

export function backingFormatOf(path: string, meta: Qcow2Metadata): BackingFormat | null {
  const format = meta.extensions.backingFormat;
  if (format === null) return null;
  if (format !== 'raw' && format !== 'qcow2') {
    throw new BlockError(path, `backing file format '${format}' is not supported (raw or qcow2)`);
  }
  return format;
}

function refuseFeatures(path: string, meta: Qcow2Metadata, readOnly: boolean): void {
  const { header } = meta;
  const unsupported = unsupportedIncompatibleFeatures(header, meta.extensions);
  if (unsupported.length > 0) throw new BlockError(path, `unsupported qcow2 feature: ${unsupported.join(', ')}`);
  if (readOnly) return;
  if (hasFeature(header.incompatibleFeatures, INCOMPAT.corrupt)) {
    throw new BlockError(
      path,
      "image is marked corrupt: it can only be opened read-only (repair: 'qemu-img check -r all')",
    );
  }
  if (hasFeature(header.incompatibleFeatures, INCOMPAT.dirty)) {
    throw new BlockError(
      path,
      "image is marked dirty (refcounts may be inconsistent): repair it with 'qemu-img check -r all' or open it read-only",
    );
  }
  if (header.nbSnapshots > 0) {
    throw new BlockError(path, `image has ${header.nbSnapshots} internal snapshots: it can only be opened read-only`);
  }
}

export async function openQcow2(path: string, options: Qcow2OpenOptions): Promise<Qcow2Backend> {
  const readOnly = options.readOnly ?? false;
  const file = options.file ?? (await openImageFile(path, readOnly ? 'r' : 'rw'));
  let backing: BlockBackend | null = null;
  try {
    const meta = await readQcow2Metadata(file);
    refuseFeatures(path, meta, readOnly);
    const { header } = meta;
    const cache = options.cache ?? 'writeback';
    if (!readOnly && header.autoclearFeatures !== 0n) await clearAutoclear(file);
    const l1 = await readExact(file, header.l1TableOffset, header.l1Size * 8, 'L1 table');
    const map = new ClusterMap(file, header.clusterBits, header.l1TableOffset, l1, header.version);
    map.validateL1();
    const barrier = (): Promise<void> => (cache === 'unsafe' ? Promise.resolve() : file.sync());
    const refcounts = new Refcounts({
      file,
      clusterBits: header.clusterBits,
      tableOffset: header.refcountTableOffset,
      tableClusters: header.refcountTableClusters,
      barrier,
    });
    await refcounts.load();
    if (meta.backingPath !== null) backing = await openBackingFile(path, meta, options);
    const ctx: Qcow2Context = {
      file,
      header,
      cs: 2 ** header.clusterBits,
      map,
      refcounts,
      backing,
      cache,
      lastInflated: null,
    };
    return new Qcow2Backend(ctx, readOnly);
  } catch (e) {
    await backing?.close();
    await file.close();
    throw e;
  }
}

async function openBackingFile(path: string, meta: Qcow2Metadata, options: Qcow2OpenOptions): Promise<BlockBackend> {
  const format = backingFormatOf(path, meta);
  try {
    return await options.openBacking(meta.backingPath!, format);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BlockError(path, `backing file '${meta.backingName}' not found (looked for ${meta.backingPath})`);
    }
    throw e;
  }
}

/** Unknown auto-clear bits must be cleared before the first write; we maintain none of those features. */
async function clearAutoclear(file: ImageFile): Promise<void> {
  await file.write(88, new Uint8Array(8));
  await file.sync();
}
