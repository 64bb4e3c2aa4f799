/**
 * Where a VM folder keeps its disks and snapshots:
 *
 *   <vm>/disks/<disk>/root.qcow2           the bottom of the disk's chain (empty, or an overlay on an image
 *                                          elsewhere); never written, never merged
 *   <vm>/disks/<disk>/ov-<t>-<r>.qcow2      overlays: each backs onto another of the folder (relative name)
 *   <vm>/snapshots/tree.json               the snapshot tree and the current state (tree.ts)
 *   <vm>/snapshots/s-<t>-<r>.orrsnap        machine states (container.ts), RAM incremental against a parent
 *   <vm>/snapshots/.lock                   the process that has the folder open
 *
 * Everything is relative inside the folder, so a VM folder can be moved or copied as a whole.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export const ROOT_IMAGE = 'root.qcow2';
export const STATE_FILE = /^s-[a-z0-9]+-[a-z0-9]+\.orrsnap$/;
/** Disk names: folder names that are safe everywhere and short enough for virtio-blk's 20-byte serial. */
export { DISK_NAME } from '../../../src-shared/api/vm-config';

export class StoreLayout {
  constructor(readonly vmDir: string) {}

  get snapshotsDir(): string {
    return join(this.vmDir, 'snapshots');
  }

  get disksDir(): string {
    return join(this.vmDir, 'disks');
  }

  get treePath(): string {
    return join(this.snapshotsDir, 'tree.json');
  }

  get lockPath(): string {
    return join(this.snapshotsDir, '.lock');
  }

  diskDir(disk: string): string {
    return join(this.disksDir, disk);
  }

  diskFile(disk: string, file: string): string {
    return join(this.diskDir(disk), file);
  }

  stateFile(file: string): string {
    return join(this.snapshotsDir, file);
  }

  /** A disk file as metadata.disks records it: relative to the snapshot files' folder. */
  diskRefFromSnapshots(disk: string, file: string): string {
    return `../disks/${disk}/${file}`;
  }
}

/** A new unique file name: `<prefix>-<time>-<random><extension>`. */
export function uniqueName(prefix: string, extension: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}${extension}`;
}
