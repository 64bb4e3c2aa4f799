import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, RamBlock } from './ramblock';

describe('RamBlock', () => {
  it('rounds its size up to whole 4 KiB pages and shares one buffer between its views', () => {
    const block = new RamBlock('ram', 5000);
    expect(block.size).toBe(8192);
    expect(block.pages).toBe(2);
    block.u32[1] = 0x44332211;
    expect([...block.bytes.subarray(4, 8)]).toEqual([0x11, 0x22, 0x33, 0x44]);
    expect(block.u16[3]).toBe(0x4433);
    expect(block.view.getUint32(4, true)).toBe(0x44332211);
  });

  it('can use storage it is given, and refuses storage that is too small', () => {
    const shared = new SharedArrayBuffer(PAGE_SIZE);
    const block = new RamBlock('shared', PAGE_SIZE, shared);
    block.bytes[3] = 9;
    expect(new Uint8Array(shared)[3]).toBe(9);
    expect(() => new RamBlock('small', 2 * PAGE_SIZE, shared)).toThrow(
      "RAM block 'small': buffer of 4096 bytes is smaller than 8192",
    );
    expect(() => new RamBlock('zero', 0)).toThrow("RAM block 'zero': invalid size 0");
  });

  it('tracks dirty pages and hands them out in order, clearing them', () => {
    const block = new RamBlock('ram', 40 * PAGE_SIZE);
    block.markDirty(33 * PAGE_SIZE + 5, 1);
    block.markDirty(PAGE_SIZE - 1, 2); // pages 0 and 1
    block.markDirty(31 * PAGE_SIZE, PAGE_SIZE); // exactly page 31
    block.markDirty(10 * PAGE_SIZE, 0); // nothing
    expect(block.isDirty(31)).toBe(true);
    expect(block.isDirty(32)).toBe(false);
    expect(block.takeDirty()).toEqual([0, 1, 31, 33]);
    expect(block.isDirty(0)).toBe(false);
    expect(block.takeDirty()).toEqual([]);
  });

  it('tells dirty-cleared listeners on takeDirty and clearDirty until they unsubscribe', () => {
    const block = new RamBlock('ram', PAGE_SIZE);
    let cleared = 0;
    const unsubscribe = block.onDirtyCleared(() => cleared++);
    block.takeDirty();
    block.clearDirty();
    unsubscribe();
    block.clearDirty();
    expect(cleared).toBe(2);
  });

  it('notes slow-path writes: dirty, and code-write listeners for code pages, clearing the code bit', () => {
    const block = new RamBlock('ram', 4 * PAGE_SIZE);
    const seen: Array<[string, number]> = [];
    block.onCodeWrite((page) => seen.push(['a', page]));
    const unsubscribe = block.onCodeWrite((page) => seen.push(['b', page]));
    block.markCode(1);
    block.markCode(2);
    expect(block.hasCode(1)).toBe(true);
    block.noteWrite(PAGE_SIZE - 2, PAGE_SIZE + 4); // pages 0, 1 and 2
    expect(seen).toEqual([
      ['a', 1],
      ['b', 1],
      ['a', 2],
      ['b', 2],
    ]);
    expect(block.hasCode(1)).toBe(false);
    expect(block.takeDirty()).toEqual([0, 1, 2]);
    unsubscribe();
    block.markCode(3);
    block.clearCode(3);
    block.noteWrite(3 * PAGE_SIZE, 4);
    expect(seen).toHaveLength(4);
  });
});
