/**
 * Crash consistency: a writer is stopped after N file writes (N over the whole run) and `qemu-img check`
 * must never find corruption, only leaks. Two crash models: the process dies (every completed write is in
 * the file) and the power fails (writes after the last fdatasync may or may not have reached the disk).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createQcow2 } from '../image-tools';
import { checkImage } from '../image-tools';
import { openImage } from '../open-image';
import type { BlockBackend } from '../types';
import { CrashError, CrashingFile, copyImage } from '../testing/crash-file';
import { pattern, qemuCheck, rng, scratchDir } from '../testing/qemu';
import { openQcow2 } from './open';

const dir = scratchDir('crash');
const SIZE = 12 * 1024 * 1024;

/** A workload that allocates L2 tables, refcount blocks, grows the refcount table, and frees clusters. */
async function workload(disk: BlockBackend, seed: number): Promise<void> {
  const next = rng(seed);
  for (let i = 0; i < 60; i++) {
    const op = next(10);
    const offset = next(SIZE / 512 - 64) * 512 + next(2) * next(512);
    const length = 1 + next(48 * 1024);
    if (op < 6) await disk.write(offset, pattern(length, seed * 1000 + i));
    else if (op < 8) await disk.writeZeroes(offset, length);
    else if (op < 9) await disk.discard(offset, length);
    else await disk.flush();
  }
  // Enough fresh data to outgrow the first refcount table (8 MiB of 512-byte clusters).
  await disk.write(2 * 1024 * 1024, pattern(9 * 1024 * 1024, seed));
}

async function runUntilCrash(template: string, path: string, writeLimit: number, seed: number) {
  copyImage(template, path);
  const file = await CrashingFile.open(path, writeLimit);
  const disk = await openQcow2(path, {
    file,
    cache: 'writeback',
    openBacking: () => Promise.reject(new Error('no backing expected')),
  });
  let crashed = false;
  try {
    await workload(disk, seed);
    await disk.close();
  } catch (e) {
    if (!(e instanceof CrashError)) throw e;
    crashed = true;
    await file.close();
  }
  return { file, crashed };
}

describe('qcow2 crash consistency', () => {
  const seed = 17;
  const template = join(dir, 'template.qcow2');

  it('never leaves corruption, whichever write the crash interrupts', async () => {
    await createQcow2(template, { size: SIZE, clusterSize: 512 });
    const full = await runUntilCrash(template, join(dir, 'full.qcow2'), Number.MAX_SAFE_INTEGER, seed);
    expect(full.crashed).toBe(false);
    const total = full.file.writeCount;
    expect(total).toBeGreaterThan(1000);
    expect(qemuCheck(join(dir, 'full.qcow2')).status).toBe(0);

    const pick = rng(seed);
    const points = [1, 2, 3, total - 1, ...Array.from({ length: 24 }, () => 1 + pick(total - 1))];
    for (const [n, limit] of points.entries()) {
      const killed = join(dir, `killed-${n}.qcow2`);
      const { file, crashed } = await runUntilCrash(template, killed, limit, seed);
      expect(crashed, `crash at write ${limit}`).toBe(true);
      const afterKill = qemuCheck(killed);
      expect(afterKill.corruptions, `process killed at write ${limit}: ${afterKill.output}`).toBe(0);
      expect([0, 3]).toContain(afterKill.status);
      const ours = await checkImage(killed);
      expect(ours.corruptions).toEqual([]);
      expect(ours.leakedClusters, `leak count at write ${limit}`).toBe(afterKill.leaks);

      const cut = join(dir, `power-${n}.qcow2`);
      file.powerLossImage(cut, limit);
      const afterPowerLoss = qemuCheck(cut);
      expect(afterPowerLoss.corruptions, `power lost at write ${limit}: ${afterPowerLoss.output}`).toBe(0);
      expect([0, 3]).toContain(afterPowerLoss.status);
      // The image opens and takes writes again.
      const reopened = await openImage(cut);
      await reopened.write(0, new Uint8Array(4096).fill(1));
      await reopened.close();
    }
  });
});
