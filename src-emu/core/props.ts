/**
 * Device properties, after qdev properties: a schema of named, typed, documented settings with defaults.
 *
 * A machine config sets them from plain values (numbers, booleans, strings; numbers and booleans may also
 * come as strings from a command line). Two checks, as in QEMU: a value of the wrong type is refused when
 * it is set (`parse`), a value out of range when the device is realized (`check`).
 */

export type PropKind = 'u32' | 'bool' | 'string' | 'enum' | 'chardev';

/** Either the converted value, or what was expected instead. */
export type ParseResult<V> =
  { readonly ok: true; readonly value: V } | { readonly ok: false; readonly expected: string };

export interface PropSpec<V> {
  readonly kind: PropKind;
  readonly default: V;
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  /** The choices of an enum property. */
  readonly values?: readonly string[];
  /** Converts a config value. */
  parse(raw: unknown): ParseResult<V>;
  /** Range and custom checks, at realize: an error text or null. */
  check(value: V): string | null;
}

// Schemas hold specs of different value types: `parse` and `check` are methods, whose parameters TypeScript
// compares bivariantly, so every PropSpec<V> fits PropSpec<unknown>.
export type AnyPropSpec = PropSpec<unknown>;
export type PropSchema = Readonly<Record<string, AnyPropSpec>>;

export type PropValue<S> = S extends PropSpec<infer V> ? V : never;
export type PropValues<S extends PropSchema> = { readonly [K in keyof S]: PropValue<S[K]> };

interface CommonOptions<V> {
  readonly doc?: string;
  /** Extra check at realize: an error text or null. */
  readonly validate?: (value: V) => string | null;
}

const UINT32_MAX = 0xffffffff;

function show(raw: unknown): string {
  return typeof raw === 'string' ? `'${raw}'` : String(raw);
}

function ok<V>(value: V): ParseResult<V> {
  return { ok: true, value };
}

/** An unsigned 32-bit integer; from a number, or a decimal or 0x-hex string. */
export function u32Prop(options: CommonOptions<number> & { default?: number; min?: number; max?: number } = {}) {
  const min = options.min ?? 0;
  const max = options.max ?? UINT32_MAX;
  const spec: PropSpec<number> = {
    kind: 'u32',
    default: options.default ?? 0,
    doc: options.doc ?? '',
    min,
    max,
    parse(raw) {
      const value = typeof raw === 'string' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(raw.trim()) ? Number(raw.trim()) : raw;
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= UINT32_MAX) return ok(value);
      return { ok: false, expected: 'an unsigned 32-bit integer' };
    },
    check(value) {
      if (value < min || value > max) return `${value} is outside ${min}..${max}`;
      return options.validate?.(value) ?? null;
    },
  };
  return spec;
}

const TRUE_WORDS = ['on', 'true', 'yes'];
const FALSE_WORDS = ['off', 'false', 'no'];

/** A boolean; from a boolean or on/off, true/false, yes/no. */
export function boolProp(options: CommonOptions<boolean> & { default?: boolean } = {}) {
  const spec: PropSpec<boolean> = {
    kind: 'bool',
    default: options.default ?? false,
    doc: options.doc ?? '',
    parse(raw) {
      if (typeof raw === 'boolean') return ok(raw);
      if (typeof raw === 'string' && TRUE_WORDS.includes(raw)) return ok(true);
      if (typeof raw === 'string' && FALSE_WORDS.includes(raw)) return ok(false);
      return { ok: false, expected: 'on or off' };
    },
    check: (value) => options.validate?.(value) ?? null,
  };
  return spec;
}

export function stringProp(options: CommonOptions<string> & { default?: string } = {}) {
  const spec: PropSpec<string> = {
    kind: 'string',
    default: options.default ?? '',
    doc: options.doc ?? '',
    parse: (raw) => (typeof raw === 'string' ? ok(raw) : { ok: false, expected: 'a string' }),
    check: (value) => options.validate?.(value) ?? null,
  };
  return spec;
}

/** One of a fixed list of names; the default is the first unless given. */
export function enumProp<const T extends readonly [string, ...string[]]>(
  options: CommonOptions<T[number]> & { values: T; default?: T[number] },
) {
  const values = options.values;
  const spec: PropSpec<T[number]> = {
    kind: 'enum',
    default: options.default ?? values[0],
    doc: options.doc ?? '',
    values,
    parse: (raw) => (typeof raw === 'string' ? ok(raw) : { ok: false, expected: 'a string' }),
    check(value) {
      if (!values.includes(value)) return `'${value}' is not one of ${values.map((v) => `'${v}'`).join(', ')}`;
      return options.validate?.(value) ?? null;
    },
  };
  return spec;
}

/**
 * The id of a character backend (empty: not connected). The board resolves the id to a backend and hands
 * it to the device; the property records the choice for configs and the inspector.
 */
export function chardevProp(options: { doc?: string } = {}) {
  const spec: PropSpec<string> = {
    kind: 'chardev',
    default: '',
    doc: options.doc ?? '',
    parse: (raw) => (typeof raw === 'string' ? ok(raw) : { ok: false, expected: 'a character backend id' }),
    check: () => null,
  };
  return spec;
}

/** Declares a property schema; a default that fails its own checks is a programming error, thrown here. */
export function defineProps<const S extends PropSchema>(schema: S): S {
  for (const [name, spec] of Object.entries(schema)) {
    const problem = spec.check(spec.default);
    if (problem !== null) throw new Error(`property '${name}': default ${problem}`);
  }
  return schema;
}

/** Converts a config value for `spec`, or describes why it cannot be used. */
export function parseProp(spec: AnyPropSpec, raw: unknown): ParseResult<unknown> {
  const result = spec.parse(raw);
  return result.ok ? result : { ok: false, expected: `expected ${result.expected}, got ${show(raw)}` };
}

export function checkProp(spec: AnyPropSpec, value: unknown): string | null {
  return spec.check(value);
}
