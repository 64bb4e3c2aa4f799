/**
 * The message protocol between the app's main process and a VM worker (one worker thread per running VM).
 *
 * Both directions are described by schemas and every message is validated where it is received: the worker
 * checks commands before acting on them, main checks reports before trusting them. Console bytes travel as
 * chunks with credit-based flow control, never one message per byte:
 * - output: the worker sends `console-output` chunks while fewer than its window of bytes are unacknowledged;
 *   main answers with `console-ack` once it has taken a chunk.
 * - input: main sends `console-input` chunks; the worker reports `console-consumed` (the running total of
 *   input bytes the guest's UART has taken), so main releases more only as the guest reads.
 * Each of these names its console ('serial0' for the PL011, 'hvc0'... for virtio console ports); without
 * one it is the serial console.
 */
import { z } from 'zod';
import {
  InspectorQuerySchema,
  InspectorResultSchema,
  StepResultSchema,
  TracePatternSchema,
} from '../../src-shared/api/inspector';
import { SnapshotProgressSchema, SnapshotRequestSchema, SnapshotResultSchema } from '../../src-shared/api/snapshots';
import { CONSOLE_ID, MAX_VIRTIO_CONSOLES, SERIAL_CONSOLE } from '../../src-shared/api/vm-config';

export type {
  CpuRegisters,
  DeviceNode,
  InspectorQuery,
  InspectorQueryKind,
  InspectorResult,
  ParsedInspectorQuery,
  StepResult,
} from '../../src-shared/api/inspector';

export const WORKER_PROTOCOL_VERSION = 4;

/** Which console a console message is about; the serial console when absent. */
export const ConsoleIdSchema = z.string().regex(CONSOLE_ID).default(SERIAL_CONSOLE);

/** What a request (query, step, trace configuration) answers with. */
export const WorkerAnswerSchema = z.union([
  InspectorResultSchema,
  z.object({ kind: z.literal('step'), step: StepResultSchema }),
  z.object({ kind: z.literal('snapshot'), result: SnapshotResultSchema }),
]);
export type WorkerAnswer = z.infer<typeof WorkerAnswerSchema>;

/** Largest console input chunk main may send in one message. */
export const MAX_INPUT_CHUNK = 64 * 1024;

/** Where the machine boots from; file paths are read by the worker itself. */
export const WorkerBootSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('demo') }),
  z.object({
    kind: z.literal('kernel'),
    kernel: z.string().min(1),
    initrd: z.string().min(1).optional(),
    dtb: z.string().min(1).optional(),
    append: z.string().default(''),
  }),
]);

/**
 * The VM's folder: the worker opens its snapshot store (src-emu/snapshot/store) for the machine's disks and
 * snapshots, and resumes the snapshot a restore left marked for the next start.
 */
export const WorkerFolderSchema = z.object({
  dir: z.string().min(1),
  /** Disks the guest sees as read-only devices, by name. */
  readOnlyDisks: z.array(z.string()).max(8).default([]),
});

export const WorkerMachineConfigSchema = z.object({
  memoryMiB: z.number().int().min(16).max(16384),
  cpus: z.number().int().min(1).max(8),
  boot: WorkerBootSchema,
  /** Without a folder the machine has no disks and no snapshots. */
  folder: WorkerFolderSchema.optional(),
  /** Virtio console ports (hvc0, hvc1...) on a virtio-serial-device; none when absent. */
  consoles: z.number().int().min(0).max(MAX_VIRTIO_CONSOLES).optional(),
  /** Output bytes that may be in flight before main acknowledges them. */
  consoleWindow: z
    .number()
    .int()
    .min(256)
    .max(16 * 1024 * 1024)
    .default(64 * 1024),
});
export type WorkerMachineConfig = z.input<typeof WorkerMachineConfigSchema>;
/** The config as the worker sees it after validation (defaults filled in). */
export type MachineConfig = z.output<typeof WorkerMachineConfigSchema>;

const bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected a Uint8Array');

/** main -> worker */
export const WorkerCommandSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    protocol: z.literal(WORKER_PROTOCOL_VERSION),
    config: WorkerMachineConfigSchema,
  }),
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('resume') }),
  z.object({ type: z.literal('reset') }),
  /** Stop the machine now (the virt board has no ACPI power button a guest could be asked through). */
  z.object({ type: z.literal('power-off') }),
  z.object({
    type: z.literal('console-input'),
    console: ConsoleIdSchema,
    bytes: bytes.refine((b) => b.length <= MAX_INPUT_CHUNK),
  }),
  z.object({ type: z.literal('console-ack'), console: ConsoleIdSchema, count: z.number().int().nonnegative() }),
  /** A break condition on the console's line (the PL011 reads it as a break; SysRq on Linux). */
  z.object({ type: z.literal('console-break'), console: ConsoleIdSchema }),
  /** A read-only inspector query; answered by query-result or query-error with the same id. */
  z.object({ type: z.literal('query'), id: z.number().int().nonnegative(), query: InspectorQuerySchema }),
  /** Executes one instruction on a vCPU of the paused machine (answered like a query). */
  z.object({ type: z.literal('step'), id: z.number().int().nonnegative(), cpu: z.number().int().min(0).max(7) }),
  /** Replaces the trace patterns (QEMU's -trace list); answers with the events and patterns in force. */
  /** A snapshot operation on the VM's folder (answered like a query; progress reports meanwhile). */
  z.object({ type: z.literal('snapshot'), id: z.number().int().nonnegative(), request: SnapshotRequestSchema }),
  z.object({
    type: z.literal('trace-configure'),
    id: z.number().int().nonnegative(),
    patterns: z.array(TracePatternSchema).max(64),
  }),
]);
export type WorkerCommand = z.input<typeof WorkerCommandSchema>;

export const MachineStateSchema = z.enum(['starting', 'running', 'paused', 'stopped', 'crashed']);
export type MachineState = z.infer<typeof MachineStateSchema>;

/** worker -> main */
export const WorkerReportSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), state: MachineStateSchema, reason: z.string().optional() }),
  z.object({ type: z.literal('console-output'), console: ConsoleIdSchema, bytes }),
  /** Running total of the console's input bytes the guest has taken. */
  z.object({ type: z.literal('console-consumed'), console: ConsoleIdSchema, total: z.number().int().nonnegative() }),
  z.object({ type: z.literal('query-result'), id: z.number().int(), result: WorkerAnswerSchema }),
  z.object({ type: z.literal('query-error'), id: z.number().int(), error: z.string() }),
  /** Where the snapshot operation under way is. */
  z.object({ type: z.literal('snapshot-progress'), progress: SnapshotProgressSchema }),
  /** A command that failed validation or cannot be done in the current state. */
  z.object({ type: z.literal('command-error'), error: z.string() }),
]);
export type WorkerReport = z.infer<typeof WorkerReportSchema>;

export function parseCommand(raw: unknown): z.ZodSafeParseResult<z.output<typeof WorkerCommandSchema>> {
  return WorkerCommandSchema.safeParse(raw);
}

export function parseReport(raw: unknown): z.ZodSafeParseResult<WorkerReport> {
  return WorkerReportSchema.safeParse(raw);
}
