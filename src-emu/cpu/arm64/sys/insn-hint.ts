/**
 * HINT space (NOP, YIELD, WFE, WFI, SEV, SEVL; every other hint executes as a NOP), barriers (DSB, DMB,
 * ISB and the SSBB/PSSBB forms of DSB) and CLREX.
 *
 * Memory is sequentially consistent here (vCPUs run round-robin in one thread), so DSB and DMB do
 * nothing; ISB ends the block so a preceding context change is seen by the next fetch.
 */
import type { Cpu } from '../cpu';
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { StopReason } from '../state';
import { SCTLR } from '../mmu/regime';
import { crm } from './insn-common';
import { systemOf } from './install';
import { SLOT } from './regfile';
import { EC, wfxIss } from './syndrome';

/** objdump's names for hint numbers (CRm:op2); other numbers print as `hint #n`. */
const HINT_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'nop'],
  [1, 'yield'],
  [2, 'wfe'],
  [3, 'wfi'],
  [4, 'sev'],
  [5, 'sevl'],
  [7, 'xpaclri'],
  [8, 'pacia1716'],
  [10, 'pacib1716'],
  [12, 'autia1716'],
  [14, 'autib1716'],
  [16, 'esb'],
  [17, 'psb\tcsync'],
  [18, 'tsb\tcsync'],
  [20, 'csdb'],
  [22, 'clearbhb'],
  [24, 'paciaz'],
  [25, 'paciasp'],
  [26, 'pacibz'],
  [27, 'pacibsp'],
  [28, 'autiaz'],
  [29, 'autiasp'],
  [30, 'autibz'],
  [31, 'autibsp'],
  [32, 'bti'],
  [34, 'bti\tc'],
  [36, 'bti\tj'],
  [38, 'bti\tjc'],
]);

const nop: ExecFn = () => {};

/** WFI, or WFE without a pending event: trapped at EL0 unless SCTLR_EL1.nTWI/nTWE. */
function waitFor(cpu: Cpu, isWfe: boolean): void {
  const system = systemOf(cpu);
  const allow = isWfe ? SCTLR.NTWE : SCTLR.NTWI;
  if (cpu.el === 0 && (system.regs.file.lo(SLOT.SCTLR_EL1) & allow) === 0) {
    cpu.raiseException(EC.WfxTrap, wfxIss(isWfe ? 1 : 0));
  }
  cpu.endBlockAfterThis();
  if (isWfe) {
    if (system.eventRegister !== 0) system.eventRegister = 0;
    // Another vCPU must run to produce the event: give the machine loop back without sleeping.
    else cpu.requestStop(StopReason.Exit);
  } else if (cpu.interruptPending === 0) {
    // WFI wakes on a pending interrupt even when PSTATE masks it.
    cpu.requestStop(StopReason.Wfi);
  }
}

const wfi: ExecFn = (cpu) => waitFor(cpu, false);
const wfe: ExecFn = (cpu) => waitFor(cpu, true);
const sev: ExecFn = (cpu) => {
  for (const system of systemOf(cpu).eventDomain()) system.eventRegister = 1;
};
const sevl: ExecFn = (cpu) => {
  systemOf(cpu).eventRegister = 1;
};

const HINT_EXEC: ReadonlyMap<number, ExecFn> = new Map([
  [2, wfe],
  [3, wfi],
  [4, sev],
  [5, sevl],
]);

const HINT = entry('HINT', '11010101 00000011 0010xxxx xxx11111', {
  exec: (w) => HINT_EXEC.get((w >>> 5) & 0x7f) ?? nop,
  disasm: (w) => HINT_NAMES.get((w >>> 5) & 0x7f) ?? `hint\t#0x${((w >>> 5) & 0x7f).toString(16)}`,
});

/** Barrier option names by CRm; objdump prints the unnamed ones with two hex digits. */
const BARRIER_OPTIONS = [
  '#0x00',
  'oshld',
  'oshst',
  'osh',
  '#0x04',
  'nshld',
  'nshst',
  'nsh',
  '#0x08',
  'ishld',
  'ishst',
  'ish',
  '#0x0c',
  'ld',
  'st',
  'sy',
];

const CLREX = entry('CLREX', '11010101 00000011 0011xxxx 01011111', {
  exec: () => (cpu) => cpu.monitor.clear(),
  disasm: (w) => (crm(w) === 15 ? 'clrex' : `clrex\t#0x${crm(w).toString(16)}`),
});

const DSB = entry('DSB', '11010101 00000011 0011xxxx 10011111', {
  exec: () => nop,
  disasm: (w) => (crm(w) === 0 ? 'ssbb' : crm(w) === 4 ? 'pssbb' : `dsb\t${BARRIER_OPTIONS[crm(w)]}`),
});

const DMB = entry('DMB', '11010101 00000011 0011xxxx 10111111', {
  exec: () => nop,
  disasm: (w) => `dmb\t${BARRIER_OPTIONS[crm(w)]}`,
});

const ISB = entry('ISB', '11010101 00000011 0011xxxx 11011111', {
  exec: () => (cpu) => cpu.endBlockAfterThis(),
  disasm: (w) => (crm(w) === 15 ? 'isb' : `isb\t#0x${crm(w).toString(16)}`),
});

export const HINT_INSNS: InsnEntry[] = [HINT, CLREX, DSB, DMB, ISB];
