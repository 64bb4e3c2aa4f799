/**
 * What the inspector can ask a running machine, and the shape of the answers: shared by the VM worker that
 * produces them, main that relays them and the UI that shows them.
 */
import { z } from 'zod';

export const InspectorQueryKindSchema = z.enum(['devices', 'memory-map', 'registers', 'interrupts']);
export type InspectorQueryKind = z.infer<typeof InspectorQueryKindSchema>;

/** 64-bit values are sent as 16 hex digits: exact, and how a register view shows them. */
const hex64 = z.string().regex(/^[0-9a-f]{16}$/);

export const CpuRegistersSchema = z.object({
  index: z.number().int(),
  power: z.string(),
  sleeping: z.boolean(),
  pc: hex64,
  x: z.array(hex64).length(31),
  spEl0: hex64,
  spEl1: hex64,
  nzcv: z.string().regex(/^[NZCV-]{4}$/),
  daif: z.string().regex(/^[DAIF-]{4}$/),
  el: z.number().int(),
  spsel: z.number().int(),
});
export type CpuRegisters = z.infer<typeof CpuRegistersSchema>;

export const MemoryMapEntrySchema = z.object({
  start: z.number(),
  end: z.number(),
  region: z.string(),
  kind: z.enum(['ram', 'rom', 'mmio']),
  offset: z.number(),
});

export const DeviceNodeSchema = z.object({
  path: z.string(),
  type: z.string(),
  props: z.array(z.object({ name: z.string(), value: z.string() })),
  mmio: z.array(z.object({ name: z.string(), size: z.number(), mappedAt: z.number().nullable() })),
  irqs: z.array(z.object({ path: z.string(), level: z.boolean() })),
});
export type DeviceNode = z.infer<typeof DeviceNodeSchema>;

export const InterruptSchema = z.object({
  irq: z.number().int(),
  kind: z.enum(['sgi', 'ppi', 'spi']),
  cpu: z.number().int().nullable(),
  enabled: z.boolean(),
  pending: z.boolean(),
  active: z.boolean(),
  priority: z.number().int(),
  trigger: z.enum(['edge', 'level']),
  line: z.boolean(),
});

export const InspectorResultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('devices'), devices: z.array(DeviceNodeSchema), qtree: z.string() }),
  z.object({ kind: z.literal('memory-map'), entries: z.array(MemoryMapEntrySchema) }),
  z.object({ kind: z.literal('registers'), cpus: z.array(CpuRegistersSchema) }),
  z.object({ kind: z.literal('interrupts'), interrupts: z.array(InterruptSchema) }),
]);
export type InspectorResult = z.infer<typeof InspectorResultSchema>;
