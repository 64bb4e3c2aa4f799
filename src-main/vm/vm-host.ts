/**
 * Runs VMs: one worker thread per running VM (src-emu/worker), driven through its validated protocol.
 *
 * - A worker that crashes, throws or exits unexpectedly marks only its own VM crashed, with the reason;
 *   the other VMs keep running.
 * - A VM has consoles: 'serial0' (the PL011) and, when its config asks, virtio console ports 'hvc0'...
 *   Every console method takes the console's id and defaults to the serial console.
 * - Console output is kept here in a bounded scrollback per console (it survives renderer reloads and view
 *   switches, and the VM's stop), appended to console.log (console-hvc0.log...) in the VM's folder, and
 *   passed to listeners.
 * - Console input is forwarded in chunks; `consoleInput` resolves once the guest has taken the bytes, so a
 *   caller that awaits each chunk is throttled by the guest's own reading (a paste never floods it).
 */
import { Worker } from 'node:worker_threads';
import type { LibraryStore } from '../store/library-store';
import type {
  InspectorQuery,
  InspectorQueryKind,
  InspectorResult,
  StepResult,
  WorkerAnswer,
  WorkerCommand,
  WorkerReport,
} from '../../src-emu/worker/protocol';
import { MAX_INPUT_CHUNK, parseReport, WORKER_PROTOCOL_VERSION } from '../../src-emu/worker/protocol';
import type { SnapshotProgress, SnapshotRequest, SnapshotResult } from '../../src-shared/api/snapshots';
import { carryOut } from '../../src-emu/snapshot/store/requests';
import { releaseAbandonedStore, SnapshotStore } from '../../src-emu/snapshot/store/store';
import { consoleIds, SERIAL_CONSOLE } from '../../src-shared/api/vm-config';
import { ByteRing } from './byte-ring';
import { ConsoleLog, consoleLogFile } from './console-log';

export type VmRunState = 'stopped' | 'starting' | 'running' | 'paused' | 'crashed';

export interface VmStatus {
  readonly state: VmRunState;
  readonly reason?: string;
}

export interface ConsoleChunk {
  readonly id: string;
  /** Which console of the VM: 'serial0', 'hvc0'... */
  readonly console: string;
  /** Stream position of the chunk's first byte (positions count from the first byte since the app started). */
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export interface ConsoleSnapshot {
  readonly start: number;
  readonly end: number;
  readonly bytes: Uint8Array;
}

export interface VmHostOptions {
  readonly store: LibraryStore;
  /** The worker entry: the bundled vm-worker.js, or src-emu/worker/dev-entry.mjs from sources. */
  readonly workerPath: string | URL;
  readonly scrollbackBytes?: number;
  readonly consoleLogBytes?: number;
  /** How long start/pause/resume/power-off wait for the worker to confirm. */
  readonly commandTimeoutMs?: number;
}

type StateListener = (id: string, status: VmStatus) => void;
type ConsoleListener = (chunk: ConsoleChunk) => void;
type SnapshotProgressListener = (id: string, progress: SnapshotProgress) => void;

interface InputWaiter {
  readonly total: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** One console of a VM: its scrollback, transcript and input accounting. */
class ConsoleState {
  inputSent = 0;
  inputWaiters: InputWaiter[] = [];

  constructor(
    readonly scrollback: ByteRing,
    readonly log: ConsoleLog,
  ) {}
}

/** Everything main keeps about one VM that has run since the app started. */
class VmRuntime {
  worker: Worker | null = null;
  status: VmStatus = { state: 'stopped' };
  /** The consoles the current (or last) machine has. */
  consoleIds: readonly string[] = [SERIAL_CONSOLE];
  readonly consoles = new Map<string, ConsoleState>();
  nextQueryId = 1;
  readonly queries = new Map<number, { resolve: (r: WorkerAnswer) => void; reject: (e: Error) => void }>();
}

export class VmHostError extends Error {
  override name = 'VmHostError';
}

const ACTIVE: ReadonlySet<VmRunState> = new Set(['starting', 'running', 'paused']);

export class VmHost {
  private readonly runtimes = new Map<string, VmRuntime>();
  private readonly stateListeners = new Set<StateListener>();
  private readonly consoleListeners = new Set<ConsoleListener>();
  private readonly progressListeners = new Set<SnapshotProgressListener>();
  /** Snapshot operations main runs on a stopped VM's folder, one at a time; a start waits for them. */
  private readonly folderWork = new Map<string, Promise<unknown>>();
  private readonly scrollbackBytes: number;
  private readonly consoleLogBytes: number;
  private readonly commandTimeoutMs: number;

  constructor(private readonly options: VmHostOptions) {
    this.scrollbackBytes = options.scrollbackBytes ?? 256 * 1024;
    this.consoleLogBytes = options.consoleLogBytes ?? 1024 * 1024;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 15_000;
  }

  status(id: string): VmStatus {
    return this.runtimes.get(id)?.status ?? { state: 'stopped' };
  }

  isActive(id: string): boolean {
    return ACTIVE.has(this.status(id).state);
  }

  onState(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onConsole(listener: ConsoleListener): () => void {
    this.consoleListeners.add(listener);
    return () => this.consoleListeners.delete(listener);
  }

  onSnapshotProgress(listener: SnapshotProgressListener): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  /** Boots the VM in a new worker; resolves once it runs (or with the crash that prevented it). */
  async start(id: string): Promise<VmStatus> {
    if (this.isActive(id)) throw new VmHostError(`VM '${id}' is already ${this.status(id).state}`);
    await this.folderWork.get(id)?.catch(() => undefined);
    if (this.isActive(id)) throw new VmHostError(`VM '${id}' is already ${this.status(id).state}`);
    const config = await this.options.store.read(id);
    const runtime = this.runtimeFor(id);
    runtime.consoleIds = consoleIds(config.consoles);
    for (const console of runtime.consoleIds) {
      const state = this.consoleFor(id, runtime, console);
      state.inputSent = 0;
    }
    const worker = new Worker(this.options.workerPath, { name: `orrery-vm-${id}` });
    runtime.worker = worker;
    this.setStatus(id, runtime, { state: 'starting' });
    worker.on('message', (message: unknown) => this.onReport(id, runtime, worker, message));
    worker.on('error', (error) => this.onWorkerGone(id, runtime, worker, `emulator error: ${error.message}`));
    worker.on('exit', (code) => this.onWorkerGone(id, runtime, worker, `the VM worker exited (code ${code})`));
    this.send(runtime, {
      type: 'start',
      protocol: WORKER_PROTOCOL_VERSION,
      config: {
        memoryMiB: config.memoryMiB,
        cpus: config.cpus,
        boot: config.boot,
        folder: {
          dir: this.options.store.vmDir(id),
          readOnlyDisks: (config.disks ?? []).filter((d) => d.readOnly).map((d) => d.name),
        },
        ...(config.consoles ? { consoles: config.consoles } : {}),
      },
    });
    void this.options.store.write({ ...config, lastUsedAt: new Date().toISOString() }).catch(() => undefined);
    return this.waitFor(id, (s) => s.state !== 'starting');
  }

  async pause(id: string): Promise<VmStatus> {
    const runtime = this.active(id, ['running']);
    this.send(runtime, { type: 'pause' });
    return this.waitFor(id, (s) => s.state !== 'running');
  }

  async resume(id: string): Promise<VmStatus> {
    const runtime = this.active(id, ['paused']);
    this.send(runtime, { type: 'resume' });
    return this.waitFor(id, (s) => s.state !== 'paused');
  }

  /** Hardware reset: the machine restarts from its boot state; paused stays paused. */
  async reset(id: string): Promise<VmStatus> {
    this.send(this.active(id, ['running', 'paused']), { type: 'reset' });
    return this.status(id);
  }

  /** Stops the machine cleanly (the worker finishes its last output), then ends the worker. */
  async powerOff(id: string): Promise<VmStatus> {
    const runtime = this.active(id, ['running', 'paused', 'starting']);
    this.send(runtime, { type: 'power-off' });
    return this.waitFor(id, (s) => !ACTIVE.has(s.state)).catch(() => this.forceStop(id));
  }

  /** Ends the worker at once, wherever the machine is. */
  async forceStop(id: string): Promise<VmStatus> {
    const runtime = this.runtimes.get(id);
    const worker = runtime?.worker;
    if (!runtime || !worker) return this.status(id);
    this.detachWorker(id, runtime, { state: 'stopped', reason: 'forced stop' });
    await this.endWorker(id, worker);
    return runtime.status;
  }

  /** Sends console input; resolves when the guest has taken all of it. */
  async consoleInput(id: string, bytes: Uint8Array, console = SERIAL_CONSOLE): Promise<void> {
    const runtime = this.active(id, ['running', 'paused']);
    const state = this.machineConsole(id, runtime, console);
    if (bytes.length === 0) return;
    for (let at = 0; at < bytes.length; at += MAX_INPUT_CHUNK) {
      this.send(runtime, { type: 'console-input', console, bytes: bytes.slice(at, at + MAX_INPUT_CHUNK) });
    }
    state.inputSent += bytes.length;
    const total = state.inputSent;
    await new Promise<void>((resolve, reject) => state.inputWaiters.push({ total, resolve, reject }));
  }

  /**
   * A break condition on a console's line ("send break"): the PL011 reads it as a break character, which
   * Linux takes as the start of a SysRq sequence (the next key within 5 s is the SysRq command).
   */
  consoleBreak(id: string, console = SERIAL_CONSOLE): void {
    const runtime = this.active(id, ['running', 'paused']);
    this.machineConsole(id, runtime, console);
    this.send(runtime, { type: 'console-break', console });
  }

  /** The consoles of the VM's current or last machine (just the serial one for a VM that has not run). */
  consoleIds(id: string): readonly string[] {
    return this.runtimes.get(id)?.consoleIds ?? [SERIAL_CONSOLE];
  }

  /** The scrollback held for a console (empty for one that has not run since the app started). */
  consoleSnapshot(id: string, console = SERIAL_CONSOLE): ConsoleSnapshot {
    const ring = this.runtimes.get(id)?.consoles.get(console)?.scrollback;
    if (!ring) return { start: 0, end: 0, bytes: new Uint8Array(0) };
    return { start: ring.start, end: ring.end, bytes: ring.contents() };
  }

  /** Forgets a console's scrollback (the user cleared the console). */
  clearConsole(id: string, console = SERIAL_CONSOLE): void {
    this.runtimes.get(id)?.consoles.get(console)?.scrollback.clear();
  }

  /** Drops everything kept for a stopped VM (it was deleted): a new VM with the same id starts afresh. */
  forget(id: string): void {
    if (this.isActive(id)) throw new VmHostError(`VM '${id}' is ${this.status(id).state}`);
    this.runtimes.delete(id);
  }

  /** A read-only inspector query (registers, devices, memory, trace records...). */
  async inspect(id: string, request: InspectorQuery | InspectorQueryKind): Promise<InspectorResult> {
    const query = typeof request === 'string' ? { kind: request } : request;
    const answer = await this.request(id, ['running', 'paused'], (queryId) => ({ type: 'query', id: queryId, query }));
    if (answer.kind === 'step' || answer.kind === 'snapshot') {
      throw new VmHostError(`the VM worker answered a query with a ${answer.kind}`);
    }
    return answer;
  }

  /** Executes one instruction on a vCPU of a paused VM; resolves with where its PC went. */
  async step(id: string, cpu: number): Promise<StepResult> {
    const answer = await this.request(id, ['paused'], (queryId) => ({ type: 'step', id: queryId, cpu }));
    if (answer.kind !== 'step') throw new VmHostError('the VM worker answered a step with something else');
    return answer.step;
  }

  /** Replaces the VM's trace patterns; resolves with the events and patterns now in force. */
  async configureTrace(id: string, patterns: readonly string[]): Promise<InspectorResult> {
    const answer = await this.request(id, ['running', 'paused'], (queryId) => ({
      type: 'trace-configure',
      id: queryId,
      patterns: [...patterns],
    }));
    if (answer.kind !== 'trace-events') throw new VmHostError('unexpected answer to a trace configuration');
    return answer;
  }

  /**
   * A snapshot operation: the worker carries it out while the machine exists (so its state and disks are
   * captured or replaced together); main does it on the folder of a stopped or crashed VM.
   */
  async snapshot(id: string, request: SnapshotRequest): Promise<SnapshotResult> {
    const state = this.status(id).state;
    if (state === 'starting') throw new VmHostError(`VM '${id}' is starting: try again once it runs`);
    if (state === 'running' || state === 'paused') {
      const answer = await this.request(id, ['running', 'paused'], (queryId) => ({
        type: 'snapshot',
        id: queryId,
        request,
      }));
      if (answer.kind !== 'snapshot')
        throw new VmHostError('the VM worker answered a snapshot request with something else');
      return answer.result;
    }
    await this.options.store.read(id); // a broken or deleted VM is refused before its folder is touched
    const previous = this.folderWork.get(id) ?? Promise.resolve();
    const work = previous
      .catch(() => undefined)
      .then(async () => {
        const store = await SnapshotStore.open(this.options.store.vmDir(id));
        try {
          return await carryOut(store, request, null, (progress) => this.publishProgress(id, progress));
        } finally {
          await store.close();
        }
      });
    this.folderWork.set(id, work);
    try {
      return await work;
    } finally {
      if (this.folderWork.get(id) === work) this.folderWork.delete(id);
    }
  }

  private publishProgress(id: string, progress: SnapshotProgress): void {
    for (const listener of this.progressListeners) listener(id, progress);
  }

  private request(id: string, states: readonly VmRunState[], command: (queryId: number) => WorkerCommand) {
    const runtime = this.active(id, states);
    const queryId = runtime.nextQueryId++;
    return new Promise<WorkerAnswer>((resolve, reject) => {
      runtime.queries.set(queryId, { resolve, reject });
      this.send(runtime, command(queryId));
    });
  }

  /** Ends every worker (app shutdown). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.runtimes.keys()].map((id) => this.forceStop(id)));
  }

  /** Waits until the VM's console logs have everything written so far (tests, shutdown). */
  async consoleLogFlushed(id: string): Promise<void> {
    const consoles = this.runtimes.get(id)?.consoles.values() ?? [];
    await Promise.all([...consoles].map((state) => state.log.flushed()));
  }

  // ---- internals ----------------------------------------------------------------------------------------

  private runtimeFor(id: string): VmRuntime {
    let runtime = this.runtimes.get(id);
    if (!runtime) {
      runtime = new VmRuntime();
      this.runtimes.set(id, runtime);
    }
    return runtime;
  }

  private consoleFor(id: string, runtime: VmRuntime, console: string): ConsoleState {
    let state = runtime.consoles.get(console);
    if (!state) {
      const log = new ConsoleLog(this.options.store.vmDir(id), this.consoleLogBytes, consoleLogFile(console));
      state = new ConsoleState(new ByteRing(this.scrollbackBytes), log);
      runtime.consoles.set(console, state);
    }
    return state;
  }

  /** A console of the running machine; one it does not have is refused before the worker hears of it. */
  private machineConsole(id: string, runtime: VmRuntime, console: string): ConsoleState {
    if (!runtime.consoleIds.includes(console)) {
      throw new VmHostError(`VM '${id}' has no console '${console}' (it has ${runtime.consoleIds.join(', ')})`);
    }
    return this.consoleFor(id, runtime, console);
  }

  private active(id: string, states: readonly VmRunState[]): VmRuntime {
    const runtime = this.runtimes.get(id);
    const state = runtime?.status.state ?? 'stopped';
    if (!runtime || !runtime.worker || !states.includes(state)) {
      throw new VmHostError(`VM '${id}' is ${state}`);
    }
    return runtime;
  }

  private send(runtime: VmRuntime, command: WorkerCommand): void {
    const transfer = command.type === 'console-input' ? [command.bytes.buffer as ArrayBuffer] : [];
    runtime.worker?.postMessage(command, transfer);
  }

  private onReport(id: string, runtime: VmRuntime, worker: Worker, raw: unknown): void {
    if (runtime.worker !== worker) return;
    const parsed = parseReport(raw);
    if (!parsed.success) {
      this.crash(id, runtime, `the VM worker sent an invalid message: ${parsed.error.message}`);
      return;
    }
    this.handleReport(id, runtime, parsed.data);
  }

  private handleReport(id: string, runtime: VmRuntime, report: WorkerReport): void {
    switch (report.type) {
      case 'console-output': {
        const console = report.console;
        const state = this.consoleFor(id, runtime, console);
        const offset = state.scrollback.end;
        state.scrollback.append(report.bytes);
        state.log.append(report.bytes);
        this.send(runtime, { type: 'console-ack', console, count: report.bytes.length });
        for (const listener of this.consoleListeners) listener({ id, console, offset, bytes: report.bytes });
        return;
      }
      case 'console-consumed': {
        const state = this.consoleFor(id, runtime, report.console);
        state.inputWaiters = state.inputWaiters.filter((w) => (w.total <= report.total ? w.resolve() : true));
        return;
      }
      case 'state':
        if (report.state === 'stopped' || report.state === 'crashed') {
          const status = { state: report.state, ...(report.reason ? { reason: report.reason } : {}) };
          const worker = runtime.worker;
          this.detachWorker(id, runtime, status);
          void worker?.terminate();
        } else {
          this.setStatus(id, runtime, { state: report.state });
        }
        return;
      case 'query-result':
      case 'query-error': {
        const query = runtime.queries.get(report.id);
        runtime.queries.delete(report.id);
        if (report.type === 'query-result') query?.resolve(report.result);
        else query?.reject(new VmHostError(report.error));
        return;
      }
      case 'snapshot-progress':
        this.publishProgress(id, report.progress);
        return;
      case 'command-error':
        this.crash(id, runtime, `the VM worker refused a command: ${report.error}`);
        return;
      default: {
        const never: never = report;
        throw new Error(`unhandled report ${JSON.stringify(never)}`);
      }
    }
  }

  private onWorkerGone(id: string, runtime: VmRuntime, worker: Worker, reason: string): void {
    if (runtime.worker !== worker) return; // already detached on purpose
    this.detachWorker(id, runtime, { state: 'crashed', reason });
    this.endWorker(id, worker);
  }

  private crash(id: string, runtime: VmRuntime, reason: string): void {
    const worker = runtime.worker;
    this.detachWorker(id, runtime, { state: 'crashed', reason });
    if (worker) this.endWorker(id, worker);
  }

  /** Terminates a worker that did not close its VM folder itself, then frees the folder for the next run. */
  private endWorker(id: string, worker: Worker): Promise<void> {
    const done = worker
      .terminate()
      .then(() => releaseAbandonedStore(this.options.store.vmDir(id)))
      .catch(() => undefined);
    this.folderWork.set(id, done);
    return done;
  }

  /** The worker is done: settle everything that waited on it and publish the final state. */
  private detachWorker(id: string, runtime: VmRuntime, status: VmStatus): void {
    runtime.worker = null;
    const gone = new VmHostError(`VM '${id}' ${status.state === 'crashed' ? 'crashed' : 'stopped'}`);
    for (const state of runtime.consoles.values()) {
      for (const waiter of state.inputWaiters) waiter.reject(gone);
      state.inputWaiters = [];
    }
    for (const query of runtime.queries.values()) query.reject(gone);
    runtime.queries.clear();
    this.setStatus(id, runtime, status);
  }

  private setStatus(id: string, runtime: VmRuntime, status: VmStatus): void {
    runtime.status = status;
    for (const listener of this.stateListeners) listener(id, status);
  }

  private waitFor(id: string, done: (status: VmStatus) => boolean): Promise<VmStatus> {
    const now = this.status(id);
    if (done(now)) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new VmHostError(`VM '${id}' did not answer within ${this.commandTimeoutMs} ms`));
      }, this.commandTimeoutMs);
      const unsubscribe = this.onState((vmId, status) => {
        if (vmId !== id || !done(status)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(status);
      });
    });
  }
}
