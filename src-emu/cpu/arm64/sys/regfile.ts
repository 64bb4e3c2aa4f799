/**
 * Storage for the EL1/EL0 system registers that hold plain values: one Int32Array of lo/hi pairs, so the
 * MMU and the exception code read them without property lookups and a snapshot can save them in one go.
 *
 * Registers whose value lives elsewhere (PSTATE fields, FPCR/FPSR, the generic timer, SP_EL0) are not here:
 * sysregs.ts routes them to their owners.
 */

/** Slot of each stored register; value at `v[2 * slot]` (bits 31:0) and `v[2 * slot + 1]` (bits 63:32). */
export const SLOT = {
  SCTLR_EL1: 0,
  ACTLR_EL1: 1,
  CPACR_EL1: 2,
  TTBR0_EL1: 3,
  TTBR1_EL1: 4,
  TCR_EL1: 5,
  MAIR_EL1: 6,
  AMAIR_EL1: 7,
  ESR_EL1: 8,
  FAR_EL1: 9,
  AFSR0_EL1: 10,
  AFSR1_EL1: 11,
  VBAR_EL1: 12,
  ELR_EL1: 13,
  SPSR_EL1: 14,
  TPIDR_EL0: 15,
  TPIDR_EL1: 16,
  TPIDRRO_EL0: 17,
  CONTEXTIDR_EL1: 18,
  PAR_EL1: 19,
  CSSELR_EL1: 20,
  MDSCR_EL1: 21,
  OSLSR_EL1: 22,
  OSDLR_EL1: 23,
  MDCCINT_EL1: 24,
  CNTKCTL_EL1: 25,
  /** Breakpoint and watchpoint registers: stored, never acted on (debug is not active). */
  DBGBVR0: 26,
  DBGBVR1: 27,
  DBGBVR2: 28,
  DBGBVR3: 29,
  DBGBVR4: 30,
  DBGBVR5: 31,
  DBGBCR0: 32,
  DBGBCR1: 33,
  DBGBCR2: 34,
  DBGBCR3: 35,
  DBGBCR4: 36,
  DBGBCR5: 37,
  DBGWVR0: 38,
  DBGWVR1: 39,
  DBGWVR2: 40,
  DBGWVR3: 41,
  DBGWCR0: 42,
  DBGWCR1: 43,
  DBGWCR2: 44,
  DBGWCR3: 45,
} as const;

export const SLOT_COUNT = 46;
export const BREAKPOINT_COUNT = 6;
export const WATCHPOINT_COUNT = 4;

export type SlotName = keyof typeof SLOT;

/** The stored system register values of one CPU. */
export class SysRegFile {
  readonly v = new Int32Array(SLOT_COUNT * 2);

  lo(slot: number): number {
    return this.v[slot * 2];
  }

  hi(slot: number): number {
    return this.v[slot * 2 + 1];
  }

  set(slot: number, lo: number, hi: number): void {
    this.v[slot * 2] = lo;
    this.v[slot * 2 + 1] = hi;
  }
}
