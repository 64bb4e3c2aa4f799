/**
 * How faults leave an instruction closure and reach exception entry.
 *
 * A closure that faults calls one of the Cpu's `raise*` methods (cpu.ts). They record the syndrome in
 * `cpu.pendingException` and throw the one preallocated `CPU_EXCEPTION` sentinel. The run loop catches it
 * and calls `cpu.exceptions.takeSync(cpu)`, whose job is exception entry: ESR/FAR/ELR/SPSR, PSTATE, vector
 * PC (set cpu.pcLo/pcHi; the loop refetches). Interrupts: when `interruptPending & ~daif` is non-zero at a
 * block boundary the loop calls `cpu.exceptions.takeInterrupt(cpu, lines)`.
 *
 * The real model (system registers, VBAR, EL changes) belongs to sys/; until it is installed
 * (`cpu.exceptions = ...`), `stopOnException` below stops the run loop and leaves the record for the caller.
 */
import type { Cpu } from './cpu';
import { StopReason } from './state';

/** Exception classes (ESR_ELx.EC) the framework raises itself. */
export const EC = {
  Unknown: 0x00,
  FpAccess: 0x07,
  InsnAbortLower: 0x20,
  InsnAbortSame: 0x21,
  PcAlignment: 0x22,
  DataAbortLower: 0x24,
  DataAbortSame: 0x25,
  SpAlignment: 0x26,
} as const;

/** Fault status codes (DFSC/IFSC) the framework uses; MMU faults come from the mmu hook. */
export const FSC = {
  SyncExternal: 0x10,
  Alignment: 0x21,
} as const;

/** The syndrome of the exception being raised. Mutated in place: never allocate on the fault path. */
export class ExceptionRecord {
  /** ESR_ELx value: EC << 26 | IL << 25 | ISS. */
  esr = 0;
  /** FAR is meaningful (aborts, PC/SP alignment). */
  farValid = 0;
  farLo = 0;
  farHi = 0;
  /** Preferred return address (ELR): the faulting instruction, or the next one for SVC/HVC/SMC. */
  returnLo = 0;
  returnHi = 0;
}

/** Thrown by faulting closures; identity-compared by the run loop. */
export const CPU_EXCEPTION: { readonly cpuException: true } = Object.freeze({ cpuException: true });

/**
 * Thrown by the debugger's breakpoint and watchpoint hooks (src-emu/debug) before an instruction has any
 * effect: the run loop returns with the PC still on that instruction, which does not count as executed.
 * The hook calls `requestStop` first. Only the loop's catch looks at it, so it costs nothing otherwise.
 */
export const DEBUG_STOP: { readonly debugStop: true } = Object.freeze({ debugStop: true });

export interface ExceptionModel {
  /** Exception entry for `cpu.pendingException`. Sets the new PC in cpu.pcLo/pcHi. */
  takeSync(cpu: Cpu): void;
  /**
   * Takes an unmasked interrupt (`lines` = interruptPending & ~daif & 3, IRQ_LINE/FIQ_LINE); `cpu.pcLo/pcHi`
   * is the next instruction to run (the preferred return address).
   */
  takeInterrupt(cpu: Cpu, lines: number): void;
}

/** Placeholder model: no vectors yet, so stop the run loop and let the caller inspect the record. */
export const stopOnException: ExceptionModel = {
  takeSync(cpu: Cpu): void {
    cpu.requestStop(StopReason.Exception);
  },
  takeInterrupt(): void {
    // Without exception vectors an interrupt cannot be taken; it stays pending.
  },
};

/**
 * Raises the SIMD&FP access trap when `cpu.fpDisabled` (CPACR_EL1.FPEN); every SIMD&FP closure calls it
 * first. ISS as QEMU reports it for A64 (COND field 0xe, CV set): ESR 0x1fe00000.
 */
export function checkFpAccess(cpu: Cpu): void {
  if (cpu.fpDisabled !== 0) cpu.raiseException(EC.FpAccess, 0x1e00000);
}
