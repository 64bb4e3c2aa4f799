/**
 * The system registers of one CPU: lookup by encoding, the EL0/EL1 access rules, and the state that is
 * neither in the Cpu nor in the generic timer (the register file, MPIDR, CNTFRQ).
 *
 * Instruction entries resolve a register once at decode time (`lookup`), then per execution call
 * `check` and the definition's read/write. Unknown encodings are UNDEFINED and logged as unimplemented.
 */
import { logger } from '../../../core/log';
import type { CpuState } from '../state';
import type { TlbPolicy } from '../mmu/tlb-policy';
import type { GenericTimer } from '../timer/generic-timer';
import { CNTFRQ_EL0, OSLSR_RESET, SCTLR_RESET, idAa64Isar0, mpidr } from './id-regs';
import type { IdOptions, Reg64 } from './id-regs';
import { SLOT, SysRegFile } from './regfile';
import { El0, SysAccess, constant, genericName } from './sysreg-defs';
import type { SysAccessValue, SysRegDef } from './sysreg-defs';
import { SYSREG_DEFS, isReservedIdKey } from './sysreg-table';
import { SCTLR } from '../mmu/regime';

/** What the registers need from the Cpu: PSTATE, SPs, FPCR/FPSR, pending interrupts, alignment mask. */
export type SysCpu = CpuState & { alignMask: number };

const BY_KEY = new Map<number, SysRegDef>(SYSREG_DEFS.map((d) => [d.key, d]));

/** CNTKCTL_EL1 EL0 enables. */
const CNTKCTL = { EL0PCTEN: 1, EL0VCTEN: 2, EL0VTEN: 1 << 8, EL0PTEN: 1 << 9 } as const;

/** The definition for an encoding key, or null when the register does not exist here. */
export function lookupSysReg(key: number): SysRegDef | null {
  const known = BY_KEY.get(key);
  if (known !== undefined) return known;
  // Unallocated ID registers read as zero at EL1 so probes of later extensions see "not implemented".
  if (isReservedIdKey(key)) {
    const raz = constant(genericName(key), [3, 0, 0, (key >>> 3) & 15, key & 7], 0);
    BY_KEY.set(key, raz);
    return raz;
  }
  return null;
}

export class SystemRegisters {
  readonly file = new SysRegFile();
  readonly mpidr: Reg64;
  readonly isar0: Reg64;
  /** Scratch for MRS results (never held across calls). */
  readonly pair = new Int32Array(2);
  /** CNTFRQ_EL0 as last written (it only reports the counter frequency). */
  cntfrq = CNTFRQ_EL0;

  constructor(
    readonly cpu: SysCpu,
    readonly timer: GenericTimer,
    readonly tlbPolicy: TlbPolicy,
    options: IdOptions,
  ) {
    this.mpidr = mpidr(options);
    this.isar0 = idAa64Isar0(options);
    this.reset();
  }

  /** Warm reset values (architecturally UNKNOWN registers are zeroed). */
  reset(): void {
    this.file.v.fill(0);
    this.file.set(SLOT.SCTLR_EL1, SCTLR_RESET, 0);
    this.file.set(SLOT.OSLSR_EL1, OSLSR_RESET, 0);
    this.cntfrq = CNTFRQ_EL0;
    this.cpu.alignMask = 0;
    this.updateFpAccess();
    this.tlbPolicy.flushAll();
  }

  /** Keeps `cpu.fpDisabled` equal to the CPACR_EL1.FPEN trap at the current EL (after CPACR or EL changes). */
  updateFpAccess(): void {
    this.cpu.fpDisabled = this.fpEnabled() ? 0 : 1;
  }

  /** Whether an MRS (isRead) or MSR of `def` may run at the current EL, and which exception if not. */
  check(def: SysRegDef, isRead: boolean): SysAccessValue {
    const el1 = def.el1;
    if (el1 === 'undef' || (isRead ? el1 === 'wo' : el1 === 'ro')) return SysAccess.Undefined;
    if (this.cpu.el === 0) {
      const rule = this.el0Rule(def.el0, isRead);
      if (rule !== SysAccess.Ok) return rule;
    } else if (def.needsSpSel1 && this.cpu.spsel === 0) {
      return SysAccess.Undefined;
    }
    if (def.fp && !this.fpEnabled()) return SysAccess.FpTrap;
    return SysAccess.Ok;
  }

  /** CPACR_EL1.FPEN: 0b11 enables both ELs, 0b01 only EL1. */
  fpEnabled(): boolean {
    const fpen = (this.file.lo(SLOT.CPACR_EL1) >>> 20) & 3;
    return fpen === 3 || (fpen === 1 && this.cpu.el === 1);
  }

  /** Checked read by key (debugger, tests, AT/TLBI helpers): the access outcome; value in out[0..1]. */
  read(key: number, out: Int32Array): SysAccessValue {
    const def = this.resolve(key);
    if (def === null) return SysAccess.Undefined;
    const result = this.check(def, true);
    if (result === SysAccess.Ok) def.read(this, out);
    return result;
  }

  /** Checked write by key. */
  write(key: number, lo: number, hi: number): SysAccessValue {
    const def = this.resolve(key);
    if (def === null) return SysAccess.Undefined;
    const result = this.check(def, false);
    if (result === SysAccess.Ok) def.write(this, lo | 0, hi | 0);
    return result;
  }

  /** Definition lookup that reports unknown encodings as unimplemented. */
  resolve(key: number): SysRegDef | null {
    const def = lookupSysReg(key);
    if (def === null) logger.unimp('cpu', `system register ${genericName(key)} is not implemented`);
    return def;
  }

  /** After a snapshot load: re-derive what the Cpu caches from these registers. */
  afterRestore(): void {
    this.cpu.alignMask = (this.file.lo(SLOT.SCTLR_EL1) & SCTLR.A) !== 0 ? -1 : 0;
    this.updateFpAccess();
    this.tlbPolicy.flushAll();
  }

  /** Called after SCTLR_EL1 changed: alignment checking and the TLB. */
  onSctlrWrite(oldValue: number): void {
    const value = this.file.lo(SLOT.SCTLR_EL1);
    this.cpu.alignMask = (value & SCTLR.A) !== 0 ? -1 : 0;
    this.tlbPolicy.onSctlrWrite(oldValue, value);
  }

  private el0Rule(rule: number, isRead: boolean): SysAccessValue {
    const sctlr = this.file.lo(SLOT.SCTLR_EL1);
    const cntkctl = this.file.lo(SLOT.CNTKCTL_EL1);
    switch (rule) {
      case El0.None:
        return SysAccess.Undefined;
      case El0.Allowed:
        return SysAccess.Ok;
      case El0.ReadOnly:
        return isRead ? SysAccess.Ok : SysAccess.Undefined;
      case El0.Uct:
        return trapUnless((sctlr & SCTLR.UCT) !== 0);
      case El0.Uma:
        return trapUnless((sctlr & SCTLR.UMA) !== 0);
      case El0.Pct:
        return trapUnless((cntkctl & CNTKCTL.EL0PCTEN) !== 0);
      case El0.Vct:
        return trapUnless((cntkctl & CNTKCTL.EL0VCTEN) !== 0);
      case El0.PctOrVct:
        return trapUnless((cntkctl & (CNTKCTL.EL0PCTEN | CNTKCTL.EL0VCTEN)) !== 0);
      case El0.PTimer:
        return trapUnless((cntkctl & CNTKCTL.EL0PTEN) !== 0);
      case El0.VTimer:
        return trapUnless((cntkctl & CNTKCTL.EL0VTEN) !== 0);
      default:
        return SysAccess.Undefined;
    }
  }
}

function trapUnless(allowed: boolean): SysAccessValue {
  return allowed ? SysAccess.Ok : SysAccess.Trap;
}

/** ISS of an MSR/MRS trap (EC 0x18) for an MRS/MSR (register) word: Op0, Op2, Op1, CRn, Rt, CRm, direction. */
export function sysregTrapIss(word: number): number {
  const op0 = (word >>> 19) & 3;
  const op1 = (word >>> 16) & 7;
  const crn = (word >>> 12) & 15;
  const crm = (word >>> 8) & 15;
  const op2 = (word >>> 5) & 7;
  const rt = word & 31;
  const isRead = (word >>> 21) & 1;
  return (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | isRead;
}
