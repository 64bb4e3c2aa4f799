/**
 * Split virtqueue rules (virtio 1.2, 2.7) checked through virtio-rng, the simplest device: every malformed
 * ring or chain makes the device ask for a reset (DEVICE_NEEDS_RESET and a configuration-change
 * interrupt), is logged naming the device and queue, and leaves memory outside guest RAM untouched.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { logger } from '../../core/log';
import { VirtioRng } from './rng';
import { VirtioFeature, VirtioStatus, VIRTQ_AVAIL_F_NO_INTERRUPT } from './spec';
import {
  driverOk,
  GuestHeap,
  makeRig,
  MMIO_BASE,
  negotiate,
  RAM_BASE,
  readable,
  reg,
  serviceInterrupt,
  setReg,
  setupQueue,
  writable,
} from './test-driver';
import type { GuestQueue } from './test-driver';
import { needEvent } from './virtqueue';

afterEach(() => logger.setSink(null));

const RAM_SIZE = 1024 * 1024;
const F_NEXT = 1;
const F_WRITE = 2;
const F_INDIRECT = 4;

function start(options: { legacy?: boolean; features?: number[] } = {}) {
  const rig = makeRig((init) => new VirtioRng(init), { ramSize: RAM_SIZE, legacy: options.legacy ?? false });
  rig.device.setEntropySource((dest) => dest.fill(0x5a));
  const heap = new GuestHeap(rig.bus);
  negotiate(rig, options.features ?? [VirtioFeature.RING_INDIRECT_DESC, VirtioFeature.RING_EVENT_IDX]);
  const q = setupQueue(rig, heap, 0, 8);
  driverOk(rig);
  return { rig, heap, q };
}

type Started = ReturnType<typeof start>;

function expectNeedsReset({ rig, q }: Started, reason: RegExp): void {
  expect(reg(rig, 'STATUS') & VirtioStatus.DEVICE_NEEDS_RESET).toBe(VirtioStatus.DEVICE_NEEDS_RESET);
  expect(reg(rig, 'INTERRUPT_STATUS')).toBe(2);
  expect(rig.irqLevels).toEqual([true]);
  expect(reg(rig, 'CONFIG_GENERATION')).toBe(1);
  expect(q.usedIdx).toBe(0);
  expect(rig.trapped).toEqual([]);
  const errors = rig.errors.filter((e) => e.source === '/machine/virtio-mmio[0]/dev');
  expect(errors.length).toBeGreaterThan(0);
  expect(errors[0].message).toMatch(/^virtio-rng-device: queue 0: /);
  expect(errors[0].message).toMatch(reason);
}

/** Writes one descriptor in the queue's table at `index` and publishes `head`. */
function rawChain(q: GuestQueue, descs: Array<[number, number, number, number]>, head = 0): void {
  descs.forEach(([addr, len, flags, next], i) => q.writeDesc(q.desc, i, addr, len, flags, next));
  q.publish(head);
  q.kick();
}

describe('malformed chains', () => {
  it('a buffer running past the end of RAM', () => {
    const s = start();
    rawChain(s.q, [[RAM_BASE + RAM_SIZE - 8, 16, F_WRITE, 0]]);
    expectNeedsReset(s, /not in writable guest RAM/);
    expect([...s.heap.get(RAM_BASE + RAM_SIZE - 8, 8)]).toEqual(new Array(8).fill(0));
  });

  it('a buffer in unassigned space, in MMIO, or beyond 2^53', () => {
    for (const addr of [0x1000, MMIO_BASE, 2 ** 60]) {
      const s = start();
      rawChain(s.q, [[addr, 16, F_WRITE, 0]]);
      expectNeedsReset(s, /is not in writable guest RAM/);
      expect(reg(s.rig, 'MAGIC_VALUE')).toBe(0x74726976);
    }
  });

  it('a chain that loops back on itself', () => {
    const s = start();
    const buf = s.heap.alloc(64);
    rawChain(s.q, [
      [buf, 8, F_WRITE | F_NEXT, 1],
      [buf + 8, 8, F_WRITE | F_NEXT, 0],
    ]);
    expectNeedsReset(s, /loops/);
  });

  it('a descriptor whose next index is outside the table', () => {
    const s = start();
    const buf = s.heap.alloc(64);
    rawChain(s.q, [[buf, 8, F_WRITE | F_NEXT, 8]]);
    expectNeedsReset(s, /descriptor index 8 is outside the table of 8/);
  });

  it('a device-readable descriptor after a device-writable one', () => {
    const s = start();
    const buf = s.heap.alloc(64);
    rawChain(s.q, [
      [buf, 8, F_WRITE | F_NEXT, 1],
      [buf + 8, 8, F_NEXT, 2],
      [buf + 16, 8, F_WRITE, 0],
    ]);
    expectNeedsReset(s, /device-readable descriptor 1 follows a device-writable one/);
  });

  it('a zero-length descriptor', () => {
    const s = start();
    const buf = s.heap.alloc(64);
    rawChain(s.q, [[buf, 0, F_WRITE, 0]]);
    expectNeedsReset(s, /length 0/);
  });

  it('an indirect table with more descriptors than the queue', () => {
    const s = start();
    const table = s.heap.alloc(16 * 9);
    rawChain(s.q, [[table, 16 * 9, F_INDIRECT, 0]]);
    expectNeedsReset(s, /indirect table of 9 descriptors is larger than the queue \(8\)/);
  });

  it('an indirect table that is not a whole number of descriptors', () => {
    const s = start();
    const table = s.heap.alloc(64);
    rawChain(s.q, [[table, 24, F_INDIRECT, 0]]);
    expectNeedsReset(s, /indirect table length 24/);
  });

  it('an indirect descriptor inside an indirect table', () => {
    const s = start();
    const inner = s.heap.alloc(32);
    const table = s.heap.alloc(32);
    s.q.writeDesc(table, 0, inner, 32, F_INDIRECT, 0);
    rawChain(s.q, [[table, 16, F_INDIRECT, 0]]);
    expectNeedsReset(s, /indirect descriptor inside an indirect table/);
  });

  it('an indirect descriptor with NEXT set', () => {
    const s = start();
    const table = s.heap.alloc(32);
    const buf = s.heap.alloc(8);
    s.q.writeDesc(table, 0, buf, 8, F_WRITE, 0);
    rawChain(s.q, [
      [table, 16, F_INDIRECT | F_NEXT, 1],
      [buf, 8, F_WRITE, 0],
    ]);
    expectNeedsReset(s, /indirect descriptor with NEXT set/);
  });

  it('an indirect table outside RAM', () => {
    const s = start();
    rawChain(s.q, [[RAM_BASE + RAM_SIZE - 16, 32, F_INDIRECT, 0]]);
    expectNeedsReset(s, /indirect table .* is not in guest RAM/);
  });

  it('a loop inside an indirect table', () => {
    const s = start();
    const table = s.heap.alloc(32);
    const buf = s.heap.alloc(8);
    s.q.writeDesc(table, 0, buf, 4, F_WRITE | F_NEXT, 1);
    s.q.writeDesc(table, 1, buf + 4, 4, F_WRITE | F_NEXT, 0);
    rawChain(s.q, [[table, 32, F_INDIRECT, 0]]);
    expectNeedsReset(s, /loops/);
  });

  it('an indirect descriptor when RING_INDIRECT_DESC was not negotiated', () => {
    const s = start({ features: [] });
    const table = s.heap.alloc(16);
    rawChain(s.q, [[table, 16, F_INDIRECT, 0]]);
    expectNeedsReset(s, /not negotiated/);
  });

  it('an available index more than a queue ahead, and a head outside the queue', () => {
    const s = start();
    s.q.setAvailIdx(9);
    s.q.kick();
    expectNeedsReset(s, /available index moved from 0 to 9/);
    const t = start();
    t.q.publish(8);
    t.q.kick();
    expectNeedsReset(t, /head index 8 is outside the queue/);
  });

  it('a descriptor table outside RAM', () => {
    const rig = makeRig((init) => new VirtioRng(init), { ramSize: RAM_SIZE });
    const heap = new GuestHeap(rig.bus);
    negotiate(rig, []);
    setReg(rig, 'QUEUE_SEL', 0);
    setReg(rig, 'QUEUE_NUM', 8);
    const avail = heap.alloc(32);
    const used = heap.alloc(128);
    setReg(rig, 'QUEUE_DESC_LOW', 0x2000);
    setReg(rig, 'QUEUE_DRIVER_LOW', avail >>> 0);
    setReg(rig, 'QUEUE_DEVICE_LOW', used >>> 0);
    setReg(rig, 'QUEUE_READY', 1);
    driverOk(rig);
    rig.bus.write(avail + 2, 2, 1);
    setReg(rig, 'QUEUE_NOTIFY', 0);
    expect(reg(rig, 'STATUS') & VirtioStatus.DEVICE_NEEDS_RESET).not.toBe(0);
    expect(rig.errors.some((e) => /descriptor 0 at 0x2000 is not in RAM/.test(e.message))).toBe(true);
  });

  it('misaligned rings are refused when the queue is made ready', () => {
    const rig = makeRig((init) => new VirtioRng(init), { ramSize: RAM_SIZE });
    negotiate(rig, []);
    setReg(rig, 'QUEUE_SEL', 0);
    setReg(rig, 'QUEUE_DESC_LOW', RAM_BASE + 8);
    setReg(rig, 'QUEUE_READY', 1);
    expect(reg(rig, 'QUEUE_READY')).toBe(0);
    expect(reg(rig, 'STATUS') & VirtioStatus.DEVICE_NEEDS_RESET).not.toBe(0);
  });

  it('a broken device processes nothing more until the driver resets it', () => {
    const s = start();
    rawChain(s.q, [[0x1000, 16, F_WRITE, 0]]);
    expectNeedsReset(s, /not in writable guest RAM/);
    const buf = s.heap.alloc(16);
    s.q.add([writable(buf, 16)]);
    s.q.kick();
    expect(s.q.usedIdx).toBe(0);
    // Linux's recovery: reset, then probe again from scratch.
    setReg(s.rig, 'STATUS', 0);
    expect(reg(s.rig, 'STATUS')).toBe(0);
    expect(s.rig.irqLevels.at(-1)).toBe(false);
    const heap = new GuestHeap(s.rig.bus, RAM_BASE + 0x80000);
    negotiate(s.rig, []);
    const q = setupQueue(s.rig, heap, 0, 8);
    driverOk(s.rig);
    const fresh = heap.alloc(16);
    const head = q.add([writable(fresh, 16)]);
    q.kick();
    expect(q.collect()).toEqual([{ id: head, len: 16 }]);
  });

  it('a legacy device stops too, without DEVICE_NEEDS_RESET (there is no such bit before version 1)', () => {
    const s = start({ legacy: true });
    rawChain(s.q, [[0x1000, 16, F_WRITE, 0]]);
    expect(reg(s.rig, 'STATUS') & VirtioStatus.DEVICE_NEEDS_RESET).toBe(0);
    expect(s.rig.errors.some((e) => /queue 0: descriptor 0/.test(e.message))).toBe(true);
    const buf = s.heap.alloc(16);
    s.q.add([writable(buf, 16)]);
    s.q.kick();
    expect(s.q.usedIdx).toBe(0);
  });
});

describe('well-formed chains', () => {
  it('direct and indirect chains mixing readable and writable buffers', () => {
    const s = start();
    const a = s.heap.alloc(8);
    const b = s.heap.alloc(8);
    const direct = s.q.add([readable(a, 8), writable(b, 8)]);
    s.q.kick();
    const c = s.heap.alloc(4);
    const d = s.heap.alloc(4);
    const indirect = s.q.add([writable(c, 4), writable(d, 4)], true);
    s.q.kick();
    expect(s.q.collect()).toEqual([
      { id: direct, len: 8 },
      { id: indirect, len: 8 },
    ]);
    expect([...s.heap.get(a, 8)]).toEqual(new Array(8).fill(0)); // readable: untouched
    expect([...s.heap.get(c, 4), ...s.heap.get(d, 4)]).toEqual(new Array(8).fill(0x5a));
  });

  it('the rings wrap around a small queue', () => {
    const s = start();
    for (let round = 0; round < 20; round++) {
      const buf = s.heap.alloc(4);
      const head = s.q.add([writable(buf, 4)]);
      s.q.kick();
      expect(s.q.collect()).toEqual([{ id: head, len: 4 }]);
      s.q.release(head);
    }
    expect(s.q.usedIdx).toBe(20);
  });
});

describe('notifications', () => {
  it('vring_need_event follows the spec formula, including across the 16-bit wrap', () => {
    expect(needEvent(0, 1, 0)).toBe(true);
    expect(needEvent(1, 1, 0)).toBe(false);
    expect(needEvent(3, 4, 2)).toBe(true);
    expect(needEvent(3, 3, 2)).toBe(false);
    expect(needEvent(0xffff, 0, 0xfffe)).toBe(true);
    expect(needEvent(0xfffe, 0x0001, 0xfffd)).toBe(true);
    expect(needEvent(0x0005, 0x0001, 0xfffd)).toBe(false);
  });

  it('event idx: the device publishes avail_event and interrupts only when used passes used_event', () => {
    const s = start();
    const interrupts: number[] = [];
    const submit = () => {
      const buf = s.heap.alloc(4);
      const head = s.q.add([writable(buf, 4)]);
      s.q.kick();
      s.q.release(head);
      if (s.rig.irqLevels.at(-1) === true) {
        interrupts.push(s.q.usedIdx);
        serviceInterrupt(s.rig);
      }
    };
    submit(); // the first completion always notifies
    expect(s.q.availEvent).toBe(1);
    s.q.setUsedEvent(3); // "interrupt me when entry 3 is used", i.e. used idx reaches 4
    for (let i = 0; i < 5; i++) submit();
    expect(interrupts).toEqual([1, 4]);
    expect(s.q.availEvent).toBe(6);
  });

  it('without event idx, VIRTQ_AVAIL_F_NO_INTERRUPT suppresses used-buffer interrupts', () => {
    const s = start({ features: [] });
    s.q.setAvailFlags(VIRTQ_AVAIL_F_NO_INTERRUPT);
    const buf = s.heap.alloc(4);
    s.q.add([writable(buf, 4)]);
    s.q.kick();
    expect(s.q.usedIdx).toBe(1);
    expect(s.rig.irqLevels).toEqual([]);
    s.q.setAvailFlags(0);
    s.q.add([writable(buf, 4)]);
    s.q.kick();
    expect(s.rig.irqLevels).toEqual([true]);
  });

  it('notifications before DRIVER_OK are acted on once the driver is ready', () => {
    const rig = makeRig((init) => new VirtioRng(init), { ramSize: RAM_SIZE });
    const heap = new GuestHeap(rig.bus);
    negotiate(rig, []);
    const q = setupQueue(rig, heap, 0);
    const buf = heap.alloc(4);
    const head = q.add([writable(buf, 4)]);
    q.kick();
    expect(q.usedIdx).toBe(0);
    driverOk(rig);
    expect(q.collect()).toEqual([{ id: head, len: 4 }]);
  });
});
