/**
 * Runs a machine's vCPUs round-robin in one thread, interleaved with its timers.
 *
 * - Each vCPU runs a quantum of instructions in turn; timers fire between quanta. In deterministic mode
 *   (QEMU's -icount) virtual time is 2^shift ns per instruction executed and a quantum never runs past the
 *   next timer deadline, so a run and its replay fire every timer at the same instruction. Inside a quantum
 *   the clock reads the running vCPU's instructions so far, so counters the guest polls keep moving.
 * - A vCPU that executed WFI (or is suspended) sleeps until an interrupt is pending for it, even a masked one
 *   (ARM ARM: WFI wakes on any pending interrupt). When every vCPU sleeps, the machine is idle: in realtime
 *   mode the host thread sleeps until the next deadline or until `wake()` (device input); in deterministic
 *   mode virtual time jumps to the next deadline.
 * - The run loop yields to the host event loop regularly so I/O (console input, sockets, the UI) is served.
 * - A timer may wait for host work before it fires (core/timer.ts HostWorkGate: virtio-blk in deterministic
 *   mode completes a request at a fixed virtual time, whatever the host disk's speed). The round's timer
 *   pass then stops there, the loop awaits the host with virtual time frozen and finishes the pass before
 *   any vCPU runs or a stop takes effect, so the run is the same as with an infinitely fast host.
 */
import type { VirtualClock } from '../core/timer';
import type { Cpu } from '../cpu/arm64/cpu';
import { StopReason } from '../cpu/arm64/state';
import type { CpuPower } from './psci';

export interface SchedulerOptions {
  /** Instructions a vCPU runs before the next one gets its turn (and timers are checked). */
  readonly quantum?: number;
  /** Deterministic mode: virtual ns per instruction = 2^icountShift. Ignored in realtime mode. */
  readonly icountShift?: number;
  /** Host milliseconds the loop runs before it yields to the event loop. */
  readonly sliceMs?: number;
}

export type RunState = 'running' | 'idle' | 'stopped' | 'paused' | 'waiting';

class VcpuSlot {
  power: CpuPower = 'off';
  /** In WFI or CPU_SUSPEND: skipped until an interrupt is pending. */
  sleeping = false;
  constructor(readonly cpu: Cpu) {}
}

export class Scheduler {
  readonly slots: VcpuSlot[];
  private readonly quantum: number;
  private readonly nsPerInsn: number;
  private readonly sliceMs: number;
  private stopReason: string | null = null;
  private wakeHost: (() => void) | null = null;
  private wakeRequested = false;
  /** Set by stopAfterRound(): becomes the stop reason when the current round ends. */
  private stopAtRoundEnd: string | null = null;
  private paused = false;
  private resumeHost: (() => void) | null = null;
  /** Index of the vCPU running now (the GIC's CPU interface banking asks). */
  currentCpu = 0;
  /** The vCPU inside its quantum, or null between quanta (deterministic time's pending part is 0 then). */
  private runningCpu: Cpu | null = null;
  /** A round ran and its timers have not all fired yet (the pass may be waiting for host work). */
  private roundTimersDue = false;
  /** The round that just ran found no vCPU to run. */
  private lastRoundIdle = false;

  constructor(
    readonly clock: VirtualClock,
    cpus: readonly Cpu[],
    options: SchedulerOptions = {},
  ) {
    this.slots = cpus.map((cpu) => new VcpuSlot(cpu));
    this.quantum = options.quantum ?? 20_000;
    this.nsPerInsn = 2 ** (options.icountShift ?? 3);
    this.sliceMs = options.sliceMs ?? 20;
    if (this.deterministic) clock.setPendingNs(() => this.pendingNs());
  }

  /** Virtual time the running quantum has used so far: read by the clock's now(), folded in by advance(). */
  private pendingNs(): number {
    const cpu = this.runningCpu;
    return cpu === null ? 0 : cpu.executedInRun() * this.nsPerInsn;
  }

  get deterministic(): boolean {
    return this.clock.mode === 'deterministic';
  }

  /** Why the machine stopped (e.g. 'poweroff'), or null while it may run. */
  get stopped(): string | null {
    return this.stopReason;
  }

  /** Ends the run at the next quantum boundary. */
  stop(reason: string): void {
    this.stopReason = reason;
    for (const slot of this.slots) slot.cpu.requestStop(StopReason.Exit);
    this.wake();
    this.unpark();
  }

  /**
   * Debugger stop (gdb stub, monitor `stop`): run() parks at the current instruction boundary with virtual
   * time frozen until resume(). From outside the CPUs every vCPU is already between instructions; a CPU
   * hook that pauses ends its own instruction with DEBUG_STOP, and the round ends after that vCPU.
   */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    for (const slot of this.slots) slot.cpu.requestStop(StopReason.Exit);
    this.wake();
  }

  /** Lets a paused run continue. */
  resume(): void {
    this.paused = false;
    this.unpark();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  private unpark(): void {
    const resume = this.resumeHost;
    this.resumeHost = null;
    resume?.();
  }

  private async park(): Promise<void> {
    this.clock.pause();
    await new Promise<void>((resolve) => {
      this.resumeHost = resolve;
    });
    this.clock.resume();
  }

  /**
   * Ends run() with `reason` once the current round is over (every vCPU has had its whole quantum and due
   * timers have fired): the boundary at which a snapshot sees the machine exactly as a restore recreates it.
   * For code running inside a quantum (MMIO, serial output). A stop that comes first wins.
   */
  stopAfterRound(reason: string): void {
    this.stopAtRoundEnd ??= reason;
    this.wake();
  }

  /** Withdraws a stopAfterRound() that has not happened yet. */
  cancelStopAfterRound(): void {
    this.stopAtRoundEnd = null;
  }

  /** Clears a stop so the machine can run again (after reset or restore). */
  clearStop(): void {
    this.stopReason = null;
    this.stopAtRoundEnd = null;
  }

  /** Something happened outside the CPUs (input, an interrupt): end an idle sleep now. */
  wake(): void {
    this.wakeRequested = true;
    const wake = this.wakeHost;
    this.wakeHost = null;
    wake?.();
  }

  /** Marks a vCPU as sleeping until an interrupt is pending for it (PSCI CPU_SUSPEND). */
  suspend(index: number): void {
    this.slots[index]!.sleeping = true;
    this.slots[index]!.cpu.requestStop(StopReason.Exit);
  }

  /**
   * Runs quanta until the slice's host time is used, the machine goes idle or stops, or the timers of the
   * round wait for host work ('waiting': call again once `clock.hostWork` settled, it carries on there).
   */
  runSlice(): RunState {
    const sliceEnd = performance.now() + this.sliceMs;
    let rounds = 0;
    for (;;) {
      if (this.roundTimersDue) {
        const state = this.endRound();
        if (state !== null) return state;
        continue;
      }
      if (this.stopReason !== null) return 'stopped';
      if (this.paused) return 'paused';
      if (rounds > 0 && performance.now() >= sliceEnd) return 'running';
      rounds++;
      this.lastRoundIdle = !this.runRound();
      this.roundTimersDue = true;
    }
  }

  /**
   * After a round: fires due timers and applies stopAfterRound; when no vCPU ran, realtime mode reports
   * 'idle' and deterministic time jumps to the next deadline (whose timers the next call fires). Null when
   * the loop goes on; 'waiting' leaves the round open until the host work is done.
   */
  private endRound(): RunState | null {
    this.clock.runDue();
    if (this.clock.hostWork !== null) return 'waiting';
    if (this.stopAtRoundEnd !== null) {
      this.stopReason ??= this.stopAtRoundEnd;
      this.stopAtRoundEnd = null;
    }
    const idle = this.lastRoundIdle && this.stopReason === null && !this.paused;
    this.lastRoundIdle = false;
    if (idle && this.deterministic) {
      const deadline = this.clock.nextDeadline();
      if (deadline >= 0) {
        this.clock.advanceTo(Math.max(deadline, this.clock.now()));
        return null; // roundTimersDue stays set: the timers at the new time fire next
      }
    }
    this.roundTimersDue = false;
    return idle ? 'idle' : null;
  }

  /** One turn for every runnable vCPU; false when none could run. */
  private runRound(): boolean {
    let ran = false;
    for (const slot of this.slots) {
      if (this.stopReason !== null || this.paused) break;
      if (slot.power !== 'on') continue;
      const cpu = slot.cpu;
      if (slot.sleeping) {
        if (cpu.interruptPending === 0) continue;
        slot.sleeping = false;
      }
      ran = true;
      this.currentCpu = cpu.index;
      const budget = this.budget();
      this.runningCpu = cpu;
      let executed: number;
      try {
        executed = cpu.run(budget);
      } finally {
        this.runningCpu = null;
      }
      if (this.deterministic) this.clock.advance(executed * this.nsPerInsn);
      if (cpu.stopReason === StopReason.Wfi && cpu.interruptPending === 0) slot.sleeping = true;
    }
    return ran;
  }

  /** In deterministic mode, stop exactly at the next deadline so timers fire at the same instruction. */
  private budget(): number {
    if (!this.deterministic) return this.quantum;
    const deadline = this.clock.nextDeadline();
    if (deadline < 0) return this.quantum;
    const untilDeadline = Math.ceil((deadline - this.clock.now()) / this.nsPerInsn);
    return Math.max(1, Math.min(this.quantum, untilDeadline));
  }

  /**
   * Runs until the machine stops, yielding to the event loop between slices and sleeping while idle.
   * Resolves with the stop reason. Timers waiting for host work (deterministic device I/O) are awaited
   * with virtual time frozen, and their round is finished before a stop takes effect.
   */
  async run(): Promise<string> {
    for (;;) {
      const hostWork = this.clock.hostWork;
      if (hostWork !== null) {
        await hostWork;
      } else if (this.stopReason !== null) {
        return this.stopReason;
      } else if (this.paused) {
        await this.park();
        continue;
      }
      const state = this.runSlice();
      if (state === 'idle') await this.sleepUntilDeadline();
      else if (state === 'running') await yieldToHost();
    }
  }

  private sleepUntilDeadline(): Promise<void> {
    if (this.wakeRequested) {
      this.wakeRequested = false;
      return yieldToHost();
    }
    const deadline = this.clock.nextDeadline();
    const delayMs = deadline < 0 ? 1000 : Math.max(0, (deadline - this.clock.now()) / 1e6);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          this.wakeHost = null;
          resolve();
        },
        Math.min(delayMs, 1000),
      );
      this.wakeHost = () => {
        clearTimeout(timer);
        resolve();
      };
    }).then(() => {
      this.wakeRequested = false;
    });
  }
}

function yieldToHost(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
