/**
 * Architectural state of one AArch64 vCPU, laid out for fast access from instruction closures.
 *
 * General registers: `x` is an Int32Array of int32 lo/hi pairs; register slot n lives at x[2n] (bits 31:0)
 * and x[2n+1] (bits 63:32). Slots:
 *   0..30  X0..X30
 *   31     the current stack pointer (SP_EL0 or SP_ELx, chosen by PSTATE.SPSel); the inactive one is in `spBank`
 *   32     ZR_READ: always zero, never written (closures read it when an operand is XZR/WZR)
 *   33     ZR_SINK: scratch that absorbs writes to XZR/WZR (never read as an operand)
 * Decoders resolve "register 31 means SP or ZR" once, with `readSlot`/`writeSlot` (insn/fields.ts), so a
 * closure indexes `x` without any test. A 32-bit (W) result writes 0 to the hi word.
 *
 * PSTATE: n z c v are separate 0/1 ints; `daif` holds D A I F as bits 3..0 (PSTATE bits 9..6 shifted down);
 * `spsel` 0/1; `el` 0/1 (AArch64 EL0/EL1 only).
 *
 * FP/AdvSIMD: V0..V31 are 16 bytes each in one 512-byte buffer; Vn occupies bytes [16n, 16n+16), element 0 at
 * the lowest address (host is little-endian, so this is the architecture's lane order). Views over it:
 * `v8` (Uint8), `v16` (Uint16), `v32` (Int32), `vf32` (Float32), `vf64` (Float64). So Dn's bits are
 * v32[4n] (lo) and v32[4n+1] (hi), Sn is v32[4n], and vf64[2n] is Dn as a double. `fpcr` and `fpsr` are plain
 * uint32 values (owned by the fp/ code; the framework only stores them).
 */

export const X_SLOTS = 34;
export const SP_SLOT = 31;
export const ZR_READ_SLOT = 32;
export const ZR_SINK_SLOT = 33;

/** Bits of `interruptPending`, matching the DAIF bit positions so `pending & ~daif` is the unmasked set. */
export const IRQ_LINE = 2;
export const FIQ_LINE = 1;

/** Why `run()` stopped early (`Cpu.stopReason`). */
export const StopReason = {
  None: 0,
  /** The budget was used up. */
  Budget: 1,
  /** WFI executed: the machine may sleep until the next timer deadline or interrupt. */
  Wfi: 2,
  /** Someone (sys code, the debugger, the machine) asked the loop to return via `requestExit()`. */
  Exit: 3,
  /** The minimal built-in exception model stopped the CPU on an exception (see exception-hooks.ts). */
  Exception: 4,
} as const;
export type StopReason = (typeof StopReason)[keyof typeof StopReason];

/**
 * Plain architectural state; `Cpu` (cpu.ts) extends it with the run loop and memory access. All fields are
 * created in the constructor so every instance has the same hidden class.
 */
export class CpuState {
  /** X0..X30, current SP, ZR read slot, ZR sink slot (see the file comment). */
  readonly x = new Int32Array(X_SLOTS * 2);
  /** SP_EL0 at [0..1], SP_EL1 at [2..3]. Only the inactive one is up to date; the active one is x[62..63]. */
  readonly spBank = new Int32Array(4);

  /**
   * Program counter. While a closure runs, pcLo/pcHi is the address of that instruction. A closure that
   * changes control flow writes the target into pcLo/pcHi and sets `jumped = 1` (see cpu.ts "PC contract").
   */
  pcLo = 0;
  pcHi = 0;
  jumped = 0;

  n = 0;
  z = 0;
  c = 0;
  v = 0;
  /** D A I F in bits 3..0. Reset value masks everything. */
  daif = 0xf;
  spsel = 1;
  el = 1;
  /** Which soft-TLB table data accesses use: 0 for EL0 permissions, 1 for EL1. Kept equal to `el`. */
  mmuIdx = 1;

  /** FP/AdvSIMD register file and its views (layout in the file comment). */
  readonly vbuf = new ArrayBuffer(32 * 16);
  readonly v8 = new Uint8Array(this.vbuf);
  readonly v16 = new Uint16Array(this.vbuf);
  readonly v32 = new Int32Array(this.vbuf);
  readonly vf32 = new Float32Array(this.vbuf);
  readonly vf64 = new Float64Array(this.vbuf);
  fpcr = 0;
  fpsr = 0;
  /**
   * 1 when SIMD&FP instructions trap (CPACR_EL1.FPEN for the current EL); sys/ keeps it in sync on CPACR
   * writes and EL changes. FP closures call `checkFpAccess(cpu)` (insn/ldst-common.ts).
   */
  fpDisabled = 0;

  /** IRQ_LINE | FIQ_LINE as driven by the interrupt controller / timer (level, not edge). */
  interruptPending = 0;

  /** NZCV packed as in PSTATE/SPSR bits 31..28. */
  getNzcv(): number {
    return ((this.n << 31) | (this.z << 30) | (this.c << 29) | (this.v << 28)) >>> 0;
  }

  setNzcv(bits: number): void {
    this.n = (bits >>> 31) & 1;
    this.z = (bits >>> 30) & 1;
    this.c = (bits >>> 29) & 1;
    this.v = (bits >>> 28) & 1;
  }

  /**
   * Changes EL and/or SPSel, swapping the live SP with the banked one. Every change of PSTATE.EL or SPSel
   * (exception entry, ERET, MSR SPSel) must go through here so x[62..63] always holds the selected SP.
   */
  setElAndSpSel(el: number, spsel: number): void {
    const from = this.activeSpBank();
    this.spBank[from] = this.x[62];
    this.spBank[from + 1] = this.x[63];
    this.el = el;
    this.spsel = spsel;
    this.mmuIdx = el;
    const to = this.activeSpBank();
    this.x[62] = this.spBank[to];
    this.x[63] = this.spBank[to + 1];
  }

  /** Reads SP_ELn (n = 0 or 1) whether or not it is the live SP. Writes `out[0..1]`. */
  readSpEl(n: number, out: Int32Array): void {
    const slot = n * 2;
    const live = this.activeSpBank() === slot;
    out[0] = live ? this.x[62] : this.spBank[slot];
    out[1] = live ? this.x[63] : this.spBank[slot + 1];
  }

  writeSpEl(n: number, lo: number, hi: number): void {
    const slot = n * 2;
    if (this.activeSpBank() === slot) {
      this.x[62] = lo;
      this.x[63] = hi;
    } else {
      this.spBank[slot] = lo;
      this.spBank[slot + 1] = hi;
    }
  }

  /** Index into spBank of the SP that x[62..63] currently stands for. */
  private activeSpBank(): number {
    return this.spsel === 0 || this.el === 0 ? 0 : 2;
  }
}
