/**
 * The store with a running VirtMachine and a virtio-blk disk: a bare-metal program runs between snapshots
 * while the test writes disk contents through the disk's backend and marks RAM pages; snapshots keep an
 * incremental RAM chain; deleting one in the middle re-bases its RAM child; restoring each snapshot into the
 * machine brings back its RAM, its device state and (through the device's own backend) its disk.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pattern, scratchDir } from '../../block/testing/qemu';
import { VirtMachine, type VirtConfig } from '../../machine/virt';
import { machineConfigRecord } from '../machine-config';
import { readMetadataOnly, readSnapshot } from '../snapshot';
import { armEvents, GUEST_BIN, liveSectionViews, runToStop } from '../test-machine';
import { diffSectionViews } from '../diff';
import { applyToBackend, applyToModel, CLUSTER, DISK_SIZE, type DiskWrite } from './disk-model';
import { SnapshotStore } from './store';
import { expectFolderConsistent } from './store-fixture';

const scratch = scratchDir('store-machine');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const KERNEL = join(GUEST_BIN, 'timer.elf');
const RAM_PAGE = 2048;

interface Taken {
  readonly id: string;
  readonly disk: Uint8Array;
  readonly ram: Uint8Array;
  readonly devices: ReturnType<typeof liveSectionViews>;
}

describe('snapshots of a running machine with a virtio-blk disk', () => {
  it('take 6 (incremental RAM), delete the middle, restore each: RAM, devices and disk come back', async () => {
    const vm = join(scratch, 'vm');
    const store = await SnapshotStore.open(vm, { maxRamChain: 8 });
    await store.addDisk('hd0', { size: DISK_SIZE });
    const disks = await store.openDrives({ cache: 'unsafe' });
    const kernel = new Uint8Array(readFileSync(KERNEL));
    const config: VirtConfig = {
      memoryMiB: 32,
      cpus: 1,
      kernel,
      seed: new Uint32Array(10),
      clockMode: 'deterministic',
      icountShift: 3,
      noReboot: true,
      drives: disks.drives,
    };
    const machine = new VirtMachine(config);
    const record = machineConfigRecord(machine, config, { kernel: { path: KERNEL, bytes: kernel } });
    const disk = disks.backends[0]!;
    const model = new Uint8Array(DISK_SIZE);
    const taken: Taken[] = [];

    for (let k = 1; k <= 6; k++) {
      armEvents(machine, [k * 200_000], [k * 200_000]);
      expect(await runToStop(machine)).toBe(`event@${k * 200_000}`);
      const writes: DiskWrite[] = [
        { offset: k * CLUSTER, length: 10_000, seed: k },
        { offset: (k - 1) * CLUSTER, length: CLUSTER, seed: 0, zero: k % 2 === 0 },
      ];
      for (const w of writes) {
        await applyToBackend(disk, w);
        applyToModel(model, w);
      }
      const ram = machine.ram.ram!;
      ram.bytes.set(pattern(4096, 100 + k), (RAM_PAGE + k) * 4096);
      ram.markDirty((RAM_PAGE + k) * 4096, 4096);
      const s = await store.take({ name: `k${k}`, machine: { machine, config: record } });
      taken.push({ id: s.id, disk: model.slice(), ram: ram.bytes.slice(), devices: liveSectionViews(machine) });
    }

    // One full snapshot, then each against the one before: a chain of six files.
    const chainOf = async (id: string) => (await readSnapshot(store.statePath(id)!)).chain.length;
    expect(await chainOf(taken[5]!.id)).toBe(6);
    const meta = await readMetadataOnly(store.statePath(taken[2]!.id)!);
    expect(meta.disks).toEqual([{ id: 'hd0', image: `../disks/hd0/${store.snapshots[2]!.disks.hd0}` }]);

    // Delete k3: k4 stored its RAM against it and is rewritten against k2.
    const plan = await store.explainDelete(taken[2]!.id);
    expect(plan.ramRebased).toEqual([{ id: taken[3]!.id, to: taken[1]!.id }]);
    expect(plan.text).toContain('Snapshot “k4” stored its memory against this one: it is rewritten against “k2”.');
    await store.delete(taken[2]!.id);
    expect((await readMetadataOnly(store.statePath(taken[3]!.id)!)).parent?.id).toBe(taken[1]!.id);
    expect(await chainOf(taken[5]!.id)).toBe(5);
    const remaining = taken.filter((_, i) => i !== 2);

    // The disk clusters that differ between k2 and k5, from the state files' metadata.disks.
    const diff = await store.diff(taken[1]!.id, taken[4]!.id);
    const expected: number[] = [];
    for (let c = 0; c < DISK_SIZE / CLUSTER; c++) {
      const range = [c * CLUSTER, (c + 1) * CLUSTER] as const;
      if (Buffer.compare(taken[1]!.disk.subarray(...range), taken[4]!.disk.subarray(...range)) !== 0) expected.push(c);
    }
    expect(diff.disks).toEqual([{ disk: 'hd0', clusterSize: CLUSTER, clusters: expected }]);

    for (const s of [...remaining].reverse()) {
      await store.restore(s.id, machine);
      expect(Buffer.compare(machine.ram.ram!.bytes, s.ram), 'RAM').toBe(0);
      expect(diffSectionViews(liveSectionViews(machine), s.devices)).toEqual([]);
      const read = new Uint8Array(DISK_SIZE);
      await config.drives![0]!.backend.read(0, read); // what the virtio-blk device reads now
      expect(Buffer.compare(read, s.disk), 'disk').toBe(0);
    }

    // The machine runs on from a restored snapshot, on its new branch.
    armEvents(machine, [2_000_000], [2_000_000]);
    expect(await runToStop(machine)).toBe('event@2000000');
    await applyToBackend(disk, { offset: 0, length: 512, seed: 77 });
    const after = await store.take({ name: 'after', machine: { machine, config: record } });
    expect(after.parent).toBe(remaining[0]!.id);

    // A damaged state file is refused before anything changes: tree, disks and machine stay as they were.
    const victim = store.statePath(remaining[1]!.id)!;
    const bytes = readFileSync(victim);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(victim, bytes);
    const currentBefore = store.currentImage('hd0');
    const ramBefore = machine.ram.ram!.bytes.slice();
    await expect(store.restore(remaining[1]!.id, machine)).rejects.toThrow(/SHA-256 does not match/);
    expect(store.current.parent).toBe(after.id);
    expect(store.currentImage('hd0')).toBe(currentBefore);
    expect(Buffer.compare(machine.ram.ram!.bytes, ramBefore)).toBe(0);

    // The disks and the machine go together.
    await expect(store.take({ name: 'no machine' })).rejects.toThrow(/needs its paused machine/);
    await disks.close();
    await expect(store.take({ name: 'x', machine: { machine, config: record } })).rejects.toThrow(/not this store's/);
    await store.close();
    expectFolderConsistent(vm);
  }, 120_000);
});
