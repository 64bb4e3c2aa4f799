/**
 * Exclusive and ordered accesses: LDXR/LDAXR/STXR/STLXR (B, H, W, X), LDXP/LDAXP/STXP/STLXP, LDAR/STLR
 * (B, H, W, X). All require natural alignment (of the pair's total size for pairs) whatever SCTLR.A says.
 * The monitor (monitor.ts) also compares the loaded value at store time, so another vCPU's store in between
 * fails the store-exclusive. Memory ordering needs nothing: vCPUs run one at a time.
 */
import type { Cpu } from '../cpu';
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { bits, ra, rd, readSlot, regName, rm, rn, writeSlot } from './fields';
import { Kind, addHi, transfer } from './ldst-common';

/** op = o2 << 3 | L << 2 | o1 << 1 | o0. */
const opOf = (w: number): number =>
  (bits(w, 23, 1) << 3) | (bits(w, 22, 1) << 2) | (bits(w, 21, 1) << 1) | bits(w, 15, 1);

function reserved(w: number): boolean {
  const op = opOf(w);
  if (op < 4 + 2 && (op & 2) === 0) return false; // STXR STLXR LDXR LDAXR
  if ((op & 0b1010) === 0b0010) return bits(w, 31, 1) === 0; // pairs: 32- or 64-bit elements only
  // LDAR's Rs and Rt2 must be 11111 (binutils decodes STLR whatever they hold).
  if (op === 0b1101) return rm(w) !== 31 || ra(w) !== 31;
  return op !== 0b1001;
}

function checkAligned(cpu: Cpu, lo: number, hi: number, bytes: number, write: boolean): void {
  if ((lo & (bytes - 1)) !== 0) cpu.raiseAlignmentFault(lo, hi, write);
}

function loadExclusive(size: number, t: number, t2: number, n: number, pair: boolean): ExecFn {
  const kind = Kind.Ld8 + Math.log2(size);
  const total = pair ? size * 2 : size;
  return (cpu) => {
    const x = cpu.x;
    const lo = x[n];
    const hi = x[n + 1];
    checkAligned(cpu, lo, hi, total, false);
    transfer(cpu, kind, t, lo, hi);
    const m = cpu.monitor;
    m.valLo = x[t];
    m.valHi = x[t + 1];
    if (pair) {
      transfer(cpu, kind, t2, (lo + size) | 0, addHi(lo, hi, size));
      m.val2Lo = x[t2];
      m.val2Hi = x[t2 + 1];
    }
    m.arm(lo, hi, total);
  };
}

/** Memory still holds what the load-exclusive read (one element). */
function unchanged(cpu: Cpu, size: number, lo: number, hi: number, vLo: number, vHi: number): boolean {
  switch (size) {
    case 1:
      return cpu.load8(lo, hi) === (vLo & 0xff);
    case 2:
      return cpu.load16(lo, hi) === (vLo & 0xffff);
    case 4:
      return cpu.load32(lo, hi) === vLo;
    default:
      return cpu.load64(lo, hi) === vLo && cpu.loadHi === vHi;
  }
}

function storeExclusive(size: number, s: number, t: number, t2: number, n: number, pair: boolean): ExecFn {
  const kind = Kind.St8 + Math.log2(size);
  const total = pair ? size * 2 : size;
  return (cpu) => {
    const x = cpu.x;
    const lo = x[n];
    const hi = x[n + 1];
    checkAligned(cpu, lo, hi, total, true);
    const m = cpu.monitor;
    const loHi = addHi(lo, hi, size);
    let ok = m.matches(lo, hi, total) && unchanged(cpu, size, lo, hi, m.valLo, m.valHi);
    if (ok && pair) ok = unchanged(cpu, size, (lo + size) | 0, loHi, m.val2Lo, m.val2Hi);
    m.clear();
    if (ok) {
      transfer(cpu, kind, t, lo, hi);
      if (pair) transfer(cpu, kind, t2, (lo + size) | 0, loHi);
    }
    x[s] = ok ? 0 : 1;
    x[s + 1] = 0;
  };
}

function orderedExec(size: number, load: boolean, t: number, n: number): ExecFn {
  const kind = (load ? Kind.Ld8 : Kind.St8) + Math.log2(size);
  return (cpu) => {
    const lo = cpu.x[n];
    const hi = cpu.x[n + 1];
    checkAligned(cpu, lo, hi, size, !load);
    transfer(cpu, kind, t, lo, hi);
  };
}

function exec(w: number): ExecFn {
  const op = opOf(w);
  const size = 1 << bits(w, 30, 2);
  const load = (op & 4) !== 0;
  const n = readSlot(rn(w), true);
  const t = load ? writeSlot(rd(w)) : readSlot(rd(w));
  const t2 = load ? writeSlot(ra(w)) : readSlot(ra(w));
  const pair = (op & 2) !== 0;
  if ((op & 8) !== 0) return orderedExec(size, load, t, n);
  if (load) return loadExclusive(size, t, t2, n, pair);
  return storeExclusive(size, writeSlot(rm(w)), t, t2, n, pair);
}

function disasm(w: number): string {
  const op = opOf(w);
  const sizeField = bits(w, 30, 2);
  const load = (op & 4) !== 0;
  const pair = (op & 2) !== 0;
  const acquireRelease = (op & 1) !== 0;
  const wide = sizeField === 3;
  const suffix = pair ? 'p' : ['b', 'h', '', ''][sizeField];
  const address = `[${regName(rn(w), true, true)}]`;
  const t = regName(rd(w), wide);
  if ((op & 8) !== 0) return `${load ? 'ldar' : 'stlr'}${suffix}\t${t}, ${address}`;
  const name = `${load ? 'ld' : 'st'}${acquireRelease ? (load ? 'a' : 'l') : ''}x${pair ? 'p' : `r${suffix}`}`;
  const regs = pair ? `${t}, ${regName(ra(w), wide)}` : t;
  return load ? `${name}\t${regs}, ${address}` : `${name}\t${regName(rm(w), false)}, ${regs}, ${address}`;
}

export const LDST_EXCL: InsnEntry[] = [
  entry('LDST_exclusive', 'xx001000 xxxxxxxx xxxxxxxx xxxxxxxx', { reserved, exec, disasm }),
];
