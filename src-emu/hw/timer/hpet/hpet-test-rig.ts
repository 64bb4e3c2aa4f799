/**
 * A minimal machine around one HPET for its tests: a deterministic clock, an address space with the HPET
 * at virt's 0x090c_0000 and RAM for FSB messages, recorders on every output, guest-error capture, and
 * 32/64-bit accessors that go through the AddressSpace as a guest's loads and stores do.
 */
import { logger } from '../../../core/log';
import { AddressSpace, MemoryRegion } from '../../../core/memory';
import { reset } from '../../../core/object';
import { VirtualClock } from '../../../core/timer';
import { Hpet } from './hpet';
import { HPET_REGS, HPET_TIMER_REGS, timerBase } from './registers';

export const HPET_BASE = 0x090c_0000;
export const RAM_BASE = 0x4000_0000;
export const RAM_SIZE = 0x1_0000;

/** Register offsets a guest driver uses (Linux's HPET_ID, HPET_CFG, ... and HPET_Tn_*). */
export const OFF = {
  ID: HPET_REGS.GCAP_ID.offset,
  PERIOD: HPET_REGS.CLK_PERIOD.offset,
  CFG: HPET_REGS.GEN_CONF.offset,
  STATUS: HPET_REGS.GINTR_STA.offset,
  COUNTER: HPET_REGS.MAIN_CNT.offset,
  COUNTER_HI: HPET_REGS.MAIN_CNT_HI.offset,
  tnCfg: (n: number) => timerBase(n) + HPET_TIMER_REGS.TIMN_CONF.offset,
  tnCap: (n: number) => timerBase(n) + HPET_TIMER_REGS.TIMN_ROUTE_CAP.offset,
  tnCmp: (n: number) => timerBase(n) + HPET_TIMER_REGS.TIMN_COMP.offset,
  tnCmpHi: (n: number) => timerBase(n) + HPET_TIMER_REGS.TIMN_COMP_HI.offset,
  tnFsbVal: (n: number) => timerBase(n) + HPET_TIMER_REGS.TIMN_FSB_VAL.offset,
  tnFsbAddr: (n: number) => timerBase(n) + HPET_TIMER_REGS.TIMN_FSB_ADDR.offset,
} as const;

/** Linux's include/asm/hpet.h bit names, spelled out from the spec's field positions. */
export const BIT = {
  CFG_ENABLE: 1 << 0,
  CFG_LEGACY: 1 << 1,
  TN_LEVEL: 1 << 1,
  TN_ENABLE: 1 << 2,
  TN_PERIODIC: 1 << 3,
  TN_PERIODIC_CAP: 1 << 4,
  TN_64BIT_CAP: 1 << 5,
  TN_SETVAL: 1 << 6,
  TN_32BIT: 1 << 8,
  TN_ROUTE_SHIFT: 9,
  TN_FSB: 1 << 14,
  TN_FSB_CAP: 1 << 15,
} as const;

export interface IrqEvent {
  readonly ns: number;
  readonly output: number;
  readonly level: boolean;
}

export interface Rig {
  readonly clock: VirtualClock;
  readonly hpet: Hpet;
  readonly space: AddressSpace;
  readonly ram: MemoryRegion;
  /** Every output level change, with the virtual time it happened at. */
  readonly irqs: IrqEvent[];
  readonly pitEnabled: boolean[];
  readonly guestErrors: string[];
  readl(offset: number): number;
  writel(offset: number, value: number): void;
  /** A 64-bit load: [low word, high word]. */
  readq(offset: number): [number, number];
  writeq(offset: number, lo: number, hi: number): void;
  /** Runs virtual time to `ns`, firing due timers at their deadlines. */
  runTo(ns: number): void;
  /** Rising edges seen on `output`, as virtual times. */
  risesOn(output: number): number[];
}

export interface RigOptions {
  readonly props?: Readonly<Record<string, unknown>>;
  readonly clock?: VirtualClock;
  readonly startNs?: number;
  /** Connect RAM for FSB messages before realize (default: when props.msi is set). */
  readonly fsbMemory?: boolean;
}

export function createRig(options: RigOptions = {}): Rig {
  const clock = options.clock ?? new VirtualClock({ mode: 'deterministic', startNs: options.startNs ?? 0 });
  const hpet = new Hpet({ path: '/machine/hpet', context: { clock }, props: options.props });
  const root = MemoryRegion.container('system', 2 ** 40);
  const ram = MemoryRegion.ram('ram', RAM_SIZE);
  root.addSubregion(RAM_BASE, ram);
  root.addSubregion(HPET_BASE, hpet.regs);
  const space = new AddressSpace('memory', root);
  if (options.fsbMemory ?? options.props?.msi === true) hpet.connectFsbMemory(space);
  const irqs: IrqEvent[] = [];
  hpet.outputs.forEach((line, output) => line.connect((level) => irqs.push({ ns: clock.now(), output, level })));
  const pitEnabled: boolean[] = [];
  hpet.pitEnabled.connect((level) => pitEnabled.push(level));
  hpet.realize();
  reset(hpet);
  const guestErrors = captureGuestErrors();
  const out = new Uint32Array(2);
  return {
    clock,
    hpet,
    space,
    ram,
    irqs,
    pitEnabled,
    guestErrors,
    readl: (offset) => space.read(HPET_BASE + offset, 4),
    writel: (offset, value) => space.write(HPET_BASE + offset, 4, value),
    readq: (offset) => {
      space.read64(HPET_BASE + offset, out, 0);
      return [out[0], out[1]];
    },
    writeq: (offset, lo, hi) => space.write64(HPET_BASE + offset, lo, hi),
    runTo: (ns) => {
      clock.runUntil(ns);
    },
    risesOn: (output) => irqs.filter((e) => e.output === output && e.level).map((e) => e.ns),
  };
}

/** Routes guest errors into a list (the logger is per worker; each test file installs its own). */
export function captureGuestErrors(): string[] {
  const messages: string[] = [];
  logger.setMasks(['guest_errors']);
  logger.setSink((record) => messages.push(`${record.source}: ${record.message}`));
  return messages;
}
