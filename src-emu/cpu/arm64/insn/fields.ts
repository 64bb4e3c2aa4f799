/**
 * Field extraction and operand formatting shared by every encoding group (integer, FP, system).
 *
 * Register slots: a decoder turns an encoding's register number into an index into `cpu.x` (already
 * multiplied by 2, so a closure reads `x[s]` and `x[s + 1]`) with readSlot/writeSlot, which resolve
 * register 31 to SP or to the zero slots (state.ts).
 */
import { SP_SLOT, ZR_READ_SLOT, ZR_SINK_SLOT } from '../state';

export const rd = (w: number): number => w & 31;
export const rn = (w: number): number => (w >>> 5) & 31;
export const rm = (w: number): number => (w >>> 16) & 31;
export const ra = (w: number): number => (w >>> 10) & 31;
/** Second transfer register of pair loads/stores (bits 14..10). */
export const rt2 = ra;
export const sf = (w: number): number => w >>> 31;

/** Unsigned bit field [lsb, lsb + width). */
export function bits(w: number, lsb: number, width: number): number {
  return width === 32 ? w >>> 0 : (w >>> lsb) & ((1 << width) - 1);
}

/** Sign-extends the low `width` bits of v. */
export function signExtend(v: number, width: number): number {
  const shift = 32 - width;
  return (v << shift) >> shift;
}

/** x index of a source register; with `sp`, register 31 is SP, else it reads as zero. */
export function readSlot(r: number, sp = false): number {
  return 2 * (r === 31 ? (sp ? SP_SLOT : ZR_READ_SLOT) : r);
}

/** x index of a destination register; with `sp`, register 31 is SP, else writes are discarded. */
export function writeSlot(r: number, sp = false): number {
  return 2 * (r === 31 ? (sp ? SP_SLOT : ZR_SINK_SLOT) : r);
}

/** objdump's name for general register r: x0/w0, sp/wsp when `sp`, else xzr/wzr. */
export function regName(r: number, is64: boolean | number, sp = false): string {
  if (r === 31) return sp ? (is64 ? 'sp' : 'wsp') : is64 ? 'xzr' : 'wzr';
  return (is64 ? 'x' : 'w') + r;
}

export const xName = (r: number, sp = false): string => regName(r, true, sp);
export const wName = (r: number, sp = false): string => regName(r, false, sp);

/** Immediate as objdump prints most of them: `#0x1f`; negative values as `#-0x8`. */
export function immHex(v: number): string {
  return v < 0 ? `#-0x${(-v).toString(16)}` : `#0x${v.toString(16)}`;
}

/** A 64-bit value given as lo/hi in lowercase hex, no prefix, no leading zeros. */
export function hex64(lo: number, hi: number): string {
  const h = hi >>> 0;
  const l = (lo >>> 0).toString(16);
  return h === 0 ? l : h.toString(16) + l.padStart(8, '0');
}

/** PC + a signed byte offset (|offset| < 2^31) as objdump prints a target address: bare hex. */
export function pcTarget(pcLo: number, pcHi: number, offset: number): string {
  const sum = (pcLo >>> 0) + offset;
  const carry = Math.floor(sum / 0x1_0000_0000);
  return hex64(sum | 0, (pcHi + carry) | 0);
}

export const CONDITION_NAMES = [
  'eq',
  'ne',
  'cs',
  'cc',
  'mi',
  'pl',
  'vs',
  'vc',
  'hi',
  'ls',
  'ge',
  'lt',
  'gt',
  'le',
  'al',
  'nv',
] as const;
