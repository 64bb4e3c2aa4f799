/**
 * Incremental snapshots rely on the RAM dirty bitmap seeing every store. The CPU's soft TLB lets stores
 * bypass the bitmap only on pages already dirty; clearing the bits (takeDirty) must drop those direct
 * entries so that the next store is seen again. This runs a store loop on a real vCPU without any TLB flush
 * in between (saveSnapshot flushes TLBs too, which would hide a missing drop).
 */
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../core/ramblock';
import { TEST_RAM_BASE, testMachine } from '../cpu/arm64/sys/test-machine';

const STR_W1_X0 = 0xb9000001; // str w1, [x0]
const B_MINUS_4 = 0x17ffffff; // b . - 4

describe('dirty tracking under the soft TLB', () => {
  it('a page stored to by the direct path is dirty again after the bits were cleared', () => {
    const { cpu, ram } = testMachine();
    const block = ram.ram!;
    block.view.setUint32(0, STR_W1_X0, true);
    block.view.setUint32(4, B_MINUS_4, true);
    const dataPage = 16;
    cpu.x[0] = TEST_RAM_BASE + dataPage * PAGE_SIZE;
    cpu.x[2] = 0x1234_5678;
    cpu.pcLo = TEST_RAM_BASE;
    cpu.pcHi = 0;

    block.clearDirty();
    expect(cpu.run(200)).toBe(200);
    expect(block.takeDirty()).toEqual([dataPage]);
    // The loop's later stores went through the TLB's direct path; after takeDirty they must not any more.
    cpu.x[2] = 0x1111_1111;
    expect(cpu.run(200)).toBe(200);
    expect(block.takeDirty()).toEqual([dataPage]);
    expect(cpu.run(200)).toBe(200);
    expect(block.takeDirty()).toEqual([dataPage]);
  });
});
