/**
 * Flattened device tree (DTB) writer and reader, per the Devicetree Specification v0.4 chapter 5:
 * header, memory reservation block, structure block (BEGIN_NODE/PROP/END_NODE tokens) and strings block,
 * all big-endian.
 *
 * Boards describe the tree as plain `FdtNode` objects; `encodeFdt` serialises it and `decodeFdt` reads any
 * DTB (ours, QEMU's, or one the user supplies) back into the same shape.
 */

export const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;
const FDT_END = 9;
const HEADER_SIZE = 40;
const VERSION = 17;
const LAST_COMPATIBLE_VERSION = 16;

export interface FdtNode {
  /** Node name with unit address, e.g. `pl011@9000000`; the root is ''. */
  readonly name: string;
  readonly props: Map<string, Uint8Array>;
  readonly children: FdtNode[];
}

export function node(name: string, props: Record<string, Uint8Array> = {}, children: FdtNode[] = []): FdtNode {
  return { name, props: new Map(Object.entries(props)), children };
}

// ---- property value encoders ---------------------------------------------------------------------------

/** A list of 32-bit cells. */
export function cells(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`cell value ${v} out of range`);
    view.setUint32(i * 4, v);
  });
  return out;
}

/** A 64-bit number as two cells (high, low): addresses and sizes with #address-cells = 2. */
export function u64Cells(...values: number[]): number[] {
  return values.flatMap((v) => [Math.floor(v / 0x1_0000_0000), v >>> 0]);
}

/** One or more NUL-terminated strings (a stringlist). */
export function strings(...values: string[]): Uint8Array {
  return new TextEncoder().encode(values.map((s) => s + '\0').join(''));
}

/** A property with no value (`dma-coherent;`). */
export const empty = (): Uint8Array => new Uint8Array(0);

// ---- property value readers ----------------------------------------------------------------------------

export function readCells(value: Uint8Array): number[] {
  if (value.length % 4 !== 0) throw new Error(`property of ${value.length} bytes is not a list of cells`);
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return Array.from({ length: value.length / 4 }, (_, i) => view.getUint32(i * 4));
}

export function readStrings(value: Uint8Array): string[] {
  const text = new TextDecoder().decode(value);
  if (!text.endsWith('\0')) throw new Error('string property is not NUL-terminated');
  return text.slice(0, -1).split('\0');
}

// ---- encoding -------------------------------------------------------------------------------------------

export interface FdtOptions {
  readonly bootCpuId?: number;
  /** Memory reservation entries [address, size]. */
  readonly reservations?: ReadonlyArray<readonly [number, number]>;
}

class ByteWriter {
  private bytes = new Uint8Array(4096);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  u32(value: number): void {
    this.ensure(4);
    new DataView(this.bytes.buffer).setUint32(this.length, value);
    this.length += 4;
  }

  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  align4(): void {
    while (this.length % 4 !== 0) this.raw(new Uint8Array(1));
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

export function encodeFdt(root: FdtNode, options: FdtOptions = {}): Uint8Array {
  const structure = new ByteWriter();
  const stringTable = new ByteWriter();
  const stringOffsets = new Map<string, number>();
  const encoder = new TextEncoder();

  const nameOffset = (name: string): number => {
    let offset = stringOffsets.get(name);
    if (offset === undefined) {
      offset = stringTable.length;
      stringOffsets.set(name, offset);
      stringTable.raw(encoder.encode(name + '\0'));
    }
    return offset;
  };

  const writeNode = (n: FdtNode): void => {
    structure.u32(FDT_BEGIN_NODE);
    structure.raw(encoder.encode(n.name + '\0'));
    structure.align4();
    for (const [name, value] of n.props) {
      structure.u32(FDT_PROP);
      structure.u32(value.length);
      structure.u32(nameOffset(name));
      structure.raw(value);
      structure.align4();
    }
    for (const child of n.children) writeNode(child);
    structure.u32(FDT_END_NODE);
  };
  writeNode(root);
  structure.u32(FDT_END);

  const reservations = new ByteWriter();
  for (const [address, size] of options.reservations ?? []) {
    for (const v of u64Cells(address, size)) reservations.u32(v);
  }
  for (let i = 0; i < 4; i++) reservations.u32(0);

  const memRsvOffset = HEADER_SIZE + 8; // keep the 8-byte alignment the spec asks of the reservation block
  const structOffset = memRsvOffset + reservations.length;
  const stringsOffset = structOffset + structure.length;
  const total = stringsOffset + stringTable.length;

  const out = new ByteWriter();
  for (const v of [
    FDT_MAGIC,
    total,
    structOffset,
    stringsOffset,
    memRsvOffset,
    VERSION,
    LAST_COMPATIBLE_VERSION,
    options.bootCpuId ?? 0,
    stringTable.length,
    structure.length,
  ]) {
    out.u32(v);
  }
  out.raw(new Uint8Array(memRsvOffset - HEADER_SIZE));
  out.raw(reservations.result());
  out.raw(structure.result());
  out.raw(stringTable.result());
  return out.result();
}

// ---- decoding -------------------------------------------------------------------------------------------

export class FdtError extends Error {
  override name = 'FdtError';
}

export interface DecodedFdt {
  readonly root: FdtNode;
  readonly bootCpuId: number;
  readonly reservations: Array<[number, number]>;
}

/** Reads a DTB; throws FdtError saying what is wrong with a damaged one. */
export function decodeFdt(data: Uint8Array): DecodedFdt {
  if (data.length < HEADER_SIZE) throw new FdtError(`a device tree is at least ${HEADER_SIZE} bytes`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const header = (i: number): number => view.getUint32(i * 4);
  if (header(0) !== FDT_MAGIC) throw new FdtError('not a device tree blob (bad magic)');
  const total = header(1);
  const [structOffset, stringsOffset, memRsvOffset, version] = [header(2), header(3), header(4), header(5)];
  if (total > data.length) throw new FdtError(`truncated: header says ${total} bytes, have ${data.length}`);
  if (version < 16) throw new FdtError(`device tree version ${version} is too old (need 16 or later)`);
  const stringsSize = header(8);
  const structSize = header(9);
  if (structOffset + structSize > total || stringsOffset + stringsSize > total || memRsvOffset > total) {
    throw new FdtError('block offsets point outside the blob');
  }

  const reservations: Array<[number, number]> = [];
  for (let p = memRsvOffset; ; p += 16) {
    if (p + 16 > total) throw new FdtError('unterminated memory reservation block');
    const address = view.getUint32(p) * 0x1_0000_0000 + view.getUint32(p + 4);
    const size = view.getUint32(p + 8) * 0x1_0000_0000 + view.getUint32(p + 12);
    if (address === 0 && size === 0) break;
    reservations.push([address, size]);
  }

  const decoder = new TextDecoder();
  const cString = (start: number, limit: number): [string, number] => {
    let end = start;
    while (end < limit && data[end] !== 0) end++;
    if (end >= limit) throw new FdtError('unterminated string');
    return [decoder.decode(data.subarray(start, end)), end + 1];
  };
  const structEnd = structOffset + structSize;
  const stack: FdtNode[] = [];
  let root: FdtNode | null = null;
  let p = structOffset;
  const next = (): number => {
    if (p + 4 > structEnd) throw new FdtError('structure block ends without FDT_END');
    const v = view.getUint32(p);
    p += 4;
    return v;
  };
  for (;;) {
    const token = next();
    if (token === FDT_BEGIN_NODE) {
      const [name, after] = cString(p, structEnd);
      p = (after + 3) & ~3;
      const n = node(name);
      if (stack.length > 0) stack[stack.length - 1]!.children.push(n);
      else if (root === null) root = n;
      else throw new FdtError('more than one root node');
      stack.push(n);
    } else if (token === FDT_PROP) {
      const length = next();
      const nameOff = next();
      if (stack.length === 0) throw new FdtError('property outside any node');
      if (p + length > structEnd) throw new FdtError('property value runs past the structure block');
      const [name] = cString(stringsOffset + nameOff, stringsOffset + stringsSize);
      stack[stack.length - 1]!.props.set(name, data.slice(p, p + length));
      p = (p + length + 3) & ~3;
    } else if (token === FDT_END_NODE) {
      if (stack.pop() === undefined) throw new FdtError('unbalanced FDT_END_NODE');
    } else if (token === FDT_END) {
      break;
    } else if (token !== FDT_NOP) {
      throw new FdtError(`unknown structure token ${token} at offset ${p - 4}`);
    }
  }
  if (root === null || stack.length !== 0) throw new FdtError('structure block is not one complete tree');
  return { root, bootCpuId: header(7), reservations };
}

/** Finds a node by path such as `/chosen` or `/intc@8000000`. */
export function findNode(root: FdtNode, path: string): FdtNode | undefined {
  let current: FdtNode | undefined = root;
  for (const part of path.split('/').filter((s) => s.length > 0)) {
    current = current.children.find((c) => c.name === part);
    if (current === undefined) return undefined;
  }
  return current;
}
