/**
 * Register views for the inspector: each device's declared registers (core/bits.ts) with their live
 * values decoded into named fields. Values come only from reads without side effects: the PL011's peek,
 * and for devices without one the state the register reads from (the same fields their VMState carries).
 * A register whose read has a side effect (GICC_IAR acknowledges) or that cannot be read shows no value.
 */
import type { Register, RegisterLookup } from '../core/bits';
import type { Device } from '../core/object';
import { PL011_REGS } from '../hw/char/pl011/registers';
import { Pl011 } from '../hw/char/pl011/pl011';
import { PL031_REGS, Pl031 } from '../hw/rtc/pl031';
import { Hpet } from '../hw/timer/hpet/hpet';
import { capabilityLow, HPET_CLK_PERIOD_FS, HPET_REGS, HPET_TIMER_REGS } from '../hw/timer/hpet/registers';
import { U64 } from '../hw/timer/hpet/uint64';
import { Gic } from '../hw/intc/gic/gic';
import { GICC_REGS, GICD_REGS } from '../hw/intc/gic/registers';
import type { RegisterGroup, RegisterValue } from '../../src-shared/api/inspector';

/** Reads one register without side effects; null where no value can be shown. */
type PeekRegister = (register: Register) => number | null;

const HPET_TIMER_BLOCK = 0x100;
const HPET_TIMER_STRIDE = 0x20;

export function registerGroup(
  title: string,
  base: number | null,
  regs: RegisterLookup,
  peek: PeekRegister,
): RegisterGroup {
  const registers: RegisterValue[] = regs.list().map((register) => {
    const readable = register.access !== 'w';
    const value = readable ? peek(register) : null;
    return {
      name: register.name,
      offset: register.offset,
      width: register.width,
      access: register.access,
      doc: register.doc,
      value: value === null ? null : value >>> 0,
      fields: value === null ? [] : regs.decodeFields(register, value).map((f) => ({ ...f })),
    };
  });
  return { title, base, registers };
}

/** Where a device's first MMIO region is mapped, from its own description. */
function mmioBase(device: Device, index = 0): number | null {
  return device.describe().mmio[index]?.mappedAt?.offset ?? null;
}

function pl011Groups(uart: Pl011): RegisterGroup[] {
  return [registerGroup('UART registers', mmioBase(uart), PL011_REGS, (r) => uart.regs.peek(r.offset))];
}

function pl031Groups(rtc: Pl031): RegisterGroup[] {
  const values: Record<string, number> = { DR: rtc.count(), MR: rtc.mr, LR: rtc.lr, CR: 1, IMSC: rtc.im };
  values.RIS = rtc.is;
  values.MIS = rtc.is & rtc.im;
  return [
    registerGroup('RTC registers', mmioBase(rtc), PL031_REGS, (r) =>
      r.name in values ? values[r.name]! : r.access === 'r' ? r.reset : null,
    ),
  ];
}

function hpetGroups(hpet: Hpet): RegisterGroup[] {
  const base = mmioBase(hpet);
  const counter = hpet.counter.read(hpet.clock.now(), new U64());
  const global: Record<string, number> = {
    GCAP_ID: capabilityLow(hpet.numTimers),
    CLK_PERIOD: HPET_CLK_PERIOD_FS,
    GEN_CONF: hpet.config,
    GEN_CONF_HI: 0,
    GINTR_STA: hpet.isr,
    GINTR_STA_HI: 0,
    MAIN_CNT: counter.lo,
    MAIN_CNT_HI: counter.hi,
  };
  const groups = [registerGroup('General registers', base, HPET_REGS, (r) => global[r.name] ?? null)];
  const intcap = Number(hpet.describe().props.find((p) => p.name === 'intcap')?.value ?? 0);
  for (let n = 0; n < hpet.numTimers; n++) {
    const t = hpet.timers[n]!;
    const timer: Record<string, number> = {
      TIMN_CONF: t.config,
      TIMN_ROUTE_CAP: intcap,
      TIMN_COMP: t.cmp.lo,
      TIMN_COMP_HI: t.cmp.hi,
      TIMN_FSB_VAL: t.fsb.lo,
      TIMN_FSB_ADDR: t.fsb.hi,
    };
    const at = base === null ? null : base + HPET_TIMER_BLOCK + n * HPET_TIMER_STRIDE;
    groups.push(registerGroup(`Timer ${n}`, at, HPET_TIMER_REGS, (r) => timer[r.name] ?? null));
  }
  return groups;
}

function gicGroups(gic: Gic): RegisterGroup[] {
  const s = gic.state;
  const typer = ((s.numIrq / 32 - 1) & 0x1f) | (((s.numCpu - 1) & 7) << 5);
  const dist: Record<string, number> = { CTLR: s.ctlr, TYPER: typer, IIDR: GICD_REGS.IIDR.reset };
  // Per-interrupt registers are shown decoded in the interrupt view; here only the distributor's own.
  const distributor = registerGroup('Distributor', mmioBase(gic, 0), GICD_REGS, (r) =>
    r.name in dist ? dist[r.name]! : r.offset >= 0xfd0 ? r.reset : null,
  );
  distributor.registers = distributor.registers.filter((r) => r.value !== null);
  const groups = [distributor];
  for (const cpu of gic.cpuInterfaces()) {
    const values: Record<string, number> = {
      CTLR: cpu.ctlr,
      PMR: cpu.priorityMask,
      BPR: cpu.binaryPoint,
      ABPR: cpu.aliasedBinaryPoint,
      RPR: cpu.runningPriority >= 0x100 ? 0xff : cpu.runningPriority,
      HPPIR: cpu.highestPending,
    };
    const group = registerGroup(`CPU interface ${cpu.cpu}`, mmioBase(gic, 1), GICC_REGS, (r) => values[r.name] ?? null);
    group.registers = group.registers.filter((r) => r.value !== null);
    groups.push(group);
  }
  return groups;
}

/** The register groups of a device, or null when this build has no side-effect-free view of them. */
export function deviceRegisters(device: Device): RegisterGroup[] | null {
  if (device instanceof Pl011) return pl011Groups(device);
  if (device instanceof Pl031) return pl031Groups(device);
  if (device instanceof Hpet) return hpetGroups(device);
  if (device instanceof Gic) return gicGroups(device);
  return null;
}

export function hasRegisterView(device: Device): boolean {
  return device instanceof Pl011 || device instanceof Pl031 || device instanceof Hpet || device instanceof Gic;
}
