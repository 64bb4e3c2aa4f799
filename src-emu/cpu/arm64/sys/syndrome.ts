/**
 * ESR_EL1 syndromes (ARM ARM D13.2.37): exception classes and the ISS encodings this CPU produces.
 * ESR = EC << 26 | IL << 25 | ISS; IL is 1 for every exception from a 32-bit A64 instruction.
 */

export const EC = {
  Unknown: 0x00,
  WfxTrap: 0x01,
  FpAccess: 0x07,
  IllegalState: 0x0e,
  Svc: 0x15,
  Hvc: 0x16,
  Smc: 0x17,
  SysRegTrap: 0x18,
  InsnAbortLower: 0x20,
  InsnAbortSame: 0x21,
  PcAlignment: 0x22,
  DataAbortLower: 0x24,
  DataAbortSame: 0x25,
  SpAlignment: 0x26,
  FpException: 0x2c,
  SError: 0x2f,
  BreakpointLower: 0x30,
  BreakpointSame: 0x31,
  StepLower: 0x32,
  StepSame: 0x33,
  WatchpointLower: 0x34,
  WatchpointSame: 0x35,
  Brk: 0x3c,
} as const;

export const ESR_IL = 1 << 25;

export function esr(ec: number, iss: number, il = true): number {
  return ((ec << 26) | (il ? ESR_IL : 0) | (iss & 0x1ffffff)) >>> 0;
}

/**
 * CV = 1, COND = 0b1110 for traps of unconditional AArch64 instructions, as QEMU reports them
 * (the FP trap at reset reads ESR 0x1fe00000 there).
 */
export const ISS_COND_AL = (1 << 24) | (0xe << 20);

/** FP/AdvSIMD access trap (CPACR_EL1.FPEN). */
export function fpAccessIss(): number {
  return ISS_COND_AL;
}

/** WFI (ti = 0) or WFE (ti = 1) trapped by SCTLR_EL1.nTWI/nTWE. */
export function wfxIss(ti: number): number {
  return ISS_COND_AL | (ti & 1);
}

/** SVC/HVC/SMC/BRK: the 16-bit immediate. */
export function immIss(imm16: number): number {
  return imm16 & 0xffff;
}

/** Data abort ISS fields (D13-2.37 "ISS encoding for an exception from a Data Abort"). */
export const DABT = {
  ISV: 1 << 24,
  SAS_SHIFT: 22,
  SSE: 1 << 21,
  SRT_SHIFT: 16,
  SF: 1 << 15,
  AR: 1 << 14,
  FNV: 1 << 10,
  EA: 1 << 9,
  CM: 1 << 8,
  S1PTW: 1 << 7,
  WNR: 1 << 6,
} as const;

export interface DataAbortSyndrome {
  readonly fsc: number;
  readonly write: boolean;
  /** Cache maintenance or address translation instruction (DC/IC/AT): CM = 1 (and WnR = 1 for DC/IC). */
  readonly cacheMaintenance?: boolean;
  /** Instruction syndrome of a single-register load/store; omitted: ISV = 0 (QEMU's choice at EL1). */
  readonly insn?: { sizeLog2: number; signExtend: boolean; rt: number; sixtyFour: boolean; acquireRelease: boolean };
}

export function dataAbortIss(s: DataAbortSyndrome): number {
  let iss = s.fsc & 0x3f;
  if (s.write) iss |= DABT.WNR;
  if (s.cacheMaintenance === true) iss |= DABT.CM;
  const i = s.insn;
  if (i !== undefined) {
    iss |= DABT.ISV | (i.sizeLog2 << DABT.SAS_SHIFT) | (i.rt << DABT.SRT_SHIFT);
    if (i.signExtend) iss |= DABT.SSE;
    if (i.sixtyFour) iss |= DABT.SF;
    if (i.acquireRelease) iss |= DABT.AR;
  }
  return iss;
}
