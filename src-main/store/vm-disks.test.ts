import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { peekSnapshotTree } from '../../src-emu/snapshot/store/store';
import { LibraryStore } from './library-store';

let root: string;
let store: LibraryStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'orrery-disks-'));
  store = new LibraryStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const demo = { name: 'Disk VM', boot: { kind: 'demo' as const }, memoryMiB: 64, cpus: 1 };

/** What QEMU's own tool says about an image: the independent check of what the store created. */
function qemuImgInfo(path: string): { format: string; 'virtual-size': number } {
  return JSON.parse(execFileSync('qemu-img', ['info', '--output=json', path], { encoding: 'utf8' }));
}

/** The overlay a VM's disk writes now, from its snapshot tree. */
async function currentOverlay(id: string, disk: string): Promise<string> {
  const tree = await peekSnapshotTree(store.vmDir(id));
  return join(store.vmDir(id), 'disks', disk, tree!.current.disks[disk]!);
}

describe('LibraryStore disks', () => {
  it('creates a qcow2 disk of the requested size in the VM folder’s snapshot store', async () => {
    const config = await store.create({ ...demo, disks: [{ kind: 'create', size: '8G' }] });
    expect(config.disks).toEqual([{ name: 'disk0', origin: { kind: 'empty', bytes: 8 * 1024 ** 3 } }]);
    const info = qemuImgInfo(await currentOverlay(config.id, 'disk0'));
    expect(info.format).toBe('qcow2');
    expect(info['virtual-size']).toBe(8 * 1024 ** 3);
    expect((await store.read(config.id)).disks).toEqual(config.disks);
  });

  it('creates a 512M disk as 512 MiB', async () => {
    const config = await store.create({ ...demo, disks: [{ kind: 'create', size: '512M' }] });
    expect(qemuImgInfo(await currentOverlay(config.id, 'disk0'))['virtual-size']).toBe(512 * 1024 ** 2);
  });

  it('refuses a missing attached image with a message naming it, and makes no VM', async () => {
    const missing = join(root, 'nowhere.qcow2');
    await expect(
      store.create({ ...demo, disks: [{ kind: 'attach', path: missing, format: 'qcow2' }] }),
    ).rejects.toThrow(`cannot attach the disk image '${missing}': no such file`);
    expect(await store.list()).toEqual([]);
  });

  it('refuses an attached image of another format than the one given', async () => {
    const rawImage = join(root, 'plain.img');
    await writeFile(rawImage, new Uint8Array(1024 * 1024));
    await expect(
      store.create({ ...demo, disks: [{ kind: 'attach', path: rawImage, format: 'qcow2' }] }),
    ).rejects.toThrow(/it is a raw image, not qcow2/);
  });

  it('attaches an existing qcow2 made by qemu-img as a copy-on-write view that never writes it', async () => {
    const image = join(root, 'existing.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '64M']);
    const before = await readFile(image);
    const config = await store.create({
      ...demo,
      disks: [{ kind: 'attach', path: image, format: 'qcow2', readOnly: true }],
    });
    expect(config.disks).toEqual([
      { name: 'disk0', origin: { kind: 'image', path: image, format: 'qcow2' }, readOnly: true },
    ]);
    // The VM's overlay chain ends in the attached image (qemu-img follows it), which is unchanged.
    const chain = JSON.parse(
      execFileSync('qemu-img', ['info', '--backing-chain', '--output=json', await currentOverlay(config.id, 'disk0')], {
        encoding: 'utf8',
      }),
    ) as { filename: string }[];
    expect(chain.at(-1)!.filename).toBe(image);
    expect(await readFile(image)).toEqual(before);
  });

  it('refuses a relative attached path and a size that is not one', async () => {
    await expect(
      store.create({ ...demo, disks: [{ kind: 'attach', path: 'disk.img', format: 'raw' }] }),
    ).rejects.toThrow(/must be absolute/);
    await expect(store.create({ ...demo, disks: [{ kind: 'create', size: '8' }] })).rejects.toThrow(/8G or 512M/);
  });
});
