/**
 * What the inspector can ask a running machine, and the shape of the answers: shared by the VM worker that
 * produces them, main that relays them and the UI that shows them. Every answer is plain JSON; 64-bit values
 * travel as hex strings so they stay exact.
 */
import { z } from 'zod';

/** The queries that take no parameters (the first inspector's API: `vms.inspect(id, 'registers')`). */
export const InspectorQueryKindSchema = z.enum([
  'devices',
  'memory-map',
  'registers',
  'interrupts',
  'performance',
  'trace-events',
  'trace-records',
]);
export type InspectorQueryKind = z.infer<typeof InspectorQueryKindSchema>;

/** 64-bit values are sent as 16 hex digits: exact, and how a register view shows them. */
const hex64 = z.string().regex(/^[0-9a-f]{16}$/);
/** An address typed by a user: up to 16 hex digits, with or without 0x. */
export const AddressInputSchema = z
  .string()
  .trim()
  .regex(/^(0x)?[0-9a-fA-F]{1,16}$/, 'an address is up to 16 hex digits, e.g. 0x40000000');
const CpuIndex = z.number().int().min(0).max(7);

/** Largest block the hex viewer reads at once. */
export const MAX_MEMORY_READ = 4096;
/** A trace pattern as `--trace` takes it: a glob over event names, '-' in front disables. */
export const TracePatternSchema = z
  .string()
  .trim()
  .regex(/^-?[A-Za-z0-9_*?]{1,64}$/, 'a pattern is an event name or a glob such as pl011_*');

export const InspectorQuerySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('devices') }),
  z.object({ kind: z.literal('memory-map') }),
  z.object({ kind: z.literal('registers') }),
  z.object({ kind: z.literal('interrupts') }),
  z.object({ kind: z.literal('performance') }),
  /** The declared trace events and the patterns in force. */
  z.object({ kind: z.literal('trace-events') }),
  /** The trace records gathered since the last such query (each record is delivered once). */
  z.object({ kind: z.literal('trace-records') }),
  /** One device's registers (decoded into fields, read without side effects) and its VMState fields. */
  z.object({ kind: z.literal('device'), path: z.string().min(1).max(200) }),
  z.object({
    kind: z.literal('memory'),
    space: z.enum(['physical', 'virtual']),
    address: AddressInputSchema,
    length: z.number().int().min(1).max(MAX_MEMORY_READ),
    /** Whose translation a virtual address goes through. */
    cpu: CpuIndex.default(0),
  }),
  /** The instructions around a vCPU's PC. */
  z.object({
    kind: z.literal('disassembly'),
    cpu: CpuIndex,
    before: z.number().int().min(0).max(64).default(8),
    after: z.number().int().min(0).max(64).default(16),
  }),
]);
export type InspectorQuery = z.input<typeof InspectorQuerySchema>;
export type ParsedInspectorQuery = z.output<typeof InspectorQuerySchema>;

/** `vms.inspect` takes a query object, or the kind alone for queries without parameters. */
export const InspectorRequestSchema = z
  .union([InspectorQueryKindSchema, InspectorQuerySchema])
  .transform((query): ParsedInspectorQuery => (typeof query === 'string' ? { kind: query } : query));

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
  /** Instructions this vCPU has executed since the machine was built. */
  instructions: z.number().nonnegative(),
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
  /** The device's VMState section, when it has one. */
  vmstate: z.object({ name: z.string(), version: z.number() }).nullable(),
  /** Whether the inspector can show its registers. */
  hasRegisters: z.boolean(),
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
  /** Where the line comes from on this board (e.g. /machine/uart0), when known. */
  source: z.string().optional(),
});
export type Interrupt = z.infer<typeof InterruptSchema>;

export const DecodedFieldSchema = z.object({
  name: z.string(),
  bits: z.string(),
  value: z.number(),
  doc: z.string(),
});

export const RegisterValueSchema = z.object({
  name: z.string(),
  offset: z.number().int(),
  width: z.number().int(),
  access: z.string(),
  doc: z.string(),
  /** Null for a write-only register (nothing to read). */
  value: z.number().nullable(),
  fields: z.array(DecodedFieldSchema),
});
export type RegisterValue = z.infer<typeof RegisterValueSchema>;

export const RegisterGroupSchema = z.object({
  title: z.string(),
  /** Guest physical address of offset 0, when the block is mapped. */
  base: z.number().nullable(),
  registers: z.array(RegisterValueSchema),
});
export type RegisterGroup = z.infer<typeof RegisterGroupSchema>;

/** One VMState field as core/vmstate.ts `describe` shows it. */
export interface StateField {
  name: string;
  type: string;
  value?: number | string | boolean | (number | string | boolean)[];
  children?: StateField[];
}
const ViewValue = z.union([z.number(), z.string(), z.boolean()]);
export const StateFieldSchema: z.ZodType<StateField> = z.lazy(() =>
  z.object({
    name: z.string(),
    type: z.string(),
    value: z.union([ViewValue, z.array(ViewValue)]).optional(),
    children: z.array(StateFieldSchema).optional(),
  }),
);

export const DevicePropSchema = z.object({ name: z.string(), value: z.string(), default: z.string(), doc: z.string() });

export const DeviceDetailSchema = z.object({
  path: z.string(),
  type: z.string(),
  props: z.array(DevicePropSchema),
  registerGroups: z.array(RegisterGroupSchema),
  /** Why registers are not shown, when they are not (e.g. no side-effect-free read). */
  registerNote: z.string().optional(),
  vmstate: z.object({ name: z.string(), version: z.number(), fields: z.array(StateFieldSchema) }).nullable(),
});
export type DeviceDetail = z.infer<typeof DeviceDetailSchema>;

export const MemoryRowSchema = z.object({
  address: hex64,
  /** The row's bytes as hex pairs; null where the address is not RAM or ROM (or not mapped). */
  bytes: z
    .string()
    .regex(/^([0-9a-f]{2})*$/)
    .nullable(),
});

export const DisassemblyLineSchema = z.object({
  address: hex64,
  /** The instruction word (8 hex digits), or null where the address cannot be read. */
  word: z.string().nullable(),
  text: z.string(),
  current: z.boolean(),
});
export type DisassemblyLine = z.infer<typeof DisassemblyLineSchema>;

export const PerformanceSampleSchema = z.object({
  /** Instructions executed by all vCPUs since the machine was built. */
  instructions: z.number().nonnegative(),
  /** Virtual time, ns. */
  virtualNs: z.number(),
  /** Host monotonic time in the worker, ms. */
  hostMs: z.number(),
  /** The worker thread's event-loop utilisation counters (performance.eventLoopUtilization), ms. */
  activeMs: z.number().nonnegative(),
  idleMs: z.number().nonnegative(),
  /** The worker's process CPU time (user + system), µs: shared by every thread of the process. */
  processCpuMicros: z.number().nonnegative(),
  paused: z.boolean(),
});
export type PerformanceSample = z.infer<typeof PerformanceSampleSchema>;

export const TraceEventInfoSchema = z.object({ name: z.string(), group: z.string(), enabled: z.boolean() });
export const TraceRecordSchema = z.object({
  /** Virtual time of the event, ns. */
  ns: z.number(),
  name: z.string(),
  group: z.string(),
  /** The arguments as QEMU's log shows them: `offset=0x0 value=0x41`. */
  args: z.string(),
});
export type TraceRecordView = z.infer<typeof TraceRecordSchema>;

export const StepResultSchema = z.object({
  cpu: z.number().int(),
  /** PC before and after the step. */
  from: hex64,
  pc: hex64,
  cause: z.string(),
});
export type StepResult = z.infer<typeof StepResultSchema>;

export const InspectorResultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('devices'), devices: z.array(DeviceNodeSchema), qtree: z.string() }),
  z.object({ kind: z.literal('memory-map'), entries: z.array(MemoryMapEntrySchema) }),
  z.object({ kind: z.literal('registers'), cpus: z.array(CpuRegistersSchema) }),
  z.object({ kind: z.literal('interrupts'), interrupts: z.array(InterruptSchema) }),
  z.object({ kind: z.literal('performance'), sample: PerformanceSampleSchema }),
  z.object({
    kind: z.literal('trace-events'),
    patterns: z.array(z.string()),
    events: z.array(TraceEventInfoSchema),
  }),
  z.object({
    kind: z.literal('trace-records'),
    records: z.array(TraceRecordSchema),
    /** Records lost since the last query because the ring was full. */
    dropped: z.number().int().nonnegative(),
  }),
  z.object({ kind: z.literal('device'), device: DeviceDetailSchema }),
  z.object({
    kind: z.literal('memory'),
    space: z.enum(['physical', 'virtual']),
    cpu: z.number().int(),
    address: hex64,
    rows: z.array(MemoryRowSchema),
  }),
  z.object({ kind: z.literal('disassembly'), cpu: z.number().int(), pc: hex64, lines: z.array(DisassemblyLineSchema) }),
]);
export type InspectorResult = z.infer<typeof InspectorResultSchema>;
export type InspectorAnswer<K extends InspectorResult['kind']> = Extract<InspectorResult, { kind: K }>;
