/**
 * A process that takes snapshots of a running VM folder over and over, for the kill test
 * (store-kill.test.ts kills it at random moments). Usage: take-loop.fixture.ts VM_DIR [churn]
 *
 * It opens the store (finishing what the last killed process left), builds a machine on the store's disks,
 * resumes the newest snapshot into it (so RAM and disks continue across processes), then for N = 1, 2, ...
 * (numbered after the snapshots already there) writes take N's disk and RAM changes (takeWrites) and takes
 * snapshot "take N", printing "took N" once it returns. With `churn`, each take is followed by the delete
 * of one between the first and the newest once there are three (merging overlays and re-basing RAM), printing "deleted".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtMachine, type VirtConfig } from '../../machine/virt';
import { machineConfigRecord } from '../machine-config';
import { SnapshotStore } from './store';
import { applyToBackend, RAM_PAGE_BASE, takeWrites } from './disk-model';

const [vmDir, mode] = process.argv.slice(2);
if (vmDir === undefined) throw new Error('usage: take-loop.fixture.ts VM_DIR [churn]');

const KERNEL = join(import.meta.dirname, '..', '..', '..', 'test', 'guest', 'bin', 'timer.elf');
const kernel = new Uint8Array(readFileSync(KERNEL));

const store = await SnapshotStore.open(vmDir);
const { drives, backends } = await store.openDrives({ cache: 'unsafe' });
const config: VirtConfig = { memoryMiB: 32, cpus: 1, kernel, seed: new Uint32Array(10), drives };
const machine = new VirtMachine(config);
const record = machineConfigRecord(machine, config, { kernel: { path: KERNEL, bytes: kernel } });
const newest = store.snapshots[store.snapshots.length - 1];
if (newest !== undefined) await store.restore(newest.id, machine);

const ram = machine.ram.ram!;
const numbers = store.snapshots.map((s) => Number(/^take (\d+)$/.exec(s.name)![1]));
for (let n = Math.max(0, ...numbers) + 1; ; n++) {
  const writes = takeWrites(n);
  for (const w of writes.disk) await applyToBackend(backends[0]!, w);
  ram.bytes.set(writes.ramPage, (RAM_PAGE_BASE + writes.ramPageIndex) * 4096);
  ram.markDirty((RAM_PAGE_BASE + writes.ramPageIndex) * 4096, 4096);
  await store.take({ name: `take ${n}`, machine: { machine, config: record } });
  process.stdout.write(`took ${n}\n`);
  const count = store.snapshots.length;
  if (mode === 'churn' && count >= 3) {
    await store.delete(store.snapshots[1 + (n % (count - 2))]!.id); // never the first or the newest
    process.stdout.write('deleted\n');
  }
}
