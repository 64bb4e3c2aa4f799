/**
 * Guest physical memory, after QEMU's MemoryRegion and AddressSpace.
 *
 * A tree of regions (RAM, MMIO, aliases, containers) describes the machine's memory map. An AddressSpace
 * renders the tree into a flat, sorted list of non-overlapping ranges, each pointing at a terminal region
 * (RAM or MMIO) and the offset into it, and resolves guest physical addresses against that list.
 *
 * Physical addresses are JS numbers below 2^53. Accesses are 1, 2, 4 or 8 bytes, little-endian; 64-bit
 * values travel as two uint32 halves, never as BigInt.
 */

import { hex, logger } from './log';
import { accessRejection, mmioOps, mmioRead, mmioWrite } from './mmio';
import type { MmioOps, MmioOpsInit } from './mmio';
import { RamBlock } from './ramblock';

export { RamBlock, PAGE_SHIFT, PAGE_SIZE } from './ramblock';
export { mmioOps } from './mmio';
export type { MmioOps, MmioOpsInit, AccessSize, ImplSize, Endian } from './mmio';

// Typed-array views are read as little-endian guest data without byte swaps.
if (new Uint8Array(new Uint16Array([0x0102]).buffer)[0] !== 0x02) {
  throw new Error('Orrery needs a little-endian host');
}

/** Result of a memory transaction. */
export const MemTx = { Ok: 0, DecodeError: 1, AccessError: 2 } as const;
export type MemTxResult = (typeof MemTx)[keyof typeof MemTx];

/** The largest region size and the end of any address space: every address below it is an exact number. */
export const ADDRESS_LIMIT = 2 ** 53;

export type RegionKind = 'ram' | 'mmio' | 'alias' | 'container';

interface Subregion {
  offset: number;
  readonly region: MemoryRegion;
  readonly priority: number;
}

/** Nesting deeper than this can only be a cycle (a container inside itself, possibly through an alias). */
const MAX_DEPTH = 64;

export class MemoryRegion {
  /** The container this region is mapped in, if any (a region is mapped in at most one place). */
  container: MemoryRegion | null = null;
  private isEnabled = true;
  private readonly children: Subregion[] = [];
  private readonly changeListeners: Array<() => void> = [];
  private aliasStart: number;

  private constructor(
    readonly name: string,
    readonly kind: RegionKind,
    readonly size: number,
    /** RAM storage (kind 'ram'). */
    readonly ram: RamBlock | null,
    /** Writes are ignored (ROM); only for kind 'ram'. */
    readonly readonly: boolean,
    /** Callbacks (kind 'mmio'). */
    readonly ops: MmioOps | null,
    /** The region an alias shows (kind 'alias'). */
    readonly aliasTarget: MemoryRegion | null,
    aliasOffset: number,
    /** Who owns the region, e.g. a device path; guest errors in it are reported under this name. */
    readonly owner: string | null,
  ) {
    if (!Number.isSafeInteger(size) && size !== ADDRESS_LIMIT) {
      throw new Error(`memory region '${name}': size ${size} is not an integer below 2^53`);
    }
    if (size <= 0) throw new Error(`memory region '${name}': size must be positive (got ${size})`);
    this.aliasStart = aliasOffset;
    aliasTarget?.changeListeners.push(this.changed);
  }

  /** RAM of `size` bytes; its block is rounded up to whole pages but only `size` bytes are mapped. */
  static ram(name: string, size: number, options: { readonly?: boolean; block?: RamBlock } = {}): MemoryRegion {
    const block = options.block ?? new RamBlock(name, size);
    if (block.size < size) throw new Error(`memory region '${name}': RAM block '${block.name}' is too small`);
    return new MemoryRegion(name, 'ram', size, block, options.readonly ?? false, null, null, 0, null);
  }

  /** Read-only RAM: guest writes are discarded. Contents are set through `region.ram.bytes`. */
  static rom(name: string, size: number): MemoryRegion {
    return MemoryRegion.ram(name, size, { readonly: true });
  }

  static mmio(name: string, size: number, ops: MmioOps | MmioOpsInit, owner: string | null = null): MemoryRegion {
    return new MemoryRegion(name, 'mmio', size, null, false, mmioOps(ops), null, 0, owner);
  }

  /** A window of `size` bytes (default: the rest of the target) onto `target`, starting at `offset` in it. */
  static alias(name: string, target: MemoryRegion, offset: number, size = target.size - offset): MemoryRegion {
    if (offset < 0 || offset + size > target.size) {
      throw new Error(`alias '${name}': ${hex(offset)}+${hex(size)} is outside '${target.name}'`);
    }
    return new MemoryRegion(name, 'alias', size, null, false, null, target, offset, null);
  }

  static container(name: string, size: number): MemoryRegion {
    return new MemoryRegion(name, 'container', size, null, false, null, null, 0, null);
  }

  get enabled(): boolean {
    return this.isEnabled;
  }

  /** A disabled region is not mapped (what is below it shows through). */
  set enabled(value: boolean) {
    if (value === this.isEnabled) return;
    this.isEnabled = value;
    this.changed();
  }

  get aliasOffset(): number {
    return this.aliasStart;
  }

  /** Moves an alias's window within its target (QEMU's memory_region_set_alias_offset). */
  setAliasOffset(offset: number): void {
    if (this.aliasTarget === null) throw new Error(`memory region '${this.name}' is not an alias`);
    if (offset < 0 || offset + this.size > this.aliasTarget.size) {
      throw new Error(`alias '${this.name}': offset ${hex(offset)} is outside '${this.aliasTarget.name}'`);
    }
    this.aliasStart = offset;
    this.changed();
  }

  /**
   * Maps `region` at `offset` in this container. Where children overlap, the higher priority is visible;
   * at equal priority the one added later is (as in QEMU).
   */
  addSubregion(offset: number, region: MemoryRegion, priority = 0): void {
    if (this.kind !== 'container') throw new Error(`memory region '${this.name}' is not a container`);
    if (region.container !== null) {
      throw new Error(`memory region '${region.name}' is already mapped in '${region.container.name}'`);
    }
    if (region === this || region.contains(this)) {
      throw new Error(`memory region '${region.name}' cannot be mapped inside itself`);
    }
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new Error(`memory region '${region.name}': invalid offset ${offset} in '${this.name}'`);
    }
    // Insert before the first child of lower or equal priority, so later additions win ties.
    let index = this.children.findIndex((child) => child.priority <= priority);
    if (index < 0) index = this.children.length;
    this.children.splice(index, 0, { offset, region, priority });
    region.container = this;
    region.changeListeners.push(this.changed);
    this.changed();
  }

  removeSubregion(region: MemoryRegion): void {
    const index = this.children.findIndex((child) => child.region === region);
    if (index < 0) throw new Error(`memory region '${region.name}' is not mapped in '${this.name}'`);
    this.children.splice(index, 1);
    region.container = null;
    region.removeChangeListener(this.changed);
    this.changed();
  }

  /** Moves a mapped child to a new offset (QEMU's memory_region_set_address). */
  moveSubregion(region: MemoryRegion, offset: number): void {
    const child = this.children.find((c) => c.region === region);
    if (child === undefined) throw new Error(`memory region '${region.name}' is not mapped in '${this.name}'`);
    child.offset = offset;
    this.changed();
  }

  /** Children in visibility order (highest priority first; among equals, the latest added first). */
  subregions(): ReadonlyArray<Readonly<Subregion>> {
    return this.children;
  }

  /** Whether `other` is reachable from this region through children or alias targets. */
  private contains(other: MemoryRegion, depth = 0): boolean {
    if (depth > MAX_DEPTH) return true;
    if (this.aliasTarget !== null) {
      return this.aliasTarget === other || this.aliasTarget.contains(other, depth + 1);
    }
    return this.children.some((c) => c.region === other || c.region.contains(other, depth + 1));
  }

  /** @internal Called by AddressSpace and containers to hear about changes below this region. */
  addChangeListener(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /** @internal */
  removeChangeListener(listener: () => void): void {
    const index = this.changeListeners.indexOf(listener);
    if (index >= 0) this.changeListeners.splice(index, 1);
  }

  private readonly changed = (): void => {
    for (const listener of this.changeListeners) listener();
  };
}

/** One piece of the flattened map. Fields are fixed so lookups stay monomorphic. */
class FlatRange {
  constructor(
    readonly start: number,
    /** Exclusive. */
    public end: number,
    /** A terminal region: kind 'ram' or 'mmio'. */
    readonly region: MemoryRegion,
    /** Offset in `region` of `start`. */
    readonly offset: number,
    readonly block: RamBlock | null,
    readonly ops: MmioOps | null,
    readonly readonly: boolean,
  ) {}
}

/** Renders a region tree into sorted, non-overlapping ranges (QEMU's render_memory_region). */
function flatten(root: MemoryRegion): FlatRange[] {
  const ranges: FlatRange[] = [];
  render(root, 0, 0, ADDRESS_LIMIT, ranges, 0);
  return mergeAdjacent(ranges);
}

function render(
  region: MemoryRegion,
  base: number,
  clipStart: number,
  clipEnd: number,
  out: FlatRange[],
  depth: number,
) {
  if (depth > MAX_DEPTH) throw new Error(`memory region '${region.name}': nesting too deep (a cycle?)`);
  if (!region.enabled) return;
  const start = Math.max(base, clipStart);
  const end = Math.min(base + region.size, clipEnd);
  if (start >= end) return;
  switch (region.kind) {
    case 'alias':
      render(region.aliasTarget!, base - region.aliasOffset, start, end, out, depth + 1);
      return;
    case 'container':
      // Higher priority first: what is rendered first owns the addresses, later children fill gaps only.
      for (const child of region.subregions()) render(child.region, base + child.offset, start, end, out, depth + 1);
      return;
    case 'ram':
    case 'mmio':
      fillGaps(out, start, end, region, start - base);
      return;
  }
}

/** Inserts the parts of [start, end) that no range covers yet, keeping `ranges` sorted. */
function fillGaps(ranges: FlatRange[], start: number, end: number, region: MemoryRegion, offset: number): void {
  let index = 0;
  while (index < ranges.length && ranges[index].end <= start) index++;
  let at = start;
  while (at < end) {
    if (index < ranges.length && ranges[index].start <= at) {
      at = Math.max(at, ranges[index].end);
      index++;
      continue;
    }
    const gapEnd = index < ranges.length ? Math.min(end, ranges[index].start) : end;
    const piece = new FlatRange(at, gapEnd, region, offset + (at - start), region.ram, region.ops, region.readonly);
    ranges.splice(index, 0, piece);
    index++;
    at = gapEnd;
  }
}

/** Joins neighbours that continue the same region, so a RAM range is as long as it really is. */
function mergeAdjacent(ranges: FlatRange[]): FlatRange[] {
  const merged: FlatRange[] = [];
  for (const range of ranges) {
    const last = merged.length > 0 ? merged[merged.length - 1] : null;
    if (
      last !== null &&
      last.end === range.start &&
      last.region === range.region &&
      last.offset + (last.end - last.start) === range.offset
    ) {
      last.end = range.end;
    } else {
      merged.push(range);
    }
  }
  return merged;
}

/**
 * A contiguous RAM mapping around an address, for the CPU's TLB. `findRam` returns the same object on
 * every call (no allocation): copy the fields out before calling it again.
 */
export interface RamRef {
  block: RamBlock;
  /** Offset in `block` of the address asked about. */
  offset: number;
  /** Guest physical address where this contiguous range of the block starts. */
  start: number;
  /** Bytes in the range from `start`: a page may be mapped directly only if it lies wholly inside. */
  length: number;
  readonly: boolean;
}

export interface FlatViewEntry {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly region: string;
  readonly kind: 'ram' | 'rom' | 'mmio';
  /** Offset in the region of `start`. */
  readonly offset: number;
}

const unusedBlock = new RamBlock('(none)', 1);

export class AddressSpace {
  /** MemTx result of the last read/write/read64/write64 (callers check it when they care). */
  status: MemTxResult = MemTx.Ok;

  private ranges: FlatRange[] = [];
  private stale = true;
  private lastHit = 0;
  private readonly ramRef: RamRef = { block: unusedBlock, offset: 0, start: 0, length: 0, readonly: false };
  private readonly mapListeners: Array<() => void> = [];

  constructor(
    readonly name: string,
    readonly root: MemoryRegion,
  ) {
    root.addChangeListener(this.invalidate);
  }

  /** Called whenever the memory map changes (the CPU drops its TLB); returns an unsubscriber. */
  onMapChange(listener: () => void): () => void {
    this.mapListeners.push(listener);
    return () => {
      const index = this.mapListeners.indexOf(listener);
      if (index >= 0) this.mapListeners.splice(index, 1);
    };
  }

  /** Stops following the region tree. */
  dispose(): void {
    this.root.removeChangeListener(this.invalidate);
  }

  private readonly invalidate = (): void => {
    this.stale = true;
    for (const listener of this.mapListeners) listener();
  };

  /** Index of the flat range holding `pa`, or -1 when unassigned. */
  private lookup(pa: number): number {
    if (this.stale) {
      this.ranges = flatten(this.root);
      this.stale = false;
      this.lastHit = 0;
    }
    const ranges = this.ranges;
    const cached = ranges[this.lastHit];
    if (cached !== undefined && pa >= cached.start && pa < cached.end) return this.lastHit;
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const range = ranges[mid];
      // Ordered so that NaN (never a valid address) ends the search unassigned.
      if (pa < range.start) hi = mid - 1;
      else if (pa < range.end) {
        this.lastHit = mid;
        return mid;
      } else lo = mid + 1;
    }
    return -1;
  }

  // --- CPU and device accesses ---------------------------------------------------------------------

  /** Reads 1, 2 or 4 bytes, unsigned. Unassigned or rejected accesses read 0 (see `status`). */
  read(pa: number, size: 1 | 2 | 4): number {
    this.status = MemTx.Ok;
    const index = this.lookup(pa);
    if (index < 0) return this.unassignedRead(pa, size);
    const range = this.ranges[index];
    if (pa + size > range.end) return this.readBytewise(pa, size);
    const offset = range.offset + (pa - range.start);
    const block = range.block;
    if (block !== null) {
      if (size === 4) return block.view.getUint32(offset, true);
      if (size === 2) return block.view.getUint16(offset, true);
      return block.bytes[offset];
    }
    const ops = range.ops!;
    if (this.rejected(range, ops, offset, size, pa, 'read')) return 0;
    return mmioRead(ops, offset, size);
  }

  /** Writes the low `size` bytes of `value`. ROM writes are discarded (logged, status Ok, as QEMU's CPU does). */
  write(pa: number, size: 1 | 2 | 4, value: number): void {
    this.status = MemTx.Ok;
    const index = this.lookup(pa);
    if (index < 0) {
      this.unassignedWrite(pa, size, hex(value >>> 0));
      return;
    }
    const range = this.ranges[index];
    if (pa + size > range.end) {
      this.writeBytewise(pa, size, value, 0);
      return;
    }
    const offset = range.offset + (pa - range.start);
    const block = range.block;
    if (block !== null) {
      if (range.readonly) return this.romWrite(range, pa, size);
      if (size === 4) block.view.setUint32(offset, value, true);
      else if (size === 2) block.view.setUint16(offset, value, true);
      else block.bytes[offset] = value;
      block.noteWrite(offset, size);
      return;
    }
    const ops = range.ops!;
    if (this.rejected(range, ops, offset, size, pa, 'write')) return;
    mmioWrite(ops, offset, size, value);
  }

  /** Reads 8 bytes: the low word goes to out[index], the high word to out[index + 1]. */
  read64(pa: number, out: Uint32Array, index: number): void {
    this.status = MemTx.Ok;
    const found = this.lookup(pa);
    if (found < 0) {
      out[index] = out[index + 1] = this.unassignedRead(pa, 8);
      return;
    }
    const range = this.ranges[found];
    if (pa + 8 > range.end) {
      out[index] = this.readBytewise(pa, 4);
      const status = this.status;
      out[index + 1] = this.readBytewise(pa + 4, 4);
      if (status !== MemTx.Ok) this.status = status;
      return;
    }
    const offset = range.offset + (pa - range.start);
    const block = range.block;
    if (block !== null) {
      out[index] = block.view.getUint32(offset, true);
      out[index + 1] = block.view.getUint32(offset + 4, true);
      return;
    }
    const ops = range.ops!;
    if (this.rejected(range, ops, offset, 8, pa, 'read')) {
      out[index] = out[index + 1] = 0;
      return;
    }
    out[index] = mmioRead(ops, offset, 4);
    out[index + 1] = mmioRead(ops, offset + 4, 4);
  }

  write64(pa: number, lo: number, hi: number): void {
    this.status = MemTx.Ok;
    const found = this.lookup(pa);
    if (found < 0) {
      this.unassignedWrite(pa, 8, hex(hi >>> 0, 8) + (lo >>> 0).toString(16).padStart(8, '0'));
      return;
    }
    const range = this.ranges[found];
    if (pa + 8 > range.end) {
      this.writeBytewise(pa, 4, lo, 0);
      this.writeBytewise(pa + 4, 4, hi, this.status);
      return;
    }
    const offset = range.offset + (pa - range.start);
    const block = range.block;
    if (block !== null) {
      if (range.readonly) return this.romWrite(range, pa, 8);
      block.view.setUint32(offset, lo, true);
      block.view.setUint32(offset + 4, hi, true);
      block.noteWrite(offset, 8);
      return;
    }
    const ops = range.ops!;
    if (this.rejected(range, ops, offset, 8, pa, 'write')) return;
    mmioWrite(ops, offset, 4, lo);
    mmioWrite(ops, offset + 4, 4, hi);
  }

  /** An access straddling two ranges: done one byte at a time; `status` is the first failure, if any. */
  private readBytewise(pa: number, size: number): number {
    let value = 0;
    let status: MemTxResult = MemTx.Ok;
    for (let i = 0; i < size; i++) {
      value |= this.read(pa + i, 1) << (i * 8);
      if (status === MemTx.Ok) status = this.status;
    }
    this.status = status;
    return value >>> 0;
  }

  private writeBytewise(pa: number, size: number, value: number, earlier: MemTxResult): void {
    let status = earlier;
    for (let i = 0; i < size; i++) {
      this.write(pa + i, 1, (value >>> (i * 8)) & 0xff);
      if (status === MemTx.Ok) status = this.status;
    }
    this.status = status;
  }

  private unassignedRead(pa: number, size: number): number {
    this.status = MemTx.DecodeError;
    logger.guestError(this.name, `unassigned read at ${hex(pa)} (size ${size})`);
    return 0;
  }

  private unassignedWrite(pa: number, size: number, value: string): void {
    this.status = MemTx.DecodeError;
    logger.guestError(this.name, `unassigned write at ${hex(pa)} (size ${size}, value ${value})`);
  }

  private romWrite(range: FlatRange, pa: number, size: number): void {
    logger.guestError(this.name, `write to read-only '${range.region.name}' at ${hex(pa)} (size ${size}) ignored`);
  }

  /** Checks the device's valid rules; logs and sets AccessError when the guest broke them. */
  private rejected(range: FlatRange, ops: MmioOps, offset: number, size: number, pa: number, what: string): boolean {
    const reason = accessRejection(ops, offset, size);
    if (reason === null) return false;
    this.status = MemTx.AccessError;
    const region = range.region;
    logger.guestError(
      region.owner ?? region.name,
      `invalid ${what} at ${hex(pa)} ('${region.name}' + ${hex(offset)}), size ${size}: ${reason}`,
    );
    return true;
  }

  // --- RAM mapping for the CPU ---------------------------------------------------------------------

  /** The RAM range holding `pa`, or null (MMIO or unassigned). Returns a shared object: see RamRef. */
  findRam(pa: number): RamRef | null {
    const index = this.lookup(pa);
    if (index < 0) return null;
    const range = this.ranges[index];
    if (range.block === null) return null;
    const ref = this.ramRef;
    ref.block = range.block;
    ref.offset = range.offset + (pa - range.start);
    ref.start = range.start;
    ref.length = range.end - range.start;
    ref.readonly = range.readonly;
    return ref;
  }

  // --- DMA -----------------------------------------------------------------------------------------

  /**
   * Copies guest memory into `dest`. The whole range must be RAM (possibly several adjacent RAM ranges);
   * otherwise nothing is copied, a guest error is logged and DecodeError (unassigned) or AccessError
   * (MMIO) is returned. DMA never goes to MMIO.
   */
  readBytes(pa: number, dest: Uint8Array): MemTxResult {
    const status = this.checkDma(pa, dest.length, false);
    if (status !== MemTx.Ok) return status;
    let done = 0;
    while (done < dest.length) {
      const range = this.ranges[this.lookup(pa + done)];
      const offset = range.offset + (pa + done - range.start);
      const count = Math.min(dest.length - done, range.end - (pa + done));
      dest.set(range.block!.bytes.subarray(offset, offset + count), done);
      done += count;
    }
    return MemTx.Ok;
  }

  /** Copies `src` into guest RAM, all or nothing as `readBytes`; ROM is an AccessError. Marks pages dirty. */
  writeBytes(pa: number, src: Uint8Array): MemTxResult {
    const status = this.checkDma(pa, src.length, true);
    if (status !== MemTx.Ok) return status;
    let done = 0;
    while (done < src.length) {
      const range = this.ranges[this.lookup(pa + done)];
      const offset = range.offset + (pa + done - range.start);
      const count = Math.min(src.length - done, range.end - (pa + done));
      const block = range.block!;
      block.bytes.set(src.subarray(done, done + count), offset);
      block.noteWrite(offset, count);
      done += count;
    }
    return MemTx.Ok;
  }

  /** Ok when [pa, pa + length) is entirely RAM (writable RAM when `write`); otherwise logs why. */
  private checkDma(pa: number, length: number, write: boolean): MemTxResult {
    const what = write ? 'write' : 'read';
    if (!Number.isSafeInteger(pa) || pa < 0 || pa + length > ADDRESS_LIMIT) {
      logger.guestError(this.name, `DMA ${what} of ${length} bytes at ${pa}: invalid address`);
      return MemTx.DecodeError;
    }
    let at = pa;
    while (at < pa + length) {
      const index = this.lookup(at);
      if (index < 0) {
        logger.guestError(this.name, `DMA ${what} of ${length} bytes at ${hex(pa)}: ${hex(at)} is unassigned`);
        return MemTx.DecodeError;
      }
      const range = this.ranges[index];
      if (range.block === null || (write && range.readonly)) {
        const problem = range.block === null ? 'MMIO' : 'read-only';
        logger.guestError(
          this.name,
          `DMA ${what} of ${length} bytes at ${hex(pa)}: ${hex(at)} is ${problem} ('${range.region.name}')`,
        );
        return MemTx.AccessError;
      }
      at = range.end;
    }
    return MemTx.Ok;
  }

  // --- introspection -------------------------------------------------------------------------------

  /** The flattened map, for the memory-map view (`info mtree -f`). */
  flatView(): FlatViewEntry[] {
    this.lookup(0);
    return this.ranges.map((r) => ({
      start: r.start,
      end: r.end,
      region: r.region.name,
      kind: r.block === null ? 'mmio' : r.readonly ? 'rom' : 'ram',
      offset: r.offset,
    }));
  }

  /** The distinct RAM blocks mapped in this address space (for snapshots), in address order. */
  ramBlocks(): RamBlock[] {
    this.lookup(0);
    const blocks: RamBlock[] = [];
    for (const range of this.ranges) {
      if (range.block !== null && !blocks.includes(range.block)) blocks.push(range.block);
    }
    return blocks;
  }

  /** The region tree as QEMU's `info mtree` prints it. */
  mtree(): string {
    const lines = [`address-space: ${this.name}`];
    describeRegion(this.root, 0, 0, 1, lines);
    return lines.join('\n') + '\n';
  }
}

function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}

function regionType(region: MemoryRegion): string {
  if (region.aliasTarget !== null) return regionType(region.aliasTarget);
  if (region.kind === 'ram') return region.readonly ? 'rom' : 'ram';
  return region.kind === 'mmio' ? 'i/o' : 'container';
}

function describeRegion(region: MemoryRegion, start: number, priority: number, depth: number, lines: string[]) {
  const range = `${hex16(start)}-${hex16(start + region.size - 1)}`;
  const disabled = region.enabled ? '' : ' [disabled]';
  const target = region.aliasTarget;
  const label =
    target === null
      ? region.name
      : `alias ${region.name} @${target.name} ${hex16(region.aliasOffset)}-${hex16(region.aliasOffset + region.size - 1)}`;
  lines.push(`${'  '.repeat(depth)}${range} (prio ${priority}, ${regionType(region)}): ${label}${disabled}`);
  // Printed by address, then highest priority first, as QEMU does.
  const children = [...region.subregions()].sort((a, b) => a.offset - b.offset || b.priority - a.priority);
  for (const child of children) describeRegion(child.region, start + child.offset, child.priority, depth + 1, lines);
}
