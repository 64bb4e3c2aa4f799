/**
 * virtio-mmio register map (virtio 1.2, 4.2.2 for version 2; 4.2.4 for the legacy version 1 layout).
 * Offsets below 0x100 are 32-bit registers; the device configuration space starts at 0x100.
 */
import { defineRegisters } from '../../core/bits';

export const VIRTIO_MMIO_REGS = defineRegisters({
  MAGIC_VALUE: { offset: 0x000, access: 'r', reset: 0x74726976, doc: "MagicValue: 'virt'" },
  VERSION: { offset: 0x004, access: 'r', reset: 2, doc: 'Version: 2, or 1 for the legacy layout' },
  DEVICE_ID: { offset: 0x008, access: 'r', doc: 'DeviceID: 0 when no device is plugged in' },
  VENDOR_ID: { offset: 0x00c, access: 'r', reset: 0x554d4551, doc: "VendorID: 'QEMU', as QEMU's transport" },
  DEVICE_FEATURES: { offset: 0x010, access: 'r', doc: 'DeviceFeatures: the word DeviceFeaturesSel selects' },
  DEVICE_FEATURES_SEL: { offset: 0x014, access: 'w', doc: 'DeviceFeaturesSel' },
  DRIVER_FEATURES: { offset: 0x020, access: 'w', doc: 'DriverFeatures: the word DriverFeaturesSel selects' },
  DRIVER_FEATURES_SEL: { offset: 0x024, access: 'w', doc: 'DriverFeaturesSel' },
  GUEST_PAGE_SIZE: { offset: 0x028, access: 'w', doc: 'GuestPageSize (legacy only)' },
  QUEUE_SEL: { offset: 0x030, access: 'w', doc: 'QueueSel' },
  QUEUE_NUM_MAX: { offset: 0x034, access: 'r', doc: 'QueueNumMax: 0 for a queue that does not exist' },
  QUEUE_NUM: { offset: 0x038, access: 'w', doc: 'QueueNum: the queue size the driver uses' },
  QUEUE_ALIGN: { offset: 0x03c, access: 'w', doc: 'QueueAlign: used ring alignment (legacy only)' },
  QUEUE_PFN: { offset: 0x040, access: 'rw', doc: 'QueuePFN: ring address in guest pages (legacy only)' },
  QUEUE_READY: { offset: 0x044, access: 'rw', doc: 'QueueReady (version 2)' },
  QUEUE_NOTIFY: { offset: 0x050, access: 'w', doc: 'QueueNotify: index of a queue with new buffers' },
  INTERRUPT_STATUS: {
    offset: 0x060,
    access: 'r',
    doc: 'InterruptStatus',
    fields: { USED_BUFFER: 0, CONFIG_CHANGE: 1 },
  },
  INTERRUPT_ACK: { offset: 0x064, access: 'w', doc: 'InterruptACK: clears InterruptStatus bits' },
  STATUS: {
    offset: 0x070,
    access: 'rw',
    doc: 'Status: device status (2.1); writing 0 resets the device',
    fields: { ACKNOWLEDGE: 0, DRIVER: 1, DRIVER_OK: 2, FEATURES_OK: 3, DEVICE_NEEDS_RESET: 6, FAILED: 7 },
  },
  QUEUE_DESC_LOW: { offset: 0x080, access: 'w', doc: 'QueueDescLow (version 2)' },
  QUEUE_DESC_HIGH: { offset: 0x084, access: 'w', doc: 'QueueDescHigh (version 2)' },
  QUEUE_DRIVER_LOW: { offset: 0x090, access: 'w', doc: 'QueueDriverLow: available ring (version 2)' },
  QUEUE_DRIVER_HIGH: { offset: 0x094, access: 'w', doc: 'QueueDriverHigh (version 2)' },
  QUEUE_DEVICE_LOW: { offset: 0x0a0, access: 'w', doc: 'QueueDeviceLow: used ring (version 2)' },
  QUEUE_DEVICE_HIGH: { offset: 0x0a4, access: 'w', doc: 'QueueDeviceHigh (version 2)' },
  SHM_SEL: { offset: 0x0ac, access: 'w', doc: 'SHMSel: shared memory region (none here)' },
  SHM_LEN_LOW: { offset: 0x0b0, access: 'r', reset: 0xffffffff, doc: 'SHMLenLow: -1, no such region' },
  SHM_LEN_HIGH: { offset: 0x0b4, access: 'r', reset: 0xffffffff, doc: 'SHMLenHigh' },
  SHM_BASE_LOW: { offset: 0x0b8, access: 'r', reset: 0xffffffff, doc: 'SHMBaseLow' },
  SHM_BASE_HIGH: { offset: 0x0bc, access: 'r', reset: 0xffffffff, doc: 'SHMBaseHigh' },
  CONFIG_GENERATION: { offset: 0x0fc, access: 'r', doc: 'ConfigGeneration (version 2)' },
});

export type VirtioMmioRegister = Exclude<keyof typeof VIRTIO_MMIO_REGS, 'byOffset' | 'decodeFields' | 'list'>;

export const VIRTIO_MMIO_MAGIC = 0x74726976;
export const VIRTIO_MMIO_VENDOR = 0x554d4551;
/** Start of the device configuration space. */
export const VIRTIO_MMIO_CONFIG = 0x100;
/** Size of one transport's window on QEMU's virt board. */
export const VIRTIO_MMIO_SIZE = 0x200;

/** Registers only the legacy layout has, and those only version 2 has. */
export const LEGACY_ONLY: ReadonlySet<VirtioMmioRegister> = new Set([
  'GUEST_PAGE_SIZE',
  'QUEUE_ALIGN',
  'QUEUE_PFN',
] as const);
export const MODERN_ONLY: ReadonlySet<VirtioMmioRegister> = new Set([
  'QUEUE_READY',
  'QUEUE_DESC_LOW',
  'QUEUE_DESC_HIGH',
  'QUEUE_DRIVER_LOW',
  'QUEUE_DRIVER_HIGH',
  'QUEUE_DEVICE_LOW',
  'QUEUE_DEVICE_HIGH',
  'SHM_SEL',
  'SHM_LEN_LOW',
  'SHM_LEN_HIGH',
  'SHM_BASE_LOW',
  'SHM_BASE_HIGH',
  'CONFIG_GENERATION',
] as const);

const BY_OFFSET: ReadonlyMap<number, VirtioMmioRegister> = new Map(
  VIRTIO_MMIO_REGS.list().map((r) => [r.offset, r.name as VirtioMmioRegister]),
);

export type DecodedOffset =
  | { readonly kind: 'register'; readonly name: VirtioMmioRegister }
  | { readonly kind: 'config' }
  | { readonly kind: 'unknown' };

const UNKNOWN: DecodedOffset = { kind: 'unknown' };
const CONFIG: DecodedOffset = { kind: 'config' };
const DECODED: ReadonlyMap<number, DecodedOffset> = new Map(
  [...BY_OFFSET].map(([offset, name]) => [offset, { kind: 'register', name } as const]),
);

/** What an offset in the window is; shared objects, so MMIO dispatch allocates nothing. */
export function decodeOffset(offset: number): DecodedOffset {
  if (offset >= VIRTIO_MMIO_CONFIG) return CONFIG;
  return DECODED.get(offset) ?? UNKNOWN;
}
