/**
 * Virtual time and timers, after QEMU's QEMUClock / QEMUTimer.
 *
 * Time is an integer count of nanoseconds held in a JS number. Integers are exact up to 2^53 ns, about
 * 104 days of virtual time: far beyond any session, and it keeps the hot paths free of BigInt.
 *
 * Two modes:
 * - 'realtime': while running, virtual time follows the host's monotonic clock; `pause()` stops it and
 *   `resume()` continues from the same value, so a paused machine does not see time jump.
 * - 'deterministic': time moves only when the run loop calls `advance()` / `advanceTo()` / `runUntil()`
 *   (e.g. from instructions executed), so a run and its replay see identical times. While a vCPU runs its
 *   quantum, `now()` adds the pending part the scheduler installs with `setPendingNs` (the instructions it has
 *   executed so far, as QEMU's icount does), so a guest polling a counter sees it move within the quantum.
 *
 * Armed timers live in a binary heap ordered by (deadline, arming order): equal deadlines fire in the
 * order they were armed.
 *
 * Re-arming rule in `runDue(now)`: every timer with deadline <= now fires once per deadline, in order. A
 * callback may re-arm any timer; a deadline strictly later than the one being fired joins this same pass
 * (so a periodic timer that fell behind catches up one firing per period, as its deadlines say), while a
 * deadline at or before the one being fired waits for the next `runDue` call. So a timer that keeps
 * re-arming itself in the past cannot spin forever inside one call.
 *
 * Host work (deterministic mode's device I/O): a timer may carry a gate, asked just before it would fire.
 * A gate that answers with a promise (the host has not finished what the callback needs) ends `runDue`
 * there, with that timer and everything after it still due and the pass left open (`hostWork`): the run
 * loop awaits the promise with virtual time frozen and calls `runDue` again, which carries on exactly where
 * the pass stopped. So the order in which timers fire never depends on how fast the host is.
 */

export type ClockMode = 'realtime' | 'deterministic';

/**
 * Asked just before its timer fires: null when the callback may run now, else a promise that settles once
 * the host work the callback needs is done (the timer then waits, see `VirtualClock.hostWork`).
 */
export type HostWorkGate = () => PromiseLike<unknown> | null;

/** A monotonic host clock in nanoseconds (injectable so tests control host time). */
export type HostTimeSource = () => number;

export const NS_PER_SECOND = 1_000_000_000;

const defaultHostTime: HostTimeSource = () => Math.floor(performance.now() * 1e6);

export interface VirtualClockOptions {
  readonly mode: ClockMode;
  /** Virtual time at creation (default 0). */
  readonly startNs?: number;
  /** Host monotonic time for 'realtime' mode (default: performance.now()). */
  readonly hostTime?: HostTimeSource;
  /** A realtime clock starts running unless this is false. */
  readonly running?: boolean;
}

export class VirtualClock {
  readonly mode: ClockMode;
  private readonly hostTime: HostTimeSource;
  /** Virtual time when last paused, advanced or restored. */
  private baseNs: number;
  /** Host time when the realtime clock last resumed (meaningful only while running). */
  private hostAtResume = 0;
  private isRunning = false;

  private readonly heap: Timer[] = [];
  private armSequence = 0;
  /** Deadline of the timer being fired by runDue, or -1 outside runDue. */
  private firingDeadline = -1;
  private readonly deferred: Timer[] = [];
  private deadlineListener: (() => void) | null = null;
  /** Deterministic mode: time not yet folded into baseNs by advance() (the running quantum's). */
  private pendingNs: (() => number) | null = null;
  /** What the open pass of runDue waits for (a gated timer's host work), or null when no pass is open. */
  private waitingFor: Promise<void> | null = null;

  constructor(options: VirtualClockOptions) {
    this.mode = options.mode;
    this.hostTime = options.hostTime ?? defaultHostTime;
    this.baseNs = checkNs(options.startNs ?? 0, 'startNs');
    if (this.mode === 'realtime' && options.running !== false) this.resume();
  }

  /** Current virtual time in nanoseconds. */
  now(): number {
    if (this.mode === 'deterministic') return this.pendingNs === null ? this.baseNs : this.baseNs + this.pendingNs();
    if (!this.isRunning) return this.baseNs;
    return this.baseNs + (this.hostTime() - this.hostAtResume);
  }

  get running(): boolean {
    return this.isRunning;
  }

  /** Stops virtual time (realtime mode); it continues from the same value on resume. */
  pause(): void {
    if (!this.isRunning) return;
    if (this.mode === 'realtime') this.baseNs = this.now();
    this.isRunning = false;
  }

  resume(): void {
    if (this.isRunning) return;
    this.hostAtResume = this.hostTime();
    this.isRunning = true;
  }

  /**
   * Deterministic mode: `provider()` (whole ns >= 0) is added to every `now()` until it is replaced. It must
   * return 0 whenever the owner advances the clock, so that time stays monotonic and the advanced-to
   * value is the one `now()` showed last. Ignored in realtime mode.
   */
  setPendingNs(provider: (() => number) | null): void {
    this.pendingNs = provider;
  }

  /** Moves deterministic time forward by `ns`; timers do not fire until `runDue`. */
  advance(ns: number): void {
    this.advanceTo(this.baseNs + checkNs(ns, 'advance'));
  }

  advanceTo(ns: number): void {
    if (this.mode !== 'deterministic') throw new Error('advanceTo: only a deterministic clock is advanced by hand');
    checkNs(ns, 'advanceTo');
    if (ns < this.baseNs) throw new RangeError(`advanceTo(${ns}): virtual time is already ${this.baseNs}`);
    this.baseNs = ns;
  }

  /**
   * Deterministic stepping: moves time to each due deadline in turn and fires it, so every callback sees
   * `now()` equal to its own deadline; ends at `ns`. Returns how many timers fired. A timer that always
   * re-arms itself at or before `now()` fires once per pass and keeps this loop going: devices clamp
   * guest-programmed periods to at least 1 ns, as QEMU's do. Returns early, time left at that timer's
   * deadline, when a timer waits for host work (`hostWork`): call again once it settled.
   */
  runUntil(ns: number): number {
    let fired = 0;
    for (;;) {
      const next = this.nextDeadline();
      if (next < 0 || next > ns) break;
      if (next > this.baseNs) this.advanceTo(next);
      fired += this.runDue(this.baseNs);
      if (this.waitingFor !== null) return fired;
    }
    if (ns > this.baseNs) this.advanceTo(ns);
    return fired;
  }

  /**
   * Sets virtual time to a saved value (snapshot restore). Timers keep their absolute deadlines. A running
   * realtime clock continues from the restored value.
   */
  restore(ns: number): void {
    this.baseNs = checkNs(ns, 'restore');
    if (this.isRunning) this.hostAtResume = this.hostTime();
  }

  /** Earliest armed deadline, or -1 when no timer is armed. */
  nextDeadline(): number {
    return this.heap.length === 0 ? -1 : this.heap[0].expiresAt;
  }

  /** Called whenever the earliest deadline moves earlier (a sleeping run loop wakes up to re-plan). */
  setDeadlineListener(listener: (() => void) | null): void {
    this.deadlineListener = listener;
  }

  /**
   * Fires every timer whose deadline is <= `now`, in deadline order; returns how many fired. Stops before a
   * timer whose gate answers with host work still under way, leaving the pass open (see `hostWork`); the
   * next call continues it.
   */
  runDue(now: number = this.now()): number {
    if (this.firingDeadline >= 0) throw new Error('runDue: called from inside a timer callback');
    this.waitingFor = null;
    let fired = 0;
    try {
      while (this.heap.length > 0 && this.heap[0].expiresAt <= now) {
        const timer = this.heap[0];
        if (timer.gate !== null) {
          const work = timer.gate();
          if (work !== null) {
            this.waitingFor = Promise.resolve(work).then(settled, settled);
            break;
          }
          if (this.heap[0] !== timer) continue; // the gate re-armed a timer: look at the queue again
        }
        this.firingDeadline = timer.expiresAt;
        this.removeAt(0);
        timer.expiresAt = -1;
        fired++;
        timer.callback();
      }
    } finally {
      this.firingDeadline = -1;
      // Timers re-armed at or before a fired deadline join the heap when the whole pass is over.
      if (this.waitingFor === null) for (const timer of this.deferred.splice(0)) this.insert(timer);
    }
    return fired;
  }

  /**
   * The host work the last `runDue` stopped for, or null. While it is set, a pass is open: nothing else may
   * run in the machine (virtual time stays where it is) until the promise settles (it never rejects) and
   * `runDue` is called again.
   */
  get hostWork(): Promise<void> | null {
    return this.waitingFor;
  }

  /** Number of armed timers (for the inspector and tests). */
  get armedCount(): number {
    return this.heap.length + this.deferred.length;
  }

  // ---- used by Timer ----

  /** @internal */
  arm(timer: Timer, deadline: number): void {
    this.disarm(timer);
    timer.expiresAt = deadline;
    timer.sequence = this.armSequence++;
    if (this.firingDeadline >= 0 && deadline <= this.firingDeadline) {
      timer.heapIndex = DEFERRED;
      this.deferred.push(timer);
      return;
    }
    this.insert(timer);
  }

  /** @internal */
  disarm(timer: Timer): void {
    if (timer.heapIndex === DEFERRED) {
      this.deferred.splice(this.deferred.indexOf(timer), 1);
    } else if (timer.heapIndex >= 0) {
      this.removeAt(timer.heapIndex);
    }
    timer.heapIndex = NOT_ARMED;
    timer.expiresAt = -1;
  }

  private insert(timer: Timer): void {
    const previous = this.nextDeadline();
    timer.heapIndex = this.heap.length;
    this.heap.push(timer);
    this.siftUp(timer.heapIndex);
    if (this.deadlineListener !== null && (previous < 0 || timer.expiresAt < previous) && this.heap[0] === timer) {
      this.deadlineListener();
    }
  }

  private removeAt(index: number): void {
    const heap = this.heap;
    const removed = heap[index];
    const last = heap.pop() as Timer;
    removed.heapIndex = NOT_ARMED;
    if (index === heap.length) return;
    heap[index] = last;
    last.heapIndex = index;
    this.siftUp(index);
    this.siftDown(last.heapIndex);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const timer = heap[index];
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex];
      if (!firesBefore(timer, parent)) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = timer;
    timer.heapIndex = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const timer = heap[index];
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && firesBefore(heap[right], heap[left]) ? right : left;
      if (!firesBefore(heap[child], timer)) break;
      heap[index] = heap[child];
      heap[index].heapIndex = index;
      index = child;
    }
    heap[index] = timer;
    timer.heapIndex = index;
  }
}

const NOT_ARMED = -1;
const DEFERRED = -2;

function settled(): void {}

function firesBefore(a: Timer, b: Timer): boolean {
  return a.expiresAt < b.expiresAt || (a.expiresAt === b.expiresAt && a.sequence < b.sequence);
}

function checkNs(ns: number, what: string): number {
  if (!Number.isSafeInteger(ns) || ns < 0) throw new RangeError(`${what}: ${ns} is not a whole number of ns >= 0`);
  return ns;
}

/** A one-shot timer on a virtual clock; re-arm it from its callback for periodic behaviour. */
export class Timer {
  /** Absolute deadline in ns, or -1 when not armed. */
  expiresAt = -1;
  /** @internal position in the clock's heap (-1 not armed, -2 deferred to the next runDue). */
  heapIndex = NOT_ARMED;
  /** @internal arming order, breaks ties between equal deadlines. */
  sequence = 0;

  /** `gate`, when given, may hold the timer back until host work is done (see HostWorkGate). */
  constructor(
    readonly clock: VirtualClock,
    readonly callback: () => void,
    readonly gate: HostWorkGate | null = null,
  ) {}

  /**
   * Arms (or re-arms) the timer to fire at the absolute virtual time `deadlineNs`. Deadlines past 2^53 ns
   * (guest-computed, e.g. an alarm 2^32 s away) are clamped there: they never come in practice.
   */
  modNs(deadlineNs: number): void {
    if (Number.isNaN(deadlineNs)) throw new RangeError('modNs: deadline is NaN');
    const deadline = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(deadlineNs)));
    this.clock.arm(this, deadline);
  }

  /** Arms the timer `delayNs` after the clock's current time. */
  modAfterNs(delayNs: number): void {
    this.modNs(this.clock.now() + delayNs);
  }

  del(): void {
    if (this.heapIndex !== NOT_ARMED) this.clock.disarm(this);
  }

  get pending(): boolean {
    return this.heapIndex !== NOT_ARMED;
  }

  /** Restores a saved deadline (-1: not armed), as the VMState 'timer' wire type does. */
  restoreDeadline(deadlineNs: number): void {
    if (deadlineNs < 0) this.del();
    else this.modNs(deadlineNs);
  }
}
