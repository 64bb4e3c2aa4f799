/**
 * AdvSIMD modified immediate (0 Q op 0111100000 abc cmode o2 1 defgh Rd): MOVI, MVNI, ORR, BIC (vector,
 * immediate) and FMOV (vector, immediate), which only places a bit pattern. AdvSIMDExpandImm decides the
 * 64-bit pattern at decode time; the closure stores two words.
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { checkFpAccess } from '../exception-hooks';
import { bits, rd } from '../insn/fields';
import { hex64 } from '../insn/fields';
import { qBit } from './names';

const imm8 = (w: number): number => (bits(w, 16, 3) << 5) | bits(w, 5, 5);
const cmode = (w: number): number => bits(w, 12, 4);
const op = (w: number): number => bits(w, 29, 1);

/** AdvSIMDExpandImm: the 64-bit pattern as [lo, hi]. */
export function expandImm(opBit: number, cm: number, imm: number): [number, number] {
  let lo: number;
  if (cm < 8) {
    lo = imm << (8 * (cm >> 1));
    return [lo, lo];
  }
  if (cm < 12) {
    lo = (imm << (8 * ((cm >> 1) & 1))) * 0x10001;
    return [lo | 0, lo | 0];
  }
  if (cm < 14) {
    const ones = cm === 12 ? 0xff : 0xffff;
    lo = (imm << (cm === 12 ? 8 : 16)) | ones;
    return [lo, lo];
  }
  if (cm === 14) {
    if (opBit === 0) {
      lo = imm * 0x01010101;
      return [lo | 0, lo | 0];
    }
    let l = 0;
    let h = 0;
    for (let i = 0; i < 4; i++) {
      if (((imm >> i) & 1) !== 0) l |= 0xff << (8 * i);
      if (((imm >> (i + 4)) & 1) !== 0) h |= 0xff << (8 * i);
    }
    return [l, h];
  }
  const a = (imm >> 7) & 1;
  const b = (imm >> 6) & 1;
  if (opBit === 0) {
    // Single precision: a:NOT(b):bbbbb:cdefgh:Zeros(19), repeated.
    lo = (a << 31) | ((b ^ 1) << 30) | ((b ? 0x1f : 0) << 25) | ((imm & 0x3f) << 19);
    return [lo, lo];
  }
  // Double precision: a:NOT(b):bbbbbbbb:cdefgh:Zeros(48).
  const hi = (a << 31) | ((b ^ 1) << 30) | ((b ? 0xff : 0) << 22) | ((imm & 0x3f) << 16);
  return [0, hi];
}

/** What the instruction does with the pattern. */
const MOVE = 0;
const INVERT = 1;
const OR = 2;
const AND_NOT = 3;

function actionOf(w: number): number {
  const cm = cmode(w);
  const logical = cm < 12 && (cm & 1) === 1;
  if (op(w) === 0) return logical ? OR : MOVE;
  if (logical) return AND_NOT;
  return cm >= 14 ? MOVE : INVERT;
}

function reserved(w: number): boolean {
  if (bits(w, 11, 1) === 1) return true; // o2: FMOV half precision (FP16)
  return op(w) === 1 && cmode(w) === 15 && qBit(w) === 0;
}

function modImmExec(w: number): ExecFn {
  const [pLo, pHi] = expandImm(op(w), cmode(w), imm8(w));
  const action = actionOf(w);
  const lo = action === INVERT ? ~pLo : pLo;
  const hi = action === INVERT ? ~pHi : pHi;
  const d = rd(w) * 4;
  const q = qBit(w);
  if (action === MOVE || action === INVERT) {
    return (cpu) => {
      checkFpAccess(cpu);
      const v = cpu.v32;
      v[d] = lo;
      v[d + 1] = hi;
      v[d + 2] = q === 1 ? lo : 0;
      v[d + 3] = q === 1 ? hi : 0;
    };
  }
  const or = action === OR;
  return (cpu) => {
    checkFpAccess(cpu);
    const v = cpu.v32;
    v[d] = or ? v[d] | lo : v[d] & ~lo;
    v[d + 1] = or ? v[d + 1] | hi : v[d + 1] & ~hi;
    v[d + 2] = q === 0 ? 0 : or ? v[d + 2] | lo : v[d + 2] & ~lo;
    v[d + 3] = q === 0 ? 0 : or ? v[d + 3] | hi : v[d + 3] & ~hi;
  };
}

/** objdump's `%.18e` rendering of an FMOV immediate. */
export function fpImmText(imm: number): string {
  const sign = (imm >> 7) & 1 ? -1 : 1;
  const exp = ((imm >> 4) & 7) ^ 4; // NOT(b):b:b pattern gives exponent -3..4
  const frac = 16 + (imm & 15);
  const value = (sign * frac * 2 ** (exp - 3)) / 16;
  const [mant, e] = value.toExponential(18).split('e');
  const en = Number(e);
  return `#${mant}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
}

function modImmDisasm(w: number): string {
  const cm = cmode(w);
  const q = qBit(w);
  const imm = imm8(w);
  const d = rd(w);
  const hex = `#0x${imm.toString(16)}`;
  const action = actionOf(w);
  const name = ['movi', 'mvni', 'orr', 'bic'][action];
  if (cm < 8) return `${name}\tv${d}.${q ? '4s' : '2s'}, ${hex}${cm >> 1 ? `, lsl #${8 * (cm >> 1)}` : ''}`;
  if (cm < 12) return `${name}\tv${d}.${q ? '8h' : '4h'}, ${hex}${(cm >> 1) & 1 ? ', lsl #8' : ''}`;
  if (cm < 14) return `${name}\tv${d}.${q ? '4s' : '2s'}, ${hex}, msl #${cm === 12 ? 8 : 16}`;
  if (cm === 14) {
    if (op(w) === 0) return `movi\tv${d}.${q ? '16b' : '8b'}, ${hex}`;
    const [lo, hi] = expandImm(1, 14, imm);
    return `movi\t${q ? `v${d}.2d` : `d${d}`}, #0x${hex64(lo, hi)}`;
  }
  return `fmov\tv${d}.${op(w) === 1 ? '2d' : q ? '4s' : '2s'}, ${fpImmText(imm)}`;
}

export const SIMD_MOD_IMM: InsnEntry[] = [
  entry('MOVI_family', '0xx0111100000xxxxxxxx1xxxxxxxxxx', { reserved, exec: modImmExec, disasm: modImmDisasm }),
];
