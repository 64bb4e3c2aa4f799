/**
 * Register maps and bit-field helpers.
 *
 * A device declares its registers once with `defineRegisters`: MMIO dispatch, tests and the inspector all
 * use the same offsets, reset values and field masks. Field masks are plain numbers, so fields must lie in
 * bits 0..31 (describe the upper word of a 64-bit register as its own register at offset + 4).
 */

// --- bit helpers (QEMU's bitops.h) ---------------------------------------------------------------------

/** `length` bits of `value` starting at bit `start`, unsigned. */
export function extract32(value: number, start: number, length: number): number {
  return length === 32 ? value >>> 0 : (value >>> start) & (0xffffffff >>> (32 - length));
}

/** `length` bits of `value` starting at bit `start`, sign-extended. */
export function sextract32(value: number, start: number, length: number): number {
  return ((value << (32 - length - start)) >> (32 - length)) | 0;
}

/** `value` with `length` bits at `start` replaced by the low bits of `field`, unsigned. */
export function deposit32(value: number, start: number, length: number, field: number): number {
  const mask = fieldMask(start, length);
  return ((value & ~mask) | ((field << start) & mask)) >>> 0;
}

/** Mask of `length` bits starting at `start`, unsigned. */
export function fieldMask(start: number, length: number): number {
  return ((0xffffffff >>> (32 - length)) << start) >>> 0;
}

/** A 64-bit value below 2^53 from its halves. */
export function joinU64(lo: number, hi: number): number {
  return (hi >>> 0) * 2 ** 32 + (lo >>> 0);
}

/** Low 32 bits of a non-negative integer below 2^53. */
export function lo32(value: number): number {
  return value >>> 0;
}

/** High 32 bits of a non-negative integer below 2^53. */
export function hi32(value: number): number {
  return Math.floor(value / 2 ** 32) >>> 0;
}

// --- register maps -----------------------------------------------------------------------------------

/**
 * Access types: r read-only, w write-only, rw read/write, w1c write 1 to clear, w1s write 1 to set, rc
 * cleared by reading, rsvd reserved.
 */
export type RegisterAccess = 'r' | 'w' | 'rw' | 'w1c' | 'w1s' | 'rc' | 'rsvd';

/** A bit number, an inclusive [hi, lo] range, or either with a doc string. */
export type FieldSpec =
  number | readonly [number, number] | { readonly bits: number | readonly [number, number]; readonly doc?: string };

export interface RegisterSpec {
  readonly offset: number;
  /** Width in bits; default 32. */
  readonly width?: 8 | 16 | 32 | 64;
  /** Default 'rw'. */
  readonly access?: RegisterAccess;
  /** Default 0. */
  readonly reset?: number;
  readonly doc?: string;
  readonly fields?: Readonly<Record<string, FieldSpec>>;
}

export interface FieldInfo {
  readonly name: string;
  /** Lowest bit (the shift). */
  readonly lo: number;
  readonly hi: number;
  readonly width: number;
  readonly mask: number;
  readonly doc: string;
}

export interface DecodedField {
  readonly name: string;
  readonly value: number;
  /** 'hi:lo', or the bit number for a one-bit field. */
  readonly bits: string;
  readonly doc: string;
}

export class Register<F extends string = string> {
  /** Field masks by name: `REGS.CR.fields.START`. */
  readonly fields: { readonly [K in F]: number };
  /** Field positions by name: `REGS.LCR_H.shift.WLEN`. */
  readonly shift: { readonly [K in F]: number };
  readonly fieldList: readonly FieldInfo[];

  constructor(
    readonly name: string,
    readonly offset: number,
    readonly width: number,
    readonly access: RegisterAccess,
    readonly reset: number,
    readonly doc: string,
    fieldList: FieldInfo[],
  ) {
    this.fieldList = fieldList;
    this.fields = Object.fromEntries(fieldList.map((f) => [f.name, f.mask])) as { [K in F]: number };
    this.shift = Object.fromEntries(fieldList.map((f) => [f.name, f.lo])) as { [K in F]: number };
  }

  field(name: F): FieldInfo {
    return this.fieldList.find((f) => f.name === name)!;
  }

  /** The value of field `name` in `value`. */
  get(value: number, name: F): number {
    const f = this.field(name);
    return extract32(value, f.lo, f.width);
  }

  /** `value` with field `name` set to `field`. */
  set(value: number, name: F, field: number): number {
    const f = this.field(name);
    return deposit32(value, f.lo, f.width, field);
  }
}

type FieldNames<S> = S extends { readonly fields: infer R } ? Extract<keyof R, string> : never;

export interface RegisterLookup {
  /** The register at `offset`, or undefined. */
  byOffset(offset: number): Register | undefined;
  /** Every declared field of `register` with its value in `value`, low bits first. */
  decodeFields(register: Register, value: number): DecodedField[];
  /** All registers in offset order. */
  list(): readonly Register[];
}

export type RegisterMap<T extends Record<string, RegisterSpec>> = {
  readonly [K in keyof T]: Register<FieldNames<T[K]>>;
} & RegisterLookup;

const RESERVED_NAMES = ['byOffset', 'decodeFields', 'list'];

/** Declares a register map; mistakes in it (overlaps, bits outside the width) throw at module load. */
export function defineRegisters<const T extends Record<string, RegisterSpec>>(specs: T): RegisterMap<T> {
  const registers: Register[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    if (RESERVED_NAMES.includes(name)) throw new Error(`register name '${name}' is reserved`);
    registers.push(buildRegister(name, spec));
  }
  registers.sort((a, b) => a.offset - b.offset);
  const byOffset = new Map<number, Register>();
  for (const register of registers) {
    const clash = byOffset.get(register.offset);
    if (clash)
      throw new Error(`registers ${clash.name} and ${register.name} share offset ${hexOffset(register.offset)}`);
    byOffset.set(register.offset, register);
  }
  const lookup: RegisterLookup = {
    byOffset: (offset) => byOffset.get(offset),
    decodeFields,
    list: () => registers,
  };
  return Object.assign(Object.fromEntries(registers.map((r) => [r.name, r])), lookup) as RegisterMap<T>;
}

function hexOffset(offset: number): string {
  return '0x' + offset.toString(16);
}

function buildRegister(name: string, spec: RegisterSpec): Register {
  const width = spec.width ?? 32;
  const reset = spec.reset ?? 0;
  if (![8, 16, 32, 64].includes(width)) throw new Error(`register ${name}: width ${width} is not 8, 16, 32 or 64`);
  if (!Number.isSafeInteger(reset) || reset < 0 || (width < 64 && reset >= 2 ** width)) {
    throw new Error(`register ${name}: reset value ${reset} does not fit in ${width} bits`);
  }
  const fields: FieldInfo[] = [];
  let used = 0;
  for (const [fieldName, fieldSpec] of Object.entries(spec.fields ?? {})) {
    const field = buildField(name, fieldName, fieldSpec, width);
    if ((used & field.mask) !== 0) throw new Error(`register ${name}: field ${fieldName} overlaps another field`);
    used |= field.mask;
    fields.push(field);
  }
  fields.sort((a, b) => a.lo - b.lo);
  return new Register(name, spec.offset, width, spec.access ?? 'rw', reset, spec.doc ?? '', fields);
}

function buildField(register: string, name: string, spec: FieldSpec, width: number): FieldInfo {
  const bits = typeof spec === 'object' && 'bits' in spec ? spec.bits : spec;
  const doc = typeof spec === 'object' && 'bits' in spec ? (spec.doc ?? '') : '';
  const [hi, lo] = typeof bits === 'number' ? [bits, bits] : bits;
  if (!Number.isInteger(hi) || !Number.isInteger(lo) || lo < 0 || hi < lo || hi >= Math.min(width, 32)) {
    throw new Error(
      `register ${register}: field ${name} bits [${hi}, ${lo}] are outside 0..${Math.min(width, 32) - 1}`,
    );
  }
  return { name, lo, hi, width: hi - lo + 1, mask: fieldMask(lo, hi - lo + 1), doc };
}

function decodeFields(register: Register, value: number): DecodedField[] {
  return register.fieldList.map((f) => ({
    name: f.name,
    value: extract32(value, f.lo, f.width),
    bits: f.hi === f.lo ? `${f.lo}` : `${f.hi}:${f.lo}`,
    doc: f.doc,
  }));
}
