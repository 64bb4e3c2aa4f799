import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../core/timer';
import { CNT_CTL, COUNTER_FREQUENCY_HZ, GT, GenericTimer } from './generic-timer';

function setup(startNs = 0) {
  const clock = new VirtualClock({ mode: 'deterministic', startNs });
  const events: Array<[string, boolean, number]> = [];
  const gt = new GenericTimer(clock, {
    phys: (level) => events.push(['phys', level, clock.now()]),
    virt: (level) => events.push(['virt', level, clock.now()]),
  });
  const count = new Int32Array(2);
  /** Runs the clock to `ns`, firing due timers, as the machine loop does. */
  const runTo = (ns: number) => {
    clock.advanceTo(ns);
    clock.runDue();
  };
  return { clock, gt, events, count, runTo };
}

describe('generic timer', () => {
  it('counts at 62.5 MHz: one tick per 16 ns of virtual time', () => {
    expect(COUNTER_FREQUENCY_HZ).toBe(62_500_000);
    const { gt, count, runTo } = setup();
    runTo(1_000_000_000); // one second
    gt.readCount(count);
    expect(count[0]).toBe(62_500_000);
    expect(count[1]).toBe(0);
    runTo(1_000_000_015);
    gt.readCount(count);
    expect(count[0]).toBe(62_500_000);
  });

  it('carries the count into the high word', () => {
    const { gt, count } = setup(2 ** 32 * 16 + 5 * 16); // 2^32 + 5 ticks
    gt.readCount(count);
    expect(count[0]).toBe(5);
    expect(count[1]).toBe(1);
  });

  it('raises the virtual timer output at the exact nanosecond CVAL is reached', () => {
    const { gt, events, runTo } = setup();
    gt.writeCval(GT.Virt, 1000, 0); // 1000 ticks = 16000 ns
    gt.writeCtl(GT.Virt, CNT_CTL.ENABLE);
    runTo(15_999);
    expect(events).toEqual([]);
    expect(gt.readCtl(GT.Virt) & CNT_CTL.ISTATUS).toBe(0);
    runTo(20_000);
    expect(events).toEqual([['virt', true, 20_000]]);
    expect(gt.readCtl(GT.Virt)).toBe(CNT_CTL.ENABLE | CNT_CTL.ISTATUS);
  });

  it('fires the core timer at cval * 16 ns', () => {
    const { gt, clock } = setup();
    gt.writeCval(GT.Phys, 1000, 0);
    gt.writeCtl(GT.Phys, CNT_CTL.ENABLE);
    expect(clock.nextDeadline()).toBe(16_000);
  });

  it('masks the output with IMASK but keeps ISTATUS, and drops it when disabled', () => {
    const { gt, events, runTo } = setup();
    gt.writeCval(GT.Phys, 10, 0);
    gt.writeCtl(GT.Phys, CNT_CTL.ENABLE | CNT_CTL.IMASK);
    runTo(1000);
    expect(events).toEqual([]);
    expect(gt.readCtl(GT.Phys)).toBe(CNT_CTL.ENABLE | CNT_CTL.IMASK | CNT_CTL.ISTATUS);
    gt.writeCtl(GT.Phys, CNT_CTL.ENABLE);
    expect(events).toEqual([['phys', true, 1000]]);
    gt.writeCtl(GT.Phys, 0);
    expect(events[1]).toEqual(['phys', false, 1000]);
    expect(gt.readCtl(GT.Phys)).toBe(0);
  });

  it('ignores writes to ISTATUS', () => {
    const { gt } = setup();
    gt.writeCtl(GT.Virt, CNT_CTL.ISTATUS);
    expect(gt.readCtl(GT.Virt)).toBe(0);
  });

  it('lowers the output when CVAL moves into the future', () => {
    const { gt, events, runTo } = setup();
    gt.writeCtl(GT.Virt, CNT_CTL.ENABLE); // CVAL 0: condition met at once
    expect(events).toEqual([['virt', true, 0]]);
    runTo(160);
    gt.writeCval(GT.Virt, 100, 0);
    expect(events[1]).toEqual(['virt', false, 160]);
    runTo(1600);
    expect(events[2]).toEqual(['virt', true, 1600]);
  });

  it('implements TVAL as a signed 32-bit view of CVAL - count', () => {
    const { gt, count, runTo, events } = setup();
    runTo(16 * 500);
    gt.writeTval(GT.Virt, 100);
    gt.readCval(GT.Virt, count);
    expect([count[0], count[1]]).toEqual([600, 0]);
    expect(gt.readTval(GT.Virt)).toBe(100);
    runTo(16 * 650);
    expect(gt.readTval(GT.Virt)).toBe(-50);
    // A negative TVAL puts CVAL in the past: the condition is met at once.
    gt.writeTval(GT.Phys, -1);
    gt.readCval(GT.Phys, count);
    expect([count[0], count[1]]).toEqual([649, 0]);
    gt.writeCtl(GT.Phys, CNT_CTL.ENABLE);
    expect(events.at(-1)).toEqual(['phys', true, 16 * 650]);
  });

  it('wraps CVAL modulo 2^64 when TVAL is negative near count zero', () => {
    const { gt, count } = setup();
    gt.writeTval(GT.Virt, -2);
    gt.readCval(GT.Virt, count);
    expect([count[0] >>> 0, count[1] >>> 0]).toEqual([0xffff_fffe, 0xffff_ffff]);
    // CVAL = 2^64 - 2 is never reached: enabling neither raises the line nor arms a deadline.
    gt.writeCtl(GT.Virt, CNT_CTL.ENABLE);
    expect(gt.outputLevel(GT.Virt)).toBe(false);
  });

  it('restores CTL/CVAL and re-derives the output after a snapshot load', () => {
    const a = setup(16 * 50);
    a.gt.writeCval(GT.Virt, 40, 0);
    a.gt.writeCtl(GT.Virt, CNT_CTL.ENABLE);
    const saved = a.gt.save();
    const b = setup(16 * 50);
    b.gt.restore(saved);
    expect(b.gt.outputLevel(GT.Virt)).toBe(true);
    expect(b.events).toEqual([['virt', true, 800]]);
  });
});
