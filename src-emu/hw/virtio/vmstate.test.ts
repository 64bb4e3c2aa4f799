/**
 * Snapshots of virtio devices taken at any moment: the transport, the common device state, the queues and
 * requests still in flight, restored into a second machine and carried on there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CharBackend } from '../../core/chardev';
import { logger } from '../../core/log';
import { VirtualClock } from '../../core/timer';
import { describe as describeState, diffStates, loadMachine, saveMachine } from '../../core/vmstate';
import { VirtioBlk } from './blk';
import { blkRig } from './blk-driver';
import { VirtioConsole } from './console';
import { MemoryDisk } from './memory-disk';
import { makeRig, readable, reg, settle } from './test-driver';
import { driverOk, GuestHeap, negotiate, setupQueue } from './test-driver';
import { virtioSnapshotEntries } from './transports';

afterEach(() => logger.setSink(null));

const MiB = 1024 * 1024;

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 17 + seed) & 0xff);
}

/** A machine like `source` (same clock mode) with nothing set up, holding a copy of its RAM. */
function blankBlkMachine(source: ReturnType<typeof blkRig>, disk: MemoryDisk, props: Record<string, unknown> = {}) {
  const clock = new VirtualClock({ mode: source.rig.clock.mode, running: false });
  const rig = makeRig(
    (init) => {
      const blk = new VirtioBlk({ ...init, props });
      blk.attachBackend(disk);
      return blk;
    },
    { clock },
  );
  rig.ram.ram!.bytes.set(source.rig.ram.ram!.bytes);
  return rig;
}

describe('virtio-blk snapshots', () => {
  it('restores requests in flight into another machine, which re-submits and completes them', async () => {
    const diskA = new MemoryDisk(MiB);
    diskA.bytes.set(pattern(4096, 5), 8 * 512);
    diskA.hold = true;
    const a = blkRig(diskA);
    a.driver.indirect = true;
    const data = pattern(1024, 9);
    const w = a.driver.write(0, data, 512);
    const r = a.driver.read(8, 4096, 1024);
    expect(a.rig.device.pendingRequests).toBe(2);

    const stream = saveMachine(virtioSnapshotEntries([a.rig.transport]));
    const diskB = new MemoryDisk(MiB);
    diskB.bytes.set(diskA.bytes);
    const b = blankBlkMachine(a, diskB);
    loadMachine(stream, virtioSnapshotEntries([b.transport]));
    expect(reg(b, 'STATUS')).toBe(reg(a.rig, 'STATUS'));
    expect(b.device.pendingRequests).toBe(2);
    expect(diskB.log).toEqual([]); // nothing is submitted before the machine runs

    b.clock.runUntil(b.clock.now()); // the machine runs again: requests are picked up from guest RAM
    await settle();
    expect(diskB.bytes.subarray(0, 1024)).toEqual(data);
    expect(b.bus.read(w.status, 1)).toBe(0);
    expect(b.bus.read(r.status, 1)).toBe(0);
    const readBack = new Uint8Array(4096);
    b.bus.readBytes(r.data, readBack);
    expect(readBack).toEqual(pattern(4096, 5));
    expect(b.bus.read(a.q.used + 2, 2)).toBe(2);
    expect(b.irqLevels).toContain(true);
  });

  it('a snapshot of a restored machine that has not run yet still carries the requests', async () => {
    const diskA = new MemoryDisk(MiB);
    diskA.hold = true;
    const a = blkRig(diskA);
    const w = a.driver.write(4, pattern(512, 1));
    const first = saveMachine(virtioSnapshotEntries([a.rig.transport]));
    const b = blankBlkMachine(a, new MemoryDisk(MiB));
    loadMachine(first, virtioSnapshotEntries([b.transport]));
    expect(b.device.pendingRequests).toBe(1);
    const second = saveMachine(virtioSnapshotEntries([b.transport]));
    const diskC = new MemoryDisk(MiB);
    const c = blankBlkMachine(a, diskC);
    loadMachine(second, virtioSnapshotEntries([c.transport]));
    c.clock.runUntil(c.clock.now());
    await settle();
    expect(diskC.bytes.subarray(4 * 512, 5 * 512)).toEqual(pattern(512, 1));
    expect(c.bus.read(w.status, 1)).toBe(0);
  });

  it('restoring over a running device drops the completions of its own older requests', async () => {
    const disk = new MemoryDisk(MiB);
    disk.hold = true;
    const a = blkRig(disk);
    const r = a.driver.read(0, 512);
    const stream = saveMachine(virtioSnapshotEntries([a.rig.transport]));
    loadMachine(stream, virtioSnapshotEntries([a.rig.transport]));
    disk.release(); // the request from before the restore: stale
    await settle();
    expect(a.q.usedIdx).toBe(0);
    a.rig.clock.runUntil(a.rig.clock.now());
    expect(disk.heldCount).toBe(1);
    disk.release();
    await settle();
    expect(a.q.collect()).toEqual([{ id: r.head, len: 513 }]);
  });

  it('a state without requests in flight round-trips field for field', () => {
    const a = blkRig(new MemoryDisk(MiB));
    const stream = saveMachine(virtioSnapshotEntries([a.rig.transport]));
    const b = blankBlkMachine(a, new MemoryDisk(MiB));
    loadMachine(stream, virtioSnapshotEntries([b.transport]));
    const view = (blk: VirtioBlk) => describeState(VirtioBlk.vmstate, blk);
    expect(diffStates(view(a.rig.device), view(b.device))).toEqual([]);
    expect(b.device.queue(0)!.descAddr).toBe(a.q.desc);
    expect(b.device.virtio.driverFeatures[1]).toBe(1);
  });

  it('refuses a stream whose in-flight list disagrees with its queue, leaving the machine as it was', () => {
    const disk = new MemoryDisk(MiB);
    disk.hold = true;
    const a = blkRig(disk);
    a.driver.read(0, 512);
    a.rig.device.virtio.queues[0].lastAvailIdx += 1; // one buffer taken that no request accounts for
    const stream = saveMachine(virtioSnapshotEntries([a.rig.transport]));
    const b = blankBlkMachine(a, new MemoryDisk(MiB));
    expect(() => loadMachine(stream, virtioSnapshotEntries([b.transport]))).toThrow(
      /1 requests in flight, but the queue has 2/,
    );
    expect(reg(b, 'STATUS')).toBe(0);
    expect(b.device.queue(0)!.ready).toBe(false);
  });

  it('refuses a queue size that is not a power of 2', () => {
    const a = blkRig(new MemoryDisk(MiB));
    a.rig.device.virtio.queues[0].size = 100;
    const stream = saveMachine(virtioSnapshotEntries([a.rig.transport]));
    const b = blankBlkMachine(a, new MemoryDisk(MiB));
    expect(() => loadMachine(stream, virtioSnapshotEntries([b.transport]))).toThrow(/size 100 is not a power of 2/);
  });
});

class Line extends CharBackend {
  readonly output: number[] = [];
  room = Infinity;
  protected override attached(): void {
    this.setOpen(true);
  }
  protected writeOutput(bytes: Uint8Array): number {
    const count = Math.min(bytes.length, this.room);
    this.output.push(...bytes.subarray(0, count));
    this.room -= count;
    return count;
  }
}

describe('virtio-console snapshots', () => {
  function consoleMachine(line: Line) {
    return makeRig((init) => {
      const console = new VirtioConsole({ ...init, props: { maxPorts: 1 } });
      console.ports[0].connect(line);
      return console;
    });
  }

  it('a transmit buffer half written to a slow host continues after restore, every byte once', () => {
    const lineA = new Line();
    lineA.room = 3;
    const a = consoleMachine(lineA);
    const heap = new GuestHeap(a.bus);
    negotiate(a, []);
    setupQueue(a, heap, 0, 8);
    const tx = setupQueue(a, heap, 1, 8);
    driverOk(a);
    tx.add([readable(heap.put(new TextEncoder().encode('hello world')), 11)]);
    tx.kick();
    expect(String.fromCharCode(...lineA.output)).toBe('hel');
    const stream = saveMachine(virtioSnapshotEntries([a.transport]));

    const lineB = new Line();
    const b = consoleMachine(lineB);
    b.ram.ram!.bytes.set(a.ram.ram!.bytes);
    loadMachine(stream, virtioSnapshotEntries([b.transport]));
    b.clock.runUntil(b.clock.now());
    expect(String.fromCharCode(...lineB.output)).toBe('lo world');
    expect(b.bus.read(tx.used + 2, 2)).toBe(1);
  });
});
