/**
 * Run control for debuggers (the gdb stub, the monitor, later the app's inspector): stop and resume the
 * machine at instruction boundaries, single-step a vCPU, breakpoints and watchpoints, and the stop events
 * that tell a front end why the machine stopped.
 *
 * Nothing here runs while no breakpoint or watchpoint is set: stopping uses the scheduler's pause, and
 * breakpoints and watchpoints hook the CPU only where they are (see breakpoints.ts, watchpoints.ts).
 */
import type { Cpu } from '../cpu/arm64/cpu';
import { FIQ_LINE, IRQ_LINE, StopReason } from '../cpu/arm64/state';
import type { VirtMachine } from '../machine/virt';
import { BreakpointTable } from './breakpoints';
import { joinAddress } from './guest-memory';
import { WatchpointTable, type WatchKind, type Watchpoint } from './watchpoints';

export type StopCause = 'interrupt' | 'breakpoint' | 'watchpoint' | 'step' | 'attach';

export interface StopEvent {
  readonly cause: StopCause;
  /** Index of the vCPU that stopped (for interrupts: the one that ran last). */
  readonly cpu: number;
  readonly pc: bigint;
  /** For watchpoint stops: which one, and the first watched byte the access touched. */
  readonly watchpoint?: Watchpoint;
  readonly hitAddress?: bigint;
}

export type StopListener = (event: StopEvent) => void;

/** What the debugger needs of a board (VirtMachine has it all). */
export type DebugMachine = Pick<VirtMachine, 'cpus' | 'scheduler' | 'gic' | 'addressSpace'>;

export class Debugger {
  readonly breakpoints: BreakpointTable;
  readonly watchpoints: WatchpointTable;
  private readonly listeners = new Set<StopListener>();
  private lastStop: StopEvent | null = null;
  /** While single-stepping: the stepping vCPU ignores breakpoints, and hits are reported by step(). */
  private steppingCpu = -1;
  private ignoreWatchpoints = false;
  private stepHit: StopEvent | null = null;

  constructor(readonly machine: DebugMachine) {
    this.breakpoints = new BreakpointTable({ breakpointHit: (cpu, pc) => this.onBreakpoint(cpu, pc) });
    this.watchpoints = new WatchpointTable(machine.cpus, {
      watchpointHit: (cpu, w, hit) => this.onWatchpoint(cpu, w, hit),
    });
  }

  get cpus(): readonly Cpu[] {
    return this.machine.cpus;
  }

  get paused(): boolean {
    return this.machine.scheduler.isPaused;
  }

  /** Why the machine last stopped (null while it runs). */
  get stopEvent(): StopEvent | null {
    return this.paused ? this.lastStop : null;
  }

  addStopListener(listener: StopListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True when vCPU `index` is powered on (PSCI). */
  isRunnable(index: number): boolean {
    return this.machine.scheduler.slots[index]?.power === 'on';
  }

  /**
   * Stops the machine (gdb's Ctrl-C, the monitor's `stop`, a debugger attaching). Listeners hear about it
   * unless it was already stopped. Call from outside the CPUs.
   */
  pause(cause: StopCause = 'interrupt'): StopEvent {
    if (this.paused && this.lastStop !== null) return this.lastStop;
    this.machine.scheduler.pause();
    const cpu = this.machine.scheduler.currentCpu;
    return this.stopped({ cause, cpu, pc: this.pcOf(cpu) }, false);
  }

  /**
   * Continues the machine. A vCPU that stopped on a breakpoint or watchpoint first executes that
   * instruction with both ignored, so it does not stop on it again.
   */
  resume(): void {
    if (!this.paused) return;
    const last = this.lastStop;
    if (
      last !== null &&
      (last.cause === 'breakpoint' || last.cause === 'watchpoint') &&
      this.pcOf(last.cpu) === last.pc
    ) {
      this.ignoreWatchpoints = true;
      try {
        this.stepOne(last.cpu);
      } finally {
        this.ignoreWatchpoints = false;
      }
    }
    this.lastStop = null;
    this.machine.scheduler.resume();
  }

  /**
   * Executes one instruction on vCPU `index` while the machine is paused, with interrupts held off (as
   * QEMU's gdb stub steps by default). Breakpoints on that vCPU are ignored for the step; a watchpoint
   * hit stops it before the access. Returns the stop event (cause 'step' or 'watchpoint').
   */
  step(index: number): StopEvent {
    if (!this.paused) this.machine.scheduler.pause();
    this.stepHit = null;
    this.stepOne(index);
    const hit = this.stepHit as StopEvent | null;
    this.stepHit = null;
    // The caller reports a step itself: listeners hear only about stops they did not ask for.
    this.lastStop = hit ?? { cause: 'step', cpu: index, pc: this.pcOf(index) };
    return this.lastStop;
  }

  insertWatchpoint(address: bigint, length: number, kind: WatchKind): boolean {
    return this.watchpoints.insert(address, length, kind);
  }

  removeWatchpoint(address: bigint, length: number, kind: WatchKind): boolean {
    return this.watchpoints.remove(address, length, kind);
  }

  insertBreakpoint(address: bigint, cpu = 0): boolean {
    return this.breakpoints.insert(this.cpus[cpu] ?? this.cpus[0]!, address);
  }

  removeBreakpoint(address: bigint): boolean {
    return this.breakpoints.remove(address);
  }

  /** Drops every breakpoint and watchpoint (detach). */
  clearAll(): void {
    this.breakpoints.clear();
    this.watchpoints.clear();
  }

  pcOf(index: number): bigint {
    const cpu = this.cpus[index]!;
    return joinAddress(cpu.pcLo, cpu.pcHi);
  }

  // --- internals ------------------------------------------------------------------------------------

  private stepOne(index: number): void {
    const cpu = this.cpus[index];
    if (cpu === undefined || !this.isRunnable(index)) return;
    this.steppingCpu = index;
    cpu.interruptPending = 0;
    try {
      cpu.run(1);
    } finally {
      this.steppingCpu = -1;
      cpu.interruptPending = this.interruptLines(index);
    }
  }

  /** The interrupt controller's current outputs to vCPU `index`, as `interruptPending` bits. */
  private interruptLines(index: number): number {
    const gic = this.machine.gic;
    return (gic.irqOutputs[index]?.level ? IRQ_LINE : 0) | (gic.fiqOutputs[index]?.level ? FIQ_LINE : 0);
  }

  private onBreakpoint(cpu: Cpu, pc: bigint): boolean {
    if (cpu.index === this.steppingCpu) return false;
    this.stopFromCpu(cpu, { cause: 'breakpoint', cpu: cpu.index, pc });
    return true;
  }

  private onWatchpoint(cpu: Cpu, watchpoint: Watchpoint, hitAddress: bigint): boolean {
    if (this.ignoreWatchpoints) return false;
    const pc = joinAddress(cpu.pcLo, cpu.pcHi);
    const event: StopEvent = { cause: 'watchpoint', cpu: cpu.index, pc, watchpoint, hitAddress };
    if (cpu.index === this.steppingCpu) {
      this.stepHit = event;
      cpu.requestStop(StopReason.Exit);
      return true;
    }
    this.stopFromCpu(cpu, event);
    return true;
  }

  /** A hook inside the run loop stops the machine; listeners hear after the loop has returned. */
  private stopFromCpu(cpu: Cpu, event: StopEvent): void {
    this.machine.scheduler.pause();
    cpu.requestStop(StopReason.Exit);
    this.stopped(event, true);
  }

  private stopped(event: StopEvent, deferred: boolean): StopEvent {
    this.lastStop = event;
    const notify = () => {
      for (const listener of [...this.listeners]) listener(event);
    };
    if (deferred) queueMicrotask(notify);
    else notify();
    return event;
  }
}

export type { WatchKind, Watchpoint };
