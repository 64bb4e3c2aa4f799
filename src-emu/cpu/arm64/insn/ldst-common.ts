/**
 * What loads and stores share: the transfer kinds (size, sign extension, integer or SIMD&FP register), the
 * one `transfer` routine every load/store closure calls with a constant kind, address arithmetic, and
 * operand formatting for the disassembler.
 *
 * SIMD&FP register transfers (B/H/S/D/Q) are here because they share every addressing mode with the integer
 * forms; loads zero the rest of the 128-bit register. They check `cpu.fpDisabled` (CPACR_EL1.FPEN trap).
 */
import type { Cpu } from '../cpu';
import { checkFpAccess } from '../exception-hooks';
import { readSlot, regName, writeSlot } from './fields';

export const Kind = {
  St8: 0,
  St16: 1,
  St32: 2,
  St64: 3,
  Ld8: 4,
  Ld16: 5,
  Ld32: 6,
  Ld64: 7,
  LdSb64: 8,
  LdSh64: 9,
  LdSw64: 10,
  LdSb32: 11,
  LdSh32: 12,
  Prefetch: 13,
  FSt8: 14,
  FSt16: 15,
  FSt32: 16,
  FSt64: 17,
  FSt128: 18,
  FLd8: 19,
  FLd16: 20,
  FLd32: 21,
  FLd64: 22,
  FLd128: 23,
} as const;

/** Bytes moved by each kind. */
export const KIND_SIZE = [1, 2, 4, 8, 1, 2, 4, 8, 1, 2, 4, 1, 2, 8, 1, 2, 4, 8, 16, 1, 2, 4, 8, 16] as const;

export const isFpKind = (kind: number): boolean => kind >= Kind.FSt8;
export const isLoadKind = (kind: number): boolean => (kind >= Kind.Ld8 && kind <= Kind.LdSh32) || kind >= Kind.FLd8;

/**
 * Kind for the single-register encodings from size (bits 31..30), V (bit 26) and opc (bits 23..22), or
 * -1 when unallocated. `prefetchAllowed`: opc 10 with size 11 is PRFM in the offset forms.
 */
export function singleKind(size: number, v: number, opc: number, prefetchAllowed: boolean): number {
  if (v === 1) {
    if (opc <= 1) return (opc === 0 ? Kind.FSt8 : Kind.FLd8) + size;
    return size === 0 ? (opc === 2 ? Kind.FSt128 : Kind.FLd128) : -1;
  }
  if (opc === 0) return Kind.St8 + size;
  if (opc === 1) return Kind.Ld8 + size;
  if (size === 3) return opc === 2 && prefetchAllowed ? Kind.Prefetch : -1;
  if (opc === 2) return Kind.LdSb64 + size;
  return size === 2 ? -1 : Kind.LdSb32 + size;
}

/** Register slot (integer: x index; FP: V register number) that a kind transfers for field value r. */
export function transferSlot(kind: number, r: number): number {
  if (isFpKind(kind)) return r;
  return isLoadKind(kind) ? writeSlot(r) : readSlot(r);
}

/** The Rt operand as objdump names it. */
export function transferRegName(kind: number, r: number): string {
  if (isFpKind(kind)) return `${'bhsdq'[Math.log2(KIND_SIZE[kind])]}${r}`;
  const wide = kind === Kind.St64 || kind === Kind.Ld64 || (kind >= Kind.LdSb64 && kind <= Kind.LdSw64);
  return regName(r, wide);
}

const SINGLE_NAMES: Record<number, string> = {
  [Kind.St8]: 'strb',
  [Kind.St16]: 'strh',
  [Kind.St32]: 'str',
  [Kind.St64]: 'str',
  [Kind.Ld8]: 'ldrb',
  [Kind.Ld16]: 'ldrh',
  [Kind.Ld32]: 'ldr',
  [Kind.Ld64]: 'ldr',
  [Kind.LdSb64]: 'ldrsb',
  [Kind.LdSh64]: 'ldrsh',
  [Kind.LdSw64]: 'ldrsw',
  [Kind.LdSb32]: 'ldrsb',
  [Kind.LdSh32]: 'ldrsh',
  [Kind.Prefetch]: 'prfm',
};

/** Mnemonic for a kind, e.g. 'ldrsh'; `form` turns ldr into ldur (unscaled) or ldtr (unprivileged). */
export function singleName(kind: number, form: '' | 'u' | 't'): string {
  const base = isFpKind(kind) ? (isLoadKind(kind) ? 'ldr' : 'str') : SINGLE_NAMES[kind];
  if (form === '') return base;
  if (kind === Kind.Prefetch) return 'prfum';
  return base.slice(0, 2) + form + base.slice(2);
}

/** objdump's PRFM operation names (prfop = Rt). */
export function prefetchOp(rt: number): string {
  const type = rt >>> 3;
  const target = (rt >>> 1) & 3;
  if (type > 2 || target > 2) return `#0x${rt.toString(16).padStart(2, '0')}`;
  return `${['pld', 'pli', 'pst'][type]}l${target + 1}${rt & 1 ? 'strm' : 'keep'}`;
}

/** "[xn]" or "[xn, #imm]" (decimal, as objdump prints load/store offsets). */
export function baseOffset(rn: number, imm: number): string {
  return imm === 0 ? `[${regName(rn, true, true)}]` : `[${regName(rn, true, true)}, #${imm}]`;
}

/** Moves one register's worth of data between `t` and memory at lo/hi. */
export function transfer(cpu: Cpu, kind: number, t: number, lo: number, hi: number): void {
  const x = cpu.x;
  switch (kind) {
    case Kind.St8:
      cpu.store8(lo, hi, x[t]);
      return;
    case Kind.St16:
      cpu.store16(lo, hi, x[t]);
      return;
    case Kind.St32:
      cpu.store32(lo, hi, x[t]);
      return;
    case Kind.St64:
      cpu.store64(lo, hi, x[t], x[t + 1]);
      return;
    case Kind.Ld8:
      setX(x, t, cpu.load8(lo, hi), 0);
      return;
    case Kind.Ld16:
      setX(x, t, cpu.load16(lo, hi), 0);
      return;
    case Kind.Ld32:
      setX(x, t, cpu.load32(lo, hi), 0);
      return;
    case Kind.Ld64: {
      const v = cpu.load64(lo, hi);
      setX(x, t, v, cpu.loadHi);
      return;
    }
    case Kind.LdSb64: {
      const v = (cpu.load8(lo, hi) << 24) >> 24;
      setX(x, t, v, v >> 31);
      return;
    }
    case Kind.LdSh64: {
      const v = (cpu.load16(lo, hi) << 16) >> 16;
      setX(x, t, v, v >> 31);
      return;
    }
    case Kind.LdSw64: {
      const v = cpu.load32(lo, hi);
      setX(x, t, v, v >> 31);
      return;
    }
    case Kind.LdSb32:
      setX(x, t, (cpu.load8(lo, hi) << 24) >> 24, 0);
      return;
    case Kind.LdSh32:
      setX(x, t, (cpu.load16(lo, hi) << 16) >> 16, 0);
      return;
    case Kind.Prefetch:
      return;
    default:
      transferFp(cpu, kind, t, lo, hi);
  }
}

function setX(x: Int32Array, t: number, lo: number, hi: number): void {
  x[t] = lo;
  x[t + 1] = hi;
}

function transferFp(cpu: Cpu, kind: number, t: number, lo: number, hi: number): void {
  checkFpAccess(cpu);
  const v = cpu.v32;
  const q = t * 4;
  switch (kind) {
    case Kind.FSt8:
      cpu.store8(lo, hi, cpu.v8[t * 16]);
      return;
    case Kind.FSt16:
      cpu.store16(lo, hi, cpu.v16[t * 8]);
      return;
    case Kind.FSt32:
      cpu.store32(lo, hi, v[q]);
      return;
    case Kind.FSt64:
      cpu.store64(lo, hi, v[q], v[q + 1]);
      return;
    case Kind.FSt128: {
      const upLo = (lo + 8) | 0;
      const upHi = upLo >>> 0 < lo >>> 0 ? (hi + 1) | 0 : hi;
      // Check both halves' translation by storing the upper half second; a fault there is precise enough.
      cpu.store64(lo, hi, v[q], v[q + 1]);
      cpu.store64(upLo, upHi, v[q + 2], v[q + 3]);
      return;
    }
    default:
      loadFp(cpu, kind, q, lo, hi);
  }
}

function loadFp(cpu: Cpu, kind: number, q: number, lo: number, hi: number): void {
  const v = cpu.v32;
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  if (kind === Kind.FLd8) w0 = cpu.load8(lo, hi);
  else if (kind === Kind.FLd16) w0 = cpu.load16(lo, hi);
  else if (kind === Kind.FLd32) w0 = cpu.load32(lo, hi);
  else {
    w0 = cpu.load64(lo, hi);
    w1 = cpu.loadHi;
    if (kind === Kind.FLd128) {
      const upLo = (lo + 8) | 0;
      w2 = cpu.load64(upLo, upLo >>> 0 < lo >>> 0 ? (hi + 1) | 0 : hi);
      w3 = cpu.loadHi;
    }
  }
  v[q] = w0;
  v[q + 1] = w1;
  v[q + 2] = w2;
  v[q + 3] = w3;
}

/** lo word of base + offset (offset a small signed integer); the hi word comes from `addHi`. */
export function addLo(baseLo: number, offset: number): number {
  return (baseLo + offset) | 0;
}

export function addHi(baseLo: number, baseHi: number, offset: number): number {
  const sum = (baseLo >>> 0) + offset;
  return sum > 0xffffffff ? (baseHi + 1) | 0 : sum < 0 ? (baseHi - 1) | 0 : baseHi;
}
