/**
 * Exception entry to EL1 and exception return (ARM ARM D1.10-D1.11, pseudocode AArch64.TakeException and
 * AArch64.ExceptionReturn), for a CPU with EL0 and EL1 in AArch64 only.
 *
 * Installed as `cpu.exceptions`: the run loop calls takeSync for the syndrome in `cpu.pendingException`
 * and takeInterrupt for an unmasked IRQ/FIQ. ERET (sys instruction entries) calls `eret`.
 */
import { logger, hex } from '../../../core/log';
import type { Cpu } from '../cpu';
import type { ExceptionModel } from '../exception-hooks';
import { FIQ_LINE } from '../state';
import { CPU_TRACE, cpuTrace, u64 } from '../trace';
import { topByteIgnored } from '../mmu/regime';
import { SLOT } from './regfile';
import type { SystemRegisters } from './sysregs';
import { SPSR, illegalReturnReason, packPstate } from './pstate';
import { EC } from './syndrome';

/** Offset of each exception type inside a vector group. */
export const VECTOR = { Sync: 0x000, Irq: 0x080, Fiq: 0x100, SError: 0x180 } as const;
/** Offset of each vector group by where the exception comes from. */
export const VECTOR_GROUP = { CurrentSp0: 0x000, CurrentSpx: 0x200, LowerAArch64: 0x400, LowerAArch32: 0x600 } as const;

/** Handles an HVC for the machine (PSCI on virt); returns false to make HVC UNDEFINED as without EL2. */
export type HvcHandler = (cpu: Cpu, imm16: number) => boolean;

export class ExceptionUnit implements ExceptionModel {
  /** Set by the board; null: HVC is UNDEFINED (no EL2). */
  hvcHandler: HvcHandler | null = null;
  /** PSTATE.IL to save with the next exception entry (illegal exception return). */
  private pendingIl = 0;

  constructor(private readonly sys: SystemRegisters) {}

  takeSync(cpu: Cpu): void {
    const r = cpu.pendingException;
    const file = this.sys.file;
    this.enter(cpu, VECTOR.Sync, r.returnLo, r.returnHi);
    file.set(SLOT.ESR_EL1, r.esr | 0, 0);
    if (r.farValid !== 0) file.set(SLOT.FAR_EL1, r.farLo, r.farHi);
    if (CPU_TRACE.exception.enabled) {
      cpuTrace.exception(cpu.index, r.esr >>> 0, u64(r.returnLo, r.returnHi), u64(cpu.pcLo, cpu.pcHi));
    }
    if (logger.enabled('int')) {
      logger.log(
        'int',
        `cpu${cpu.index}`,
        `exception esr=${hex(r.esr >>> 0, 8)} elr=${this.elrText()} vector=${hex(u64(cpu.pcLo, cpu.pcHi))}`,
      );
    }
  }

  /** FIQ first when both are unmasked and pending; the preferred return address is the PC. */
  takeInterrupt(cpu: Cpu, lines: number): void {
    const fiq = (lines & FIQ_LINE) !== 0;
    const fromEl = cpu.el;
    this.enter(cpu, fiq ? VECTOR.Fiq : VECTOR.Irq, cpu.pcLo, cpu.pcHi);
    if (CPU_TRACE.interrupt.enabled) {
      cpuTrace.interrupt(cpu.index, fiq ? 'fiq' : 'irq', this.elr(), u64(cpu.pcLo, cpu.pcHi));
    }
    if (logger.enabled('int')) {
      const vector = hex(u64(cpu.pcLo, cpu.pcHi));
      logger.log(
        'int',
        `cpu${cpu.index}`,
        `${fiq ? 'FIQ' : 'IRQ'} from EL${fromEl} elr=${this.elrText()} vector=${vector}`,
      );
    }
  }

  /**
   * Exception entry to EL1: SPSR_EL1 and ELR_EL1 saved, PSTATE = EL1h with D, A, I, F masked, IL and SS
   * cleared, PC = VBAR_EL1 + group + type.
   */
  enter(cpu: Cpu, type: number, returnLo: number, returnHi: number): void {
    const file = this.sys.file;
    const group =
      cpu.el === 0 ? VECTOR_GROUP.LowerAArch64 : cpu.spsel === 0 ? VECTOR_GROUP.CurrentSp0 : VECTOR_GROUP.CurrentSpx;
    file.set(SLOT.SPSR_EL1, packPstate(cpu) | (this.pendingIl !== 0 ? SPSR.IL : 0), 0);
    this.pendingIl = 0;
    file.set(SLOT.ELR_EL1, returnLo, returnHi);
    cpu.daif = 0xf;
    cpu.setElAndSpSel(1, 1);
    this.sys.updateFpAccess();
    cpu.monitor.clear();
    // VBAR_EL1 bits 10:0 are zero, so the offset never carries.
    cpu.pcLo = file.lo(SLOT.VBAR_EL1) | (group + type);
    cpu.pcHi = file.hi(SLOT.VBAR_EL1);
  }

  /**
   * ERET at EL1: PSTATE from SPSR_EL1, PC from ELR_EL1. An illegal return keeps EL and SP, restores the
   * flags and masks, and sets PSTATE.IL, so the instruction at the target takes an Illegal Execution
   * State exception (EC 0x0E) before doing anything; that exception is taken here directly.
   * Call from an instruction closure (it may throw the CPU exception sentinel).
   */
  eret(cpu: Cpu): void {
    const file = this.sys.file;
    const spsr = file.lo(SLOT.SPSR_EL1);
    const lo = file.lo(SLOT.ELR_EL1);
    let hi = file.hi(SLOT.ELR_EL1);
    cpu.monitor.clear();
    cpu.setNzcv(spsr);
    cpu.daif = (spsr >>> SPSR.DAIF_SHIFT) & 0xf;
    const reason = illegalReturnReason(spsr, cpu.el);
    if (reason === null) {
      const el = (spsr >>> 2) & 3;
      cpu.setElAndSpSel(el, el === 0 ? 0 : spsr & 1);
      this.sys.updateFpAccess();
      // AArch64.BranchAddr: with TBI the top byte of the new PC repeats bit 55.
      if (topByteIgnored(file.hi(SLOT.TCR_EL1), hi)) hi = (hi << 8) >> 8;
    } else {
      logger.guestError(`cpu${cpu.index}`, `illegal exception return (SPSR ${hex(spsr >>> 0, 8)}: ${reason})`);
    }
    cpu.endBlockAfterThis();
    cpu.setPc(lo, hi);
    if (reason !== null || (spsr & SPSR.IL) !== 0) {
      this.pendingIl = 1;
      cpu.raiseException(EC.IllegalState, 0);
    }
  }

  private elr(): number | bigint {
    const f = this.sys.file;
    return u64(f.lo(SLOT.ELR_EL1), f.hi(SLOT.ELR_EL1));
  }

  private elrText(): string {
    return hex(this.elr());
  }
}
