import { afterEach, describe, expect, it } from 'vitest';
import { logger } from '../../core/log';
import { VirtioRng } from './rng';
import {
  driverOk,
  GuestHeap,
  makeRig,
  negotiate,
  reg,
  RAM_BASE,
  serviceInterrupt,
  setupQueue,
  writable,
} from './test-driver';

afterEach(() => logger.setSink(null));

function rngRig() {
  const rig = makeRig((init) => new VirtioRng(init));
  const heap = new GuestHeap(rig.bus);
  negotiate(rig, []);
  const q = setupQueue(rig, heap, 0);
  driverOk(rig);
  return { rig, heap, q };
}

describe('virtio-rng', () => {
  it('identifies as device 4 with one queue and no device features (values read from QEMU 7.2)', () => {
    // QEMU 7.2, -device virtio-rng-device, force-legacy=false: 'xp' of the slot reads DeviceID 4,
    // DeviceFeatures 0x30000000, QueueNumMax 0x400 (VIRTQUEUE_MAX_SIZE); its queue's own size is 8.
    const rig = makeRig((init) => new VirtioRng(init));
    expect(reg(rig, 'DEVICE_ID')).toBe(4);
    expect(reg(rig, 'DEVICE_FEATURES')).toBe(0x30000000);
    expect(reg(rig, 'QUEUE_NUM_MAX')).toBe(1024);
    expect(rig.device.queue(0)!.size).toBe(8);
    expect(rig.bus.read(0x0a00_0100, 4)).toBe(0xffffffff); // no configuration space: QEMU reads all ones
    rig.bus.write(0x0a00_0030, 4, 1);
    expect(reg(rig, 'QUEUE_NUM_MAX')).toBe(0);
  });

  it('fills a buffer with host random bytes, returns its length and interrupts', () => {
    const { rig, heap, q } = rngRig();
    const buf = heap.alloc(64);
    const head = q.add([writable(buf, 64)]);
    q.kick();
    expect(q.collect()).toEqual([{ id: head, len: 64 }]);
    expect(rig.irqLevels).toEqual([true]);
    expect(serviceInterrupt(rig)).toBe(1);
    expect(rig.irqLevels).toEqual([true, false]);
    const bytes = heap.get(buf, 64);
    // 64 random bytes: the chance that fewer than 20 distinct values appear is negligible.
    expect(new Set(bytes).size).toBeGreaterThan(20);
  });

  it('spreads a request over a chain and uses an injected source', () => {
    const { rig, heap, q } = rngRig();
    rig.device.setEntropySource((dest) => dest.forEach((_, i) => (dest[i] = (i * 7) & 0xff)));
    const a = heap.alloc(3);
    const b = heap.alloc(5);
    const head = q.add([writable(a, 3), writable(b, 5)]);
    q.kick();
    expect(q.collect()).toEqual([{ id: head, len: 8 }]);
    expect([...heap.get(a, 3), ...heap.get(b, 5)]).toEqual([0, 7, 14, 21, 28, 35, 42, 49]);
  });

  it('leaves memory beyond the buffer untouched', () => {
    const { rig, heap, q } = rngRig();
    rig.device.setEntropySource((dest) => dest.fill(0xaa));
    const buf = heap.alloc(32);
    q.add([writable(buf, 16)]);
    q.kick();
    expect([...heap.get(buf, 32)]).toEqual([...new Array(16).fill(0xaa), ...new Array(16).fill(0)]);
    expect(RAM_BASE).toBeLessThan(buf);
  });
});
