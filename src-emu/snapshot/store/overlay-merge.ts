/**
 * Block-layer operations on qcow2 overlay chains that the snapshot store builds on: reading an overlay's
 * backing reference, switching it, and merging an overlay into its only child (QEMU's block-stream: the
 * child pulls the data it still reads from its parent, then backs onto the parent's parent).
 *
 * The merge never changes what the child reads, at any step, so a process killed anywhere in it leaves
 * every image correct:
 *   1. every range the child reads from the parent and the parent itself defines (data or zero clusters)
 *      is written into the child: the child now holds what it used to read through the parent (qcow2
 *      writes are crash-safe on their own: at worst leaked clusters);
 *   2. the child is flushed (fdatasync);
 *   3. the child's backing name is switched to the parent's backing file: the new name is written into
 *      free space of the header cluster, synced, then the 12 header bytes that point at it (offset and
 *      length, inside the first sector, so the switch is one sector write) are written and synced;
 *   4. only then may the parent be deleted (by the caller, who knows nothing else needs it).
 * A merge interrupted before step 3 is simply run again (step 1 skips what is already in the child).
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { BlockError, openImage, type BlockBackend, type Extent } from '../../block';
import { openImageFile } from '../../block/image-file';
import { EXT_END, writeU64 } from '../../block/qcow2/layout';
import { readQcow2Metadata } from '../../block/qcow2/open';

/** Ranges copied at once while merging. */
const MERGE_CHUNK = 1 << 20;

export interface BackingRef {
  /** As stored in the image. */
  readonly name: string;
  /** Resolved against the image's folder. */
  readonly path: string;
  readonly format: string | null;
}

/** The backing file a qcow2 image names (null for none). */
export async function readBacking(path: string): Promise<BackingRef | null> {
  const file = await openImageFile(path, 'r');
  try {
    const meta = await readQcow2Metadata(file);
    if (meta.backingName === null) return null;
    return { name: meta.backingName, path: meta.backingPath!, format: meta.extensions.backingFormat };
  } finally {
    await file.close();
  }
}

/** Where the header extensions end (after the end marker), in the header cluster. */
function extensionsEnd(cluster0: Uint8Array, headerLength: number): number {
  const view = new DataView(cluster0.buffer, cluster0.byteOffset, cluster0.byteLength);
  let pos = headerLength;
  while (pos + 8 <= cluster0.length) {
    const type = view.getUint32(pos);
    const length = view.getUint32(pos + 4);
    pos += 8;
    if (type === EXT_END) return pos;
    pos += Math.ceil(length / 8) * 8;
  }
  return pos;
}

/**
 * Points a qcow2 overlay at another backing file of the same format, crash-atomically (see step 3 above).
 * `name` is stored as given: relative names are relative to the overlay's folder. The caller guarantees
 * the new backing file reads the same as the old one where the overlay does not define the data.
 */
export async function rewriteBackingName(path: string, name: string | null): Promise<void> {
  const file = await openImageFile(path, 'rw');
  try {
    const meta = await readQcow2Metadata(file);
    const { header, cluster0 } = meta;
    const cs = cluster0.length;
    const header12 = new Uint8Array(12);
    if (name !== null) {
      if (meta.backingName === null) throw new BlockError(path, 'has no backing file: its format is not recorded');
      const bytes = new TextEncoder().encode(name);
      const oldStart = header.backingFileOffset;
      const oldEnd = oldStart + header.backingFileSize;
      const extEnd = extensionsEnd(cluster0, header.headerLength);
      // The new name goes where it overlaps neither the extensions nor the name in use.
      let at = Math.ceil(Math.max(extEnd, oldEnd) / 8) * 8;
      if (at + bytes.length > cs) at = extEnd;
      if (at + bytes.length > cs || (at < oldEnd && at + bytes.length > oldStart)) {
        throw new BlockError(path, 'no room in the header cluster for the new backing file name');
      }
      await file.write(at, bytes);
      await file.sync();
      const view = new DataView(header12.buffer);
      writeU64(view, 0, at);
      view.setUint32(8, bytes.length);
    }
    await file.write(8, header12);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** The backing name to store in `child` for the file `target` (relative when `relativeTo` was relative). */
export function backingNameFor(child: string, target: string, keepRelative: boolean): string {
  return keepRelative ? relative(dirname(resolve(child)), resolve(target)) : resolve(target);
}

/** Copies what `parent` itself defines in the range into `child`; returns the bytes written. */
async function copyRange(parent: BlockBackend, child: BlockBackend, offset: number, length: number): Promise<number> {
  let copied = 0;
  for (const extent of await parent.blockStatus(offset, length)) {
    if (extent.kind === 'zero') await child.writeZeroes(extent.offset, extent.length);
    if (extent.kind === 'zero' || extent.kind === 'data') copied += extent.length;
    if (extent.kind !== 'data') continue;
    const buffer = new Uint8Array(Math.min(MERGE_CHUNK, extent.length));
    for (let done = 0; done < extent.length; done += buffer.length) {
      const piece = buffer.subarray(0, Math.min(buffer.length, extent.length - done));
      await parent.read(extent.offset + done, piece);
      await child.write(extent.offset + done, piece);
    }
  }
  return copied;
}

/** The ranges of `child` that come from its backing file. */
async function backingRanges(child: BlockBackend): Promise<Extent[]> {
  return (await child.allocationMap()).filter((e) => e.kind === 'backing');
}

export interface MergeResult {
  /** Bytes written into the child. */
  readonly copied: number;
}

/**
 * Merges the qcow2 image `parent` into `child` (whose backing file it must be): afterwards the child backs
 * onto the parent's backing file (or none) and reads exactly as before. The parent is left for the caller to
 * delete. Neither image may be open for writing elsewhere.
 */
export async function mergeIntoChild(parentPath: string, childPath: string): Promise<MergeResult> {
  const link = await readBacking(childPath);
  if (link === null || resolve(link.path) !== resolve(parentPath)) {
    throw new BlockError(childPath, `does not back onto ${parentPath}`);
  }
  const grandparent = await readBacking(parentPath);
  if (grandparent !== null && grandparent.format !== link.format) {
    throw new BlockError(
      childPath,
      `cannot back onto ${grandparent.path}: it is ${grandparent.format}, not ${link.format}`,
    );
  }
  let copied = 0;
  const child = await openImage(childPath, { format: 'qcow2' });
  try {
    const parent = await openImage(parentPath, { readOnly: true, format: 'qcow2' });
    try {
      for (const range of await backingRanges(child)) {
        copied += await copyRange(parent, child, range.offset, range.length);
      }
    } finally {
      await parent.close();
    }
    await child.flush();
  } finally {
    await child.close();
  }
  const name = grandparent === null ? null : backingNameFor(childPath, grandparent.path, !isAbsolute(grandparent.name));
  await rewriteBackingName(childPath, name);
  return { copied };
}
