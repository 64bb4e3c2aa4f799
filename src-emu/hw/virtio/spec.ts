/**
 * Numbers from the virtio specification (OASIS Virtual I/O Device (VIRTIO) Version 1.2) shared by the
 * transport, the split virtqueue and the devices. Section numbers refer to that document.
 */

/** Device status bits (2.1). */
export const VirtioStatus = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  DEVICE_NEEDS_RESET: 0x40,
  FAILED: 0x80,
} as const;

/** Reserved feature bits (6); bit numbers, 0..63. */
export const VirtioFeature = {
  /** Legacy only: notify when the available ring runs empty, even with interrupts suppressed. */
  NOTIFY_ON_EMPTY: 24,
  /** Legacy only: buffers may be framed any way (implied by VERSION_1). */
  ANY_LAYOUT: 27,
  RING_INDIRECT_DESC: 28,
  RING_EVENT_IDX: 29,
  VERSION_1: 32,
} as const;

/** Device IDs (5). 0 marks an empty transport: drivers skip it. */
export const VirtioDeviceId = {
  NONE: 0,
  BLOCK: 2,
  CONSOLE: 3,
  ENTROPY: 4,
} as const;

/** Interrupt status bits (4.2.2: InterruptStatus). */
export const VirtioInterrupt = {
  USED_BUFFER: 1,
  CONFIG_CHANGE: 2,
} as const;

/** Split virtqueue descriptor flags (2.7.5). */
export const VirtqDesc = {
  F_NEXT: 1,
  F_WRITE: 2,
  F_INDIRECT: 4,
  /** Bytes per descriptor: le64 addr, le32 len, le16 flags, le16 next. */
  SIZE: 16,
} as const;

/** Available-ring flag (2.7.6): the driver does not want used-buffer notifications. */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** Used-ring flag (2.7.8): the device does not want available-buffer notifications. */
export const VIRTQ_USED_F_NO_NOTIFY = 1;

/** The largest split-queue size (2.7: Queue Size is a power of 2, at most 32768). */
export const VIRTQ_MAX_SIZE = 32768;

/** A 64-bit feature set as two 32-bit halves (index 0: bits 0-31, index 1: bits 32-63). */
export type FeatureWords = readonly [number, number];

export function featureWord(bit: number): number {
  return bit >= 32 ? 1 : 0;
}

export function featureMask(bit: number): number {
  return (1 << (bit & 31)) >>> 0;
}

/** Builds a feature set from bit numbers. */
export function features(...bits: readonly number[]): [number, number] {
  const words: [number, number] = [0, 0];
  for (const bit of bits) words[featureWord(bit)] = (words[featureWord(bit)] | featureMask(bit)) >>> 0;
  return words;
}
