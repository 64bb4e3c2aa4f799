/**
 * RAM in a snapshot: one record per RAM block, page by page.
 *
 * Record layout (big-endian, inside the container's 'RAM ' section):
 *   name (u8 length + ASCII), size in bytes (u32 high, u32 low), page size u32 (4096),
 *   mode u8 (0 full, 1 delta against the parent snapshot),
 *   kinds: u32 length + deflate-raw bytes of one byte per page:
 *          0 = not stored (full: a zero page; delta: as in the parent), 1 = zero page, 2 = data stored here,
 *   chunks: u32 count, then per chunk u32 length + deflate-raw bytes of up to CHUNK_PAGES data pages, the
 *          pages of kind 2 in ascending order.
 *
 * Zero pages cost nothing in a full record; chunks of 1 MiB keep each inflate small (a corrupt chunk is
 * found without inflating the rest into memory) and bound the output size of every inflate.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { PAGE_SIZE, type RamBlock } from '../core/ramblock';
import { ByteReader, ByteWriter } from '../core/vmstate-wire';

export const CHUNK_PAGES = 256;
const KIND_ABSENT = 0;
const KIND_ZERO = 1;
const KIND_DATA = 2;
const TWO_32 = 0x1_0000_0000;
/** Fast deflate: RAM images are large and the machine waits while they are encoded. */
const DEFLATE_LEVEL = 1;

export type RamMode = 'full' | 'delta';

export class RamFormatError extends Error {
  override name = 'RamFormatError';
}

/** A decoded, checked RAM record: which pages it defines and their bytes (packed, ascending page order). */
export interface RamRecord {
  readonly name: string;
  readonly size: number;
  readonly mode: RamMode;
  readonly kinds: Uint8Array;
  /** The data pages, concatenated in ascending page order. */
  readonly data: Uint8Array;
}

function isZeroPage(words: Int32Array, page: number): boolean {
  const end = (page + 1) * (PAGE_SIZE >> 2);
  let acc = 0;
  for (let i = page * (PAGE_SIZE >> 2); i < end; i++) acc |= words[i]!;
  return acc === 0;
}

/**
 * Encodes a block: every page ('full'), or only `pages` ('delta': the pages changed since the parent).
 * Reads the block synchronously, so the machine may run on once this returns.
 */
export function encodeRamBlock(block: RamBlock, mode: RamMode, pages?: readonly number[]): Uint8Array {
  const words = new Int32Array(block.bytes.buffer, block.bytes.byteOffset, block.size >> 2);
  const kinds = new Uint8Array(block.pages);
  const dataPages: number[] = [];
  const consider = (page: number): void => {
    if (isZeroPage(words, page)) kinds[page] = mode === 'full' ? KIND_ABSENT : KIND_ZERO;
    else {
      kinds[page] = KIND_DATA;
      dataPages.push(page);
    }
  };
  if (mode === 'full') for (let page = 0; page < block.pages; page++) consider(page);
  else for (const page of pages ?? []) consider(page);

  const head = new ByteWriter();
  head.shortString(block.name);
  head.u32(Math.floor(block.size / TWO_32));
  head.u32(block.size >>> 0);
  head.u32(PAGE_SIZE);
  head.u8(mode === 'full' ? 0 : 1);
  const packedKinds = deflateRawSync(kinds, { level: DEFLATE_LEVEL });
  head.u32(packedKinds.length);
  const chunkCount = Math.ceil(dataPages.length / CHUNK_PAGES);
  const pieces: Uint8Array[] = [head.finish(), packedKinds, u32be(chunkCount)];
  const chunk = new Uint8Array(CHUNK_PAGES * PAGE_SIZE);
  for (let c = 0; c < chunkCount; c++) {
    const pagesHere = dataPages.slice(c * CHUNK_PAGES, (c + 1) * CHUNK_PAGES);
    pagesHere.forEach((page, i) =>
      chunk.set(block.bytes.subarray(page * PAGE_SIZE, (page + 1) * PAGE_SIZE), i * PAGE_SIZE),
    );
    const packed = deflateRawSync(chunk.subarray(0, pagesHere.length * PAGE_SIZE), { level: DEFLATE_LEVEL });
    pieces.push(u32be(packed.length), packed);
  }
  return Buffer.concat(pieces);
}

function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

function inflateExactly(bytes: Uint8Array, expected: number, what: string): Uint8Array {
  let out: Buffer;
  try {
    out = inflateRawSync(bytes, { maxOutputLength: Math.max(expected, 1) });
  } catch (error) {
    throw new RamFormatError(`${what} does not inflate: ${(error as Error).message}`);
  }
  if (out.length !== expected) throw new RamFormatError(`${what} inflates to ${out.length} bytes, not ${expected}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Decodes and checks one record completely (every chunk inflated); throws RamFormatError naming the fault. */
export function decodeRamBlock(bytes: Uint8Array): RamRecord {
  const r = new ByteReader(bytes);
  try {
    const name = r.shortString();
    const size = r.u32() * TWO_32 + r.u32();
    const pageSize = r.u32();
    if (pageSize !== PAGE_SIZE) throw new RamFormatError(`RAM '${name}': page size ${pageSize}, not ${PAGE_SIZE}`);
    if (size === 0 || size % PAGE_SIZE !== 0 || size > 2 ** 46) {
      throw new RamFormatError(`RAM '${name}': bad size ${size}`);
    }
    const modeByte = r.u8();
    if (modeByte > 1) throw new RamFormatError(`RAM '${name}': unknown mode ${modeByte}`);
    const pages = size / PAGE_SIZE;
    const kinds = inflateExactly(r.raw(r.u32()), pages, `RAM '${name}': the page map`);
    let dataPages = 0;
    for (let page = 0; page < pages; page++) {
      const kind = kinds[page]!;
      if (kind > KIND_DATA) throw new RamFormatError(`RAM '${name}': page ${page} has unknown kind ${kind}`);
      if (kind === KIND_DATA) dataPages++;
    }
    const chunkCount = r.u32();
    if (chunkCount !== Math.ceil(dataPages / CHUNK_PAGES)) {
      throw new RamFormatError(`RAM '${name}': ${chunkCount} chunks for ${dataPages} stored pages`);
    }
    const data = new Uint8Array(dataPages * PAGE_SIZE);
    for (let c = 0; c < chunkCount; c++) {
      const pagesHere = Math.min(CHUNK_PAGES, dataPages - c * CHUNK_PAGES);
      const chunk = inflateExactly(r.raw(r.u32()), pagesHere * PAGE_SIZE, `RAM '${name}': chunk ${c}`);
      data.set(chunk, c * CHUNK_PAGES * PAGE_SIZE);
    }
    if (r.remaining !== 0) throw new RamFormatError(`RAM '${name}': ${r.remaining} bytes after the last chunk`);
    return { name, size, mode: modeByte === 0 ? 'full' : 'delta', kinds, data };
  } catch (error) {
    if (error instanceof RamFormatError) throw error;
    throw new RamFormatError(`RAM record: ${(error as Error).message}`);
  }
}

/** Pages a record stores or zeroes (for diffs): every page whose kind is not 'as in the parent'. */
export function pagesDefined(record: RamRecord): number[] {
  const out: number[] = [];
  for (let page = 0; page < record.kinds.length; page++) {
    if (record.kinds[page] !== KIND_ABSENT || record.mode === 'full') out.push(page);
  }
  return out;
}

/**
 * Writes a record over `image` (a whole block's bytes): a full record defines every page, a delta only its
 * own. Applying a full record, then each delta of a chain in order, composes the newest image.
 */
export function applyRamRecord(record: RamRecord, image: Uint8Array): void {
  if (image.length !== record.size) {
    throw new RamFormatError(`RAM '${record.name}' is ${record.size} bytes, the image ${image.length}`);
  }
  let stored = 0;
  for (let page = 0; page < record.kinds.length; page++) {
    const kind = record.kinds[page];
    const at = page * PAGE_SIZE;
    if (kind === KIND_DATA) {
      image.set(record.data.subarray(stored * PAGE_SIZE, (stored + 1) * PAGE_SIZE), at);
      stored++;
    } else if (kind === KIND_ZERO || record.mode === 'full') image.fill(0, at, at + PAGE_SIZE);
  }
}

/** Page numbers whose contents differ between two images of one size. */
export function changedPages(a: Uint8Array, b: Uint8Array): number[] {
  const wa = new Int32Array(a.buffer, a.byteOffset, a.length >> 2);
  const wb = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
  const out: number[] = [];
  const perPage = PAGE_SIZE >> 2;
  for (let page = 0; page * perPage < wa.length; page++) {
    for (let i = page * perPage; i < (page + 1) * perPage; i++) {
      if (wa[i] !== wb[i]) {
        out.push(page);
        break;
      }
    }
  }
  return out;
}
