/**
 * The console methods through the service layer over a real VmHost (demo guest with a virtio console):
 * a session gets output only for the consoles it attached, each event names its console, calls without a
 * console id mean the serial one, and `console.break` reaches the machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEventPayload } from '../../src-shared/api/contract';
import { bytesToBase64 } from '../../src-shared/api/bytes';
import { dispatch } from '../../src-shared/api/dispatch';
import { LibraryStore } from '../store/library-store';
import { VmHost } from '../vm/vm-host';
import { consoleContains, DEV_WORKER } from '../vm/test-host';
import { openSession, type ApiSession } from './handlers';

let root: string;
let host: VmHost;
let session: ApiSession;
const output: ApiEventPayload<'console.output'>[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'orrery-handlers-consoles-'));
  const store = new LibraryStore(root);
  host = new VmHost({ store, workerPath: DEV_WORKER });
  session = openSession(
    { store, host, transport: 'browser', version: 'test', guestCacheDir: join(root, 'c') },
    (e, p) => {
      if (e === 'console.output') output.push(p as ApiEventPayload<'console.output'>);
    },
  );
});
afterAll(async () => {
  session.close();
  await host.shutdown();
  await rm(root, { recursive: true, force: true });
});

describe('console methods with console ids', () => {
  it('routes output per console, defaults to serial, and sends a break', async () => {
    const h = session.handlers;
    const vm = await h['vms.create']({ name: 'Ports', boot: { kind: 'demo' }, memoryMiB: 64, cpus: 1, consoles: 1 });
    await h['vms.start'](vm.id);
    await consoleContains(host, vm.id, 'demo> ');

    // Attached to hvc0 only: the serial console's output is not sent to this session.
    expect(await h['console.attach'](vm.id, 'hvc0')).toEqual({ start: 0, end: 0, data: '' });
    await h['console.input'](vm.id, bytesToBase64(new TextEncoder().encode('echo x\r')));
    await consoleContains(host, vm.id, 'x\r\ndemo> ');
    expect(output).toEqual([]);

    const snapshot = await h['console.attach'](vm.id);
    expect(snapshot.end).toBe(host.consoleSnapshot(vm.id).end);
    await h['console.input'](vm.id, bytesToBase64(new TextEncoder().encode('echo y\r')), 'serial0');
    await consoleContains(host, vm.id, 'y\r\ndemo> ', snapshot.end);
    expect(output.length).toBeGreaterThan(0);
    expect(output.every((event) => event.id === vm.id && event.console === 'serial0')).toBe(true);
    expect(output[0]!.offset).toBe(snapshot.end);

    expect(await h['console.break'](vm.id)).toBeNull();
    await expect(h['console.break'](vm.id, 'hvc3')).rejects.toThrow(/has no console 'hvc3'/);
    // The contract refuses what is not a console id before any handler runs.
    const bad = await dispatch(h, { id: 1, method: 'console.break', params: [vm.id, 'ttyS0'] });
    expect(bad).toMatchObject({ ok: false, error: expect.stringMatching(/console\.break/) });

    await h['console.detach'](vm.id);
    await h['console.detach'](vm.id, 'hvc0');
    await h['vms.powerOff'](vm.id);
  });
});
