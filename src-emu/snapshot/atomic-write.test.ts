/**
 * Killing the saving process at any moment never damages the snapshot already on disk: a child process
 * saves to one path again and again and is killed (SIGKILL) at random times and at each write step; the
 * file is then read and fully verified.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSnapshot } from './snapshot';

const folder = mkdtempSync(join(tmpdir(), 'orrery-atomic-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const FIXTURE = join(import.meta.dirname, 'save-loop.fixture.ts');

interface Child {
  readonly pid: number;
  readonly saved: () => number;
  readonly waitForSave: (n: number) => Promise<void>;
  readonly kill: () => Promise<void>;
  readonly exited: Promise<NodeJS.Signals | null>;
}

function startChild(path: string, extra: string[] = []): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, path, ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    for (const match of chunk.toString().matchAll(/saved (\d+)/g)) last = Math.max(last, Number(match[1]));
    for (const w of waiters.filter((w) => last >= w.n)) w.resolve();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  return {
    pid: child.pid!,
    saved: () => last,
    waitForSave: (n) => (last >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    exited,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a save killed at any moment', () => {
  it('leaves the previous snapshot intact when killed at random times', async () => {
    const path = join(folder, 'random.orrsnap');
    for (let round = 0; round < 6; round++) {
      const child = startChild(path);
      await child.waitForSave(1);
      await sleep(Math.floor(Math.random() * 400));
      const printed = child.saved();
      await child.kill();
      const { file } = await readSnapshot(path);
      const n = Number(/^save (\d+)$/.exec(file.metadata.name)?.[1]);
      // The file is the last save reported, or the one whose rename landed just before the kill.
      expect(n === printed || n === printed + 1).toBe(true);
    }
  }, 120_000);

  it.each(['opened', 'wrote-piece-3', 'synced', 'renamed'])(
    'killed at write step %s: the file is the old snapshot or the new one, complete',
    async (step) => {
      const path = join(folder, `step-${step}.orrsnap`);
      const child = startChild(path, [step, '2']);
      expect(await child.exited).toBe('SIGKILL');
      const { file } = await readSnapshot(path);
      expect(file.metadata.name).toBe(step === 'renamed' ? 'save 2' : 'save 1');
    },
    60_000,
  );

  it('the next save removes the temporary files of killed saves', async () => {
    const path = join(folder, 'step-opened.orrsnap');
    const stale = () => readdirSync(folder).filter((name) => name.startsWith('.step-opened.orrsnap.'));
    expect(stale().length).toBe(1);
    const child = startChild(path);
    await child.waitForSave(1);
    await child.kill();
    expect(stale().filter((name) => !name.includes(`.${child.pid}.`))).toEqual([]);
  }, 60_000);
});
