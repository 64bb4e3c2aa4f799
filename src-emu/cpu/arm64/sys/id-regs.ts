/**
 * Identification register values (specs/cpu.md): a Cortex-A57 r1p0 identity that advertises only what this
 * CPU implements: ARMv8.0-A, AArch64 at EL0/EL1 only, FP and AdvSIMD, 4 KB granule, 40-bit PA, 16-bit ASID,
 * debug v8 without a PMU. Each value is [bits 31:0, bits 63:32].
 */

export type Reg64 = readonly [number, number];

export interface IdOptions {
  /** Aff0..Aff2 of MPIDR_EL1, from the board (virt: Aff0 = index % 8, Aff1 = index / 8 with GICv2). */
  readonly affinity: number;
  /** ID_AA64ISAR0_EL1.CRC32 = 1 when the integer decoder implements CRC32B..CRC32CX. */
  readonly crc32: boolean;
}

export const MIDR_CORTEX_A57_R1P0 = 0x411fd070;
/** PARange 0b0010 (40 bits) covers virt's map; ASIDBits 0b0010 (16); TGran64 0b1111 and TGran16 0b0000:
 * not supported; TGran4 0b0000: supported; no mixed endian. */
export const ID_AA64MMFR0 = 0x0f000022;
export const PA_RANGE = 2;
/** EL0 and EL1 AArch64 only (0b0001), EL2/EL3 absent, FP and AdvSIMD implemented (0), no GIC sysregs. */
export const ID_AA64PFR0 = 0x11;
/** DebugVer 6 (v8), PMUVer 0 (no PMU), BRPs 5 (6 breakpoints), WRPs 3 (4 watchpoints), CTX_CMPs 1. */
export const ID_AA64DFR0 = 0x10305006;
/** 64-byte lines: DminLine 4, IminLine 4, L1Ip PIPT (0b11), CWG/ERG 4 (QEMU's cortex-a57 value). */
export const CTR_EL0 = 0x8444c004 | 0;
/** DC ZVA block of 2^4 words = 64 bytes (DZP is computed per access). */
export const DCZID_BS = 0x4;
export const CLIDR_EL1 = 0x0a200023;
/** CCSIDR_EL1 per CSSELR_EL1 (Level << 1 | InD): L1 D, L1 I, L2 unified, as QEMU's cortex-a57. */
export const CCSIDR_BY_CSSELR: ReadonlyMap<number, number> = new Map([
  [0, 0x701fe00a],
  [1, 0x201fe012],
  [2, 0x70ffe07a],
]);
export const CNTFRQ_EL0 = 62_500_000;
/** MMU off, caches off, SA/SA0/CP15BEN, nTWI/nTWE, RES1 bits 11/22/23 as QEMU's cortex-a57 at reset. */
export const SCTLR_RESET = 0x00c50838;
/** OSLSR_EL1 at reset: OSLM = 0b10 (OS lock implemented), OSLK = 1 (locked). */
export const OSLSR_RESET = 0xa;

export function idAa64Isar0(options: IdOptions): Reg64 {
  return [options.crc32 ? 0x10000 : 0, 0];
}

export function mpidr(options: IdOptions): Reg64 {
  return [0x80000000 | (options.affinity & 0xffffff) | 0, 0];
}
