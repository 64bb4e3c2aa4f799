/**
 * A VM's configuration as stored in its folder (vm.json). Versioned: a newer file than this build understands
 * is reported as such, never rewritten.
 */
import { z } from 'zod';

/** 2: disks live in the VM folder's snapshot store (version 1 named image files directly). */
export const VM_CONFIG_VERSION = 2;

/** What the VM boots: the built-in demo guest, or a Linux kernel with optional initrd and device tree. */
export const BootSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('demo') }),
  z.object({
    kind: z.literal('kernel'),
    kernel: z.string().min(1),
    initrd: z.string().min(1).optional(),
    dtb: z.string().min(1).optional(),
    append: z.string().default(''),
  }),
]);
export type BootSource = z.infer<typeof BootSourceSchema>;

/** Image formats a VM disk may have. */
export const DISK_FORMATS = ['qcow2', 'raw'] as const;
export type DiskFormat = (typeof DISK_FORMATS)[number];

/** A disk's name in its VM: the folder of its overlays (disks/<name>/) and the serial number the guest reads. */
export const DISK_NAME = /^[a-z0-9][a-z0-9_-]{0,19}$/;

/**
 * One disk of a VM, attached as a virtio block device in list order. Its data lives in the VM folder's
 * snapshot store as a chain of qcow2 overlays (snapshots freeze one and start the next); it started either
 * empty, or as a copy-on-write view of an image on this computer that is only read, never written.
 */
export const VmDiskSchema = z.object({
  name: z.string().regex(DISK_NAME, "a disk name: a-z, 0-9, '-' and '_' (at most 20)"),
  origin: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('empty'), bytes: z.number().int().positive() }),
    z.object({ kind: z.literal('image'), path: z.string().min(1), format: z.enum(DISK_FORMATS) }),
  ]),
  /** The guest sees a read-only device. */
  readOnly: z.boolean().optional(),
});
export type VmDisk = z.infer<typeof VmDiskSchema>;

/** More than the virt board's virtio-mmio slots would take with other devices is not useful. */
export const MAX_DISKS = 8;

const MIB = 1024 * 1024;
/** Largest disk the wizard creates (the qcow2 format itself allows far more). */
export const MAX_DISK_BYTES = 16 * 1024 * 1024 * MIB;
const DISK_SIZE = /^([1-9][0-9]{0,7})\s*([MG])(?:i?B)?$/i;

/** Bytes for a size as people write it ("8G", "512M"), or null when it is not one. */
export function parseDiskSize(text: string): number | null {
  const match = DISK_SIZE.exec(text.trim());
  if (!match) return null;
  const bytes = Number(match[1]) * (match[2]!.toUpperCase() === 'G' ? 1024 * MIB : MIB);
  return bytes <= MAX_DISK_BYTES ? bytes : null;
}

/** A disk the wizard asks for: a new qcow2 image of a size, or an existing image on this computer. */
export const NewDiskSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('create'),
    size: z
      .string()
      .trim()
      .refine((size) => parseDiskSize(size) !== null, 'a size like 8G or 512M (at most 16384G)'),
  }),
  z.object({
    kind: z.literal('attach'),
    path: z.string().trim().min(1, 'the path of the image is required'),
    format: z.enum(DISK_FORMATS),
    readOnly: z.boolean().optional(),
  }),
]);
export type NewDisk = z.infer<typeof NewDiskSchema>;

/** Most virtio console ports a VM may have (hvc0..hvc3); the serial port is always there. */
export const MAX_VIRTIO_CONSOLES = 4;

/** A console of a running VM: 'serial0' is the PL011 (ttyAMA0), 'hvc0'... the virtio console ports. */
export const CONSOLE_ID = /^(serial0|hvc[0-9])$/;
export const SERIAL_CONSOLE = 'serial0';

/** The consoles a VM with `virtioConsoles` virtio console ports has, serial first. */
export function consoleIds(virtioConsoles = 0): string[] {
  return [SERIAL_CONSOLE, ...Array.from({ length: virtioConsoles }, (_, i) => `hvc${i}`)];
}

export const VmConfigSchema = z.object({
  version: z.literal(VM_CONFIG_VERSION),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
  name: z.string().trim().min(1, 'a name is required').max(80),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().optional(),
  boot: BootSourceSchema,
  memoryMiB: z.number().int().min(16, 'at least 16 MiB').max(16384, 'at most 16 GiB'),
  cpus: z.number().int().min(1).max(8),
  disks: z.array(VmDiskSchema).max(MAX_DISKS).optional(),
  /** Virtio console ports (hvc0, hvc1...) besides the serial port; absent means none. */
  consoles: z.number().int().min(0).max(MAX_VIRTIO_CONSOLES).optional(),
});
export type VmConfig = z.infer<typeof VmConfigSchema>;

/** What the settings view may change on a stopped VM (its disks stay as they are). */
export const VmSettingsSchema = VmConfigSchema.pick({
  name: true,
  boot: true,
  memoryMiB: true,
  cpus: true,
  consoles: true,
});
export type VmSettings = z.infer<typeof VmSettingsSchema>;

/** What the wizard sends to create a VM: the settings and the disks to create or attach; the store fills in the rest. */
export const NewVmSchema = VmSettingsSchema.extend({ disks: z.array(NewDiskSchema).max(MAX_DISKS).optional() });
export type NewVm = z.infer<typeof NewVmSchema>;

/**
 * A version 1 config without disks reads as version 2 (nothing else changed). One with disks named image
 * files that are not in the snapshot store: it is refused with what to do, and its files are left alone.
 */
export function upgradeVmConfig(json: unknown, path: string): unknown {
  const config = json as { version?: unknown; disks?: unknown[] } | null;
  if (config === null || typeof config !== 'object' || config.version !== 1) return json;
  if (Array.isArray(config.disks) && config.disks.length > 0) {
    throw new Error(
      `${path} is from an earlier Orrery whose disks were plain image files: create the VM again and attach ` +
        'its disks/disk0.qcow2 as an existing image',
    );
  }
  return { ...config, version: VM_CONFIG_VERSION };
}
