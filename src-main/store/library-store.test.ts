import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LibraryStore } from './library-store';
import { defaultStorePath } from './paths';

let root: string;
let store: LibraryStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'orrery-store-'));
  store = new LibraryStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const demo = { name: 'My Demo', boot: { kind: 'demo' as const }, memoryMiB: 64, cpus: 1 };

describe('LibraryStore', () => {
  it('lists nothing when the library folder does not exist yet', async () => {
    expect(await store.list()).toEqual([]);
  });

  it('creates a VM folder with a validated, versioned vm.json and lists it', async () => {
    const config = await store.create(demo, new Date('2026-01-02T03:04:05Z'));
    expect(config.id).toBe('my-demo');
    const onDisk = JSON.parse(await readFile(join(root, 'vms', 'my-demo', 'vm.json'), 'utf8'));
    expect(onDisk).toEqual({ ...demo, version: 2, id: 'my-demo', createdAt: '2026-01-02T03:04:05.000Z' });
    const list = await store.list();
    expect(list.map((vm) => [vm.id, vm.name, vm.state])).toEqual([['my-demo', 'My Demo', 'stopped']]);
  });

  it('gives VMs with the same name distinct folders', async () => {
    await store.create(demo);
    const second = await store.create(demo);
    expect(second.id).toBe('my-demo-2');
  });

  it('refuses impossible settings with a message naming the field', async () => {
    await expect(store.create({ ...demo, memoryMiB: 1 })).rejects.toThrow(/memoryMiB[\s\S]*at least 16 MiB/);
    await expect(store.create({ ...demo, name: '  ' })).rejects.toThrow(/a name is required/);
    expect(await readdir(root)).toEqual([]);
  });

  it('shows a damaged config as a broken VM and still loads the others', async () => {
    await store.create(demo);
    await mkdir(join(root, 'vms', 'wrecked'));
    await writeFile(join(root, 'vms', 'wrecked', 'vm.json'), '{"version": 1, "id": ');
    await mkdir(join(root, 'vms', 'future'));
    await writeFile(join(root, 'vms', 'future', 'vm.json'), JSON.stringify({ version: 9, id: 'future' }));
    await mkdir(join(root, 'vms', 'empty'));
    const list = await store.list();
    const byId = Object.fromEntries(list.map((vm) => [vm.id, vm]));
    expect(byId['my-demo']?.state).toBe('stopped');
    expect(byId['wrecked']?.state).toBe('broken');
    expect(byId['wrecked']?.problem).toMatch(/vm\.json is not valid JSON/);
    expect(byId['future']?.problem).toMatch(/newer Orrery \(config version 9\)/);
    expect(byId['empty']?.problem).toMatch(/vm\.json is missing/);
  });

  it('reads a version 1 config without disks, and refuses one whose disks were plain image files', async () => {
    const v1 = { ...demo, version: 1, id: 'old', createdAt: '2026-01-02T03:04:05.000Z' };
    await mkdir(join(root, 'vms', 'old'), { recursive: true });
    await writeFile(join(root, 'vms', 'old', 'vm.json'), JSON.stringify(v1));
    expect(await store.read('old')).toEqual({ ...v1, version: 2 });
    const withDisks = { ...v1, id: 'old-disks', disks: [{ file: 'disks/disk0.qcow2', format: 'qcow2' }] };
    await mkdir(join(root, 'vms', 'old-disks'));
    await writeFile(join(root, 'vms', 'old-disks', 'vm.json'), JSON.stringify(withDisks));
    await expect(store.read('old-disks')).rejects.toThrow(/earlier Orrery whose disks were plain image files/);
  });

  it('detects a config copied into the wrong folder', async () => {
    const config = await store.create(demo);
    await mkdir(join(root, 'vms', 'copy'));
    await writeFile(join(root, 'vms', 'copy', 'vm.json'), JSON.stringify(config));
    await expect(store.read('copy')).rejects.toThrow(/names VM 'my-demo' but lives in folder 'copy'/);
  });

  it('removes a VM and refuses ids that could escape the library', async () => {
    await store.create(demo);
    await store.remove('my-demo');
    expect(await store.list()).toEqual([]);
    await expect(store.remove('../etc')).rejects.toThrow(/no VM/);
  });

  it('updates settings with the wizard schema, keeping id and creation time', async () => {
    const config = await store.create(demo);
    const updated = await store.update('my-demo', { ...demo, name: 'Bigger', memoryMiB: 256, cpus: 2 });
    expect(updated).toEqual({ ...config, name: 'Bigger', memoryMiB: 256, cpus: 2 });
    expect(await store.read('my-demo')).toEqual(updated);
    await expect(store.update('my-demo', { ...demo, memoryMiB: 8 })).rejects.toThrow(/at least 16 MiB/);
    await expect(store.update('my-demo', { ...demo, name: '  ' })).rejects.toThrow(/a name is required/);
    expect((await store.read('my-demo')).memoryMiB).toBe(256);
  });

  it('deletes keeping the files other than vm.json in kept/, out of the library listing', async () => {
    await store.create(demo);
    await writeFile(join(root, 'vms', 'my-demo', 'console.log'), 'hello\n');
    await writeFile(join(root, 'vms', 'my-demo', 'notes.txt'), 'n');
    const result = await store.remove('my-demo', { keepFiles: true }, new Date('2026-01-02T03:04:05.006Z'));
    expect(result).toEqual({
      kept: ['console.log', 'notes.txt'],
      keptIn: join(root, 'kept', 'my-demo-2026-01-02T03-04-05-006Z'),
    });
    expect(await readdir(result.keptIn!)).toEqual(['console.log', 'notes.txt']);
    expect(await readFile(join(result.keptIn!, 'console.log'), 'utf8')).toBe('hello\n');
    expect(await store.list()).toEqual([]);
    // Nothing to keep: the folder simply goes.
    await store.create(demo);
    expect(await store.remove('my-demo', { keepFiles: true })).toEqual({ kept: [], keptIn: null });
    expect(await readdir(join(root, 'vms'))).toEqual([]);
  });

  it('leaves no temporary files behind after writes', async () => {
    const config = await store.create(demo);
    await store.write({ ...config, name: 'Renamed' });
    expect(await readdir(join(root, 'vms', 'my-demo'))).toEqual(['vm.json']);
    expect((await store.read('my-demo')).name).toBe('Renamed');
  });
});

describe('defaultStorePath', () => {
  it('honours ORRERY_HOME over the platform folder', () => {
    expect(defaultStorePath({ ORRERY_HOME: '/x/y' }, 'linux')).toBe('/x/y');
  });
  it('uses the platform app-data folder', () => {
    expect(defaultStorePath({ XDG_DATA_HOME: '/data' }, 'linux')).toBe(join('/data', 'orrery'));
    expect(defaultStorePath({ APPDATA: 'C:/Users/u/AppData/Roaming' }, 'win32')).toBe(
      join('C:/Users/u/AppData/Roaming', 'Orrery'),
    );
    expect(defaultStorePath({}, 'darwin')).toMatch(/Library\/Application Support\/Orrery$/);
  });
});
