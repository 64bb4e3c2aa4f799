/**
 * Descriptor chains of a split virtqueue (virtio 1.2, 2.7.5): walking, validation and data movement.
 *
 * A chain is validated completely before a device sees it: every descriptor's buffer must lie wholly in
 * guest RAM (device-writable buffers in writable RAM), device-readable descriptors come before
 * device-writable ones, no descriptor is empty, the chain is no longer than its table (so a loop ends),
 * and indirect tables are whole descriptors, no larger than the queue, never nested and never followed by
 * NEXT. A chain that breaks a rule is reported as a string; the caller marks the device broken.
 *
 * Guest memory is only read and written through the AddressSpace's bounds-checked DMA helpers.
 */
import { ADDRESS_LIMIT, MemTx } from '../../core/memory';
import type { AddressSpace } from '../../core/memory';
import { VirtqDesc } from './spec';

/** One guest buffer of a chain. */
export interface Segment {
  readonly addr: number;
  readonly len: number;
}

/** A validated chain: the readable buffers (driver to device) then the writable ones. */
export interface Chain {
  /** Index of the head descriptor: what the used ring reports back. */
  readonly head: number;
  readonly readable: readonly Segment[];
  readonly writable: readonly Segment[];
  readonly readableBytes: number;
  readonly writableBytes: number;
}

/** What walking a chain needs from its queue. */
export interface ChainSource {
  readonly memory: AddressSpace;
  /** Guest address of the descriptor table. */
  readonly descAddr: number;
  /** Queue size: entries in the descriptor table and the longest chain allowed. */
  readonly size: number;
  /** VIRTIO_F_RING_INDIRECT_DESC was negotiated. */
  readonly indirect: boolean;
}

const TOTAL_LIMIT = 2 ** 32;

/** Scratch for one descriptor: walking a chain allocates nothing per descriptor read. */
const descBytes = new Uint8Array(VirtqDesc.SIZE);
const descView = new DataView(descBytes.buffer);

/** Whether [addr, addr + len) is entirely RAM (writable RAM when `write`). Touches no guest memory. */
export function isGuestRam(memory: AddressSpace, addr: number, len: number, write: boolean): boolean {
  const end = addr + len;
  if (!Number.isSafeInteger(addr) || addr < 0 || len < 0 || end > ADDRESS_LIMIT) return false;
  let at = addr;
  while (at < end) {
    const ram = memory.findRam(at);
    if (ram === null || (write && ram.readonly)) return false;
    at = ram.start + ram.length;
  }
  return true;
}

interface Walk {
  table: number;
  tableSize: number;
  inIndirect: boolean;
  visited: number;
}

/** Walks and validates the chain starting at `head`; returns the chain or why it is malformed. */
export function walkChain(source: ChainSource, head: number): Chain | string {
  const readable: Segment[] = [];
  const writable: Segment[] = [];
  let readableBytes = 0;
  let writableBytes = 0;
  const walk: Walk = { table: source.descAddr, tableSize: source.size, inIndirect: false, visited: 0 };
  let index = head;
  for (;;) {
    if (index >= walk.tableSize) {
      return `descriptor index ${index} is outside the ${walk.inIndirect ? 'indirect ' : ''}table of ${walk.tableSize}`;
    }
    if (++walk.visited > walk.tableSize) return `chain from head ${head} loops (longer than its table)`;
    const at = walk.table + index * VirtqDesc.SIZE;
    if (source.memory.readBytes(at, descBytes) !== MemTx.Ok)
      return `descriptor ${index} at ${hexAddr(at)} is not in RAM`;
    const addr = descView.getUint32(0, true) + descView.getUint32(4, true) * 2 ** 32;
    const len = descView.getUint32(8, true);
    const flags = descView.getUint16(12, true);
    const next = descView.getUint16(14, true);
    if ((flags & VirtqDesc.F_INDIRECT) !== 0) {
      const problem = enterIndirect(source, walk, addr, len, flags);
      if (problem !== null) return problem;
      index = 0;
      continue;
    }
    if (len === 0) return `descriptor ${index} has length 0`;
    const write = (flags & VirtqDesc.F_WRITE) !== 0;
    if (!write && writable.length > 0) return `device-readable descriptor ${index} follows a device-writable one`;
    if (!isGuestRam(source.memory, addr, len, write)) {
      return `descriptor ${index}: buffer ${hexAddr(addr)}+${len} is not in ${write ? 'writable ' : ''}guest RAM`;
    }
    if (write) {
      writable.push({ addr, len });
      writableBytes += len;
    } else {
      readable.push({ addr, len });
      readableBytes += len;
    }
    if (readableBytes + writableBytes > TOTAL_LIMIT) return `chain from head ${head} is longer than 4 GiB`;
    if ((flags & VirtqDesc.F_NEXT) === 0) break;
    index = next;
  }
  return { head, readable, writable, readableBytes, writableBytes };
}

/** Switches the walk to an indirect table (2.7.5.3), or says why the descriptor is not acceptable. */
function enterIndirect(source: ChainSource, walk: Walk, addr: number, len: number, flags: number): string | null {
  if (!source.indirect) return 'indirect descriptor but VIRTIO_F_RING_INDIRECT_DESC was not negotiated';
  if (walk.inIndirect) return 'indirect descriptor inside an indirect table';
  if ((flags & VirtqDesc.F_NEXT) !== 0) return 'indirect descriptor with NEXT set';
  if (len === 0 || len % VirtqDesc.SIZE !== 0)
    return `indirect table length ${len} is not a whole number of descriptors`;
  const entries = len / VirtqDesc.SIZE;
  if (entries > source.size)
    return `indirect table of ${entries} descriptors is larger than the queue (${source.size})`;
  if (!isGuestRam(source.memory, addr, len, false)) return `indirect table ${hexAddr(addr)}+${len} is not in guest RAM`;
  walk.table = addr;
  walk.tableSize = entries;
  walk.inIndirect = true;
  walk.visited = 0;
  return null;
}

function hexAddr(addr: number): string {
  return '0x' + addr.toString(16);
}

/**
 * Copies up to `dest.length` readable bytes starting `offset` bytes into the chain. Returns the count
 * copied, or -1 when guest memory refused (the map changed under a validated chain).
 */
export function readFromChain(memory: AddressSpace, chain: Chain, offset: number, dest: Uint8Array): number {
  return transfer(chain.readable, offset, dest.length, (addr, start, count) =>
    memory.readBytes(addr, dest.subarray(start, start + count)),
  );
}

/** Copies `src` into the writable buffers starting `offset` bytes in; returns the count or -1. */
export function writeToChain(memory: AddressSpace, chain: Chain, offset: number, src: Uint8Array): number {
  return transfer(chain.writable, offset, src.length, (addr, start, count) =>
    memory.writeBytes(addr, src.subarray(start, start + count)),
  );
}

function transfer(
  segments: readonly Segment[],
  offset: number,
  length: number,
  move: (addr: number, start: number, count: number) => number,
): number {
  let skip = offset;
  let done = 0;
  for (const segment of segments) {
    if (done === length) break;
    if (skip >= segment.len) {
      skip -= segment.len;
      continue;
    }
    const count = Math.min(segment.len - skip, length - done);
    if (move(segment.addr + skip, done, count) !== MemTx.Ok) return -1;
    done += count;
    skip = 0;
  }
  return done;
}

/** All readable bytes of a chain, or null when guest memory refused. */
export function gatherReadable(memory: AddressSpace, chain: Chain): Uint8Array | null {
  const bytes = new Uint8Array(chain.readableBytes);
  return readFromChain(memory, chain, 0, bytes) === bytes.length ? bytes : null;
}
