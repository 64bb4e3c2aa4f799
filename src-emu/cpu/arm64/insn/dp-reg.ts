/**
 * Data processing, register (part 1): logical (shifted register), ADD/SUB (shifted and extended register),
 * ADC/SBC(S), conditional compare (register and immediate) and conditional select.
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import {
  adc32,
  adc64,
  adcs32,
  adcs64,
  conditionHolds,
  EXTEND_NAMES,
  logicFlags32,
  logicFlags64,
  SHIFT_NAMES,
} from './alu';
import { CONDITION_NAMES, bits, rd, readSlot, regName, rm, rn, writeSlot } from './fields';
import { extendHi, extendLo, shifted32, shiftedHi, shiftedLo } from './operand';

const is64 = (w: number): boolean => w >>> 31 === 1;

function shiftSuffix(w: number, always: boolean): string {
  const amount = bits(w, 10, 6);
  const type = bits(w, 22, 2);
  return amount === 0 && type === 0 && !always ? '' : `, ${SHIFT_NAMES[type]} #${amount}`;
}

// --- logical (shifted register) ------------------------------------------------------------------------

/** op = opc << 1 | N: AND BIC ORR ORN EOR EON ANDS BICS. */
function logicalRegExec(w: number): ExecFn {
  const wide = is64(w);
  const op = (bits(w, 29, 2) << 1) | bits(w, 21, 1);
  const type = bits(w, 22, 2);
  const s = bits(w, 10, 6);
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w));
  if (op === 2 && s === 0 && rn(w) === 31) {
    // MOV (register): the common case gets its own closure.
    return wide
      ? (cpu) => {
          const x = cpu.x;
          x[d] = x[m];
          x[d + 1] = x[m + 1];
        }
      : (cpu) => {
          cpu.x[d] = cpu.x[m];
          cpu.x[d + 1] = 0;
        };
  }
  if (!wide) {
    return (cpu) => {
      const x = cpu.x;
      const r = logic32(op, x[n], shifted32(type, x[m], s));
      x[d] = r;
      x[d + 1] = 0;
      if (op >= 6) logicFlags32(cpu, r);
    };
  }
  return (cpu) => {
    const x = cpu.x;
    const mLo = x[m];
    const mHi = x[m + 1];
    const bLo = s === 0 ? mLo : shiftedLo(type, mLo, mHi, s);
    const bHi = s === 0 ? mHi : shiftedHi(type, mLo, mHi, s);
    const lo = logic32(op, x[n], bLo);
    const hi = logic32(op, x[n + 1], bHi);
    x[d] = lo;
    x[d + 1] = hi;
    if (op >= 6) logicFlags64(cpu, lo, hi);
  };
}

function logic32(op: number, a: number, b: number): number {
  switch (op) {
    case 0:
    case 6:
      return a & b;
    case 1:
    case 7:
      return a & ~b;
    case 2:
      return a | b;
    case 3:
      return a | ~b;
    case 4:
      return a ^ b;
    default:
      return a ^ ~b;
  }
}

function logicalRegDisasm(w: number): string {
  const x = is64(w);
  const op = (bits(w, 29, 2) << 1) | bits(w, 21, 1);
  const dN = regName(rd(w), x);
  const nN = regName(rn(w), x);
  const mN = regName(rm(w), x);
  const sh = shiftSuffix(w, false);
  if (op === 2 && rn(w) === 31 && sh === '') return `mov\t${dN}, ${mN}`;
  if (op === 3 && rn(w) === 31) return `mvn\t${dN}, ${mN}${sh}`;
  if (op === 6 && rd(w) === 31) return `tst\t${nN}, ${mN}${sh}`;
  return `${['and', 'bic', 'orr', 'orn', 'eor', 'eon', 'ands', 'bics'][op]}\t${dN}, ${nN}, ${mN}${sh}`;
}

const LOGICAL_REG = entry('LOGICAL_reg', 'xxx01010 xxxxxxxx xxxxxxxx xxxxxxxx', {
  reserved: (w) => !is64(w) && bits(w, 15, 1) === 1,
  exec: logicalRegExec,
  disasm: logicalRegDisasm,
});

// --- ADD/SUB (shifted register) ------------------------------------------------------------------------

function addSubShiftedExec(w: number): ExecFn {
  const wide = is64(w);
  const sub = bits(w, 30, 1) === 1;
  const flags = bits(w, 29, 1) === 1;
  const type = bits(w, 22, 2);
  const s = bits(w, 10, 6);
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w));
  const inv = sub ? -1 : 0;
  const cin = sub ? 1 : 0;
  if (!wide) {
    return flags
      ? (cpu) => adcs32(cpu, d, cpu.x[n], shifted32(type, cpu.x[m], s) ^ inv, cin)
      : (cpu) => adc32(cpu, d, cpu.x[n], shifted32(type, cpu.x[m], s) ^ inv, cin);
  }
  if (s === 0) {
    return flags
      ? (cpu) => adcs64(cpu, d, cpu.x[n], cpu.x[n + 1], cpu.x[m] ^ inv, cpu.x[m + 1] ^ inv, cin)
      : (cpu) => adc64(cpu, d, cpu.x[n], cpu.x[n + 1], cpu.x[m] ^ inv, cpu.x[m + 1] ^ inv, cin);
  }
  return (cpu) => {
    const x = cpu.x;
    const mLo = x[m];
    const mHi = x[m + 1];
    const bLo = shiftedLo(type, mLo, mHi, s) ^ inv;
    const bHi = shiftedHi(type, mLo, mHi, s) ^ inv;
    if (flags) adcs64(cpu, d, x[n], x[n + 1], bLo, bHi, cin);
    else adc64(cpu, d, x[n], x[n + 1], bLo, bHi, cin);
  };
}

function addSubShiftedDisasm(w: number): string {
  const x = is64(w);
  const sub = bits(w, 30, 1) === 1;
  const flags = bits(w, 29, 1) === 1;
  const dN = regName(rd(w), x);
  const nN = regName(rn(w), x);
  const mN = regName(rm(w), x);
  const sh = shiftSuffix(w, false);
  if (flags && rd(w) === 31) return `${sub ? 'cmp' : 'cmn'}\t${nN}, ${mN}${sh}`;
  if (sub && rn(w) === 31) return `neg${flags ? 's' : ''}\t${dN}, ${mN}${sh}`;
  return `${sub ? 'sub' : 'add'}${flags ? 's' : ''}\t${dN}, ${nN}, ${mN}${sh}`;
}

const ADD_SUB_SHIFTED = entry('ADDSUB_shifted', 'xxx01011 xx0xxxxx xxxxxxxx xxxxxxxx', {
  reserved: (w) => bits(w, 22, 2) === 3 || (!is64(w) && bits(w, 15, 1) === 1),
  exec: addSubShiftedExec,
  disasm: addSubShiftedDisasm,
});

// --- ADD/SUB (extended register) -----------------------------------------------------------------------

function addSubExtendedExec(w: number): ExecFn {
  const wide = is64(w);
  const sub = bits(w, 30, 1) === 1;
  const flags = bits(w, 29, 1) === 1;
  const option = bits(w, 13, 3);
  const s = bits(w, 10, 3);
  const n = readSlot(rn(w), true);
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w), !flags);
  const inv = sub ? -1 : 0;
  const cin = sub ? 1 : 0;
  return (cpu) => {
    const x = cpu.x;
    const mLo = x[m];
    const eLo = extendLo(option, mLo);
    const eHi = extendHi(option, mLo, x[m + 1]);
    const bLo = shiftedLo(0, eLo, eHi, s) ^ inv;
    if (!wide) {
      if (flags) adcs32(cpu, d, x[n], bLo, cin);
      else adc32(cpu, d, x[n], bLo, cin);
      return;
    }
    const bHi = shiftedHi(0, eLo, eHi, s) ^ inv;
    if (flags) adcs64(cpu, d, x[n], x[n + 1], bLo, bHi, cin);
    else adc64(cpu, d, x[n], x[n + 1], bLo, bHi, cin);
  };
}

function addSubExtendedDisasm(w: number): string {
  const x = is64(w);
  const sub = bits(w, 30, 1) === 1;
  const flags = bits(w, 29, 1) === 1;
  const option = bits(w, 13, 3);
  const s = bits(w, 10, 3);
  const dN = regName(rd(w), x, !flags);
  const nN = regName(rn(w), x, true);
  const mN = regName(rm(w), x && (option & 3) === 3);
  // With SP as Rd or Rn, the natural-size UXT is shown as LSL (omitted when the shift is 0).
  const spInvolved = rn(w) === 31 || (!flags && rd(w) === 31);
  let ext: string;
  if (spInvolved && option === (x ? 3 : 2)) ext = s === 0 ? '' : `, lsl #${s}`;
  else ext = `, ${EXTEND_NAMES[option]}${s === 0 ? '' : ` #${s}`}`;
  if (flags && rd(w) === 31) return `${sub ? 'cmp' : 'cmn'}\t${nN}, ${mN}${ext}`;
  return `${sub ? 'sub' : 'add'}${flags ? 's' : ''}\t${dN}, ${nN}, ${mN}${ext}`;
}

const ADD_SUB_EXTENDED = entry('ADDSUB_extended', 'xxx01011 001xxxxx xxxxxxxx xxxxxxxx', {
  reserved: (w) => bits(w, 10, 3) > 4,
  exec: addSubExtendedExec,
  disasm: addSubExtendedDisasm,
});

// --- ADC/SBC -------------------------------------------------------------------------------------------

function carryExec(w: number): ExecFn {
  const wide = is64(w);
  const sub = bits(w, 30, 1) === 1;
  const flags = bits(w, 29, 1) === 1;
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w));
  const inv = sub ? -1 : 0;
  if (!wide) {
    return flags
      ? (cpu) => adcs32(cpu, d, cpu.x[n], cpu.x[m] ^ inv, cpu.c)
      : (cpu) => adc32(cpu, d, cpu.x[n], cpu.x[m] ^ inv, cpu.c);
  }
  return flags
    ? (cpu) => adcs64(cpu, d, cpu.x[n], cpu.x[n + 1], cpu.x[m] ^ inv, cpu.x[m + 1] ^ inv, cpu.c)
    : (cpu) => adc64(cpu, d, cpu.x[n], cpu.x[n + 1], cpu.x[m] ^ inv, cpu.x[m + 1] ^ inv, cpu.c);
}

function carryDisasm(w: number): string {
  const x = is64(w);
  const sub = bits(w, 30, 1) === 1;
  const s = bits(w, 29, 1) === 1 ? 's' : '';
  const dN = regName(rd(w), x);
  if (sub && rn(w) === 31) return `ngc${s}\t${dN}, ${regName(rm(w), x)}`;
  return `${sub ? 'sbc' : 'adc'}${s}\t${dN}, ${regName(rn(w), x)}, ${regName(rm(w), x)}`;
}

const ADC_SBC = entry('ADC_SBC', 'xxx11010 000xxxxx 000000xx xxxxxxxx', { exec: carryExec, disasm: carryDisasm });

// --- conditional compare -------------------------------------------------------------------------------

function condCompareExec(w: number): ExecFn {
  const wide = is64(w);
  const sub = bits(w, 30, 1) === 1;
  const immediate = bits(w, 11, 1) === 1;
  const cond = bits(w, 12, 4);
  const nzcv = bits(w, 0, 4) << 28;
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const imm = rm(w);
  const d = writeSlot(31);
  const inv = sub ? -1 : 0;
  const cin = sub ? 1 : 0;
  return (cpu) => {
    if (!conditionHolds(cpu, cond)) {
      cpu.setNzcv(nzcv);
      return;
    }
    const x = cpu.x;
    const bLo = (immediate ? imm : x[m]) ^ inv;
    if (wide) adcs64(cpu, d, x[n], x[n + 1], bLo, (immediate ? 0 : x[m + 1]) ^ inv, cin);
    else adcs32(cpu, d, x[n], bLo, cin);
  };
}

function condCompareDisasm(w: number): string {
  const x = is64(w);
  const name = bits(w, 30, 1) === 1 ? 'ccmp' : 'ccmn';
  const second = bits(w, 11, 1) === 1 ? `#0x${rm(w).toString(16)}` : regName(rm(w), x);
  return `${name}\t${regName(rn(w), x)}, ${second}, #0x${bits(w, 0, 4).toString(16)}, ${CONDITION_NAMES[bits(w, 12, 4)]}`;
}

const COND_COMPARE = entry('COND_COMPARE', 'xx111010 010xxxxx xxxx x0xx xxx0xxxx', {
  exec: condCompareExec,
  disasm: condCompareDisasm,
});

// --- conditional select --------------------------------------------------------------------------------

/** op = op << 1 | o2: CSEL CSINC CSINV CSNEG. */
function condSelectExec(w: number): ExecFn {
  const wide = is64(w);
  const op = (bits(w, 30, 1) << 1) | bits(w, 10, 1);
  const cond = bits(w, 12, 4);
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w));
  const himask = wide ? -1 : 0;
  return (cpu) => {
    const x = cpu.x;
    if (conditionHolds(cpu, cond)) {
      const lo = x[n];
      x[d + 1] = x[n + 1] & himask;
      x[d] = lo;
      return;
    }
    let lo = x[m];
    let hi = x[m + 1] & himask;
    if (op === 1) {
      lo = (lo + 1) | 0;
      if (lo === 0) hi = (hi + 1) & himask;
    } else if (op === 2) {
      lo = ~lo;
      hi = ~hi & himask;
    } else if (op === 3) {
      lo = -lo | 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) & himask;
    }
    x[d] = lo;
    x[d + 1] = hi;
  };
}

function condSelectDisasm(w: number): string {
  const x = is64(w);
  const op = (bits(w, 30, 1) << 1) | bits(w, 10, 1);
  const cond = bits(w, 12, 4);
  const dN = regName(rd(w), x);
  const nN = regName(rn(w), x);
  const inverted = CONDITION_NAMES[cond ^ 1];
  if (op !== 0 && rn(w) === rm(w) && cond < 14) {
    if (rn(w) === 31 && op !== 3) return `${op === 1 ? 'cset' : 'csetm'}\t${dN}, ${inverted}`;
    return `${['', 'cinc', 'cinv', 'cneg'][op]}\t${dN}, ${nN}, ${inverted}`;
  }
  return `${['csel', 'csinc', 'csinv', 'csneg'][op]}\t${dN}, ${nN}, ${regName(rm(w), x)}, ${CONDITION_NAMES[cond]}`;
}

const COND_SELECT = entry('COND_SELECT', 'xx011010 100xxxxx xxxx0xxx xxxxxxxx', {
  exec: condSelectExec,
  disasm: condSelectDisasm,
});

export const DP_REG: InsnEntry[] = [LOGICAL_REG, ADD_SUB_SHIFTED, ADD_SUB_EXTENDED, ADC_SBC, COND_COMPARE, COND_SELECT];
