/** The virtio-mmio transport (virtio 1.2, 4.2) driven as Linux's virtio_mmio driver drives it. */
import { afterEach, describe, expect, it } from 'vitest';
import { logger } from '../../core/log';
import { reset } from '../../core/object';
import { VIRTIO_MMIO_REGS } from './mmio-registers';
import { VirtioRng } from './rng';
import { VirtioStatus } from './spec';
import {
  driverOk,
  GuestHeap,
  makeRig,
  MMIO_BASE,
  negotiate,
  reg,
  serviceInterrupt,
  setReg,
  setupQueue,
  writable,
} from './test-driver';

afterEach(() => logger.setSink(null));

const ACK_DRIVER = VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER;
const rngRig = (legacy = false) => makeRig((init) => new VirtioRng(init), { legacy });

describe('virtio-mmio identification', () => {
  it('an empty slot reads magic, version and vendor, DeviceID 0, and ignores writes (as QEMU)', () => {
    const rig = makeRig(null);
    expect(reg(rig, 'MAGIC_VALUE')).toBe(0x74726976); // 'virt' little-endian
    expect(reg(rig, 'VERSION')).toBe(2);
    expect(reg(rig, 'VENDOR_ID')).toBe(0x554d4551); // 'QEMU'
    expect(reg(rig, 'DEVICE_ID')).toBe(0);
    setReg(rig, 'STATUS', VirtioStatus.ACKNOWLEDGE);
    expect(reg(rig, 'STATUS')).toBe(0);
    expect(reg(rig, 'QUEUE_NUM_MAX')).toBe(0);
    expect(rig.irqLevels).toEqual([]);
  });

  it('forceLegacy shows version 1', () => {
    expect(reg(rngRig(true), 'VERSION')).toBe(1);
  });

  it('offers the ring features in word 0 and VERSION_1 (bit 32) in word 1 only on version 2', () => {
    const rig = rngRig();
    setReg(rig, 'DEVICE_FEATURES_SEL', 0);
    expect(reg(rig, 'DEVICE_FEATURES')).toBe((1 << 28) | (1 << 29));
    setReg(rig, 'DEVICE_FEATURES_SEL', 1);
    expect(reg(rig, 'DEVICE_FEATURES')).toBe(1);
    setReg(rig, 'DEVICE_FEATURES_SEL', 2);
    expect(reg(rig, 'DEVICE_FEATURES')).toBe(0);
    const legacy = rngRig(true);
    setReg(legacy, 'DEVICE_FEATURES_SEL', 1);
    expect(reg(legacy, 'DEVICE_FEATURES')).toBe(0);
  });

  it('has no shared memory regions (length and base read as -1)', () => {
    const rig = rngRig();
    for (const name of ['SHM_LEN_LOW', 'SHM_LEN_HIGH', 'SHM_BASE_LOW', 'SHM_BASE_HIGH'] as const) {
      expect(reg(rig, name)).toBe(0xffffffff);
    }
  });
});

describe('feature negotiation and status', () => {
  it('refuses FEATURES_OK without VERSION_1 on version 2', () => {
    const rig = rngRig();
    setReg(rig, 'STATUS', ACK_DRIVER);
    setReg(rig, 'STATUS', ACK_DRIVER | VirtioStatus.FEATURES_OK);
    expect(reg(rig, 'STATUS')).toBe(ACK_DRIVER);
    expect(rig.errors.some((e) => /VERSION_1 not accepted/.test(e.message))).toBe(true);
  });

  it('refuses FEATURES_OK for features that were not offered', () => {
    const rig = rngRig();
    setReg(rig, 'STATUS', ACK_DRIVER);
    setReg(rig, 'DRIVER_FEATURES_SEL', 1);
    setReg(rig, 'DRIVER_FEATURES', 1);
    setReg(rig, 'DRIVER_FEATURES_SEL', 0);
    setReg(rig, 'DRIVER_FEATURES', 1 << 5);
    setReg(rig, 'STATUS', ACK_DRIVER | VirtioStatus.FEATURES_OK);
    expect(reg(rig, 'STATUS') & VirtioStatus.FEATURES_OK).toBe(0);
  });

  it('ignores feature writes after FEATURES_OK, status writes that clear bits, and DRIVER_OK before FEATURES_OK', () => {
    const rig = rngRig();
    setReg(rig, 'STATUS', ACK_DRIVER);
    setReg(rig, 'STATUS', ACK_DRIVER | VirtioStatus.DRIVER_OK);
    expect(reg(rig, 'STATUS')).toBe(ACK_DRIVER);
    negotiate(rig, []);
    expect(rig.device.virtio.driverFeatures[1]).toBe(1);
    setReg(rig, 'DRIVER_FEATURES_SEL', 1);
    setReg(rig, 'DRIVER_FEATURES', 0);
    expect(rig.device.virtio.driverFeatures[1]).toBe(1);
    setReg(rig, 'STATUS', VirtioStatus.ACKNOWLEDGE);
    expect(reg(rig, 'STATUS')).toBe(ACK_DRIVER | VirtioStatus.FEATURES_OK);
    expect(rig.errors.map((e) => e.message).join('\n')).toMatch(/after negotiation ended[\s\S]*clears bits/);
  });

  it('writing status 0 resets the device: features, queues and interrupt', () => {
    const rig = rngRig();
    const heap = new GuestHeap(rig.bus);
    negotiate(rig, []);
    const q = setupQueue(rig, heap, 0);
    driverOk(rig);
    q.add([writable(heap.alloc(4), 4)]);
    q.kick();
    expect(rig.irqLevels).toEqual([true]);
    setReg(rig, 'STATUS', 0);
    expect(rig.irqLevels).toEqual([true, false]);
    expect(reg(rig, 'STATUS')).toBe(0);
    expect(reg(rig, 'INTERRUPT_STATUS')).toBe(0);
    setReg(rig, 'QUEUE_SEL', 0);
    expect(reg(rig, 'QUEUE_READY')).toBe(0);
    expect(rig.device.virtio.driverFeatures[1]).toBe(0);
  });

  it('a system reset does the same and lowers the line', () => {
    const rig = rngRig();
    const heap = new GuestHeap(rig.bus);
    negotiate(rig, []);
    const q = setupQueue(rig, heap, 0);
    driverOk(rig);
    q.add([writable(heap.alloc(4), 4)]);
    q.kick();
    setReg(rig, 'QUEUE_SEL', 0);
    reset(rig.transport);
    expect(rig.irqLevels.at(-1)).toBe(false);
    expect(reg(rig, 'STATUS')).toBe(0);
    expect(rig.transport.queueSel).toBe(0);
  });
});

describe('queues and interrupts', () => {
  it('QueueNumMax is 0 beyond the device queues, and their registers are refused', () => {
    const rig = rngRig();
    setReg(rig, 'QUEUE_SEL', 1);
    expect(reg(rig, 'QUEUE_NUM_MAX')).toBe(0);
    setReg(rig, 'QUEUE_NUM', 8);
    expect(rig.errors.some((e) => /queue 1, which does not exist/.test(e.message))).toBe(true);
  });

  it('QueueNum must be a power of 2 no larger than QueueNumMax', () => {
    const rig = rngRig();
    setReg(rig, 'QUEUE_SEL', 0);
    for (const bad of [0, 3, 2048]) setReg(rig, 'QUEUE_NUM', bad);
    expect(rig.device.queue(0)!.size).toBe(8);
    setReg(rig, 'QUEUE_NUM', 1024);
    expect(rig.device.queue(0)!.size).toBe(1024);
    expect(rig.errors.filter((e) => /not a power of 2 up to 1024/.test(e.message))).toHaveLength(3);
  });

  it('ring addresses cannot change while the queue is ready', () => {
    const rig = rngRig();
    const heap = new GuestHeap(rig.bus);
    negotiate(rig, []);
    const q = setupQueue(rig, heap, 0);
    setReg(rig, 'QUEUE_DESC_LOW', 0x1000);
    expect(rig.device.queue(0)!.descAddr).toBe(q.desc);
    setReg(rig, 'QUEUE_READY', 0);
    setReg(rig, 'QUEUE_DESC_LOW', 0x1000);
    expect(rig.device.queue(0)!.descAddr).toBe(0x1000);
  });

  it('InterruptACK clears the bits it names and the line follows', () => {
    const rig = rngRig();
    const heap = new GuestHeap(rig.bus);
    negotiate(rig, []);
    const q = setupQueue(rig, heap, 0);
    driverOk(rig);
    q.add([writable(heap.alloc(4), 4)]);
    q.kick();
    expect(reg(rig, 'INTERRUPT_STATUS')).toBe(1);
    setReg(rig, 'INTERRUPT_ACK', 2);
    expect(rig.irqLevels).toEqual([true]);
    expect(serviceInterrupt(rig)).toBe(1);
    expect(rig.irqLevels).toEqual([true, false]);
  });

  it('the legacy layout places the rings from QueuePFN, GuestPageSize and QueueAlign', () => {
    const rig = rngRig(true);
    rig.device.setEntropySource((dest) => dest.fill(1));
    const heap = new GuestHeap(rig.bus);
    negotiate(rig, []);
    const q = setupQueue(rig, heap, 0);
    expect(reg(rig, 'QUEUE_PFN')).toBe(q.desc / 4096);
    expect(rig.device.queue(0)!.usedAddr).toBe(q.used);
    driverOk(rig);
    const head = q.add([writable(heap.alloc(4), 4)]);
    q.kick();
    expect(q.collect()).toEqual([{ id: head, len: 4 }]);
    setReg(rig, 'QUEUE_PFN', 0);
    expect(rig.device.queue(0)!.ready).toBe(false);
  });
});

describe('register access rules', () => {
  it('registers take 32-bit accesses only; other sizes are guest errors and read 0', () => {
    const rig = rngRig();
    expect(rig.bus.read(MMIO_BASE, 2)).toBe(0);
    expect(rig.bus.read(MMIO_BASE, 1)).toBe(0);
    expect(rig.errors.filter((e) => /registers take 32-bit accesses/.test(e.message))).toHaveLength(2);
  });

  it('each layout refuses the other layout’s registers', () => {
    const modern = rngRig();
    setReg(modern, 'QUEUE_PFN', 5);
    expect(reg(modern, 'QUEUE_PFN')).toBe(0);
    expect(modern.errors.some((e) => /QUEUE_PFN, which the version 2 layout does not have/.test(e.message))).toBe(true);
    const legacy = rngRig(true);
    expect(reg(legacy, 'CONFIG_GENERATION')).toBe(0);
    setReg(legacy, 'QUEUE_READY', 1);
    expect(legacy.errors.filter((e) => /legacy layout does not have/.test(e.message))).toHaveLength(2);
  });

  it('unknown offsets and write-only registers read 0 with a guest error', () => {
    const rig = rngRig();
    expect(rig.bus.read(MMIO_BASE + 0xc8, 4)).toBe(0);
    expect(reg(rig, 'QUEUE_NOTIFY')).toBe(0);
    expect(rig.errors.map((e) => e.message)).toEqual([
      'read at bad offset 0xc8',
      'read of write-only register QUEUE_NOTIFY',
    ]);
  });

  it('declares every register of the version 2 layout at its spec offset', () => {
    const offsets = VIRTIO_MMIO_REGS.list().map((r) => [r.name, r.offset]);
    expect(offsets).toContainEqual(['QUEUE_NOTIFY', 0x50]);
    expect(offsets).toContainEqual(['INTERRUPT_ACK', 0x64]);
    expect(offsets).toContainEqual(['QUEUE_DEVICE_HIGH', 0xa4]);
    expect(offsets).toContainEqual(['CONFIG_GENERATION', 0xfc]);
  });
});

describe('legacy features', () => {
  it('a legacy transport adds NOTIFY_ON_EMPTY and ANY_LAYOUT, as QEMU 7.2 (0x39000000 for virtio-rng)', () => {
    const rig = rngRig(true);
    setReg(rig, 'DEVICE_FEATURES_SEL', 0);
    expect(reg(rig, 'DEVICE_FEATURES')).toBe(0x39000000);
  });

  it('NOTIFY_ON_EMPTY interrupts when the ring runs dry even with interrupts suppressed', () => {
    const rig = rngRig(true);
    const heap = new GuestHeap(rig.bus);
    negotiate(rig, [24]);
    const q = setupQueue(rig, heap, 0, 8);
    driverOk(rig);
    q.setAvailFlags(1); // VIRTQ_AVAIL_F_NO_INTERRUPT
    q.add([writable(heap.alloc(4), 4)]);
    q.add([writable(heap.alloc(4), 4)]);
    q.kick();
    expect(q.usedIdx).toBe(2);
    expect(rig.irqLevels).toEqual([true]);
  });
});
