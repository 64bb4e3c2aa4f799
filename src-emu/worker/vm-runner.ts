/**
 * Runs one machine on behalf of the app: builds it from a validated start command, drives its power state
 * and carries its consoles (serial and virtio console ports) over the protocol (protocol.ts). Independent of worker_threads so it can be
 * driven by any message port; main.ts connects it to the worker's parentPort.
 */
import { readFile } from 'node:fs/promises';
import { orderConsolePorts, VirtMachine } from '../machine/virt';
import { DEMO_GUEST } from '../cli/run';
import { Debugger } from '../debug/debugger';
import { machineConfigRecord, machineFromSnapshot } from '../snapshot/machine-config';
import type { MachineConfigRecord } from '../snapshot/metadata';
import { readMetadataOnly } from '../snapshot/snapshot';
import { carryOut, type LiveMachine } from '../snapshot/store/requests';
import { SnapshotStore, type StoreDrives } from '../snapshot/store/store';
import type { SnapshotRequest } from '../../src-shared/api/snapshots';
import { inspect } from './inspector';
import type { MachineConfig, MachineState, WorkerAnswer, WorkerReport } from './protocol';
import { parseCommand } from './protocol';
import { hex64 } from './guest-views';
import { TraceFeed } from './trace-feed';
import { ConsoleChannels } from './console-channels';

/** Stop reasons this runner asks the machine for. */
const STOP_POWER_OFF = 'power-off';
const STOP_RESET = 'user-reset';

export type PostReport = (report: WorkerReport) => void;

export class VmRunner {
  private machine: VirtMachine | null = null;
  /** Pause, single-step and resume: the machine parks at an instruction boundary with virtual time frozen. */
  private debugger: Debugger | null = null;
  private trace: TraceFeed | null = null;
  private consoles: ConsoleChannels | null = null;
  /** The VM folder's snapshot store and the disks it opened; closed (flushed) before the machine reports that it stopped. */
  private store: SnapshotStore | null = null;
  private drives: StoreDrives | null = null;
  /** What a snapshot records about how the machine was built. */
  private record: MachineConfigRecord | null = null;
  /** Snapshot operations run one at a time, and the store closes only after the last one. */
  private snapshotWork: Promise<void> = Promise.resolve();
  private current: MachineState = 'starting';

  constructor(private readonly post: PostReport) {}

  get state(): MachineState {
    return this.current;
  }

  /** Validates and carries out one command; a bad command is reported, never thrown. */
  async handle(raw: unknown): Promise<void> {
    const parsed = parseCommand(raw);
    if (!parsed.success) {
      this.post({ type: 'command-error', error: `invalid command: ${parsed.error.message}` });
      return;
    }
    const command = parsed.data;
    switch (command.type) {
      case 'start':
        return this.start(command.config);
      case 'pause':
        return this.pause();
      case 'resume':
        return this.resume();
      case 'reset':
        return this.reset();
      case 'power-off':
        return this.powerOff();
      case 'console-input':
        this.consoles?.input(command.console, command.bytes);
        return;
      case 'console-ack':
        this.consoles?.ack(command.console, command.count);
        return;
      case 'console-break':
        this.consoles?.sendBreak(command.console);
        return;
      case 'query':
        return this.answer(command.id, (machine) => inspect(machine, command.query, { trace: this.trace! }));
      case 'step':
        return this.answer(command.id, () => this.step(command.cpu));
      case 'trace-configure':
        return this.answer(command.id, () => this.trace!.configure(command.patterns));
      case 'snapshot':
        this.snapshotWork = this.snapshotWork.then(() => this.snapshot(command.id, command.request));
        return;
      default: {
        const never: never = command;
        this.post({ type: 'command-error', error: `unhandled command ${JSON.stringify(never)}` });
      }
    }
  }

  private async start(config: MachineConfig): Promise<void> {
    if (this.machine !== null || this.current !== 'starting') {
      this.post({ type: 'command-error', error: 'this worker has already started its machine' });
      return;
    }
    try {
      this.consoles = new ConsoleChannels(this.post, config.consoles ?? 0, config.consoleWindow);
      this.machine = await this.buildMachine(config, this.consoles);
      this.debugger = new Debugger(this.machine);
      this.trace = new TraceFeed(this.machine.clock);
    } catch (error) {
      await this.finish('crashed', describeError(error));
      return;
    }
    if (this.current === 'starting') this.runMachine();
    else await this.closeDrives(); // powered off while the images loaded
  }

  private async buildMachine(config: MachineConfig, consoles: ConsoleChannels): Promise<VirtMachine> {
    let resume: string | null = null;
    if (config.folder !== undefined) {
      this.store = await withContext("cannot open the VM's disks and snapshots", () =>
        SnapshotStore.open(config.folder!.dir),
      );
      resume = await this.store.takeResume();
      const store = this.store;
      this.drives = await withContext("cannot open the VM's disks", () => store.openDrives());
    }
    const readOnly = new Set(config.folder?.readOnlyDisks ?? []);
    const drives = (this.drives?.drives ?? []).map((d) => ({ ...d, readOnly: readOnly.has(d.serial ?? '') }));
    const serial = consoles.serial;
    const virtioPorts = consoles.virtioPorts;
    if (resume !== null) {
      this.record = (await readMetadataOnly(resume)).machine;
      if (this.record.consoles.length !== virtioPorts.length) {
        throw new Error(
          `the snapshot to resume has ${this.record.consoles.length} virtio console(s) and the VM now has ` +
            `${virtioPorts.length}: set that number back in its settings, or restore another snapshot`,
        );
      }
      const backends = orderConsolePorts(virtioPorts).map((port) => port.backend);
      return machineFromSnapshot(resume, serial, drives, backends);
    }
    const boot = config.boot;
    const kernelPath = boot.kind === 'demo' ? DEMO_GUEST : boot.kernel;
    const kernel = await readInput(kernelPath, boot.kind === 'demo' ? 'built-in demo guest' : 'kernel');
    const initrd = boot.kind === 'kernel' && boot.initrd ? await readInput(boot.initrd, 'initrd') : undefined;
    const dtb = boot.kind === 'kernel' && boot.dtb ? await readInput(boot.dtb, 'device tree') : undefined;
    const virtConfig = {
      memoryMiB: config.memoryMiB,
      cpus: config.cpus,
      kernel,
      ...(initrd ? { initrd } : {}),
      ...(dtb ? { dtb } : {}),
      ...(boot.kind === 'kernel' && boot.append ? { append: boot.append } : {}),
      serial,
      drives,
      consoles: virtioPorts,
    };
    const machine = new VirtMachine(virtConfig);
    this.record = machineConfigRecord(machine, virtConfig, {
      kernel: { path: kernelPath, bytes: kernel },
      ...(initrd && boot.kind === 'kernel' && boot.initrd ? { initrd: { path: boot.initrd, bytes: initrd } } : {}),
    });
    return machine;
  }

  private runMachine(): void {
    const machine = this.machine!;
    machine.scheduler.clearStop();
    this.setState('running');
    machine.run().then(
      (reason) => this.onMachineStopped(reason),
      (error: unknown) => this.finish('crashed', describeError(error)),
    );
  }

  private pause(): void {
    if (this.current !== 'running') return;
    this.debugger!.pause();
    this.setState('paused');
  }

  private resume(): void {
    if (this.current !== 'paused') return;
    this.debugger!.resume();
    this.setState('running');
  }

  /** One instruction on vCPU `cpu` of the paused machine. */
  private step(cpu: number): WorkerAnswer {
    if (this.current !== 'paused') throw new Error(`pause the machine before stepping (it is ${this.current})`);
    const dbg = this.debugger!;
    if (cpu >= dbg.cpus.length) throw new Error(`this machine has no CPU ${cpu}`);
    if (!dbg.isRunnable(cpu)) throw new Error(`CPU ${cpu} is powered off`);
    const from = dbg.pcOf(cpu);
    const event = dbg.step(cpu);
    return { kind: 'step', step: { cpu, from: hex64(from), pc: hex64(event.pc), cause: event.cause } };
  }

  private async onMachineStopped(reason: string): Promise<void> {
    if (reason === STOP_RESET) {
      this.resetMachine();
      this.runMachine();
    } else if (reason === STOP_POWER_OFF) await this.finish('stopped', 'powered off');
    else if (reason === 'poweroff') await this.finish('stopped', 'the guest powered off');
    else await this.finish('stopped', reason);
  }

  /** Ends the machine's life: its disks are flushed and closed before main hears it stopped. */
  private async finish(state: 'stopped' | 'crashed', reason: string): Promise<void> {
    const closeProblem = await this.closeDrives();
    if (state === 'stopped' && closeProblem !== null) this.setState('crashed', closeProblem);
    else this.setState(state, reason);
  }

  /** Closes the store and its disk images once no snapshot operation runs; returns what went wrong, or null. */
  private async closeDrives(): Promise<string | null> {
    await this.snapshotWork;
    const store = this.store;
    this.store = null;
    this.drives = null;
    if (store === null) return null;
    try {
      await store.close();
      return null;
    } catch (error) {
      return `closing the disk images failed: ${describeError(error)}`;
    }
  }

  /** A snapshot operation on the VM folder, with the machine held still while its state or disks change. */
  private async snapshot(id: number, request: SnapshotRequest): Promise<void> {
    const store = this.store;
    const machine = this.machine;
    if (store === null || machine === null || this.record === null) {
      this.post({ type: 'query-error', id, error: 'this machine has no VM folder for snapshots' });
      return;
    }
    const live: LiveMachine | null =
      this.current === 'running' || this.current === 'paused'
        ? { machine, config: this.record, hold: () => this.hold() }
        : null;
    if (live === null) {
      this.post({ type: 'query-error', id, error: `the machine is ${this.current}` });
      return;
    }
    try {
      const result = await carryOut(store, request, live, (progress) =>
        this.post({ type: 'snapshot-progress', progress }),
      );
      this.post({ type: 'query-result', id, result: { kind: 'snapshot', result } });
    } catch (error) {
      this.post({ type: 'query-error', id, error: describeError(error) });
    }
  }

  /**
   * Stops a running machine between instructions with virtual time frozen (the scheduler parks at the next
   * round boundary: messages are handled only between slices); returns how to let it run on.
   */
  private async hold(): Promise<() => void> {
    if (this.current !== 'running') return () => undefined;
    this.debugger!.pause();
    await new Promise<void>((resolve) => setImmediate(resolve));
    return () => {
      if (this.current === 'running') this.debugger!.resume();
    };
  }

  private reset(): void {
    if (this.current === 'running') this.machine?.stop(STOP_RESET);
    else if (this.current === 'paused') this.resetMachine();
  }

  private resetMachine(): void {
    this.machine!.resetSystem();
  }

  private powerOff(): void {
    // A paused machine is parked inside run(): stopping it ends that run like a running one's.
    if (this.current === 'running' || this.current === 'paused') this.machine?.stop(STOP_POWER_OFF);
    else if (this.current === 'starting') this.setState('stopped', 'powered off');
  }

  /** Runs a request against the machine and reports its answer or its error under `id`. */
  private answer(id: number, produce: (machine: VirtMachine) => WorkerAnswer): void {
    if (this.machine === null) {
      this.post({ type: 'query-error', id, error: 'the machine is not built yet' });
      return;
    }
    try {
      this.post({ type: 'query-result', id, result: produce(this.machine) });
    } catch (error) {
      this.post({ type: 'query-error', id, error: describeError(error) });
    }
  }

  private setState(state: MachineState, reason?: string): void {
    this.current = state;
    if (state === 'stopped' || state === 'crashed') {
      this.trace?.close();
      this.consoles?.end();
    }
    this.post({ type: 'state', state, ...(reason === undefined ? {} : { reason }) });
  }
}

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the ${what} '${path}'${code === 'ENOENT' ? ': no such file' : `: ${code}`}`);
  }
}

/** Runs `open`, prefixing what went wrong with `what`. */
async function withContext<T>(what: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    throw new Error(`${what}: ${describeError(error)}`);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
