/**
 * The snapshot store on real qcow2 files, with a model of what each disk state must hold: take, list,
 * rename, restore (branches), delete (middle of a chain, branch points, the current state's parent), diff
 * and clean-up after a crash. QEMU's tools are the reference for every image (check, compare, info).
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createQcow2 } from '../../block';
import { pattern, qemuCompare, scratchDir } from '../../block/testing/qemu';
import { peekSnapshotTree, SnapshotStore } from './store';
import {
  CLUSTER,
  DISK_SIZE,
  expectFolderConsistent,
  expectImageEquals,
  writeImage,
  type DiskWrite,
} from './store-fixture';

const scratch = scratchDir('store');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;

/** A VM folder with one empty disk 'hd0', and the model of its current state. */
async function newVm(): Promise<{ store: SnapshotStore; vm: string; model: Uint8Array }> {
  const vm = join(scratch, `vm${folders++}`);
  const store = await SnapshotStore.open(vm);
  await store.addDisk('hd0', { size: DISK_SIZE });
  return { store, vm, model: new Uint8Array(DISK_SIZE) };
}

/**
 * Writes that touch cluster `n` (whole), part of cluster n+1, zero part of cluster n-2 and all of cluster
 * n-3 (a zero cluster over older data, which a merge must carry over as such).
 */
function writesFor(n: number): DiskWrite[] {
  return [
    { offset: n * CLUSTER, length: CLUSTER, seed: n * 7 + 1 },
    { offset: (n + 1) * CLUSTER + 1000, length: 3000, seed: n * 7 + 2 },
    { offset: Math.max(0, n - 2) * CLUSTER + 512, length: 4096, seed: 0, zero: true },
    ...(n >= 3 ? [{ offset: (n - 3) * CLUSTER, length: CLUSTER, seed: 0, zero: true }] : []),
  ];
}

async function write(store: SnapshotStore, model: Uint8Array, writes: readonly DiskWrite[]): Promise<void> {
  await writeImage(store.currentImage('hd0'), writes, model);
}

/** Restores every snapshot in turn and checks its disk against the model saved when it was taken. */
async function expectEverySnapshot(store: SnapshotStore, models: ReadonlyMap<string, Uint8Array>): Promise<void> {
  for (const s of store.snapshots) {
    await store.restore(s.id);
    await expectImageEquals(store.currentImage('hd0'), models.get(s.id)!, scratch);
    await expectImageEquals(store.snapshotImage(s.id, 'hd0'), models.get(s.id)!, scratch);
  }
  expectFolderConsistent(store.layout.vmDir);
}

describe('take, list, rename', () => {
  it('freezes the current overlay and continues on a new one; lists sizes; renames', async () => {
    const { store, vm, model } = await newVm();
    await write(store, model, writesFor(3));
    const first = await store.take({ name: 'first' });
    const frozen = store.snapshotImage(first.id, 'hd0');
    expect(store.currentImage('hd0')).not.toBe(frozen);
    await write(store, model, writesFor(5));
    await expectImageEquals(store.currentImage('hd0'), model, scratch);
    const second = await store.take({ name: 'second', description: 'after cluster 5' });
    expect(second.parent).toBe(first.id);

    const listing = await store.list();
    expect(listing.snapshots.map((s) => s.name)).toEqual(['first', 'second']);
    expect(listing.snapshots[0]!.children).toEqual([second.id]);
    expect(listing.snapshots[1]!.isCurrentParent).toBe(true);
    expect(listing.snapshots[0]!.diskBytes).toBeGreaterThanOrEqual(CLUSTER);
    expect(listing.snapshots[0]!.hasMachineState).toBe(false);
    expect(listing.totalBytes).toBeGreaterThan(listing.snapshots[0]!.diskBytes);

    await store.rename(first.id, '  base system ');
    expect((await peekSnapshotTree(vm))?.snapshots.map((s) => s.name)).toEqual(['base system', 'second']);
    await store.close();
    const reopened = await SnapshotStore.open(vm);
    expect(reopened.snapshots.map((s) => s.name)).toEqual(['base system', 'second']);
    await expect(reopened.rename(first.id, '   ')).rejects.toThrow(/1 to 120 characters/);
    expectFolderConsistent(vm);
    await reopened.close();
  });

  it('keeps one process per VM folder', async () => {
    const { store, vm } = await newVm();
    await expect(SnapshotStore.open(vm)).rejects.toThrow(/already open in this process/);
    await store.close();
    await (await SnapshotStore.open(vm)).close();
  });
});

describe('delete in the middle of a chain', () => {
  it('merges the deleted overlay into the next one: every other snapshot and the current state keep every byte', async () => {
    const { store, vm, model } = await newVm();
    const models = new Map<string, Uint8Array>();
    const ids: string[] = [];
    for (let k = 0; k < 5; k++) {
      await write(store, model, writesFor(k * 3 + 1));
      const s = await store.take({ name: `s${k}` });
      ids.push(s.id);
      models.set(s.id, model.slice());
    }
    await write(store, model, writesFor(20));
    const currentModel = model.slice();
    const overlaysBefore = readdirSync(join(vm, 'disks', 'hd0')).length;

    const plan = await store.explainDelete(ids[2]!);
    expect(plan.text).toContain('Deleting snapshot “s2”');
    expect(plan.text).toContain('merged into snapshot “s3”');
    expect(plan.diskSteps.map((d) => d.step.kind)).toEqual(['merge']);
    const frozenS2 = store.snapshotImage(ids[2]!, 'hd0');
    await store.delete(ids[2]!);

    expect(existsSync(frozenS2)).toBe(false);
    expect(readdirSync(join(vm, 'disks', 'hd0')).length).toBe(overlaysBefore - 1);
    expect(store.snapshots.find((s) => s.name === 's3')!.parent).toBe(ids[1]);
    // The current state first (restoring would replace it), then every remaining snapshot.
    await expectImageEquals(store.currentImage('hd0'), currentModel, scratch);
    expectFolderConsistent(vm);
    models.delete(ids[2]!);
    await expectEverySnapshot(store, models);

    // And the first and the last ones too.
    await store.delete(ids[0]!);
    await store.delete(ids[4]!);
    models.delete(ids[0]!);
    models.delete(ids[4]!);
    await expectEverySnapshot(store, models);
    await store.close();
  });

  it('deleting the snapshot the current state runs on merges into the current overlay', async () => {
    const { store, model } = await newVm();
    await write(store, model, writesFor(1));
    const a = await store.take({ name: 'a' });
    const atA = model.slice();
    await write(store, model, writesFor(2));
    const b = await store.take({ name: 'b' });
    await write(store, model, writesFor(4));
    const plan = await store.explainDelete(b.id);
    expect(plan.text).toContain('merged into the current state');
    await store.delete(b.id);
    expect(store.current.parent).toBe(a.id);
    await expectImageEquals(store.currentImage('hd0'), model, scratch);
    await expectEverySnapshot(store, new Map([[a.id, atA]]));
    await store.close();
  });
});

describe('branches', () => {
  it('restore an older snapshot, write, snapshot: each branch keeps its own contents', async () => {
    const { store, vm, model } = await newVm();
    await write(store, model, writesFor(1));
    const base = await store.take({ name: 'base' });
    const atBase = model.slice();
    await write(store, model, writesFor(6));
    const left = await store.take({ name: 'left' });
    const atLeft = model.slice();

    await store.restore(base.id);
    expect(store.current.parent).toBe(base.id);
    const right = atBase.slice();
    await write(store, right, writesFor(9));
    const rightSnap = await store.take({ name: 'right' });
    expect(rightSnap.parent).toBe(base.id);

    await store.restore(left.id);
    await expectImageEquals(store.currentImage('hd0'), atLeft, scratch);
    await store.restore(rightSnap.id);
    await expectImageEquals(store.currentImage('hd0'), right, scratch);
    const cmp = qemuCompare(store.snapshotImage(left.id, 'hd0'), store.snapshotImage(rightSnap.id, 'hd0'));
    expect(cmp.status).toBe(1);

    // The branch point's overlay is kept while two branches build on it ...
    const plan = await store.explainDelete(base.id);
    expect(plan.kept).toHaveLength(1);
    expect(plan.text).toContain('is kept: 2 branches build on it');
    await store.delete(base.id);
    expect(existsSync(join(vm, 'disks', 'hd0', plan.kept[0]!.file))).toBe(true);
    const models = new Map([
      [left.id, atLeft],
      [rightSnap.id, right],
    ]);
    await expectEverySnapshot(store, models);

    // ... and merged once only one branch is left.
    await store.restore(rightSnap.id);
    const planLeft = await store.explainDelete(left.id);
    expect(planLeft.text).toContain('removed: nothing builds on it');
    expect(planLeft.text).toContain('1 older overlay(s) no longer shared by branches are merged too');
    await store.delete(left.id);
    expect(existsSync(join(vm, 'disks', 'hd0', plan.kept[0]!.file))).toBe(false);
    await expectEverySnapshot(store, new Map([[rightSnap.id, right]]));
    await store.close();
  });
});

describe('two disks, one starting as an image elsewhere', () => {
  it('snapshots both together and never writes the outside image', async () => {
    const vm = join(scratch, `vm${folders++}`);
    const outside = join(scratch, `outside-${folders}.raw`);
    const start = pattern(DISK_SIZE, 99);
    writeFileSync(outside, start);
    const store = await SnapshotStore.open(vm);
    await store.addDisk('system', { image: outside });
    await store.addDisk('data', { size: DISK_SIZE });
    expect(store.diskNames).toEqual(['system', 'data']);
    const system = start.slice();
    const data = new Uint8Array(DISK_SIZE);
    await writeImage(store.currentImage('system'), writesFor(4), system);
    await writeImage(store.currentImage('data'), writesFor(8), data);
    const a = await store.take({ name: 'a' });
    const models = { system: system.slice(), data: data.slice() };
    await writeImage(store.currentImage('system'), writesFor(10), system);
    const b = await store.take({ name: 'b' });
    await store.delete(a.id);
    await store.restore(b.id);
    await expectImageEquals(store.currentImage('system'), system, scratch);
    await expectImageEquals(store.currentImage('data'), models.data, scratch);
    expect(Buffer.compare(readFileSync(outside), start)).toBe(0);
    await expect(store.addDisk('late', { size: DISK_SIZE })).rejects.toThrow(/before the first snapshot/);
    expectFolderConsistent(vm);
    await store.close();
  });
});

describe('diffDisks', () => {
  it('lists exactly the clusters whose bytes differ (model comparison as the reference)', async () => {
    const { store, model } = await newVm();
    await write(store, model, writesFor(2));
    const a = await store.take({ name: 'a' });
    const atA = model.slice();
    await write(store, model, [...writesFor(7), { offset: 2 * CLUSTER, length: CLUSTER, seed: 2 * 7 + 1 }]);
    const b = await store.take({ name: 'b' });
    const expected: number[] = [];
    for (let c = 0; c < DISK_SIZE / CLUSTER; c++) {
      const range = [c * CLUSTER, (c + 1) * CLUSTER] as const;
      if (Buffer.compare(atA.subarray(...range), model.subarray(...range)) !== 0) expected.push(c);
    }
    const [diff] = await store.diffDisks(a.id, b.id);
    expect(diff!.clusters).toEqual(expected);
    // Cluster 2 was rewritten with the same bytes: allocated again, but not a difference.
    expect(expected).not.toContain(2);
    expect((await store.diffDisks(a.id, a.id))[0]!.clusters).toEqual([]);
    await store.close();
  });
});

describe('restore without a machine and clean-up', () => {
  it('removes files a killed operation left unnamed, and refuses damaged trees by name', async () => {
    const { store, vm, model } = await newVm();
    await write(store, model, writesFor(1));
    const a = await store.take({ name: 'a' });
    const current = store.currentImage('hd0');
    await store.close();
    const stray = join(vm, 'disks', 'hd0', 'ov-zz-00000000.qcow2');
    await createQcow2(stray, { backing: { path: current.split('/').pop()!, format: 'qcow2' } });
    const cut = join(vm, 'disks', 'hd0', 'ov-zz-11111111.qcow2');
    writeFileSync(cut, 'QFI'); // a creation cut short
    const state = join(vm, 'snapshots', 's-zz-00000000.orrsnap');
    writeFileSync(state, 'partial');
    const reopened = await SnapshotStore.open(vm);
    expect(existsSync(stray) || existsSync(cut) || existsSync(state)).toBe(false);
    await expectImageEquals(reopened.currentImage('hd0'), model, scratch);
    expect(reopened.snapshots.map((s) => s.id)).toEqual([a.id]);
    await reopened.close();

    writeFileSync(join(vm, 'snapshots', 'tree.json'), '{"format":"orrery-snapshot-tree","version":9}');
    await expect(SnapshotStore.open(vm)).rejects.toThrow(/written by a newer Orrery/);
  });
});
