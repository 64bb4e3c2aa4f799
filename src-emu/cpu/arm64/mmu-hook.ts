/**
 * The contract between the soft TLB (tlb.ts, cpu memory access) and address translation (mmu/).
 *
 * On a TLB miss the Cpu calls `cpu.mmu.translate(vaLo, vaHi, access)` (an Mmu is built for one Cpu and keeps
 * its own reference to it, e.g. `cpu.mmu = new PageTableWalker(cpu)`):
 * - returns the physical address (a non-negative integer below 2^52) of the byte at vaLo/vaHi, or
 * - returns a negative number `-1 - fsc` on a translation fault, where fsc is the 6-bit DFSC/IFSC (level
 *   included, e.g. 0x07 = translation fault level 3, 0x0f = permission fault level 3). The Cpu then builds
 *   the instruction/data abort syndrome (EC from access kind and EL, WnR, FAR) and raises it.
 * Translation must not throw and must not change cpu state except for its own caches.
 *
 * The result is cached for the whole 4 KiB page for this access kind and privilege: so whoever changes
 * translation state (SCTLR_EL1.M, TTBRx, TCR, MAIR, TLBI, context switch) must call `cpu.tlbFlush()` or
 * `cpu.tlbFlushPage(vaLo, vaHi)`.
 */
/** `access` argument: one kind, plus UNPRIV when EL0 permissions apply (EL0, or LDTR/STTR at EL1). */
export const Access = {
  Read: 0,
  Write: 1,
  Exec: 2,
  /** Check permissions as for EL0. */
  Unpriv: 4,
} as const;

export const ACCESS_KIND_MASK = 3;

export interface Mmu {
  translate(vaLo: number, vaHi: number, access: number): number;
}

/**
 * MMU off: VA = PA. Only the low 52 bits can name memory; an address with any higher bit set is outside
 * every physical range, so report an address size fault level 0 the way the architecture does.
 */
export const identityMmu: Mmu = {
  translate(vaLo: number, vaHi: number): number {
    if (vaHi >>> 20 !== 0) return -1 - 0x00;
    return (vaHi >>> 0) * 0x1_0000_0000 + (vaLo >>> 0);
  },
};
