/**
 * Second-operand transforms of register forms: shift by immediate (LSL/LSR/ASR/ROR) and extend (UXTB..SXTX
 * with a left shift of 0..4), on lo/hi pairs or 32-bit values.
 */
import { asrHi, asrLo, lsrHi, lsrLo, rorHi, rorLo, ror32, shlHi, shlLo } from '../int64';

export const LSL = 0;
export const LSR = 1;
export const ASR = 2;
export const ROR = 3;

export function shiftedLo(type: number, lo: number, hi: number, s: number): number {
  switch (type) {
    case LSL:
      return shlLo(lo, hi, s);
    case LSR:
      return lsrLo(lo, hi, s);
    case ASR:
      return asrLo(lo, hi, s);
    default:
      return rorLo(lo, hi, s);
  }
}

export function shiftedHi(type: number, lo: number, hi: number, s: number): number {
  switch (type) {
    case LSL:
      return shlHi(lo, hi, s);
    case LSR:
      return lsrHi(lo, hi, s);
    case ASR:
      return asrHi(lo, hi, s);
    default:
      return rorHi(lo, hi, s);
  }
}

export function shifted32(type: number, v: number, s: number): number {
  switch (type) {
    case LSL:
      return v << s;
    case LSR:
      return s === 0 ? v : (v >>> s) | 0;
    case ASR:
      return v >> s;
    default:
      return ror32(v, s);
  }
}

/** Low word of ExtendReg(value, option) before the shift: option bits 2 (signed) and 1..0 (size). */
export function extendLo(option: number, lo: number): number {
  switch (option) {
    case 0:
      return lo & 0xff;
    case 1:
      return lo & 0xffff;
    case 4:
      return (lo << 24) >> 24;
    case 5:
      return (lo << 16) >> 16;
    default:
      return lo;
  }
}

export function extendHi(option: number, lo: number, hi: number): number {
  switch (option) {
    case 0:
    case 1:
    case 2:
      return 0;
    case 4:
      return (lo << 24) >> 31;
    case 5:
      return (lo << 16) >> 31;
    case 6:
      return lo >> 31;
    default:
      return hi;
  }
}
