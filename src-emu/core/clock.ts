/**
 * Clock trees, after QEMU's Clock: a clock carries a period, a source clock drives its sinks, and devices
 * react to rate changes (the PL011 baud rate follows its UARTCLK).
 *
 * The period is in units of 2^-32 ns, as in QEMU, held in a JS number. Periods below 2^53 units (clocks
 * faster than about 477 Hz) are exact integers, and all conversions below are exact (no BigInt, no
 * rounding surprises) as long as their results stay below 2^53. Slower clocks keep 53 significant bits.
 * A period of 0 means the clock is disabled (stopped or not connected).
 */

/** One second in period units (2^-32 ns). */
export const CLOCK_PERIOD_1SEC = 1e9 * 2 ** 32;

const TWO_32 = 2 ** 32;

/** floor(a * b / 2^32), exact when a, b and the result are below 2^53 (a and b non-negative integers). */
export function mulShr32(a: number, b: number): number {
  const aHi = Math.floor(a / TWO_32);
  const aLo = a - aHi * TWO_32;
  const bHi = Math.floor(b / TWO_32);
  const bLo = b - bHi * TWO_32;
  // aLo * bLo can reach 2^64: split bLo into 16-bit halves so every product stays below 2^48.
  const bLoHi = Math.floor(bLo / 65536);
  const bLoLo = bLo - bLoHi * 65536;
  const low = Math.floor((aLo * bLoHi + Math.floor((aLo * bLoLo) / 65536)) / 65536);
  return aHi * bHi * TWO_32 + aHi * bLo + aLo * bHi + low;
}

/** Sign of a * b - c * 2^32 (exact under mulShr32's conditions). */
function compareScaled(a: number, b: number, c: number): number {
  const high = mulShr32(a, b);
  if (high !== c) return high < c ? -1 : 1;
  // Equal above bit 32: the low 32 bits of a * b decide; Math.imul gives exactly those.
  return Math.imul(a, b) === 0 ? 0 : 1;
}

/** floor(c * 2^32 / d) for a non-negative integer c and a positive integer d. */
export function divScaled(c: number, d: number): number {
  let q = Math.floor((c * TWO_32) / d);
  if (q >= Number.MAX_SAFE_INTEGER) return q;
  // The double division may be one off either way near an integer; settle it exactly.
  while (q > 0 && compareScaled(q, d, c) > 0) q--;
  while (compareScaled(q + 1, d, c) <= 0) q++;
  return q;
}

export type ClockListener = (clock: Clock) => void;

export class Clock {
  private periodUnits = 0;
  private sourceClock: Clock | null = null;
  private readonly sinkClocks: Clock[] = [];
  private readonly listeners: ClockListener[] = [];

  /** `owner` is a device path or an object with one; the clock's path is `<owner>/<name>`. */
  constructor(
    private readonly owner: string | { readonly path: string },
    readonly name: string,
  ) {}

  get path(): string {
    return `${typeof this.owner === 'string' ? this.owner : this.owner.path}/${this.name}`;
  }

  /** Period in 2^-32 ns units (0: disabled). */
  get period(): number {
    return this.periodUnits;
  }

  get enabled(): boolean {
    return this.periodUnits !== 0;
  }

  /** Frequency in whole Hz, rounded down like QEMU's clock_get_hz (0 when disabled). */
  get hz(): number {
    return this.periodUnits === 0 ? 0 : divScaled(1e9, this.periodUnits);
  }

  /** Period in nanoseconds, fractional. */
  get periodNs(): number {
    return this.periodUnits / TWO_32;
  }

  get source(): Clock | null {
    return this.sourceClock;
  }

  get sinks(): readonly Clock[] {
    return this.sinkClocks;
  }

  /** Sets the period in 2^-32 ns units; sinks follow. A clock driven by a source cannot be set. */
  setPeriod(period: number): void {
    if (this.sourceClock !== null) {
      throw new Error(`clock ${this.path} follows ${this.sourceClock.path}; set the source instead`);
    }
    if (!(period >= 0) || !Number.isFinite(period)) throw new Error(`clock ${this.path}: invalid period ${period}`);
    this.update(Math.round(period));
  }

  /** Sets the frequency (0 disables the clock); the period is rounded down like QEMU's CLOCK_PERIOD_FROM_HZ. */
  setHz(hz: number): void {
    if (!Number.isInteger(hz) || hz < 0) throw new Error(`clock ${this.path}: invalid frequency ${hz} Hz`);
    this.setPeriod(hz === 0 ? 0 : divScaled(1e9, hz));
  }

  setPeriodNs(ns: number): void {
    this.setPeriod(ns * TWO_32);
  }

  /** Makes `sink` follow this clock from now on (it takes this period at once, and passes it on). */
  connectTo(sink: Clock): void {
    if (sink.sourceClock !== null) throw new Error(`clock ${sink.path} already follows ${sink.sourceClock.path}`);
    if (sink === this || this.followsFrom(sink)) throw new Error(`clock ${sink.path} cannot follow itself`);
    sink.sourceClock = this;
    this.sinkClocks.push(sink);
    sink.update(this.periodUnits);
  }

  /** Whether `clock` is somewhere up this clock's source chain. */
  private followsFrom(clock: Clock): boolean {
    for (let source = this.sourceClock; source !== null; source = source.sourceClock) {
      if (source === clock) return true;
    }
    return false;
  }

  /** Stops following the source; the period stays as it is. */
  disconnect(): void {
    const source = this.sourceClock;
    if (source === null) return;
    source.sinkClocks.splice(source.sinkClocks.indexOf(this), 1);
    this.sourceClock = null;
  }

  /** Called after the period really changed; returns an unsubscriber. */
  onChange(listener: ClockListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  /** Duration of `ticks` periods in whole ns, rounded down (QEMU's clock_ticks_to_ns). 0 when disabled. */
  ticksToNs(ticks: number): number {
    return Math.min(mulShr32(ticks, this.periodUnits), Number.MAX_SAFE_INTEGER);
  }

  /** Whole periods that fit in `ns` (QEMU's clock_ns_to_ticks). 0 when disabled. */
  nsToTicks(ns: number): number {
    return this.periodUnits === 0 ? 0 : divScaled(ns, this.periodUnits);
  }

  private update(period: number): void {
    if (period === this.periodUnits) return;
    this.periodUnits = period;
    for (const listener of this.listeners) listener(this);
    for (const sink of this.sinkClocks) sink.update(period);
  }

  describe(): { path: string; hz: number; periodNs: number; source: string | null; sinks: string[] } {
    return {
      path: this.path,
      hz: this.hz,
      periodNs: this.periodNs,
      source: this.sourceClock?.path ?? null,
      sinks: this.sinkClocks.map((s) => s.path),
    };
  }
}
