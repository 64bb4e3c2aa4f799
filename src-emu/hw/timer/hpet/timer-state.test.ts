import { describe, expect, it } from 'vitest';
import { CONF } from './registers';
import { HpetTimerState } from './timer-state';
import { U64 } from './uint64';

function timer(index = 0, config = 0): HpetTimerState {
  const t = new HpetTimerState(index);
  t.reset(false);
  t.writeConfig(config);
  return t;
}

const at = (value: number | bigint): U64 => new U64().setBigInt(BigInt(value));

describe('HpetTimerState: comparator writes', () => {
  it('a one-shot write sets the comparator half written', () => {
    const t = timer();
    t.writeComparator(false, 0x1234, false);
    expect(t.cmp.toBigInt()).toBe(0xffff_ffff_0000_1234n);
    t.writeComparator(true, 0x5, false);
    expect(t.cmp.toBigInt()).toBe(0x5_0000_1234n);
    expect(t.period.isZero()).toBe(true);
  });

  it('a periodic write sets only the period unless VAL_SET_CNF is set, which then clears', () => {
    const t = timer(0, CONF.PERIODIC);
    t.writeComparator(false, 100, false);
    expect(t.period.toBigInt()).toBe(100n);
    expect(t.cmp.toBigInt()).toBe(0xffff_ffff_ffff_ffffn);
    t.writeConfig(CONF.PERIODIC | CONF.SETVAL);
    t.writeComparator(false, 500, false);
    expect(t.cmp.lo).toBe(500);
    expect(t.period.lo).toBe(500);
    expect(t.config & CONF.SETVAL).toBe(0);
    expect(t.setValCarried()).toBe(true);
  });

  it('VAL_SET_CNF carried from the low half lets the high half of one 64-bit write set the comparator', () => {
    const t = timer(0, CONF.PERIODIC | CONF.SETVAL);
    t.writeComparator(false, 0x10, false);
    t.writeComparator(true, 0x2, true);
    expect(t.cmp.toBigInt()).toBe(0x2_0000_0010n);
    expect(t.period.toBigInt()).toBe(0x2_0000_0010n);
    // Without the carry a later high-half write only changes the period.
    t.writeComparator(true, 0x3, false);
    expect(t.cmp.hi).toBe(2);
    expect(t.period.hi).toBe(3);
  });

  it('in 32-bit mode the high half is not writable and comparator and period are truncated', () => {
    const t = timer(0, CONF.PERIODIC);
    t.writeComparator(true, 7, false);
    expect(t.period.hi).toBe(7);
    t.writeConfig(CONF.PERIODIC | CONF.MODE32);
    expect(t.period.hi).toBe(0);
    expect(t.cmp.toBigInt()).toBe(0xffff_ffffn);
    expect(t.writeComparator(true, 9, false)).toBe(false);
    expect(t.period.hi).toBe(0);
  });

  it('keeps read-only and reserved TIMn_CONF bits; FSB_EN only with the FSB capability', () => {
    const t = timer();
    t.writeConfig(0xffff_ffff);
    expect(t.config).toBe((0x7f4e & ~CONF.FSB_ENABLE) | 0x30);
    const fsb = new HpetTimerState(1);
    fsb.reset(true);
    fsb.writeConfig(CONF.FSB_ENABLE);
    expect(fsb.fsbEnabled).toBe(true);
    expect(fsb.config).toBe(0x8030 | CONF.FSB_ENABLE);
  });
});

describe('HpetTimerState: expiry arithmetic', () => {
  it('a 64-bit one-shot fires when the counter reaches the comparator, once', () => {
    const t = timer(0, CONF.ENABLE);
    t.writeComparator(false, 1000, false);
    t.writeComparator(true, 0, false);
    expect(t.ticksToArm(at(400))).toBe(600);
    expect(t.expire(at(1000))).toBe(-1);
  });

  it('a comparator at or behind the counter fires on the next tick', () => {
    const t = timer(0, CONF.ENABLE);
    t.cmp.set(0, 50);
    expect(t.ticksToArm(at(50))).toBe(1);
    expect(t.ticksToArm(at(51))).toBe(1);
    // Up to 2^63 behind (signed 64-bit distance) counts as behind; beyond, it is ahead.
    expect(t.ticksToArm(at(0x7fff_ffff_0000_0000n))).toBe(1);
    expect(t.ticksToArm(at(0x8000_0000_0000_0040n))).toBe(2 ** 63 - 14);
  });

  it('a 32-bit one-shot also fires when the counter wraps, then at its match', () => {
    const t = timer(0, CONF.ENABLE | CONF.MODE32);
    t.writeComparator(false, 0x10, false);
    expect(t.ticksToArm(at(0xffff_fff0))).toBe(0x10);
    expect(t.wrapFlag).toBe(1);
    expect(t.expire(at(0x1_0000_0000))).toBe(0x10);
    expect(t.wrapFlag).toBe(0);
    expect(t.expire(at(0x1_0000_0010))).toBe(-1);
  });

  it('a 32-bit one-shot whose match comes before the wrap does not set the wrap flag', () => {
    const t = timer(0, CONF.ENABLE | CONF.MODE32);
    t.writeComparator(false, 0xffff_fff8, false);
    expect(t.ticksToArm(at(0x5_ffff_fff0))).toBe(8);
    expect(t.wrapFlag).toBe(0);
  });

  it('the periodic accumulator moves the comparator by whole periods to just ahead of the counter', () => {
    const t = timer(0, CONF.ENABLE | CONF.PERIODIC | CONF.SETVAL);
    t.writeComparator(false, 100, false);
    t.writeComparator(true, 0, true);
    t.writeComparator(false, 10, false);
    expect([t.cmp.lo, t.period.lo]).toEqual([100, 10]);
    expect(t.expire(at(100))).toBe(10);
    expect(t.cmp.lo).toBe(110);
    // Late by 113 periods and 4 ticks: one expiry, comparator to the next period boundary.
    expect(t.expire(at(1234))).toBe(6);
    expect(t.cmp.lo).toBe(1240);
  });

  it('a tiny period far behind costs one step, not one per period (no interrupt storm)', () => {
    const t = timer(0, CONF.ENABLE | CONF.PERIODIC);
    t.cmp.set(0, 0);
    t.period.set(0, 1);
    expect(t.expire(at(4_000_000_000_000))).toBe(1);
    expect(t.cmp.toBigInt()).toBe(4_000_000_000_001n);
  });

  it('a 32-bit periodic comparator wraps with the low 32 bits of the counter', () => {
    const t = timer(0, CONF.ENABLE | CONF.PERIODIC | CONF.MODE32);
    t.cmp.set(0, 0xffff_fff0);
    t.period.set(0, 0x20);
    expect(t.expire(at(0x7_ffff_fff8))).toBe(0x18);
    expect(t.cmp.toBigInt()).toBe(0x10n);
  });

  it('64-bit values past 2^52 still advance exactly', () => {
    const t = timer(0, CONF.ENABLE | CONF.PERIODIC);
    t.cmp.setBigInt(0x10_0000_0000_0000n);
    t.period.setBigInt(0x20_0000_0000_0003n);
    expect(t.expire(at(0x10_0000_0000_0000n))).toBe(Number(0x20_0000_0000_0003n));
    expect(t.cmp.toBigInt()).toBe(0x30_0000_0000_0003n);
  });

  it('a periodic timer with period 0 fires once', () => {
    const t = timer(0, CONF.ENABLE | CONF.PERIODIC | CONF.SETVAL);
    t.writeComparator(false, 0, false);
    t.writeComparator(true, 0, true);
    expect(t.expire(at(0))).toBe(-1);
  });
});

describe('HpetTimerState: interrupt routing', () => {
  it('drives INT_ROUTE_CNF, or outputs 0 and 8 for timers 0 and 1 in legacy replacement mode', () => {
    const route5 = 5 << CONF.ROUTE_SHIFT;
    const timers = [0, 1, 2].map((i) => timer(i, route5));
    expect(timers.map((t) => t.output(false))).toEqual([5, 5, 5]);
    expect(timers.map((t) => t.output(true))).toEqual([0, 8, 5]);
  });

  it('delivers nothing unless enabled, else FSB, level or edge', () => {
    const t = timer(0, 0);
    expect(t.delivery(true)).toBe('none');
    t.writeConfig(CONF.ENABLE);
    expect(t.delivery(false)).toBe('none');
    expect(t.delivery(true)).toBe('edge');
    t.writeConfig(CONF.ENABLE | CONF.LEVEL);
    expect(t.delivery(true)).toBe('level');
    const f = new HpetTimerState(0);
    f.reset(true);
    f.writeConfig(CONF.ENABLE | CONF.LEVEL | CONF.FSB_ENABLE);
    expect(f.delivery(true)).toBe('fsb');
  });
});
