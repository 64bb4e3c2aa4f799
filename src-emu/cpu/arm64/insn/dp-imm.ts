/**
 * Data processing, immediate: ADR/ADRP, ADD/SUB (immediate), logical (immediate), move wide, bitfield
 * moves and EXTR (ARM ARM C4.1.86).
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { lsrHi, lsrLo, shlHi, shlLo } from '../int64';
import { adc32, adc64, adcs32, adcs64, logicFlags32, logicFlags64 } from './alu';
import { BITFIELD } from './bitfield';
import { decodeBitMasks, moveWidePreferred } from './bitmask';
import { bits, hex64, immHex, pcTarget, rd, readSlot, regName, rn, rm, signExtend, writeSlot } from './fields';

// --- ADR / ADRP ----------------------------------------------------------------------------------------

function adrOffset(w: number): number {
  return signExtend((bits(w, 5, 19) << 2) | bits(w, 29, 2), 21);
}

/** x[d] = base + offset, offset split at decode into lo/hi words. */
function pcRelative(d: number, offset: number, page: boolean): ExecFn {
  const offLo = offset | 0;
  const offHi = Math.floor(offset / 0x1_0000_0000) | 0;
  return (cpu) => {
    const baseLo = page ? cpu.pcLo & ~0xfff : cpu.pcLo;
    const lo = (baseLo >>> 0) + (offLo >>> 0);
    const x = cpu.x;
    x[d] = lo | 0;
    x[d + 1] = (cpu.pcHi + offHi + (lo > 0xffffffff ? 1 : 0)) | 0;
  };
}

const ADR = entry('ADR', '0xx10000 xxxxxxxx xxxxxxxx xxxxxxxx', {
  exec: (w) => pcRelative(writeSlot(rd(w)), adrOffset(w), false),
  disasm: (w, lo, hi) => `adr\t${regName(rd(w), true)}, ${pcTarget(lo, hi, adrOffset(w))}`,
});

const ADRP = entry('ADRP', '1xx10000 xxxxxxxx xxxxxxxx xxxxxxxx', {
  exec: (w) => pcRelative(writeSlot(rd(w)), adrOffset(w) * 4096, true),
  disasm: (w, lo, hi) => `adrp\t${regName(rd(w), true)}, ${pcTarget(lo & ~0xfff, hi, adrOffset(w) * 4096)}`,
});

// --- ADD/SUB (immediate) -----------------------------------------------------------------------------

function addSubImmValue(w: number): number {
  return bits(w, 10, 12) * (bits(w, 22, 1) === 1 ? 4096 : 1);
}

function addSubImmExec(w: number): ExecFn {
  const is64 = w >>> 31 === 1;
  const sub = bits(w, 30, 1) === 1;
  const flags = bits(w, 29, 1) === 1;
  const n = readSlot(rn(w), true);
  const d = writeSlot(rd(w), !flags);
  const imm = addSubImmValue(w);
  // SUB is Rn + NOT(imm) + 1.
  const bLo = sub ? ~imm : imm;
  const bHi = sub ? -1 : 0;
  const cin = sub ? 1 : 0;
  if (is64) {
    if (flags) return (cpu) => adcs64(cpu, d, cpu.x[n], cpu.x[n + 1], bLo, bHi, cin);
    if (!sub) {
      return (cpu) => {
        const x = cpu.x;
        const lo = (x[n] >>> 0) + imm;
        const hi = x[n + 1];
        x[d] = lo | 0;
        x[d + 1] = (hi + (lo > 0xffffffff ? 1 : 0)) | 0;
      };
    }
    return (cpu) => adc64(cpu, d, cpu.x[n], cpu.x[n + 1], bLo, bHi, cin);
  }
  if (flags) return (cpu) => adcs32(cpu, d, cpu.x[n], bLo, cin);
  return (cpu) => adc32(cpu, d, cpu.x[n], bLo, cin);
}

function addSubImmDisasm(w: number): string {
  const is64 = w >>> 31 === 1;
  const sub = bits(w, 30, 1) === 1;
  const flags = bits(w, 29, 1) === 1;
  const shift = bits(w, 22, 1) === 1 ? ', lsl #12' : '';
  const imm = `${immHex(bits(w, 10, 12))}${shift}`;
  const dName = regName(rd(w), is64, !flags);
  const nName = regName(rn(w), is64, true);
  if (!sub && !flags && shift === '' && bits(w, 10, 12) === 0 && (rd(w) === 31 || rn(w) === 31)) {
    return `mov\t${dName}, ${nName}`;
  }
  if (flags && rd(w) === 31) return `${sub ? 'cmp' : 'cmn'}\t${nName}, ${imm}`;
  return `${sub ? 'sub' : 'add'}${flags ? 's' : ''}\t${dName}, ${nName}, ${imm}`;
}

const ADD_SUB_IMM = entry('ADDSUB_imm', 'xxx10001 0xxxxxxx xxxxxxxx xxxxxxxx', {
  exec: addSubImmExec,
  disasm: addSubImmDisasm,
});

// --- logical (immediate) -----------------------------------------------------------------------------

const masks = new Int32Array(4);

function logicalImmReserved(w: number): boolean {
  const n = bits(w, 22, 1);
  if (w >>> 31 === 0 && n === 1) return true;
  return !decodeBitMasks(n, bits(w, 10, 6), bits(w, 16, 6), true, masks);
}

function logicalImmExec(w: number): ExecFn {
  const is64 = w >>> 31 === 1;
  const opc = bits(w, 29, 2);
  decodeBitMasks(bits(w, 22, 1), bits(w, 10, 6), bits(w, 16, 6), true, masks);
  const iLo = masks[0];
  const iHi = is64 ? masks[1] : 0;
  const n = readSlot(rn(w));
  const d = writeSlot(rd(w), opc !== 3);
  switch (opc) {
    case 0:
      return (cpu) => {
        const x = cpu.x;
        x[d] = x[n] & iLo;
        x[d + 1] = x[n + 1] & iHi;
      };
    case 1:
      return (cpu) => {
        const x = cpu.x;
        x[d] = x[n] | iLo;
        x[d + 1] = (x[n + 1] | iHi) & (is64 ? -1 : 0);
      };
    case 2:
      return (cpu) => {
        const x = cpu.x;
        x[d] = x[n] ^ iLo;
        x[d + 1] = (x[n + 1] ^ iHi) & (is64 ? -1 : 0);
      };
    default:
      return is64
        ? (cpu) => {
            const x = cpu.x;
            const lo = x[n] & iLo;
            const hi = x[n + 1] & iHi;
            x[d] = lo;
            x[d + 1] = hi;
            logicFlags64(cpu, lo, hi);
          }
        : (cpu) => {
            const x = cpu.x;
            const r = x[n] & iLo;
            x[d] = r;
            x[d + 1] = 0;
            logicFlags32(cpu, r);
          };
  }
}

function logicalImmDisasm(w: number): string {
  const is64 = w >>> 31 === 1;
  const opc = bits(w, 29, 2);
  const immN = bits(w, 22, 1);
  const imms = bits(w, 10, 6);
  const immr = bits(w, 16, 6);
  decodeBitMasks(immN, imms, immr, true, masks);
  const value = is64 ? hex64(masks[0], masks[1]) : (masks[0] >>> 0).toString(16);
  const dName = regName(rd(w), is64, opc !== 3);
  const nName = regName(rn(w), is64);
  if (opc === 3 && rd(w) === 31) return `tst\t${nName}, #0x${value}`;
  // MOVZ/MOVN cannot write SP, so with Rd = SP the ORR form is shown as MOV whatever the value.
  if (opc === 1 && rn(w) === 31 && (rd(w) === 31 || !moveWidePreferred(w >>> 31, immN, imms, immr))) {
    return `mov\t${dName}, #0x${value}`;
  }
  return `${['and', 'orr', 'eor', 'ands'][opc]}\t${dName}, ${nName}, #0x${value}`;
}

const LOGICAL_IMM = entry('LOGICAL_imm', 'xxx10010 0xxxxxxx xxxxxxxx xxxxxxxx', {
  reserved: logicalImmReserved,
  exec: logicalImmExec,
  disasm: logicalImmDisasm,
});

// --- move wide -----------------------------------------------------------------------------------------

function moveWideReserved(w: number): boolean {
  return bits(w, 29, 2) === 1 || (w >>> 31 === 0 && bits(w, 21, 2) >= 2);
}

function moveWideExec(w: number): ExecFn {
  const is64 = w >>> 31 === 1;
  const opc = bits(w, 29, 2);
  const shift = bits(w, 21, 2) * 16;
  const imm = bits(w, 5, 16);
  const d = writeSlot(rd(w));
  const lo = shlLo(imm, 0, shift);
  const hi = shlHi(imm, 0, shift);
  if (opc === 3) {
    // MOVK: replace one halfword.
    const keepLo = ~shlLo(0xffff, 0, shift);
    const keepHi = ~shlHi(0xffff, 0, shift);
    return (cpu) => {
      const x = cpu.x;
      x[d] = (x[d] & keepLo) | lo;
      x[d + 1] = is64 ? (x[d + 1] & keepHi) | hi : 0;
    };
  }
  // MOVN (opc 0) writes the inverse, MOVZ (opc 2) the value.
  const valueLo = opc === 2 ? lo : ~lo;
  const valueHi = is64 ? (opc === 2 ? hi : ~hi) : 0;
  return (cpu) => {
    cpu.x[d] = valueLo;
    cpu.x[d + 1] = valueHi;
  };
}

function moveWideDisasm(w: number): string {
  const is64 = w >>> 31 === 1;
  const opc = bits(w, 29, 2);
  const hw = bits(w, 21, 2);
  const imm = bits(w, 5, 16);
  const dName = regName(rd(w), is64);
  const shifted = `${immHex(imm)}${hw !== 0 ? `, lsl #${hw * 16}` : ''}`;
  if (opc === 3) return `movk\t${dName}, ${shifted}`;
  const aliased = !(imm === 0 && hw !== 0) && (opc === 2 || is64 || imm !== 0xffff);
  if (!aliased) return `${opc === 2 ? 'movz' : 'movn'}\t${dName}, ${shifted}`;
  const lo = shlLo(imm, 0, hw * 16);
  const hi = shlHi(imm, 0, hw * 16);
  const value = opc === 2 ? hex64(lo, is64 ? hi : 0) : is64 ? hex64(~lo, ~hi) : (~lo >>> 0).toString(16);
  return `mov\t${dName}, #0x${value}`;
}

const MOVE_WIDE = entry('MOVE_WIDE', 'xxx10010 1xxxxxxx xxxxxxxx xxxxxxxx', {
  reserved: moveWideReserved,
  exec: moveWideExec,
  disasm: moveWideDisasm,
});

// --- EXTR ----------------------------------------------------------------------------------------------

function extrReserved(w: number): boolean {
  const sf = w >>> 31;
  return bits(w, 22, 1) !== sf || (sf === 0 && bits(w, 15, 1) === 1);
}

function extrExec(w: number): ExecFn {
  const lsb = bits(w, 10, 6);
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w));
  if (w >>> 31 === 0) {
    return (cpu) => {
      const x = cpu.x;
      x[d] = lsb === 0 ? x[m] : (x[m] >>> lsb) | (x[n] << (32 - lsb));
      x[d + 1] = 0;
    };
  }
  return (cpu) => {
    const x = cpu.x;
    const mLo = x[m];
    const mHi = x[m + 1];
    const nLo = x[n];
    const nHi = x[n + 1];
    if (lsb === 0) {
      x[d] = mLo;
      x[d + 1] = mHi;
      return;
    }
    // (Rn:Rm) >> lsb keeps the low 64 bits: (Rm >>> lsb) | (Rn << (64 - lsb)).
    x[d] = lsrLo(mLo, mHi, lsb) | shlLo(nLo, nHi, 64 - lsb);
    x[d + 1] = lsrHi(mLo, mHi, lsb) | shlHi(nLo, nHi, 64 - lsb);
  };
}

function extrDisasm(w: number): string {
  const is64 = w >>> 31 === 1;
  const lsb = bits(w, 10, 6);
  if (rn(w) === rm(w)) return `ror\t${regName(rd(w), is64)}, ${regName(rn(w), is64)}, #${lsb}`;
  return `extr\t${regName(rd(w), is64)}, ${regName(rn(w), is64)}, ${regName(rm(w), is64)}, #${lsb}`;
}

const EXTR = entry('EXTR', 'x0010011 1x0xxxxx xxxxxxxx xxxxxxxx', {
  reserved: extrReserved,
  exec: extrExec,
  disasm: extrDisasm,
});

export const DP_IMM: InsnEntry[] = [ADR, ADRP, ADD_SUB_IMM, LOGICAL_IMM, MOVE_WIDE, BITFIELD, EXTR];
