/**
 * HPET migration: QEMU's VMState "hpet" version 2 layout (hw/timer/hpet.c).
 *
 *   hpet v2: config u64, isr u64, hpet_counter u64, num_timers u8 (since v2),
 *            timers[num_timers] of hpet_timer v1: tn u8, config u64, cmp u64, fsb u64, period u64,
 *                                                  wrap_flag u8, qemu_timer (expiry, i64 ns, -1 idle)
 *   subsections: hpet/rtc_irq_level (u8, sent while the legacy RTC input is high),
 *                hpet/offset (u64 counter offset in ns, sent while enabled if hpetOffsetSaved)
 *
 * The device keeps 64-bit registers as uint32 halves (no BigInt on MMIO paths); the section objects here
 * present them as the bigint fields the description names. The timer array's length is num_timers from the
 * stream (QEMU's VMSTATE_STRUCT_VARRAY_UINT8), so a stream with another count decodes and is then refused
 * by name ("the stream has 4 timers, this HPET has 3"); the description is built per device count for that
 * check.
 */
import type { Timer, VirtualClock } from '../../../core/timer';
import { entry, structVarArrayOf, subsection, timer, u64, u8, vmstate } from '../../../core/vmstate';
import type { SectionEntry, VMStateDescription } from '../../../core/vmstate';
import type { HpetCounter } from './counter';
import { HPET_MAX_TIMERS, HPET_MIN_TIMERS } from './registers';
import type { HpetTimerState } from './timer-state';
import { U64 } from './uint64';

/** What migration reads and restores on the device. */
export interface HpetMigrationSource {
  readonly path: string;
  readonly clock: VirtualClock;
  readonly props: { readonly intcap: number; readonly hpetOffsetSaved: boolean };
  readonly numTimers: number;
  readonly enabled: boolean;
  config: number;
  isr: number;
  rtcIrqLevel: number;
  readonly counter: HpetCounter;
  readonly timers: readonly HpetTimerState[];
  expiryTimer(n: number): Timer;
  /** Re-derives outputs from the restored registers. */
  afterLoad(): void;
}

const low32 = (value: bigint): number => Number(value & 0xffff_ffffn);

/** One timer as "hpet_timer" v1 sees it. */
export class HpetTimerSection {
  constructor(
    private readonly t: HpetTimerState,
    private readonly intcap: number,
    /** The timer's armed deadline: restoring it re-arms the timer at the same virtual ns. */
    readonly expiry: Timer,
  ) {}

  get index(): number {
    return this.t.index;
  }

  set index(_value: number) {
    // Positional in the array; the validation of the section compares it.
  }

  /** TIMn_CONF with INT_ROUTE_CAP in bits 63:32. */
  get config(): bigint {
    return (BigInt(this.intcap) << 32n) | BigInt(this.t.config);
  }

  set config(value: bigint) {
    this.t.config = low32(value);
  }

  get cmp(): bigint {
    return this.t.cmp.toBigInt();
  }

  set cmp(value: bigint) {
    this.t.cmp.setBigInt(value);
  }

  get fsb(): bigint {
    return this.t.fsb.toBigInt();
  }

  set fsb(value: bigint) {
    this.t.fsb.setBigInt(value);
  }

  get period(): bigint {
    return this.t.period.toBigInt();
  }

  set period(value: bigint) {
    this.t.period.setBigInt(value);
  }

  get wrapFlag(): number {
    return this.t.wrapFlag;
  }

  set wrapFlag(value: number) {
    this.t.wrapFlag = value === 0 ? 0 : 1;
  }
}

/** The device as the "hpet" section sees it. The counter is resolved after every field has arrived. */
export class HpetSection {
  readonly timers: HpetTimerSection[];
  private loadedCounter = 0n;
  private loadedOffset: bigint | null = null;
  private readonly scratch = new U64();

  constructor(readonly device: HpetMigrationSource) {
    this.timers = device.timers
      .slice(0, device.numTimers)
      .map((t) => new HpetTimerSection(t, device.props.intcap, device.expiryTimer(t.index)));
  }

  get config(): bigint {
    return BigInt(this.device.config);
  }

  set config(value: bigint) {
    this.device.config = low32(value);
  }

  get isr(): bigint {
    return BigInt(this.device.isr);
  }

  set isr(value: bigint) {
    this.device.isr = low32(value);
  }

  /** QEMU's hpet_counter: the counter now (its pre_save latches it the same way). */
  get counter(): bigint {
    return this.device.counter.read(this.device.clock.now(), this.scratch).toBigInt();
  }

  set counter(value: bigint) {
    this.loadedCounter = value;
  }

  get numTimers(): number {
    return this.device.numTimers;
  }

  set numTimers(_value: number) {
    // Checked by the section's validation before anything is applied.
  }

  get offset(): bigint {
    return this.device.counter.offsetNs();
  }

  set offset(value: bigint) {
    this.loadedOffset = value;
  }

  get rtcIrqLevel(): number {
    return this.device.rtcIrqLevel;
  }

  set rtcIrqLevel(value: number) {
    this.device.rtcIrqLevel = value === 0 ? 0 : 1;
  }

  beforeLoad(): void {
    this.loadedOffset = null;
    this.device.rtcIrqLevel = 0;
  }

  /** Restarts or latches the counter (QEMU's post_load), then lets the device re-derive its outputs. */
  afterLoad(): void {
    const counter = this.device.counter;
    const now = this.device.clock.now();
    if (this.device.enabled && this.loadedOffset !== null) {
      counter.restoreFromOffset(now, this.loadedOffset);
    } else {
      counter.base.setBigInt(this.loadedCounter);
      counter.baseNs = now;
      counter.running = this.device.enabled;
    }
    this.device.afterLoad();
  }
}

const TIMER_DESCRIPTION = vmstate<HpetTimerSection>('hpet_timer', {
  version: 1,
  fields: [u8('index'), u64('config'), u64('cmp'), u64('fsb'), u64('period'), u8('wrapFlag'), timer('expiry')],
});

const descriptions = new Map<number, VMStateDescription<HpetSection>>();

/** The "hpet" description for a block of `timers` timers. */
export function hpetDescription(timers: number): VMStateDescription<HpetSection> {
  let description = descriptions.get(timers);
  if (description === undefined) {
    description = buildDescription(timers);
    descriptions.set(timers, description);
  }
  return description;
}

function buildDescription(timers: number): VMStateDescription<HpetSection> {
  return vmstate<HpetSection>('hpet', {
    version: 2,
    minimumVersion: 1,
    fields: [
      u64('config'),
      u64('isr'),
      u64('counter'),
      u8('numTimers', { since: 2 }),
      // Version 1 streams predate num_timers: they always carry three timers.
      structVarArrayOf('timers', TIMER_DESCRIPTION, 'numTimers', { absentLength: HPET_MIN_TIMERS }),
    ],
    subsections: [
      subsection('hpet/rtc_irq_level', (s) => s.rtcIrqLevel !== 0, [u8('rtcIrqLevel')]),
      subsection('hpet/offset', (s) => s.device.enabled && s.device.props.hpetOffsetSaved, [u64('offset')]),
    ],
    validate: (loaded, version) => {
      // Version 1 streams predate num_timers: they always carry three timers.
      const count = version < 2 ? HPET_MIN_TIMERS : loaded.numTimers;
      if (count === undefined || count < HPET_MIN_TIMERS || count > HPET_MAX_TIMERS) {
        return `num_timers ${String(count)} is outside ${HPET_MIN_TIMERS}..${HPET_MAX_TIMERS}`;
      }
      if (count !== timers) return `the stream has ${count} timers, this HPET has ${timers}`;
    },
    preLoad: (s) => s.beforeLoad(),
    postLoad: (s) => s.afterLoad(),
  });
}

/** The device's migration section. */
export function hpetSectionEntry(device: HpetMigrationSource, instanceId: number): SectionEntry {
  return entry(hpetDescription(device.numTimers), new HpetSection(device), instanceId);
}
