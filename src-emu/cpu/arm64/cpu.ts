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
import { CodeCache, DecodedPage } from './code-cache';
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
}

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
  private forceBoundary = 0;
  /** The page the loop is executing (for the lazy decode stub). */
  private curPage: DecodedPage = placeholderPage;

  constructor(bus: AddressSpace, options: CpuOptions = {}) {
    super(bus);
    this.index = options.index ?? 0;
    this.codeCache = options.codeCache ?? new CodeCache();
    this.decoder = options.decoder ?? defaultDecoder();
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

  /** Runs from the PC while it stays in its page; returns instructions executed (a fault counts as one). */
  private runBlock(budget: number): number {
    let n = 0;
    try {
      const page = this.fetchPage();
      this.curPage = page;
      const fns = page.fns;
      const baseLo = this.pcLo & PAGE_MASK;
      let idx = (this.pcLo & 0xfff) >>> 2;
      this.forceBoundary = 0;
      while (n < budget) {
        this.pcLo = baseLo | (idx << 2);
        fns[idx](this);
        n++;
        if (this.jumped !== 0) {
          this.jumped = 0;
          // Leave on page change, misaligned PC, stop requests and unmasked interrupts.
          if ((this.pcLo & ~0xffc) !== baseLo || this.forceBoundary !== 0) return n;
          if ((this.interruptPending & ~this.daif & 3) !== 0) return n;
          idx = (this.pcLo & 0xfff) >>> 2;
        } else if (++idx === 1024) {
          this.pcLo = (baseLo + 0x1000) | 0;
          if (this.pcLo === 0) this.pcHi = (this.pcHi + 1) | 0;
          return n;
        }
      }
      this.pcLo = baseLo | (idx << 2);
      return n;
    } catch (e) {
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
    if (!block.hasCode(page.page)) {
      block.markCode(page.page);
      this.tlb.dropWritesTo(block, page.offset);
    }
    const word = block.view.getInt32(page.offset + idx * 4, true);
    const fn = this.decoder.lookup(word).exec(word);
    page.fns[idx] = fn;
    fn(this);
  }

  /** The instruction word at a virtual address as the CPU would fetch it (debugger, tracing); null on fault. */
  peekInstruction(lo: number, hi: number): number | null {
    const pa = this.mmu.translate(lo, hi, Access.Exec | (this.el === 0 ? Access.Unpriv : 0));
    if (pa < 0) return null;
    const ref = this.bus.findRam(pa);
    return ref === null ? null : ref.block.view.getInt32(ref.offset, true);
  }
}
