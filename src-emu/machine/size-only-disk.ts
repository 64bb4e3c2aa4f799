/** For board tests: a disk that is only a size, enough for virtio-blk's registers and slot placement. */
import type { VirtioBlockBackend } from '../hw/virtio/blk';

export const sizeOnlyDisk = (size: number): VirtioBlockBackend => ({
  size,
  readOnly: false,
  capabilities: { discard: false },
  read: async () => undefined,
  write: async () => undefined,
  flush: async () => undefined,
  discard: async () => undefined,
  writeZeroes: async () => undefined,
});
