/**
 * The snapshot container file (DESIGN.md section 6): tagged sections, each with its own SHA-256, and a
 * trailer with the SHA-256 of everything before it.
 *
 *   header   'ORRSNAP\0' (8 bytes), format version u32, section count u32
 *   section  tag (4 ASCII bytes), length (u32 high, u32 low), SHA-256 of the payload (32 bytes), payload
 *   trailer  'END\0', length of everything before the trailer (u32 high, u32 low), SHA-256 of it (32 bytes)
 *
 * Sections, in this order: 'META' (metadata JSON, UTF-8), 'DEVS' (the device state stream), then one
 * 'RAM ' per RAM block (ram-pages.ts). Integers are big-endian.
 *
 * Why SHA-256 and not CRC32: it finds every accidental corruption a CRC finds and more (no blind spot for
 * multi-bit patterns), it is the hash that already identifies kernel images in the metadata, and node:zlib
 * has no CRC32 on Node 20; its cost (hashing runs at several hundred MB/s) is small next to deflate's.
 *
 * Files are written to a temporary name in the same folder, fsync'd, renamed over the target and the
 * folder fsync'd: a crash at any moment leaves either the old file or the new one, never a mix. The next
 * save to the same path removes temporary files left by a process that died mid-save.
 */
import { createHash } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const SNAPSHOT_MAGIC = 'ORRSNAP\0';
export const SNAPSHOT_FORMAT_VERSION = 1;
const TRAILER_MAGIC = 'END\0';
const HASH_BYTES = 32;
const SECTION_HEADER = 4 + 8 + HASH_BYTES;
const FILE_HEADER = 8 + 4 + 4;
const TRAILER = 4 + 8 + HASH_BYTES;
const TWO_32 = 0x1_0000_0000;

export const SECTION_TAGS = { meta: 'META', devices: 'DEVS', ram: 'RAM ' } as const;
const KNOWN_TAGS: readonly string[] = Object.values(SECTION_TAGS);

export interface Section {
  readonly tag: string;
  readonly payload: Uint8Array;
}

/** A file that is not a snapshot this Orrery can read, or one that is damaged; the message says how. */
export class SnapshotFormatError extends Error {
  override name = 'SnapshotFormatError';
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());

function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

function u64be(value: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(value / TWO_32));
  view.setUint32(4, value >>> 0);
  return out;
}

/** The file's bytes as a list of pieces (no copy of the large payloads). */
export function encodeContainer(sections: readonly Section[]): Uint8Array[] {
  const pieces: Uint8Array[] = [ascii(SNAPSHOT_MAGIC), u32be(SNAPSHOT_FORMAT_VERSION), u32be(sections.length)];
  for (const s of sections) {
    if (s.tag.length !== 4) throw new Error(`section tag '${s.tag}' is not 4 characters`);
    pieces.push(ascii(s.tag), u64be(s.payload.length), sha256(s.payload), s.payload);
  }
  const whole = createHash('sha256');
  let length = 0;
  for (const piece of pieces) {
    whole.update(piece);
    length += piece.length;
  }
  pieces.push(ascii(TRAILER_MAGIC), u64be(length), new Uint8Array(whole.digest()));
  return pieces;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const printable = (tag: string): string => JSON.stringify(tag);

/**
 * Parses and checks a whole file: header, format version, every section's bounds, tag, order and SHA-256,
 * then the trailer and the whole-file SHA-256. Throws SnapshotFormatError saying what is wrong.
 */
export function decodeContainer(file: Uint8Array): Section[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < FILE_HEADER || text(file.subarray(0, 8)) !== SNAPSHOT_MAGIC) {
    throw new SnapshotFormatError('not an Orrery snapshot (no ORRSNAP header)');
  }
  const format = view.getUint32(8);
  if (format > SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotFormatError(
      `snapshot format version ${format} is newer than this Orrery reads (${SNAPSHOT_FORMAT_VERSION}): update Orrery`,
    );
  }
  if (format < 1) throw new SnapshotFormatError(`snapshot format version ${format} does not exist`);
  const count = view.getUint32(12);
  const sections: Section[] = [];
  let at = FILE_HEADER;
  for (let i = 0; i < count; i++) {
    if (at + SECTION_HEADER > file.length) {
      throw new SnapshotFormatError(`truncated: section ${i + 1} of ${count} is missing (file ends at ${file.length})`);
    }
    const tag = text(file.subarray(at, at + 4));
    const length = view.getUint32(at + 4) * TWO_32 + view.getUint32(at + 8);
    const start = at + SECTION_HEADER;
    if (!KNOWN_TAGS.includes(tag)) {
      throw new SnapshotFormatError(
        `unknown section ${printable(tag)} at byte ${at} (this Orrery reads ${KNOWN_TAGS.map(printable).join(', ')})`,
      );
    }
    if (start + length > file.length) {
      throw new SnapshotFormatError(
        `truncated: section ${printable(tag)} needs ${length} bytes, ${file.length - start} remain`,
      );
    }
    const payload = file.subarray(start, start + length);
    const expected = file.subarray(at + 12, at + 12 + HASH_BYTES);
    if (hex(sha256(payload)) !== hex(expected)) {
      throw new SnapshotFormatError(`section ${printable(tag)} (#${i + 1}) is damaged: its SHA-256 does not match`);
    }
    sections.push({ tag, payload });
    at = start + length;
  }
  checkOrder(sections);
  checkTrailer(file, view, at);
  return sections;
}

function checkOrder(sections: readonly Section[]): void {
  const tags = sections.map((s) => s.tag);
  if (tags[0] !== SECTION_TAGS.meta)
    throw new SnapshotFormatError(`the first section is ${printable(tags[0] ?? '')}, not "META"`);
  if (tags[1] !== SECTION_TAGS.devices) {
    throw new SnapshotFormatError(`the second section is ${printable(tags[1] ?? '')}, not "DEVS"`);
  }
  const rest = tags.slice(2);
  if (rest.length === 0) throw new SnapshotFormatError('no "RAM " section');
  const stray = rest.find((tag) => tag !== SECTION_TAGS.ram);
  if (stray !== undefined) throw new SnapshotFormatError(`section ${printable(stray)} appears again after "DEVS"`);
}

function checkTrailer(file: Uint8Array, view: DataView, at: number): void {
  if (at + TRAILER > file.length) throw new SnapshotFormatError('truncated: the trailer is missing');
  if (text(file.subarray(at, at + 4)) !== TRAILER_MAGIC) {
    throw new SnapshotFormatError(`no trailer after the last section (byte ${at})`);
  }
  const length = view.getUint32(at + 4) * TWO_32 + view.getUint32(at + 8);
  if (length !== at) throw new SnapshotFormatError(`the trailer says ${length} bytes precede it, not ${at}`);
  if (hex(sha256(file.subarray(0, at))) !== hex(file.subarray(at + 12, at + 12 + HASH_BYTES))) {
    throw new SnapshotFormatError('the file is damaged: its whole-file SHA-256 does not match');
  }
  if (at + TRAILER !== file.length) {
    throw new SnapshotFormatError(`${file.length - at - TRAILER} bytes of garbage after the trailer`);
  }
}

/** Test hook: called between write steps, so a test can kill the process at each of them. */
export type WriteStepHook = (step: 'opened' | 'wrote-piece' | 'synced' | 'renamed') => void | Promise<void>;

/**
 * Writes the pieces to `path` atomically: a temporary file in the same folder, fsync, rename, fsync of
 * the folder. On failure the temporary file is removed and the old file (if any) is untouched.
 */
export async function writeFileAtomically(
  path: string,
  pieces: readonly Uint8Array[],
  hook?: WriteStepHook,
): Promise<void> {
  await removeStaleTemporaries(path);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(temporary, 'wx', 0o644);
  try {
    await hook?.('opened');
    for (const piece of pieces) {
      let done = 0;
      while (done < piece.length) {
        const { bytesWritten } = await handle.write(piece, done, piece.length - done);
        done += bytesWritten;
      }
      await hook?.('wrote-piece');
    }
    await handle.sync();
    await hook?.('synced');
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await hook?.('renamed');
  await syncFolder(dirname(path));
}

/** Temporary files of saves to `path` by processes that no longer exist (killed mid-save) are removed. */
async function removeStaleTemporaries(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    const match = name.startsWith(prefix) ? /^(\d+)\.\d+\.tmp$/.exec(name.slice(prefix.length)) : null;
    if (match && !processExists(Number(match[1]))) await unlink(join(dirname(path), name)).catch(() => undefined);
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncFolder(folder: string): Promise<void> {
  // Makes the rename itself durable; some platforms (Windows) cannot open a folder, which is fine there.
  const handle = await open(folder, 'r').catch(() => null);
  if (handle === null) return;
  try {
    await handle.sync();
  } catch {
    // Not supported on this file system: the rename is still atomic, only its durability is weaker.
  } finally {
    await handle.close();
  }
}
