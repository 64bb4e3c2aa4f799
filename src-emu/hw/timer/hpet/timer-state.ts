/**
 * One HPET timer's registers and the arithmetic of its comparator (spec 2.3.8 - 2.3.9, 2.4): when it
 * fires next, how the periodic accumulator moves, the 32-bit mode and its wrap interrupt, and where its
 * interrupt goes. Pure logic: the device shell turns the answers into Timer, IrqLine and FSB actions.
 *
 * Times are in counter ticks; "ticks until" answers are at least 1, so a comparator already in the past
 * (by signed 32- or 64-bit distance) fires on the next tick instead of waiting for the counter to wrap.
 */
import { CONF, LEGACY_TIMER0_OUTPUT, LEGACY_TIMER1_OUTPUT, TIMN_CONF_WRITE_MASK, timerConfigReset } from './registers';
import { U64, belowTwo52 } from './uint64';

const TWO_32 = 2 ** 32;
/** All ones: the comparator's reset value. */
const ALL_ONES = 0xffff_ffff;

/** What a timer's expiry does with its interrupt. */
export type Delivery = 'none' | 'level' | 'edge' | 'fsb';

export class HpetTimerState {
  /** TIMn_CONF bits 31:0 (bits 63:32 are the device's INT_ROUTE_CAP). */
  config = 0;
  /** TIMn_COMP as the guest reads it. */
  readonly cmp = new U64(ALL_ONES, ALL_ONES);
  /** Last value written to the comparator of a periodic timer (the accumulator's increment). */
  readonly period = new U64();
  /** TIMn_FSB_INT_ROUTE: message value in the low half, address in the high half. */
  readonly fsb = new U64();
  /** 1 while the armed expiry is the 32-bit counter wrapping, not the comparator match (one-shot only). */
  wrapFlag = 0;

  private readonly scratch = new U64();
  private lastSetVal = false;

  constructor(readonly index: number) {}

  reset(fsbCapable: boolean): void {
    this.config = timerConfigReset(fsbCapable);
    this.cmp.set(ALL_ONES, ALL_ONES);
    this.period.set(0, 0);
    this.fsb.set(0, 0);
    this.wrapFlag = 0;
  }

  get enabled(): boolean {
    return (this.config & CONF.ENABLE) !== 0;
  }

  get periodic(): boolean {
    return (this.config & CONF.PERIODIC) !== 0;
  }

  get mode32(): boolean {
    return (this.config & CONF.MODE32) !== 0;
  }

  get level(): boolean {
    return (this.config & CONF.LEVEL) !== 0;
  }

  get fsbEnabled(): boolean {
    return (this.config & CONF.FSB_ENABLE) !== 0;
  }

  /** The INT_ROUTE_CNF field. */
  get route(): number {
    return (this.config & CONF.ROUTE_MASK) >>> CONF.ROUTE_SHIFT;
  }

  /** The output this timer drives: the legacy route for timers 0 and 1 when `legacy`, else INT_ROUTE. */
  output(legacy: boolean): number {
    if (legacy && this.index <= 1) return this.index === 0 ? LEGACY_TIMER0_OUTPUT : LEGACY_TIMER1_OUTPUT;
    return this.route;
  }

  /** What an expiry delivers, given GEN_CONF.ENABLE_CNF. */
  delivery(hpetEnabled: boolean): Delivery {
    if (!this.enabled || !hpetEnabled) return 'none';
    if (this.fsbEnabled) return 'fsb';
    return this.level ? 'level' : 'edge';
  }

  /** TIMn_CONF bits the guest may change. */
  writableMask(): number {
    return (this.config & CONF.FSB_CAP) !== 0 ? TIMN_CONF_WRITE_MASK : TIMN_CONF_WRITE_MASK & ~CONF.FSB_ENABLE;
  }

  /** Writes TIMn_CONF bits 31:0; returns the previous value. 32-bit mode truncates comparator and period. */
  writeConfig(value: number): number {
    const old = this.config;
    const mask = this.writableMask();
    this.config = ((value & mask) | (old & ~mask)) >>> 0;
    if (this.mode32) {
      this.cmp.hi = 0;
      this.period.hi = 0;
    }
    return old;
  }

  /**
   * Writes one half of TIMn_COMP. A one-shot timer's write sets the comparator; a periodic timer's write
   * sets the period, and the comparator too when VAL_SET_CNF is set (or `carrySetVal`: this is the high
   * half of a 64-bit write whose low half had VAL_SET_CNF). VAL_SET_CNF clears itself. In 32-bit mode the
   * high half is not writable (returns false) and a low write clears it. Returns whether the write was
   * taken; `setValCarried()` then tells whether the high half of the same 64-bit value still sets the
   * comparator.
   */
  writeComparator(high: boolean, value: number, carrySetVal: boolean): boolean {
    this.lastSetVal = false;
    if (this.mode32 && high) return false;
    const setsComparator = !this.periodic || (this.config & CONF.SETVAL) !== 0 || carrySetVal;
    if (this.mode32) {
      if (setsComparator) this.cmp.set(0, value);
      if (this.periodic) this.period.set(0, value);
    } else {
      if (setsComparator) this.cmp.setHalf(high, value);
      if (this.periodic) this.period.setHalf(high, value);
      this.lastSetVal = setsComparator && this.periodic && !high;
    }
    this.config = (this.config & ~CONF.SETVAL) >>> 0;
    return true;
  }

  /** Whether the last comparator write was a low half that set a periodic timer's comparator. */
  setValCarried(): boolean {
    return this.lastSetVal;
  }

  /**
   * Ticks from `counter` until the timer's next expiry (QEMU's hpet_set_timer): the comparator match, or
   * for a one-shot 32-bit timer the counter wrapping to 0 if that comes first (then `wrapFlag` is set).
   */
  ticksToArm(counter: U64): number {
    this.wrapFlag = 0;
    const match = this.ticksToMatch(counter);
    if (this.mode32 && !this.periodic) {
      const toWrap = TWO_32 - counter.lo;
      if (toWrap < match) {
        this.wrapFlag = 1;
        return toWrap;
      }
    }
    return match;
  }

  /**
   * The timer expired with the counter at `counter`: a periodic timer's comparator advances by whole
   * periods until it is ahead of the counter (the accumulator); a 32-bit one-shot that expired on the wrap
   * now waits for its match. Returns the ticks until the next expiry, or -1 when none is due.
   */
  expire(counter: U64): number {
    if (this.periodic && !this.periodIsZero()) {
      this.advanceComparator(counter);
      return this.ticksToMatch(counter);
    }
    if (this.mode32 && !this.periodic && this.wrapFlag !== 0) {
      this.wrapFlag = 0;
      return this.ticksToMatch(counter);
    }
    return -1;
  }

  /** Ticks until the comparator matches, at least 1 (a comparator behind the counter fires next tick). */
  ticksToMatch(counter: U64): number {
    if (this.mode32) {
      const ahead = (this.cmp.lo - counter.lo) | 0;
      return ahead > 0 ? ahead : 1;
    }
    const ahead = this.scratch.difference(this.cmp, counter);
    return ahead.negative || ahead.isZero() ? 1 : ahead.toNumber();
  }

  private periodIsZero(): boolean {
    return this.mode32 ? this.period32() === 0 : (this.period.hi & 0x7fff_ffff) === 0 && this.period.lo === 0;
  }

  /** The 32-bit period, kept below 2^31 so the comparator always lands ahead (as QEMU clamps it). */
  private period32(): number {
    return this.period.lo & 0x7fff_ffff;
  }

  private advanceComparator(counter: U64): void {
    if (this.mode32) {
      if (((this.cmp.lo - counter.lo) | 0) > 0) return;
      const period = this.period32();
      const behind = (counter.lo - this.cmp.lo) >>> 0;
      const steps = Math.floor(behind / period) + 1;
      this.cmp.lo = ((this.cmp.lo + steps * period) % TWO_32) >>> 0;
      return;
    }
    const behind = this.scratch.difference(counter, this.cmp);
    if (behind.negative) return;
    const period = this.period;
    if (belowTwo52(behind) && belowTwo52(period)) {
      const p = period.toNumber();
      this.cmp.addNumber((Math.floor(behind.toNumber() / p) + 1) * p);
      return;
    }
    // Counter and period far apart (a guest writing extreme values): exact arithmetic, off the usual path.
    const p = period.toBigInt() & 0x7fff_ffff_ffff_ffffn;
    if (p === 0n) return;
    const steps = behind.toBigInt() / p + 1n;
    this.cmp.setBigInt(this.cmp.toBigInt() + steps * p);
  }
}
