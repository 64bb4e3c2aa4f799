/**
 * FPCR/FPSR state shared by every floating-point operation, and the rounding-mode numbering.
 *
 * Field positions are those of the ARM ARM (D17.2 FPCR, FPSR). Only the AArch64 view is modelled:
 * trap enables (FPCR bits 8-15) read as zero on this CPU, as on Cortex-A57, so exceptions only set flags.
 */

/** FPCR bits that change arithmetic. */
export const FPCR = {
  AHP: 1 << 26,
  DN: 1 << 25,
  FZ: 1 << 24,
  RMODE_SHIFT: 22,
  /** The bits this CPU implements (everything else is RES0 / RAZ). */
  WRITABLE_MASK: (1 << 26) | (1 << 25) | (1 << 24) | (3 << 22),
} as const;

/** FPSR cumulative exception flags (and QC, the AdvSIMD saturation flag). */
export const FPSR = {
  IOC: 1 << 0,
  DZC: 1 << 1,
  OFC: 1 << 2,
  UFC: 1 << 3,
  IXC: 1 << 4,
  IDC: 1 << 7,
  QC: 1 << 27,
  WRITABLE_MASK: (1 << 27) | 0x9f,
} as const;

/**
 * Rounding modes. 0-3 are the FPCR.RMode encodings (RN, RP, RM, RZ); the others are only
 * requested by particular instructions (FCVTA and FRINTA: ties away; FCVTXN: round to odd).
 */
export const Rounding = {
  TIEEVEN: 0,
  POSINF: 1,
  NEGINF: 2,
  ZERO: 3,
  TIEAWAY: 4,
  ODD: 5,
} as const;
export type RoundingMode = (typeof Rounding)[keyof typeof Rounding];

/** Floating-point formats, numbered by size. */
export const Format = { HALF: 0, SINGLE: 1, DOUBLE: 2 } as const;
export type FpFormat = (typeof Format)[keyof typeof Format];

/**
 * The FP control and status of one CPU, plus the result slot of 64-bit operations.
 *
 * Operations on doubles take their operands as (lo, hi) int32 word pairs and leave the result in
 * `lo`/`hi`; 32- and 16-bit operations return their result and also leave it in `lo`.
 */
export class FpStatus {
  /** FPCR as the guest wrote it (masked to the implemented bits). */
  fpcr = 0;
  /** FPSR: cumulative flags, only ever ORed into by operations. */
  fpsr = 0;
  /** Low word of the last 64-bit result. */
  lo = 0;
  /** High word of the last 64-bit result. */
  hi = 0;

  /** The rounding mode FPCR selects. */
  rounding(): RoundingMode {
    return ((this.fpcr >>> FPCR.RMODE_SHIFT) & 3) as RoundingMode;
  }

  flushToZero(): boolean {
    return (this.fpcr & FPCR.FZ) !== 0;
  }

  defaultNaN(): boolean {
    return (this.fpcr & FPCR.DN) !== 0;
  }
}
