/**
 * The machine a snapshot records is the machine it rebuilds: devices that are not disks (virtio-rng) come
 * back in their slots, so the device stream loads; old records without them read as machines without.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NullBackend } from '../core/chardev';
import { VirtioRng } from '../hw/virtio/rng';
import { VirtMachine, type VirtConfig } from '../machine/virt';
import { DEMO_GUEST } from '../cli/run';
import { machineConfigRecord, machineFromSnapshot } from './machine-config';
import { encodeMetadata, parseMetadata } from './metadata';
import { readMetadataOnly, saveSnapshot } from './snapshot';

const folder = mkdtempSync(join(tmpdir(), 'orrery-machine-config-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const hasRng = (machine: VirtMachine) => machine.virtio.some((t) => t.device instanceof VirtioRng);

let saved = 0;

async function savedDemo(rng: boolean, consoles: VirtConfig['consoles'] = []): Promise<string> {
  const kernel = new Uint8Array(readFileSync(DEMO_GUEST));
  const config: VirtConfig = { memoryMiB: 32, cpus: 1, kernel, rng, consoles, serial: new NullBackend() };
  const machine = new VirtMachine(config);
  const path = join(folder, `demo-${saved++}.orrsnap`);
  const record = machineConfigRecord(machine, config, { kernel: { path: DEMO_GUEST, bytes: kernel } });
  await saveSnapshot(machine, path, { name: 'fresh', config: record, mode: 'full' });
  return path;
}

describe('the machine configuration record', () => {
  it('records a virtio-rng device and rebuilds the machine with it', async () => {
    const path = await savedDemo(true);
    expect((await readMetadataOnly(path)).machine.rng).toBe(true);
    const restored = await machineFromSnapshot(path, new NullBackend());
    expect(hasRng(restored)).toBe(true);
  });

  it('rebuilds a machine without one when none was plugged', async () => {
    const path = await savedDemo(false);
    expect(hasRng(await machineFromSnapshot(path, new NullBackend()))).toBe(false);
  });

  it('records virtio console ports in device order and rebuilds them, given a backend for each', async () => {
    // Given as a named port first: the device puts console ports first, as QEMU's virtconsole/virtserialport.
    const path = await savedDemo(false, [
      { backend: new NullBackend(), name: 'org.example.agent', console: false },
      { backend: new NullBackend() },
    ]);
    expect((await readMetadataOnly(path)).machine.consoles).toEqual([
      { name: null, console: true },
      { name: 'org.example.agent', console: false },
    ]);
    const restored = await machineFromSnapshot(path, new NullBackend(), [], [new NullBackend(), new NullBackend()]);
    expect(restored.virtioConsole?.props).toMatchObject({ ports: 2, consoles: 1, names: ',org.example.agent' });
    await expect(machineFromSnapshot(path, new NullBackend())).rejects.toThrow(
      /has 2 virtio console port\(s\); 0 were given/,
    );
  });

  it('reads a record written before devices were recorded as a machine without virtio-rng or consoles', async () => {
    const meta = await readMetadataOnly(await savedDemo(false));
    const { rng: _rng, consoles: _consoles, ...oldMachine } = meta.machine;
    const old = parseMetadata(encodeMetadata({ ...meta, machine: oldMachine as typeof meta.machine }));
    expect(old.machine.rng).toBe(false);
    expect(old.machine.consoles).toEqual([]);
    expect(() => parseMetadata(encodeMetadata({ ...meta, machine: { ...meta.machine, rng: 'yes' as never } }))).toThrow(
      /machine\.rng/,
    );
  });
});
