/**
 * Guest RAM storage: one typed array per block, with the two page bitmaps the rest of the emulator needs.
 *
 * - Dirty pages: set by every write that goes through the slow path (AddressSpace writes, DMA). Snapshots
 *   read and clear them; a CPU soft-TLB lets stores bypass the slow path only for pages that are already
 *   dirty and hold no decoded code (QEMU's TLB_NOTDIRTY idea), so it must drop its write entries whenever
 *   the dirty bits are cleared: that is what `onDirtyCleared` is for.
 * - Code pages: set by the CPU for pages it has decoded. A slow-path write to such a page clears the bit and
 *   tells the `onCodeWrite` listeners, which invalidate their decode caches for that page.
 */

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/** Rounds a byte count up to whole pages. */
export function roundUpToPage(bytes: number): number {
  return Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
}

export type CodeWriteListener = (page: number) => void;
export type DirtyClearedListener = () => void;

/** Offsets may exceed 2^32 (blocks larger than 4 GiB), so page numbers are computed with division. */
export class RamBlock {
  /** Size in bytes, a whole number of pages. */
  readonly size: number;
  readonly pages: number;
  readonly bytes: Uint8Array;
  /** Little-endian loads and stores at any alignment (always pass `true` for littleEndian). */
  readonly view: DataView;
  /** Aligned views over the same buffer: `u16[offset >> 1]`, `u32[offset >> 2]` (host is little-endian). */
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;

  private readonly dirty: Uint32Array;
  private readonly code: Uint32Array;
  private readonly codeWriteListeners: CodeWriteListener[] = [];
  private readonly dirtyClearedListeners: DirtyClearedListener[] = [];

  /**
   * @param name identifies the block in snapshots and the memory map
   * @param size bytes requested; rounded up to 4 KiB pages
   * @param buffer optional existing storage (e.g. a SharedArrayBuffer) of at least the rounded size
   */
  constructor(
    readonly name: string,
    size: number,
    buffer?: ArrayBufferLike,
  ) {
    if (!Number.isSafeInteger(size) || size <= 0) throw new Error(`RAM block '${name}': invalid size ${size}`);
    this.size = roundUpToPage(size);
    this.pages = this.size / PAGE_SIZE;
    const storage = buffer ?? new ArrayBuffer(this.size);
    if (storage.byteLength < this.size) {
      throw new Error(`RAM block '${name}': buffer of ${storage.byteLength} bytes is smaller than ${this.size}`);
    }
    this.bytes = new Uint8Array(storage, 0, this.size);
    this.view = new DataView(storage, 0, this.size);
    this.u16 = new Uint16Array(storage, 0, this.size >> 1);
    this.u32 = new Uint32Array(storage, 0, this.size >> 2);
    const words = Math.ceil(this.pages / 32);
    this.dirty = new Uint32Array(words);
    this.code = new Uint32Array(words);
  }

  // --- dirty pages -------------------------------------------------------------------------------

  /** Marks the pages touched by `len` bytes at `offset` dirty (without code-page checks). */
  markDirty(offset: number, len: number): void {
    if (len <= 0) return;
    const last = Math.floor((offset + len - 1) / PAGE_SIZE);
    for (let page = Math.floor(offset / PAGE_SIZE); page <= last; page++) this.dirty[page >>> 5] |= 1 << (page & 31);
  }

  isDirty(page: number): boolean {
    return (this.dirty[page >>> 5] & (1 << (page & 31))) !== 0;
  }

  /** Returns the dirty pages in ascending order and clears them all. */
  takeDirty(): number[] {
    const pages: number[] = [];
    for (let word = 0; word < this.dirty.length; word++) {
      let bits = this.dirty[word];
      while (bits !== 0) {
        const bit = 31 - Math.clz32(bits & -bits);
        pages.push(word * 32 + bit);
        bits &= bits - 1;
      }
    }
    this.clearDirty();
    return pages;
  }

  clearDirty(): void {
    this.dirty.fill(0);
    for (const listener of this.dirtyClearedListeners) listener();
  }

  /** Called after the dirty bits were cleared; returns a function that unsubscribes. */
  onDirtyCleared(listener: DirtyClearedListener): () => void {
    return subscribe(this.dirtyClearedListeners, listener);
  }

  // --- code pages --------------------------------------------------------------------------------

  markCode(page: number): void {
    this.code[page >>> 5] |= 1 << (page & 31);
  }

  hasCode(page: number): boolean {
    return (this.code[page >>> 5] & (1 << (page & 31))) !== 0;
  }

  clearCode(page: number): void {
    this.code[page >>> 5] &= ~(1 << (page & 31));
  }

  /** Called when a slow-path write hits a code page (the bit is already cleared); returns an unsubscriber. */
  onCodeWrite(listener: CodeWriteListener): () => void {
    return subscribe(this.codeWriteListeners, listener);
  }

  /**
   * Records a slow-path write of `len` bytes at `offset`: marks the pages dirty and, for each page holding
   * decoded code, clears its code bit and notifies the listeners.
   */
  noteWrite(offset: number, len: number): void {
    if (len <= 0) return;
    const last = Math.floor((offset + len - 1) / PAGE_SIZE);
    for (let page = Math.floor(offset / PAGE_SIZE); page <= last; page++) {
      const word = page >>> 5;
      const bit = 1 << (page & 31);
      this.dirty[word] |= bit;
      if ((this.code[word] & bit) !== 0) {
        this.code[word] &= ~bit;
        for (const listener of this.codeWriteListeners) listener(page);
      }
    }
  }
}

function subscribe<T>(list: T[], listener: T): () => void {
  list.push(listener);
  return () => {
    const index = list.indexOf(listener);
    if (index >= 0) list.splice(index, 1);
  };
}
