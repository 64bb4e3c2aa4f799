/**
 * One AArch64 vCPU: the run loop over decoded pages.
 *
 * PC contract (for every instruction closure):
 * - While a closure runs, `cpu.pcLo/pcHi` is the address of its own instruction (use it for ADR, literal
 *   loads, BL's link value, exception return addresses).
 * - To change control flow, write the target into pcLo/pcHi and set `cpu.jumped = 1` (or call `setPc`).
 *   Otherwise the loop continues with the next word.
 * - A closure whose effect must be seen before the next instruction is fetched (translation or interrupt
 *   mask changes, ERET, WFI) calls `endBlockAfterThis()` (optionally after `requestStop`).
 * - Faults throw via the raise* methods (memory-access.ts); the loop runs exception entry.
 *
 * Run loop contract: `run(maxInsns)` executes up to maxInsns instructions (a faulting instruction counts)
 * and returns how many it executed; `stopReason` tells why it returned early (WFI, requestStop, the
 * placeholder exception model). Pending unmasked interrupts are taken at taken branches, page changes and
 * entry to run(). The loop refetches the page (exec TLB, then mmu) only when the PC leaves its page.
 */
import type { AddressSpace } from '../../core/memory';
import { RamBlock } from '../../core/ramblock';
import { PAGE_MASK, SoftTlb } from './tlb';
import { CodeCache, DecodedPage, INSNS_PER_PAGE } from './code-cache';
import { MAX_BLOCK_INSNS, compileBlock } from './block-compiler';
import type { Decoder } from './decoder';
import { defaultDecoder } from './decoder';
import { CPU_EXCEPTION, DEBUG_STOP, FSC } from './exception-hooks';
import { Access } from './mmu-hook';
import { CpuMemory } from './memory-access';
import { StopReason } from './state';
import { CPU_TRACE, cpuTrace, u64 } from './trace';

export interface CpuOptions {
  /** Aff0 / index of this vCPU on the machine. */
  readonly index?: number;
  /** Shared between vCPUs of one machine so each page is decoded once. */
  readonly codeCache?: CodeCache;
  readonly decoder?: Decoder;
  /**
   * Block compilation (block-compiler.ts): compile a block once its entry was reached `threshold` times
   * (1 to 65535; 0 disables compilation), with at most `maxInsns` instructions. Tests use { 1, 1 } to run
   * every instruction through its template.
   */
  readonly jit?: { readonly threshold: number; readonly maxInsns?: number };
}

/**
 * Entries of a block start before it is compiled. Each compiled block costs V8 a parse, a slow warm-up and a
 * TurboFan compile (about a millisecond), so only really hot code pays back: on the Debian boot, 8000 was
 * slower than 20000, and 40000 still compiles the loops that run most of the instructions.
 */
const DEFAULT_JIT_THRESHOLD = 40_000;

/** Stands in for `curPage` before the first fetch; never executed. */
const placeholderPage = new DecodedPage(new RamBlock('cpu-placeholder', 4096), 0);

export class Cpu extends CpuMemory {
  readonly index: number;
  readonly codeCache: CodeCache;
  readonly decoder: Decoder;
  stopReason: StopReason = StopReason.None;
  /** Set by requestStop; the loop returns after the current instruction's block. */
  stopRequested = 0;
  /** Total instructions executed (float: exact to 2^53). */
  instructionCount = 0;
  /** After endBlockAfterThis/requestStop: leave the inner loop even for a jump inside the page. */
  forceBoundary = 0;
  /**
   * Instructions of the finished iterations of the compiled block running, when it loops on itself: kept
   * current by the block whenever it calls out (block-compiler.ts), reset by the loop at each block entry.
   */
  loopInsns = 0;
  /** Instructions run() has counted in this runBlock before the current closure or compiled block. */
  private blockBase = 0;
  /** Instructions run() had executed when the current runBlock started. */
  private runBase = 0;
  /** Slot of the compiled block running, or -1. */
  private blockEntry = -1;
  /** The page the loop is executing (for the lazy decode stub). */
  private curPage: DecodedPage = placeholderPage;
  /** Block entries before compiling (0 = never; see CpuOptions.jit). */
  private readonly jitThreshold: number;
  private readonly jitMaxInsns: number;

  constructor(bus: AddressSpace, options: CpuOptions = {}) {
    super(bus);
    this.index = options.index ?? 0;
    this.codeCache = options.codeCache ?? new CodeCache();
    this.decoder = options.decoder ?? defaultDecoder();
    const threshold = options.jit?.threshold ?? DEFAULT_JIT_THRESHOLD;
    if (!Number.isInteger(threshold) || threshold < 0 || threshold > 65535) {
      throw new Error(`Cpu: jit.threshold must be an integer 0..65535, not ${threshold}`);
    }
    this.jitThreshold = threshold === 0 ? -1 : threshold;
    this.jitMaxInsns = options.jit?.maxInsns ?? MAX_BLOCK_INSNS;
  }

  /** Jump: the loop continues at (lo, hi). */
  setPc(lo: number, hi: number): void {
    this.pcLo = lo;
    this.pcHi = hi;
    this.jumped = 1;
  }

  /** Continue at the next instruction, but through the loop's block boundary (interrupts, refetch). */
  endBlockAfterThis(): void {
    const lo = (this.pcLo + 4) | 0;
    if (lo === 0) this.pcHi = (this.pcHi + 1) | 0;
    this.pcLo = lo;
    this.jumped = 1;
    this.forceBoundary = 1;
  }

  /** Makes run() return at the next block boundary with this reason. */
  requestStop(reason: StopReason): void {
    this.stopReason = reason;
    this.stopRequested = 1;
    this.forceBoundary = 1;
  }

  tlbFlush(): void {
    this.tlb.flush();
    if (CPU_TRACE.tlbFlush.enabled) cpuTrace.tlb_flush(this.index);
  }

  tlbFlushPage(lo: number, hi: number): void {
    this.tlb.flushPage(lo, hi);
    if (CPU_TRACE.tlbFlushPage.enabled) cpuTrace.tlb_flush_page(this.index, u64(lo, hi));
  }

  run(maxInsns: number): number {
    this.stopReason = StopReason.None;
    this.stopRequested = 0;
    let executed = 0;
    while (executed < maxInsns && this.stopRequested === 0) {
      this.runBase = executed;
      this.blockBase = 0;
      this.blockEntry = -1;
      const lines = this.interruptPending & ~this.daif & 3;
      if (lines !== 0) {
        this.exceptions.takeInterrupt(this, lines);
        if (this.stopRequested !== 0) break;
      }
      executed += this.runBlock(maxInsns - executed);
    }
    if (this.stopReason === StopReason.None && executed >= maxInsns) this.stopReason = StopReason.Budget;
    this.instructionCount += executed;
    return executed;
  }

  /**
   * Instructions the current run() call has completed before the one executing now (a clock read from a
   * closure, an MMIO access, a fault): exact whether the instruction runs as a closure or in a compiled
   * block, including any iteration of a block that loops on itself (`loopInsns` plus pcLo's position in the
   * block). Only meaningful while run() is on the stack. Deterministic virtual time is this count << shift.
   */
  executedInRun(): number {
    let n = this.runBase + this.blockBase;
    if (this.blockEntry >= 0) n += this.loopInsns + ((this.pcLo & 0xfff) >>> 2) - this.blockEntry;
    return n;
  }

  /**
   * Runs from the PC until a block boundary (stop request, unmasked interrupt, the budget) and returns the
   * instructions executed (a fault counts as one). Inside a page, at each block entry (page entry, jump
   * target, the end of a compiled block) it runs the compiled block if there is one and the budget allows,
   * else the closures one by one up to the next jump. Page changes refetch here, with the checks run()
   * would make.
   */
  private runBlock(budget: number): number {
    let n = 0;
    this.forceBoundary = 0;
    try {
      for (;;) {
        this.blockBase = n;
        this.blockEntry = -1;
        n = this.runInPage(budget, n, this.fetchPage());
        if (n < 0) return -1 - n;
        if (n >= budget || this.forceBoundary !== 0 || (this.interruptPending & ~this.daif & 3) !== 0) return n;
      }
    } catch (e) {
      // Instructions completed before the faulting one; in a compiled block, pcLo is the faulting one.
      n = this.blockBase;
      if (this.blockEntry >= 0) n += this.loopInsns + ((this.pcLo & 0xfff) >>> 2) - this.blockEntry;
      this.blockEntry = -1;
      this.loopInsns = 0;
      this.jumped = 0;
      this.mmuIdx = this.el;
      if (e === CPU_EXCEPTION) {
        this.exceptions.takeSync(this);
        return n + 1;
      }
      // A debugger breakpoint or watchpoint stopped the instruction before it did anything.
      if (e === DEBUG_STOP) return n;
      throw e;
    }
  }

  /**
   * Runs in one page from the PC, starting the count at `n`. Returns the new count when execution left the
   * page (PC at the next page or a jump target outside), or `-1 - count` when the run must end here (budget,
   * stop request, interrupt). `blockBase` tracks the count for the fault handler in runBlock.
   */
  private runInPage(budget: number, start: number, page: DecodedPage): number {
    let n = start;
    this.curPage = page;
    const fns = page.fns;
    const blocks = page.blocks;
    const baseLo = this.pcLo & PAGE_MASK;
    let idx = (this.pcLo & 0xfff) >>> 2;
    for (;;) {
      this.pcLo = baseLo | (idx << 2);
      this.blockBase = n;
      if (n >= budget) return -1 - n;
      const block = blocks[idx];
      if (block !== null && block.length <= budget - n && page.traps === null) {
        this.blockEntry = idx;
        this.loopInsns = 0;
        n += block.run(this, budget - n);
        if (this.jumped === 0) {
          // The block left pcLo at the next instruction, maybe on the next page.
          if ((this.pcLo & PAGE_MASK) === baseLo) {
            idx = (this.pcLo & 0xfff) >>> 2;
            continue;
          }
          if (this.pcLo === 0) this.pcHi = (this.pcHi + 1) | 0;
          this.blockEntry = -1;
          return n;
        }
      } else {
        if (block === null && ++page.hits[idx] === this.jitThreshold && page.traps === null) {
          this.markCodePage(page);
          blocks[idx] = compileBlock(page, idx, this.decoder, this.jitMaxInsns);
          if (blocks[idx] !== null) continue;
        }
        this.blockEntry = -1;
        for (;;) {
          fns[idx](this);
          this.blockBase = ++n;
          if (this.jumped !== 0 || ++idx === INSNS_PER_PAGE || n >= budget) break;
          this.pcLo = baseLo | (idx << 2);
        }
        if (this.jumped === 0) {
          if (idx === INSNS_PER_PAGE) return this.leavePageEnd(baseLo, n);
          continue;
        }
      }
      this.jumped = 0;
      if (this.forceBoundary !== 0 || (this.interruptPending & ~this.daif & 3) !== 0) return -1 - n;
      // A jump out of the page (or to a misaligned PC, which fetchPage raises).
      if ((this.pcLo & ~0xffc) !== baseLo) return n;
      idx = (this.pcLo & 0xfff) >>> 2;
    }
  }

  /** Execution ran off the end of the page: continue at the next page. */
  private leavePageEnd(baseLo: number, n: number): number {
    this.pcLo = (baseLo + 0x1000) | 0;
    if (this.pcLo === 0) this.pcHi = (this.pcHi + 1) | 0;
    return n;
  }

  /** The decoded page for the PC, through the exec TLB; raises PC alignment or instruction aborts. */
  private fetchPage(): DecodedPage {
    const lo = this.pcLo;
    const hi = this.pcHi;
    if ((lo & 3) !== 0) this.raisePcAlignment(lo, hi);
    const t = this.tlb;
    const i = SoftTlb.index(this.el, lo);
    if (t.execTag[i] === (lo & PAGE_MASK) && t.pageHi[i] === hi) {
      const code = t.code[i];
      if (code !== null) return code;
    }
    const pa = this.mmu.translate(lo, hi, Access.Exec | (this.el === 0 ? Access.Unpriv : 0));
    if (pa < 0) this.raiseInsnAbort(lo, hi, -1 - pa);
    const ref = this.bus.findRam(pa);
    if (ref === null) this.raiseInsnAbort(lo, hi, FSC.SyncExternal);
    const block = ref.block;
    const page = this.codeCache.page(block, Math.floor(ref.offset / 4096));
    const entry = this.fillFromRam(lo, hi, ref, pa, this.el);
    if (entry >= 0) {
      t.execTag[entry] = lo & PAGE_MASK;
      t.code[entry] = page;
    }
    return page;
  }

  /** Called by the lazy slot closure: decode the word at the PC, install its closure, run it. */
  decodeCurrent(): void {
    const page = this.curPage;
    const idx = (this.pcLo & 0xfff) >>> 2;
    const block = page.block;
    this.markCodePage(page);
    const word = block.view.getInt32(page.offset + idx * 4, true);
    const fn = this.decoder.lookup(word).exec(word);
    page.fns[idx] = fn;
    fn(this);
  }

  /** Marks the page as holding decoded code, so that stores to it reach the slow path and invalidate it. */
  private markCodePage(page: DecodedPage): void {
    const block = page.block;
    if (!block.hasCode(page.page)) {
      block.markCode(page.page);
      this.tlb.dropWritesTo(block, page.offset);
    }
  }

  /** The instruction word at a virtual address as the CPU would fetch it (debugger, tracing); null on fault. */
  peekInstruction(lo: number, hi: number): number | null {
    const pa = this.mmu.translate(lo, hi, Access.Exec | (this.el === 0 ? Access.Unpriv : 0));
    if (pa < 0) return null;
    const ref = this.bus.findRam(pa);
    return ref === null ? null : ref.block.view.getInt32(ref.offset, true);
  }
}
