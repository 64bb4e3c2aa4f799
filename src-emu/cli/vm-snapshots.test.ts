/**
 * Library VM snapshots on the command line, end to end through `main`: a VM folder with vm.json and a disk,
 * a snapshot taken by `run --vm --snapshot-on`, a disk-only one, restore (the next `run --vm` resumes and
 * finishes the program exactly as an uninterrupted run), list, rename, diff and delete.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { SnapshotStore } from '../snapshot/store/store';
import { expectFolderConsistent, writeImage } from '../snapshot/store/store-fixture';
import { main } from './main';

const folder = mkdtempSync(join(tmpdir(), 'orrery-vm-snapshots-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const TIMER_ELF = join(import.meta.dirname, '..', '..', 'test', 'guest', 'bin', 'timer.elf');

async function orrery(args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  const status = await main(args);
  vi.restoreAllMocks();
  return { status, out, err };
}

const text = (name: string) => readFileSync(join(folder, name), 'latin1');

function makeVm(id: string): string {
  const dir = join(folder, id);
  mkdirSync(dir);
  const config = {
    version: 1,
    id,
    name: 'Timer test',
    createdAt: new Date().toISOString(),
    boot: { kind: 'kernel', kernel: TIMER_ELF, append: '' },
    memoryMiB: 64,
    cpus: 1,
  };
  writeFileSync(join(dir, 'vm.json'), JSON.stringify(config));
  return dir;
}

interface Listing {
  snapshots: { id: string; name: string; hasMachineState: boolean; stateBytes: number; isCurrentParent: boolean }[];
  current: { parent: string | null; resume: string | null };
}

async function list(vm: string): Promise<Listing> {
  const r = await orrery(['snapshot', 'list', '--vm', vm, '--json']);
  expect(r.status, r.err).toBe(0);
  return JSON.parse(r.out) as Listing;
}

describe('orrery snapshot ... --vm / orrery run --vm', () => {
  it('takes a running VM snapshot, restores it, and the next run resumes it', async () => {
    const vm = makeVm('timer-vm');
    expect((await orrery(['snapshot', 'add-disk', '--vm', vm, 'hd0', '--size', '4M'])).status).toBe(0);
    const base = ['-no-reboot', '--icount', '3'];
    const whole = await orrery(['run', '--vm', vm, ...base, '-serial', `file:${join(folder, 'whole.txt')}`]);
    expect(whole.status, whole.err).toBe(0);
    expect(text('whole.txt')).toContain('DONE pass=');

    const first = await orrery([
      'run',
      '--vm',
      vm,
      ...base,
      '-serial',
      `file:${join(folder, 'first.txt')}`,
      '--snapshot-on',
      'PASS timer.gic_enabled',
      '--exit-after-snapshot',
    ]);
    expect(first.status, first.err).toBe(0);
    expect(first.err).toMatch(/snapshot [0-9a-f-]{36} taken/);
    let listing = await list(vm);
    expect(listing.snapshots).toHaveLength(1);
    const running = listing.snapshots[0]!;
    expect(running).toMatchObject({
      name: 'on "PASS timer.gic_enabled"',
      hasMachineState: true,
      isCurrentParent: true,
    });
    expect(running.stateBytes).toBeGreaterThan(0);

    // A disk-only snapshot of the stopped VM after writing to its disk.
    const store = await SnapshotStore.open(vm);
    await writeImage(store.currentImage('hd0'), [{ offset: 65536 * 3, length: 700, seed: 5 }]);
    await store.close();
    const took = await orrery(['snapshot', 'take', '--vm', vm, 'after a write', '--description', 'disk only']);
    expect(took.status, took.err).toBe(0);
    const diff = await orrery(['snapshot', 'diff', '--vm', vm, running.id, 'after a write']);
    expect(diff.out).toBe('disk hd0: 1 cluster(s) of 65536 bytes differ: 3\n');

    const restored = await orrery(['snapshot', 'restore', '--vm', vm, running.id.slice(0, 8)]);
    expect(restored.out).toContain('the next run --vm resumes it');
    listing = await list(vm);
    expect(listing.current).toMatchObject({ parent: running.id, resume: running.id });

    const second = await orrery(['run', '--vm', vm, '-serial', `file:${join(folder, 'second.txt')}`]);
    expect(second.status, second.err).toBe(0);
    expect(text('first.txt') + text('second.txt')).toBe(text('whole.txt'));
    expect((await list(vm)).current.resume).toBeNull();

    expect((await orrery(['snapshot', 'rename', '--vm', vm, 'after a write', 'written'])).status).toBe(0);
    const dry = await orrery(['snapshot', 'delete', '--vm', vm, running.id, '--dry-run']);
    expect(dry.out).toContain('Deleting snapshot “on "PASS timer.gic_enabled"”');
    expect(dry.out).toContain('(dry run: nothing was changed)');
    expect((await list(vm)).snapshots).toHaveLength(2);
    const deleted = await orrery(['snapshot', 'delete', '--vm', vm, running.id]);
    expect(deleted.status, deleted.err).toBe(0);
    expect((await list(vm)).snapshots.map((s) => s.name)).toEqual(['written']);
    const tree = await orrery(['snapshot', 'list', '--vm', vm]);
    expect(tree.out).toContain('written  (');
    expectFolderConsistent(vm);
  }, 120_000);

  it('refuses what the folder brings itself, and unknown snapshots, with clear messages', async () => {
    const vm = makeVm('refusals');
    const clash = await orrery(['run', '--vm', vm, '-kernel', TIMER_ELF]);
    expect(clash.status).toBe(2);
    expect(clash.err).toContain("--vm uses the VM folder's own configuration: drop --kernel");
    const missing = await orrery(['snapshot', 'restore', '--vm', vm, 'nope']);
    expect(missing.status).toBe(2);
    expect(missing.err).toContain("no snapshot 'nope'");
    const late = await orrery(['snapshot', 'add-disk', '--vm', vm, 'Bad Name', '--size', '1M']);
    expect(late.status).toBe(1);
    expect(late.err).toContain("disk name 'Bad Name'");
  });
});
