/**
 * High Precision Event Timer (IA-PC HPET specification 1.0a), after QEMU's hw/timer/hpet.c.
 *
 * A 64-bit main counter at 100 MHz and 3..32 comparators. Each timer is one-shot or periodic (with the
 * accumulator: the comparator advances by whole periods), 64- or 32-bit (a 32-bit one-shot also fires when
 * the counter wraps), and delivers level or edge interrupts on one of 32 outputs, or an FSB message (a
 * 32-bit write to guest memory). Legacy replacement routes timers 0 and 1 to outputs 0 and 8.
 *
 * This file is the shell: MMIO dispatch, and turning the timer logic's answers (timer-state.ts,
 * counter.ts) into Timer, IrqLine and guest-memory actions. Differences from QEMU, all deliberate:
 * - Deadlines are exact: a timer fires at the virtual nanosecond the counter reaches its comparator, so
 *   the expiry sees the counter equal to the comparator (QEMU arms relative to "now" and loses the phase).
 * - A periodic expiry advances the comparator to strictly ahead of the counter, so one expiry is one
 *   interrupt; a 32-bit one-shot's wrap expiry is when the counter wraps to 0.
 * - An output shared by several sources (timers, the legacy PIT/RTC inputs) is their OR.
 * - The core splits a 64-bit access into its two 32-bit halves, low first. So that such an access stays
 *   one access, a low-half MAIN_CNT read latches the high half for an immediately following high-half
 *   read, and VAL_SET_CNF on a low-half comparator write also covers an immediately following high-half
 *   write of the same comparator.
 */
import { hex } from '../../../core/log';
import { GpioInputs, IrqLine } from '../../../core/irq';
import { MemTx } from '../../../core/memory';
import type { MemTxResult } from '../../../core/memory';
import { boolProp, defineProps, SysBusDevice, u32Prop } from '../../../core/object';
import { Timer } from '../../../core/timer';
import type { SectionEntry } from '../../../core/vmstate';
import { HpetCounter } from './counter';
import { hpetSectionEntry } from './migration';
import type { HpetMigrationSource } from './migration';
import {
  buildDecodeTable,
  capabilityLow,
  CONF,
  GEN_CONF_WRITE_MASK,
  HPET_CLK_PERIOD_FS,
  hpetRegionSize,
  HPET_MAX_TIMERS,
  HPET_MIN_TIMERS,
  HPET_NUM_OUTPUTS,
  HPET_REGS,
  LEGACY_TIMER0_OUTPUT,
  LEGACY_TIMER1_OUTPUT,
} from './registers';
import type { CounterRegisterName, GlobalRegisterName, HpetAccess, TimerRegisterName } from './registers';
import { HpetTimerState } from './timer-state';
import { trace } from './trace';
import { U64 } from './uint64';

/** Where FSB messages go: guest memory through its bounds-checked DMA helper (an AddressSpace fits). */
export interface FsbMemory {
  writeBytes(pa: number, src: Uint8Array): MemTxResult;
}

export const HPET_PROPS = defineProps({
  timers: u32Prop({ default: HPET_MIN_TIMERS, min: HPET_MIN_TIMERS, max: HPET_MAX_TIMERS, doc: 'number of timers' }),
  msi: boolProp({ default: false, doc: 'FSB delivery capable (TIMn_CONF.FSB_INT_DEL_CAP); needs FSB memory' }),
  intcap: u32Prop({
    default: 0xffff_ffff,
    doc: 'INT_ROUTE_CAP: bit k set when timers may drive output k (the outputs the board connects)',
  }),
  hpetOffsetSaved: boolProp({
    default: true,
    doc: "migrate the counter offset in the 'hpet/offset' subsection (QEMU's hpet-offset-saved)",
  }),
});

const ENABLE_CNF = HPET_REGS.GEN_CONF.fields.ENABLE_CNF;
const LEG_RT_CNF = HPET_REGS.GEN_CONF.fields.LEG_RT_CNF;
/** Legacy inputs: the PIT's and the RTC's interrupts, passed to outputs 0 and 8 outside legacy mode. */
const LEGACY_PIT_INPUT = 0;

export class Hpet extends SysBusDevice<typeof HPET_PROPS> implements HpetMigrationSource {
  static override readonly typeName = 'hpet';
  static override readonly props = HPET_PROPS;

  /** The `timers` property once realized (clamped to 3..32 before). */
  private timerCount = Math.min(Math.max(this.props.timers, HPET_MIN_TIMERS), HPET_MAX_TIMERS);

  // ---- state (migrated through migration.ts) ----
  /** GEN_CONF bits 31:0. */
  config = 0;
  /** GINTR_STA: bit n set while level-triggered timer n is asserted. */
  isr = 0;
  readonly counter = new HpetCounter();
  readonly timers: readonly HpetTimerState[] = Array.from({ length: HPET_MAX_TIMERS }, (_, i) => new HpetTimerState(i));
  /** Level of the legacy RTC input (QEMU migrates it). */
  rtcIrqLevel = 0;
  private pitLevel = 0;

  // ---- wiring ----
  /** Interrupt outputs 0..31 (IRQ indices 0..31, as QEMU's sysbus IRQs). */
  readonly outputs: readonly IrqLine[] = Array.from(
    { length: HPET_NUM_OUTPUTS },
    (_, k) => new IrqLine(this, `out${k}`),
  );
  /** Low while legacy replacement takes the PIT's place (IRQ index 32). */
  readonly pitEnabled = new IrqLine(this, 'pit-enabled');
  readonly legacyInputs = new GpioInputs(this, 'legacy', 2, (line, level) => this.onLegacyInput(line, level));
  private readonly expiries: readonly Timer[] = this.timers.map((t) => new Timer(this.clock, () => this.onExpiry(t)));
  private fsbMemory: FsbMemory | null = null;
  readonly regs = this.initMmio('hpet', hpetRegionSize(this.timerCount), {
    read: (offset) => this.read(offset),
    write: (offset, _size, value) => this.write(offset, value),
    valid: { min: 4, max: 8 },
    impl: { min: 4, max: 4 },
  });

  // ---- per-access scratch and the halves of a split 64-bit access ----
  private decodeTable: readonly HpetAccess[] = buildDecodeTable(this.timerCount);
  private readonly now64 = new U64();
  private readonly fsbMessage = new Uint8Array(4);
  private readonly fsbView = new DataView(this.fsbMessage.buffer);
  /** MAIN_CNT bits 63:32 latched by a low-half read, for the high half of the same access; -1 none. */
  private counterHiLatch = -1;
  /** Timer whose low-half comparator write used VAL_SET_CNF, for the high half of the same access; -1 none. */
  private setValCarry = -1;

  get numTimers(): number {
    return this.timerCount;
  }

  /** Hands the device the guest memory its FSB messages are written to (before realize). */
  connectFsbMemory(memory: FsbMemory): void {
    this.fsbMemory = memory;
  }

  protected override onRealize(): void {
    if (this.props.msi && this.fsbMemory === null) {
      throw this.error('FSB delivery needs guest memory: call connectFsbMemory() before realize', 'msi');
    }
    if (hpetRegionSize(this.props.timers) > this.regs.size) {
      throw this.error(
        `${this.props.timers} timers need the larger register block: set it when creating the device`,
        'timers',
      );
    }
    this.timerCount = this.props.timers;
    this.decodeTable = buildDecodeTable(this.timerCount, this.regs.size);
  }

  override resetEnter(): void {
    for (const t of this.timers) {
      this.expiries[t.index].del();
      t.reset(this.props.msi);
    }
    this.counter.reset();
    this.config = 0;
    this.isr = 0;
    this.rtcIrqLevel = 0;
    this.counterHiLatch = this.setValCarry = -1;
  }

  override resetHold(): void {
    this.pitEnabled.raise();
    this.refreshAllOutputs();
  }

  /** The migration section for this instance (its layout depends on the timer count). */
  override vmstateEntry(instanceId = 0): SectionEntry {
    return hpetSectionEntry(this, instanceId);
  }

  get enabled(): boolean {
    return (this.config & ENABLE_CNF) !== 0;
  }

  get legacy(): boolean {
    return (this.config & LEG_RT_CNF) !== 0;
  }

  /** When timer n next expires (virtual ns), or -1. */
  expiryOf(n: number): number {
    return this.expiries[n].expiresAt;
  }

  // ---- MMIO dispatch -----------------------------------------------------------------------------

  private read(offset: number): number {
    const latchedHi = this.counterHiLatch;
    this.counterHiLatch = this.setValCarry = -1;
    const access = this.decodeTable[offset >>> 2];
    let value: number;
    switch (access.kind) {
      case 'global':
        value = this.readGlobal(access.reg, latchedHi);
        break;
      case 'timer':
        value = this.readTimer(this.timers[access.timer], access.reg);
        break;
      case 'unknown':
        this.log.guestError(`read at bad offset ${hex(offset)}`);
        value = 0;
        break;
      default:
        value = unreachable(access);
    }
    trace.ram_read(offset, value);
    return value;
  }

  private write(offset: number, value: number): void {
    trace.ram_write(offset, value);
    const carry = this.setValCarry;
    this.counterHiLatch = this.setValCarry = -1;
    const access = this.decodeTable[offset >>> 2];
    switch (access.kind) {
      case 'global':
        this.writeGlobal(access.reg, value);
        return;
      case 'timer':
        this.writeTimer(this.timers[access.timer], access.reg, value, carry);
        return;
      case 'unknown':
        this.log.guestError(`write at bad offset ${hex(offset)} (value ${hex(value)})`);
        return;
      default:
        unreachable(access);
    }
  }

  private readGlobal(reg: GlobalRegisterName | CounterRegisterName, latchedHi: number): number {
    switch (reg) {
      case 'GCAP_ID':
        return capabilityLow(this.numTimers);
      case 'CLK_PERIOD':
        return HPET_CLK_PERIOD_FS;
      case 'GEN_CONF':
        return this.config;
      case 'GINTR_STA':
        return this.isr;
      case 'GEN_CONF_HI':
      case 'GINTR_STA_HI':
        return 0;
      case 'MAIN_CNT': {
        const now = this.counter.read(this.clock.now(), this.now64);
        this.counterHiLatch = now.hi;
        return now.lo;
      }
      case 'MAIN_CNT_HI':
        return latchedHi >= 0 ? latchedHi : this.counter.read(this.clock.now(), this.now64).hi;
      default:
        return unreachable(reg);
    }
  }

  private readTimer(t: HpetTimerState, reg: TimerRegisterName): number {
    switch (reg) {
      case 'TIMN_CONF':
        return t.config;
      case 'TIMN_ROUTE_CAP':
        return this.props.intcap;
      case 'TIMN_COMP':
        return t.cmp.lo;
      case 'TIMN_COMP_HI':
        return t.cmp.hi;
      case 'TIMN_FSB_VAL':
        return t.fsb.lo;
      case 'TIMN_FSB_ADDR':
        return t.fsb.hi;
      default:
        return unreachable(reg);
    }
  }

  private writeGlobal(reg: GlobalRegisterName | CounterRegisterName, value: number): void {
    switch (reg) {
      case 'GCAP_ID':
      case 'CLK_PERIOD':
        this.log.guestError(`write of ${hex(value)} to read-only register ${reg} ignored`);
        return;
      case 'GEN_CONF':
        this.writeGenConf(value);
        return;
      case 'GINTR_STA':
        this.clearStatus(value);
        return;
      case 'GEN_CONF_HI':
      case 'GINTR_STA_HI':
        if (value !== 0) this.log.guestError(`write of ${hex(value)} to reserved ${reg} ignored`);
        return;
      case 'MAIN_CNT':
      case 'MAIN_CNT_HI':
        if (this.enabled) {
          this.log.guestError(`write of ${hex(value)} to ${reg} while the counter runs ignored`);
          return;
        }
        this.counter.writeHalf(reg === 'MAIN_CNT_HI', value);
        return;
      default:
        unreachable(reg);
    }
  }

  private writeTimer(t: HpetTimerState, reg: TimerRegisterName, value: number, carry: number): void {
    switch (reg) {
      case 'TIMN_CONF':
        this.writeTimerConfig(t, value);
        return;
      case 'TIMN_ROUTE_CAP':
        if ((value & ~this.props.intcap) !== 0) this.log.guestError(`timer ${t.index}: INT_ROUTE_CAP is read-only`);
        return;
      case 'TIMN_COMP':
      case 'TIMN_COMP_HI':
        this.writeComparator(t, reg === 'TIMN_COMP_HI', value, carry === t.index);
        return;
      case 'TIMN_FSB_VAL':
      case 'TIMN_FSB_ADDR':
        t.fsb.setHalf(reg === 'TIMN_FSB_ADDR', value);
        return;
      default:
        unreachable(reg);
    }
  }

  // ---- register behaviour ------------------------------------------------------------------------

  private writeGenConf(value: number): void {
    if ((value & ~GEN_CONF_WRITE_MASK) !== 0) {
      this.log.guestError(`GEN_CONF: reserved bits ${hex((value & ~GEN_CONF_WRITE_MASK) >>> 0)} ignored`);
    }
    const old = this.config;
    this.config = value & GEN_CONF_WRITE_MASK;
    const changed = old ^ this.config;
    const now = this.clock.now();
    if ((changed & ENABLE_CNF) !== 0 && this.enabled) {
      this.counter.start(now);
      for (let i = 0; i < this.numTimers; i++) if (this.timers[i].enabled) this.arm(this.timers[i]);
    } else if ((changed & ENABLE_CNF) !== 0) {
      this.counter.stop(now);
      for (let i = 0; i < this.numTimers; i++) this.expiries[i].del();
      this.isr = 0;
      this.refreshAllOutputs();
    }
    if ((changed & LEG_RT_CNF) !== 0) {
      this.pitEnabled.set(!this.legacy);
      this.refreshAllOutputs();
    }
  }

  /** GINTR_STA write: 1 clears a level-triggered timer's status and releases its output. */
  private clearStatus(value: number): void {
    const clear = value & this.isr;
    for (let i = 0; i < this.numTimers; i++) if ((clear & (1 << i)) !== 0) this.deassert(this.timers[i]);
  }

  private writeTimerConfig(t: HpetTimerState, value: number): void {
    // Writing back capability bits is normal; setting a bit that is read-only and clear is a mistake.
    const readOnly = value & ~t.writableMask() & ~t.config;
    if (readOnly !== 0) {
      this.log.guestError(`timer ${t.index}: TIMn_CONF read-only bits ${hex(readOnly >>> 0)} not set`);
    }
    const oldOutput = t.output(this.legacy);
    if ((value & CONF.FSB_ENABLE & t.writableMask()) !== 0 && !t.fsbEnabled) this.deassert(t);
    const old = t.writeConfig(value);
    const changed = old ^ t.config;
    if ((changed & CONF.ROUTE_MASK) !== 0 && ((this.props.intcap >>> t.route) & 1) === 0) {
      this.log.guestError(`timer ${t.index}: route to output ${t.route}, which INT_ROUTE_CAP does not offer`);
    }
    if (oldOutput !== t.output(this.legacy)) {
      this.refreshOutput(oldOutput);
      this.refreshOutput(t.output(this.legacy));
    }
    if ((changed & CONF.ENABLE) !== 0 && !t.enabled) {
      this.expiries[t.index].del();
      this.deassert(t);
    } else if (this.enabled && t.enabled && (changed & (CONF.ENABLE | CONF.PERIODIC | CONF.MODE32)) !== 0) {
      this.arm(t);
    }
  }

  private writeComparator(t: HpetTimerState, high: boolean, value: number, carrySetVal: boolean): void {
    if (!t.writeComparator(high, value, carrySetVal)) {
      if (value !== 0) this.log.guestError(`timer ${t.index}: comparator bits 63:32 are read-only in 32-bit mode`);
      return;
    }
    if (t.setValCarried()) this.setValCarry = t.index;
    if (this.enabled && t.enabled) this.arm(t);
  }

  // ---- timers and interrupts ---------------------------------------------------------------------

  /**
   * Arms timer t's expiry from the current counter (QEMU's hpet_set_timer). A comparator still at its
   * reset value (all ones, 64-bit) is not armed: it would otherwise count as "behind" and fire at once.
   */
  private arm(t: HpetTimerState): void {
    if (t.cmp.hi === 0xffff_ffff && t.cmp.lo === 0xffff_ffff) {
      this.expiries[t.index].del();
      return;
    }
    const now = this.clock.now();
    const ticks = t.ticksToArm(this.counter.read(now, this.now64));
    this.armAfter(t, now, ticks);
  }

  private armAfter(t: HpetTimerState, now: number, ticks: number): void {
    const deadline = this.counter.deadlineAfter(now, ticks);
    trace.set_timer(t.index, ticks, deadline);
    if (deadline < 0)
      this.expiries[t.index].del(); // halted counter: nothing to wait for
    else this.expiries[t.index].modNs(deadline);
  }

  private onExpiry(t: HpetTimerState): void {
    const now = this.clock.now();
    const counter = this.counter.read(now, this.now64);
    trace.timer_fire(t.index, counter.toNumber());
    const next = t.expire(counter);
    if (next >= 0) this.armAfter(t, now, next);
    this.assert(t);
  }

  /** Delivers timer t's interrupt (QEMU's update_irq with set = 1). */
  private assert(t: HpetTimerState): void {
    const bit = 1 << t.index;
    const delivery = t.delivery(this.enabled);
    switch (delivery) {
      case 'none':
        this.deassert(t);
        return;
      case 'fsb':
        this.sendFsbMessage(t);
        return;
      case 'level':
        this.isr = (this.isr | bit) >>> 0;
        this.refreshOutput(t.output(this.legacy));
        return;
      case 'edge': {
        this.isr = (this.isr & ~bit) >>> 0;
        const line = this.outputs[t.output(this.legacy)];
        // A line held high by another source shows no edge.
        if (!line.level) {
          trace.irq(t.output(this.legacy), true);
          trace.irq(t.output(this.legacy), false);
          line.pulse();
        }
        return;
      }
      default:
        unreachable(delivery);
    }
  }

  /** Clears timer t's status and releases its output (QEMU's update_irq with set = 0). */
  private deassert(t: HpetTimerState): void {
    const bit = 1 << t.index;
    if ((this.isr & bit) === 0) return;
    this.isr = (this.isr & ~bit) >>> 0;
    this.refreshOutput(t.output(this.legacy));
  }

  private sendFsbMessage(t: HpetTimerState): void {
    const address = t.fsb.hi;
    const value = t.fsb.lo;
    trace.fsb_write(t.index, address, value);
    if (this.fsbMemory === null) {
      this.log.guestError(`timer ${t.index}: FSB delivery with no guest memory connected`);
      return;
    }
    this.fsbView.setUint32(0, value, true);
    if (this.fsbMemory.writeBytes(address, this.fsbMessage) !== MemTx.Ok) {
      this.log.guestError(`timer ${t.index}: FSB message ${hex(value)} to ${hex(address)} was not delivered`);
    }
  }

  /** Sets output k to the OR of its level sources: asserted level timers routed there, legacy inputs. */
  private refreshOutput(k: number): void {
    let level = false;
    for (let i = 0; i < this.numTimers && !level; i++) {
      const t = this.timers[i];
      level = (this.isr & (1 << i)) !== 0 && !t.fsbEnabled && t.output(this.legacy) === k;
    }
    if (!this.legacy) {
      if (k === LEGACY_TIMER0_OUTPUT && this.pitLevel !== 0) level = true;
      if (k === LEGACY_TIMER1_OUTPUT && this.rtcIrqLevel !== 0) level = true;
    }
    const line = this.outputs[k];
    if (line.level !== level) {
      trace.irq(k, level);
      line.set(level);
    }
  }

  private refreshAllOutputs(): void {
    for (let k = 0; k < HPET_NUM_OUTPUTS; k++) this.refreshOutput(k);
  }

  private onLegacyInput(line: number, level: boolean): void {
    if (line === LEGACY_PIT_INPUT) {
      this.pitLevel = level ? 1 : 0;
      this.refreshOutput(LEGACY_TIMER0_OUTPUT);
    } else {
      this.rtcIrqLevel = level ? 1 : 0;
      this.refreshOutput(LEGACY_TIMER1_OUTPUT);
    }
  }

  // ---- migration (see migration.ts) --------------------------------------------------------------

  /** Timer n's expiry, for the 'expiry' field of its migrated state. */
  expiryTimer(n: number): Timer {
    return this.expiries[n];
  }

  /** After a load: outputs and the PIT gate follow the restored registers. */
  afterLoad(): void {
    this.counterHiLatch = this.setValCarry = -1;
    this.pitEnabled.set(!this.legacy);
    this.refreshAllOutputs();
  }
}

function unreachable(value: never): never {
  throw new Error(`hpet: unhandled case ${String(value)}`);
}
