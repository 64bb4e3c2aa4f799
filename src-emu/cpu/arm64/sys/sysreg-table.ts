/**
 * Every system register this CPU answers at EL0/EL1 (ARMv8.0-A, AArch64, no EL2/EL3), declared once:
 * encoding, objdump name, access rules, storage and side effects. Registers that Linux arm64 probes but
 * this CPU does not implement (PMU with PMUVer = 0, SP_EL1 from EL1) are listed as UNDEFINED so that
 * they are not reported as unimplemented.
 */
import { CTR_EL0, CLIDR_EL1, CCSIDR_BY_CSSELR, DCZID_BS, ID_AA64DFR0, ID_AA64MMFR0, ID_AA64PFR0 } from './id-regs';
import { MIDR_CORTEX_A57_R1P0 } from './id-regs';
import { BREAKPOINT_COUNT, SLOT, WATCHPOINT_COUNT } from './regfile';
import { El0, constant, def, stored } from './sysreg-defs';
import type { SysRegDef } from './sysreg-defs';
import { SCTLR, TCR_LO } from '../mmu/regime';
import type { SystemRegisters } from './sysregs';
import { GT } from '../timer/generic-timer';
import type { GtIndex } from '../timer/generic-timer';

const ALL = -1;

/** RES1 bits of SCTLR_EL1 in ARMv8.0: 11, 20, 22, 23, 28, 29 (kept as written, like QEMU). */
const SCTLR_RES1 = (1 << 11) | (1 << 20) | (1 << 22) | (1 << 23) | (1 << 28) | (1 << 29);
/** SCTLR_EL1 bits that hold state in ARMv8.0 without mixed-endian support (EE and E0E are RES0). */
const SCTLR_WRITABLE =
  SCTLR.M |
  SCTLR.A |
  SCTLR.C |
  SCTLR.SA |
  SCTLR.SA0 |
  SCTLR.CP15BEN |
  SCTLR.ITD |
  SCTLR.SED |
  SCTLR.UMA |
  SCTLR.I |
  SCTLR.DZE |
  SCTLR.UCT |
  SCTLR.NTWI |
  SCTLR.NTWE |
  SCTLR.WXN |
  SCTLR.UCI |
  SCTLR_RES1;
/** SPSR_EL1: N Z C V, SS, IL, D A I F, M[4:0]. */
const SPSR_MASK = 0xf03003df | 0;

/** TCR_EL1.A1: the ASID comes from TTBR1_EL1. */
function asidInTtbr1(s: SystemRegisters): boolean {
  return (s.file.lo(SLOT.TCR_EL1) & TCR_LO.A1) !== 0;
}

function timerRegs(prefix: 'cntp' | 'cntv', crm: number, which: GtIndex): SysRegDef[] {
  const el0 = which === GT.Phys ? El0.PTimer : El0.VTimer;
  return [
    def(`${prefix}_tval_el0`, [3, 3, 14, crm, 0], 'rw', {
      el0,
      read: (s, out) => {
        out[0] = s.timer.readTval(which);
        out[1] = 0;
      },
      write: (s, lo) => s.timer.writeTval(which, lo),
    }),
    def(`${prefix}_ctl_el0`, [3, 3, 14, crm, 1], 'rw', {
      el0,
      read: (s, out) => {
        out[0] = s.timer.readCtl(which);
        out[1] = 0;
      },
      write: (s, lo) => s.timer.writeCtl(which, lo),
    }),
    def(`${prefix}_cval_el0`, [3, 3, 14, crm, 2], 'rw', {
      el0,
      read: (s, out) => s.timer.readCval(which, out),
      write: (s, lo, hi) => s.timer.writeCval(which, lo, hi),
    }),
  ];
}

/** AArch32 ID registers: RAZ, AArch32 is not implemented. */
const AARCH32_ID_REGS: ReadonlyArray<readonly [string, number, number]> = [
  ['id_pfr0_el1', 1, 0],
  ['id_pfr1_el1', 1, 1],
  ['id_dfr0_el1', 1, 2],
  ['id_afr0_el1', 1, 3],
  ['id_mmfr0_el1', 1, 4],
  ['id_mmfr1_el1', 1, 5],
  ['id_mmfr2_el1', 1, 6],
  ['id_mmfr3_el1', 1, 7],
  ['id_isar0_el1', 2, 0],
  ['id_isar1_el1', 2, 1],
  ['id_isar2_el1', 2, 2],
  ['id_isar3_el1', 2, 3],
  ['id_isar4_el1', 2, 4],
  ['id_isar5_el1', 2, 5],
  ['id_mmfr4_el1', 2, 6],
  ['mvfr0_el1', 3, 0],
  ['mvfr1_el1', 3, 1],
  ['mvfr2_el1', 3, 2],
];

function identification(): SysRegDef[] {
  return [
    constant('midr_el1', [3, 0, 0, 0, 0], MIDR_CORTEX_A57_R1P0),
    def('mpidr_el1', [3, 0, 0, 0, 5], 'ro', { read: (s, out) => out.set(s.mpidr) }),
    constant('revidr_el1', [3, 0, 0, 0, 6], 0),
    ...AARCH32_ID_REGS.map(([name, crm, op2]) => constant(name, [3, 0, 0, crm, op2], 0)),
    constant('id_aa64pfr0_el1', [3, 0, 0, 4, 0], ID_AA64PFR0),
    constant('id_aa64pfr1_el1', [3, 0, 0, 4, 1], 0),
    constant('id_aa64zfr0_el1', [3, 0, 0, 4, 4], 0),
    constant('id_aa64dfr0_el1', [3, 0, 0, 5, 0], ID_AA64DFR0),
    constant('id_aa64dfr1_el1', [3, 0, 0, 5, 1], 0),
    constant('id_aa64afr0_el1', [3, 0, 0, 5, 4], 0),
    constant('id_aa64afr1_el1', [3, 0, 0, 5, 5], 0),
    def('id_aa64isar0_el1', [3, 0, 0, 6, 0], 'ro', { read: (s, out) => out.set(s.isar0) }),
    constant('id_aa64isar1_el1', [3, 0, 0, 6, 1], 0),
    constant('id_aa64mmfr0_el1', [3, 0, 0, 7, 0], ID_AA64MMFR0),
    constant('id_aa64mmfr1_el1', [3, 0, 0, 7, 1], 0),
    constant('id_aa64mmfr2_el1', [3, 0, 0, 7, 2], 0),
    def('ccsidr_el1', [3, 1, 0, 0, 0], 'ro', {
      read: (s, out) => {
        out[0] = CCSIDR_BY_CSSELR.get(s.file.lo(SLOT.CSSELR_EL1)) ?? 0;
        out[1] = 0;
      },
    }),
    constant('clidr_el1', [3, 1, 0, 0, 1], CLIDR_EL1),
    constant('aidr_el1', [3, 1, 0, 0, 7], 0),
    stored('csselr_el1', [3, 2, 0, 0, 0], SLOT.CSSELR_EL1, 0xf, 0),
    constant('ctr_el0', [3, 3, 0, 0, 1], CTR_EL0, 0, El0.Uct),
    def('dczid_el0', [3, 3, 0, 0, 7], 'ro', {
      el0: El0.ReadOnly,
      read: (s, out) => {
        // DZP: DC ZVA is prohibited at EL0 while SCTLR_EL1.DZE is clear.
        const prohibited = s.cpu.el === 0 && (s.file.lo(SLOT.SCTLR_EL1) & SCTLR.DZE) === 0;
        out[0] = DCZID_BS | (prohibited ? 0x10 : 0);
        out[1] = 0;
      },
    }),
  ];
}

function control(): SysRegDef[] {
  return [
    stored('sctlr_el1', [3, 0, 1, 0, 0], SLOT.SCTLR_EL1, SCTLR_WRITABLE, 0, {
      after: (s, oldLo) => s.onSctlrWrite(oldLo),
    }),
    stored('actlr_el1', [3, 0, 1, 0, 1], SLOT.ACTLR_EL1, 0, 0),
    stored('cpacr_el1', [3, 0, 1, 0, 2], SLOT.CPACR_EL1, 0x00300000, 0, { after: (s) => s.updateFpAccess() }),
    stored('ttbr0_el1', [3, 0, 2, 0, 0], SLOT.TTBR0_EL1, ~1, ALL, {
      after: (s, _lo, oldHi) => s.tlbPolicy.onTtbrWrite(oldHi, s.file.hi(SLOT.TTBR0_EL1), !asidInTtbr1(s)),
    }),
    stored('ttbr1_el1', [3, 0, 2, 0, 1], SLOT.TTBR1_EL1, ~1, ALL, {
      after: (s, _lo, oldHi) => s.tlbPolicy.onTtbrWrite(oldHi, s.file.hi(SLOT.TTBR1_EL1), asidInTtbr1(s)),
    }),
    // TCR_EL1: bit 6 and bit 35 RES0, HA/HD and above not in ARMv8.0.
    stored('tcr_el1', [3, 0, 2, 0, 2], SLOT.TCR_EL1, ~0x40, 0x77, {
      after: (s, oldLo, oldHi) =>
        s.tlbPolicy.onTcrWrite(oldLo, oldHi, s.file.lo(SLOT.TCR_EL1), s.file.hi(SLOT.TCR_EL1)),
    }),
    stored('mair_el1', [3, 0, 10, 2, 0], SLOT.MAIR_EL1, ALL, ALL),
    stored('amair_el1', [3, 0, 10, 3, 0], SLOT.AMAIR_EL1, ALL, ALL),
    stored('contextidr_el1', [3, 0, 13, 0, 1], SLOT.CONTEXTIDR_EL1, ALL, 0),
    stored('vbar_el1', [3, 0, 12, 0, 0], SLOT.VBAR_EL1, ~0x7ff, ALL),
    def('isr_el1', [3, 0, 12, 1, 0], 'ro', {
      read: (s, out) => {
        // I (bit 7) and F (bit 6) follow the pending lines, whatever PSTATE masks.
        out[0] = (s.cpu.interruptPending & 3) << 6;
        out[1] = 0;
      },
    }),
    stored('par_el1', [3, 0, 7, 4, 0], SLOT.PAR_EL1, ALL, ALL),
  ];
}

function exceptionRegs(): SysRegDef[] {
  return [
    stored('esr_el1', [3, 0, 5, 2, 0], SLOT.ESR_EL1, ALL, 0),
    stored('afsr0_el1', [3, 0, 5, 1, 0], SLOT.AFSR0_EL1, 0, 0),
    stored('afsr1_el1', [3, 0, 5, 1, 1], SLOT.AFSR1_EL1, 0, 0),
    stored('far_el1', [3, 0, 6, 0, 0], SLOT.FAR_EL1, ALL, ALL),
    stored('spsr_el1', [3, 0, 4, 0, 0], SLOT.SPSR_EL1, SPSR_MASK, 0),
    stored('elr_el1', [3, 0, 4, 0, 1], SLOT.ELR_EL1, ALL, ALL),
    stored('tpidr_el0', [3, 3, 13, 0, 2], SLOT.TPIDR_EL0, ALL, ALL, { el0: El0.Allowed }),
    stored('tpidrro_el0', [3, 3, 13, 0, 3], SLOT.TPIDRRO_EL0, ALL, ALL, { el0: El0.ReadOnly }),
    stored('tpidr_el1', [3, 0, 13, 0, 4], SLOT.TPIDR_EL1, ALL, ALL),
  ];
}

function pstateRegs(): SysRegDef[] {
  return [
    def('sp_el0', [3, 0, 4, 1, 0], 'rw', {
      needsSpSel1: true,
      read: (s, out) => s.cpu.readSpEl(0, out),
      write: (s, lo, hi) => s.cpu.writeSpEl(0, lo, hi),
    }),
    def('sp_el1', [3, 4, 4, 1, 0], 'undef'),
    def('spsel', [3, 0, 4, 2, 0], 'rw', {
      read: (s, out) => {
        out[0] = s.cpu.spsel;
        out[1] = 0;
      },
      write: (s, lo) => s.cpu.setElAndSpSel(s.cpu.el, lo & 1),
    }),
    def('currentel', [3, 0, 4, 2, 2], 'ro', {
      read: (s, out) => {
        out[0] = s.cpu.el << 2;
        out[1] = 0;
      },
    }),
    def('daif', [3, 3, 4, 2, 1], 'rw', {
      el0: El0.Uma,
      read: (s, out) => {
        out[0] = s.cpu.daif << 6;
        out[1] = 0;
      },
      write: (s, lo) => {
        s.cpu.daif = (lo >>> 6) & 0xf;
      },
    }),
    def('nzcv', [3, 3, 4, 2, 0], 'rw', {
      el0: El0.Allowed,
      read: (s, out) => {
        out[0] = s.cpu.getNzcv() | 0;
        out[1] = 0;
      },
      write: (s, lo) => s.cpu.setNzcv(lo),
    }),
    def('fpcr', [3, 3, 4, 4, 0], 'rw', {
      el0: El0.Allowed,
      fp: true,
      read: (s, out) => {
        out[0] = s.cpu.fpcr;
        out[1] = 0;
      },
      // AHP, DN, FZ, RMode; the trap enables are RAZ/WI (no trapped FP exceptions).
      write: (s, lo) => {
        s.cpu.fpcr = lo & 0x07c00000;
      },
    }),
    def('fpsr', [3, 3, 4, 4, 1], 'rw', {
      el0: El0.Allowed,
      fp: true,
      read: (s, out) => {
        out[0] = s.cpu.fpsr;
        out[1] = 0;
      },
      write: (s, lo) => {
        s.cpu.fpsr = lo & 0xf800009f;
      },
    }),
  ];
}

function timerSection(): SysRegDef[] {
  return [
    def('cntfrq_el0', [3, 3, 14, 0, 0], 'rw', {
      el0: El0.PctOrVct,
      read: (s, out) => {
        out[0] = s.cntfrq;
        out[1] = 0;
      },
      // Writable at the highest implemented EL (EL1 here); it only reports the frequency.
      write: (s, lo) => {
        s.cntfrq = lo;
      },
    }),
    def('cntpct_el0', [3, 3, 14, 0, 1], 'ro', { el0: El0.Pct, read: (s, out) => s.timer.readCount(out) }),
    def('cntvct_el0', [3, 3, 14, 0, 2], 'ro', { el0: El0.Vct, read: (s, out) => s.timer.readCount(out) }),
    stored('cntkctl_el1', [3, 0, 14, 1, 0], SLOT.CNTKCTL_EL1, 0x3ff, 0),
    ...timerRegs('cntp', 2, GT.Phys),
    ...timerRegs('cntv', 3, GT.Virt),
  ];
}

function debugRegs(): SysRegDef[] {
  const regs: SysRegDef[] = [
    stored('mdccint_el1', [2, 0, 0, 2, 0], SLOT.MDCCINT_EL1, ALL, 0),
    stored('mdscr_el1', [2, 0, 0, 2, 2], SLOT.MDSCR_EL1, ALL, 0),
    constant('mdccsr_el0', [2, 3, 0, 1, 0], 0),
    def('oslar_el1', [2, 0, 1, 0, 4], 'wo', {
      write: (s, lo) => s.file.set(SLOT.OSLSR_EL1, (s.file.lo(SLOT.OSLSR_EL1) & ~2) | ((lo & 1) << 1), 0),
    }),
    stored('oslsr_el1', [2, 0, 1, 1, 4], SLOT.OSLSR_EL1, 0, 0, { el1: 'ro' }),
    stored('osdlr_el1', [2, 0, 1, 3, 4], SLOT.OSDLR_EL1, 1, 0),
  ];
  for (let n = 0; n < BREAKPOINT_COUNT; n++) {
    regs.push(stored(`dbgbvr${n}_el1`, [2, 0, 0, n, 4], SLOT.DBGBVR0 + n, ALL, ALL));
    regs.push(stored(`dbgbcr${n}_el1`, [2, 0, 0, n, 5], SLOT.DBGBCR0 + n, ALL, 0));
  }
  for (let n = 0; n < WATCHPOINT_COUNT; n++) {
    regs.push(stored(`dbgwvr${n}_el1`, [2, 0, 0, n, 6], SLOT.DBGWVR0 + n, ALL, ALL));
    regs.push(stored(`dbgwcr${n}_el1`, [2, 0, 0, n, 7], SLOT.DBGWCR0 + n, ALL, 0));
  }
  return regs;
}

/** PMUv3 registers: ID_AA64DFR0_EL1.PMUVer = 0, so every access is UNDEFINED. */
function absentPmu(): SysRegDef[] {
  const names: ReadonlyArray<readonly [string, number, number, number, number]> = [
    ['pmcr_el0', 3, 9, 12, 0],
    ['pmcntenset_el0', 3, 9, 12, 1],
    ['pmcntenclr_el0', 3, 9, 12, 2],
    ['pmovsclr_el0', 3, 9, 12, 3],
    ['pmswinc_el0', 3, 9, 12, 4],
    ['pmselr_el0', 3, 9, 12, 5],
    ['pmceid0_el0', 3, 9, 12, 6],
    ['pmceid1_el0', 3, 9, 12, 7],
    ['pmccntr_el0', 3, 9, 13, 0],
    ['pmxevtyper_el0', 3, 9, 13, 1],
    ['pmxevcntr_el0', 3, 9, 13, 2],
    ['pmuserenr_el0', 3, 9, 14, 0],
    ['pmintenset_el1', 0, 9, 14, 1],
    ['pmintenclr_el1', 0, 9, 14, 2],
    ['pmovsset_el0', 3, 9, 14, 3],
    ['pmccfiltr_el0', 3, 14, 15, 7],
  ];
  return names.map(([name, op1, crn, crm, op2]) => def(name, [3, op1, crn, crm, op2], 'undef'));
}

export const SYSREG_DEFS: readonly SysRegDef[] = [
  ...identification(),
  ...control(),
  ...exceptionRegs(),
  ...pstateRegs(),
  ...timerSection(),
  ...debugRegs(),
  ...absentPmu(),
];

/** True for the reserved ID space (op0 3, op1 0, CRn 0, CRm 1..7): RAZ at EL1 in ARMv8.0. */
export function isReservedIdKey(key: number): boolean {
  return key >>> 14 === 3 && ((key >>> 11) & 7) === 0 && ((key >>> 7) & 15) === 0 && ((key >>> 3) & 15) >= 1;
}
