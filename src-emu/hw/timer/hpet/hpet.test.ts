import { afterEach, describe, expect, it } from 'vitest';
import { logger } from '../../../core/log';
import { MemTx } from '../../../core/memory';
import { DeviceError, reset } from '../../../core/object';
import { traceRegistry, TraceRing } from '../../../core/trace';
import { Hpet } from './hpet';
import { BIT, createRig, HPET_BASE, OFF, RAM_BASE } from './hpet-test-rig';
import type { Rig } from './hpet-test-rig';

afterEach(() => {
  logger.setSink(null);
  logger.setMasks([]);
});

/** Enables the main counter (GEN_CONF.ENABLE_CNF) the way Linux's hpet_start_counter does. */
function startCounter(rig: Rig): void {
  rig.writel(OFF.CFG, rig.readl(OFF.CFG) | BIT.CFG_ENABLE);
}

const route = (output: number): number => output << BIT.TN_ROUTE_SHIFT;

function counter(rig: Rig): bigint {
  const [lo, hi] = rig.readq(OFF.COUNTER);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

describe('HPET realize', () => {
  const make = (props: Record<string, unknown>) =>
    new Hpet({ path: '/machine/hpet', context: { clock: createRig().clock }, props });

  it.each([2, 33, 0])('refuses timers=%i with an error naming the device and the property', (timers) => {
    const hpet = make({ timers });
    expect(() => hpet.realize()).toThrow(DeviceError);
    expect(() => hpet.realize()).toThrow(/^\/machine\/hpet: property 'timers': .*outside 3\.\.32/);
  });

  it('a block sized for 32 timers realized with fewer decodes the rest as unknown', () => {
    const clock = createRig().clock;
    const hpet = new Hpet({ path: '/machine/hpet', context: { clock }, props: { timers: 32 } });
    hpet.setProp('timers', 3);
    hpet.realize();
    expect(hpet.regs.size).toBe(0x500);
    expect(hpet.regs.ops?.read(0x4e0, 4)).toBe(0);
  });

  it('refuses more timers than the block created for the device holds', () => {
    const hpet = make({});
    hpet.setProp('timers', 32);
    expect(() => hpet.realize()).toThrow(/property 'timers': 32 timers need the larger register block/);
  });

  it("numbers its IRQs as QEMU's sysbus HPET: outputs 0..31, then the PIT gate", () => {
    const rig = createRig();
    for (let k = 0; k < 32; k++) expect(rig.hpet.irqOutput(k)).toBe(rig.hpet.outputs[k]);
    expect(rig.hpet.irqOutput(32)).toBe(rig.hpet.pitEnabled);
    expect(rig.hpet.mmioRegion(0)).toBe(rig.hpet.regs);
    expect(rig.hpet.irqOutput(5).path).toBe('/machine/hpet/out5');
  });

  it('refuses FSB delivery without guest memory to deliver to', () => {
    expect(() => make({ msi: true }).realize()).toThrow(/\/machine\/hpet: property 'msi'/);
  });

  it('announces 32 timers and maps all of them, the last at 0x4e0', () => {
    const rig = createRig({ props: { timers: 32 } });
    expect((rig.readl(OFF.ID) >>> 8) & 0x1f).toBe(31);
    expect(rig.hpet.regs.size).toBe(0x500);
    rig.writel(OFF.tnCmp(31), 0x1234);
    expect(rig.readl(0x4e8)).toBe(0x1234);
    expect(rig.readl(OFF.tnCfg(31))).toBe(0x30);
  });
});

describe('HPET reset values', () => {
  it('reads the capabilities Linux checks in hpet_enable', () => {
    const rig = createRig();
    const id = rig.readl(OFF.ID);
    expect(id).toBe(0x8086a201);
    expect(id & 0xff).toBe(1); // revision
    expect(id & (1 << 13)).not.toBe(0); // 64-bit counter
    expect(id & (1 << 15)).not.toBe(0); // legacy replacement capable
    // Linux accepts periods within (HPET_MIN_PERIOD, HPET_MAX_PERIOD] = 100000 .. 100000000 fs.
    expect(rig.readl(OFF.PERIOD)).toBe(10_000_000);
    expect(rig.readq(OFF.ID)).toEqual([0x8086a201, 10_000_000]);
  });

  it('starts halted with everything clear and comparators all ones', () => {
    const rig = createRig();
    expect(rig.readq(OFF.CFG)).toEqual([0, 0]);
    expect(rig.readq(OFF.STATUS)).toEqual([0, 0]);
    rig.runTo(1_000_000);
    expect(rig.readq(OFF.COUNTER)).toEqual([0, 0]);
    for (let n = 0; n < 3; n++) {
      expect(rig.readq(OFF.tnCfg(n))).toEqual([0x30, 0xffff_ffff]);
      expect(rig.readq(OFF.tnCmp(n))).toEqual([0xffff_ffff, 0xffff_ffff]);
      expect(rig.readq(OFF.tnFsbVal(n))).toEqual([0, 0]);
    }
    expect(rig.irqs).toEqual([]);
    expect(rig.pitEnabled).toEqual([true]);
  });

  it('advertises FSB delivery and INT_ROUTE_CAP from the properties', () => {
    const rig = createRig({ props: { msi: true, intcap: 0x10f } });
    expect(rig.readq(OFF.tnCfg(1))).toEqual([0x8030, 0x10f]);
  });

  it('puts every register back on reset, stopping timers and lowering outputs', () => {
    const rig = createRig();
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | BIT.TN_LEVEL | (3 << BIT.TN_ROUTE_SHIFT));
    rig.writel(OFF.tnCmp(0), 10);
    rig.writel(OFF.tnFsbAddr(1), 0x1234);
    startCounter(rig);
    rig.runTo(200);
    expect(rig.hpet.outputs[3].level).toBe(true);
    reset(rig.hpet);
    expect(rig.hpet.outputs[3].level).toBe(false);
    expect([rig.readl(OFF.CFG), rig.readl(OFF.STATUS), rig.readl(OFF.COUNTER)]).toEqual([0, 0, 0]);
    expect(rig.readq(OFF.tnCfg(0))).toEqual([0x30, 0xffff_ffff]);
    expect(rig.readq(OFF.tnCmp(0))).toEqual([0xffff_ffff, 0xffff_ffff]);
    expect(rig.readl(OFF.tnFsbAddr(1))).toBe(0);
    expect(rig.hpet.expiryOf(0)).toBe(-1);
  });
});

describe('HPET registers', () => {
  it('GEN_CONF keeps ENABLE_CNF and LEG_RT_CNF only, and logs reserved bits', () => {
    const rig = createRig();
    rig.writel(OFF.CFG, 0xffff_fff0);
    expect(rig.readl(OFF.CFG)).toBe(0);
    expect(rig.guestErrors).toEqual(['/machine/hpet: GEN_CONF: reserved bits 0xfffffff0 ignored']);
    rig.writel(OFF.CFG, BIT.CFG_LEGACY);
    expect(rig.readl(OFF.CFG)).toBe(BIT.CFG_LEGACY);
    rig.writel(OFF.CFG + 4, 0);
    expect(rig.guestErrors).toHaveLength(1);
    rig.writel(OFF.CFG + 4, 1);
    expect(rig.readl(OFF.CFG + 4)).toBe(0);
    expect(rig.guestErrors[1]).toMatch(/reserved GEN_CONF_HI/);
  });

  it('ignores writes to GCAP_ID and COUNTER_CLK_PERIOD and logs them', () => {
    const rig = createRig();
    rig.writeq(OFF.ID, 0, 0);
    expect(rig.readq(OFF.ID)).toEqual([0x8086a201, 10_000_000]);
    expect(rig.guestErrors).toEqual([
      '/machine/hpet: write of 0x0 to read-only register GCAP_ID ignored',
      '/machine/hpet: write of 0x0 to read-only register CLK_PERIOD ignored',
    ]);
  });

  it('TIMn_CONF takes the writable fields and logs attempts to change read-only ones', () => {
    const rig = createRig({ props: { intcap: 0xff } });
    const wanted = BIT.TN_LEVEL | BIT.TN_PERIODIC | BIT.TN_32BIT | (7 << BIT.TN_ROUTE_SHIFT);
    rig.writel(OFF.tnCfg(1), wanted | 0x30);
    expect(rig.readl(OFF.tnCfg(1))).toBe(wanted | 0x30);
    expect(rig.guestErrors).toEqual([]);
    rig.writel(OFF.tnCfg(1), wanted | BIT.TN_FSB | 0x1);
    expect(rig.readl(OFF.tnCfg(1))).toBe(wanted | 0x30);
    expect(rig.guestErrors).toEqual(['/machine/hpet: timer 1: TIMn_CONF read-only bits 0x4001 not set']);
    rig.writel(OFF.tnCfg(1), wanted);
    expect(rig.readl(OFF.tnCfg(1))).toBe(wanted | 0x30);
    expect(rig.guestErrors).toHaveLength(1);
    rig.writel(OFF.tnCap(1), 0);
    expect(rig.guestErrors).toHaveLength(1);
    rig.writel(OFF.tnCap(1), 0x8000_0000);
    expect(rig.readl(OFF.tnCap(1))).toBe(0xff);
    expect(rig.guestErrors[1]).toBe('/machine/hpet: timer 1: INT_ROUTE_CAP is read-only');
  });

  it('logs a route that INT_ROUTE_CAP does not offer', () => {
    const rig = createRig({ props: { intcap: 0x10f } });
    rig.writel(OFF.tnCfg(2), 8 << BIT.TN_ROUTE_SHIFT);
    expect(rig.guestErrors).toEqual([]);
    rig.writel(OFF.tnCfg(2), 5 << BIT.TN_ROUTE_SHIFT);
    expect(rig.guestErrors).toEqual(['/machine/hpet: timer 2: route to output 5, which INT_ROUTE_CAP does not offer']);
  });

  it('reads back comparators and FSB routes through either half or one 64-bit access', () => {
    const rig = createRig();
    rig.writel(OFF.tnCmp(2), 0x89ab_cdef);
    rig.writel(OFF.tnCmpHi(2), 0x0123_4567);
    expect(rig.readq(OFF.tnCmp(2))).toEqual([0x89ab_cdef, 0x0123_4567]);
    rig.writeq(OFF.tnFsbVal(0), 0x4141, 0x4000_1000);
    expect([rig.readl(OFF.tnFsbVal(0)), rig.readl(OFF.tnFsbAddr(0))]).toEqual([0x4141, 0x4000_1000]);
  });

  it('ignores the comparator high half in 32-bit mode, logging non-zero writes', () => {
    const rig = createRig();
    rig.writel(OFF.tnCfg(0), BIT.TN_32BIT);
    expect(rig.readq(OFF.tnCmp(0))).toEqual([0xffff_ffff, 0]);
    rig.writeq(OFF.tnCmp(0), 0x55, 0);
    expect(rig.readq(OFF.tnCmp(0))).toEqual([0x55, 0]);
    expect(rig.guestErrors).toEqual([]);
    rig.writel(OFF.tnCmpHi(0), 1);
    expect(rig.readl(OFF.tnCmpHi(0))).toBe(0);
    expect(rig.guestErrors).toEqual(['/machine/hpet: timer 0: comparator bits 63:32 are read-only in 32-bit mode']);
  });

  it('reads 0 at bad offsets, ignores writes there, and logs both', () => {
    const rig = createRig();
    for (const offset of [0x008, 0x0f8, 0x118, 0x160, 0x3fc]) {
      rig.writel(offset, 0xffff_ffff);
      expect(rig.readl(offset)).toBe(0);
    }
    expect(rig.guestErrors).toHaveLength(10);
    expect(rig.guestErrors[0]).toBe('/machine/hpet: write at bad offset 0x8 (value 0xffffffff)');
    expect(rig.guestErrors[7]).toBe('/machine/hpet: read at bad offset 0x160');
  });

  it('refuses byte, halfword and unaligned accesses (valid sizes are 4 and 8)', () => {
    const rig = createRig();
    expect(rig.space.read(HPET_BASE + OFF.ID, 1)).toBe(0);
    expect(rig.space.status).toBe(MemTx.AccessError);
    rig.space.write(HPET_BASE + OFF.CFG, 2, 1);
    expect(rig.space.status).toBe(MemTx.AccessError);
    expect(rig.readl(OFF.CFG)).toBe(0);
    expect(rig.space.read(HPET_BASE + 2, 4)).toBe(0);
    expect(rig.space.status).toBe(MemTx.AccessError);
    expect(rig.guestErrors).toHaveLength(3);
  });
});

describe('HPET main counter', () => {
  it('counts at 100 MHz from the moment it is enabled', () => {
    const rig = createRig({ startNs: 1_000 });
    startCounter(rig);
    rig.runTo(1_009);
    expect(counter(rig)).toBe(0n);
    rig.runTo(1_010);
    expect(counter(rig)).toBe(1n);
    rig.runTo(1_000 + 10 * 123_457);
    expect(counter(rig)).toBe(123_457n);
  });

  it('halts with its value when disabled and resumes from it', () => {
    const rig = createRig();
    startCounter(rig);
    rig.runTo(5_555);
    rig.writel(OFF.CFG, 0);
    rig.runTo(100_000);
    expect(counter(rig)).toBe(555n);
    startCounter(rig);
    rig.runTo(100_100);
    expect(counter(rig)).toBe(565n);
  });

  it('is writable while halted (32- and 64-bit) and not while running', () => {
    const rig = createRig();
    rig.writel(OFF.COUNTER_HI, 0x12);
    rig.writel(OFF.COUNTER, 0x3456);
    expect(counter(rig)).toBe(0x12_0000_3456n);
    rig.writeq(OFF.COUNTER, 0xffff_fffe, 0);
    expect(counter(rig)).toBe(0xffff_fffen);
    startCounter(rig);
    rig.runTo(40);
    expect(counter(rig)).toBe(0x1_0000_0002n);
    rig.writel(OFF.COUNTER, 0);
    expect(counter(rig)).toBe(0x1_0000_0002n);
    expect(rig.guestErrors).toEqual(['/machine/hpet: write of 0x0 to MAIN_CNT while the counter runs ignored']);
  });

  it('a 64-bit read is one snapshot even if time moves between its halves', () => {
    const rig = createRig();
    rig.writel(OFF.COUNTER, 0xffff_ffff);
    startCounter(rig);
    const lo = rig.readl(OFF.COUNTER);
    rig.clock.advance(10); // the counter carries into bit 32 here
    expect([lo, rig.readl(OFF.COUNTER_HI)]).toEqual([0xffff_ffff, 0]);
    // A high-half read that does not follow a low-half read sees the counter now.
    expect(rig.readl(OFF.COUNTER_HI)).toBe(1);
  });
});

/** Linux's hpet_clkevt_set_state_oneshot followed by hpet_clkevt_set_next_event(delta). */
function linuxOneshot(rig: Rig, n: number, delta: number, extra = 0): number {
  let cfg = rig.readl(OFF.tnCfg(n));
  cfg &= ~BIT.TN_PERIODIC;
  cfg |= BIT.TN_ENABLE | BIT.TN_32BIT | extra;
  rig.writel(OFF.tnCfg(n), cfg);
  const cnt = (rig.readl(OFF.COUNTER) + delta) >>> 0;
  rig.writel(OFF.tnCmp(n), cnt);
  return cnt;
}

describe('HPET one-shot timers', () => {
  it('fires an edge interrupt at the exact nanosecond the counter reaches the comparator, once', () => {
    const rig = createRig({ startNs: 7 });
    rig.writel(OFF.tnCfg(2), 2 << BIT.TN_ROUTE_SHIFT);
    startCounter(rig);
    rig.runTo(1_234);
    const cnt = linuxOneshot(rig, 2, 1000);
    expect(cnt).toBe(1_122);
    rig.runTo(50_000);
    expect(rig.irqs).toEqual([
      { ns: 7 + 1_122 * 10, output: 2, level: true },
      { ns: 7 + 1_122 * 10, output: 2, level: false },
    ]);
    expect(rig.readl(OFF.STATUS)).toBe(0);
    expect(rig.hpet.expiryOf(2)).toBe(-1);
  });

  it('level mode sets GINTR_STA and holds the output until the guest writes 1 to the bit', () => {
    const rig = createRig();
    rig.writel(OFF.tnCfg(1), 4 << BIT.TN_ROUTE_SHIFT);
    startCounter(rig);
    linuxOneshot(rig, 1, 300, BIT.TN_LEVEL);
    rig.runTo(3_000);
    expect(rig.irqs).toEqual([{ ns: 3_000, output: 4, level: true }]);
    expect(rig.readq(OFF.STATUS)).toEqual([0b10, 0]);
    rig.writel(OFF.STATUS, 0b101);
    expect(rig.readl(OFF.STATUS)).toBe(0b10);
    expect(rig.hpet.outputs[4].level).toBe(true);
    rig.runTo(4_000);
    rig.writel(OFF.STATUS, 0b10);
    expect(rig.readl(OFF.STATUS)).toBe(0);
    expect(rig.irqs.at(-1)).toEqual({ ns: 4_000, output: 4, level: false });
  });

  it('a comparator already passed fires on the next tick', () => {
    const rig = createRig();
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | (1 << BIT.TN_ROUTE_SHIFT));
    startCounter(rig);
    rig.runTo(1_005);
    rig.writeq(OFF.tnCmp(0), 50, 0);
    rig.runTo(5_000);
    expect(rig.risesOn(1)).toEqual([1_010]);
  });

  it('a 32-bit one-shot also fires when the counter wraps, then at its match', () => {
    const rig = createRig();
    rig.writel(OFF.COUNTER, 0xffff_ff00);
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | BIT.TN_32BIT | (6 << BIT.TN_ROUTE_SHIFT));
    rig.writel(OFF.tnCmp(0), 0x100);
    startCounter(rig);
    rig.runTo(100_000);
    expect(rig.risesOn(6)).toEqual([0x100 * 10, 0x200 * 10]);
  });

  it('a 64-bit one-shot with the same low bits fires only at its 64-bit match', () => {
    const rig = createRig();
    rig.writel(OFF.COUNTER, 0xffff_ff00);
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | (6 << BIT.TN_ROUTE_SHIFT));
    rig.writeq(OFF.tnCmp(0), 0x100, 1);
    startCounter(rig);
    rig.runTo(100_000);
    expect(rig.risesOn(6)).toEqual([0x200 * 10]);
  });

  it('arms nothing while the counter is halted; enabling the counter arms enabled timers', () => {
    const rig = createRig();
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | (2 << BIT.TN_ROUTE_SHIFT));
    rig.writel(OFF.tnCfg(1), 3 << BIT.TN_ROUTE_SHIFT);
    rig.writeq(OFF.tnCmp(0), 100, 0);
    rig.writeq(OFF.tnCmp(1), 100, 0);
    expect(rig.hpet.expiryOf(0)).toBe(-1);
    rig.runTo(500);
    startCounter(rig);
    expect(rig.hpet.expiryOf(0)).toBe(1_500);
    expect(rig.hpet.expiryOf(1)).toBe(-1);
    rig.runTo(10_000);
    expect(rig.irqs.map((e) => e.output)).toEqual([2, 2]);
  });
});

/** Linux's hpet_clkevt_set_state_periodic for a timer: 32-bit, VAL_SET, then a second write for the period. */
function linuxPeriodic(rig: Rig, n: number, delta: number, extra = 0): number {
  const cmp = (rig.readl(OFF.COUNTER) + delta) >>> 0;
  let cfg = rig.readl(OFF.tnCfg(n));
  cfg |= BIT.TN_ENABLE | BIT.TN_PERIODIC | BIT.TN_SETVAL | BIT.TN_32BIT | extra;
  rig.writel(OFF.tnCfg(n), cfg);
  rig.writel(OFF.tnCmp(n), cmp);
  rig.writel(OFF.tnCmp(n), delta);
  return cmp;
}

describe('HPET periodic timers', () => {
  it('ticks every period from the first comparator value (Linux periodic clockevents)', () => {
    const rig = createRig();
    rig.writel(OFF.tnCfg(0), 2 << BIT.TN_ROUTE_SHIFT);
    startCounter(rig);
    rig.runTo(3_333);
    const first = linuxPeriodic(rig, 0, 100_000); // 1 ms at 100 MHz
    expect(first).toBe(100_333);
    rig.runTo(10_000_000);
    const expected = Array.from({ length: 9 }, (_, i) => (first + i * 100_000) * 10);
    expect(rig.risesOn(2)).toEqual(expected);
    // The accumulator: the comparator now holds the next expiry.
    expect(rig.readl(OFF.tnCmp(0))).toBe(first + 9 * 100_000);
  });

  it('a 64-bit write with VAL_SET_CNF sets the whole comparator; later writes set the period', () => {
    const rig = createRig();
    rig.writel(OFF.COUNTER, 0xffff_fff0);
    rig.writel(OFF.tnCfg(1), BIT.TN_ENABLE | BIT.TN_PERIODIC | BIT.TN_SETVAL | (5 << BIT.TN_ROUTE_SHIFT));
    rig.writeq(OFF.tnCmp(1), 0x10, 1);
    expect(rig.readq(OFF.tnCmp(1))).toEqual([0x10, 1]);
    expect(rig.readl(OFF.tnCfg(1)) & BIT.TN_SETVAL).toBe(0);
    rig.writeq(OFF.tnCmp(1), 500, 0);
    expect(rig.readq(OFF.tnCmp(1))).toEqual([0x10, 1]);
    startCounter(rig);
    rig.runTo(0x20 * 10 + 1_000 * 10);
    expect(rig.risesOn(5)).toEqual([0x20 * 10, (0x20 + 500) * 10, (0x20 + 1000) * 10]);
  });

  it('a comparator left behind with a tiny period advances in one step: no interrupt storm', () => {
    const rig = createRig();
    rig.writel(OFF.COUNTER, 1_000_000);
    startCounter(rig);
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | BIT.TN_PERIODIC | BIT.TN_SETVAL | (1 << BIT.TN_ROUTE_SHIFT));
    rig.writeq(OFF.tnCmp(0), 0, 0); // comparator far in the past, period 0 for now
    rig.writeq(OFF.tnCmp(0), 3, 0); // period: 3 ticks
    rig.runTo(95);
    // One catch-up interrupt on the next tick; the comparator then moves by whole periods (0 + 3k) to
    // 1,000,002, just ahead of the counter, and fires once per period from there.
    expect(rig.risesOn(1)).toEqual([10, 20, 50, 80]);
    expect(rig.readl(OFF.tnCmp(0))).toBe(1_000_011);
  });

  it('after a long stall the next expiry delivers one interrupt and the comparator jumps ahead', () => {
    const rig = createRig();
    startCounter(rig);
    linuxPeriodic(rig, 0, 1_000, BIT.TN_LEVEL);
    rig.clock.advance(10_000_123); // e.g. the host paused: 1000 periods pass without timers running
    expect(rig.clock.runDue()).toBe(1);
    expect(rig.risesOn(0)).toEqual([10_000_123]);
    expect(rig.readl(OFF.tnCmp(0))).toBe(1_001_000);
    expect(rig.hpet.expiryOf(0)).toBe(10_010_000);
  });

  it('a 32-bit periodic timer keeps its period across the 32-bit wrap', () => {
    const rig = createRig();
    rig.writel(OFF.COUNTER, 0xffff_fc00);
    startCounter(rig);
    linuxPeriodic(rig, 2, 0x300);
    rig.runTo(0x1000 * 10);
    expect(rig.risesOn(0)).toEqual([0x300, 0x600, 0x900, 0xc00, 0xf00].map((t) => t * 10));
    expect(rig.readl(OFF.tnCmp(2))).toBe(0x1200 - 0x400);
  });
});

describe('HPET timer reprogramming', () => {
  it('rewriting an armed one-shot comparator moves its deadline', () => {
    const rig = createRig();
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | route(2));
    startCounter(rig);
    rig.writeq(OFF.tnCmp(0), 1_000, 0);
    expect(rig.hpet.expiryOf(0)).toBe(10_000);
    rig.runTo(5_000);
    rig.writeq(OFF.tnCmp(0), 600, 0);
    rig.runTo(20_000);
    expect(rig.risesOn(2)).toEqual([6_000]);
  });

  it('switching a periodic timer to one-shot stops it after its pending comparator', () => {
    const rig = createRig();
    startCounter(rig);
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | BIT.TN_PERIODIC | BIT.TN_SETVAL | route(2));
    rig.writeq(OFF.tnCmp(0), 100, 0);
    rig.writeq(OFF.tnCmp(0), 100, 0);
    rig.runTo(2_500);
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | route(2));
    rig.runTo(10_000);
    expect(rig.risesOn(2)).toEqual([1_000, 2_000, 3_000]);
  });

  it('disabling a periodic timer stops its interrupts; enabling it again resumes on its period grid', () => {
    const rig = createRig();
    startCounter(rig);
    rig.writel(OFF.tnCfg(1), BIT.TN_ENABLE | BIT.TN_PERIODIC | BIT.TN_SETVAL | route(4));
    rig.writeq(OFF.tnCmp(1), 100, 0);
    rig.writeq(OFF.tnCmp(1), 100, 0);
    rig.runTo(1_500);
    rig.writel(OFF.tnCfg(1), BIT.TN_PERIODIC | route(4));
    rig.runTo(5_500);
    expect(rig.hpet.expiryOf(1)).toBe(-1);
    rig.writel(OFF.tnCfg(1), BIT.TN_ENABLE | BIT.TN_PERIODIC | route(4));
    rig.runTo(8_000);
    // The comparator (200) is behind: one catch-up interrupt on the next tick, then whole periods.
    expect(rig.risesOn(4)).toEqual([1_000, 5_510, 6_000, 7_000, 8_000]);
  });

  it('VAL_SET_CNF reads back until the next comparator write clears it', () => {
    const rig = createRig();
    rig.writel(OFF.tnCfg(0), BIT.TN_PERIODIC | BIT.TN_SETVAL);
    expect(rig.readl(OFF.tnCfg(0)) & BIT.TN_SETVAL).toBe(BIT.TN_SETVAL);
    rig.writel(OFF.tnCmp(0), 5);
    expect(rig.readl(OFF.tnCfg(0)) & BIT.TN_SETVAL).toBe(0);
  });

  it('VAL_SET_CNF covers the high half only when it directly follows the low half', () => {
    const rig = createRig();
    rig.writel(OFF.tnCfg(0), BIT.TN_PERIODIC | BIT.TN_SETVAL);
    rig.writel(OFF.tnCmp(0), 0x10);
    rig.readl(OFF.ID);
    rig.writel(OFF.tnCmpHi(0), 0x2);
    expect(rig.readq(OFF.tnCmp(0))).toEqual([0x10, 0xffff_ffff]);
  });

  it('switching to 32-bit mode truncates the comparator', () => {
    const rig = createRig();
    rig.writeq(OFF.tnCmp(2), 0x1234, 0x5678);
    rig.writel(OFF.tnCfg(2), BIT.TN_32BIT);
    expect(rig.readq(OFF.tnCmp(2))).toEqual([0x1234, 0]);
    rig.writel(OFF.tnCfg(2), 0);
    expect(rig.readq(OFF.tnCmp(2))).toEqual([0x1234, 0]);
  });

  it('enabling FSB delivery releases an asserted level output', () => {
    const rig = createRig({ props: { msi: true } });
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | BIT.TN_LEVEL | route(6));
    rig.writeq(OFF.tnCmp(0), 1, 0);
    startCounter(rig);
    rig.runTo(10);
    expect(rig.hpet.outputs[6].level).toBe(true);
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | BIT.TN_LEVEL | BIT.TN_FSB | route(6));
    expect([rig.hpet.outputs[6].level, rig.readl(OFF.STATUS)]).toEqual([false, 0]);
  });

  it('the last of 32 timers fires on its route', () => {
    const rig = createRig({ props: { timers: 32 } });
    rig.writel(OFF.tnCfg(31), BIT.TN_ENABLE | BIT.TN_LEVEL | route(31));
    rig.writeq(OFF.tnCmp(31), 3, 0);
    startCounter(rig);
    rig.runTo(30);
    expect(rig.readl(OFF.STATUS)).toBe(0x8000_0000);
    expect(rig.irqs).toEqual([{ ns: 30, output: 31, level: true }]);
    rig.writel(OFF.STATUS, 0x8000_0000);
    expect(rig.readl(OFF.STATUS)).toBe(0);
  });
});

describe('HPET interrupt routing', () => {
  it('legacy replacement sends timer 0 to output 0 and timer 1 to output 8, others keep their route', () => {
    const rig = createRig();
    for (const n of [0, 1, 2]) rig.writel(OFF.tnCfg(n), BIT.TN_ENABLE | (9 << BIT.TN_ROUTE_SHIFT));
    rig.writel(OFF.CFG, BIT.CFG_ENABLE | BIT.CFG_LEGACY);
    expect(rig.pitEnabled).toEqual([true, false]);
    for (const n of [0, 1, 2]) rig.writeq(OFF.tnCmp(n), 100 * (n + 1), 0);
    rig.runTo(4_000);
    expect(rig.risesOn(0)).toEqual([1_000]);
    expect(rig.risesOn(8)).toEqual([2_000]);
    expect(rig.risesOn(9)).toEqual([3_000]);
    rig.writel(OFF.CFG, BIT.CFG_ENABLE);
    expect(rig.pitEnabled).toEqual([true, false, true]);
    rig.writeq(OFF.tnCmp(0), 500, 0);
    rig.runTo(6_000);
    expect(rig.risesOn(9)).toEqual([3_000, 5_000]);
  });

  it('passes the legacy PIT and RTC inputs to outputs 0 and 8 except in legacy mode', () => {
    const rig = createRig();
    const [pit, rtc] = rig.hpet.legacyInputs.lines;
    pit.setLevel(true);
    rtc.setLevel(true);
    expect([rig.hpet.outputs[0].level, rig.hpet.outputs[8].level]).toEqual([true, true]);
    rig.writel(OFF.CFG, BIT.CFG_LEGACY);
    expect([rig.hpet.outputs[0].level, rig.hpet.outputs[8].level]).toEqual([false, false]);
    rig.writel(OFF.CFG, 0);
    expect([rig.hpet.outputs[0].level, rig.hpet.outputs[8].level]).toEqual([true, true]);
    rtc.setLevel(false);
    expect(rig.hpet.outputs[8].level).toBe(false);
  });

  it('an output shared by two level timers stays high until both are acknowledged', () => {
    const rig = createRig();
    for (const n of [0, 2]) rig.writel(OFF.tnCfg(n), BIT.TN_ENABLE | BIT.TN_LEVEL | (3 << BIT.TN_ROUTE_SHIFT));
    rig.writeq(OFF.tnCmp(0), 10, 0);
    rig.writeq(OFF.tnCmp(2), 20, 0);
    startCounter(rig);
    rig.runTo(300);
    expect(rig.readl(OFF.STATUS)).toBe(0b101);
    rig.writel(OFF.STATUS, 0b001);
    expect(rig.hpet.outputs[3].level).toBe(true);
    rig.writel(OFF.STATUS, 0b100);
    expect(rig.hpet.outputs[3].level).toBe(false);
    expect(rig.irqs).toEqual([
      { ns: 100, output: 3, level: true },
      { ns: 300, output: 3, level: false },
    ]);
  });

  it('disabling a timer or the whole HPET releases asserted outputs and clears the status', () => {
    const rig = createRig();
    for (const n of [0, 1]) rig.writel(OFF.tnCfg(n), BIT.TN_ENABLE | BIT.TN_LEVEL | ((n + 4) << BIT.TN_ROUTE_SHIFT));
    rig.writeq(OFF.tnCmp(0), 10, 0);
    rig.writeq(OFF.tnCmp(1), 10, 0);
    startCounter(rig);
    rig.runTo(100);
    expect(rig.readl(OFF.STATUS)).toBe(0b11);
    rig.writel(OFF.tnCfg(0), BIT.TN_LEVEL | (4 << BIT.TN_ROUTE_SHIFT));
    expect([rig.readl(OFF.STATUS), rig.hpet.outputs[4].level]).toEqual([0b10, false]);
    rig.writel(OFF.CFG, 0);
    expect([rig.readl(OFF.STATUS), rig.hpet.outputs[5].level]).toEqual([0, false]);
  });

  it('moves an asserted level interrupt when the guest changes its route', () => {
    const rig = createRig();
    rig.writel(OFF.tnCfg(2), BIT.TN_ENABLE | BIT.TN_LEVEL | (3 << BIT.TN_ROUTE_SHIFT));
    rig.writeq(OFF.tnCmp(2), 1, 0);
    startCounter(rig);
    rig.runTo(10);
    rig.writel(OFF.tnCfg(2), BIT.TN_ENABLE | BIT.TN_LEVEL | (7 << BIT.TN_ROUTE_SHIFT));
    expect([rig.hpet.outputs[3].level, rig.hpet.outputs[7].level]).toEqual([false, true]);
  });
});

describe('HPET FSB delivery', () => {
  const ramWord = (rig: Rig, offset: number): number => rig.space.read(RAM_BASE + offset, 4);

  it('writes the FSB value to the FSB address in guest memory instead of driving an output', () => {
    const rig = createRig({ props: { msi: true } });
    rig.writel(OFF.tnFsbVal(1), 0xabcd_1234);
    rig.writel(OFF.tnFsbAddr(1), RAM_BASE + 0x100);
    rig.writel(OFF.tnCfg(1), BIT.TN_ENABLE | BIT.TN_LEVEL | BIT.TN_FSB);
    rig.writeq(OFF.tnCmp(1), 42, 0);
    startCounter(rig);
    rig.runTo(419);
    expect(ramWord(rig, 0x100)).toBe(0);
    rig.runTo(420);
    expect(ramWord(rig, 0x100)).toBe(0xabcd_1234);
    expect(rig.irqs).toEqual([]);
    expect(rig.readl(OFF.STATUS)).toBe(0);
  });

  it('logs a message that cannot be delivered (unassigned address)', () => {
    const rig = createRig({ props: { msi: true } });
    rig.writeq(OFF.tnFsbVal(0), 1, 0x2000_0000);
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | BIT.TN_FSB);
    rig.writeq(OFF.tnCmp(0), 1, 0);
    startCounter(rig);
    rig.runTo(10);
    expect(rig.guestErrors).toEqual([
      'memory: DMA write of 4 bytes at 0x20000000: 0x20000000 is unassigned',
      '/machine/hpet: timer 0: FSB message 0x1 to 0x20000000 was not delivered',
    ]);
  });

  it('without the FSB capability FSB_EN stays clear and the timer uses its output', () => {
    const rig = createRig();
    rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | BIT.TN_FSB | (2 << BIT.TN_ROUTE_SHIFT));
    expect(rig.readl(OFF.tnCfg(0)) & BIT.TN_FSB).toBe(0);
    rig.writeq(OFF.tnCmp(0), 1, 0);
    startCounter(rig);
    rig.runTo(10);
    expect(rig.risesOn(2)).toEqual([10]);
  });
});

describe('HPET trace events', () => {
  afterEach(() => traceRegistry.configure([]));

  it('emits hpet_ram_read, hpet_ram_write, hpet_set_timer, hpet_timer_fire and hpet_irq', () => {
    const ring = new TraceRing(64);
    traceRegistry.addSink(ring);
    traceRegistry.configure('hpet_*');
    try {
      const rig = createRig();
      rig.readl(OFF.ID);
      rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | (3 << BIT.TN_ROUTE_SHIFT));
      rig.writeq(OFF.tnCmp(0), 5, 0);
      startCounter(rig);
      rig.runTo(100);
      const lines = ring.drain().map((r) => [r.event.name, ...r.values]);
      expect(lines).toEqual([
        ['hpet_ram_read', 0x0, 0x8086a201],
        ['hpet_ram_write', 0x100, 0x4 | (3 << 9)],
        ['hpet_ram_write', 0x108, 5],
        ['hpet_ram_write', 0x10c, 0],
        ['hpet_ram_read', 0x10, 0],
        ['hpet_ram_write', 0x10, 1],
        ['hpet_set_timer', 0, 5, 50],
        ['hpet_timer_fire', 0, 5],
        ['hpet_irq', 3, true],
        ['hpet_irq', 3, false],
      ]);
    } finally {
      traceRegistry.removeSink(ring);
    }
  });
});

describe("HPET under Linux's x86 driver sequence", () => {
  it('boots (stop, reset, start, count check, legacy) and delivers a one-shot clockevent on output 0', () => {
    const rig = createRig({ startNs: 12_345 });
    const id = rig.readl(OFF.ID);
    const timers = ((id >>> 8) & 0x1f) + 1;
    expect(timers).toBe(3);
    // hpet_stop_counter, hpet_reset_counter, hpet_start_counter.
    rig.writel(OFF.CFG, rig.readl(OFF.CFG) & ~(BIT.CFG_ENABLE | BIT.CFG_LEGACY));
    rig.writel(OFF.COUNTER, 0);
    rig.writel(OFF.COUNTER_HI, 0);
    startCounter(rig);
    // hpet_counting: the counter must move within a few microseconds.
    const t1 = rig.readl(OFF.COUNTER);
    rig.runTo(12_345 + 1_000);
    expect(rig.readl(OFF.COUNTER) - t1).toBe(100);
    // hpet_enable: every timer disabled, edge-triggered, no FSB.
    for (let n = 0; n < timers; n++) {
      const cfg = rig.readl(OFF.tnCfg(n)) & ~(BIT.TN_ENABLE | BIT.TN_LEVEL | BIT.TN_FSB);
      rig.writel(OFF.tnCfg(n), cfg);
    }
    // hpet_enable_legacy_int, then the legacy clockevent on timer 0.
    rig.writel(OFF.CFG, rig.readl(OFF.CFG) | BIT.CFG_LEGACY);
    const cnt = linuxOneshot(rig, 0, 5_000);
    // hpet_clkevt_set_next_event: the comparator must still be ahead of the counter.
    expect((cnt - rig.readl(OFF.COUNTER)) | 0).toBe(5_000);
    rig.runTo(200_000);
    expect(rig.risesOn(0)).toEqual([12_345 + cnt * 10]);
    expect(rig.irqs).toHaveLength(2);
    expect(rig.guestErrors).toEqual([]);
  });
});

describe('HPET as a bare-metal tick source', () => {
  it('a 1 kHz level tick acknowledged by its handler interrupts exactly every millisecond', () => {
    const rig = createRig();
    // Program: timer 0 periodic, level, output 2, period 100,000 ticks, first tick at 100,000.
    rig.writel(
      OFF.tnCfg(0),
      BIT.TN_ENABLE | BIT.TN_LEVEL | BIT.TN_PERIODIC | BIT.TN_SETVAL | (2 << BIT.TN_ROUTE_SHIFT),
    );
    rig.writeq(OFF.tnCmp(0), 100_000, 0);
    rig.writeq(OFF.tnCmp(0), 100_000, 0);
    startCounter(rig);
    const handled: number[] = [];
    for (let tick = 0; tick < 10; tick++) {
      rig.runTo(rig.hpet.expiryOf(0));
      // The interrupt handler: check the status bit, count, acknowledge.
      expect(rig.readl(OFF.STATUS) & 1).toBe(1);
      handled.push(rig.clock.now());
      rig.writel(OFF.STATUS, 1);
      expect(rig.hpet.outputs[2].level).toBe(false);
    }
    expect(handled).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 1_000_000));
  });
});
