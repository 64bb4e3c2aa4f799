/**
 * Soft TLB: direct-mapped, one table of TLB_SIZE entries per mmuIdx (0 = EL0 permissions, 1 = EL1), indexed
 * by the low bits of the virtual page number. Only RAM pages are cached (MMIO always takes the slow path).
 *
 * An entry maps the virtual page (pageLo, pageHi) to a RAM block (`view`, `block`) and the block offset of
 * the page (`base`). Permission is folded into the tag compare: `readTag[i]`, `writeTag[i]` and `execTag[i]`
 * equal pageLo when that access kind was translated and allowed, and INVALID_TAG otherwise, so the fast path
 * is `tag[i] === (vaLo & ~0xfff) && pageHi[i] === vaHi`.
 *
 * Stores: writeTag is set only for pages that are already dirty, hold no decoded code and are not ROM, so
 * that dirty tracking and code invalidation see the first store (which goes through AddressSpace.write).
 * Hence `dropWrites()` when a block's dirty bits are cleared and `dropWritesTo()` when a page becomes code.
 */
import type { RamBlock } from '../../core/ramblock';
import type { DecodedPage } from './code-cache';

/**
 * 1024 entries per mmuIdx: with 256, the Debian boot to init walked the page tables 2.4 million times
 * (mostly conflict misses), with 1024, 0.7 million, and booted 5% faster. A full flush (10,000 in that boot,
 * nearly all for ASID changes) still costs only a few microseconds.
 */
export const TLB_BITS = 10;
export const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;
export const MMU_IDX_COUNT = 2;
/** Never equal to a page-aligned address. */
export const INVALID_TAG = 1;
export const PAGE_MASK = ~0xfff;

const ENTRIES = TLB_SIZE * MMU_IDX_COUNT;

const placeholderView = new DataView(new ArrayBuffer(8));

export class SoftTlb {
  readonly pageLo = new Int32Array(ENTRIES).fill(INVALID_TAG);
  readonly pageHi = new Int32Array(ENTRIES);
  readonly readTag = new Int32Array(ENTRIES).fill(INVALID_TAG);
  readonly writeTag = new Int32Array(ENTRIES).fill(INVALID_TAG);
  readonly execTag = new Int32Array(ENTRIES).fill(INVALID_TAG);
  /** Block offset of the page start. */
  readonly base = new Float64Array(ENTRIES);
  /** Physical address of the page start. */
  readonly pa = new Float64Array(ENTRIES);
  readonly view: DataView[] = new Array<DataView>(ENTRIES).fill(placeholderView);
  readonly block: Array<RamBlock | null> = new Array<RamBlock | null>(ENTRIES).fill(null);
  /** Decoded code of the page, filled by instruction fetch. */
  readonly code: Array<DecodedPage | null> = new Array<DecodedPage | null>(ENTRIES).fill(null);

  /** Entry index for a virtual address under an mmuIdx. */
  static index(mmuIdx: number, vaLo: number): number {
    return (mmuIdx << TLB_BITS) | ((vaLo >>> 12) & TLB_MASK);
  }

  /**
   * Points entry i at a RAM page; if it held another virtual page, that page's permissions are forgotten.
   * The caller then sets the tag of the access kind it checked.
   */
  fill(i: number, vaLo: number, vaHi: number, block: RamBlock, blockOffset: number, pa: number): void {
    const pageLo = vaLo & PAGE_MASK;
    if (this.pageLo[i] !== pageLo || this.pageHi[i] !== vaHi || this.pa[i] !== pa || this.block[i] !== block) {
      this.readTag[i] = this.writeTag[i] = this.execTag[i] = INVALID_TAG;
      this.code[i] = null;
    }
    this.pageLo[i] = pageLo;
    this.pageHi[i] = vaHi;
    this.block[i] = block;
    this.view[i] = block.view;
    this.base[i] = blockOffset;
    this.pa[i] = pa;
  }

  flush(): void {
    this.pageLo.fill(INVALID_TAG);
    this.readTag.fill(INVALID_TAG);
    this.writeTag.fill(INVALID_TAG);
    this.execTag.fill(INVALID_TAG);
    this.code.fill(null);
  }

  /** Drops the entries for one virtual page in every mmuIdx. */
  flushPage(vaLo: number, vaHi: number): void {
    for (let idx = 0; idx < MMU_IDX_COUNT; idx++) {
      const i = SoftTlb.index(idx, vaLo);
      if (this.pageLo[i] === (vaLo & PAGE_MASK) && this.pageHi[i] === vaHi) this.invalidate(i);
    }
  }

  dropWrites(): void {
    this.writeTag.fill(INVALID_TAG);
  }

  /** Drops write permission for every entry that maps the block page starting at `blockOffset`. */
  dropWritesTo(block: RamBlock, blockOffset: number): void {
    for (let i = 0; i < ENTRIES; i++) {
      if (this.block[i] === block && this.base[i] === blockOffset) this.writeTag[i] = INVALID_TAG;
    }
  }

  private invalidate(i: number): void {
    this.pageLo[i] = this.readTag[i] = this.writeTag[i] = this.execTag[i] = INVALID_TAG;
    this.code[i] = null;
  }
}
