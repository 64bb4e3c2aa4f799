/**
 * HPET register map, after the IA-PC HPET specification 1.0a, section 2.3 (register descriptions).
 *
 * The block is 0x400 bytes: general registers below 0x100, then 0x20 bytes per timer. That holds 24 timers;
 * with more (up to 32) the block grows to end after the last timer, 0x500 bytes for 32, so that every
 * timer the capability register announces can be programmed (QEMU keeps 0x400 and cannot reach timers
 * 24..31). Every register is
 * 64 bits wide; each 32-bit half is declared as its own register (core/bits.ts keeps fields in bits 0..31),
 * so the guest may access either half with a 32-bit access, or both with one 64-bit access.
 *
 * `decodeOffset` turns an offset into a discriminated union (a general register, timer n's register, or
 * unknown); the device builds the table once, so dispatch looks it up without allocating.
 */
import { defineRegisters } from '../../../core/bits';

/** Size of the register block for up to 24 timers (the spec reserves 1 KiB). */
export const HPET_LEN = 0x400;
export const HPET_MIN_TIMERS = 3;
export const HPET_MAX_TIMERS = 32;
/** Interrupt outputs a timer can be routed to (TIMn_CONF.INT_ROUTE is 5 bits). */
export const HPET_NUM_OUTPUTS = 32;
/** Main counter period: 10 ns (100 MHz), in femtoseconds as GCAP_ID reports it. */
export const HPET_CLK_PERIOD_FS = 10_000_000;
export const NS_PER_TICK = 10;
/** Legacy replacement route: timer 0 drives output 0 (the PIT's line), timer 1 output 8 (the RTC's). */
export const LEGACY_TIMER0_OUTPUT = 0;
export const LEGACY_TIMER1_OUTPUT = 8;

const TIMER_BLOCK = 0x100;
const TIMER_STRIDE = 0x20;

/** Offset of timer n's register block. */
export function timerBase(n: number): number {
  return TIMER_BLOCK + TIMER_STRIDE * n;
}

/** Size of the register block of `timers` timers: 0x400, or up to the end of the last timer. */
export function hpetRegionSize(timers: number): number {
  return Math.max(HPET_LEN, timerBase(timers));
}

/** General registers (spec 2.3.4 - 2.3.7). */
export const HPET_REGS = defineRegisters({
  GCAP_ID: {
    offset: 0x000,
    access: 'r',
    doc: 'general capabilities and ID, bits 31:0 (2.3.4)',
    fields: {
      REV_ID: { bits: [7, 0], doc: 'revision, 1' },
      NUM_TIM_CAP: { bits: [12, 8], doc: 'number of the last timer (timers - 1)' },
      COUNT_SIZE_CAP: { bits: 13, doc: 'main counter is 64 bits wide' },
      LEG_RT_CAP: { bits: 15, doc: 'legacy replacement route capable' },
      VENDOR_ID: { bits: [31, 16], doc: 'PCI vendor ID, 0x8086' },
    },
  },
  CLK_PERIOD: {
    offset: 0x004,
    access: 'r',
    reset: HPET_CLK_PERIOD_FS,
    doc: 'GCAP_ID bits 63:32: COUNTER_CLK_PERIOD, femtoseconds per tick',
  },
  GEN_CONF: {
    offset: 0x010,
    doc: 'general configuration (2.3.5)',
    fields: {
      ENABLE_CNF: { bits: 0, doc: 'main counter runs and timers may interrupt' },
      LEG_RT_CNF: { bits: 1, doc: 'legacy replacement route: timer 0 -> output 0, timer 1 -> output 8' },
    },
  },
  GEN_CONF_HI: { offset: 0x014, access: 'rsvd', doc: 'GEN_CONF bits 63:32, reserved' },
  GINTR_STA: {
    offset: 0x020,
    access: 'w1c',
    doc: 'general interrupt status (2.3.6): bit n is set while level-triggered timer n is asserted',
  },
  GINTR_STA_HI: { offset: 0x024, access: 'rsvd', doc: 'GINTR_STA bits 63:32, reserved' },
  MAIN_CNT: { offset: 0x0f0, doc: 'main counter bits 31:0 (2.3.7); writable while halted' },
  MAIN_CNT_HI: { offset: 0x0f4, doc: 'main counter bits 63:32' },
});

/** Timer n's registers, at offsets relative to `timerBase(n)` (spec 2.3.8 - 2.3.10). */
export const HPET_TIMER_REGS = defineRegisters({
  TIMN_CONF: {
    offset: 0x00,
    doc: 'timer n configuration and capabilities, bits 31:0 (2.3.8)',
    fields: {
      INT_TYPE_CNF: { bits: 1, doc: '1: level-triggered, 0: edge-triggered' },
      INT_ENB_CNF: { bits: 2, doc: 'interrupt enable' },
      TYPE_CNF: { bits: 3, doc: '1: periodic, 0: one-shot' },
      PER_INT_CAP: { bits: 4, doc: 'periodic capable' },
      SIZE_CAP: { bits: 5, doc: '64-bit capable' },
      VAL_SET_CNF: { bits: 6, doc: 'the next comparator write sets the periodic accumulator' },
      MODE32_CNF: { bits: 8, doc: 'force 32-bit mode' },
      INT_ROUTE_CNF: { bits: [13, 9], doc: 'interrupt output' },
      FSB_EN_CNF: { bits: 14, doc: 'deliver by FSB message instead of an output' },
      FSB_INT_DEL_CAP: { bits: 15, doc: 'FSB delivery capable' },
    },
  },
  TIMN_ROUTE_CAP: {
    offset: 0x04,
    access: 'r',
    doc: 'TIMn_CONF bits 63:32: INT_ROUTE_CAP, bit k set when output k may be chosen',
  },
  TIMN_COMP: { offset: 0x08, doc: 'comparator bits 31:0 (2.3.9)' },
  TIMN_COMP_HI: { offset: 0x0c, doc: 'comparator bits 63:32 (ignored in 32-bit mode)' },
  TIMN_FSB_VAL: { offset: 0x10, doc: 'FSB interrupt message value (2.3.10)' },
  TIMN_FSB_ADDR: { offset: 0x14, doc: 'FSB interrupt message address' },
});

const GEN = HPET_REGS.GEN_CONF.fields;
const TN = HPET_TIMER_REGS.TIMN_CONF.fields;

/** GEN_CONF bits the guest may change. */
export const GEN_CONF_WRITE_MASK = GEN.ENABLE_CNF | GEN.LEG_RT_CNF;
/** TIMn_CONF bits the guest may change (FSB_EN_CNF only when FSB_INT_DEL_CAP is set). */
export const TIMN_CONF_WRITE_MASK = 0x7f4e;

/** Flat names for the bits the timer logic tests on every access. */
export const CONF = {
  LEVEL: TN.INT_TYPE_CNF,
  ENABLE: TN.INT_ENB_CNF,
  PERIODIC: TN.TYPE_CNF,
  PERIODIC_CAP: TN.PER_INT_CAP,
  SIZE_CAP: TN.SIZE_CAP,
  SETVAL: TN.VAL_SET_CNF,
  MODE32: TN.MODE32_CNF,
  ROUTE_MASK: TN.INT_ROUTE_CNF,
  ROUTE_SHIFT: HPET_TIMER_REGS.TIMN_CONF.shift.INT_ROUTE_CNF,
  FSB_ENABLE: TN.FSB_EN_CNF,
  FSB_CAP: TN.FSB_INT_DEL_CAP,
} as const;

/** GCAP_ID bits 31:0 for a block of `timers` timers. */
export function capabilityLow(timers: number): number {
  const cap = HPET_REGS.GCAP_ID;
  let value = cap.set(0, 'REV_ID', 1);
  value = cap.set(value, 'NUM_TIM_CAP', timers - 1);
  value = cap.set(value, 'COUNT_SIZE_CAP', 1);
  value = cap.set(value, 'LEG_RT_CAP', 1);
  return cap.set(value, 'VENDOR_ID', 0x8086);
}

/** TIMn_CONF bits 31:0 after reset: periodic and 64-bit capable, FSB capable when `fsb`. */
export function timerConfigReset(fsb: boolean): number {
  return CONF.PERIODIC_CAP | CONF.SIZE_CAP | (fsb ? CONF.FSB_CAP : 0);
}

// ---------------------------------------------------------------------------------------------------------
// Offset decoding

export type GlobalRegisterName = 'GCAP_ID' | 'CLK_PERIOD' | 'GEN_CONF' | 'GEN_CONF_HI' | 'GINTR_STA' | 'GINTR_STA_HI';
export type CounterRegisterName = 'MAIN_CNT' | 'MAIN_CNT_HI';
export type TimerRegisterName =
  'TIMN_CONF' | 'TIMN_ROUTE_CAP' | 'TIMN_COMP' | 'TIMN_COMP_HI' | 'TIMN_FSB_VAL' | 'TIMN_FSB_ADDR';

/** What a 32-bit access at some offset addresses. */
export type HpetAccess =
  | { readonly kind: 'global'; readonly reg: GlobalRegisterName | CounterRegisterName; readonly offset: number }
  | { readonly kind: 'timer'; readonly timer: number; readonly reg: TimerRegisterName; readonly offset: number }
  | { readonly kind: 'unknown'; readonly offset: number };

/** Decodes one 4-byte-aligned offset for a block of `timers` timers. */
export function decodeOffset(offset: number, timers: number): HpetAccess {
  if (offset < TIMER_BLOCK) {
    const reg = HPET_REGS.byOffset(offset);
    return reg === undefined
      ? { kind: 'unknown', offset }
      : { kind: 'global', reg: reg.name as GlobalRegisterName, offset };
  }
  const timer = Math.floor((offset - TIMER_BLOCK) / TIMER_STRIDE);
  const reg = HPET_TIMER_REGS.byOffset((offset - TIMER_BLOCK) % TIMER_STRIDE);
  if (timer >= timers || reg === undefined) return { kind: 'unknown', offset };
  return { kind: 'timer', timer, reg: reg.name as TimerRegisterName, offset };
}

/** The decoded form of every 4-byte slot of a block of `size` bytes, indexed by offset / 4. */
export function buildDecodeTable(timers: number, size = hpetRegionSize(timers)): readonly HpetAccess[] {
  const table: HpetAccess[] = [];
  for (let offset = 0; offset < size; offset += 4) table.push(Object.freeze(decodeOffset(offset, timers)));
  return table;
}
