/**
 * Deterministic snapshots of the Debian guest after its boot: at the shell while commands are typed, and in
 * the middle of disk I/O with virtio-blk requests under way. Every run boots to the prompt (found by a
 * timer polling the console every 10 ms of virtual time, so the same instant in every run), then types at
 * fixed virtual times from there. A run snapshotted at several points and each snapshot restored into a
 * fresh machine end, at a fixed virtual time, with the console output, device fields, RAM, timer queue
 * and disk content of the run that was never snapshotted.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImage, openImage } from '../../src-emu/block';
import { Timer } from '../../src-emu/core/timer';
import { VirtioBlk } from '../../src-emu/hw/virtio/blk';
import type { VirtMachine } from '../../src-emu/machine/virt';
import { restoreSnapshot, saveSnapshot } from '../../src-emu/snapshot/snapshot';
import { SwitchableBackend } from '../../src-emu/snapshot/store/switchable-backend';
import {
  noDifference,
  runToStop,
  stateDifference,
  testMachine,
  type TestMachine,
} from '../../src-emu/snapshot/test-machine';
import { debianGuest, GUEST_PROMPT } from '../support/guest';

let folder = '';
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'orrery-debian-disk-snapshots-'));
});
afterAll(() => rm(folder, { recursive: true, force: true }));

const MS = 1_000_000;
const POLL_NS = 10 * MS;
/** Typed text goes in pieces this long, 2 ms apart: each fits the PL011's 32-byte receive FIFO at once. */
const CHUNK = 16;

/** What a run does once the prompt is up, in virtual ns from that moment. */
interface Scenario {
  readonly input: readonly (readonly [number, string])[];
  /** Instants that may become snapshot points (each cuts a quantum, so every run arms them all). */
  readonly events: readonly number[];
  readonly end: number;
}

interface Run extends TestMachine {
  readonly backend: SwitchableBackend | null;
  /** Virtual time the prompt was seen at (-1 before). */
  promptAt: number;
  /** Requests under way in virtio-blk at each event, by absolute time. */
  readonly pending: Map<number, number>;
}

async function debianRun(disk: string | null): Promise<Run> {
  const guest = await debianGuest();
  const backend = disk === null ? null : new SwitchableBackend(await openImage(disk, { cache: 'unsafe' }));
  const machine = testMachine(guest.kernel, {
    initrd: guest.initrd,
    append: 'console=ttyAMA0 quiet',
    memoryMiB: 256,
    ...(backend ? { drives: [{ backend }] } : {}),
  });
  return { ...machine, backend, promptAt: -1, pending: new Map() };
}

function blk(machine: VirtMachine): VirtioBlk | null {
  for (const slot of machine.virtio) if (slot.device instanceof VirtioBlk) return slot.device;
  return null;
}

/** Arms the scenario's typing and events still ahead, from the prompt at `base`; stops at `pauseAt` and the end. */
function armScenario(run: Run, scenario: Scenario, base: number, pauseAt: readonly number[]): void {
  const clock = run.machine.clock;
  const ahead = (ns: number) => ns > clock.now();
  for (const [offset, text] of scenario.input) {
    for (let i = 0; i * CHUNK < text.length; i++) {
      const piece = text.slice(i * CHUNK, (i + 1) * CHUNK);
      const ns = base + offset + i * 2 * MS;
      if (ahead(ns)) new Timer(clock, () => run.serial.push(piece)).modNs(ns);
    }
  }
  const end = base + scenario.end;
  for (const ns of [...scenario.events.map((offset) => base + offset), end]) {
    if (!ahead(ns)) continue;
    // Timers fire between scheduler rounds: stopping from one ends the run at that round boundary.
    const event = new Timer(clock, () => {
      run.pending.set(ns, blk(run.machine)?.pendingRequests ?? 0);
      if (ns === end || pauseAt.includes(ns)) run.machine.stop(`event@${ns}`);
    });
    event.modNs(ns);
  }
}

/** Polls the console every 10 ms of virtual time until the prompt is up, then arms the scenario. */
function armAtPrompt(run: Run, scenario: Scenario, pauseAt: readonly number[] = []): void {
  const clock = run.machine.clock;
  const poll = new Timer(clock, () => {
    if (!GUEST_PROMPT.test(run.serial.outputText())) return poll.modNs(clock.now() + POLL_NS);
    run.promptAt = clock.now();
    armScenario(run, scenario, run.promptAt, pauseAt);
  });
  poll.modNs(POLL_NS);
}

interface Saved {
  readonly at: number;
  readonly path: string;
  readonly output: string;
  readonly disk: string | null;
}

/** Restores `point` into a fresh machine on its own disk and runs it to the scenario's end. */
async function restoredRun(scenario: Scenario, promptAt: number, point: Saved): Promise<Run> {
  const restored = await debianRun(point.disk);
  await restoreSnapshot(restored.machine, point.path);
  armScenario(restored, scenario, promptAt, []);
  expect(await runToStop(restored.machine)).toBe(`event@${promptAt + scenario.end}`);
  return restored;
}

/** Compares a restored run with the reference at the end: output, device fields, RAM and timer queue. */
function expectSameEnd(reference: Run, restored: Run, point: Saved): void {
  expect({ at: point.at, output: point.output + restored.serial.outputText() }).toEqual({
    at: point.at,
    output: reference.serial.outputText(),
  });
  const difference = stateDifference(reference.machine, restored.machine);
  expect({ at: point.at, ...difference }).toEqual({ at: point.at, ...noDifference(reference.machine) });
}

/** Runs `original` through its pause points, saving a snapshot (and, with a disk, a frozen copy) at each. */
async function snapshotAt(original: Run, points: readonly number[], name: string): Promise<Saved[]> {
  const saved: Saved[] = [];
  for (const [i, at] of points.entries()) {
    expect(await runToStop(original.machine)).toBe(`event@${at}`);
    const path = join(folder, `${name}-${i}.orrsnap`);
    let disk: string | null = null;
    if (original.backend !== null) {
      // The disk as it is now goes with the snapshot: let the host finish what it started, then copy.
      await original.backend.drain();
      await original.backend.flush();
      disk = join(folder, `${name}-${i}.qcow2`);
      await copyFile(original.backend.path, disk);
    }
    await saveSnapshot(original.machine, path, { name: `${name} at ${at} ns`, config: original.record });
    saved.push({ at, path, output: original.serial.outputText(), disk });
  }
  return saved;
}

const SHELL: Scenario = {
  input: [
    [20 * MS, 'uname -m\r'],
    [300 * MS, 'echo $((6 * 7)) ok\r'],
    [600 * MS, 'cat /proc/uptime\r'],
  ],
  events: [10 * MS, 20 * MS + 50_017, 22 * MS + 3, 300 * MS + 100_003, 305 * MS + 7, 600 * MS + 30_011],
  end: 900 * MS,
};

describe('Debian guest at its shell, snapshotted and restored (deterministic mode)', () => {
  it('continues from every snapshot exactly as the run that was never snapshotted', async () => {
    const reference = await debianRun(null);
    armAtPrompt(reference, SHELL);
    expect(await runToStop(reference.machine)).toMatch(/^event@/);
    const base = reference.promptAt;
    expect(base).toBeGreaterThan(0);
    const expected = reference.serial.outputText();
    // The guest answered what was typed at those times.
    expect(expected).toMatch(
      /uname -m\r\naarch64\r\n[^]*echo \$\(\(6 \* 7\)\) ok\r\n42 ok\r\n[^]*cat \/proc\/uptime\r\n/,
    );

    const points = SHELL.events.map((offset) => base + offset);
    const original = await debianRun(null);
    armAtPrompt(original, SHELL, points);
    const saved = await snapshotAt(original, points, 'shell');
    expect(await runToStop(original.machine)).toBe(`event@${base + SHELL.end}`);
    expect(original.serial.outputText()).toBe(expected);

    for (const point of saved) {
      const restored = await restoredRun(SHELL, base, point);
      expectSameEnd(reference, restored, point);
    }
  }, 150_000);
});

const MiB = 1024 * 1024;
const DISK_BYTES = 32 * MiB;
/** The base image's first 8 MiB: bytes no guest writes by chance. */
const SOURCE_BYTES = 8 * MiB;

function sourcePattern(): Uint8Array {
  const bytes = new Uint8Array(SOURCE_BYTES);
  const view = new DataView(bytes.buffer);
  let x = 0x2545f491; // xorshift32
  for (let i = 0; i < bytes.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    view.setUint32(i, x >>> 0, true);
  }
  return bytes;
}

/** Copies 6 MiB of the disk to 10 MiB, through the page cache, and syncs it; then reports dd's status. */
const DISK: Scenario = {
  input: [
    [20 * MS, 'dd if=/dev/vda of=/dev/vda bs=64k count=96 seek=160 conv=fsync\r'],
    [1500 * MS, 'echo rc=$?\r'],
  ],
  // The disk is busy in bursts of a few 100 us latencies: sample every 97 us over the copy's first 290 ms.
  events: Array.from({ length: 3000 }, (_, i) => 26 * MS + i * 97_003),
  end: 2000 * MS,
};

async function diskDigest(backend: SwitchableBackend): Promise<string> {
  await backend.drain();
  const bytes = new Uint8Array(DISK_BYTES);
  await backend.read(0, bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

describe('Debian guest in the middle of disk I/O, snapshotted and restored (deterministic mode)', () => {
  it('continues from snapshots with requests under way exactly as the run that was never snapshotted', async () => {
    const base = join(folder, 'base.raw');
    await writeFile(base, sourcePattern());
    await truncate(base, DISK_BYTES);
    const overlay = async (name: string) => {
      const path = join(folder, `${name}.qcow2`);
      await createImage(path, { format: 'qcow2', backing: { path: base, format: 'raw' } });
      return path;
    };

    const reference = await debianRun(await overlay('reference'));
    armAtPrompt(reference, DISK);
    expect(await runToStop(reference.machine)).toMatch(/^event@/);
    const prompt = reference.promptAt;
    const expected = reference.serial.outputText();
    expect(expected).toMatch(/96\+0 records in\r\n96\+0 records out\r\n[^]*rc=0\r\n/);
    const referenceDisk = new Uint8Array(DISK_BYTES);
    await reference.backend!.read(0, referenceDisk);
    expect(Buffer.compare(referenceDisk.subarray(10 * MiB, 16 * MiB), sourcePattern().subarray(0, 6 * MiB))).toBe(0);

    // Snapshot points: events at which requests were under way, early, in the middle and late in the copy.
    const busy = [...reference.pending].filter(([, count]) => count > 0).map(([ns]) => ns);
    expect(busy.length).toBeGreaterThan(2);
    const points = [busy[0]!, busy[Math.floor(busy.length / 2)]!, busy[busy.length - 1]!];

    const original = await debianRun(await overlay('original'));
    armAtPrompt(original, DISK, points);
    const saved: Saved[] = [];
    for (const point of points) {
      saved.push(...(await snapshotAt(original, [point], `disk-${saved.length}`)));
      expect({ point, pending: blk(original.machine)!.pendingRequests > 0 }).toEqual({ point, pending: true });
    }
    expect(await runToStop(original.machine)).toBe(`event@${prompt + DISK.end}`);
    expect(original.serial.outputText()).toBe(expected);
    const digest = createHash('sha256').update(referenceDisk).digest('hex');
    expect(await diskDigest(original.backend!)).toBe(digest);

    for (const point of saved) {
      const restored = await restoredRun(DISK, prompt, point);
      expectSameEnd(reference, restored, point);
      expect({ at: point.at, disk: await diskDigest(restored.backend!) }).toEqual({ at: point.at, disk: digest });
    }
  }, 150_000);
});
