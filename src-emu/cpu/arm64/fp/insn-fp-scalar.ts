/**
 * Scalar FP data processing: 1-source (FMOV, FABS, FNEG, FSQRT, FCVT, FRINT*), 2-source (FADD...FNMUL),
 * 3-source (FMADD, FMSUB, FNMADD, FNMSUB), FCMP/FCMPE, FCCMP/FCCMPE, FCSEL and FMOV (immediate).
 * Single and double precision; half precision only as an FCVT source or destination (ARMv8.0).
 */
import type { Cpu } from '../cpu';
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { checkFpAccess } from '../exception-hooks';
import { conditionHolds } from '../insn/alu';
import { CONDITION_NAMES, bits, ra, rd, rm, rn } from '../insn/fields';
import { Format, Rounding } from './softfloat/status';
import type { FpFormat, FpStatus, RoundingMode } from './softfloat/status';
import { SIGN_BITS } from './softfloat/round';
import { f32Sqrt, f64Sqrt } from './softfloat/ops';
import { fpCompare } from './softfloat/compare';
import { fpConvert, fpRoundInt } from './softfloat/convert';
import { fpMulAdd } from './softfloat/fma';
import { FP2_NAMES, FP2_OPS } from './fp-ops';
import { fpEnter, fpLeave, scalarName } from './common';

/** ftype field (bits 23..22) to format: 00 single, 01 double, 11 half; 10 is unallocated. */
const FTYPE_FORMAT = [Format.SINGLE, Format.DOUBLE, -1, Format.HALF] as const;
/** Register-name size letter index per format (h, s, d). */
const NAME_SIZE = [1, 2, 3] as const;

const ftype = (w: number): number => FTYPE_FORMAT[bits(w, 22, 2)]!;
const fpName = (r: number, fmt: number): string => scalarName(r, NAME_SIZE[fmt]!);

/** Operand words of an FP register by format: lo (and hi for doubles). */
function readLo(cpu: Cpu, r: number, fmt: number): number {
  return fmt === Format.HALF ? cpu.v16[8 * r]! : cpu.v32[4 * r]!;
}

/** Writes st.lo/st.hi as a scalar of the format, clearing the rest of the vector register. */
function writeResult(cpu: Cpu, d: number, fmt: number, lo: number, hi: number): void {
  const v = cpu.v32;
  v[4 * d] = fmt === Format.HALF ? lo & 0xffff : lo;
  v[4 * d + 1] = fmt === Format.DOUBLE ? hi : 0;
  v[4 * d + 2] = 0;
  v[4 * d + 3] = 0;
}

function fp2Exec(w: number): ExecFn {
  const fmt = ftype(w) as FpFormat;
  const op = FP2_OPS[bits(w, 12, 4)]!;
  const d = rd(w);
  const n = rn(w);
  const m = rm(w);
  return (cpu) => {
    checkFpAccess(cpu);
    const st = fpEnter(cpu);
    const v = cpu.v32;
    op(st, fmt, v[4 * n]!, v[4 * n + 1]!, v[4 * m]!, v[4 * m + 1]!);
    writeResult(cpu, d, fmt, st.lo, st.hi);
    fpLeave(cpu, st);
  };
}

const FP1_NAMES = ['fmov', 'fabs', 'fneg', 'fsqrt'] as const;
const FRINT_NAMES = ['frintn', 'frintp', 'frintm', 'frintz', 'frinta', '', 'frintx', 'frinti'] as const;

/** 1-source kind: 0-3 FMOV/FABS/FNEG/FSQRT, 4 FCVT, 5 FRINT*, or -1 when unallocated. */
function fp1Kind(w: number): number {
  const fmt = ftype(w);
  const opcode = bits(w, 15, 6);
  if (fmt < 0) return -1;
  if (opcode >> 2 === 1) {
    const to = FTYPE_FORMAT[opcode & 3]!;
    return to < 0 || to === fmt ? -1 : 4;
  }
  if (fmt === Format.HALF) return -1;
  if (opcode < 4) return opcode;
  if (opcode >> 3 === 1 && opcode !== 0b001101) return 5;
  return -1;
}

function fp1Exec(w: number): ExecFn {
  const kind = fp1Kind(w);
  const fmt = ftype(w) as FpFormat;
  const d = rd(w);
  const n = rn(w);
  const signBit = SIGN_BITS[fmt];
  if (kind <= 2) {
    // FMOV, FABS, FNEG: bit operations, no exceptions, NaNs unchanged
    const and = kind === 1 ? ~signBit : -1;
    const xor = kind === 2 ? signBit : 0;
    return (cpu) => {
      checkFpAccess(cpu);
      const v = cpu.v32;
      if (fmt === Format.DOUBLE) writeResult(cpu, d, fmt, v[4 * n]!, (v[4 * n + 1]! & and) ^ xor);
      else writeResult(cpu, d, fmt, (v[4 * n]! & and) ^ xor, 0);
    };
  }
  if (kind === 3) {
    return (cpu) => {
      checkFpAccess(cpu);
      const st = fpEnter(cpu);
      const v = cpu.v32;
      if (fmt === Format.SINGLE) st.lo = f32Sqrt(st, v[4 * n]!);
      else f64Sqrt(st, v[4 * n]!, v[4 * n + 1]!);
      writeResult(cpu, d, fmt, st.lo, st.hi);
      fpLeave(cpu, st);
    };
  }
  if (kind === 4) {
    const to = FTYPE_FORMAT[bits(w, 15, 2)]! as FpFormat;
    return (cpu) => {
      checkFpAccess(cpu);
      const st = fpEnter(cpu);
      fpConvert(st, fmt, to, readLo(cpu, n, fmt), cpu.v32[4 * n + 1]!, st.rounding());
      writeResult(cpu, d, to, st.lo, st.hi);
      fpLeave(cpu, st);
    };
  }
  const rmode = bits(w, 15, 3);
  const exact = rmode === 6;
  const fixedMode = rmode < 5 ? (rmode === 1 ? Rounding.POSINF : rmode === 2 ? Rounding.NEGINF : rmode) : -1;
  return (cpu) => {
    checkFpAccess(cpu);
    const st = fpEnter(cpu);
    const mode = (fixedMode >= 0 ? fixedMode : st.rounding()) as RoundingMode;
    fpRoundInt(st, fmt, cpu.v32[4 * n]!, cpu.v32[4 * n + 1]!, mode, exact);
    writeResult(cpu, d, fmt, st.lo, st.hi);
    fpLeave(cpu, st);
  };
}

function fp1Disasm(w: number): string {
  const kind = fp1Kind(w);
  const fmt = ftype(w);
  if (kind === 4) return `fcvt\t${fpName(rd(w), FTYPE_FORMAT[bits(w, 15, 2)]!)}, ${fpName(rn(w), fmt)}`;
  const name = kind === 5 ? FRINT_NAMES[bits(w, 15, 3)] : FP1_NAMES[kind];
  return `${name}\t${fpName(rd(w), fmt)}, ${fpName(rn(w), fmt)}`;
}

/** FMADD/FMSUB/FNMADD/FNMSUB: o1 negates the addend and the product, o0 the product. */
function fp3Exec(w: number): ExecFn {
  const fmt = ftype(w) as FpFormat;
  const o1 = bits(w, 21, 1);
  const o0 = bits(w, 15, 1);
  const signBit = SIGN_BITS[fmt];
  const negA = o1 === 1 ? signBit : 0;
  const negN = o1 !== o0 ? signBit : 0;
  const d = rd(w);
  const n = rn(w);
  const m = rm(w);
  const a = ra(w);
  const dbl = fmt === Format.DOUBLE;
  return (cpu) => {
    checkFpAccess(cpu);
    const st = fpEnter(cpu);
    const v = cpu.v32;
    const aLo = dbl ? v[4 * a]! : v[4 * a]! ^ negA;
    const aHi = dbl ? v[4 * a + 1]! ^ negA : 0;
    const nLo = dbl ? v[4 * n]! : v[4 * n]! ^ negN;
    const nHi = dbl ? v[4 * n + 1]! ^ negN : 0;
    fpMulAdd(st, fmt, aLo, aHi, nLo, nHi, v[4 * m]!, v[4 * m + 1]!);
    writeResult(cpu, d, fmt, st.lo, st.hi);
    fpLeave(cpu, st);
  };
}

const FP3_NAMES = ['fmadd', 'fmsub', 'fnmadd', 'fnmsub'] as const;

/** Sets NZCV from FPCompare's 4-bit result. */
function setFlags(cpu: Cpu, nzcv: number): void {
  cpu.n = nzcv >> 3;
  cpu.z = (nzcv >> 2) & 1;
  cpu.c = (nzcv >> 1) & 1;
  cpu.v = nzcv & 1;
}

function compareOperands(st: FpStatus, cpu: Cpu, fmt: FpFormat, n: number, m: number, signal: boolean): number {
  const v = cpu.v32;
  const bLo = m < 0 ? 0 : v[4 * m]!;
  const bHi = m < 0 ? 0 : v[4 * m + 1]!;
  return fpCompare(st, fmt, v[4 * n]!, v[4 * n + 1]!, bLo, bHi, signal);
}

function fcmpExec(w: number): ExecFn {
  const fmt = ftype(w) as FpFormat;
  const n = rn(w);
  const m = bits(w, 3, 1) === 1 ? -1 : rm(w);
  const signal = bits(w, 4, 1) === 1;
  return (cpu) => {
    checkFpAccess(cpu);
    const st = fpEnter(cpu);
    setFlags(cpu, compareOperands(st, cpu, fmt, n, m, signal));
    fpLeave(cpu, st);
  };
}

function fcmpDisasm(w: number): string {
  const fmt = ftype(w);
  const name = bits(w, 4, 1) ? 'fcmpe' : 'fcmp';
  const second = bits(w, 3, 1) ? '#0.0' : fpName(rm(w), fmt);
  return `${name}\t${fpName(rn(w), fmt)}, ${second}`;
}

function fccmpExec(w: number): ExecFn {
  const fmt = ftype(w) as FpFormat;
  const n = rn(w);
  const m = rm(w);
  const cond = bits(w, 12, 4);
  const signal = bits(w, 4, 1) === 1;
  const nzcv = w & 15;
  return (cpu) => {
    checkFpAccess(cpu);
    if (!conditionHolds(cpu, cond)) {
      setFlags(cpu, nzcv);
      return;
    }
    const st = fpEnter(cpu);
    setFlags(cpu, compareOperands(st, cpu, fmt, n, m, signal));
    fpLeave(cpu, st);
  };
}

function fcselExec(w: number): ExecFn {
  const fmt = ftype(w);
  const d = rd(w);
  const n = rn(w);
  const m = rm(w);
  const cond = bits(w, 12, 4);
  return (cpu) => {
    checkFpAccess(cpu);
    const s = conditionHolds(cpu, cond) ? n : m;
    writeResult(cpu, d, fmt, cpu.v32[4 * s]!, cpu.v32[4 * s + 1]!);
  };
}

/** VFPExpandImm: the 8-bit FMOV immediate as single (returns bits) or double (returns the high word). */
export function expandFpImm(imm8: number, fmt: number): number {
  const sign = imm8 >> 7;
  const b6 = (imm8 >> 6) & 1;
  const low = imm8 & 0x3f;
  if (fmt === Format.DOUBLE) {
    const exp = ((b6 ^ 1) << 10) | (b6 ? 0x3fc : 0) | ((low >> 4) & 3);
    return (sign << 31) | (exp << 20) | ((low & 15) << 16);
  }
  const exp = ((b6 ^ 1) << 7) | (b6 ? 0x7c : 0) | ((low >> 4) & 3);
  return (sign << 31) | (exp << 23) | ((low & 15) << 19);
}

/** objdump's text for an FP immediate: C's %.18e (exponent with at least two digits). */
export function fpImmText(imm8: number): string {
  const sign = imm8 >> 7 ? -1 : 1;
  const value = (sign * (16 + (imm8 & 15)) * 2 ** (((imm8 >> 4) & 7) ^ 4)) / 128;
  return `#${value.toExponential(18).replace(/e([+-])(\d)$/, 'e$10$2')}`;
}

function fmovImmExec(w: number): ExecFn {
  const fmt = ftype(w);
  const d = rd(w);
  const imm = expandFpImm(bits(w, 13, 8), fmt);
  return (cpu) => {
    checkFpAccess(cpu);
    if (fmt === Format.DOUBLE) writeResult(cpu, d, fmt, 0, imm);
    else writeResult(cpu, d, fmt, imm, 0);
  };
}

const sdOnly = (w: number): boolean => bits(w, 22, 2) > 1;

export const FP_SCALAR: InsnEntry[] = [
  entry('FP_dp2', '00011110 xx1xxxxx xxxx10xx xxxxxxxx', {
    reserved: (w) => sdOnly(w) || bits(w, 12, 4) > 8,
    exec: fp2Exec,
    disasm: (w) => {
      const fmt = ftype(w);
      const names = `${fpName(rd(w), fmt)}, ${fpName(rn(w), fmt)}, ${fpName(rm(w), fmt)}`;
      return `${FP2_NAMES[bits(w, 12, 4)]}\t${names}`;
    },
  }),
  entry('FP_dp1', '00011110 xx1xxxxx x10000xx xxxxxxxx', {
    reserved: (w) => fp1Kind(w) < 0,
    exec: fp1Exec,
    disasm: fp1Disasm,
  }),
  entry('FP_dp3', '00011111 xxxxxxxx xxxxxxxx xxxxxxxx', {
    reserved: sdOnly,
    exec: fp3Exec,
    disasm: (w) => {
      const fmt = ftype(w);
      const name = FP3_NAMES[(bits(w, 21, 1) << 1) | bits(w, 15, 1)];
      const regs = [rd(w), rn(w), rm(w), ra(w)].map((r) => fpName(r, fmt)).join(', ');
      return `${name}\t${regs}`;
    },
  }),
  entry('FP_compare', '00011110 xx1xxxxx 001000xx xxxxx000', {
    reserved: (w) => sdOnly(w) || (bits(w, 3, 1) === 1 && rm(w) !== 0),
    exec: fcmpExec,
    disasm: fcmpDisasm,
  }),
  entry('FP_ccmp', '00011110 xx1xxxxx xxxx01xx xxxxxxxx', {
    reserved: sdOnly,
    exec: fccmpExec,
    disasm: (w) => {
      const fmt = ftype(w);
      const name = bits(w, 4, 1) ? 'fccmpe' : 'fccmp';
      const nzcv = `#0x${(w & 15).toString(16)}`;
      return `${name}\t${fpName(rn(w), fmt)}, ${fpName(rm(w), fmt)}, ${nzcv}, ${CONDITION_NAMES[bits(w, 12, 4)]}`;
    },
  }),
  entry('FP_csel', '00011110 xx1xxxxx xxxx11xx xxxxxxxx', {
    reserved: sdOnly,
    exec: fcselExec,
    disasm: (w) => {
      const fmt = ftype(w);
      const regs = `${fpName(rd(w), fmt)}, ${fpName(rn(w), fmt)}, ${fpName(rm(w), fmt)}`;
      return `fcsel\t${regs}, ${CONDITION_NAMES[bits(w, 12, 4)]}`;
    },
  }),
  entry('FP_imm', '00011110 xx1xxxxx xxx10000 000xxxxx', {
    reserved: sdOnly,
    exec: fmovImmExec,
    disasm: (w) => `fmov\t${fpName(rd(w), ftype(w))}, ${fpImmText(bits(w, 13, 8))}`,
  }),
];
