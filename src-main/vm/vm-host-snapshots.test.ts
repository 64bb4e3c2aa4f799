/**
 * Snapshots of library VMs through VmHost, on real worker threads running the demo guest with a qcow2 disk:
 * taken and restored while running (the worker holds the machine), resumed at the next start after a restore
 * while stopped, and listed, renamed, explained, deleted and diffed with the VM running or stopped.
 */
import { spawnSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SnapshotProgress } from '../../src-shared/api/snapshots';
import { consoleContains, useTestHost } from './test-host';

const PROMPT = 'demo> ';
const t = useTestHost('orrery-host-snapshots-');
const demoWithDisk = {
  boot: { kind: 'demo' as const },
  memoryMiB: 64,
  cpus: 1,
  disks: [{ kind: 'create' as const, size: '64M' }],
};

async function type(id: string, line: string): Promise<string> {
  const from = t.host.consoleSnapshot(id).end;
  await t.host.consoleInput(id, new TextEncoder().encode(`${line}\r`));
  return consoleContains(t.host, id, `\r\n${PROMPT}`, from);
}

/** The guest's tick count (100 Hz) as its `ticks` command prints it. */
async function ticks(id: string): Promise<number> {
  const output = await type(id, 'ticks');
  const match = /(\d+)/.exec(output.split('\r\n').slice(1).join('\n'));
  if (!match) throw new Error(`no tick count in ${JSON.stringify(output)}`);
  return Number(match[1]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function listing(id: string) {
  const result = await t.host.snapshot(id, { op: 'list' });
  if (result.kind !== 'listing') throw new Error(`unexpected ${result.kind}`);
  return result.listing;
}

describe('VmHost snapshots', () => {
  it('takes a running VM’s snapshot and restores it while running: the guest continues from that moment', async () => {
    const id = (await t.store.create({ name: 'Live', ...demoWithDisk })).id;
    const progress: SnapshotProgress[] = [];
    const off = t.host.onSnapshotProgress((vm, p) => vm === id && progress.push(p));
    await t.host.start(id);
    await consoleContains(t.host, id, PROMPT);

    const taken = await t.host.snapshot(id, { op: 'take', name: 'booted', description: 'at the prompt' });
    expect(taken.kind).toBe('listing');
    const [snap] = (await listing(id)).snapshots;
    expect(snap).toMatchObject({ name: 'booted', description: 'at the prompt', hasMachineState: true });
    expect(snap!.isCurrentParent).toBe(true);
    expect(progress.map((p) => p.phase)).toEqual(['pausing', 'saving', 'done']);
    expect(t.host.status(id).state).toBe('running'); // held only while saving

    const atSnapshot = await ticks(id);
    await sleep(2500);
    const later = await ticks(id);
    expect(later).toBeGreaterThan(atSnapshot + 100); // > 1 s of guest time passed

    progress.length = 0;
    await t.host.snapshot(id, { op: 'restore', snapshot: snap!.id });
    expect(t.host.status(id).state).toBe('running');
    expect(progress.map((p) => p.phase)).toEqual(['pausing', 'loading', 'done']);
    const restored = await ticks(id);
    // Back at the snapshot's guest time: the 2.5 s that followed it are gone.
    expect(restored).toBeLessThan(later);
    expect(restored).toBeGreaterThanOrEqual(atSnapshot - 1);
    off();
    await t.host.powerOff(id);
  });

  it('restores while stopped: the disks branch and the next start resumes the machine state', async () => {
    const id = (await t.store.create({ name: 'Resume', ...demoWithDisk })).id;
    await t.host.start(id);
    await consoleContains(t.host, id, PROMPT);
    await type(id, 'echo before-snapshot');
    await t.host.snapshot(id, { op: 'take', name: 'running' });
    await t.host.powerOff(id);

    // Stopped: main opens the folder itself; a disk-only snapshot is taken.
    await t.host.snapshot(id, { op: 'take', name: 'cold' });
    let list = await listing(id);
    expect(list.snapshots.map((s) => [s.name, s.hasMachineState])).toEqual([
      ['running', true],
      ['cold', false],
    ]);
    const running = list.snapshots[0]!;
    const cold = list.snapshots[1]!;
    expect(cold.parent).toBe(running.id);

    await t.host.snapshot(id, { op: 'restore', snapshot: running.id });
    list = await listing(id);
    expect(list.current).toMatchObject({ parent: running.id, resume: running.id });

    const from = t.host.consoleSnapshot(id).end;
    await t.host.start(id);
    // Resumed, not booted: the prompt answers at once and no banner is printed again.
    expect(await type(id, 'echo resumed')).toContain('resumed');
    const since = new TextDecoder()
      .decode(t.host.consoleSnapshot(id).bytes)
      .slice(-(t.host.consoleSnapshot(id).end - from));
    expect(since).not.toContain('Orrery demo guest');
    expect((await listing(id)).current.resume).toBeNull(); // consumed by the start

    // A disk-only snapshot cannot replace the disks under a running guest.
    await expect(t.host.snapshot(id, { op: 'restore', snapshot: cold.id })).rejects.toThrow(/holds only disks/);
    await t.host.powerOff(id);
  });

  it('renames, explains, diffs and deletes; every overlay left is a consistent qcow2', async () => {
    const id = (await t.store.create({ name: 'Manage', ...demoWithDisk })).id;
    await t.host.start(id);
    await consoleContains(t.host, id, PROMPT);
    await t.host.snapshot(id, { op: 'take', name: 'a' });
    await type(id, 'echo something-changes');
    await t.host.snapshot(id, { op: 'take', name: 'b' });
    const [a, b] = (await listing(id)).snapshots;

    const renamed = await t.host.snapshot(id, { op: 'rename', snapshot: a!.id, name: 'first', description: 'd' });
    expect(renamed.kind === 'listing' && renamed.listing.snapshots[0]).toMatchObject({
      name: 'first',
      description: 'd',
    });

    const diff = await t.host.snapshot(id, { op: 'diff', a: a!.id, b: b!.id });
    if (diff.kind !== 'diff') throw new Error('expected a diff');
    expect(diff.diff.ram[0]!.pages).toBeGreaterThan(0);
    expect(diff.diff.devices.some((d) => d.section.includes('pl011'))).toBe(true);
    expect(diff.diff.disks.map((d) => d.disk)).toEqual(['disk0']);

    const plan = await t.host.snapshot(id, { op: 'explain-delete', snapshot: a!.id });
    expect(plan.kind === 'delete-plan' && plan.explanation.text).toMatch(/Deleting snapshot “first”/);
    // Deleting while running: the worker holds the machine while overlays merge under its disks.
    await t.host.snapshot(id, { op: 'delete', snapshot: a!.id });
    expect((await listing(id)).snapshots.map((s) => s.name)).toEqual(['b']);
    expect(await type(id, 'echo still-alive')).toContain('still-alive');
    await t.host.powerOff(id);

    const dir = join(t.store.vmDir(id), 'disks', 'disk0');
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.qcow2'))) {
      const check = spawnSync('qemu-img', ['check', join(dir, file)], { encoding: 'utf8' });
      expect(check.status, `${file}: ${check.stdout}${check.stderr}`).toBe(0);
    }
  });

  it('frees the VM folder when the worker is ended without closing it', async () => {
    const id = (await t.store.create({ name: 'Forced', ...demoWithDisk })).id;
    await t.host.start(id);
    await consoleContains(t.host, id, PROMPT);
    await t.host.forceStop(id);
    // The killed worker held the folder's lock; main can open the store at once, and so can a new worker.
    expect((await listing(id)).snapshots).toEqual([]);
    expect((await t.host.start(id)).state).toBe('running');
  });

  it('refuses snapshot operations on a VM that does not exist and names a snapshot that does not', async () => {
    await expect(t.host.snapshot('nowhere', { op: 'list' })).rejects.toThrow(/missing/);
    const id = (await t.store.create({ name: 'Empty', ...demoWithDisk })).id;
    await expect(t.host.snapshot(id, { op: 'restore', snapshot: 'nope' })).rejects.toThrow(/nope/);
  });
});
