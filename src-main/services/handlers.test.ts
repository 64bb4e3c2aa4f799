/**
 * Service handlers over a real VmHost (worker threads, demo guest): settings of a running VM are refused
 * with the reason, a stopped VM's settings change, deleting keeps files on request.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, ApiEventPayload } from '../../src-shared/api/contract';
import { LibraryStore } from '../store/library-store';
import { VmHost } from '../vm/vm-host';
import { openSession, type ApiSession } from './handlers';

let root: string;
let host: VmHost;
let session: ApiSession;
const events: { event: ApiEvent; payload: ApiEventPayload<ApiEvent> }[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'orrery-handlers-'));
  const store = new LibraryStore(root);
  host = new VmHost({ store, workerPath: new URL('../../src-emu/worker/dev-entry.mjs', import.meta.url) });
  session = openSession(
    { store, host, transport: 'browser', version: 'test', guestCacheDir: join(root, 'cache') },
    (event, payload) => events.push({ event, payload }),
  );
});
afterAll(async () => {
  session.close();
  await host.shutdown();
  await rm(root, { recursive: true, force: true });
});

/** Starts a VM through the handlers and waits for the demo guest's prompt. */
async function startToPrompt(id: string): Promise<void> {
  await session.handlers['vms.start'](id);
  while (!new TextDecoder().decode(host.consoleSnapshot(id).bytes).includes('demo> ')) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('VM settings and delete through the service layer', () => {
  it('refuses to change a running VM, explaining why, and changes it once stopped', async () => {
    const h = session.handlers;
    const vm = await h['vms.create']({ name: 'Box', boot: { kind: 'demo' }, memoryMiB: 64, cpus: 1 });
    await startToPrompt(vm.id);
    const bigger = { name: 'Box', boot: { kind: 'demo' as const }, memoryMiB: 128, cpus: 2 };
    await expect(h['vms.update'](vm.id, bigger)).rejects.toThrow(/'box' is running: memory, CPUs and the boot source/);
    await expect(h['vms.delete'](vm.id, { keepFiles: true })).rejects.toThrow(/stop it before deleting it/);
    await h['vms.powerOff'](vm.id);
    const updated = await h['vms.update'](vm.id, bigger);
    expect(updated).toMatchObject({ id: 'box', state: 'stopped', config: { memoryMiB: 128, cpus: 2 } });
    expect((await h['vms.list']())[0]?.config?.memoryMiB).toBe(128);

    await host.consoleLogFlushed(vm.id);
    const result = await h['vms.delete'](vm.id, { keepFiles: true });
    // The console transcript and the (empty) snapshot store the run opened are kept.
    expect(result.kept).toEqual(['console.log', 'disks', 'snapshots']);
    expect(await readdir(result.keptIn!)).toEqual(['console.log', 'disks', 'snapshots']);
    expect(await h['vms.list']()).toEqual([]);
  });

  it('keeps the hardware of a VM that resumes a snapshot at its next start, and allows renaming it', async () => {
    const h = session.handlers;
    const vm = await h['vms.create']({ name: 'Saved', boot: { kind: 'demo' }, memoryMiB: 64, cpus: 1 });
    await startToPrompt(vm.id);
    const listing = await h['snapshots.take'](vm.id, { name: 'running' });
    await h['vms.powerOff'](vm.id);
    await h['snapshots.restore'](vm.id, listing.snapshots[0]!.id);
    expect((await h['vms.list']()).find((v) => v.id === vm.id)).toMatchObject({ state: 'stopped', resumes: 'running' });

    const settings = { name: 'Saved', boot: { kind: 'demo' as const }, memoryMiB: 64, cpus: 1 };
    await expect(h['vms.update'](vm.id, { ...settings, memoryMiB: 128 })).rejects.toThrow(
      /resumes a snapshot at its next start/,
    );
    const renamed = await h['vms.update'](vm.id, { ...settings, name: 'Saved state' });
    expect(renamed).toMatchObject({ name: 'Saved state', resumes: 'running' });
    // Once it has resumed, the saved state is gone and the hardware is the VM's own again.
    expect((await h['vms.start'](vm.id)).state).toBe('running');
    expect((await h['vms.list']()).find((v) => v.id === vm.id)?.resumes).toBeUndefined();
    await h['vms.powerOff'](vm.id);
    expect((await h['vms.update'](vm.id, { ...settings, memoryMiB: 128 })).config?.memoryMiB).toBe(128);
  });

  it('sends fetch progress of a catalog guest to the session that asked', async () => {
    events.length = 0;
    const savedPath = process.env.PATH;
    process.env.PATH = join(root, 'no-tools');
    try {
      await expect(session.handlers['guests.prepare']('debian-arm64')).rejects.toThrow(/apt-get/);
    } finally {
      process.env.PATH = savedPath;
    }
    const progress = events.filter((e) => e.event === 'guest.progress').map((e) => e.payload);
    expect(progress.at(-1)).toMatchObject({ guest: 'debian-arm64', state: 'failed' });
  });
});
