import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from './timer';
import {
  FileSink,
  LineSink,
  TraceRegistry,
  TraceRing,
  formatTraceRecord,
  toChromeTrace,
  traceEvents,
  traceRegistry,
} from './trace';
import type { TraceRecord } from './trace';

/** A registry per test keeps rules from leaking between tests. */
function setup() {
  const registry = new TraceRegistry();
  const ring = new TraceRing(16);
  registry.addSink(ring);
  return { registry, ring };
}

describe('trace events', () => {
  it('are off by default and record nothing', () => {
    const { registry, ring } = setup();
    const trace = registry.declare('pl031', { read: { offset: 'u32', value: 'u32' }, alarm: {} });
    trace.read(0, 1);
    trace.alarm();
    expect(ring.size).toBe(0);
    expect(registry.list().map((e) => [e.name, e.enabled])).toEqual([
      ['pl031_alarm', false],
      ['pl031_read', false],
    ]);
  });

  it('records name, arguments in declaration order, and virtual time', () => {
    const { registry, ring } = setup();
    const clock = new VirtualClock({ mode: 'deterministic', startNs: 1500 });
    registry.attachClock(clock);
    const trace = registry.declare('pl031', { read: { offset: 'u32', value: 'u32' }, alarm: {} });
    registry.enable('pl031_*');
    trace.read(0x18, 7);
    clock.advance(500);
    trace.alarm();
    const [read, alarm] = ring.snapshot();
    expect(read.event.name).toBe('pl031_read');
    expect(read.values).toEqual([0x18, 7]);
    expect(read.ns).toBe(1500);
    expect(alarm.event.name).toBe('pl031_alarm');
    expect(alarm.ns).toBe(2000);
  });

  it('glob patterns apply in order, to events declared later too', () => {
    const { registry, ring } = setup();
    registry.configure('pl011_*,*_irq,-pl011_irq');
    const uart = registry.declare('pl011', { read: { offset: 'u32' }, irq: { level: 'bool' } });
    const gpio = registry.declare('pl061', { irq: { level: 'bool' }, read: { offset: 'u32' } });
    uart.read(4);
    uart.irq(true);
    gpio.irq(false);
    gpio.read(8);
    expect(ring.drain().map((r) => r.event.name)).toEqual(['pl011_read', 'pl061_irq']);
    expect(registry.patterns()).toEqual(['pl011_*', '*_irq', '-pl011_irq']);
    expect(registry.disable('pl0?1_read')).toBe(2);
    uart.read(4);
    expect(ring.size).toBe(0);
    expect(registry.isEnabled('pl061_irq')).toBe(true);
  });

  it('escapes regex characters in patterns', () => {
    const { registry } = setup();
    registry.declare('a', { b: {}, xb: {} });
    registry.enable('a.b');
    expect(registry.isEnabled('a_b')).toBe(false);
    registry.enable('a?b');
    expect(registry.isEnabled('a_b')).toBe(true);
  });

  it('refuses a second declaration with different arguments, and shares an identical one', () => {
    const { registry, ring } = setup();
    const first = registry.declare('dev', { ev: { a: 'u32' } });
    const again = registry.declare('dev', { ev: { a: 'u32' } });
    registry.enable('dev_ev');
    first.ev(1);
    again.ev(2);
    expect(ring.snapshot().map((r) => r.values[0])).toEqual([1, 2]);
    expect(() => registry.declare('dev', { ev: { a: 'u64' } })).toThrow(/declared twice/);
  });

  it('handles more arguments than the fixed-arity fast paths', () => {
    const { registry, ring } = setup();
    const trace = registry.declare('many', { ev: { a: 'u8', b: 'u8', c: 'u8', d: 'u8', e: 'u8', f: 'u8' } });
    trace.ev(1, 2, 3, 4, 5, 6);
    registry.enable('many_ev');
    trace.ev(1, 2, 3, 4, 5, 6);
    expect(ring.drain().map((r) => r.values)).toEqual([[1, 2, 3, 4, 5, 6]]);
  });

  it('checks argument count and kinds at compile time', () => {
    const { registry } = setup();
    const trace = registry.declare('t', { two: { offset: 'u32', value: 'u64' }, none: {}, text: { s: 'str' } });
    trace.two(1, 2n);
    // @ts-expect-error: missing argument
    trace.two(1);
    // @ts-expect-error: too many arguments
    trace.none(1);
    // @ts-expect-error: a string where a number is declared
    trace.two('x', 1);
    // @ts-expect-error: a number where a string is declared
    trace.text(1);
    // @ts-expect-error: no such event
    expect(() => trace.missing()).toThrow(TypeError);
    expect(Object.keys(trace)).toEqual(['two', 'none', 'text']);
  });

  it('the worker registry is what traceEvents declares into', () => {
    traceEvents('tracetest', { ping: {} });
    expect(traceRegistry.list().some((e) => e.name === 'tracetest_ping')).toBe(true);
  });
});

describe('sinks', () => {
  const record = (): TraceRecord => {
    const registry = new TraceRegistry();
    const ring = new TraceRing(1);
    registry.addSink(ring);
    registry.attachClock(new VirtualClock({ mode: 'deterministic', startNs: 2_000 }));
    const trace = registry.declare('pl031', {
      read: { offset: 'u32', value: 'u32', delta: 'i32', big: 'u64', on: 'bool', who: 'str' },
    });
    registry.enable('*');
    trace.read(0, 1, -5, 0x1_0000_0000n, true, 'cpu0');
    return ring.drain()[0];
  };

  it('formats lines in QEMU style: unsigned in hex, signed in decimal', () => {
    expect(formatTraceRecord(record())).toBe(
      'pl031_read offset=0x0 value=0x1 delta=-5 big=0x100000000 on=true who="cpu0"',
    );
  });

  it('the ring keeps the newest records and counts the dropped ones', () => {
    const { registry, ring } = setup();
    const trace = registry.declare('r', { ev: { n: 'u32' } });
    registry.enable('r_ev');
    for (let n = 0; n < 20; n++) trace.ev(n);
    expect(ring.size).toBe(16);
    expect(ring.dropped).toBe(4);
    expect(ring.snapshot().map((r) => r.values[0])).toEqual(Array.from({ length: 16 }, (_, i) => i + 4));
    expect(ring.snapshot().length).toBe(16); // snapshot leaves records in place
    expect(ring.drain().length).toBe(16);
    expect(ring.size).toBe(0);
    trace.ev(99);
    expect(ring.snapshot().map((r) => r.values[0])).toEqual([99]);
  });

  it('a line sink writes one line per record; removing it stops the output', () => {
    const { registry } = setup();
    const lines: string[] = [];
    const sink = new LineSink((line) => lines.push(line));
    registry.addSink(sink);
    const trace = registry.declare('l', { ev: { v: 'u32' } });
    registry.enable('l_*');
    trace.ev(255);
    registry.removeSink(sink);
    trace.ev(1);
    expect(lines).toEqual(['l_ev v=0xff\n']);
  });

  describe('file sink', () => {
    let dir = '';
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('appends timestamped lines', () => {
      dir = mkdtempSync(join(tmpdir(), 'trace-'));
      const path = join(dir, 'trace.log');
      const { registry } = setup();
      registry.attachClock(new VirtualClock({ mode: 'deterministic', startNs: 77 }));
      const sink = new FileSink(path);
      registry.addSink(sink);
      const trace = registry.declare('f', { ev: { v: 'u32' } });
      registry.enable('f_ev');
      trace.ev(1);
      trace.ev(2);
      sink.close();
      trace.ev(3); // after close: ignored, not a crash
      expect(readFileSync(path, 'utf8')).toBe('77 f_ev v=0x1\n77 f_ev v=0x2\n');
    });
  });

  it('exports Chrome trace JSON with microsecond timestamps', () => {
    const json = toChromeTrace([record()]);
    expect(json.displayTimeUnit).toBe('ns');
    expect(json.traceEvents).toEqual([
      {
        name: 'pl031_read',
        cat: 'pl031',
        ph: 'i',
        s: 't',
        ts: 2,
        pid: 1,
        tid: 1,
        args: { offset: 0, value: 1, delta: -5, big: '0x100000000', on: true, who: 'cpu0' },
      },
    ]);
    expect(() => JSON.stringify(json)).not.toThrow();
  });
});
