import { describe, expect, it } from 'vitest';
import { Clock, CLOCK_PERIOD_1SEC, divScaled, mulShr32 } from './clock';

// Exact references in BigInt, written from QEMU's definitions:
//   CLOCK_PERIOD_FROM_HZ(hz) = (2^32 * 10^9) / hz; clock_ticks_to_ns = (ticks * period) >> 32;
//   clock_ns_to_ticks = (ns << 32) / period.
const ONE_SEC = (10n ** 9n) << 32n;
const refMulShr32 = (a: number, b: number) => Number((BigInt(a) * BigInt(b)) >> 32n);
const refDivScaled = (c: number, d: number) => Number((BigInt(c) << 32n) / BigInt(d));

/** Deterministic pseudo-random integers below 2^bits (xorshift), so failures reproduce. */
function randoms(count: number, bits: number, seed: number): number[] {
  let state = seed;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const hi = (state >>> 0) % 2 ** Math.max(0, bits - 32);
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out.push(bits > 32 ? hi * 2 ** 32 + (state >>> 0) : (state >>> 0) % 2 ** bits);
  }
  return out;
}

describe('exact period arithmetic', () => {
  it('mulShr32 matches (a * b) >> 32 whenever the result fits in 53 bits', () => {
    const as = randoms(300, 40, 1);
    const bs = randoms(300, 44, 2);
    for (let i = 0; i < as.length; i++) {
      if (refMulShr32(as[i], bs[i]) < Number.MAX_SAFE_INTEGER) {
        expect(mulShr32(as[i], bs[i])).toBe(refMulShr32(as[i], bs[i]));
      }
    }
    expect(mulShr32(2 ** 32 - 1, 2 ** 32 - 1)).toBe(refMulShr32(2 ** 32 - 1, 2 ** 32 - 1));
  });

  it('divScaled matches (c << 32) / d, including exact quotients', () => {
    const cs = randoms(300, 20, 3);
    const ds = randoms(300, 36, 4).map((d) => d + 1);
    for (let i = 0; i < cs.length; i++) expect(divScaled(cs[i], ds[i])).toBe(refDivScaled(cs[i], ds[i]));
    expect(divScaled(3, 3)).toBe(2 ** 32);
    // Here the double quotient rounds up to the next integer; the exact answer is one less.
    expect(Math.floor((3145730 * 2 ** 32) / 3)).toBe(4503602490682027);
    expect(divScaled(3145730, 3)).toBe(4503602490682026);
    expect(divScaled(1e9, 24_000_000)).toBe(Number(ONE_SEC / 24_000_000n));
  });
});

describe('Clock', () => {
  it('converts between hz, period and ns like QEMU', () => {
    const clock = new Clock('/machine/uart0', 'clk');
    expect(clock.enabled).toBe(false);
    expect(clock.hz).toBe(0);
    clock.setHz(24_000_000);
    expect(clock.period).toBe(Number(ONE_SEC / 24_000_000n));
    expect(clock.hz).toBe(24_000_000);
    expect(clock.periodNs).toBeCloseTo(41.6667, 4);
    clock.setHz(62_500_000);
    expect(clock.period).toBe(16 * 2 ** 32); // 16 ns exactly
    expect(clock.periodNs).toBe(16);
    clock.setPeriodNs(10);
    expect(clock.hz).toBe(100_000_000);
    clock.setPeriod(CLOCK_PERIOD_1SEC);
    expect(clock.hz).toBe(1);
    expect(clock.path).toBe('/machine/uart0/clk');
  });

  it('converts ticks and ns exactly, rounding down', () => {
    const clock = new Clock('/machine/hpet', 'clk');
    clock.setHz(24_000_000);
    for (const ticks of [0, 1, 3, 24_000_000, 1_234_567_891, 2 ** 40 + 12345]) {
      expect(clock.ticksToNs(ticks)).toBe(refMulShr32(ticks, clock.period));
    }
    for (const ns of [0, 41, 42, 1e9, 123_456_789_012, 2 ** 45 + 7]) {
      expect(clock.nsToTicks(ns)).toBe(refDivScaled(ns, clock.period));
    }
    clock.setHz(62_500_000);
    expect(clock.ticksToNs(62_500_000)).toBe(1e9);
    expect(clock.nsToTicks(1e9)).toBe(62_500_000);
    expect(clock.nsToTicks(15)).toBe(0);
  });

  it('is disabled at period 0: conversions give 0', () => {
    const clock = new Clock('/machine/dev', 'clk');
    clock.setHz(1000);
    clock.setHz(0);
    expect(clock.enabled).toBe(false);
    expect(clock.ticksToNs(100)).toBe(0);
    expect(clock.nsToTicks(100)).toBe(0);
  });

  it('propagates from source to sinks recursively and calls back only on real changes', () => {
    const root = new Clock('/machine', 'apb_pclk');
    const uart = new Clock('/machine/uart0', 'uartclk');
    const divided = new Clock('/machine/uart0', 'baud');
    const events: string[] = [];
    for (const c of [root, uart, divided]) c.onChange((clock) => events.push(`${clock.name}=${clock.hz}`));
    root.setHz(24_000_000);
    root.connectTo(uart);
    uart.connectTo(divided);
    expect(divided.hz).toBe(24_000_000);
    expect(events).toEqual(['apb_pclk=24000000', 'uartclk=24000000', 'baud=24000000']);
    events.length = 0;
    root.setHz(24_000_000);
    expect(events).toEqual([]);
    root.setHz(48_000_000);
    expect(events).toEqual(['apb_pclk=48000000', 'uartclk=48000000', 'baud=48000000']);
    expect(uart.describe()).toEqual({
      path: '/machine/uart0/uartclk',
      hz: 48_000_000,
      periodNs: Number(ONE_SEC / 48_000_000n) / 2 ** 32,
      source: '/machine/apb_pclk',
      sinks: ['/machine/uart0/baud'],
    });
  });

  it('does not call back when a new sink already has the source period', () => {
    const source = new Clock('/machine', 'src');
    const sink = new Clock('/machine/dev', 'clk');
    source.setHz(1000);
    sink.setHz(1000);
    let calls = 0;
    sink.onChange(() => calls++);
    source.connectTo(sink);
    expect(calls).toBe(0);
  });

  it('stops following after disconnect and keeps its period', () => {
    const source = new Clock('/machine', 'src');
    const sink = new Clock('/machine/dev', 'clk');
    source.connectTo(sink);
    source.setHz(1000);
    sink.disconnect();
    source.setHz(2000);
    expect(sink.hz).toBe(1000);
    expect(source.sinks).toEqual([]);
    sink.setHz(5);
    expect(sink.hz).toBe(5);
  });

  it('stops calling an unsubscribed listener', () => {
    const clock = new Clock('/machine', 'c');
    let calls = 0;
    const unsubscribe = clock.onChange(() => calls++);
    clock.setHz(1);
    unsubscribe();
    clock.setHz(2);
    expect(calls).toBe(1);
  });

  it('rejects wiring and value mistakes', () => {
    const a = new Clock('/machine', 'a');
    const b = new Clock('/machine', 'b');
    const c = new Clock('/machine', 'c');
    a.connectTo(b);
    b.connectTo(c);
    expect(() => c.connectTo(a)).toThrow('clock /machine/a cannot follow itself');
    expect(() => c.connectTo(b)).toThrow('clock /machine/b already follows /machine/a');
    expect(() => b.setHz(10)).toThrow('clock /machine/b follows /machine/a; set the source instead');
    expect(() => a.setHz(-1)).toThrow('clock /machine/a: invalid frequency -1 Hz');
    expect(() => a.setHz(1.5)).toThrow('clock /machine/a: invalid frequency 1.5 Hz');
    expect(() => a.setPeriod(Number.NaN)).toThrow('clock /machine/a: invalid period NaN');
  });
});
