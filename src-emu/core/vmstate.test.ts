import { describe as group, expect, it } from 'vitest';
import { Timer, VirtualClock } from './timer';
import {
  VMStateError,
  arrayOf,
  bool,
  buffer,
  clockEntry,
  decodeMachine,
  describe,
  describeDecoded,
  diffStates,
  entry,
  f64,
  i16,
  i32,
  i64,
  i64num,
  i8,
  loadMachine,
  saveMachine,
  struct,
  structArray,
  subsection,
  timer,
  u16,
  u32,
  u64,
  u8,
  unused,
  varArrayOf,
  vmstate,
} from './vmstate';
import type { SectionEntry } from './vmstate';

interface Channel {
  level: number;
  enabled: boolean;
}
const CHANNEL = vmstate<Channel>('channel', { version: 1, fields: [u8('level'), bool('enabled')] });

/** A device-like object holding one field of every wire type. */
class Everything {
  a8 = 0;
  a16 = 0;
  a32 = 0;
  a64 = 0n;
  s8 = 0;
  s16 = 0;
  s32 = 0;
  s64 = 0n;
  ns = 0;
  real = 0;
  on = false;
  regs = new Uint32Array(3);
  words: number[] = [0, 0];
  big = new BigUint64Array(2);
  count = 0;
  fifo = new Uint8Array(8);
  channel: Channel = { level: 0, enabled: false };
  channels: Channel[] = [
    { level: 0, enabled: false },
    { level: 0, enabled: false },
  ];
  blob = new Uint8Array(5);
  readonly alarm: Timer;
  constructor(readonly clock: VirtualClock) {
    this.alarm = new Timer(clock, () => {});
  }
}

const EVERYTHING = vmstate<Everything>('everything', {
  version: 1,
  fields: [
    u8('a8'),
    u16('a16'),
    u32('a32'),
    u64('a64'),
    i8('s8'),
    i16('s16'),
    i32('s32'),
    i64('s64'),
    i64num('ns'),
    f64('real'),
    bool('on'),
    arrayOf('regs', 'u32', 3),
    arrayOf('words', 'i16', 2),
    arrayOf('big', 'u64', 2),
    u32('count'),
    varArrayOf('fifo', 'u8', 'count'),
    struct('channel', CHANNEL),
    structArray('channels', CHANNEL, 2),
    buffer('blob', 5),
    unused(3),
    timer('alarm'),
  ],
});

function filled(clock: VirtualClock): Everything {
  const s = new Everything(clock);
  Object.assign(s, {
    a8: 0xfe,
    a16: 0xbeef,
    a32: 0xdeadbeef,
    a64: 0xfedcba9876543210n,
    s8: -2,
    s16: -300,
    s32: -70000,
    s64: -(2n ** 62n),
    ns: -(2 ** 52) + 7,
    real: -1.25e-300,
    on: true,
    words: [-1, 1234],
    count: 3,
  });
  s.regs.set([1, 0x80000000, 0xffffffff]);
  s.big.set([1n, 2n ** 64n - 1n]);
  s.fifo.set([9, 8, 7, 6]);
  s.channel = { level: 200, enabled: true };
  s.channels[1].level = 17;
  s.blob.set([1, 2, 3, 4, 5]);
  s.alarm.modNs(123_456_789);
  return s;
}

const fresh = () => new VirtualClock({ mode: 'deterministic' });

group('round trips', () => {
  it('restores every wire type exactly', () => {
    const source = filled(fresh());
    const bytes = saveMachine([entry(EVERYTHING, source)]);
    const target = new Everything(fresh());
    loadMachine(bytes, [entry(EVERYTHING, target)]);
    expect(target.a8).toBe(0xfe);
    expect(target.a16).toBe(0xbeef);
    expect(target.a32).toBe(0xdeadbeef);
    expect(target.a64).toBe(0xfedcba9876543210n);
    expect([target.s8, target.s16, target.s32]).toEqual([-2, -300, -70000]);
    expect(target.s64).toBe(-(2n ** 62n));
    expect(target.ns).toBe(-(2 ** 52) + 7);
    expect(target.real).toBe(-1.25e-300);
    expect(target.on).toBe(true);
    expect([...target.regs]).toEqual([1, 0x80000000, 0xffffffff]);
    expect(target.words).toEqual([-1, 1234]);
    expect([...target.big]).toEqual([1n, 2n ** 64n - 1n]);
    // Only `count` elements travel; the rest of the typed array keeps its own contents.
    expect([...target.fifo]).toEqual([9, 8, 7, 0, 0, 0, 0, 0]);
    expect(target.channel).toEqual({ level: 200, enabled: true });
    expect(target.channels).toEqual([
      { level: 0, enabled: false },
      { level: 17, enabled: false },
    ]);
    expect([...target.blob]).toEqual([1, 2, 3, 4, 5]);
    expect(target.alarm.expiresAt).toBe(123_456_789);
    expect(target.alarm.pending).toBe(true);
    // The view shows what migrates: the first `count` fifo bytes, equal on both sides.
    expect(diffStates(describe(EVERYTHING, source), describe(EVERYTHING, target))).toEqual([]);
  });

  it('keeps typed arrays in place (other code may hold references to them)', () => {
    const target = new Everything(fresh());
    const regs = target.regs;
    loadMachine(saveMachine([entry(EVERYTHING, filled(fresh()))]), [entry(EVERYTHING, target)]);
    expect(target.regs).toBe(regs);
    expect(regs[1]).toBe(0x80000000);
  });

  it('encodes big-endian in the section layout QEMU uses', () => {
    interface Rtc {
      tick: number;
      mr: number;
      keep: boolean;
    }
    const RTC = vmstate<Rtc>('rtc', {
      version: 1,
      fields: [u32('tick'), u16('mr')],
      subsections: [subsection('rtc/keep', (s) => s.keep, [u32('tick')])],
    });
    const bytes = saveMachine([entry(RTC, { tick: 0x01020304, mr: 0xa0b, keep: true }, 2)]);
    // prettier-ignore
    const expected = [
      0x4f, 0x52, 0x56, 0x4d, 0, 0, 0, 1,        // magic 'ORVM', format 1
      0x04, 0, 0, 0, 1,                          // full section, section id 1
      3, 0x72, 0x74, 0x63,                       // "rtc"
      0, 0, 0, 2, 0, 0, 0, 1,                    // instance 2, version 1
      1, 2, 3, 4, 0x0a, 0x0b,                    // tick, mr
      0x05, 8, ...'rtc/keep'.split('').map((c) => c.charCodeAt(0)), 0, 0, 0, 1, // subsection v1
      1, 2, 3, 4,                                // tick again
      0x7e, 0, 0, 0, 1,                          // footer
      0x1f,                                      // end of stream
    ];
    expect([...bytes]).toEqual(expected);
  });

  it('saves and restores the virtual clock', () => {
    const clock = fresh();
    clock.advanceTo(5_000_000_000);
    const bytes = saveMachine([clockEntry(clock)]);
    const other = fresh();
    loadMachine(bytes, [clockEntry(other)]);
    expect(other.now()).toBe(5_000_000_000);
  });

  it('an unarmed timer stays unarmed and an armed target timer is disarmed', () => {
    const source = new Everything(fresh());
    const target = filled(fresh());
    loadMachine(saveMachine([entry(EVERYTHING, source)]), [entry(EVERYTHING, target)]);
    expect(target.alarm.pending).toBe(false);
    expect(target.alarm.expiresAt).toBe(-1);
  });

  it('distinguishes instances of one description', () => {
    const a = { value: 1 };
    const b = { value: 2 };
    const DESC = vmstate<{ value: number }>('dev', { version: 1, fields: [u32('value')] });
    const bytes = saveMachine([entry(DESC, a, 0), entry(DESC, b, 1)]);
    const a2 = { value: 0 };
    const b2 = { value: 0 };
    loadMachine(bytes, [entry(DESC, b2, 1), entry(DESC, a2, 0)]);
    expect([a2.value, b2.value]).toEqual([1, 2]);
  });

  it('refuses to save a value that does not fit its wire type', () => {
    const DESC = vmstate<{ value: number }>('dev', { version: 1, fields: [u8('value')] });
    expect(() => saveMachine([entry(DESC, { value: 256 })])).toThrow(/'dev'.*'value' holds 256.*u8/);
    expect(() => saveMachine([entry(DESC, { value: 1.5 })])).toThrow(VMStateError);
  });
});

interface Versioned {
  a: number;
  b: number;
  c: number;
}
const V1 = vmstate<Versioned>('versioned', { version: 1, fields: [u32('a')] });
const V2 = vmstate<Versioned>('versioned', {
  version: 2,
  minimumVersion: 1,
  fields: [u32('a'), u32('b', { since: 2 })],
});
const V3_MIN2 = vmstate<Versioned>('versioned', {
  version: 3,
  minimumVersion: 2,
  fields: [u32('a'), u32('b', { since: 2 }), u32('c', { since: 3 })],
});

group('versions', () => {
  it('a field newer than the stream is left as it is', () => {
    const target = { a: 0, b: 99, c: 0 };
    loadMachine(saveMachine([entry(V1, { a: 5, b: 6, c: 7 })]), [entry(V2, target)]);
    expect(target).toEqual({ a: 5, b: 99, c: 0 });
  });

  it('a field present in the stream version is loaded', () => {
    const target = { a: 0, b: 0, c: 42 };
    loadMachine(saveMachine([entry(V2, { a: 5, b: 6, c: 7 })]), [entry(V3_MIN2, target)]);
    expect(target).toEqual({ a: 5, b: 6, c: 42 });
  });

  it('rejects a newer version and one older than minimumVersion, naming the section', () => {
    const target = { a: 1, b: 2, c: 3 };
    const newer = saveMachine([entry(V3_MIN2, { a: 5, b: 6, c: 7 })]);
    expect(() => loadMachine(newer, [entry(V2, target)])).toThrow(
      /section 'versioned' instance 0: section: stream version 3 is newer than supported version 2/,
    );
    const older = saveMachine([entry(V1, { a: 5, b: 6, c: 7 })]);
    expect(() => loadMachine(older, [entry(V3_MIN2, target)])).toThrow(/version 1 is older than minimum version 2/);
    expect(target).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('refuses inconsistent descriptions when they are declared', () => {
    expect(() => vmstate<Versioned>('x', { version: 1, fields: [u32('a', { since: 2 })] })).toThrow(/since 2/);
    expect(() => vmstate<Versioned>('x', { version: 1, minimumVersion: 2, fields: [] })).toThrow(/minimumVersion/);
    expect(() =>
      vmstate<Versioned>('x', { version: 1, fields: [], subsections: [subsection('y/z', () => true, [])] }),
    ).toThrow(/must be named 'x\/\.\.\.'/);
  });
});

interface WithSub {
  main: number;
  extra: number;
  sendExtra: boolean;
  extraLoaded: boolean;
}
const WITH_SUB = vmstate<WithSub>('dev', {
  version: 1,
  fields: [u32('main')],
  subsections: [
    subsection('dev/extra', (s) => s.sendExtra, [u32('extra')], {
      postLoad: (s) => {
        s.extraLoaded = true;
      },
    }),
  ],
  preLoad: (s) => {
    s.extraLoaded = false;
  },
});

group('subsections', () => {
  it('are written only when needed and loaded when present', () => {
    const withExtra = saveMachine([entry(WITH_SUB, { main: 1, extra: 2, sendExtra: true, extraLoaded: false })]);
    const without = saveMachine([entry(WITH_SUB, { main: 1, extra: 2, sendExtra: false, extraLoaded: false })]);
    // mark + name length + "dev/extra" + version + one u32
    expect(withExtra.length - without.length).toBe(1 + 1 + 9 + 4 + 4);
    const target = { main: 0, extra: 0, sendExtra: true, extraLoaded: false };
    loadMachine(withExtra, [entry(WITH_SUB, target)]);
    expect(target).toEqual({ main: 1, extra: 2, sendExtra: true, extraLoaded: true });
  });

  it('a missing subsection is accepted and leaves its fields alone', () => {
    const without = saveMachine([entry(WITH_SUB, { main: 7, extra: 2, sendExtra: false, extraLoaded: false })]);
    const target = { main: 0, extra: 55, sendExtra: true, extraLoaded: true };
    loadMachine(without, [entry(WITH_SUB, target)]);
    expect(target).toEqual({ main: 7, extra: 55, sendExtra: true, extraLoaded: false });
  });

  it('an unknown subsection is rejected', () => {
    const OTHER = vmstate<WithSub>('dev', {
      version: 1,
      fields: [u32('main')],
      subsections: [subsection('dev/other', () => true, [u32('extra')])],
    });
    const bytes = saveMachine([entry(OTHER, { main: 1, extra: 2, sendExtra: true, extraLoaded: false })]);
    const target = { main: 0, extra: 0, sendExtra: true, extraLoaded: false };
    expect(() => loadMachine(bytes, [entry(WITH_SUB, target)])).toThrow(
      /'dev' instance 0: unknown subsection 'dev\/other'/,
    );
    expect(target.main).toBe(0);
  });
});

/** Two devices, so that a failure in the second must also leave the first untouched. */
interface Pair {
  first: Everything;
  second: { value: number; flag: boolean };
}
const SECOND = vmstate<{ value: number; flag: boolean }>('second', {
  version: 1,
  fields: [u32('value'), bool('flag')],
  validate: (loaded) => (loaded.value === 13 ? 'value 13 is unlucky' : undefined),
  postLoad: (s) => (s.value === 7 ? 'value 7 cannot be applied' : undefined),
});

function pairEntries(pair: Pair): SectionEntry[] {
  return [entry(EVERYTHING, pair.first), entry(SECOND, pair.second)];
}
function streamOf(value: number): Uint8Array {
  return saveMachine(pairEntries({ first: filled(fresh()), second: { value, flag: true } }));
}
/** Loads into a fresh pair, expects the error, and checks that nothing changed. */
function expectRejected(bytes: Uint8Array, message: RegExp, entries = pairEntries) {
  const pair: Pair = { first: new Everything(fresh()), second: { value: 1, flag: false } };
  pair.first.alarm.modNs(42);
  const before = [describe(EVERYTHING, pair.first), describe(SECOND, pair.second)];
  expect(() => loadMachine(bytes, entries(pair))).toThrow(message);
  expect(diffStates(describe(EVERYTHING, pair.first), before[0])).toEqual([]);
  expect(diffStates(describe(SECOND, pair.second), before[1])).toEqual([]);
  expect(pair.first.alarm.expiresAt).toBe(42);
}

group('rejections leave every object unchanged', () => {
  it('accepts the good stream (control)', () => {
    const pair: Pair = { first: new Everything(fresh()), second: { value: 1, flag: false } };
    loadMachine(streamOf(5), pairEntries(pair));
    expect(pair.second).toEqual({ value: 5, flag: true });
    expect(pair.first.a32).toBe(0xdeadbeef);
  });

  it('unknown section', () => {
    const DESC = vmstate<{ value: number }>('stranger', { version: 1, fields: [u32('value')] });
    const bytes = saveMachine([
      ...pairEntries({ first: filled(fresh()), second: { value: 5, flag: true } }),
      entry(DESC, { value: 1 }),
    ]);
    expectRejected(bytes, /section 'stranger' instance 0: unknown section/);
  });

  it('a section missing from the stream', () => {
    const bytes = saveMachine([entry(EVERYTHING, filled(fresh()))]);
    expectRejected(bytes, /section 'second' instance 0 is missing/);
  });

  it('every truncation point', () => {
    const bytes = streamOf(5);
    for (let length = 0; length < bytes.length; length++) {
      expectRejected(bytes.subarray(0, length), /truncated|not a VMState|does not end|no end marker/);
    }
  });

  it('a truncated field is named', () => {
    const bytes = streamOf(5);
    // Cut inside the second section's 'value' field: the stream ends 12 bytes after its start.
    const cut = bytes.length - 1 - 5 - 1 - 2;
    expectRejected(bytes.subarray(0, cut), /section 'second' instance 0: field 'value': truncated/);
  });

  it('trailing garbage', () => {
    const bytes = streamOf(5);
    expectRejected(new Uint8Array([...bytes, 0]), /1 byte\(s\) of trailing garbage/);
  });

  it('a bad bool byte', () => {
    const bytes = streamOf(5);
    const flagAt = bytes.length - 1 - 5 - 1; // EOF, footer(5), then the bool
    bytes[flagAt] = 2;
    expectRejected(bytes, /section 'second' instance 0: field 'flag': bool byte 2/);
  });

  it('a failed validate', () => {
    expectRejected(streamOf(13), /section 'second' instance 0: value 13 is unlucky/);
  });

  it('a failed postLoad undoes the sections already applied', () => {
    expectRejected(streamOf(7), /section 'second' instance 0: postLoad failed: value 7 cannot be applied/);
  });

  it('a stream whose fields run past the description', () => {
    const LONGER = vmstate<{ value: number; flag: boolean }>('second', {
      version: 1,
      fields: [u32('value'), bool('flag'), u8('value')],
    });
    const bytes = saveMachine([entry(EVERYTHING, filled(fresh())), entry(LONGER, { value: 5, flag: true })]);
    expectRejected(bytes, /section 'second' instance 0: fields do not end where the description ends/);
  });

  it('a varray longer than its typed array', () => {
    const source = filled(fresh());
    source.count = 8;
    const bytes = saveMachine(pairEntries({ first: source, second: { value: 5, flag: true } }));
    const small = (pair: Pair) => {
      pair.first.fifo = new Uint8Array(4);
      return pairEntries(pair);
    };
    expectRejected(bytes, /'everything' instance 0: fifo: 8 elements do not fit in 4/, small);
  });

  it('a value beyond 2^53 in an i64num field', () => {
    const BIG = vmstate<{ v: bigint }>('second', { version: 1, fields: [i64('v')] });
    const bytes = saveMachine([entry(EVERYTHING, filled(fresh())), entry(BIG, { v: 2n ** 60n })]);
    const NUM = vmstate<{ value: number; flag: boolean }>('second', { version: 1, fields: [i64num('value')] });
    expectRejected(bytes, /field 'value': value beyond 2\^53/, (pair) => [
      entry(EVERYTHING, pair.first),
      entry(NUM, pair.second),
    ]);
  });

  it('not a stream at all', () => {
    expectRejected(new TextEncoder().encode('hello world'), /not a VMState stream/);
  });
});

group('inspector view and diff', () => {
  it('describes fields with types and JSON-safe values', () => {
    const view = describe(EVERYTHING, filled(fresh()));
    const byName = new Map(view.map((v) => [v.name, v]));
    expect(byName.get('a32')).toEqual({ name: 'a32', type: 'u32', value: 0xdeadbeef });
    expect(byName.get('a64')).toEqual({ name: 'a64', type: 'u64', value: '18364758544493064720' });
    expect(byName.get('regs')).toEqual({ name: 'regs', type: 'u32[3]', value: [1, 0x80000000, 0xffffffff] });
    expect(byName.get('fifo')?.value).toEqual([9, 8, 7]);
    expect(byName.get('blob')).toEqual({ name: 'blob', type: 'buffer[5]', value: '0102030405' });
    expect(byName.get('alarm')).toEqual({ name: 'alarm', type: 'timer', value: 123_456_789 });
    expect(byName.get('channel')).toEqual({
      name: 'channel',
      type: 'struct channel',
      children: [
        { name: 'level', type: 'u8', value: 200 },
        { name: 'enabled', type: 'bool', value: true },
      ],
    });
    expect(byName.has('unused(3)')).toBe(false);
    expect(() => JSON.stringify(view)).not.toThrow();
  });

  it('lists the paths that differ, including nested structs and subsections', () => {
    const a = filled(fresh());
    const b = filled(fresh());
    b.channels[1].enabled = true;
    b.regs[2] = 5;
    b.alarm.del();
    b.a64 = 1n;
    expect(diffStates(describe(EVERYTHING, a), describe(EVERYTHING, b)).sort()).toEqual(
      ['a64', 'alarm', 'channels[1].enabled', 'regs[2]'].sort(),
    );
    const x = describe(WITH_SUB, { main: 1, extra: 2, sendExtra: true, extraLoaded: false });
    const y = describe(WITH_SUB, { main: 1, extra: 3, sendExtra: true, extraLoaded: false });
    const z = describe(WITH_SUB, { main: 1, extra: 3, sendExtra: false, extraLoaded: false });
    expect(diffStates(x, y)).toEqual(['dev/extra.extra']);
    expect(diffStates(x, z)).toEqual(['dev/extra']);
  });

  it('describes a decoded stream without any live object', () => {
    const bytes = saveMachine([entry(SECOND, { value: 9, flag: true })]);
    const [section] = decodeMachine(bytes, [entry(SECOND, { value: 0, flag: false })]);
    expect(describeDecoded(SECOND, section.values)).toEqual([
      { name: 'value', type: 'u32', value: 9 },
      { name: 'flag', type: 'bool', value: true },
    ]);
  });
});

group('large states', () => {
  it('round-trips numbers written after the stream buffer has grown', () => {
    interface Big {
      words: Uint32Array;
      tail: number;
      wide: bigint;
      real: number;
    }
    const desc = vmstate<Big>('big', {
      version: 1,
      fields: [arrayOf('words', 'u32', 300), u32('tail'), u64('wide'), f64('real')],
    });
    const source: Big = {
      words: new Uint32Array(300).map((_, i) => i * 7919),
      tail: 0xdeadbeef,
      wide: 2n ** 63n + 5n,
      real: -1.5,
    };
    const target: Big = { words: new Uint32Array(300), tail: 0, wide: 0n, real: 0 };
    loadMachine(saveMachine([entry(desc, source)]), [entry(desc, target)]);
    expect(target).toEqual(source);
  });
});
