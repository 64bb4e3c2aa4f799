/**
 * Conversions between FP and general registers: SCVTF/UCVTF and FCVT{N,P,M,Z,A}{S,U}, plus their
 * fixed-point forms (SCVTF/UCVTF/FCVTZS/FCVTZU with #fbits). FMOV (general) is in ../simd/copy.ts.
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { checkFpAccess } from '../exception-hooks';
import { bits, rd, readSlot, regName, rn, writeSlot } from '../insn/fields';
import { Format, Rounding } from './softfloat/status';
import type { FpFormat, RoundingMode } from './softfloat/status';
import { fixedToFp, fpToFixed } from './softfloat/convert';
import { fpEnter, fpLeave, scalarName } from './common';

const FTYPE_FORMAT = [Format.SINGLE, Format.DOUBLE, -1, Format.HALF] as const;
const NAME_SIZE = [1, 2, 3] as const;
const fpName = (r: number, fmt: number): string => scalarName(r, NAME_SIZE[fmt]!);

/** Kind of an integer conversion word: by rmode:opcode (bits 20..16). */
const CVT_NAMES: Record<number, string> = {
  0b00000: 'fcvtns',
  0b00001: 'fcvtnu',
  0b00010: 'scvtf',
  0b00011: 'ucvtf',
  0b00100: 'fcvtas',
  0b00101: 'fcvtau',
  0b01000: 'fcvtps',
  0b01001: 'fcvtpu',
  0b10000: 'fcvtms',
  0b10001: 'fcvtmu',
  0b11000: 'fcvtzs',
  0b11001: 'fcvtzu',
};
const CVT_MODE: RoundingMode[] = [Rounding.TIEEVEN, Rounding.POSINF, Rounding.NEGINF, Rounding.ZERO];

function intReserved(w: number): boolean {
  const fmt = FTYPE_FORMAT[bits(w, 22, 2)]!;
  return fmt < 0 || fmt === Format.HALF || CVT_NAMES[bits(w, 16, 5)] === undefined;
}

/** SCVTF/UCVTF and FCVT*S/U, integer (fbits = 0) or fixed-point forms. */
function cvtExec(w: number, fbits: number): ExecFn {
  const op = bits(w, 16, 5);
  const fmt = FTYPE_FORMAT[bits(w, 22, 2)]! as FpFormat;
  const is64 = bits(w, 31, 1) === 1;
  const unsigned = (op & 1) === 1;
  const d = rd(w);
  const n = rn(w);
  if ((op & 6) === 2) {
    const s = readSlot(n);
    return (cpu) => {
      checkFpAccess(cpu);
      const st = fpEnter(cpu);
      fixedToFp(st, fmt, cpu.x[s]!, cpu.x[s + 1]!, fbits, unsigned, is64, st.rounding());
      const v = cpu.v32;
      v[4 * d] = st.lo;
      v[4 * d + 1] = fmt === Format.DOUBLE ? st.hi : 0;
      v[4 * d + 2] = 0;
      v[4 * d + 3] = 0;
      fpLeave(cpu, st);
    };
  }
  const mode = (op & 4) !== 0 ? Rounding.TIEAWAY : CVT_MODE[op >> 3]!;
  const t = writeSlot(d);
  return (cpu) => {
    checkFpAccess(cpu);
    const st = fpEnter(cpu);
    const lo = fpToFixed(st, fmt, cpu.v32[4 * n]!, cpu.v32[4 * n + 1]!, fbits, unsigned, is64, mode);
    cpu.x[t] = lo;
    cpu.x[t + 1] = is64 ? st.hi : 0;
    fpLeave(cpu, st);
  };
}

function cvtDisasm(w: number, fbits: number): string {
  const op = bits(w, 16, 5);
  const fmt = FTYPE_FORMAT[bits(w, 22, 2)]!;
  const gen = (r: number): string => regName(r, bits(w, 31, 1) === 1);
  const suffix = fbits > 0 ? `, #${fbits}` : '';
  const name = CVT_NAMES[op]!;
  if ((op & 6) === 2) return `${name}\t${fpName(rd(w), fmt)}, ${gen(rn(w))}${suffix}`;
  return `${name}\t${gen(rd(w))}, ${fpName(rn(w), fmt)}${suffix}`;
}

/** Fixed-point forms exist for SCVTF/UCVTF (rmode 00) and FCVTZS/FCVTZU (rmode 11); scale >= 32 for W. */
function fixedReserved(w: number): boolean {
  const op = bits(w, 16, 5);
  const fmt = FTYPE_FORMAT[bits(w, 22, 2)]!;
  if (fmt < 0 || fmt === Format.HALF) return true;
  if (op !== 0b00010 && op !== 0b00011 && op !== 0b11000 && op !== 0b11001) return true;
  return bits(w, 31, 1) === 0 && bits(w, 15, 1) === 0;
}

const fixedBits = (w: number): number => 64 - bits(w, 10, 6);

export const FP_CONVERT: InsnEntry[] = [
  entry('FP_int_convert', 'x0011110 xx1xxxxx 000000xx xxxxxxxx', {
    reserved: intReserved,
    exec: (w) => cvtExec(w, 0),
    disasm: (w) => cvtDisasm(w, 0),
  }),
  entry('FP_fixed_convert', 'x0011110 xx0xxxxx xxxxxxxx xxxxxxxx', {
    reserved: fixedReserved,
    exec: (w) => cvtExec(w, fixedBits(w)),
    disasm: (w) => cvtDisasm(w, fixedBits(w)),
  }),
];
