/**
 * The ARMv8 generic timer of one CPU (ARM ARM D10): the system counter seen as CNTPCT_EL0/CNTVCT_EL0 and
 * two EL1&0 timers, physical (CNTP_*) and virtual (CNTV_*).
 *
 * The counter runs at 62.5 MHz (CNTFRQ_EL0 = 62500000, one tick per 16 ns of virtual time) and is derived
 * from the machine's VirtualClock: count = floor(now / 16). CNTVOFF_EL2 does not exist without EL2, so the
 * virtual count equals the physical count.
 *
 * Each timer's output is a level (ENABLE && ISTATUS && !IMASK) handed to a callback the board wires to the
 * interrupt controller (virt: virtual timer -> PPI 27, physical -> PPI 30). A core Timer fires at the exact
 * virtual nanosecond at which the count reaches CVAL.
 */
import { Timer } from '../../../core/timer';
import type { VirtualClock } from '../../../core/timer';

export const COUNTER_FREQUENCY_HZ = 62_500_000;
export const NS_PER_TICK = 16;

/** Which EL1&0 timer: the physical one (CNTP_*) or the virtual one (CNTV_*). */
export const GT = { Phys: 0, Virt: 1 } as const;
export type GtIndex = (typeof GT)[keyof typeof GT];

/** CNTx_CTL_EL0 bits. */
export const CNT_CTL = { ENABLE: 1, IMASK: 2, ISTATUS: 4 } as const;

export type TimerOutput = (level: boolean) => void;

const TWO_POW_32 = 4294967296;
/** Largest tick count whose deadline (ticks * 16 ns) is still an exact JS integer. */
const MAX_SCHEDULABLE_TICKS = Math.floor(Number.MAX_SAFE_INTEGER / NS_PER_TICK);

/** One of the two EL1&0 timers. */
class ComparatorTimer {
  ctl = 0;
  cvalLo = 0;
  cvalHi = 0;
  level = false;
  readonly timer: Timer;

  constructor(
    private readonly counter: GenericTimer,
    clock: VirtualClock,
    private readonly output: TimerOutput,
  ) {
    this.timer = new Timer(clock, () => this.update());
  }

  /** Recomputes ISTATUS and the output level, and arms the core timer for the next CVAL match. */
  update(): void {
    this.timer.del();
    let met = false;
    if ((this.ctl & CNT_CTL.ENABLE) !== 0) {
      const cval = (this.cvalHi >>> 0) * TWO_POW_32 + (this.cvalLo >>> 0);
      const ticks = this.counter.ticks();
      met = ticks >= cval;
      if (!met && cval <= MAX_SCHEDULABLE_TICKS) this.timer.modNs(cval * NS_PER_TICK);
    }
    this.ctl = met ? this.ctl | CNT_CTL.ISTATUS : this.ctl & ~CNT_CTL.ISTATUS;
    const level = met && (this.ctl & CNT_CTL.IMASK) === 0;
    if (level !== this.level) {
      this.level = level;
      this.output(level);
    }
  }
}

export class GenericTimer {
  private readonly timers: [ComparatorTimer, ComparatorTimer];

  constructor(
    private readonly clock: VirtualClock,
    outputs: { readonly phys: TimerOutput; readonly virt: TimerOutput },
  ) {
    this.timers = [new ComparatorTimer(this, clock, outputs.phys), new ComparatorTimer(this, clock, outputs.virt)];
  }

  /** The system count as a JS number (exact: below 2^49 for any virtual time below 2^53 ns). */
  ticks(): number {
    return Math.floor(this.clock.now() / NS_PER_TICK);
  }

  /** CNTPCT_EL0 / CNTVCT_EL0 into out[0] (bits 31:0) and out[1] (bits 63:32). */
  readCount(out: Int32Array): void {
    const t = this.ticks();
    out[0] = t | 0; // ToInt32 keeps bits 31:0 of an integer below 2^53
    out[1] = Math.floor(t / TWO_POW_32) | 0;
  }

  /** ISTATUS is brought up to date first: the core timer may not have run yet at this exact time. */
  readCtl(which: GtIndex): number {
    const t = this.timers[which];
    if ((t.ctl & CNT_CTL.ENABLE) !== 0) t.update();
    return t.ctl;
  }

  /** ENABLE and IMASK are writable; ISTATUS is read-only. */
  writeCtl(which: GtIndex, value: number): void {
    const t = this.timers[which];
    t.ctl = (t.ctl & CNT_CTL.ISTATUS) | (value & (CNT_CTL.ENABLE | CNT_CTL.IMASK));
    t.update();
  }

  readCval(which: GtIndex, out: Int32Array): void {
    out[0] = this.timers[which].cvalLo;
    out[1] = this.timers[which].cvalHi;
  }

  writeCval(which: GtIndex, lo: number, hi: number): void {
    const t = this.timers[which];
    t.cvalLo = lo | 0;
    t.cvalHi = hi | 0;
    t.update();
  }

  /** CNTx_TVAL_EL0: (CVAL - count) bits 31:0, as a signed 32-bit value. */
  readTval(which: GtIndex): number {
    const t = this.timers[which];
    return (t.cvalLo - this.ticks()) | 0;
  }

  /** Writing TVAL sets CVAL = count + SignExtend(TVAL[31:0]) (modulo 2^64). */
  writeTval(which: GtIndex, value: number): void {
    const t = this.timers[which];
    const ticks = this.ticks();
    let lo = (ticks % TWO_POW_32) + (value >>> 0);
    let hi = Math.floor(ticks / TWO_POW_32) + (value < 0 ? -1 : 0);
    if (lo >= TWO_POW_32) {
      lo -= TWO_POW_32;
      hi += 1;
    }
    t.cvalLo = lo | 0;
    t.cvalHi = hi | 0;
    t.update();
  }

  /** The current output level of a timer (what the board's interrupt line should be). */
  outputLevel(which: GtIndex): boolean {
    return this.timers[which].level;
  }

  /** Timers off (CTL = 0; CVAL is UNKNOWN at reset and kept). */
  reset(): void {
    for (const t of this.timers) {
      t.ctl = 0;
      t.update();
    }
  }

  /** After a snapshot load: re-derive ISTATUS, levels and deadlines from CTL/CVAL. */
  restore(state: ReadonlyArray<{ ctl: number; cvalLo: number; cvalHi: number }>): void {
    state.forEach((s, i) => {
      const t = this.timers[i];
      t.ctl = s.ctl;
      t.cvalLo = s.cvalLo | 0;
      t.cvalHi = s.cvalHi | 0;
      t.update();
    });
  }

  /** CTL and CVAL of both timers (physical first), for snapshots and the inspector. */
  save(): Array<{ ctl: number; cvalLo: number; cvalHi: number }> {
    return this.timers.map((t) => ({ ctl: t.ctl, cvalLo: t.cvalLo, cvalHi: t.cvalHi }));
  }
}
