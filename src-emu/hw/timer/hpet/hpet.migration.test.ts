import { afterEach, describe, expect, it } from 'vitest';
import { logger } from '../../../core/log';
import { VirtualClock } from '../../../core/timer';
import {
  clockEntry,
  decodeMachine,
  describe as describeState,
  entry,
  loadMachine,
  saveMachine,
  u32,
  vmstate,
  VMStateError,
} from '../../../core/vmstate';
import { BIT, createRig, OFF } from './hpet-test-rig';
import type { Rig } from './hpet-test-rig';
import { hpetDescription, HpetSection } from './migration';
import { decodeOffset, hpetRegionSize } from './registers';

afterEach(() => {
  logger.setSink(null);
  logger.setMasks([]);
});

function entries(rig: Rig) {
  return [clockEntry(rig.clock), rig.hpet.vmstateEntry()];
}

/** Every readable register, as a guest would dump them (reads have no side effects on the HPET). */
function dump(rig: Rig): number[] {
  const values: number[] = [];
  for (let offset = 0; offset < hpetRegionSize(rig.hpet.numTimers); offset += 4) {
    if (decodeOffset(offset, rig.hpet.numTimers).kind !== 'unknown') values.push(rig.readl(offset));
  }
  return values;
}

function counter(rig: Rig): bigint {
  const [lo, hi] = rig.readq(OFF.COUNTER);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

const route = (output: number) => output << BIT.TN_ROUTE_SHIFT;

function writeComparator(rig: Rig, n: number, value: number): void {
  rig.writeq(OFF.tnCmp(n), value >>> 0, Math.floor(value / 2 ** 32));
}

const COUNTER_START = 0xffff_f000;

/**
 * Three timers armed in the three modes: 0 one-shot 64-bit, 1 periodic 64-bit, 2 one-shot 32-bit that
 * fires at the counter's 32-bit wrap and then at its match. The counter started mid-tick (phase 3).
 */
function armedRig(): Rig {
  const rig = createRig();
  rig.writel(OFF.COUNTER, COUNTER_START);
  rig.writel(OFF.tnCfg(0), BIT.TN_ENABLE | route(2));
  writeComparator(rig, 0, COUNTER_START + 50_000);
  rig.writel(OFF.tnCfg(1), BIT.TN_ENABLE | BIT.TN_PERIODIC | BIT.TN_SETVAL | route(3));
  writeComparator(rig, 1, COUNTER_START + 1_000);
  writeComparator(rig, 1, 7_000);
  rig.writel(OFF.tnCfg(2), BIT.TN_ENABLE | BIT.TN_32BIT | route(4));
  rig.writel(OFF.tnCmp(2), 0x100);
  rig.runTo(1_003);
  rig.writel(OFF.CFG, BIT.CFG_ENABLE);
  rig.runTo(20_005);
  return rig;
}

/** Records rising edges per output after `from` ns. */
function risesAfter(rig: Rig, from: number): string[] {
  return rig.irqs.filter((e) => e.level && e.ns > from).map((e) => `${e.output}@${e.ns}`);
}

describe('HPET migration', () => {
  it("describes QEMU's 'hpet' v2 layout: config, isr, counter, num_timers, hpet_timer[] and two subsections", () => {
    const desc = hpetDescription(3);
    expect([desc.name, desc.version]).toEqual(['hpet', 2]);
    expect(desc.subsections.map((s) => s.name)).toEqual(['hpet/rtc_irq_level', 'hpet/offset']);
    const rig = createRig();
    const view = describeState(desc, new HpetSection(rig.hpet));
    expect(view.map((f) => [f.name, f.type])).toEqual([
      ['config', 'u64'],
      ['isr', 'u64'],
      ['counter', 'u64'],
      ['numTimers', 'u8'],
      ['timers', 'struct hpet_timer[3]'],
    ]);
    expect(view[4].children?.[0].children?.map((f) => [f.name, f.type])).toEqual([
      ['index', 'u8'],
      ['config', 'u64'],
      ['cmp', 'u64'],
      ['fsb', 'u64'],
      ['period', 'u64'],
      ['wrapFlag', 'u8'],
      ['expiry', 'timer'],
    ]);
    // Timer n's config carries INT_ROUTE_CAP in its high word, as QEMU's 64-bit config field does.
    expect(view[4].children?.[1].children?.[1].value).toBe(String(0xffff_ffff_0000_0030n));
  });

  it('restores armed timers into a fresh device on a fresh clock: same deadlines, same counter, same interrupts', () => {
    const a = armedRig();
    const savedAt = a.clock.now();
    const before = dump(a);
    const bytes = saveMachine(entries(a));

    const b = createRig({ clock: new VirtualClock({ mode: 'deterministic' }) });
    loadMachine(bytes, entries(b));
    expect(b.clock.now()).toBe(savedAt);
    expect(dump(b)).toEqual(before);
    for (let n = 0; n < 3; n++) {
      expect(a.hpet.expiryOf(n)).toBeGreaterThan(savedAt);
      expect(b.hpet.expiryOf(n)).toBe(a.hpet.expiryOf(n));
    }

    for (const t of [savedAt, savedAt + 4, savedAt + 5, savedAt + 12_345, 100_003]) {
      a.runTo(t);
      b.runTo(t);
      expect(counter(b)).toBe(counter(a));
    }
    a.runTo(700_000);
    b.runTo(700_000);
    const expected = risesAfter(a, savedAt);
    // Timer 2's wrap (0xffff_f000 + 0x1000 ticks) and match, timer 0's 64-bit match, timer 1 every 7000.
    expect(expected.filter((e) => e.startsWith('4@'))).toEqual([
      `4@${1_003 + 0x1000 * 10}`,
      `4@${1_003 + 0x1100 * 10}`,
    ]);
    expect(expected.filter((e) => e.startsWith('2@'))).toEqual([`2@${1_003 + 50_000 * 10}`]);
    expect(expected.filter((e) => e.startsWith('3@'))).toEqual(
      Array.from({ length: 9 }, (_, i) => `3@${1_003 + (1_000 + 7_000 * (i + 1)) * 10}`),
    );
    expect(risesAfter(b, savedAt)).toEqual(expected);
  });

  it('restores an asserted level interrupt and the legacy RTC input level', () => {
    const a = createRig();
    a.writel(OFF.tnCfg(1), BIT.TN_ENABLE | BIT.TN_LEVEL | route(5));
    writeComparator(a, 1, 10);
    a.writel(OFF.CFG, BIT.CFG_ENABLE);
    a.runTo(200);
    a.hpet.legacyInputs.line(1).setLevel(true);
    const bytes = saveMachine([a.hpet.vmstateEntry()]);

    const b = createRig({ clock: new VirtualClock({ mode: 'deterministic', startNs: 200 }) });
    loadMachine(bytes, [b.hpet.vmstateEntry()]);
    expect(b.readl(OFF.STATUS)).toBe(0b10);
    expect(b.irqs).toEqual([
      { ns: 200, output: 5, level: true },
      { ns: 200, output: 8, level: true },
    ]);
    expect(b.hpet.rtcIrqLevel).toBe(1);
    b.writel(OFF.STATUS, 0b10);
    expect(b.hpet.outputs[5].level).toBe(false);
  });

  it('sends hpet/offset only while enabled and hpet/rtc_irq_level only while the RTC input is high', () => {
    const subsections = (rig: Rig): string[] => {
      const [hpet] = decodeMachine(saveMachine([rig.hpet.vmstateEntry()]), [rig.hpet.vmstateEntry()]);
      return [...hpet.values.subsections.keys()];
    };
    const rig = createRig();
    expect(subsections(rig)).toEqual([]);
    rig.writel(OFF.CFG, BIT.CFG_ENABLE);
    expect(subsections(rig)).toEqual(['hpet/offset']);
    rig.hpet.legacyInputs.line(1).setLevel(true);
    expect(subsections(rig)).toEqual(['hpet/rtc_irq_level', 'hpet/offset']);
    const legacyOff = createRig({ props: { hpetOffsetSaved: false } });
    legacyOff.writel(OFF.CFG, BIT.CFG_ENABLE);
    expect(subsections(legacyOff)).toEqual([]);
  });

  it('restores a halted counter and a running one saved without its offset', () => {
    const halted = createRig();
    halted.writeq(OFF.COUNTER, 0x1234, 0x5);
    const h2 = createRig({ clock: new VirtualClock({ mode: 'deterministic' }) });
    loadMachine(saveMachine(entries(halted)), entries(h2));
    h2.runTo(1_000_000);
    expect(counter(h2)).toBe(0x5_0000_1234n);

    const running = createRig({ props: { hpetOffsetSaved: false } });
    running.writel(OFF.CFG, BIT.CFG_ENABLE);
    running.runTo(1_000);
    const r2 = createRig({ props: { hpetOffsetSaved: false }, clock: new VirtualClock({ mode: 'deterministic' }) });
    loadMachine(saveMachine(entries(running)), entries(r2));
    r2.runTo(1_500);
    expect(counter(r2)).toBe(150n);
  });

  it('is put back as it was when a later section of the same load fails', () => {
    const refusing = vmstate<{ x: number }>('refusing', {
      version: 1,
      fields: [u32('x')],
      postLoad: () => 'refused',
    });
    const a = armedRig();
    const bytes = saveMachine([a.hpet.vmstateEntry(), entry(refusing, { x: 1 })]);

    const b = createRig({ startNs: 20_005 });
    b.writel(OFF.tnCfg(2), BIT.TN_ENABLE | BIT.TN_LEVEL | route(7));
    writeComparator(b, 2, 30);
    b.writel(OFF.CFG, BIT.CFG_ENABLE);
    b.runTo(20_500);
    const before = dump(b);
    const expiries = [0, 1, 2].map((n) => b.hpet.expiryOf(n));
    expect(() => loadMachine(bytes, [b.hpet.vmstateEntry(), entry(refusing, { x: 0 })])).toThrow(/refused/);
    expect(dump(b)).toEqual(before);
    expect([0, 1, 2].map((n) => b.hpet.expiryOf(n))).toEqual(expiries);
    expect(b.hpet.outputs[7].level).toBe(true);
    // Still counting from its own start at 20,005 ns, phase included: 20,995 ns is tick 99, 20,994 is 98.
    b.runTo(20_994);
    expect(counter(b)).toBe(98n);
    b.runTo(20_995);
    expect(counter(b)).toBe(99n);
  });

  it.each([
    [3, 4],
    [4, 3],
  ])('refuses a stream of %i timers into a device of %i, leaving the device untouched', (from, to) => {
    const a = createRig({ props: { timers: from } });
    a.writel(OFF.tnCfg(0), BIT.TN_ENABLE);
    a.writeq(OFF.tnCmp(0), 1_000, 0);
    a.writel(OFF.CFG, BIT.CFG_ENABLE);
    const bytes = saveMachine(entries(a));

    const b = createRig({ props: { timers: to } });
    b.writel(OFF.tnCfg(1), BIT.TN_ENABLE | BIT.TN_LEVEL);
    b.writeq(OFF.tnCmp(1), 77, 0);
    b.writel(OFF.CFG, BIT.CFG_ENABLE);
    b.runTo(300);
    const before = dump(b);
    const expiry = b.hpet.expiryOf(1);
    // The timer array's length comes from the stream's num_timers, so the refusal names both counts.
    expect(() => loadMachine(bytes, entries(b))).toThrow(VMStateError);
    expect(() => loadMachine(bytes, entries(b))).toThrow(
      `section 'hpet' instance 0: the stream has ${from} timers, this HPET has ${to}`,
    );
    expect(dump(b)).toEqual(before);
    expect(b.hpet.expiryOf(1)).toBe(expiry);
    expect(b.clock.now()).toBe(300);
  });
});
