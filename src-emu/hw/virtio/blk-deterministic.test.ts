/**
 * virtio-blk under deterministic time: a request completes at submission + deterministicLatencyNs of
 * virtual time, whatever the host disk's speed, and a snapshot taken with requests under way completes them
 * at the same virtual times. The disk is a real raw image (src-emu/block) whose operations the test delays
 * on the host: by a fixed time, or until it lets them go.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RawBackend, createRaw } from '../../block';
import { logger } from '../../core/log';
import type { MemoryRegion } from '../../core/memory';
import { VirtualClock } from '../../core/timer';
import { loadMachine, saveMachine } from '../../core/vmstate';
import { VirtioBlk } from './blk';
import type { VirtioBlockBackend } from './blk';
import { blkRig } from './blk-driver';
import type { Submitted } from './blk-driver';
import { makeRig, setReg } from './test-driver';
import { virtioSnapshotEntries } from './transports';

afterEach(() => logger.setSink(null));
const folder = mkdtempSync(join(tmpdir(), 'orrery-blk-det-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const LATENCY = 100_000; // the property's default
let images = 0;

/** A real disk image whose every operation finishes `delayMs` of host time late, or only when released. */
class DelayedDisk implements VirtioBlockBackend {
  delayMs = 0;
  hold = false;
  started = 0;
  private readonly held: (() => void)[] = [];

  private constructor(readonly image: RawBackend) {}

  static async create(content?: Uint8Array): Promise<DelayedDisk> {
    const path = join(folder, `disk-${images++}.img`);
    await createRaw(path, MiB);
    const image = await RawBackend.open(path, { cache: 'unsafe' });
    if (content) await image.write(0, content);
    return new DelayedDisk(image);
  }

  get size(): number {
    return this.image.size;
  }
  get readOnly(): boolean {
    return false;
  }
  get capabilities() {
    return this.image.capabilities;
  }

  /** Lets every held operation finish. */
  release(): void {
    for (const go of this.held.splice(0)) go();
  }

  get heldCount(): number {
    return this.held.length;
  }

  private async late<T>(operation: () => Promise<T>): Promise<T> {
    this.started++;
    const result = await operation();
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    else if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return result;
  }

  read(offset: number, dest: Uint8Array) {
    return this.late(() => this.image.read(offset, dest));
  }
  write(offset: number, src: Uint8Array) {
    return this.late(() => this.image.write(offset, src));
  }
  flush() {
    return this.late(() => this.image.flush());
  }
  discard(offset: number, length: number) {
    return this.late(() => this.image.discard(offset, length));
  }
  writeZeroes(offset: number, length: number) {
    return this.late(() => this.image.writeZeroes(offset, length));
  }
}

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 0xff);
}

/** Times runClockTo found the clock waiting for host work. */
let hostWaits = 0;

/** What the scheduler does between rounds: fire timers up to `ns`, awaiting host work with time frozen. */
async function runClockTo(clock: VirtualClock, ns: number): Promise<void> {
  for (;;) {
    clock.runUntil(ns);
    const work = clock.hostWork;
    if (work === null) return;
    hostWaits++;
    await work;
  }
}

/** Runs the clock until each request's status byte is written, and returns the virtual time of each. */
async function completionTimes(
  clock: VirtualClock,
  status: (request: Submitted) => number,
  requests: readonly Submitted[],
  endNs: number,
): Promise<number[]> {
  const times = requests.map(() => -1);
  for (let ns = clock.now() + 1_000; ns <= endNs; ns += 1_000) {
    await runClockTo(clock, ns);
    requests.forEach((r, i) => {
      if (times[i] === -1 && status(r) !== 0xff) times[i] = clock.now();
    });
  }
  return times;
}

function deterministicRig(disk: VirtioBlockBackend, startNs = 0) {
  return blkRig(disk, {}, { clock: new VirtualClock({ mode: 'deterministic', startNs }) });
}

describe('virtio-blk in deterministic mode', () => {
  it('completes each request exactly one latency after submission, not earlier even if the host is done', async () => {
    const disk = await DelayedDisk.create(pattern(4096, 3));
    const { rig, driver, heap, q } = deterministicRig(disk, 5_000_000);
    const r = driver.read(0, 4096);
    const submitted = rig.clock.now();
    expect(disk.started).toBe(1); // the host starts at once
    await new Promise((resolve) => setTimeout(resolve, 20)); // and is done long before the deadline
    await runClockTo(rig.clock, submitted + LATENCY - 1);
    expect(driver.status(r)).toBe(0xff);
    expect(heap.get(r.data, 4096).every((b) => b === 0)).toBe(true); // the data waits for the completion too
    expect(rig.irqLevels).toEqual([]);
    await runClockTo(rig.clock, submitted + LATENCY);
    expect(driver.status(r)).toBe(0);
    expect(heap.get(r.data, 4096)).toEqual(pattern(4096, 3));
    expect(q.collect()).toEqual([{ id: r.head, len: 4097 }]);
    expect(rig.irqLevels).toEqual([true]);
  });

  it('waits for a slow host at the deadline with virtual time frozen, then completes at that same time', async () => {
    const disk = await DelayedDisk.create();
    disk.hold = true;
    const { rig, driver } = deterministicRig(disk);
    const w = driver.write(8, pattern(512, 1));
    const deadline = rig.clock.now() + LATENCY;
    rig.clock.runUntil(deadline + 50_000);
    expect(rig.clock.hostWork).not.toBeNull();
    expect(rig.clock.now()).toBe(deadline);
    expect(driver.status(w)).toBe(0xff);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(driver.status(w)).toBe(0xff); // still held: nothing moves on the host's time alone
    disk.release();
    await rig.clock.hostWork;
    rig.clock.runUntil(deadline + 50_000);
    expect(driver.status(w)).toBe(0);
    expect(rig.clock.hostWork).toBeNull();
    const back = new Uint8Array(512);
    await disk.image.read(8 * 512, back);
    expect(back).toEqual(pattern(512, 1));
  });

  it('lands completions at the same virtual times whatever the host delay', async () => {
    const run = async (delayMs: number) => {
      const disk = await DelayedDisk.create(pattern(64 * 1024, 7));
      disk.delayMs = delayMs;
      const { rig, driver, heap, q } = deterministicRig(disk, 1_000_000);
      const requests: Submitted[] = [driver.read(0, 8192), driver.write(64, pattern(1024, 2))];
      rig.clock.advance(30_000); // the guest submits more a little later
      requests.push(driver.read(16, 4096, 512), driver.flush());
      const times = await completionTimes(rig.clock, (r) => driver.status(r), requests, 1_400_000);
      return { times, used: q.collect(), data: heap.get(requests[0]!.data, 8192) };
    };
    const fast = await run(0);
    const slow = await run(15);
    expect(fast.times).toEqual([1_100_000, 1_100_000, 1_130_000, 1_130_000]);
    expect(slow).toEqual(fast);
    expect(fast.data).toEqual(pattern(64 * 1024, 7).subarray(0, 8192));
  });

  it('a request refused at once (out of range) still completes at its deadline', async () => {
    const disk = await DelayedDisk.create();
    const { rig, driver } = deterministicRig(disk);
    const beyond = driver.read(MiB / 512, 512);
    await runClockTo(rig.clock, LATENCY - 1);
    expect(driver.status(beyond)).toBe(0xff);
    await runClockTo(rig.clock, LATENCY);
    expect(driver.status(beyond)).toBe(1); // IOERR
    expect(disk.started).toBe(0);
  });

  it('a reset with requests under way drops them and their timer', async () => {
    const disk = await DelayedDisk.create(pattern(512, 9));
    const { rig, driver, heap } = deterministicRig(disk);
    const r = driver.read(0, 512);
    setReg(rig, 'STATUS', 0);
    expect(rig.clock.armedCount).toBe(0);
    await runClockTo(rig.clock, 2 * LATENCY);
    expect(driver.status(r)).toBe(0xff);
    expect(heap.get(r.data, 512).every((b) => b === 0)).toBe(true);
  });
});

describe('virtio-blk deterministic snapshots with requests under way', () => {
  /** A deterministic machine at virtual time `ns` with nothing set up and a copy of `source`'s RAM. */
  function blankAt(source: { rig: { ram: MemoryRegion } }, disk: VirtioBlockBackend, ns: number) {
    const clock = new VirtualClock({ mode: 'deterministic', startNs: ns });
    const rig = makeRig(
      (init) => {
        const blk = new VirtioBlk(init);
        blk.attachBackend(disk);
        return blk;
      },
      { clock },
    );
    rig.ram.ram!.bytes.set(source.rig.ram.ram!.bytes);
    return rig;
  }

  it('completes restored requests at the virtual times the saved machine completes them', async () => {
    const content = pattern(MiB, 11);
    const diskA = await DelayedDisk.create(content);
    diskA.delayMs = 5;
    const a = deterministicRig(diskA, 2_000_000);
    const first = a.driver.read(10, 4096);
    a.rig.clock.advance(40_000);
    const second = a.driver.write(100, pattern(2048, 4));
    const third = a.driver.read(200, 1024);
    a.rig.clock.advance(20_000); // 60 us after the first: all three under way
    expect(a.rig.device.pendingRequests).toBe(3);
    const savedAt = a.rig.clock.now();
    const stream = saveMachine(virtioSnapshotEntries([a.rig.transport]));

    const diskB = await DelayedDisk.create(content);
    diskB.hold = true; // the restored machine's host is slow: it waits at each deadline
    const b = blankAt(a, diskB, savedAt);
    loadMachine(stream, virtioSnapshotEntries([b.transport]));
    expect(b.device.pendingRequests).toBe(3);
    expect([b.clock.armedCount, b.clock.nextDeadline()]).toEqual([1, 2_100_000]); // as the saved machine's
    expect([a.rig.clock.armedCount, a.rig.clock.nextDeadline()]).toEqual([1, 2_100_000]);
    expect(diskB.started).toBe(0); // nothing goes to the host before the machine runs

    const requests = [first, second, third];
    const status = (bus: { read(addr: number, size: number): number }) => (r: Submitted) => bus.read(r.status, 1);
    const released = setInterval(() => diskB.release(), 3);
    try {
      const timesA = await completionTimes(a.rig.clock, status(a.rig.bus), requests, 2_300_000);
      hostWaits = 0;
      const timesB = await completionTimes(b.clock, status(b.bus), requests, 2_300_000);
      expect(timesA).toEqual([2_100_000, 2_140_000, 2_140_000]);
      expect(timesB).toEqual(timesA);
      expect(hostWaits).toBeGreaterThan(0); // B's host was slow: it did wait
    } finally {
      clearInterval(released);
    }
    expect(Buffer.compare(b.ram.ram!.bytes, a.rig.ram.ram!.bytes)).toBe(0);
    const written = new Uint8Array(2048);
    await diskB.image.read(100 * 512, written);
    expect(written).toEqual(pattern(2048, 4));
  });

  it('a snapshot of a restored machine that has not run yet keeps the deadlines', async () => {
    const diskA = await DelayedDisk.create(pattern(MiB, 5));
    const a = deterministicRig(diskA, 1_000_000);
    const r = a.driver.read(1, 512);
    a.rig.clock.advance(10_000);
    const stream = saveMachine(virtioSnapshotEntries([a.rig.transport]));
    const b = blankAt(a, await DelayedDisk.create(pattern(MiB, 5)), a.rig.clock.now());
    loadMachine(stream, virtioSnapshotEntries([b.transport]));
    const again = saveMachine(virtioSnapshotEntries([b.transport]));
    const c = blankAt(a, await DelayedDisk.create(pattern(MiB, 5)), a.rig.clock.now());
    loadMachine(again, virtioSnapshotEntries([c.transport]));
    expect(c.clock.nextDeadline()).toBe(1_100_000);
    await runClockTo(c.clock, 1_099_999);
    expect(c.bus.read(r.status, 1)).toBe(0xff);
    await runClockTo(c.clock, 1_100_000);
    expect(c.bus.read(r.status, 1)).toBe(0);
  });

  it('a stream without deadlines (saved in realtime mode) completes its requests one latency after the restore', async () => {
    const diskA = await DelayedDisk.create(pattern(MiB, 6));
    diskA.hold = true;
    const a = blkRig(diskA); // realtime
    const r = a.driver.read(2, 512);
    const stream = saveMachine(virtioSnapshotEntries([a.rig.transport]));
    diskA.release();
    const b = blankAt(a, await DelayedDisk.create(pattern(MiB, 6)), 7_000_000);
    loadMachine(stream, virtioSnapshotEntries([b.transport]));
    expect(b.clock.nextDeadline()).toBe(7_000_000 + LATENCY);
    await runClockTo(b.clock, 7_000_000 + LATENCY - 1);
    expect(b.bus.read(r.status, 1)).toBe(0xff);
    await runClockTo(b.clock, 7_000_000 + LATENCY);
    expect(b.bus.read(r.status, 1)).toBe(0);
  });
});
