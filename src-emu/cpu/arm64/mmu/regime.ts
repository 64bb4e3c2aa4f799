/**
 * Decoding of the EL1&0 translation controls (TCR_EL1, TTBRn_EL1, SCTLR_EL1) shared by the walker,
 * AT and the TLB maintenance policy.
 */

/** SCTLR_EL1 bits this CPU acts on (ARM ARM D13.2.113). */
export const SCTLR = {
  M: 1 << 0,
  A: 1 << 1,
  C: 1 << 2,
  SA: 1 << 3,
  SA0: 1 << 4,
  CP15BEN: 1 << 5,
  ITD: 1 << 7,
  SED: 1 << 8,
  UMA: 1 << 9,
  I: 1 << 12,
  DZE: 1 << 14,
  UCT: 1 << 15,
  NTWI: 1 << 16,
  NTWE: 1 << 18,
  WXN: 1 << 19,
  E0E: 1 << 24,
  EE: 1 << 25,
  UCI: 1 << 26,
} as const;

/** TCR_EL1 fields in the low word. */
export const TCR_LO = {
  T0SZ_MASK: 0x3f,
  EPD0: 1 << 7,
  TG0_SHIFT: 14,
  T1SZ_SHIFT: 16,
  A1: 1 << 22,
  EPD1: 1 << 23,
  TG1_SHIFT: 30,
} as const;

/** TCR_EL1 fields in the high word (bit n of the register is bit n-32 here). */
export const TCR_HI = {
  IPS_MASK: 0x7, // bits 34:32
  AS: 1 << 4, // bit 36
  TBI0: 1 << 5, // bit 37
  TBI1: 1 << 6, // bit 38
} as const;

/** IPS / PARange encodings to address bits; 0b110 (52 bits) needs ARMv8.2 and is treated as 48. */
const PA_BITS = [32, 36, 40, 42, 44, 48, 48, 48] as const;

export function paBitsFromRange(range: number): number {
  return PA_BITS[range & 7];
}

/** Effective TxSZ: ARMv8.0 limits it to 16..39; out-of-range values behave as the nearest limit. */
export function clampTxsz(txsz: number): number {
  return txsz < 16 ? 16 : txsz > 39 ? 39 : txsz;
}

/** True when VA bit 55 is set: the address belongs to the TTBR1 (upper) range. */
export function isUpperRange(vaHi: number): boolean {
  return (vaHi & (1 << 23)) !== 0;
}

/** True when the top byte of this VA is ignored (TCR_EL1.TBI0/TBI1 for its range). */
export function topByteIgnored(tcrHi: number, vaHi: number): boolean {
  return (tcrHi & (isUpperRange(vaHi) ? TCR_HI.TBI1 : TCR_HI.TBI0)) !== 0;
}

/** The current ASID: from TTBR1 when TCR_EL1.A1, else TTBR0; 8 bits unless TCR_EL1.AS. */
export function currentAsid(tcrLo: number, tcrHi: number, ttbr0Hi: number, ttbr1Hi: number): number {
  const asid = ((tcrLo & TCR_LO.A1) !== 0 ? ttbr1Hi : ttbr0Hi) >>> 16;
  return (tcrHi & TCR_HI.AS) !== 0 ? asid : asid & 0xff;
}
