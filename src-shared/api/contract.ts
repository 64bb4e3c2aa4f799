/**
 * The one typed service API between the UI and the app (DESIGN.md section 7). Both transports (Electron IPC
 * through the preload, WebSocket in browser mode) carry exactly these methods and events; every request,
 * answer and event is validated against these schemas on the receiving side.
 */
import { z } from 'zod';
import {
  InspectorRequestSchema,
  InspectorResultSchema,
  StepResultSchema,
  TraceEventInfoSchema,
  TracePatternSchema,
} from './inspector';
import { GuestCatalogEntrySchema, GuestIdSchema, GuestProgressSchema, PreparedGuestSchema } from './guests';
import { CONSOLE_ID, NewVmSchema, SERIAL_CONSOLE, VmConfigSchema, VmSettingsSchema } from './vm-config';
import {
  DeleteExplanationSchema,
  SnapshotDiffSchema,
  SnapshotListingSchema,
  SnapshotProgressSchema,
  SnapshotRequestSchema,
} from './snapshots';

/** 'broken': the VM's folder cannot be read (see `problem`); the others are power states. */
export const VmStateSchema = z.enum(['stopped', 'starting', 'running', 'paused', 'crashed', 'broken']);
export type VmState = z.infer<typeof VmStateSchema>;

/** A VM's power state after a power-control call, and why it stopped or crashed. */
export const VmStatusSchema = z.object({
  state: VmStateSchema.exclude(['broken']),
  reason: z.string().optional(),
});
export type VmStatus = z.infer<typeof VmStatusSchema>;

/** Console bytes as base64 (see bytes.ts). */
const Base64Schema = z.base64();

/** Most console input bytes one `console.input` call may carry (a paste is sent as several). */
export const CONSOLE_INPUT_CHUNK = 4096;
const ConsoleInputSchema = Base64Schema.max(Math.ceil(CONSOLE_INPUT_CHUNK / 3) * 4);

/**
 * Which console of a VM: 'serial0' is the serial port (PL011, Linux's ttyAMA0), 'hvc0', 'hvc1'... its virtio
 * console ports. Console methods without one mean the serial console.
 */
export const ConsoleIdSchema = z.string().regex(CONSOLE_ID, "a console: 'serial0' or 'hvc0'...'hvc9'");

/** What a client gets when it attaches to a console: the recent output and its stream positions. */
export const ConsoleSnapshotSchema = z.object({
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  data: Base64Schema,
});
export type ConsoleSnapshot = z.infer<typeof ConsoleSnapshotSchema>;

export const FilePickSchema = z.object({
  title: z.string().max(200),
  /** Pre-selected file or folder. */
  defaultPath: z.string().optional(),
});

export const VmSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  state: VmStateSchema,
  /** Present when the VM's folder could not be read: what is wrong with it. */
  problem: z.string().optional(),
  /** Why the VM last stopped or crashed, when known. */
  reason: z.string().optional(),
  /** The name of the snapshot a stopped VM's next start resumes (its saved state), when there is one. */
  resumes: z.string().optional(),
  config: VmConfigSchema.optional(),
});
export type VmSummary = z.infer<typeof VmSummarySchema>;

export const AppInfoSchema = z.object({
  version: z.string(),
  transport: z.enum(['electron', 'browser']),
  storePath: z.string(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

const VmId = z.string().min(1).max(64);

export const DeleteOptionsSchema = z.object({
  /** Keep the VM's other files (console log, later disks) in the library's kept/ folder; only vm.json goes. */
  keepFiles: z.boolean(),
});
export type DeleteOptions = z.infer<typeof DeleteOptionsSchema>;

export const DeleteResultSchema = z.object({
  /** Names of the files kept (empty when nothing was kept). */
  kept: z.array(z.string()),
  /** The folder now holding them, or null. */
  keptIn: z.string().nullable(),
});
export type DeleteResult = z.infer<typeof DeleteResultSchema>;

export const TraceStateSchema = z.object({
  kind: z.literal('trace-events'),
  patterns: z.array(z.string()),
  events: z.array(TraceEventInfoSchema),
});

const SnapshotId = z.string().min(1).max(64);
const takeOptions = SnapshotRequestSchema.options[1].omit({ op: true });
const renameOptions = SnapshotRequestSchema.options[5].omit({ op: true, snapshot: true });

/** Method name -> parameter tuple and result schemas. */
export const apiMethods = {
  'app.info': { params: z.tuple([]), result: AppInfoSchema },
  'vms.list': { params: z.tuple([]), result: z.array(VmSummarySchema) },
  'vms.create': { params: z.tuple([NewVmSchema]), result: VmSummarySchema },
  /** Deletes a stopped VM; with keepFiles its files other than vm.json are kept (and listed in the result). */
  'vms.delete': { params: z.tuple([VmId, DeleteOptionsSchema.optional()]), result: DeleteResultSchema },
  /** Changes a stopped VM's name, boot source, memory and CPUs (a running machine's hardware is fixed). */
  'vms.update': { params: z.tuple([VmId, VmSettingsSchema]), result: VmSummarySchema },
  'vms.start': { params: z.tuple([VmId]), result: VmStatusSchema },
  'vms.pause': { params: z.tuple([VmId]), result: VmStatusSchema },
  'vms.resume': { params: z.tuple([VmId]), result: VmStatusSchema },
  'vms.reset': { params: z.tuple([VmId]), result: VmStatusSchema },
  /** Stops the machine (the virt board has no ACPI button to ask the guest first). */
  'vms.powerOff': { params: z.tuple([VmId]), result: VmStatusSchema },
  /** Ends the VM's worker at once. */
  'vms.forceStop': { params: z.tuple([VmId]), result: VmStatusSchema },
  /** A read-only look inside a running or paused VM (a query object, or the kind of a parameterless one). */
  'vms.inspect': { params: z.tuple([VmId, InspectorRequestSchema]), result: InspectorResultSchema },
  /** Executes one instruction on a vCPU of a paused VM. */
  'vms.step': { params: z.tuple([VmId, z.number().int().min(0).max(7)]), result: StepResultSchema },
  /** Replaces the VM's trace patterns (e.g. ['pl011_*']); events then gather for `trace-records` queries. */
  'vms.traceConfigure': { params: z.tuple([VmId, z.array(TracePatternSchema).max(64)]), result: TraceStateSchema },
  /** The VM's snapshot tree with the current state, disks and sizes. */
  'snapshots.list': { params: z.tuple([VmId]), result: SnapshotListingSchema },
  /**
   * Snapshots a running or paused VM (machine state and disks; it is held still meanwhile), or a stopped
   * VM's disks; `snapshot.progress` events report the phases. Answers with the tree afterwards.
   */
  'snapshots.take': { params: z.tuple([VmId, takeOptions]), result: SnapshotListingSchema },
  /**
   * A running VM continues from the snapshot; a stopped one branches its disks from it and resumes its
   * machine state at the next start. The current state's unsaved changes are dropped (take a snapshot first).
   */
  'snapshots.restore': { params: z.tuple([VmId, SnapshotId]), result: SnapshotListingSchema },
  /** What deleting a snapshot would keep, merge and rewrite, in words; changes nothing. */
  'snapshots.explainDelete': { params: z.tuple([VmId, SnapshotId]), result: DeleteExplanationSchema },
  'snapshots.delete': { params: z.tuple([VmId, SnapshotId]), result: SnapshotListingSchema },
  'snapshots.rename': { params: z.tuple([VmId, SnapshotId, renameOptions]), result: SnapshotListingSchema },
  /** Device fields, RAM pages and disk clusters that differ between two snapshots. */
  'snapshots.diff': { params: z.tuple([VmId, SnapshotId, SnapshotId]), result: SnapshotDiffSchema },
  /** The guest catalog (resources/guests/catalog.json). */
  'guests.catalog': { params: z.tuple([]), result: z.array(GuestCatalogEntrySchema) },
  /**
   * Makes a catalog guest ready to boot, fetching it into the app's cache when needed; progress arrives as
   * `guest.progress` events on this connection.
   */
  'guests.prepare': { params: z.tuple([GuestIdSchema]), result: PreparedGuestSchema },
  /**
   * Starts `console.output` events for this console of the VM (default: serial) on this connection and
   * returns its scrollback.
   */
  'console.attach': { params: z.tuple([VmId, ConsoleIdSchema.optional()]), result: ConsoleSnapshotSchema },
  'console.detach': { params: z.tuple([VmId, ConsoleIdSchema.optional()]), result: z.null() },
  /** Resolves once the guest has taken the bytes: callers pace pastes by awaiting each chunk. */
  'console.input': { params: z.tuple([VmId, ConsoleInputSchema, ConsoleIdSchema.optional()]), result: z.null() },
  /** Forgets the scrollback kept for the console (the transcript on disk stays). */
  'console.clear': { params: z.tuple([VmId, ConsoleIdSchema.optional()]), result: z.null() },
  /**
   * Sends a break on the console's line (default: serial). Linux takes a break on its serial console as
   * SysRq: the next key within 5 seconds is the SysRq command (h: help).
   */
  'console.break': { params: z.tuple([VmId, ConsoleIdSchema.optional()]), result: z.null() },
  /** A native file picker (Electron only): the chosen path, or null when cancelled. */
  'dialog.openFile': { params: z.tuple([FilePickSchema]), result: z.string().nullable() },
} as const;

export type ApiMethod = keyof typeof apiMethods;
export type ApiParams<M extends ApiMethod> = z.input<(typeof apiMethods)[M]['params']>;
export type ApiResult<M extends ApiMethod> = z.output<(typeof apiMethods)[M]['result']>;

/** The API as the UI sees it: one async function per method. */
export type OrreryApi = {
  [M in ApiMethod]: (...params: ApiParams<M>) => Promise<ApiResult<M>>;
};

/** The implementation side: handlers receive validated (parsed) parameters. */
export type ApiHandlers = {
  [M in ApiMethod]: (...params: z.output<(typeof apiMethods)[M]['params']>) => Promise<ApiResult<M>>;
};

/** Wire format shared by both transports. */
export const RequestSchema = z.object({
  id: z.number().int().nonnegative(),
  method: z.string(),
  params: z.array(z.unknown()),
});
export type ApiRequest = z.infer<typeof RequestSchema>;

export type ApiResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export function isApiMethod(name: string): name is ApiMethod {
  return Object.hasOwn(apiMethods, name);
}

// ---- events (main -> UI) -----------------------------------------------------------------------------------

export const VmStateEventSchema = z.object({ id: z.string(), status: VmStatusSchema });
export const SnapshotProgressEventSchema = z.object({ id: z.string(), progress: SnapshotProgressSchema });
export const ConsoleOutputEventSchema = z.object({
  id: z.string(),
  console: ConsoleIdSchema.default(SERIAL_CONSOLE),
  /** Stream position of the first byte, to line chunks up with an attach snapshot. */
  offset: z.number().int().nonnegative(),
  data: Base64Schema,
});

/** Event name -> payload schema. State events go to every client; console output to attached ones. */
export const apiEvents = {
  'vm.state': VmStateEventSchema,
  'console.output': ConsoleOutputEventSchema,
  'guest.progress': GuestProgressSchema,
  /** Goes to every client, like state events: any view of the VM shows that it is being saved or restored. */
  'snapshot.progress': SnapshotProgressEventSchema,
} as const;

export type ApiEvent = keyof typeof apiEvents;
export type ApiEventPayload<E extends ApiEvent> = z.output<(typeof apiEvents)[E]>;

/** Wire format of an event on both transports. */
export const EventMessageSchema = z.object({ event: z.string(), payload: z.unknown() });
export type ApiEventMessage = { [E in ApiEvent]: { event: E; payload: ApiEventPayload<E> } }[ApiEvent];

/** Where the service layer sends events for one client connection. */
export type EventSink = <E extends ApiEvent>(event: E, payload: ApiEventPayload<E>) => void;

/** Validates an event message; null for anything that is not a known, well-formed event. */
export function parseEventMessage(raw: unknown): ApiEventMessage | null {
  const message = EventMessageSchema.safeParse(raw);
  if (!message.success || !Object.hasOwn(apiEvents, message.data.event)) return null;
  const event = message.data.event as ApiEvent;
  const payload = apiEvents[event].safeParse(message.data.payload);
  return payload.success ? ({ event, payload: payload.data } as ApiEventMessage) : null;
}
