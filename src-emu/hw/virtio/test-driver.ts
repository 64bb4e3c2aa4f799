/**
 * Test support: a small board (RAM at 0x4000_0000, one virtio-mmio slot at 0x0a00_0000 with its interrupt
 * recorded, a trap region right after RAM that records any access) and a guest driver that programs the
 * transport and builds split rings in guest RAM the way Linux's virtio_mmio and virtio_ring drivers do.
 */
import { logger } from '../../core/log';
import type { LogRecord } from '../../core/log';
import { AddressSpace, MemoryRegion } from '../../core/memory';
import { DeviceContainer, reset } from '../../core/object';
import type { DeviceInit } from '../../core/object';
import { VirtualClock } from '../../core/timer';
import type { VirtioDevice } from './device';
import { VirtioMmio } from './mmio';
import { VIRTIO_MMIO_REGS as R } from './mmio-registers';
import type { VirtioMmioRegister } from './mmio-registers';
import { featureMask, VirtioFeature, VirtioStatus } from './spec';

export const RAM_BASE = 0x4000_0000;
export const MMIO_BASE = 0x0a00_0000;

export interface Rig<D extends VirtioDevice | null> {
  readonly clock: VirtualClock;
  readonly ram: MemoryRegion;
  readonly bus: AddressSpace;
  readonly transport: VirtioMmio;
  readonly device: D;
  /** Interrupt levels in order of change. */
  readonly irqLevels: boolean[];
  /** Accesses that reached the trap region after RAM. */
  readonly trapped: string[];
  readonly errors: LogRecord[];
}

export interface RigOptions {
  readonly ramSize?: number;
  readonly legacy?: boolean;
  readonly clock?: VirtualClock;
}

/** Builds the board; `create` makes the device with the path and context it is given. */
export function makeRig<D extends VirtioDevice>(
  create: ((init: DeviceInit) => D) | null,
  options: RigOptions = {},
): Rig<D | null> & { device: D } {
  const clock = options.clock ?? new VirtualClock({ mode: 'deterministic' });
  const context = { clock };
  const ramSize = options.ramSize ?? 8 * 1024 * 1024;
  const system = MemoryRegion.container('system', 2 ** 40);
  const ram = MemoryRegion.ram('ram', ramSize);
  system.addSubregion(RAM_BASE, ram);
  const trapped: string[] = [];
  system.addSubregion(
    RAM_BASE + ramSize,
    MemoryRegion.mmio('trap', 0x10000, {
      read: (offset) => {
        trapped.push(`read ${offset}`);
        return 0;
      },
      write: (offset, _size, value) => {
        trapped.push(`write ${offset}=${value}`);
      },
    }),
  );
  const bus = new AddressSpace('memory', system);
  const root = new DeviceContainer({ path: '/machine', context });
  const transport = new VirtioMmio({
    path: '/machine/virtio-mmio[0]',
    context,
    props: { forceLegacy: options.legacy ?? false },
  });
  root.addChild(transport);
  transport.connectDma(bus);
  system.addSubregion(MMIO_BASE, transport.mmio);
  const irqLevels: boolean[] = [];
  transport.irq.connect((level) => irqLevels.push(level));
  const device = create === null ? null : create({ path: transport.childPath('dev'), context });
  if (device !== null) transport.plug(device);
  transport.realize();
  reset(root);
  const errors: LogRecord[] = [];
  logger.setMasks('guest_errors');
  logger.setSink((record) => errors.push(record));
  return { clock, ram, bus, transport, device: device as D, irqLevels, trapped, errors };
}

export function reg(rig: { bus: AddressSpace }, name: VirtioMmioRegister): number {
  return rig.bus.read(MMIO_BASE + R[name].offset, 4);
}

export function setReg(rig: { bus: AddressSpace }, name: VirtioMmioRegister, value: number): void {
  rig.bus.write(MMIO_BASE + R[name].offset, 4, value);
}

/** A bump allocator over guest RAM (the test's "kmalloc"). */
export class GuestHeap {
  private next: number;

  constructor(
    readonly bus: AddressSpace,
    start = RAM_BASE + 0x10000,
  ) {
    this.next = start;
  }

  alloc(bytes: number, align = 16): number {
    this.next = Math.ceil(this.next / align) * align;
    const at = this.next;
    this.next += bytes;
    this.bus.writeBytes(at, new Uint8Array(bytes));
    return at;
  }

  put(bytes: Uint8Array, align = 16): number {
    const at = this.alloc(bytes.length, align);
    this.bus.writeBytes(at, bytes);
    return at;
  }

  get(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.bus.readBytes(addr, out);
    return out;
  }
}

export interface Buffer {
  readonly addr: number;
  readonly len: number;
  /** Device-writable. */
  readonly write: boolean;
}

export interface UsedElement {
  readonly id: number;
  readonly len: number;
}

/** The driver side of one split queue, laid out as Linux's vring_create_virtqueue does. */
export class GuestQueue {
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
  private availIdx = 0;
  private lastUsed = 0;
  private readonly free: number[];

  constructor(
    private readonly rig: { bus: AddressSpace },
    private readonly heap: GuestHeap,
    readonly index: number,
    readonly size: number,
    layout: { desc: number; avail: number; used: number },
  ) {
    this.desc = layout.desc;
    this.avail = layout.avail;
    this.used = layout.used;
    this.free = Array.from({ length: size }, (_, i) => i);
  }

  private w16(addr: number, value: number): void {
    this.rig.bus.write(addr, 2, value);
  }

  writeDesc(table: number, index: number, addr: number, len: number, flags: number, next: number): void {
    const at = table + 16 * index;
    this.rig.bus.write(at, 4, addr >>> 0);
    this.rig.bus.write(at + 4, 4, Math.floor(addr / 2 ** 32));
    this.rig.bus.write(at + 8, 4, len >>> 0);
    this.w16(at + 12, flags);
    this.w16(at + 14, next);
  }

  /** Adds a chain of buffers (readable first); `indirect` puts them in one indirect table. Returns the head. */
  add(buffers: readonly Buffer[], indirect = false): number {
    if (indirect) {
      const table = this.heap.alloc(16 * buffers.length);
      buffers.forEach((b, i) => this.writeDesc(table, i, b.addr, b.len, flagsOf(b, i < buffers.length - 1), i + 1));
      const head = this.take();
      this.writeDesc(this.desc, head, table, 16 * buffers.length, 4, 0);
      this.publish(head);
      return head;
    }
    const ids = buffers.map(() => this.take());
    buffers.forEach((b, i) =>
      this.writeDesc(this.desc, ids[i], b.addr, b.len, flagsOf(b, i < buffers.length - 1), ids[i + 1] ?? 0),
    );
    this.publish(ids[0]);
    return ids[0];
  }

  /** Takes a free descriptor slot (for tests that write descriptors by hand). */
  take(): number {
    const id = this.free.shift();
    if (id === undefined) throw new Error('guest queue full');
    return id;
  }

  /** Makes `head` available: ring entry, then the index (the device sees both at once here). */
  publish(head: number): void {
    this.w16(this.avail + 4 + 2 * (this.availIdx % this.size), head);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.w16(this.avail + 2, this.availIdx);
  }

  /** Sets the raw available index (malformed-ring tests). */
  setAvailIdx(value: number): void {
    this.availIdx = value & 0xffff;
    this.w16(this.avail + 2, this.availIdx);
  }

  kick(): void {
    setReg(this.rig, 'QUEUE_NOTIFY', this.index);
  }

  /** Event idx: the driver's used_event (interrupt me once the used index passes it). */
  setUsedEvent(value: number): void {
    this.w16(this.avail + 4 + 2 * this.size, value);
  }

  setAvailFlags(flags: number): void {
    this.w16(this.avail, flags);
  }

  /** The device's avail_event (event idx). */
  get availEvent(): number {
    return this.rig.bus.read(this.used + 4 + 8 * this.size, 2);
  }

  get usedIdx(): number {
    return this.rig.bus.read(this.used + 2, 2);
  }

  /** New used elements since the last call, as virtqueue_get_buf returns them. */
  collect(): UsedElement[] {
    const out: UsedElement[] = [];
    const idx = this.usedIdx;
    while (this.lastUsed !== idx) {
      const at = this.used + 4 + 8 * (this.lastUsed % this.size);
      out.push({ id: this.rig.bus.read(at, 4), len: this.rig.bus.read(at + 4, 4) });
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    return out;
  }

  /** Returns descriptors of a used chain to the free list (direct chains of `count` or one indirect). */
  release(head: number, count = 1): void {
    let id = head;
    for (let i = 0; i < count; i++) {
      this.free.push(id);
      id = this.rig.bus.read(this.desc + 16 * id + 14, 2);
    }
  }
}

function flagsOf(buffer: Buffer, next: boolean): number {
  return (next ? 1 : 0) | (buffer.write ? 2 : 0);
}

export const readable = (addr: number, len: number): Buffer => ({ addr, len, write: false });
export const writable = (addr: number, len: number): Buffer => ({ addr, len, write: true });

/** Linux's probe sequence (virtio_mmio vm_probe, virtio_dev_probe) up to FEATURES_OK; returns the features. */
export function negotiate(rig: Rig<VirtioDevice | null>, wanted: readonly number[]): [number, number] {
  if (reg(rig, 'MAGIC_VALUE') !== 0x74726976) throw new Error('no virtio-mmio magic');
  const legacy = reg(rig, 'VERSION') === 1;
  setReg(rig, 'STATUS', 0);
  setReg(rig, 'STATUS', VirtioStatus.ACKNOWLEDGE);
  setReg(rig, 'STATUS', VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER);
  const offered: [number, number] = [0, 0];
  for (const word of [1, 0]) {
    setReg(rig, 'DEVICE_FEATURES_SEL', word);
    offered[word] = reg(rig, 'DEVICE_FEATURES');
  }
  const want: [number, number] = [0, 0];
  for (const bit of wanted) want[bit >= 32 ? 1 : 0] |= featureMask(bit);
  if (!legacy) want[1] |= featureMask(VirtioFeature.VERSION_1);
  const accepted: [number, number] = [(offered[0] & want[0]) >>> 0, (offered[1] & want[1]) >>> 0];
  for (const word of [1, 0]) {
    setReg(rig, 'DRIVER_FEATURES_SEL', word);
    setReg(rig, 'DRIVER_FEATURES', accepted[word]);
  }
  if (!legacy) {
    setReg(rig, 'STATUS', VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER | VirtioStatus.FEATURES_OK);
    if ((reg(rig, 'STATUS') & VirtioStatus.FEATURES_OK) === 0) throw new Error('device refused FEATURES_OK');
  } else {
    setReg(rig, 'GUEST_PAGE_SIZE', 4096);
  }
  return accepted;
}

/** vm_setup_vq: select, check, size and place the rings, then mark ready (or write QueuePFN, legacy). */
export function setupQueue(rig: Rig<VirtioDevice | null>, heap: GuestHeap, index: number, size?: number): GuestQueue {
  const legacy = reg(rig, 'VERSION') === 1;
  setReg(rig, 'QUEUE_SEL', index);
  if (!legacy && reg(rig, 'QUEUE_READY') !== 0) throw new Error(`queue ${index} already set up`);
  const max = reg(rig, 'QUEUE_NUM_MAX');
  if (max === 0) throw new Error(`queue ${index} does not exist`);
  const num = Math.min(size ?? max, max);
  setReg(rig, 'QUEUE_NUM', num);
  if (legacy) {
    // vring_size with a 4096-byte alignment: table, available ring, then the used ring on the next page.
    const availBytes = 6 + 2 * num;
    const usedOffset = Math.ceil((16 * num + availBytes) / 4096) * 4096;
    const base = heap.alloc(usedOffset + 6 + 8 * num, 4096);
    setReg(rig, 'QUEUE_ALIGN', 4096);
    setReg(rig, 'QUEUE_PFN', base / 4096);
    return new GuestQueue(rig, heap, index, num, { desc: base, avail: base + 16 * num, used: base + usedOffset });
  }
  const desc = heap.alloc(16 * num, 16);
  const avail = heap.alloc(6 + 2 * num, 2);
  const used = heap.alloc(6 + 8 * num, 4);
  const pairs = [
    ['QUEUE_DESC_LOW', 'QUEUE_DESC_HIGH', desc],
    ['QUEUE_DRIVER_LOW', 'QUEUE_DRIVER_HIGH', avail],
    ['QUEUE_DEVICE_LOW', 'QUEUE_DEVICE_HIGH', used],
  ] as const;
  for (const [low, high, addr] of pairs) {
    setReg(rig, low, addr >>> 0);
    setReg(rig, high, Math.floor(addr / 2 ** 32));
  }
  setReg(rig, 'QUEUE_READY', 1);
  return new GuestQueue(rig, heap, index, num, { desc, avail, used });
}

/** Sets DRIVER_OK on top of what negotiation left. */
export function driverOk(rig: Rig<VirtioDevice | null>): void {
  setReg(rig, 'STATUS', reg(rig, 'STATUS') | VirtioStatus.DRIVER_OK);
}

/** vm_interrupt: read InterruptStatus, acknowledge it; returns the bits. */
export function serviceInterrupt(rig: Rig<VirtioDevice | null>): number {
  const status = reg(rig, 'INTERRUPT_STATUS');
  setReg(rig, 'INTERRUPT_ACK', status);
  return status;
}

/** Runs pending promise callbacks (backend completions). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
