/**
 * A split virtqueue, device side (virtio 1.2, 2.7): the available ring is consumed in order, chains are
 * validated by chain.ts, used elements are published with the used index, and used-buffer notifications
 * follow VIRTQ_AVAIL_F_NO_INTERRUPT or, with VIRTIO_F_EVENT_IDX, the driver's used_event (2.7.10).
 *
 * Ring layout (2.7.6, 2.7.8), all little-endian:
 *   available: le16 flags, le16 idx, le16 ring[size], le16 used_event
 *   used:      le16 flags, le16 idx, { le32 id, le32 len } ring[size], le16 avail_event
 *
 * A queue never throws on guest data: it reports a malformed ring or chain to its owner (`fail`), which
 * marks the device as needing a reset, and then returns nothing more until the device is reset.
 */
import { MemTx } from '../../core/memory';
import type { AddressSpace } from '../../core/memory';
import { i64num, bool, u16, u32, vmstate } from '../../core/vmstate';
import type { Loaded } from '../../core/vmstate';
import { walkChain } from './chain';
import type { Chain, ChainSource } from './chain';
import { VIRTQ_AVAIL_F_NO_INTERRUPT } from './spec';

/**
 * QueueNumMax of every queue that exists: QEMU answers its VIRTQUEUE_MAX_SIZE whatever the device's own
 * default, and Linux sizes its rings from it.
 */
export const QUEUE_NUM_MAX = 1024;

/** What a queue needs from the device that owns it. */
export interface QueueOwner {
  /** Guest memory for DMA; null until the board connects it (the queue then does nothing). */
  readonly memory: AddressSpace | null;
  /** Negotiated VIRTIO_F_RING_INDIRECT_DESC. */
  readonly indirectNegotiated: boolean;
  /** Negotiated VIRTIO_F_RING_EVENT_IDX. */
  readonly eventIdxNegotiated: boolean;
  /** Negotiated VIRTIO_F_NOTIFY_ON_EMPTY (legacy). */
  readonly notifyOnEmptyNegotiated: boolean;
  /** Nothing more is processed (the device needs a reset). */
  readonly broken: boolean;
  /** Reports a malformed ring or chain: the device logs it and sets DEVICE_NEEDS_RESET. */
  fail(message: string): void;
}

const scratch = new Uint8Array(8);
const scratch16 = scratch.subarray(0, 2);
const scratchView = new DataView(scratch.buffer);

export class VirtQueue implements ChainSource {
  // Driver-programmed configuration (migrated).
  /** Queue size chosen by the driver (QueueNum); power of 2, 1..maxSize. */
  size: number;
  ready = false;
  descAddr = 0;
  availAddr = 0;
  usedAddr = 0;
  /** Legacy transport only: the page frame number the driver wrote (QueuePFN). */
  legacyPfn = 0;
  /** Legacy transport only: used-ring alignment (QueueAlign). */
  legacyAlign = 4096;

  // Device progress (migrated).
  /** Free-running index of the next available-ring entry to consume. */
  lastAvailIdx = 0;
  /** Free-running used index as last published. */
  usedIdx = 0;
  /** Used index at the last notification decision (event idx). */
  signalledUsed = 0;
  signalledUsedValid = false;

  /** QueueNumMax: 0 for a queue the device does not have. */
  readonly maxSize: number;

  constructor(
    private readonly owner: QueueOwner,
    readonly index: number,
    /** The size after reset (the device's own choice, e.g. 8 for virtio-rng); 0: no such queue. */
    readonly defaultSize: number,
  ) {
    this.maxSize = defaultSize > 0 ? Math.max(QUEUE_NUM_MAX, defaultSize) : 0;
    this.size = defaultSize;
  }

  get memory(): AddressSpace {
    return this.owner.memory!;
  }

  get indirect(): boolean {
    return this.owner.indirectNegotiated;
  }

  /** Back to the state after a device reset (2.4). */
  reset(): void {
    this.size = this.defaultSize;
    this.ready = false;
    this.descAddr = this.availAddr = this.usedAddr = 0;
    this.legacyPfn = 0;
    this.legacyAlign = 4096;
    this.lastAvailIdx = this.usedIdx = this.signalledUsed = 0;
    this.signalledUsedValid = false;
  }

  /** Buffers taken from the available ring and not yet returned in the used ring. */
  get inFlight(): number {
    return (this.lastAvailIdx - this.usedIdx) & 0xffff;
  }

  private get usable(): boolean {
    return this.ready && this.size > 0 && this.owner.memory !== null && !this.owner.broken;
  }

  /** Takes the next available chain, or null when there is none (or the queue failed). */
  pop(): Chain | null {
    return this.next(true);
  }

  /** The next available chain without consuming it (for devices that size their input from it). */
  peek(): Chain | null {
    return this.next(false);
  }

  private next(consume: boolean): Chain | null {
    if (!this.usable) return null;
    const availIdx = this.read16(this.availAddr + 2, 'available ring index');
    if (availIdx < 0) return null;
    const pending = (availIdx - this.lastAvailIdx) & 0xffff;
    if (pending > this.size) {
      this.fail(`available index moved from ${this.lastAvailIdx} to ${availIdx} (queue size ${this.size})`);
      return null;
    }
    if (pending === 0) {
      if (consume) this.publishAvailEvent();
      return null;
    }
    const slot = this.lastAvailIdx & (this.size - 1);
    const head = this.read16(this.availAddr + 4 + 2 * slot, 'available ring entry');
    if (head < 0) return null;
    const chain = this.chainAt(head);
    if (chain === null || !consume) return chain;
    this.lastAvailIdx = (this.lastAvailIdx + 1) & 0xffff;
    this.publishAvailEvent();
    return chain;
  }

  /** Walks the chain at `head` (also used to pick up in-flight requests again after a restore). */
  chainAt(head: number): Chain | null {
    if (!this.usable) return null;
    if (head >= this.size) {
      this.fail(`head index ${head} is outside the queue (size ${this.size})`);
      return null;
    }
    const chain = walkChain(this, head);
    if (typeof chain === 'string') {
      this.fail(chain);
      return null;
    }
    return chain;
  }

  /** Returns a chain to the driver with `written` bytes written into its device-writable buffers. */
  push(head: number, written: number): void {
    if (!this.usable) return;
    const slot = this.usedIdx & (this.size - 1);
    scratchView.setUint32(0, head, true);
    scratchView.setUint32(4, written, true);
    if (this.memory.writeBytes(this.usedAddr + 4 + 8 * slot, scratch) !== MemTx.Ok) {
      this.fail('used ring is not in writable guest RAM');
      return;
    }
    const next = (this.usedIdx + 1) & 0xffff;
    if (!this.write16(this.usedAddr + 2, next, 'used ring index')) return;
    this.usedIdx = next;
  }

  /** Whether the driver wants a used-buffer notification for what was pushed since the last one. */
  notificationNeeded(): boolean {
    if (!this.usable) return false;
    if (this.owner.notifyOnEmptyNegotiated && this.inFlight === 0 && this.availEmpty()) return true;
    if (!this.owner.eventIdxNegotiated) {
      const flags = this.read16(this.availAddr, 'available ring flags');
      return flags >= 0 && (flags & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
    }
    const usedEvent = this.read16(this.availAddr + 4 + 2 * this.size, 'used_event');
    if (usedEvent < 0) return false;
    const old = this.signalledUsed;
    const valid = this.signalledUsedValid;
    this.signalledUsed = this.usedIdx;
    this.signalledUsedValid = true;
    return !valid || needEvent(usedEvent, this.usedIdx, old);
  }

  private availEmpty(): boolean {
    return this.read16(this.availAddr + 2, 'available ring index') === this.lastAvailIdx;
  }

  /** With event idx, tells the driver which available index should trigger the next notification. */
  private publishAvailEvent(): void {
    if (this.owner.eventIdxNegotiated)
      this.write16(this.usedAddr + 4 + 8 * this.size, this.lastAvailIdx, 'avail_event');
  }

  private read16(addr: number, what: string): number {
    if (this.memory.readBytes(addr, scratch16) !== MemTx.Ok) {
      this.fail(`${what} at 0x${addr.toString(16)} is not in guest RAM`);
      return -1;
    }
    return scratchView.getUint16(0, true);
  }

  private write16(addr: number, value: number, what: string): boolean {
    scratchView.setUint16(0, value, true);
    if (this.memory.writeBytes(addr, scratch16) !== MemTx.Ok) {
      this.fail(`${what} at 0x${addr.toString(16)} is not in writable guest RAM`);
      return false;
    }
    return true;
  }

  private fail(message: string): void {
    this.owner.fail(`queue ${this.index}: ${message}`);
  }

  /** Problems with restored values (sizes and indices), or null. */
  static checkLoaded(loaded: Loaded<VirtQueue>, maxSize: number): string | null {
    const size = loaded.size ?? 0;
    if (size > maxSize || (size !== 0 && (size & (size - 1)) !== 0))
      return `size ${size} is not a power of 2 up to ${maxSize}`;
    const inFlight = ((loaded.lastAvailIdx ?? 0) - (loaded.usedIdx ?? 0)) & 0xffff;
    if (inFlight > size) return `${inFlight} buffers in flight exceed the queue size ${size}`;
    for (const key of ['descAddr', 'availAddr', 'usedAddr'] as const) {
      const value = loaded[key] ?? 0;
      if (value < 0) return `${key} ${value} is negative`;
    }
    return null;
  }
}

/** vring_need_event (2.7.10): whether new_idx passed event_idx since old. */
export function needEvent(eventIdx: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - eventIdx - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}

/** Per-queue state in a device's snapshot section. */
export const VIRTQUEUE_VMSTATE = vmstate<VirtQueue>('virtqueue', {
  version: 1,
  fields: [
    u32('size'),
    bool('ready'),
    i64num('descAddr'),
    i64num('availAddr'),
    i64num('usedAddr'),
    u32('legacyPfn'),
    u32('legacyAlign'),
    u16('lastAvailIdx'),
    u16('usedIdx'),
    u16('signalledUsed'),
    bool('signalledUsedValid'),
  ],
});
