/**
 * Translation granules of VMSAv8-64. Only the 4 KB granule is implemented (and advertised in
 * ID_AA64MMFR0_EL1); the walker is written in terms of these parameters so 16 KB and 64 KB only need their
 * entries here plus the ID register fields.
 */

export interface Granule {
  readonly name: string;
  /** log2 of the page size. */
  readonly pageBits: number;
  /** Bits of VA resolved per level: pageBits - 3. */
  readonly stride: number;
  /** Bit mask of levels where a block descriptor (0b01) is valid. */
  readonly blockLevels: number;
}

export const GRANULE_4K: Granule = { name: '4K', pageBits: 12, stride: 9, blockLevels: (1 << 1) | (1 << 2) };

/** TCR_EL1.TG0 value -> granule (00 4K, 01 64K, 10 16K); null when not implemented. */
export function granuleFromTg0(tg0: number): Granule | null {
  return tg0 === 0 ? GRANULE_4K : null;
}

/** TCR_EL1.TG1 value -> granule (01 16K, 10 4K, 11 64K); null when not implemented. */
export function granuleFromTg1(tg1: number): Granule | null {
  return tg1 === 2 ? GRANULE_4K : null;
}

/** First lookup level for an input address size (ARM ARM: 4 - ceil((inputsize - pageBits) / stride)). */
export function startLevel(g: Granule, inputBits: number): number {
  return 4 - Math.ceil((inputBits - g.pageBits) / g.stride);
}

/** log2 of the region one descriptor at `level` maps. */
export function levelShift(g: Granule, level: number): number {
  return g.pageBits + g.stride * (3 - level);
}
