/**
 * Test support for the snapshot store: a disk model (the bytes each state should hold), writes through a
 * real image, and QEMU's tools as the reference for every image of a VM folder.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { openImage } from '../../block';
import { applyToBackend, applyToModel, type DiskWrite } from './disk-model';
import { qemuCheck, qemuCompare, qemuImg } from '../../block/testing/qemu';

export { applyToBackend, applyToModel, CLUSTER, DISK_SIZE, type DiskWrite } from './disk-model';

/** Writes into an image file (opened for this write only). */
export async function writeImage(path: string, writes: readonly DiskWrite[], model?: Uint8Array): Promise<void> {
  const image = await openImage(path, { format: 'qcow2' });
  try {
    for (const w of writes) {
      await applyToBackend(image, w);
      if (model) applyToModel(model, w);
    }
  } finally {
    await image.close();
  }
}

export async function readImage(path: string): Promise<Uint8Array> {
  const image = await openImage(path, { readOnly: true });
  try {
    const out = new Uint8Array(image.size);
    await image.read(0, out);
    return out;
  } finally {
    await image.close();
  }
}

/** The image reads exactly `model` (ours and qemu-img compare against a raw copy of the model). */
export async function expectImageEquals(path: string, model: Uint8Array, scratch: string): Promise<void> {
  const got = await readImage(path);
  const firstDiff = got.findIndex((b, i) => b !== model[i]);
  expect(firstDiff, `${path} differs from the model at byte ${firstDiff}`).toBe(-1);
  const raw = join(scratch, `model-${process.pid}.raw`);
  writeFileSync(raw, model);
  const compared = qemuCompare(path, raw, '-f', 'qcow2', '-F', 'raw');
  expect(compared.status, compared.output).toBe(0);
}

/**
 * Every qcow2 file of every disk folder checks clean with qemu-img, and every chain opens in QEMU. With
 * `allowLeaks`, leaked clusters are accepted (what a process killed in the middle of a qcow2 write leaves,
 * by the block layer's design), corruption never.
 */
export function expectFolderConsistent(vmDir: string, options: { allowLeaks?: boolean } = {}): void {
  const disks = join(vmDir, 'disks');
  for (const disk of readdirSync(disks)) {
    for (const file of readdirSync(join(disks, disk)).filter((f) => f.endsWith('.qcow2'))) {
      const path = join(disks, disk, file);
      const check = qemuCheck(path);
      expect(check.corruptions, `${path}: ${check.output}`).toBe(0);
      expect(check.status, `${path}: ${check.output}`).toBe(options.allowLeaks && check.leaks > 0 ? 3 : 0);
      const chain = JSON.parse(qemuImg('info', '--backing-chain', '--output=json', path)) as {
        filename: string;
        'backing-filename'?: string;
      }[];
      const root = chain.findIndex((image) => image.filename.endsWith('root.qcow2'));
      expect(root, `${path}: its chain reaches the disk's root image`).toBeGreaterThanOrEqual(0);
      for (const image of chain.slice(0, root)) expect(image['backing-filename']).toMatch(/^(ov-.*|root)\.qcow2$/);
    }
  }
}
