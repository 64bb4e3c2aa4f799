/**
 * Data processing, register (part 2): 1-source (RBIT, REV16, REV32, REV, CLZ, CLS), 2-source (UDIV, SDIV,
 * LSLV, LSRV, ASRV, RORV, CRC32*, CRC32C*) and 3-source (MADD, MSUB, SMADDL, SMSUBL, UMADDL, UMSUBL,
 * SMULH, UMULH).
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { mul64, mulhs32, mulhu32, sdiv64, smulh64, udiv64, umulh64 } from '../int64';
import { adc64 } from './alu';
import { crc32Update } from './crc32';
import { bits, ra, rd, readSlot, regName, rm, rn, writeSlot } from './fields';
import { shiftedHi, shiftedLo, shifted32 } from './operand';

const is64 = (w: number): boolean => w >>> 31 === 1;

// --- 1-source ------------------------------------------------------------------------------------------

function rbit32(v: number): number {
  let x = v;
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  return (x >>> 16) | (x << 16);
}

function bswap32(v: number): number {
  return (v >>> 24) | ((v >>> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24) | 0;
}

function rev16(v: number): number {
  return ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
}

function cls32(v: number): number {
  return Math.clz32((v ^ (v << 1)) | 1);
}

/** Writes a 1-source result; `hiMask` is 0 for W results. */
function setResult(x: Int32Array, d: number, lo: number, hi: number, hiMask: number): void {
  x[d] = lo;
  x[d + 1] = hi & hiMask;
}

function oneSourceExec(w: number): ExecFn {
  const wide = is64(w);
  const op = bits(w, 10, 3);
  const n = readSlot(rn(w));
  const d = writeSlot(rd(w));
  const hiMask = wide ? -1 : 0;
  switch (op) {
    case 0:
      return (cpu) => setResult(cpu.x, d, rbit32(wide ? cpu.x[n + 1] : cpu.x[n]), rbit32(cpu.x[n]), hiMask);
    case 1:
      return (cpu) => setResult(cpu.x, d, rev16(cpu.x[n]), rev16(cpu.x[n + 1]), hiMask);
    case 2:
      return (cpu) => setResult(cpu.x, d, bswap32(cpu.x[n]), bswap32(cpu.x[n + 1]), hiMask);
    case 3:
      return (cpu) => setResult(cpu.x, d, bswap32(cpu.x[n + 1]), bswap32(cpu.x[n]), hiMask);
    case 4:
      if (!wide) return (cpu) => setResult(cpu.x, d, Math.clz32(cpu.x[n]), 0, hiMask);
      return (cpu) => {
        const hi = cpu.x[n + 1];
        setResult(cpu.x, d, hi === 0 ? 32 + Math.clz32(cpu.x[n]) : Math.clz32(hi), 0, hiMask);
      };
    default:
      if (!wide) return (cpu) => setResult(cpu.x, d, cls32(cpu.x[n]), 0, hiMask);
      return (cpu) => {
        const lo = cpu.x[n];
        const hi = cpu.x[n + 1];
        // CLS over 64 bits: leading zeros of x ^ (x << 1), ignoring bit 0.
        const tHi = hi ^ ((hi << 1) | (lo >>> 31));
        const tLo = (lo ^ (lo << 1)) | 1;
        setResult(cpu.x, d, tHi === 0 ? 32 + Math.clz32(tLo) : Math.clz32(tHi), 0, hiMask);
      };
  }
}

function oneSourceDisasm(w: number): string {
  const wide = is64(w);
  const op = bits(w, 10, 3);
  const names = wide ? ['rbit', 'rev16', 'rev32', 'rev', 'clz', 'cls'] : ['rbit', 'rev16', 'rev', '', 'clz', 'cls'];
  return `${names[op]}\t${regName(rd(w), wide)}, ${regName(rn(w), wide)}`;
}

const ONE_SOURCE = entry('DP_1SRC', 'x1011010 11000000 000xxxxx xxxxxxxx', {
  reserved: (w) => bits(w, 10, 3) > 5 || (!is64(w) && bits(w, 10, 3) === 3),
  exec: oneSourceExec,
  disasm: oneSourceDisasm,
});

// --- 2-source ------------------------------------------------------------------------------------------

const quotient = new Int32Array(2);

function divideExec(wide: boolean, signed: boolean, d: number, n: number, m: number): ExecFn {
  if (!wide) {
    return (cpu) => {
      const a = cpu.x[n];
      const b = cpu.x[m];
      let q: number;
      if (b === 0) q = 0;
      else if (signed) q = a === -0x80000000 && b === -1 ? a : (a / b) | 0;
      else q = Math.floor((a >>> 0) / (b >>> 0)) | 0;
      cpu.x[d] = q;
      cpu.x[d + 1] = 0;
    };
  }
  return (cpu) => {
    const x = cpu.x;
    if (signed) sdiv64(x[n], x[n + 1], x[m], x[m + 1], quotient);
    else udiv64(x[n], x[n + 1], x[m], x[m + 1], quotient);
    x[d] = quotient[0];
    x[d + 1] = quotient[1];
  };
}

function variableShiftExec(wide: boolean, type: number, d: number, n: number, m: number): ExecFn {
  if (!wide) {
    return (cpu) => {
      cpu.x[d] = shifted32(type, cpu.x[n], cpu.x[m] & 31);
      cpu.x[d + 1] = 0;
    };
  }
  return (cpu) => {
    const x = cpu.x;
    const s = x[m] & 63;
    const lo = x[n];
    const hi = x[n + 1];
    x[d] = shiftedLo(type, lo, hi, s);
    x[d + 1] = shiftedHi(type, lo, hi, s);
  };
}

function twoSourceReserved(w: number): boolean {
  const op = bits(w, 10, 6);
  if (op === 2 || op === 3 || (op >= 8 && op <= 11)) return false;
  if (op >= 16 && op <= 23) return ((op & 3) === 3) !== is64(w);
  return true;
}

function twoSourceExec(w: number): ExecFn {
  const wide = is64(w);
  const op = bits(w, 10, 6);
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w));
  if (op < 8) return divideExec(wide, op === 3, d, n, m);
  if (op < 16) return variableShiftExec(wide, op & 3, d, n, m);
  const castagnoli = op >= 20;
  const size = 1 << (op & 3);
  return (cpu) => {
    const x = cpu.x;
    cpu.x[d] = crc32Update(castagnoli, x[n], x[m], x[m + 1], size);
    cpu.x[d + 1] = 0;
  };
}

function twoSourceDisasm(w: number): string {
  const wide = is64(w);
  const op = bits(w, 10, 6);
  const dN = regName(rd(w), wide);
  const nN = regName(rn(w), wide);
  if (op >= 16) {
    const name = `crc32${op >= 20 ? 'c' : ''}${'bhwx'[op & 3]}`;
    return `${name}\t${regName(rd(w), false)}, ${regName(rn(w), false)}, ${regName(rm(w), (op & 3) === 3)}`;
  }
  const name = op < 8 ? (op === 2 ? 'udiv' : 'sdiv') : ['lsl', 'lsr', 'asr', 'ror'][op & 3];
  return `${name}\t${dN}, ${nN}, ${regName(rm(w), wide)}`;
}

const TWO_SOURCE = entry('DP_2SRC', 'x0011010 110xxxxx xxxxxxxx xxxxxxxx', {
  reserved: twoSourceReserved,
  exec: twoSourceExec,
  disasm: twoSourceDisasm,
});

// --- 3-source ------------------------------------------------------------------------------------------

const product = new Int32Array(2);

/** op = op31 << 1 | o0. */
function threeSourceReserved(w: number): boolean {
  const op = (bits(w, 21, 3) << 1) | bits(w, 15, 1);
  if (op <= 1) return false;
  if (!is64(w)) return true;
  return !(op === 2 || op === 3 || op === 4 || op === 10 || op === 11 || op === 12);
}

function threeSourceExec(w: number): ExecFn {
  const wide = is64(w);
  const op = (bits(w, 21, 3) << 1) | bits(w, 15, 1);
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const a = readSlot(ra(w));
  const d = writeSlot(rd(w));
  const negate = (op & 1) === 1;
  if (!wide) {
    return (cpu) => {
      const x = cpu.x;
      const p = Math.imul(x[n], x[m]);
      x[d] = negate ? (x[a] - p) | 0 : (x[a] + p) | 0;
      x[d + 1] = 0;
    };
  }
  if (op === 4 || op === 12) {
    return (cpu) => {
      const x = cpu.x;
      if (op === 4) smulh64(x[n], x[n + 1], x[m], x[m + 1], product);
      else umulh64(x[n], x[n + 1], x[m], x[m + 1], product);
      x[d] = product[0];
      x[d + 1] = product[1];
    };
  }
  const long = op >= 2;
  const signed = op === 2 || op === 3;
  return (cpu) => {
    const x = cpu.x;
    if (!long) mul64(x[n], x[n + 1], x[m], x[m + 1], product);
    else {
      product[0] = Math.imul(x[n], x[m]);
      product[1] = signed ? mulhs32(x[n], x[m]) : mulhu32(x[n], x[m]);
    }
    const pLo = product[0];
    const pHi = product[1];
    // Xa - P = Xa + NOT(P) + 1.
    if (negate) adc64(cpu, d, x[a], x[a + 1], ~pLo, ~pHi, 1);
    else adc64(cpu, d, x[a], x[a + 1], pLo, pHi, 0);
  };
}

function threeSourceDisasm(w: number): string {
  const wide = is64(w);
  const op = (bits(w, 21, 3) << 1) | bits(w, 15, 1);
  const long = op >= 2 && op !== 4 && op !== 12;
  const dN = regName(rd(w), wide);
  const nN = regName(rn(w), wide && !long);
  const mN = regName(rm(w), wide && !long);
  if (op === 4 || op === 12) return `${op === 4 ? 'smulh' : 'umulh'}\t${dN}, ${nN}, ${mN}`;
  const prefix = op <= 1 ? '' : op <= 3 ? 's' : 'u';
  if (ra(w) === 31) {
    const alias = op <= 1 ? (op === 0 ? 'mul' : 'mneg') : `${prefix}${op & 1 ? 'mnegl' : 'mull'}`;
    return `${alias}\t${dN}, ${nN}, ${mN}`;
  }
  const name = op <= 1 ? (op === 0 ? 'madd' : 'msub') : `${prefix}${op & 1 ? 'msubl' : 'maddl'}`;
  return `${name}\t${dN}, ${nN}, ${mN}, ${regName(ra(w), wide)}`;
}

const THREE_SOURCE = entry('DP_3SRC', 'x0011011 xxxxxxxx xxxxxxxx xxxxxxxx', {
  reserved: threeSourceReserved,
  exec: threeSourceExec,
  disasm: threeSourceDisasm,
});

export const DP_REG_MISC: InsnEntry[] = [ONE_SOURCE, TWO_SOURCE, THREE_SOURCE];
