/**
 * Killing a process while it takes snapshots (and while it opens, recovers and restores) never damages the
 * VM folder: a child process takes snapshots of a machine in a loop and is killed (SIGKILL) at random
 * moments; after each kill the folder opens, every snapshot's disk matches the model byte for byte and its
 * state file's RAM matches too, qemu-img finds no corruption in any image (leaked clusters from a write cut
 * short are allowed, as the block layer promises), and nothing unnamed is left behind.
 */
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDir } from '../../block/testing/qemu';
import { readSnapshot } from '../snapshot';
import { DISK_SIZE, modelAfterTake, RAM_MODEL_BYTES, RAM_PAGE_BASE } from './disk-model';
import { SnapshotStore } from './store';
import { expectFolderConsistent, expectImageEquals } from './store-fixture';

const scratch = scratchDir('store-kill');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const FIXTURE = join(import.meta.dirname, 'take-loop.fixture.ts');

interface Child {
  readonly took: () => number;
  readonly deletes: () => number;
  readonly waitForTake: () => Promise<void>;
  readonly kill: () => Promise<NodeJS.Signals | null>;
}

function startChild(vmDir: string, mode: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, vmDir, ...mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last = 0;
  let deletes = 0;
  let waiter: (() => void) | null = null;
  child.stdout.on('data', (chunk: Buffer) => {
    for (const match of chunk.toString().matchAll(/took (\d+)/g)) last = Math.max(last, Number(match[1]));
    deletes += chunk.toString().split('deleted').length - 1;
    waiter?.();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  return {
    took: () => last,
    deletes: () => deletes,
    waitForTake: () => new Promise<void>((resolve) => (waiter = resolve)),
    kill: async () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function expectFolderMatchesModel(vmDir: string): Promise<number> {
  const store = await SnapshotStore.open(vmDir);
  try {
    const numbers = store.snapshots.map((s) => Number(/^take (\d+)$/.exec(s.name)?.[1]));
    // Snapshots are "take N" in increasing N (all of them, unless some were deleted).
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const [i, s] of store.snapshots.entries()) {
      const model = modelAfterTake(numbers[i]!);
      await expectImageEquals(store.snapshotImage(s.id, 'hd0'), model.disk, scratch);
      const loaded = await readSnapshot(store.statePath(s.id)!);
      const ram = loaded.ramImages.get(loaded.file.metadata.ram[0]!.name)!;
      const start = RAM_PAGE_BASE * 4096;
      expect(Buffer.compare(ram.subarray(start, start + RAM_MODEL_BYTES), model.ramPages), `RAM of ${s.name}`).toBe(0);
    }
    // A linear history: one overlay per snapshot, the current one, and the root; state files likewise.
    expect(readdirSync(join(vmDir, 'disks', 'hd0')).length).toBe(store.snapshots.length + 2);
    const files = readdirSync(join(vmDir, 'snapshots')).filter((f) => f !== '.lock');
    expect(files.sort()).toEqual([...store.snapshots.map((s) => s.stateFile!), 'tree.json'].sort());
    expectFolderConsistent(vmDir, { allowLeaks: true });
    return Math.max(0, ...numbers);
  } finally {
    await store.close();
  }
}

describe('a snapshot store killed at any moment', () => {
  it.each([
    ['taking snapshots', []],
    ['taking and deleting snapshots', ['churn']],
  ])(
    'keeps the tree and every existing snapshot consistent while %s',
    async (_what, mode) => {
      const vmDir = join(scratch, `vm-${mode.length}`);
      const store = await SnapshotStore.open(vmDir);
      await store.addDisk('hd0', { size: DISK_SIZE });
      await store.close();
      let count = 0;
      let deletes = 0;
      for (let round = 0; round < 6; round++) {
        const child = startChild(vmDir, mode);
        let printed: number;
        try {
          if (round % 2 === 0) await child.waitForTake(); // odd rounds may die before their first take
          await sleep(Math.floor(Math.random() * (mode.length > 0 ? 800 : 300)));
          printed = child.took();
        } finally {
          expect(await child.kill()).toBe('SIGKILL');
        }
        deletes += child.deletes();
        const now = await expectFolderMatchesModel(vmDir);
        // The newest take is the last reported, or one more (committed just before the kill).
        expect(now).toBeGreaterThanOrEqual(Math.max(count, printed));
        expect(now).toBeLessThanOrEqual(Math.max(count, printed) + 1);
        count = now;
      }
      expect(count).toBeGreaterThan(2);
      if (mode.length > 0) expect(deletes).toBeGreaterThan(0);
    },
    240_000,
  );
});
