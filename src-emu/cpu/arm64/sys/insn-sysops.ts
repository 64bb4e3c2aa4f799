/**
 * SYS aliases: DC (data cache), IC (instruction cache), AT (address translation) and TLBI.
 *
 * Caches are not modelled: DC ZVA really zeroes its 64-byte block; the other DC and IC operations only
 * translate (so they fault where the architecture says they fault) and check EL0 access. Decoded code is
 * already invalidated by stores to code pages, so IC has nothing else to do. SYSL and every other SYS
 * encoding are UNDEFINED.
 */
import type { Cpu } from '../cpu';
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { readSlot, xName } from '../insn/fields';
import { Access } from '../mmu-hook';
import { addressTranslate, AT_OPS } from '../mmu/at';
import { SCTLR } from '../mmu/regime';
import { TLBI_OPS, TlbiScope } from '../mmu/tlb-policy';
import { DABT } from './syndrome';
import { crm, crn, op1, op2, raiseAccess, rt, sysGeneric } from './insn-common';
import { systemOf } from './install';
import { SLOT } from './regfile';
import { SysAccess } from './sysreg-defs';

/** A SYS operation: its name, whether it takes Xt, and how it runs (decode-time builder). */
interface SysOp {
  readonly mnemonic: 'dc' | 'ic' | 'at' | 'tlbi';
  readonly name: string;
  readonly hasReg: boolean;
  readonly build: (w: number) => ExecFn;
}

const key = (op1v: number, crnv: number, crmv: number, op2v: number): number =>
  (op1v << 11) | (crnv << 7) | (crmv << 3) | op2v;

/** EL0 rule of a cache operation: UNDEFINED, or trapped unless an SCTLR_EL1 bit allows it. */
function el0Gate(cpu: Cpu, w: number, allowBit: number): void {
  if (cpu.el !== 0) return;
  if (allowBit === 0) cpu.raiseUndefined();
  if ((systemOf(cpu).regs.file.lo(SLOT.SCTLR_EL1) & allowBit) === 0) raiseAccess(cpu, SysAccess.Trap, w);
}

/**
 * A by-VA maintenance operation: translation (and, at EL0, permission) faults are reported as data aborts
 * with CM = 1 and WnR = 1, as the ARM ARM requires for cache maintenance.
 */
function maintainByVa(w: number, allowEl0: number, access: number): ExecFn {
  const s = readSlot(rt(w));
  return (cpu) => {
    el0Gate(cpu, w, allowEl0);
    const lo = cpu.x[s];
    const hi = cpu.x[s + 1];
    const pa = cpu.mmu.translate(lo, hi, access | (cpu.el === 0 ? Access.Unpriv : 0));
    if (pa < 0) cpu.raiseDataAbort(lo, hi, (-1 - pa) | DABT.CM, true);
  };
}

/** DC ZVA: zero the 64-byte block (DCZID_EL0.BS = 4 words) holding Xt, as ordinary stores. */
function dcZva(w: number): ExecFn {
  const s = readSlot(rt(w));
  return (cpu) => {
    el0Gate(cpu, w, SCTLR.DZE);
    const lo = cpu.x[s] & ~63;
    const hi = cpu.x[s + 1];
    for (let off = 0; off < 64; off += 8) cpu.store64(lo + off, hi, 0, 0);
  };
}

/** Set/way operations: EL1 only, nothing to do without modelled caches. */
function byWay(): ExecFn {
  return (cpu) => {
    if (cpu.el === 0) cpu.raiseUndefined();
  };
}

function icAll(): ExecFn {
  return (cpu) => {
    if (cpu.el === 0) cpu.raiseUndefined();
  };
}

function at(w: number): ExecFn {
  const op = AT_OPS.get(op2(w));
  if (op === undefined) throw new Error(`AT op2 ${op2(w)} is not in AT_OPS`);
  const s = readSlot(rt(w));
  return (cpu) => {
    if (cpu.el === 0) cpu.raiseUndefined();
    const system = systemOf(cpu);
    const lo = cpu.x[s];
    const hi = cpu.x[s + 1];
    const par = system.pair;
    if (!addressTranslate(system.walker, lo, hi, op.access, op.el, system.scratch, par)) {
      cpu.raiseDataAbort(lo, hi, system.scratch.fsc | DABT.CM, true);
    }
    system.regs.file.set(SLOT.PAR_EL1, par[0], par[1]);
  };
}

function tlbi(w: number): ExecFn {
  const op = TLBI_OPS.get((crm(w) << 3) | op2(w));
  if (op === undefined) throw new Error(`TLBI CRm ${crm(w)} op2 ${op2(w)} is not in TLBI_OPS`);
  const s = readSlot(rt(w));
  return (cpu) => {
    if (cpu.el === 0) cpu.raiseUndefined();
    systemOf(cpu).tlbPolicy.tlbi(op, cpu.x[s], cpu.x[s + 1]);
    cpu.endBlockAfterThis();
  };
}

const OPS = new Map<number, SysOp>();
function add(mnemonic: SysOp['mnemonic'], name: string, k: number, hasReg: boolean, build: SysOp['build']) {
  OPS.set(k, { mnemonic, name, hasReg, build });
}

add('dc', 'zva', key(3, 7, 4, 1), true, dcZva);
add('dc', 'ivac', key(0, 7, 6, 1), true, (w) => maintainByVa(w, 0, Access.Write));
add('dc', 'isw', key(0, 7, 6, 2), true, byWay);
add('dc', 'csw', key(0, 7, 10, 2), true, byWay);
add('dc', 'cisw', key(0, 7, 14, 2), true, byWay);
add('dc', 'cvac', key(3, 7, 10, 1), true, (w) => maintainByVa(w, SCTLR.UCI, Access.Read));
add('dc', 'cvau', key(3, 7, 11, 1), true, (w) => maintainByVa(w, SCTLR.UCI, Access.Read));
add('dc', 'civac', key(3, 7, 14, 1), true, (w) => maintainByVa(w, SCTLR.UCI, Access.Read));
add('ic', 'ialluis', key(0, 7, 1, 0), false, icAll);
add('ic', 'iallu', key(0, 7, 5, 0), false, icAll);
add('ic', 'ivau', key(3, 7, 5, 1), true, (w) => maintainByVa(w, SCTLR.UCI, Access.Read));
for (const [op2v, o] of AT_OPS) add('at', o.name, key(0, 7, 8, op2v), true, at);
for (const [k, o] of TLBI_OPS) add('tlbi', o.name, key(0, 8, k >>> 3, k & 7), o.scope !== TlbiScope.All, tlbi);

const opOf = (w: number): SysOp | undefined => OPS.get(key(op1(w), crn(w), crm(w), op2(w)));

const SYS = entry('SYS', '11010101 00001xxx xxxxxxxx xxxxxxxx', {
  exec: (w) => opOf(w)?.build(w) ?? ((cpu: Cpu) => cpu.raiseUndefined()),
  disasm: (w) => {
    const op = opOf(w);
    if (op === undefined) return sysGeneric(w);
    return op.hasReg ? `${op.mnemonic}\t${op.name}, ${xName(rt(w))}` : `${op.mnemonic}\t${op.name}`;
  },
});

const SYSL = entry('SYSL', '11010101 00101xxx xxxxxxxx xxxxxxxx', {
  exec: () => (cpu: Cpu) => cpu.raiseUndefined(),
  disasm: (w) => sysGeneric(w),
});

export const SYSOP_INSNS: InsnEntry[] = [SYS, SYSL];
