/**
 * A VM's configuration as stored in its folder (vm.json). Versioned: a newer file than this build understands
 * is reported as such, never rewritten.
 */
import { z } from 'zod';

export const VM_CONFIG_VERSION = 1;

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

export const VmConfigSchema = z.object({
  version: z.literal(VM_CONFIG_VERSION),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
  name: z.string().trim().min(1, 'a name is required').max(80),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().optional(),
  boot: BootSourceSchema,
  memoryMiB: z.number().int().min(16, 'at least 16 MiB').max(16384, 'at most 16 GiB'),
  cpus: z.number().int().min(1).max(8),
});
export type VmConfig = z.infer<typeof VmConfigSchema>;

/** What the wizard sends to create a VM; the store fills in id and times. */
export const NewVmSchema = VmConfigSchema.pick({ name: true, boot: true, memoryMiB: true, cpus: true });
export type NewVm = z.infer<typeof NewVmSchema>;

/** What the settings view may change on a stopped VM: the same fields, checked by the same rules. */
export const VmSettingsSchema = NewVmSchema;
export type VmSettings = z.infer<typeof VmSettingsSchema>;
