/**
 * A new VM's disks: a "create" request becomes a qcow2 image in the VM folder (disks/disk<N>.qcow2), an
 * "attach" request is checked to be a readable image of the format given and is kept by its absolute path.
 */
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { createImage, imageInfo } from '../../src-emu/block';
import type { NewDisk, VmDisk } from '../../src-shared/api/vm-config';
import { parseDiskSize } from '../../src-shared/api/vm-config';

/** Where created disks live, relative to the VM folder. */
export const DISKS_DIR = 'disks';

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

/** Creates the requested images in `vmDir` and returns the disks as the VM config lists them. */
export async function provideDisks(vmDir: string, requests: readonly NewDisk[]): Promise<VmDisk[]> {
  const disks: VmDisk[] = [];
  for (const [index, request] of requests.entries()) {
    if (request.kind === 'attach') {
      disks.push({ file: request.path, format: request.format, ...(request.readOnly ? { readOnly: true } : {}) });
      continue;
    }
    const size = parseDiskSize(request.size);
    if (size === null) throw new Error(`'${request.size}' is not a disk size (say 8G or 512M)`);
    const file = join(DISKS_DIR, `disk${index}.qcow2`);
    await mkdir(join(vmDir, DISKS_DIR), { recursive: true });
    await createImage(join(vmDir, file), { format: 'qcow2', size });
    disks.push({ file, format: 'qcow2' });
  }
  return disks;
}

/** A VM disk's path on this computer: created disks are named relative to the VM folder. */
export function diskPath(vmDir: string, disk: VmDisk): string {
  return isAbsolute(disk.file) ? disk.file : join(vmDir, disk.file);
}

function describeOpenError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied (it must be readable)';
  if (code === 'EISDIR') return 'it is a folder, not an image file';
  return error instanceof Error ? error.message : String(error);
}
