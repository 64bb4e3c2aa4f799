/**
 * The qcow2 on-disk layout (QEMU docs/interop/qcow2.txt): header, header extensions and table entries.
 * Pure functions over bytes; every field a later step relies on is validated here, with a message that
 * names the file and the field.
 *
 * 64-bit fields are read as two uint32 halves into a number: offsets above 2^53 cannot be valid (the file
 * would be larger than any file system allows) and are rejected by the bounds checks.
 */
import { BlockError } from '../types';

export const QCOW2_MAGIC = 0x514649fb;
export const MIN_CLUSTER_BITS = 9;
/** QEMU's implementation limit (2 MiB clusters). */
export const MAX_CLUSTER_BITS = 21;
/** QEMU's limits on table sizes: a malicious image cannot make us allocate more than this. */
export const MAX_L1_BYTES = 32 * 1024 * 1024;
export const MAX_REFCOUNT_TABLE_BYTES = 8 * 1024 * 1024;
export const MAX_SNAPSHOTS = 65536;
export const MAX_BACKING_NAME = 1023;
/** The only refcount width supported: 16-bit (refcount_order 4), QEMU's default. */
export const SUPPORTED_REFCOUNT_ORDER = 4;
export const V2_HEADER_LENGTH = 72;
export const V3_HEADER_LENGTH = 104;

export const INCOMPAT = { dirty: 0, corrupt: 1, externalData: 2, compressionType: 3, extendedL2: 4 } as const;
export const COMPAT_LAZY_REFCOUNTS = 0;

export const EXT_END = 0;
export const EXT_BACKING_FORMAT = 0xe2792aca;
export const EXT_FEATURE_TABLE = 0x6803f857;
export const EXT_BITMAPS = 0x23852875;

const TWO_32 = 0x1_0000_0000;

export interface Qcow2Header {
  version: 2 | 3;
  backingFileOffset: number;
  backingFileSize: number;
  clusterBits: number;
  /** Virtual disk size in bytes. */
  size: number;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: number;
  incompatibleFeatures: bigint;
  compatibleFeatures: bigint;
  autoclearFeatures: bigint;
  refcountOrder: number;
  headerLength: number;
  /** Byte 104 when present (0 = zlib). */
  compressionType: number;
}

export interface HeaderExtensions {
  backingFormat: string | null;
  /** Feature names by `${type}:${bit}` (type 0 incompatible, 1 compatible, 2 autoclear). */
  featureNames: Map<string, string>;
  /** Unknown extension types, kept only to be reported. */
  unknown: number[];
}

export function readU64(view: DataView, pos: number): number {
  return view.getUint32(pos) * TWO_32 + view.getUint32(pos + 4);
}

export function writeU64(view: DataView, pos: number, value: number): void {
  view.setUint32(pos, Math.floor(value / TWO_32));
  view.setUint32(pos + 4, value >>> 0);
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Parses and validates the header from the first bytes of the file (at least 512 of them if present). */
export function parseHeader(path: string, bytes: Uint8Array, fileLength: number): Qcow2Header {
  const fail = (problem: string): never => {
    throw new BlockError(path, problem);
  };
  if (bytes.length < V2_HEADER_LENGTH) fail(`not a qcow2 image: file too short for a header (${bytes.length} bytes)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint32(0);
  if (magic !== QCOW2_MAGIC) fail(`not a qcow2 image: bad magic ${hex(magic)} (expected ${hex(QCOW2_MAGIC)})`);
  const version = v.getUint32(4);
  if (version !== 2 && version !== 3) fail(`unsupported qcow2 version ${version} (2 and 3 are supported)`);
  const h: Qcow2Header = {
    version: version as 2 | 3,
    backingFileOffset: readU64(v, 8),
    backingFileSize: v.getUint32(16),
    clusterBits: v.getUint32(20),
    size: readU64(v, 24),
    cryptMethod: v.getUint32(32),
    l1Size: v.getUint32(36),
    l1TableOffset: readU64(v, 40),
    refcountTableOffset: readU64(v, 48),
    refcountTableClusters: v.getUint32(56),
    nbSnapshots: v.getUint32(60),
    snapshotsOffset: readU64(v, 64),
    incompatibleFeatures: 0n,
    compatibleFeatures: 0n,
    autoclearFeatures: 0n,
    refcountOrder: SUPPORTED_REFCOUNT_ORDER,
    headerLength: V2_HEADER_LENGTH,
    compressionType: 0,
  };
  if (version === 3) {
    if (bytes.length < V3_HEADER_LENGTH) fail('qcow2 version 3 header cut short by the end of the file');
    h.incompatibleFeatures = v.getBigUint64(72);
    h.compatibleFeatures = v.getBigUint64(80);
    h.autoclearFeatures = v.getBigUint64(88);
    h.refcountOrder = v.getUint32(96);
    h.headerLength = v.getUint32(100);
    if (h.headerLength > 104 && bytes.length > 104) h.compressionType = v.getUint8(104);
  }
  validateHeader(h, fileLength, fail);
  return h;
}

function validateHeader(h: Qcow2Header, fileLength: number, fail: (problem: string) => never): void {
  if (h.clusterBits < MIN_CLUSTER_BITS || h.clusterBits > MAX_CLUSTER_BITS) {
    fail(`cluster_bits ${h.clusterBits} out of range (${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS})`);
  }
  const cs = 2 ** h.clusterBits;
  if (h.version === 3) {
    if (h.headerLength < V3_HEADER_LENGTH || h.headerLength % 8 !== 0 || h.headerLength > cs) {
      fail(`invalid header_length ${h.headerLength} (at least 104, a multiple of 8, within the first cluster)`);
    }
    if (h.refcountOrder !== SUPPORTED_REFCOUNT_ORDER) {
      fail(
        `refcount_order ${h.refcountOrder} (${2 ** Math.min(h.refcountOrder, 31)}-bit refcounts) is not supported; ` +
          `only refcount_order 4 (16-bit) is`,
      );
    }
  }
  if (h.cryptMethod !== 0) fail(`encrypted images are not supported (crypt_method ${h.cryptMethod})`);
  const l2Entries = cs / 8;
  const maxSize = Math.min(Number.MAX_SAFE_INTEGER, (MAX_L1_BYTES / 8) * l2Entries * cs);
  if (h.size > maxSize) fail(`virtual size ${h.size} too large for ${cs}-byte clusters`);
  const l1Needed = Math.ceil(h.size / (l2Entries * cs));
  if (h.l1Size < l1Needed) fail(`L1 table too small: ${h.l1Size} entries for a ${h.size}-byte disk (${l1Needed})`);
  if (h.l1Size * 8 > MAX_L1_BYTES) fail(`L1 table too large (${h.l1Size} entries)`);
  checkTable(fail, 'L1 table', h.l1TableOffset, h.l1Size * 8, cs, fileLength);
  if (h.refcountTableClusters === 0) fail('refcount table is empty (refcount_table_clusters 0)');
  if (h.refcountTableClusters * cs > MAX_REFCOUNT_TABLE_BYTES) {
    fail(`refcount table too large (${h.refcountTableClusters} clusters)`);
  }
  checkTable(fail, 'refcount table', h.refcountTableOffset, h.refcountTableClusters * cs, cs, fileLength);
  if (h.nbSnapshots > MAX_SNAPSHOTS) fail(`too many internal snapshots (${h.nbSnapshots})`);
  if (h.nbSnapshots > 0) checkTable(fail, 'snapshot table', h.snapshotsOffset, 40, cs, fileLength);
  if (h.backingFileOffset !== 0) {
    if (h.backingFileSize > MAX_BACKING_NAME) fail(`backing file name too long (${h.backingFileSize} bytes)`);
    if (h.backingFileOffset + h.backingFileSize > cs) fail('backing file name lies outside the header cluster');
  }
}

function checkTable(
  fail: (problem: string) => never,
  what: string,
  offset: number,
  length: number,
  cs: number,
  fileLength: number,
): void {
  if (offset % cs !== 0) fail(`${what} offset ${hex(offset)} is not cluster-aligned`);
  if (offset === 0 && length > 0) fail(`${what} offset is 0 (overlaps the header)`);
  if (offset + length > fileLength) {
    fail(`${what} at ${hex(offset)} (${length} bytes) lies beyond the end of the file (${fileLength} bytes)`);
  }
}

/**
 * The incompatible feature bits we cannot handle, each named (from the image's feature table when it has one).
 * Dirty and corrupt are handled by the caller (they depend on read-only versus read-write).
 */
export function unsupportedIncompatibleFeatures(h: Qcow2Header, ext: HeaderExtensions): string[] {
  const known: Record<number, string> = {
    [INCOMPAT.externalData]: 'external data file',
    [INCOMPAT.compressionType]: `compression type ${h.compressionType === 1 ? 'zstd' : h.compressionType}`,
    [INCOMPAT.extendedL2]: 'extended L2 entries (subclusters)',
  };
  const out: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if (((h.incompatibleFeatures >> BigInt(bit)) & 1n) === 0n) continue;
    if (bit === INCOMPAT.dirty || bit === INCOMPAT.corrupt) continue;
    const name = known[bit] ?? ext.featureNames.get(`0:${bit}`) ?? 'unknown';
    out.push(`incompatible feature bit ${bit} (${name})`);
  }
  return out;
}

export function hasFeature(mask: bigint, bit: number): boolean {
  return ((mask >> BigInt(bit)) & 1n) !== 0n;
}

/** Header extensions live between the header and the end of the first cluster (or the backing name). */
export function parseExtensions(path: string, h: Qcow2Header, cluster0: Uint8Array): HeaderExtensions {
  const ext: HeaderExtensions = { backingFormat: null, featureNames: new Map(), unknown: [] };
  const end = h.backingFileOffset !== 0 && h.backingFileOffset > h.headerLength ? h.backingFileOffset : cluster0.length;
  const v = new DataView(cluster0.buffer, cluster0.byteOffset, cluster0.byteLength);
  const seen = new Set<number>();
  let pos = h.headerLength;
  while (pos + 8 <= end) {
    const type = v.getUint32(pos);
    const length = v.getUint32(pos + 4);
    if (type === EXT_END) break;
    const data = pos + 8;
    if (data + length > end) {
      throw new BlockError(path, `header extension ${hex(type)} (${length} bytes) overruns the header cluster`);
    }
    if (seen.has(type)) throw new BlockError(path, `header extension ${hex(type)} appears twice`);
    seen.add(type);
    const body = cluster0.subarray(data, data + length);
    if (type === EXT_BACKING_FORMAT) ext.backingFormat = new TextDecoder().decode(body);
    else if (type === EXT_FEATURE_TABLE) readFeatureTable(body, ext.featureNames);
    else ext.unknown.push(type);
    pos = data + Math.ceil(length / 8) * 8;
  }
  return ext;
}

function readFeatureTable(body: Uint8Array, names: Map<string, string>): void {
  for (let p = 0; p + 48 <= body.length; p += 48) {
    const raw = body.subarray(p + 2, p + 48);
    const nul = raw.indexOf(0);
    names.set(`${body[p]}:${body[p + 1]}`, new TextDecoder().decode(nul < 0 ? raw : raw.subarray(0, nul)));
  }
}

export function readBackingName(h: Qcow2Header, cluster0: Uint8Array): string | null {
  if (h.backingFileOffset === 0) return null;
  const bytes = cluster0.subarray(h.backingFileOffset, h.backingFileOffset + h.backingFileSize);
  return new TextDecoder().decode(bytes);
}

// ---- table entries -------------------------------------------------------------------------------------

/** Bit 63 of L1 and standard L2 entries: the cluster's refcount is exactly one. */
export const COPIED_HI = 0x8000_0000;
/** Bit 62 of L2 entries. */
export const COMPRESSED_HI = 0x4000_0000;
/** Bit 0 of a standard L2 entry (version 3). */
export const ZERO_LO = 1;

/** Host offset in an L1, standard L2 or refcount table entry (bits 9..55). */
export function entryOffset(hi: number, lo: number): number {
  return (hi & 0x00ff_ffff) * TWO_32 + ((lo & 0xffff_fe00) >>> 0);
}

/** Reserved bits of an L1 entry: 0..8 and 56..62. */
export function l1Reserved(hi: number, lo: number): boolean {
  return (lo & 0x1ff) !== 0 || (hi & 0x7f00_0000) !== 0;
}

/** Reserved bits of a standard L2 entry: 1..8 and 56..61. */
export function l2Reserved(hi: number, lo: number): boolean {
  return (lo & 0x1fe) !== 0 || (hi & 0x3f00_0000) !== 0;
}

/** Host offset and byte length of a compressed cluster's data. */
export function compressedExtent(hi: number, lo: number, clusterBits: number): { offset: number; length: number } {
  const offsetBits = 62 - (clusterBits - 8);
  const hiOffsetBits = offsetBits - 32;
  const offset = (hi & ((1 << hiOffsetBits) - 1)) * TWO_32 + (lo >>> 0);
  const sectors = ((hi & 0x3fff_ffff) >>> hiOffsetBits) + 1;
  return { offset, length: sectors * 512 - (offset % 512) };
}
