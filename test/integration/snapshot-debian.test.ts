/**
 * Deterministic snapshots of the Debian kernel while it boots: snapshot at several virtual times, restore
 * each into a fresh machine, run to a fixed virtual time, and compare with a run that was never snapshotted:
 * the same console output and no difference in device fields, RAM or the timer queue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { restoreSnapshot, saveSnapshot } from '../../src-emu/snapshot/snapshot';
import {
  armEvents,
  runToStop,
  noDifference,
  stateDifference,
  testMachine,
  type TestMachine,
} from '../../src-emu/snapshot/test-machine';
import { debianGuest } from '../support/guest';

const folder = mkdtempSync(join(tmpdir(), 'orrery-debian-snapshots-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Virtual times during the kernel's boot (it prints its first lines at ~0.1 s and reaches ~2 s later). */
const POINTS = [150_000_000, 700_000_000, 1_300_000_000];
const END = 1_900_000_000;
const TIMES = [...POINTS, END];

async function debianMachine(): Promise<TestMachine> {
  const guest = await debianGuest();
  return testMachine(guest.kernel, { initrd: guest.initrd, append: 'console=ttyAMA0', memoryMiB: 256 });
}

describe('Debian kernel boot, snapshotted and restored (deterministic mode)', () => {
  it('continues from every snapshot exactly as the run that was never snapshotted', async () => {
    const reference = await debianMachine();
    armEvents(reference.machine, TIMES, [END]);
    expect(await runToStop(reference.machine)).toBe(`event@${END}`);
    const expected = reference.serial.outputText();
    expect(expected).toContain('Booting Linux');

    const original = await debianMachine();
    armEvents(original.machine, TIMES, TIMES);
    const saved: { at: number; path: string; output: string }[] = [];
    for (const at of POINTS) {
      expect(await runToStop(original.machine)).toBe(`event@${at}`);
      const path = join(folder, `boot-${at}.orrsnap`);
      await saveSnapshot(original.machine, path, { name: `boot at ${at} ns`, config: original.record });
      saved.push({ at, path, output: original.serial.outputText() });
    }
    expect(await runToStop(original.machine)).toBe(`event@${END}`);
    expect(original.serial.outputText()).toBe(expected);

    for (const point of saved) {
      const restored = await debianMachine();
      await restoreSnapshot(restored.machine, point.path);
      armEvents(restored.machine, TIMES, [END]);
      expect(await runToStop(restored.machine)).toBe(`event@${END}`);
      expect(point.output + restored.serial.outputText()).toBe(expected);
      const difference = stateDifference(reference.machine, restored.machine);
      expect({ at: point.at, ...difference }).toEqual({ at: point.at, ...noDifference(reference.machine) });
    }
  }, 600_000);
});
