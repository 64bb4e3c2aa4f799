/**
 * Decoded code, one `DecodedPage` (1024 closures) per RAM page, decoded lazily.
 *
 * Every slot starts as `decodeOnFirstRun`, which decodes the word at the current PC, stores the resulting
 * closure in its slot and runs it. A store to a page holding decoded code (RamBlock's code bit) resets all
 * slots of that page to the stub, in place, so a run loop that holds the page's `fns` array sees the new
 * code at once. The stub re-marks the page as code whenever it decodes. Slots entered often also get a
 * compiled block (block-compiler.ts), dropped by the same reset.
 *
 * Pages are keyed by (RamBlock, page index in the block), so one RAM page mapped at two physical addresses
 * has one set of closures.
 */
import type { RamBlock } from '../../core/ramblock';
import type { Cpu } from './cpu';
import type { ExecFn } from './encoding';
import type { CompiledBlock } from './block-compiler';

export const INSNS_PER_PAGE = 1024;

export class DecodedPage {
  readonly fns: ExecFn[] = new Array<ExecFn>(INSNS_PER_PAGE).fill(decodeOnFirstRun);
  /** Compiled blocks by entry slot (block-compiler.ts); null until the entry gets hot. */
  readonly blocks: Array<CompiledBlock | null> = new Array<CompiledBlock | null>(INSNS_PER_PAGE).fill(null);
  /** Times the run loop entered each slot without a compiled block (saturates at the compile threshold). */
  readonly hits = new Uint16Array(INSNS_PER_PAGE);
  /** Bumped by every reset, so a running block can tell that a store invalidated its own page. */
  stamp = 0;
  /**
   * Debugger breakpoints (src-emu/debug/breakpoints.ts): slot -> closure that stands in for the
   * instruction. Re-installed by reset(), so they survive code invalidation; null while none is set, so
   * pages without breakpoints cost nothing.
   */
  traps: Map<number, ExecFn> | null = null;

  constructor(
    readonly block: RamBlock,
    /** Page index in the block. */
    readonly page: number,
  ) {}

  /** Block offset of the page's first byte. */
  get offset(): number {
    return this.page * 4096;
  }

  reset(): void {
    this.fns.fill(decodeOnFirstRun);
    this.blocks.fill(null);
    this.hits.fill(0);
    this.stamp++;
    if (this.traps !== null) for (const [slot, trap] of this.traps) this.fns[slot] = trap;
  }
}

/** The lazy slot: `cpu.decodeAt` replaces it with the real closure and runs that. */
export function decodeOnFirstRun(cpu: Cpu): void {
  cpu.decodeCurrent();
}

export class CodeCache {
  private readonly byBlock = new Map<RamBlock, Map<number, DecodedPage>>();
  private readonly unsubscribers: Array<() => void> = [];

  /** The decoded page for a block page, created (all stubs) on first use. */
  page(block: RamBlock, page: number): DecodedPage {
    let pages = this.byBlock.get(block);
    if (pages === undefined) {
      pages = new Map();
      this.byBlock.set(block, pages);
      const blockPages = pages;
      this.unsubscribers.push(block.onCodeWrite((written) => blockPages.get(written)?.reset()));
    }
    let decoded = pages.get(page);
    if (decoded === undefined) {
      decoded = new DecodedPage(block, page);
      pages.set(page, decoded);
    }
    return decoded;
  }

  /** Forgets every decoded instruction (e.g. after loading a snapshot). */
  clear(): void {
    for (const pages of this.byBlock.values()) for (const page of pages.values()) page.reset();
  }

  dispose(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers.length = 0;
    this.byBlock.clear();
  }
}
