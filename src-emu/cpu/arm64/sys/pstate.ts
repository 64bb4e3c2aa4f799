/**
 * PSTATE as saved in SPSR_EL1 (AArch64 format, ARM ARM C5.2.18): N Z C V (31:28), SS (21), IL (20),
 * D A I F (9:6), M[4] = 0 (AArch64), M[3:2] = EL, M[0] = SPSel.
 */
import type { CpuState } from '../state';

export const SPSR = {
  IL: 1 << 20,
  SS: 1 << 21,
  M_AARCH32: 1 << 4,
  DAIF_SHIFT: 6,
} as const;

/** M[3:0] values. */
export const MODE = { EL0t: 0b0000, EL1t: 0b0100, EL1h: 0b0101 } as const;

/** PSTATE of the CPU in SPSR format (IL and SS are 0 here: see exceptions.ts). */
export function packPstate(cpu: CpuState): number {
  return cpu.getNzcv() | (cpu.daif << SPSR.DAIF_SHIFT) | (cpu.el << 2) | (cpu.el === 0 ? 0 : cpu.spsel) | 0;
}

/** Why an SPSR value cannot be returned to from EL1 (ARM ARM D1.11.4 "Illegal return events"), or null. */
export function illegalReturnReason(spsr: number, currentEl: number): string | null {
  if ((spsr & SPSR.M_AARCH32) !== 0) return 'AArch32 is not implemented';
  const el = (spsr >>> 2) & 3;
  if (el > currentEl) return `EL${el} is higher than the current EL`;
  if ((spsr & 2) !== 0) return 'M[1] is reserved';
  if (el === 0 && (spsr & 1) !== 0) return 'EL0 with SPSel = 1 is reserved';
  return null;
}
