/**
 * Type-level tests: each `@ts-expect-error` line must fail to compile (typecheck fails if it compiles),
 * proving that a description only names keys of the state type, with wire types that fit them.
 */
import { describe, expect, it } from 'vitest';
import { Timer, VirtualClock } from './timer';
import {
  arrayOf,
  bool,
  buffer,
  f64,
  i64num,
  struct,
  structArray,
  subsection,
  timer,
  u32,
  u64,
  u8,
  varArrayOf,
  vmstate,
} from './vmstate';

interface Inner {
  level: number;
}
const INNER = vmstate<Inner>('inner', { version: 1, fields: [u32('level')] });

class Sample {
  count = 0;
  big = 0n;
  flag = false;
  name = 'x';
  ratio = 0.5;
  regs = new Uint32Array(4);
  bytes = new Uint8Array(4);
  list: number[] = [];
  inner: Inner = { level: 0 };
  inners: Inner[] = [];
  blob = new Uint8Array(8);
  readonly tick = new Timer(new VirtualClock({ mode: 'deterministic' }), () => {});
}

describe('vmstate field typing', () => {
  it('accepts fields that fit and rejects the rest at compile time', () => {
    const ok = vmstate<Sample>('sample', {
      version: 1,
      fields: [
        u32('count'),
        u64('big'),
        bool('flag'),
        f64('ratio'),
        i64num('count'),
        arrayOf('regs', 'u32', 4),
        arrayOf('bytes', 'u8', 4),
        arrayOf('list', 'u16', 3),
        varArrayOf('list', 'u8', 'count'),
        struct('inner', INNER),
        structArray('inners', INNER, 2),
        buffer('blob', 8),
        timer('tick'),
      ],
      subsections: [subsection('sample/more', (s) => s.flag, [u8('count')])],
    });
    expect(ok.fields.length).toBe(13);

    // Compiling is the test; at run time the description is also refused (its length field is no number).
    const bad = () =>
      vmstate<Sample>('bad', {
        version: 1,
        fields: [
          // @ts-expect-error: no such key
          u32('missing'),
          // @ts-expect-error: a string does not fit u32
          u32('name'),
          // @ts-expect-error: 64-bit values are held as bigint, not number
          u64('count'),
          // @ts-expect-error: a bigint does not fit u32
          u32('big'),
          // @ts-expect-error: a number does not fit bool
          bool('count'),
          // @ts-expect-error: a Uint32Array does not hold u8 elements
          arrayOf('regs', 'u8', 4),
          // @ts-expect-error: a Uint8Array does not hold u32 elements
          arrayOf('bytes', 'u32', 1),
          // @ts-expect-error: a scalar is not an array
          arrayOf('count', 'u32', 1),
          // @ts-expect-error: the length field must be a number
          varArrayOf('list', 'u8', 'flag'),
          // @ts-expect-error: the nested description is for another type
          struct('count', INNER),
          // @ts-expect-error: a number is not a timer
          timer('count'),
          // @ts-expect-error: buffer needs a Uint8Array
          buffer('regs', 16),
        ],
      });
    expect(bad).toThrow(/length field 'flag'/);
  });
});
