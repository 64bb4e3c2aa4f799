/**
 * The service layer: what each API method does. Transports call these only through dispatch().
 *
 * Each client connection (the Electron window, a browser tab's WebSocket) gets a session: its own handlers,
 * an event sink, and the set of consoles it is attached to. State events reach every session; console output
 * reaches the sessions attached to that VM.
 */
import type { ApiHandlers, EventSink, VmStatus, VmSummary } from '../../src-shared/api/contract';
import { base64ToBytes, bytesToBase64 } from '../../src-shared/api/bytes';
import type { LibraryStore } from '../store/library-store';
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

function withRuntime(summary: VmSummary, host: VmHost): VmSummary {
  if (summary.state === 'broken') return summary;
  return { ...summary, ...toStatus(host.status(summary.id)) };
}

export function openSession(ctx: ServiceContext, emit: EventSink): ApiSession {
  const { store, host } = ctx;
  const attached = new Set<string>();
  const unsubscribe = [
    host.onState((id, status) => emit('vm.state', { id, status: toStatus(status) })),
    host.onConsole((chunk) => {
      if (attached.has(chunk.id)) {
        emit('console.output', { id: chunk.id, offset: chunk.offset, data: bytesToBase64(chunk.bytes) });
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
    'vms.delete': async (id) => {
      if (host.isActive(id)) throw new Error(`'${id}' is ${host.status(id).state}: stop it before deleting it`);
      await store.remove(id);
      host.forget(id);
      return null;
    },
    'vms.start': async (id) => toStatus(await host.start(id)),
    'vms.pause': async (id) => toStatus(await host.pause(id)),
    'vms.resume': async (id) => toStatus(await host.resume(id)),
    'vms.reset': async (id) => toStatus(await host.reset(id)),
    'vms.powerOff': async (id) => toStatus(await host.powerOff(id)),
    'vms.forceStop': async (id) => toStatus(await host.forceStop(id)),
    'vms.inspect': async (id, kind) => host.inspect(id, kind),
    'console.attach': async (id) => {
      attached.add(id);
      const snapshot = host.consoleSnapshot(id);
      return { start: snapshot.start, end: snapshot.end, data: bytesToBase64(snapshot.bytes) };
    },
    'console.detach': async (id) => {
      attached.delete(id);
      return null;
    },
    'console.input': async (id, data) => {
      await host.consoleInput(id, base64ToBytes(data));
      return null;
    },
    'console.clear': async (id) => {
      host.clearConsole(id);
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
