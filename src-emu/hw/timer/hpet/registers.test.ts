import { describe, expect, it } from 'vitest';
import {
  buildDecodeTable,
  capabilityLow,
  decodeOffset,
  GEN_CONF_WRITE_MASK,
  HPET_LEN,
  HPET_REGS,
  HPET_TIMER_REGS,
  hpetRegionSize,
  TIMN_CONF_WRITE_MASK,
  timerBase,
  timerConfigReset,
} from './registers';

describe('HPET register map', () => {
  it('GCAP_ID bits 31:0 follow the spec fields (rev 1, 64-bit counter, legacy capable, vendor 0x8086)', () => {
    // QEMU's capability constant is 0x8086a001 plus (timers - 1) << 8.
    expect(capabilityLow(3)).toBe(0x8086a201);
    expect(capabilityLow(32)).toBe(0x8086bf01);
    expect(HPET_REGS.GCAP_ID.get(capabilityLow(17), 'NUM_TIM_CAP')).toBe(16);
  });

  it('reports a 10 ns (10,000,000 fs) counter period in GCAP_ID bits 63:32', () => {
    expect(HPET_REGS.CLK_PERIOD.offset).toBe(0x004);
    expect(HPET_REGS.CLK_PERIOD.reset).toBe(10_000_000);
  });

  it('places the general registers and timer blocks at the spec offsets', () => {
    expect([HPET_REGS.GEN_CONF.offset, HPET_REGS.GINTR_STA.offset, HPET_REGS.MAIN_CNT.offset]).toEqual([
      0x010, 0x020, 0x0f0,
    ]);
    expect(timerBase(0)).toBe(0x100);
    expect(timerBase(23)).toBe(0x3e0);
    expect(timerBase(31)).toBe(0x4e0);
    expect(HPET_TIMER_REGS.TIMN_COMP.offset).toBe(0x08);
    expect(HPET_TIMER_REGS.TIMN_FSB_VAL.offset).toBe(0x10);
  });

  it('has the spec write masks: GEN_CONF 0x3, TIMn_CONF 0x7F4E (the writable Tn fields)', () => {
    expect(GEN_CONF_WRITE_MASK).toBe(0x3);
    const f = HPET_TIMER_REGS.TIMN_CONF.fields;
    const writable =
      f.INT_TYPE_CNF | f.INT_ENB_CNF | f.TYPE_CNF | f.VAL_SET_CNF | f.MODE32_CNF | f.INT_ROUTE_CNF | f.FSB_EN_CNF;
    expect(writable).toBe(TIMN_CONF_WRITE_MASK);
    expect(TIMN_CONF_WRITE_MASK).toBe(0x7f4e);
  });

  it('resets TIMn_CONF to periodic- and 64-bit-capable, FSB-capable only with MSI', () => {
    expect(timerConfigReset(false)).toBe(0x30);
    expect(timerConfigReset(true)).toBe(0x8030);
  });
});

describe('HPET offset decoding', () => {
  it('decodes general registers and both halves of the 64-bit ones', () => {
    expect(decodeOffset(0x000, 3)).toEqual({ kind: 'global', reg: 'GCAP_ID', offset: 0 });
    expect(decodeOffset(0x004, 3)).toMatchObject({ kind: 'global', reg: 'CLK_PERIOD' });
    expect(decodeOffset(0x014, 3)).toMatchObject({ kind: 'global', reg: 'GEN_CONF_HI' });
    expect(decodeOffset(0x024, 3)).toMatchObject({ kind: 'global', reg: 'GINTR_STA_HI' });
    expect(decodeOffset(0x0f4, 3)).toMatchObject({ kind: 'global', reg: 'MAIN_CNT_HI' });
  });

  it('decodes timer n registers from 0x100 + 0x20 * n', () => {
    expect(decodeOffset(0x100, 3)).toEqual({ kind: 'timer', timer: 0, reg: 'TIMN_CONF', offset: 0x100 });
    expect(decodeOffset(0x124, 3)).toMatchObject({ kind: 'timer', timer: 1, reg: 'TIMN_ROUTE_CAP' });
    expect(decodeOffset(0x148, 3)).toMatchObject({ kind: 'timer', timer: 2, reg: 'TIMN_COMP' });
    expect(decodeOffset(0x14c, 3)).toMatchObject({ kind: 'timer', timer: 2, reg: 'TIMN_COMP_HI' });
    expect(decodeOffset(0x154, 3)).toMatchObject({ kind: 'timer', timer: 2, reg: 'TIMN_FSB_ADDR' });
    expect(decodeOffset(0x3e8, 32)).toMatchObject({ kind: 'timer', timer: 23, reg: 'TIMN_COMP' });
    expect(decodeOffset(0x4e8, 32)).toMatchObject({ kind: 'timer', timer: 31, reg: 'TIMN_COMP' });
  });

  it('reports gaps, absent timers and offsets past the block as unknown', () => {
    for (const offset of [0x008, 0x00c, 0x018, 0x028, 0x0ec, 0x0f8, 0x118, 0x11c, 0x3fc, 0x4fc]) {
      expect(decodeOffset(offset, 32)).toEqual({ kind: 'unknown', offset });
    }
    expect(decodeOffset(0x160, 3).kind).toBe('unknown');
    expect(decodeOffset(0x160, 4)).toMatchObject({ kind: 'timer', timer: 3, reg: 'TIMN_CONF' });
    expect(decodeOffset(HPET_LEN, 24).kind).toBe('unknown');
  });

  it('sizes the block 0x400 up to 24 timers and to the end of the last timer beyond', () => {
    expect(hpetRegionSize(3)).toBe(HPET_LEN);
    expect(hpetRegionSize(24)).toBe(0x400);
    expect(hpetRegionSize(25)).toBe(0x420);
    expect(hpetRegionSize(32)).toBe(0x500);
  });

  it('builds one frozen entry per 4-byte slot, equal to decodeOffset', () => {
    expect(buildDecodeTable(32)).toHaveLength(0x500 / 4);
    const table = buildDecodeTable(5);
    expect(table).toHaveLength(HPET_LEN / 4);
    for (let offset = 0; offset < HPET_LEN; offset += 4) {
      expect(table[offset / 4]).toEqual(decodeOffset(offset, 5));
      expect(Object.isFrozen(table[offset / 4])).toBe(true);
    }
    expect(table.filter((a) => a.kind === 'timer')).toHaveLength(5 * 6);
    expect(table.filter((a) => a.kind === 'global')).toHaveLength(8);
  });
});
