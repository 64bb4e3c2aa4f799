/**
 * VMState: a typed description of a device's migratable state, after QEMU's VMStateDescription.
 *
 * One description drives the binary snapshot stream (saveMachine / loadMachine), the inspector's field
 * view (describe) and the snapshot diff (diffStates). Each field names a key of the state type and a wire
 * type; the compiler rejects a key that does not exist or whose type does not fit (see vmstate.types.test.ts):
 *
 * | builder                     | key's type                                   | wire (big-endian)        |
 * |-----------------------------|----------------------------------------------|--------------------------|
 * | u8 u16 u32 i8 i16 i32       | number                                        | 1, 2, 4 bytes            |
 * | u64 i64                     | bigint (64-bit values are bigint, not lo/hi) | 8 bytes                  |
 * | i64num                      | number, a safe integer (e.g. ns)             | 8 bytes, signed          |
 * | f64                         | number                                        | 8 bytes IEEE 754         |
 * | bool                        | boolean                                       | 1 byte, 0 or 1           |
 * | arrayOf(k, 'u32', n)        | number[] or a typed array of that width      | n elements               |
 * | varArrayOf(k, 'u8', lenKey) | as arrayOf; length taken from field lenKey   | lenKey elements          |
 * | struct(k, desc)             | an object described by desc                  | desc's fields inline     |
 * | structArray(k, desc, n)     | an array of such objects                     | n structs                |
 * | structVarArrayOf(k, d, lenKey) | as structArray; count from field lenKey    | lenKey structs           |
 * | buffer(k, n)                | Uint8Array of n bytes                        | n raw bytes              |
 * | timer(k)                    | Timer                                         | deadline ns, i64, -1 off |
 * | unused(n)                   | (none: padding, QEMU's VMSTATE_UNUSED)       | n zero bytes             |
 *
 * 32-bit fields accept int32 or uint32 representations when saving; loading yields the unsigned (u*) or
 * signed (i*) value. Loading is transactional: the whole stream is decoded into plain values, checked, and
 * only then applied (see loadMachine).
 */
import type { Timer } from './timer';
import type { VirtualClock } from './timer';
import { ByteReader, ByteWriter, WireTruncated } from './vmstate-wire';

// ---------------------------------------------------------------------------------------------------------
// Types

type BigWire = 'u64' | 'i64';
type NarrowWire = 'u8' | 'u16' | 'u32' | 'i8' | 'i16' | 'i32';
export type ScalarWire = NarrowWire | BigWire | 'i64num' | 'f64' | 'bool';

/** The state-object type a scalar wire type fits. */
export type WireValue<W extends ScalarWire> = W extends BigWire ? bigint : W extends 'bool' ? boolean : number;

/** The array types that hold elements of a wire type (typed arrays only of the matching width). */
export type WireArray<W extends ScalarWire> = W extends 'u8' | 'i8'
  ? number[] | Uint8Array | Int8Array | Uint8ClampedArray
  : W extends 'u16' | 'i16'
    ? number[] | Uint16Array | Int16Array
    : W extends 'u32' | 'i32'
      ? number[] | Uint32Array | Int32Array
      : W extends 'f64'
        ? number[] | Float64Array
        : W extends BigWire
          ? bigint[] | BigUint64Array | BigInt64Array
          : W extends 'bool'
            ? boolean[]
            : number[];

/** Keys of T whose type fits V. */
export type KeysOfType<T, V> = { [K in keyof T]-?: T[K] extends V ? K : never }[keyof T] & string;

export interface FieldOptions {
  /** First description version that carries this field (QEMU's VMSTATE_*_V). Older streams leave it as is. */
  readonly since?: number;
}

type FieldSpec =
  | { readonly kind: 'scalar'; readonly key: string; readonly wire: ScalarWire }
  | { readonly kind: 'array'; readonly key: string; readonly wire: ScalarWire; readonly length: number }
  | { readonly kind: 'varray'; readonly key: string; readonly wire: ScalarWire; readonly lengthKey: string }
  | { readonly kind: 'struct'; readonly key: string; readonly desc: AnyDescription }
  | { readonly kind: 'structArray'; readonly key: string; readonly desc: AnyDescription; readonly length: number }
  | {
      readonly kind: 'structVarray';
      readonly key: string;
      readonly desc: AnyDescription;
      readonly lengthKey: string;
      readonly absentLength: number | null;
    }
  | { readonly kind: 'buffer'; readonly key: string; readonly length: number }
  | { readonly kind: 'timer'; readonly key: string }
  | { readonly kind: 'unused'; readonly key: string; readonly length: number };

/** One field of a description for state type T (build it with u32(), arrayOf(), struct()...). */
export type Field<T> = FieldSpec & {
  readonly since: number;
  /** Type-only marker tying the field to its state type. */
  readonly __state?: (state: T) => void;
};

/** What a loaded section holds before it is applied: plain values by key (timers as deadlines). */
export type Loaded<T> = { readonly [K in keyof T]?: T[K] extends Timer ? number : T[K] };

export interface SubsectionOptions<T> {
  readonly version?: number;
  readonly minimumVersion?: number;
  /** Runs after this subsection's fields are applied (QEMU sets "this was migrated" flags here). */
  readonly postLoad?: (state: T) => void;
}

export interface Subsection<T> {
  readonly name: string;
  readonly needed: (state: T) => boolean;
  readonly desc: VMStateDescription<T>;
}

export interface VMStateOptions<T> {
  readonly version: number;
  readonly minimumVersion?: number;
  readonly fields: readonly Field<T>[];
  readonly subsections?: readonly Subsection<T>[];
  readonly preSave?: (state: T) => void;
  readonly preLoad?: (state: T) => void;
  /** Runs after fields and subsections are applied; a returned string fails the load (and it is undone). */
  readonly postLoad?: (state: T, version: number) => string | void;
  /** Checks decoded values before anything is applied; a returned string rejects the stream. */
  readonly validate?: (loaded: Loaded<T>, version: number) => string | void;
}

export interface VMStateDescription<T> extends VMStateOptions<T> {
  readonly name: string;
  readonly minimumVersion: number;
  readonly subsections: readonly Subsection<T>[];
}

// The loader handles descriptions of any state type through this erased view.
type AnyState = Record<string, unknown>;
type AnyDescription = VMStateDescription<AnyState>;

/** Decoded values of one description: fields present in the stream and the subsections that came with it. */
export interface DecodedStruct {
  readonly fields: Map<string, Plain>;
  readonly subsections: Map<string, DecodedStruct>;
}
export type Plain = number | bigint | boolean | Uint8Array | Plain[] | DecodedStruct;

export class VMStateError extends Error {
  constructor(
    message: string,
    readonly section?: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'VMStateError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Builders

function field<T>(spec: FieldSpec, options: FieldOptions | undefined): Field<T> {
  return { ...spec, since: options?.since ?? 0 };
}
const scalar =
  <W extends ScalarWire>(wire: W) =>
  <T>(key: KeysOfType<T, WireValue<W>>, options?: FieldOptions): Field<T> =>
    field({ kind: 'scalar', key, wire }, options);

export const u8 = scalar('u8');
export const u16 = scalar('u16');
export const u32 = scalar('u32');
export const u64 = scalar('u64');
export const i8 = scalar('i8');
export const i16 = scalar('i16');
export const i32 = scalar('i32');
export const i64 = scalar('i64');
/** A signed 64-bit wire value held as a JS number (safe integers: loading rejects anything larger). */
export const i64num = scalar('i64num');
export const f64 = scalar('f64');
export const bool = scalar('bool');

/** A fixed-length array; typed arrays are filled in place on load. */
export function arrayOf<T, W extends ScalarWire>(
  key: KeysOfType<T, WireArray<W>>,
  element: W,
  length: number,
  options?: FieldOptions,
): Field<T> {
  return field({ kind: 'array', key, wire: element, length: checkCount(length, key) }, options);
}

/**
 * A variable-length array whose element count is the value of an earlier field `lengthKey` (QEMU's
 * VMSTATE_VARRAY). A plain array is resized on load; a typed array keeps its size and must be large enough.
 */
export function varArrayOf<T, W extends ScalarWire>(
  key: KeysOfType<T, WireArray<W>>,
  element: W,
  lengthKey: KeysOfType<T, number>,
  options?: FieldOptions,
): Field<T> {
  return field({ kind: 'varray', key, wire: element, lengthKey }, options);
}

export function struct<T, S>(key: KeysOfType<T, S>, desc: VMStateDescription<S>, options?: FieldOptions): Field<T> {
  return field({ kind: 'struct', key, desc: desc as unknown as AnyDescription }, options);
}

export function structArray<T, S>(
  key: KeysOfType<T, S[]>,
  desc: VMStateDescription<S>,
  length: number,
  options?: FieldOptions,
): Field<T> {
  return field(
    { kind: 'structArray', key, desc: desc as unknown as AnyDescription, length: checkCount(length, key) },
    options,
  );
}

export interface StructVarArrayOptions extends FieldOptions {
  /** The count for stream versions older than the length field's `since` (QEMU: the pre_load value). */
  readonly absentLength?: number;
}

/**
 * An array of structs whose count is the value of an earlier scalar field `lengthKey` (QEMU's
 * VMSTATE_STRUCT_VARRAY_UINT8 / _UINT32). The elements are the object's own (they often wrap device state),
 * so loading never creates or drops any: a stream with more elements than the array holds is refused before
 * anything is applied, and a `validate` hook sees the stream's count first to say what is wrong in the
 * device's terms ("the stream has 4 timers, this HPET has 3").
 */
export function structVarArrayOf<T, S>(
  key: KeysOfType<T, S[]>,
  desc: VMStateDescription<S>,
  lengthKey: KeysOfType<T, number>,
  options?: StructVarArrayOptions,
): Field<T> {
  const absentLength = options?.absentLength === undefined ? null : checkCount(options.absentLength, key);
  return field(
    { kind: 'structVarray', key, desc: desc as unknown as AnyDescription, lengthKey, absentLength },
    options,
  );
}

export function buffer<T>(key: KeysOfType<T, Uint8Array>, length: number, options?: FieldOptions): Field<T> {
  return field({ kind: 'buffer', key, length: checkCount(length, key) }, options);
}

export function timer<T>(key: KeysOfType<T, Timer>, options?: FieldOptions): Field<T> {
  return field({ kind: 'timer', key }, options);
}

/** Padding bytes kept for stream compatibility (QEMU's VMSTATE_UNUSED): written as zeros, skipped on load. */
export function unused<T>(length: number, options?: FieldOptions): Field<T> {
  return field({ kind: 'unused', key: `unused(${length})`, length: checkCount(length, 'unused') }, options);
}

export function subsection<T>(
  name: string,
  needed: (state: T) => boolean,
  fields: readonly Field<T>[],
  options: SubsectionOptions<T> = {},
): Subsection<T> {
  const postLoad = options.postLoad;
  const desc = vmstate<T>(name, {
    version: options.version ?? 1,
    minimumVersion: options.minimumVersion,
    fields,
    postLoad: postLoad && ((state) => postLoad(state)),
  });
  return { name, needed, desc };
}

function checkCount(length: number, key: string): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new Error(`vmstate field '${key}': bad length ${length}`);
  return length;
}

/** Declares a description; configuration mistakes (bad versions, names, length fields) throw here. */
export function vmstate<T>(name: string, options: VMStateOptions<T>): VMStateDescription<T> {
  const desc: VMStateDescription<T> = {
    ...options,
    name,
    minimumVersion: options.minimumVersion ?? options.version,
    subsections: options.subsections ?? [],
  };
  checkDescription(desc as unknown as AnyDescription);
  return desc;
}

function checkDescription(desc: AnyDescription): void {
  const where = `vmstate '${desc.name}'`;
  if (!Number.isInteger(desc.version) || desc.version < 1) throw new Error(`${where}: bad version ${desc.version}`);
  if (desc.minimumVersion > desc.version || desc.minimumVersion < 1) {
    throw new Error(`${where}: minimumVersion ${desc.minimumVersion} is not within 1..${desc.version}`);
  }
  const seen = new Set<string>();
  for (const f of desc.fields) {
    if (f.since > desc.version) throw new Error(`${where}: field '${f.key}' since ${f.since} > version`);
    if (f.kind === 'varray' || f.kind === 'structVarray') {
      const length = desc.fields.find((g) => g.key === f.lengthKey);
      if (length === undefined || length.kind !== 'scalar' || !seen.has(f.lengthKey)) {
        throw new Error(`${where}: '${f.key}' needs its length field '${f.lengthKey}' earlier in the list`);
      }
    }
    seen.add(f.key);
  }
  for (const sub of desc.subsections) {
    if (!sub.name.startsWith(desc.name + '/')) {
      throw new Error(`${where}: subsection '${sub.name}' must be named '${desc.name}/...'`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Capture (state -> plain values) and apply (plain values -> state)

type NumberArrayLike = { length: number; [index: number]: number | bigint | boolean };

/** Reads a state object into plain values; `allSubsections` ignores needed() (used to undo a load). */
export function capture<T>(desc: VMStateDescription<T>, state: T, allSubsections = false): DecodedStruct {
  return captureAny(desc as unknown as AnyDescription, state as unknown as AnyState, allSubsections);
}

function captureAny(desc: AnyDescription, state: AnyState, allSubsections: boolean): DecodedStruct {
  const fields = new Map<string, Plain>();
  for (const f of desc.fields) {
    if (f.kind === 'varray') fields.set(f.key, captureVarray(f.key, state[f.key], state[f.lengthKey]));
    else if (f.kind === 'structVarray') {
      const elements = captureVarray(f.key, state[f.key], state[f.lengthKey]) as unknown as AnyState[];
      fields.set(
        f.key,
        elements.map((element) => captureAny(f.desc, element, allSubsections)),
      );
    } else if (f.kind !== 'unused') fields.set(f.key, captureField(f, state[f.key], allSubsections));
  }
  const subsections = new Map<string, DecodedStruct>();
  for (const sub of desc.subsections) {
    if (allSubsections || sub.needed(state)) subsections.set(sub.name, captureAny(sub.desc, state, allSubsections));
  }
  return { fields, subsections };
}

function captureVarray(key: string, value: unknown, count: unknown): Plain[] {
  const elements = value as ArrayLike<Plain>;
  if (typeof count !== 'number' || !(count >= 0 && count <= elements.length)) {
    throw new VMStateError(`vmstate: '${key}' has ${elements.length} elements, its length field says ${String(count)}`);
  }
  return Array.from(elements).slice(0, count);
}

function captureField(f: FieldSpec, value: unknown, allSubsections: boolean): Plain {
  switch (f.kind) {
    case 'scalar':
      return value as Plain;
    case 'array':
    case 'varray':
      return Array.from(value as ArrayLike<number | bigint | boolean>);
    case 'struct':
      return captureAny(f.desc, value as AnyState, allSubsections);
    case 'structArray':
    case 'structVarray':
      return (value as AnyState[]).map((element) => captureAny(f.desc, element, allSubsections));
    case 'buffer':
      return (value as Uint8Array).slice();
    case 'timer':
      return (value as Timer).expiresAt;
    case 'unused':
      return 0;
  }
}

/** Checks that decoded values fit the target's fixed-size storage, so that applying cannot fail halfway. */
function checkFits(desc: AnyDescription, values: DecodedStruct, state: AnyState, path: string): string | null {
  for (const f of desc.fields) {
    const value = values.fields.get(f.key);
    if (value === undefined) continue;
    const target = state[f.key];
    const here = path + f.key;
    if (f.kind === 'array' && (target as ArrayLike<unknown>).length !== f.length) {
      return `${here}: the device holds ${(target as ArrayLike<unknown>).length} elements, the description says ${f.length}`;
    }
    if (
      f.kind === 'varray' &&
      !Array.isArray(target) &&
      (value as Plain[]).length > (target as NumberArrayLike).length
    ) {
      return `${here}: ${(value as Plain[]).length} elements do not fit in ${(target as NumberArrayLike).length}`;
    }
    if (f.kind === 'buffer' && (target as Uint8Array).length !== f.length) {
      return `${here}: the device buffer holds ${(target as Uint8Array).length} bytes, the description says ${f.length}`;
    }
    if (f.kind === 'struct') {
      const problem = checkFits(f.desc, value as DecodedStruct, target as AnyState, here + '.');
      if (problem !== null) return problem;
    }
    if (f.kind === 'structArray' || f.kind === 'structVarray') {
      const elements = target as AnyState[];
      const count = (value as DecodedStruct[]).length;
      if (f.kind === 'structArray' && elements.length !== f.length) {
        return `${here}: the device holds ${elements.length} structs, not ${f.length}`;
      }
      if (count > elements.length) return `${here}: ${count} structs do not fit in ${elements.length}`;
      for (let i = 0; i < count; i++) {
        const problem = checkFits(f.desc, (value as DecodedStruct[])[i], elements[i], `${here}[${i}].`);
        if (problem !== null) return problem;
      }
    }
  }
  for (const sub of desc.subsections) {
    const subValues = values.subsections.get(sub.name);
    const problem = subValues && checkFits(sub.desc, subValues, state, path);
    if (problem) return problem;
  }
  return null;
}

/** Writes plain values into the state object, running preLoad/postLoad hooks as QEMU does. */
function apply(desc: AnyDescription, values: DecodedStruct, state: AnyState, version: number): string | void {
  desc.preLoad?.(state);
  for (const f of desc.fields) {
    const value = values.fields.get(f.key);
    const problem = value === undefined ? undefined : applyField(f, value, state);
    if (problem) return `${f.key}: ${problem}`;
  }
  for (const sub of desc.subsections) {
    const subValues = values.subsections.get(sub.name);
    if (subValues === undefined) continue;
    const problem = apply(sub.desc, subValues, state, sub.desc.version);
    if (problem) return `subsection '${sub.name}': ${problem}`;
  }
  return desc.postLoad?.(state, version);
}

function applyField(f: FieldSpec, value: Plain, state: AnyState): string | void {
  const target = state[f.key];
  switch (f.kind) {
    case 'scalar':
      state[f.key] = value;
      return;
    case 'array':
    case 'varray': {
      const elements = value as (number | bigint | boolean)[];
      if (Array.isArray(target)) {
        target.length = elements.length;
        for (let i = 0; i < elements.length; i++) target[i] = elements[i];
      } else {
        const typed = target as NumberArrayLike;
        for (let i = 0; i < elements.length; i++) typed[i] = elements[i];
      }
      return;
    }
    case 'struct':
      return apply(f.desc, value as DecodedStruct, target as AnyState, f.desc.version);
    case 'structArray':
    case 'structVarray': {
      const elements = value as DecodedStruct[];
      for (let i = 0; i < elements.length; i++) {
        const problem = apply(f.desc, elements[i], (target as AnyState[])[i], f.desc.version);
        if (problem) return `[${i}]: ${problem}`;
      }
      return;
    }
    case 'buffer':
      (target as Uint8Array).set(value as Uint8Array);
      return;
    case 'timer':
      (target as Timer).restoreDeadline(value as number);
      return;
    case 'unused':
      return;
  }
}

/** Flattens decoded fields (main and subsections) into the object validate() sees. */
function loadedView(values: DecodedStruct, into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of values.fields) into[key] = value;
  for (const sub of values.subsections.values()) loadedView(sub, into);
  return into;
}

// ---------------------------------------------------------------------------------------------------------
// Binary encoding of one description

const SUBSECTION_MARK = 0x05;

function encodeStruct(w: ByteWriter, desc: AnyDescription, values: DecodedStruct): void {
  for (const f of desc.fields) encodeField(w, f, values.fields.get(f.key));
  for (const sub of desc.subsections) {
    const subValues = values.subsections.get(sub.name);
    if (subValues === undefined) continue;
    w.u8(SUBSECTION_MARK);
    w.shortString(sub.name);
    w.u32(sub.desc.version);
    encodeStruct(w, sub.desc, subValues);
  }
}

function encodeField(w: ByteWriter, f: FieldSpec, value: Plain | undefined): void {
  switch (f.kind) {
    case 'scalar':
      return encodeScalar(w, f.wire, value, f.key);
    case 'array':
    case 'varray':
      for (const element of value as Plain[]) encodeScalar(w, f.wire, element, f.key);
      return;
    case 'struct':
      return encodeStruct(w, f.desc, value as DecodedStruct);
    case 'structArray':
    case 'structVarray':
      for (const element of value as DecodedStruct[]) encodeStruct(w, f.desc, element);
      return;
    case 'buffer':
      return w.raw(value as Uint8Array);
    case 'timer':
      return w.i64FromNumber(value as number);
    case 'unused':
      return w.raw(new Uint8Array(f.length));
  }
}

const INT_RANGES: Record<NarrowWire, readonly [number, number]> = {
  u8: [-0x80, 0xff],
  i8: [-0x80, 0xff],
  u16: [-0x8000, 0xffff],
  i16: [-0x8000, 0xffff],
  u32: [-0x8000_0000, 0xffff_ffff],
  i32: [-0x8000_0000, 0xffff_ffff],
};

function encodeScalar(w: ByteWriter, wire: ScalarWire, value: Plain | undefined, key: string): void {
  const bad = (): never => {
    throw new VMStateError(
      `vmstate: field '${key}' holds ${String(value)}, which does not fit ${wire}`,
      undefined,
      key,
    );
  };
  switch (wire) {
    case 'u64':
    case 'i64':
      return typeof value === 'bigint' ? w.u64(value) : bad();
    case 'bool':
      return typeof value === 'boolean' ? w.u8(value ? 1 : 0) : bad();
    case 'f64':
      return typeof value === 'number' ? w.f64(value) : bad();
    case 'i64num':
      return Number.isSafeInteger(value) ? w.i64FromNumber(value as number) : bad();
    default: {
      const [min, max] = INT_RANGES[wire];
      if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) bad();
      const n = value as number;
      if (wire === 'u8' || wire === 'i8') w.u8(n & 0xff);
      else if (wire === 'u16' || wire === 'i16') w.u16(n & 0xffff);
      else w.u32(n);
    }
  }
}

/** Decodes one description. Field errors carry the field path; the caller adds the section. */
function decodeStruct(r: ByteReader, desc: AnyDescription, version: number, path: string): DecodedStruct {
  const fields = new Map<string, Plain>();
  for (const f of desc.fields) {
    if (f.since > version) continue;
    const here = path + f.key;
    try {
      fields.set(f.key, decodeField(r, f, fields, here));
    } catch (error) {
      if (error instanceof WireTruncated) throw new VMStateError(`field '${here}': ${error.message}`, undefined, here);
      throw error;
    }
  }
  return { fields, subsections: decodeSubsections(r, desc, path) };
}

function decodeSubsections(r: ByteReader, desc: AnyDescription, path: string): Map<string, DecodedStruct> {
  const subsections = new Map<string, DecodedStruct>();
  // Like QEMU: a subsection mark followed by a name under this description's prefix starts a subsection.
  while (r.peekU8() === SUBSECTION_MARK && r.peekShortStringAfter(1).startsWith(desc.name + '/')) {
    r.u8();
    const name = r.shortString();
    const version = r.u32();
    const sub = desc.subsections.find((s) => s.name === name);
    if (sub === undefined) throw new VMStateError(`unknown subsection '${name}'`, undefined, path + name);
    if (subsections.has(name)) throw new VMStateError(`subsection '${name}' appears twice`, undefined, path + name);
    checkVersion(sub.desc, version, `subsection '${name}'`);
    subsections.set(name, decodeStruct(r, sub.desc, version, path));
  }
  return subsections;
}

function checkVersion(desc: AnyDescription, version: number, what: string): void {
  if (version > desc.version) {
    throw new VMStateError(`${what}: stream version ${version} is newer than supported version ${desc.version}`);
  }
  if (version < desc.minimumVersion) {
    throw new VMStateError(`${what}: stream version ${version} is older than minimum version ${desc.minimumVersion}`);
  }
}

function decodeField(r: ByteReader, f: FieldSpec, earlier: Map<string, Plain>, here: string): Plain {
  switch (f.kind) {
    case 'scalar':
      return decodeScalar(r, f.wire, here);
    case 'array':
      return decodeElements(r, f.wire, f.length, here);
    case 'varray': {
      const count = decodedCount(earlier.get(f.lengthKey), f.lengthKey, here);
      if (count * wireSize(f.wire) > r.remaining) throw new WireTruncated(count * wireSize(f.wire), r.remaining);
      return decodeElements(r, f.wire, count, here);
    }
    case 'structVarray': {
      const count = decodedCount(earlier.get(f.lengthKey) ?? f.absentLength ?? undefined, f.lengthKey, here);
      // Every struct takes at least one byte only if it has fields; bound the count by the bytes left anyway.
      if (f.desc.fields.length > 0 && count > r.remaining) throw new WireTruncated(count, r.remaining);
      return Array.from({ length: count }, (_, i) => decodeStruct(r, f.desc, f.desc.version, `${here}[${i}].`));
    }
    case 'struct':
      return decodeStruct(r, f.desc, f.desc.version, here + '.');
    case 'structArray':
      return Array.from({ length: f.length }, (_, i) => decodeStruct(r, f.desc, f.desc.version, `${here}[${i}].`));
    case 'buffer':
      return r.raw(f.length);
    case 'timer': {
      const deadline = r.i64AsNumber();
      if (Number.isNaN(deadline) || deadline < -1) {
        throw new VMStateError(`field '${here}': bad timer deadline`, undefined, here);
      }
      return deadline;
    }
    case 'unused':
      r.raw(f.length);
      return 0;
  }
}

function decodedCount(count: Plain | undefined, lengthKey: string, here: string): number {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    throw new VMStateError(`field '${here}': bad length ${String(count)} in '${lengthKey}'`, undefined, here);
  }
  return count;
}

function wireSize(wire: ScalarWire): number {
  if (wire === 'u8' || wire === 'i8' || wire === 'bool') return 1;
  if (wire === 'u16' || wire === 'i16') return 2;
  if (wire === 'u32' || wire === 'i32') return 4;
  return 8;
}

function decodeElements(r: ByteReader, wire: ScalarWire, count: number, here: string): Plain[] {
  const out: Plain[] = [];
  for (let i = 0; i < count; i++) out.push(decodeScalar(r, wire, `${here}[${i}]`));
  return out;
}

function decodeScalar(r: ByteReader, wire: ScalarWire, here: string): Plain {
  switch (wire) {
    case 'u8':
      return r.u8();
    case 'u16':
      return r.u16();
    case 'u32':
      return r.u32();
    case 'i8':
      return r.i8();
    case 'i16':
      return r.i16();
    case 'i32':
      return r.i32();
    case 'u64':
      return r.u64();
    case 'i64':
      return r.i64();
    case 'f64':
      return r.f64();
    case 'i64num': {
      const value = r.i64AsNumber();
      if (Number.isNaN(value)) throw new VMStateError(`field '${here}': value beyond 2^53`, undefined, here);
      return value;
    }
    case 'bool': {
      const byte = r.u8();
      if (byte > 1) throw new VMStateError(`field '${here}': bool byte ${byte} is not 0 or 1`, undefined, here);
      return byte === 1;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The whole-machine stream

/** One section of a machine stream: a description and the object it describes. */
export interface SectionEntry {
  readonly name: string;
  readonly instanceId: number;
  readonly desc: AnyDescription;
  readonly target: AnyState;
}

/** Pairs a description with its object. Two instances of one device type differ by instanceId. */
export function entry<T>(desc: VMStateDescription<T>, target: T, instanceId = 0): SectionEntry {
  return {
    name: desc.name,
    instanceId,
    desc: desc as unknown as AnyDescription,
    target: target as unknown as AnyState,
  };
}

/** The virtual clock as a section (restoring it restores virtual time). */
export const VIRTUAL_CLOCK_VMSTATE = vmstate<{ ns: number }>('virtual-clock', { version: 1, fields: [i64num('ns')] });

export function clockEntry(clock: VirtualClock): SectionEntry {
  const view = {
    get ns(): number {
      return clock.now();
    },
    set ns(value: number) {
      clock.restore(value);
    },
  };
  return entry(VIRTUAL_CLOCK_VMSTATE, view);
}

const STREAM_MAGIC = 0x4f52_564d; // 'ORVM'
const STREAM_VERSION = 1;
const SECTION_FULL = 0x04;
const SECTION_FOOTER = 0x7e;
const STREAM_EOF = 0x1f;

const sectionLabel = (name: string, instanceId: number): string => `'${name}' instance ${instanceId}`;

/**
 * Saves every entry (preSave first) as one stream: magic, format version, then per section QEMU's
 * layout — type byte, section id, name, instance id, version, fields, subsections, footer — then EOF.
 */
export function saveMachine(entries: readonly SectionEntry[]): Uint8Array {
  checkUniqueEntries(entries);
  const w = new ByteWriter();
  w.u32(STREAM_MAGIC);
  w.u32(STREAM_VERSION);
  entries.forEach((e, index) => {
    e.desc.preSave?.(e.target);
    const sectionId = index + 1;
    w.u8(SECTION_FULL);
    w.u32(sectionId);
    w.shortString(e.name);
    w.u32(e.instanceId);
    w.u32(e.desc.version);
    try {
      encodeStruct(w, e.desc, capture(e.desc, e.target));
    } catch (error) {
      throw withSection(error, e.name, e.instanceId);
    }
    w.u8(SECTION_FOOTER);
    w.u32(sectionId);
  });
  w.u8(STREAM_EOF);
  return w.finish();
}

export interface DecodedSection {
  readonly entry: SectionEntry;
  readonly version: number;
  readonly values: DecodedStruct;
}

/** Decodes a stream against the entries without touching any object (for diff and inspection too). */
export function decodeMachine(bytes: Uint8Array, entries: readonly SectionEntry[]): DecodedSection[] {
  checkUniqueEntries(entries);
  const r = new ByteReader(bytes);
  const header = (read: () => number, what: string): number => {
    try {
      return read();
    } catch {
      throw new VMStateError(`stream: truncated ${what}`);
    }
  };
  if (header(() => r.u32(), 'header') !== STREAM_MAGIC) throw new VMStateError('stream: not a VMState stream');
  const format = header(() => r.u32(), 'header');
  if (format !== STREAM_VERSION) throw new VMStateError(`stream: unsupported format version ${format}`);
  const sections: DecodedSection[] = [];
  for (;;) {
    const type = header(() => r.u8(), 'stream: no end marker');
    if (type === STREAM_EOF) break;
    if (type !== SECTION_FULL)
      throw new VMStateError(`stream: unexpected byte 0x${type.toString(16)} at ${r.offset - 1}`);
    sections.push(decodeSection(r, entries, sections));
  }
  if (r.remaining > 0) throw new VMStateError(`stream: ${r.remaining} byte(s) of trailing garbage after the end`);
  for (const e of entries) {
    if (!sections.some((s) => s.entry === e)) {
      throw new VMStateError(`section ${sectionLabel(e.name, e.instanceId)} is missing from the stream`, e.name);
    }
  }
  return sections;
}

function decodeSection(r: ByteReader, entries: readonly SectionEntry[], done: DecodedSection[]): DecodedSection {
  let name = '?';
  let instanceId = -1;
  try {
    const sectionId = r.u32();
    name = r.shortString();
    instanceId = r.u32();
    const version = r.u32();
    const e = entries.find((candidate) => candidate.name === name && candidate.instanceId === instanceId);
    if (e === undefined) throw new VMStateError('unknown section');
    if (done.some((s) => s.entry === e)) throw new VMStateError('section appears twice');
    checkVersion(e.desc, version, 'section');
    const values = decodeStruct(r, e.desc, version, '');
    if (r.remaining === 0) throw new VMStateError('truncated stream: the section has no footer');
    if (r.peekU8() !== SECTION_FOOTER) {
      throw new VMStateError(`fields do not end where the description ends (byte 0x${r.peekU8().toString(16)})`);
    }
    r.u8();
    if (r.u32() !== sectionId) throw new VMStateError('footer does not match the section id');
    return { entry: e, version, values };
  } catch (error) {
    throw withSection(error, name, instanceId);
  }
}

function withSection(error: unknown, name: string, instanceId: number): VMStateError {
  const label = `section ${sectionLabel(name, instanceId)}`;
  if (error instanceof VMStateError) return new VMStateError(`${label}: ${error.message}`, name, error.field);
  if (error instanceof WireTruncated) return new VMStateError(`${label}: ${error.message}`, name);
  const message = error instanceof Error ? error.message : String(error);
  return new VMStateError(`${label}: ${message}`, name);
}

function checkUniqueEntries(entries: readonly SectionEntry[]): void {
  const keys = new Set<string>();
  for (const e of entries) {
    const key = `${e.name}#${e.instanceId}`;
    if (keys.has(key)) throw new Error(`vmstate: two entries named ${sectionLabel(e.name, e.instanceId)}`);
    keys.add(key);
  }
}

/**
 * Loads a stream into the entries' objects, all or nothing: decode everything, run every validate() and
 * size check, then apply. If a postLoad fails, every object already written is put back (its values
 * re-applied with its hooks) and the error is thrown.
 */
export function loadMachine(bytes: Uint8Array, entries: readonly SectionEntry[]): void {
  const sections = decodeMachine(bytes, entries);
  for (const s of sections) {
    const { name, instanceId, desc, target } = s.entry;
    const problem =
      desc.validate?.(loadedView(s.values) as Loaded<AnyState>, s.version) || checkFits(desc, s.values, target, '');
    if (problem) throw new VMStateError(`section ${sectionLabel(name, instanceId)}: ${problem}`, name);
  }
  const before = sections.map((s) => capture(s.entry.desc, s.entry.target, true));
  for (let i = 0; i < sections.length; i++) {
    const { name, instanceId, desc, target } = sections[i].entry;
    let problem: string | void;
    try {
      problem = apply(desc, sections[i].values, target, sections[i].version);
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    if (problem) {
      undo(sections.slice(0, i + 1), before);
      throw new VMStateError(`section ${sectionLabel(name, instanceId)}: postLoad failed: ${problem}`, name);
    }
  }
}

function undo(applied: readonly DecodedSection[], before: readonly DecodedStruct[]): void {
  applied.forEach((s, i) => apply(s.entry.desc, before[i], s.entry.target, s.entry.desc.version));
}

// ---------------------------------------------------------------------------------------------------------
// JSON view for the inspector and the snapshot diff

export type ViewValue = number | string | boolean;

export interface FieldView {
  readonly name: string;
  /** Wire type, e.g. 'u32', 'u8[16]', 'struct gic-irq', 'timer', 'subsection'. */
  readonly type: string;
  /** Scalars and timers: the value (64-bit values as decimal strings); arrays: the elements; buffers: hex. */
  readonly value?: ViewValue | ViewValue[];
  readonly children?: FieldView[];
}

/** The fields of a live object (subsections shown when needed), ready for JSON. */
export function describe<T>(desc: VMStateDescription<T>, state: T): FieldView[] {
  return describeDecoded(desc, capture(desc, state));
}

/** The fields of decoded values (e.g. a section of a snapshot file, from decodeMachine). */
export function describeDecoded<T>(desc: VMStateDescription<T>, values: DecodedStruct): FieldView[] {
  return viewStruct(desc as unknown as AnyDescription, values);
}

function viewStruct(desc: AnyDescription, values: DecodedStruct): FieldView[] {
  const views: FieldView[] = [];
  for (const f of desc.fields) {
    const value = values.fields.get(f.key);
    if (value !== undefined && f.kind !== 'unused') views.push(viewField(f, value));
  }
  for (const sub of desc.subsections) {
    const subValues = values.subsections.get(sub.name);
    if (subValues) views.push({ name: sub.name, type: 'subsection', children: viewStruct(sub.desc, subValues) });
  }
  return views;
}

const viewScalar = (value: Plain): ViewValue => (typeof value === 'bigint' ? value.toString() : (value as ViewValue));

function viewField(f: FieldSpec, value: Plain): FieldView {
  const name = f.key;
  switch (f.kind) {
    case 'scalar':
      return { name, type: f.wire, value: viewScalar(value) };
    case 'array':
    case 'varray':
      return { name, type: `${f.wire}[${(value as Plain[]).length}]`, value: (value as Plain[]).map(viewScalar) };
    case 'struct':
      return { name, type: `struct ${f.desc.name}`, children: viewStruct(f.desc, value as DecodedStruct) };
    case 'structArray':
    case 'structVarray':
      return {
        name,
        type: `struct ${f.desc.name}[${(value as DecodedStruct[]).length}]`,
        children: (value as DecodedStruct[]).map((element, i) => ({
          name: `[${i}]`,
          type: `struct ${f.desc.name}`,
          children: viewStruct(f.desc, element),
        })),
      };
    case 'buffer':
      return { name, type: `buffer[${f.length}]`, value: toHex(value as Uint8Array) };
    case 'timer':
      return { name, type: 'timer', value: value as number };
    case 'unused':
      return { name, type: 'unused' };
  }
}

function toHex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}

/** Paths of the fields that differ between two views (e.g. 'mr', 'regs[3]', 'irq[2].level', 'a/b.x'). */
export function diffStates(a: readonly FieldView[], b: readonly FieldView[], prefix = ''): string[] {
  const out: string[] = [];
  const byName = new Map(b.map((view) => [view.name, view]));
  for (const left of a) {
    const path = joinPath(prefix, left.name);
    const right = byName.get(left.name);
    byName.delete(left.name);
    if (right === undefined || right.type !== left.type) out.push(path);
    else if (left.children || right.children) out.push(...diffStates(left.children ?? [], right.children ?? [], path));
    else if (Array.isArray(left.value) && Array.isArray(right.value)) diffArrays(left.value, right.value, path, out);
    else if (left.value !== right.value) out.push(path);
  }
  for (const name of byName.keys()) out.push(joinPath(prefix, name));
  return out;
}

function diffArrays(a: readonly ViewValue[], b: readonly ViewValue[], path: string, out: string[]): void {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) out.push(`${path}[${i}]`);
}

const joinPath = (prefix: string, name: string): string =>
  prefix === '' ? name : name.startsWith('[') ? prefix + name : `${prefix}.${name}`;
