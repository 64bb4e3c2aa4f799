import { describe, expect, it } from 'vitest';
import { HpetCounter } from './counter';
import { U64, belowTwo52 } from './uint64';

const big = (v: U64): bigint => v.toBigInt();

describe('U64', () => {
  it('adds with a carry out of the low word and wraps at 2^64', () => {
    expect(big(new U64(0, 0xffff_ffff).add(new U64(0, 1)))).toBe(0x1_0000_0000n);
    expect(big(new U64(0xffff_ffff, 0xffff_ffff).add(new U64(0, 2)))).toBe(1n);
  });

  it('adds numbers up to 2^53 exactly', () => {
    const n = 2 ** 53 - 1;
    expect(big(new U64(1, 0xffff_fff0).addNumber(n))).toBe(0x1_ffff_fff0n + BigInt(n));
    expect(big(new U64(0xffff_ffff, 0xffff_ffff).addNumber(1))).toBe(0n);
  });

  it('subtracts with a borrow, modulo 2^64, and tells the sign bit', () => {
    const d = new U64().difference(new U64(1, 0), new U64(0, 1));
    expect(big(d)).toBe(0xffff_ffffn);
    const negative = new U64().difference(new U64(0, 5), new U64(0, 7));
    expect(big(negative)).toBe((1n << 64n) - 2n);
    expect(negative.negative).toBe(true);
    expect(d.negative).toBe(false);
  });

  it('converts to and from bigint, taking the low 64 bits of negative values', () => {
    expect(big(new U64().setBigInt(0x1234_5678_9abc_def0n))).toBe(0x1234_5678_9abc_def0n);
    expect(new U64().setBigInt(-1n)).toMatchObject({ hi: 0xffff_ffff, lo: 0xffff_ffff });
    expect(new U64().setBigInt(1n << 64n).isZero()).toBe(true);
  });

  it('reads and writes halves', () => {
    const v = new U64().setHalf(true, 0xdead_beef).setHalf(false, 0x1234);
    expect([v.half(true), v.half(false)]).toEqual([0xdead_beef, 0x1234]);
    expect(belowTwo52(new U64(0xf_ffff, 0))).toBe(true);
    expect(belowTwo52(new U64(0x10_0000, 0))).toBe(false);
  });
});

describe('HpetCounter', () => {
  const read = (c: HpetCounter, now: number): bigint => c.read(now, new U64()).toBigInt();

  it('counts one tick per 10 ns of virtual time from where it was started', () => {
    const c = new HpetCounter();
    c.start(1_000);
    expect(read(c, 1_000)).toBe(0n);
    expect(read(c, 1_009)).toBe(0n);
    expect(read(c, 1_010)).toBe(1n);
    expect(read(c, 1_000 + 10 * 123_456)).toBe(123_456n);
  });

  it('latches its value when stopped and resumes from it', () => {
    const c = new HpetCounter();
    c.start(0);
    c.stop(555);
    expect(read(c, 10_000)).toBe(55n);
    c.start(20_000);
    expect(read(c, 20_100)).toBe(65n);
  });

  it('takes writes to either half while halted and wraps at 2^64 while running', () => {
    const c = new HpetCounter();
    c.writeHalf(true, 0xffff_ffff);
    c.writeHalf(false, 0xffff_fffe);
    expect(read(c, 0)).toBe(0xffff_ffff_ffff_fffen);
    c.start(0);
    expect(read(c, 20)).toBe(0n);
    expect(read(c, 35)).toBe(1n);
  });

  it('gives the exact time the counter reaches a tick count, keeping the phase within the tick', () => {
    const c = new HpetCounter();
    c.start(3);
    // At 1005 ns the counter is 100, 2 ns into its tick (it moved at 1003 ns): 3 ticks later is 1033 ns.
    expect(c.deadlineAfter(1_005, 3)).toBe(1_033);
    expect(read(c, 1_033)).toBe(103n);
    expect(read(c, 1_032)).toBe(102n);
    expect(new HpetCounter().deadlineAfter(0, 1)).toBe(-1);
  });

  it("converts to QEMU's offset ((now + offset) / 10 is the counter) and back, keeping the phase", () => {
    const c = new HpetCounter();
    c.writeHalf(false, 5_000);
    c.start(1_234);
    const offset = c.offsetNs();
    // The definition of hpet_offset: counter = (virtual ns + offset) / 10.
    expect((2_000n + offset) / 10n).toBe(read(c, 2_000));
    const restored = new HpetCounter();
    restored.restoreFromOffset(2_000, offset);
    for (const now of [2_000, 2_003, 2_004, 2_013, 999_999]) expect(read(restored, now)).toBe(read(c, now));
  });
});
