/**
 * The service layer: what each API method does. Transports call these only through dispatch().
 *
 * Each client connection (the Electron window, a browser tab's WebSocket) gets a session: its own handlers,
 * an event sink, and the set of consoles it is attached to. State events reach every session; console output
 * reaches the sessions attached to that console of that VM.
 */
import type { ApiHandlers, EventSink, VmStatus, VmSummary } from '../../src-shared/api/contract';
import { base64ToBytes, bytesToBase64 } from '../../src-shared/api/bytes';
import { SERIAL_CONSOLE } from '../../src-shared/api/vm-config';
import type { SnapshotListing, SnapshotResult } from '../../src-shared/api/snapshots';
import type { LibraryStore } from '../store/library-store';
import type { VmSettings } from '../../src-shared/api/vm-config';
import { peekSnapshotTree } from '../../src-emu/snapshot/store/store';
import { GUEST_CATALOG, prepareGuest } from '../guests/guest-catalog';
import type { VmHost, VmStatus as HostStatus } from '../vm/vm-host';

export interface FilePickOptions {
  readonly title: string;
  readonly defaultPath?: string;
}

export interface ServiceContext {
  readonly store: LibraryStore;
  readonly host: VmHost;
  readonly transport: 'electron' | 'browser';
  readonly version: string;
  /** Where catalog guests are fetched to (the same cache as `orrery guest fetch`). */
  readonly guestCacheDir: string;
  /** The native file picker; absent in browser mode, where paths are typed in. */
  readonly pickFile?: (options: FilePickOptions) => Promise<string | null>;
}

export interface ApiSession {
  readonly handlers: ApiHandlers;
  /** The connection is gone: stop sending it events. */
  close(): void;
}

function toStatus(status: HostStatus): VmStatus {
  return { state: status.state, ...(status.reason ? { reason: status.reason } : {}) };
}

/** Why a running VM's settings cannot change, in the words the settings view shows. */
export function runningSettingsMessage(id: string, state: string): string {
  return (
    `'${id}' is ${state}: memory, CPUs and the boot source are the machine's hardware and are fixed while it ` +
    'exists. Stop it, change the settings, and start it again.'
  );
}

/**
 * A VM whose next start resumes a snapshot runs the machine that snapshot saved: its memory, CPUs, boot
 * source and consoles cannot change until then (its name can).
 */
async function refuseHardwareChangeBeforeResume(store: LibraryStore, id: string, settings: VmSettings): Promise<void> {
  const resume = (await peekSnapshotTree(store.vmDir(id)))?.current.resume ?? null;
  if (resume === null) return;
  const config = await store.read(id);
  const hardware = (c: VmSettings) => JSON.stringify([c.memoryMiB, c.cpus, c.boot, c.consoles ?? 0]);
  if (hardware(config) === hardware(settings)) return;
  throw new Error(
    `'${id}' resumes a snapshot at its next start, on the hardware that snapshot saved: start it first (or ` +
      'restore a snapshot of its disks only), then change memory, CPUs, boot source or consoles.',
  );
}

function withRuntime(summary: VmSummary, host: VmHost): VmSummary {
  if (summary.state === 'broken') return summary;
  const { resumes, ...rest } = summary;
  const status = toStatus(host.status(summary.id));
  // Only a stopped VM has a saved state to resume: a start consumes it.
  return { ...rest, ...status, ...(status.state === 'stopped' && resumes !== undefined ? { resumes } : {}) };
}

function listingOf(result: SnapshotResult): SnapshotListing {
  if (result.kind !== 'listing') throw new Error(`unexpected answer (${result.kind}) to a snapshot operation`);
  return result.listing;
}

export function openSession(ctx: ServiceContext, emit: EventSink): ApiSession {
  const { store, host } = ctx;
  /** Attached consoles as `vmId/console`. */
  const attached = new Set<string>();
  const key = (id: string, console = SERIAL_CONSOLE): string => `${id}/${console}`;
  const unsubscribe = [
    host.onState((id, status) => emit('vm.state', { id, status: toStatus(status) })),
    host.onSnapshotProgress((id, progress) => emit('snapshot.progress', { id, progress })),
    host.onConsole((chunk) => {
      if (attached.has(key(chunk.id, chunk.console))) {
        const data = bytesToBase64(chunk.bytes);
        emit('console.output', { id: chunk.id, console: chunk.console, offset: chunk.offset, data });
      }
    }),
  ];

  const handlers: ApiHandlers = {
    'app.info': async () => ({ version: ctx.version, transport: ctx.transport, storePath: store.root }),
    'vms.list': async () => (await store.list()).map((summary) => withRuntime(summary, host)),
    'vms.create': async (input) => {
      const config = await store.create(input);
      return { id: config.id, name: config.name, state: 'stopped', config };
    },
    'vms.delete': async (id, options) => {
      if (host.isActive(id)) throw new Error(`'${id}' is ${host.status(id).state}: stop it before deleting it`);
      const result = await store.remove(id, { keepFiles: options?.keepFiles ?? false });
      host.forget(id);
      return result;
    },
    'vms.update': async (id, settings) => {
      if (host.isActive(id)) throw new Error(runningSettingsMessage(id, host.status(id).state));
      await refuseHardwareChangeBeforeResume(store, id, settings);
      await store.update(id, settings);
      return withRuntime(await store.summarize(id), host);
    },
    'vms.start': async (id) => toStatus(await host.start(id)),
    'vms.pause': async (id) => toStatus(await host.pause(id)),
    'vms.resume': async (id) => toStatus(await host.resume(id)),
    'vms.reset': async (id) => toStatus(await host.reset(id)),
    'vms.powerOff': async (id) => toStatus(await host.powerOff(id)),
    'vms.forceStop': async (id) => toStatus(await host.forceStop(id)),
    'vms.inspect': async (id, query) => host.inspect(id, query),
    'vms.step': async (id, cpu) => host.step(id, cpu),
    'vms.traceConfigure': async (id, patterns) => {
      const state = await host.configureTrace(id, patterns);
      if (state.kind !== 'trace-events') throw new Error('unexpected answer to a trace configuration');
      return state;
    },
    'snapshots.list': async (id) => listingOf(await host.snapshot(id, { op: 'list' })),
    'snapshots.take': async (id, options) => listingOf(await host.snapshot(id, { op: 'take', ...options })),
    'snapshots.restore': async (id, snapshot) => listingOf(await host.snapshot(id, { op: 'restore', snapshot })),
    'snapshots.explainDelete': async (id, snapshot) => {
      const result = await host.snapshot(id, { op: 'explain-delete', snapshot });
      if (result.kind !== 'delete-plan') throw new Error(`unexpected answer (${result.kind}) to explain-delete`);
      return result.explanation;
    },
    'snapshots.delete': async (id, snapshot) => listingOf(await host.snapshot(id, { op: 'delete', snapshot })),
    'snapshots.rename': async (id, snapshot, options) =>
      listingOf(await host.snapshot(id, { op: 'rename', snapshot, ...options })),
    'snapshots.diff': async (id, a, b) => {
      const result = await host.snapshot(id, { op: 'diff', a, b });
      if (result.kind !== 'diff') throw new Error(`unexpected answer (${result.kind}) to diff`);
      return result.diff;
    },
    'guests.catalog': async () => [...GUEST_CATALOG],
    'guests.prepare': async (guest) =>
      prepareGuest(guest, { cacheDir: ctx.guestCacheDir, onProgress: (progress) => emit('guest.progress', progress) }),
    'console.attach': async (id, console) => {
      attached.add(key(id, console));
      const snapshot = host.consoleSnapshot(id, console);
      return { start: snapshot.start, end: snapshot.end, data: bytesToBase64(snapshot.bytes) };
    },
    'console.detach': async (id, console) => {
      attached.delete(key(id, console));
      return null;
    },
    'console.input': async (id, data, console) => {
      await host.consoleInput(id, base64ToBytes(data), console);
      return null;
    },
    'console.clear': async (id, console) => {
      host.clearConsole(id, console);
      return null;
    },
    'console.break': async (id, console) => {
      host.consoleBreak(id, console);
      return null;
    },
    'dialog.openFile': async (options) => {
      if (!ctx.pickFile) throw new Error('file pickers are only available in the desktop app; type the path');
      return ctx.pickFile(options);
    },
  };

  return {
    handlers,
    close: () => {
      for (const stop of unsubscribe) stop();
      attached.clear();
    },
  };
}
