/**
 * SBFM, BFM, UBFM and their aliases (ASR/LSL/LSR immediate, SBFX/UBFX, SBFIZ/UBFIZ, BFI/BFXIL/BFC,
 * SXTB/SXTH/SXTW/UXTB/UXTH). Shifts get their own closures; the rest run the ARM ARM's generic formula
 * with masks computed at decode time.
 */
import type { Cpu } from '../cpu';
import type { ExecFn } from '../encoding';
import { entry } from '../encoding';
import { asrHi, asrLo, lsrHi, lsrLo, rorHi, rorLo, ror32, shlHi, shlLo } from '../int64';
import { decodeBitMasks } from './bitmask';
import { bits, rd, readSlot, regName, rn, writeSlot } from './fields';

const SBFM = 0;
const BFM = 1;
const UBFM = 2;

function reserved(w: number): boolean {
  const sf = w >>> 31;
  if (bits(w, 29, 2) === 3 || bits(w, 22, 1) !== sf) return true;
  return sf === 0 && (bits(w, 16, 6) >= 32 || bits(w, 10, 6) >= 32);
}

function shiftExec(is64: boolean, kind: 'lsl' | 'lsr' | 'asr', d: number, n: number, s: number): ExecFn {
  if (!is64) {
    if (kind === 'lsl') return (cpu) => store32(cpu, d, cpu.x[n] << s);
    if (kind === 'lsr') return (cpu) => store32(cpu, d, cpu.x[n] >>> s);
    return (cpu) => store32(cpu, d, cpu.x[n] >> s);
  }
  const lo = kind === 'lsl' ? shlLo : kind === 'lsr' ? lsrLo : asrLo;
  const hi = kind === 'lsl' ? shlHi : kind === 'lsr' ? lsrHi : asrHi;
  return (cpu) => {
    const x = cpu.x;
    const a = x[n];
    const b = x[n + 1];
    x[d] = lo(a, b, s);
    x[d + 1] = hi(a, b, s);
  };
}

function store32(cpu: Cpu, d: number, v: number): void {
  cpu.x[d] = v | 0;
  cpu.x[d + 1] = 0;
}

const masks = new Int32Array(4);

function genericExec(w: number): ExecFn {
  const is64 = w >>> 31 === 1;
  const opc = bits(w, 29, 2);
  const immr = bits(w, 16, 6);
  const imms = bits(w, 10, 6);
  decodeBitMasks(bits(w, 22, 1), imms, immr, false, masks);
  const [wLo, wHi, tLo, tHi] = is64 ? masks : [masks[0], 0, masks[2], 0];
  const n = readSlot(rn(w));
  const d = writeSlot(rd(w));
  const keepDst = opc === BFM;
  const signed = opc === SBFM;
  return (cpu) => {
    const x = cpu.x;
    const sLo = x[n];
    const sHi = x[n + 1];
    const dLo = keepDst ? x[d] : 0;
    const dHi = keepDst ? x[d + 1] : 0;
    const rLo = is64 ? rorLo(sLo, sHi, immr) : ror32(sLo, immr);
    const rHi = is64 ? rorHi(sLo, sHi, immr) : 0;
    const botLo = (dLo & ~wLo) | (rLo & wLo);
    const botHi = (dHi & ~wHi) | (rHi & wHi);
    let topLo = dLo;
    let topHi = dHi;
    if (signed) {
      const bit = imms >= 32 ? (sHi >>> (imms - 32)) & 1 : (sLo >>> imms) & 1;
      topLo = topHi = -bit;
    }
    x[d] = (topLo & ~tLo) | (botLo & tLo);
    x[d + 1] = is64 ? (topHi & ~tHi) | (botHi & tHi) : 0;
  };
}

function exec(w: number): ExecFn {
  const is64 = w >>> 31 === 1;
  const size = is64 ? 64 : 32;
  const opc = bits(w, 29, 2);
  const immr = bits(w, 16, 6);
  const imms = bits(w, 10, 6);
  const n = readSlot(rn(w));
  const d = writeSlot(rd(w));
  if (opc === UBFM && imms === size - 1) return shiftExec(is64, 'lsr', d, n, immr);
  if (opc === UBFM && imms + 1 === immr) return shiftExec(is64, 'lsl', d, n, size - 1 - imms);
  if (opc === SBFM && imms === size - 1) return shiftExec(is64, 'asr', d, n, immr);
  return genericExec(w);
}

/** BFXPreferred (ARM ARM): whether UBFM/SBFM shows as UBFX/SBFX. */
function bfxPreferred(sf: number, unsigned: boolean, imms: number, immr: number): boolean {
  if (imms < immr) return false;
  if (imms === (sf === 1 ? 63 : 31)) return false;
  if (immr === 0) {
    if (sf === 0 && (imms === 7 || imms === 15)) return false;
    if (sf === 1 && !unsigned && (imms === 7 || imms === 15 || imms === 31)) return false;
  }
  return true;
}

function disasm(w: number): string {
  const sf = w >>> 31;
  const is64 = sf === 1;
  const size = is64 ? 64 : 32;
  const opc = bits(w, 29, 2);
  const immr = bits(w, 16, 6);
  const imms = bits(w, 10, 6);
  const dN = regName(rd(w), is64);
  const nN = regName(rn(w), is64);
  const ops = (name: string, a: number, b: number): string => `${name}\t${dN}, ${nN}, #${a}, #${b}`;
  if (opc === BFM) {
    if (imms < immr) {
      const lsb = (size - immr) & (size - 1);
      return rn(w) === 31 ? `bfc\t${dN}, #${lsb}, #${imms + 1}` : ops('bfi', lsb, imms + 1);
    }
    return ops('bfxil', immr, imms + 1 - immr);
  }
  const unsigned = opc === UBFM;
  const p = unsigned ? 'u' : 's';
  if (unsigned && imms !== size - 1 && imms + 1 === immr) return `lsl\t${dN}, ${nN}, #${size - 1 - imms}`;
  if (imms === size - 1) return `${unsigned ? 'lsr' : 'asr'}\t${dN}, ${nN}, #${immr}`;
  if (imms < immr) return ops(`${p}bfiz`, (size - immr) & (size - 1), imms + 1);
  if (bfxPreferred(sf, unsigned, imms, immr)) return ops(`${p}bfx`, immr, imms + 1 - immr);
  const ext = imms === 7 ? 'b' : imms === 15 ? 'h' : 'w';
  return `${p}xt${ext}\t${dN}, ${regName(rn(w), false)}`;
}

export const BITFIELD = entry('BITFIELD', 'xxx10011 0xxxxxxx xxxxxxxx xxxxxxxx', { reserved, exec, disasm });
