/**
 * A new VM's disks, checked and then made in the VM folder's snapshot store, where snapshots freeze and
 * branch them.
 */
import { isAbsolute } from 'node:path';
import { imageInfo } from '../../src-emu/block';
import { SnapshotStore } from '../../src-emu/snapshot/store/store';
import type { NewDisk, VmDisk } from '../../src-shared/api/vm-config';
import { parseDiskSize } from '../../src-shared/api/vm-config';

/** Checks every attached image; throws a message naming the image and what is wrong with it. */
export async function checkAttachedDisks(requests: readonly NewDisk[]): Promise<void> {
  for (const request of requests) {
    if (request.kind !== 'attach') continue;
    const path = request.path;
    if (!isAbsolute(path)) throw new Error(`the disk image path '${path}' must be absolute`);
    let format: string;
    try {
      format = (await imageInfo(path)).format;
    } catch (error) {
      throw new Error(`cannot attach the disk image '${path}': ${describeOpenError(error)}`);
    }
    if (format !== request.format) {
      throw new Error(`cannot attach the disk image '${path}': it is a ${format} image, not ${request.format}`);
    }
  }
}

/**
 * Gives a new VM its disks in its folder's snapshot store (src-emu/snapshot/store): a "create" request
 * becomes an empty disk of that size, an "attach" request a disk that starts as a copy-on-write view of the
 * image (which is only read from then on). Returns the disks as the VM config lists them.
 */
export async function provideDisks(vmDir: string, requests: readonly NewDisk[]): Promise<VmDisk[]> {
  if (requests.length === 0) return [];
  const disks: VmDisk[] = [];
  const store = await SnapshotStore.open(vmDir);
  try {
    for (const [index, request] of requests.entries()) {
      const name = `disk${index}`;
      if (request.kind === 'attach') {
        await store.addDisk(name, { image: request.path, format: request.format });
        const origin = { kind: 'image', path: request.path, format: request.format } as const;
        disks.push({ name, origin, ...(request.readOnly ? { readOnly: true } : {}) });
        continue;
      }
      const bytes = parseDiskSize(request.size);
      if (bytes === null) throw new Error(`'${request.size}' is not a disk size (say 8G or 512M)`);
      await store.addDisk(name, { size: bytes });
      disks.push({ name, origin: { kind: 'empty', bytes } });
    }
  } finally {
    await store.close();
  }
  return disks;
}

function describeOpenError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied (it must be readable)';
  if (code === 'EISDIR') return 'it is a folder, not an image file';
  return error instanceof Error ? error.message : String(error);
}
