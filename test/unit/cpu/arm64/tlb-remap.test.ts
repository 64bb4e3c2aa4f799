// The soft TLB fast path against independent references: the bytes loads and stores move are the
// little-endian ones a byte-wise reference computes, whatever the offset in the page (including the last
// words and page-crossing accesses, which take the slow path) and for RAM seen through an alias at an odd
// offset, through the interpreter and through compiled blocks; and a page the guest remaps in its own page
// table is seen after TLBI (by VA, by VA for all ASIDs, and all), with the old translation cached before.
import { describe, expect, it } from 'vitest';
import { MemoryRegion } from '../../../../src-emu/core/memory';
import type { CpuOptions } from '../../../../src-emu/cpu/arm64/cpu';
import { SLOT } from '../../../../src-emu/cpu/arm64/sys/regfile';
import { sysKey } from '../../../../src-emu/cpu/arm64/sys/sysreg-defs';
import { TEST_RAM_BASE, testMachine } from '../../../../src-emu/cpu/arm64/sys/test-machine';
import { CODE, COMPILE_EACH, DATA, getX, makeMachine, setPc, setX } from './harness';
import type { Machine } from './harness';
import { objdumpSource } from './objdump';

const MODES: ReadonlyArray<readonly [string, CpuOptions]> = [
  ['interpreter', { jit: { threshold: 0 } }],
  ['compiled blocks', { jit: { threshold: 1 } }],
  ['each instruction compiled', COMPILE_EACH],
];

/** Byte k of the test pattern (never zero, so a zero read cannot pass by accident). */
const patternByte = (k: number): number => ((k * 37 + 11) & 0xff) | 1;

/** Little-endian value of `size` bytes of the pattern at byte `k`. */
function patternValue(k: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(patternByte(k + i));
  return v;
}

function loadProgram(m: Machine, source: string, at = CODE): void {
  for (const l of objdumpSource(source, at)) m.bus.write(l.address, 4, l.word >>> 0);
  setPc(m.cpu, at);
}

const ACCESSES = `
  ldr x1, [x2]
  ldr w3, [x2]
  ldrsw x4, [x2]
  str x10, [x11]
  str w12, [x13]
  b .`;

describe('soft TLB fast path', () => {
  // Offsets in the data page: aligned, 4-aligned only, the last word and doubleword, page-crossing, odd.
  const OFFSETS = [0, 4, 8, 0x7f4, 0xff8, 0xffc, 0xffa, 0x3];

  for (const [mode, options] of MODES) {
    it(`loads and stores the little-endian bytes at every offset (${mode})`, () => {
      for (const off of OFFSETS) {
        const m = makeMachine(4 << 20, options);
        for (let k = 0; k < 0x2000; k++) m.bus.write(DATA + k, 1, patternByte(k));
        loadProgram(m, ACCESSES);
        setX(m.cpu, 2, BigInt(DATA + off));
        setX(m.cpu, 10, 0x0123_4567_89ab_cdefn);
        setX(m.cpu, 11, BigInt(DATA + 0x2000 + off));
        setX(m.cpu, 12, 0xfedc_ba98n);
        setX(m.cpu, 13, BigInt(DATA + 0x4000 + off));
        // Warm the TLB first, so the loads below hit it.
        m.cpu.run(6);
        setPc(m.cpu, CODE);
        m.cpu.run(6);
        const word = patternValue(off, 4);
        expect([off, getX(m.cpu, 1), getX(m.cpu, 3), getX(m.cpu, 4)]).toEqual([
          off,
          patternValue(off, 8),
          word,
          word >= 0x8000_0000n ? word | 0xffff_ffff_0000_0000n : word,
        ]);
        const bytes = (pa: number, n: number): number[] => Array.from({ length: n }, (_, i) => m.bus.read(pa + i, 1));
        expect(bytes(DATA + 0x2000 + off, 8)).toEqual([0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]);
        expect(bytes(DATA + 0x4000 + off, 4)).toEqual([0x98, 0xba, 0xdc, 0xfe]);
      }
    });
  }

  it('reads and writes RAM through an alias 2 bytes into the block', () => {
    const m = makeMachine(4 << 20, { jit: { threshold: 0 } });
    const ALIAS = 0x8000_0000;
    const root = m.bus.root;
    root.addSubregion(ALIAS, MemoryRegion.alias('odd', m.ram, DATA - TEST_RAM_BASE + 2, 0x10000));
    for (let k = 0; k < 0x100; k++) m.bus.write(DATA + k, 1, patternByte(k));
    loadProgram(m, ACCESSES);
    setX(m.cpu, 2, BigInt(ALIAS + 8));
    setX(m.cpu, 10, 0x0123_4567_89ab_cdefn);
    setX(m.cpu, 11, BigInt(ALIAS + 0x40));
    setX(m.cpu, 12, 0xfedc_ba98n);
    setX(m.cpu, 13, BigInt(ALIAS + 0x44));
    for (let pass = 0; pass < 2; pass++) {
      setPc(m.cpu, CODE);
      m.cpu.run(6);
      expect(getX(m.cpu, 1)).toBe(patternValue(10, 8));
      expect(getX(m.cpu, 3)).toBe(patternValue(10, 4));
    }
    expect(m.bus.read(DATA + 0x42, 4)).toBe(0x89abcdef);
    expect(m.bus.read(DATA + 0x46, 4)).toBe(0xfedcba98);
  });
});

// --- remapping through the guest's own page tables --------------------------------------------------------

const KERNEL_HI = 0xffffff80 | 0; // VA 0xffffff80_00000000: bottom of the 39-bit TTBR1 range
const KERNEL_VA = 0xffff_ff80_0000_0000n;
const L1 = TEST_RAM_BASE + 0x1000;
const L2 = TEST_RAM_BASE + 0x2000;
const L3 = TEST_RAM_BASE + 0x3000;
const CODE_PA = TEST_RAM_BASE + 0x10000;
const VECTORS_PA = TEST_RAM_BASE + 0x11000;
const PAGE_A = TEST_RAM_BASE + 0x20000;
const PAGE_B = TEST_RAM_BASE + 0x21000;
const AF = 1 << 10;
const UXN_HI = 1 << 22;

/** Kernel VA +0: code, +0x1000: vectors, +0x2000: data (page A), +0x3000: the level 3 table itself. */
function remappable(options: CpuOptions, tlbi: string) {
  const m = testMachine({ jit: options.jit });
  const view = m.ram.ram!.view;
  const put = (pa: number, lo: number, hi = 0): void => {
    view.setUint32(pa - TEST_RAM_BASE, lo >>> 0, true);
    view.setUint32(pa - TEST_RAM_BASE + 4, hi >>> 0, true);
  };
  put(L1, L2 | 3);
  put(L2, L3 | 3);
  put(L3, CODE_PA | AF | 3, UXN_HI);
  put(L3 + 8, VECTORS_PA | AF | 3, UXN_HI);
  put(L3 + 16, PAGE_A | AF | 3, UXN_HI);
  put(L3 + 24, L3 | AF | 3, UXN_HI);
  put(PAGE_A, 0xaaaa_0001, 0xaaaa_1000);
  put(PAGE_A + 8, 0xaaaa_0002, 0xaaaa_2000);
  put(PAGE_B, 0xbbbb_0001, 0xbbbb_1000);
  put(PAGE_B + 8, 0xbbbb_0002, 0xbbbb_2000);
  const program = objdumpSource(`
  ldr x1, [x2]
  ldr w5, [x2, #12]
  str x3, [x4]
  ${tlbi}
  dsb ish
  isb
  ldr x7, [x2]
  ldr w8, [x2, #12]
  str x9, [x2, #16]
  b .`);
  program.forEach((l, i) => view.setUint32(CODE_PA - TEST_RAM_BASE + 4 * i, l.word >>> 0, true));
  for (let off = 0; off < 0x800; off += 4) view.setUint32(VECTORS_PA - TEST_RAM_BASE + off, 0x14000000, true);
  m.file.set(SLOT.TTBR1_EL1, L1, 0);
  m.file.set(SLOT.VBAR_EL1, 0x1000, KERNEL_HI);
  m.regs.write(sysKey(3, 0, 2, 0, 2), 25 | (25 << 16) | (2 << 30), 2); // TCR_EL1: 39-bit VAs, 4 KB granule
  m.regs.write(sysKey(3, 0, 1, 0, 0), 0x00c50839, 0); // SCTLR_EL1.M
  m.cpu.pcLo = 0;
  m.cpu.pcHi = KERNEL_HI;
  const pair = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  const data = KERNEL_VA + 0x2000n;
  const x = (r: number, v: bigint): void => {
    m.cpu.x[2 * r] = Number(v & 0xffff_ffffn) | 0;
    m.cpu.x[2 * r + 1] = Number(v >> 32n) | 0;
  };
  x(2, data);
  x(3, pair(PAGE_B | AF | 3, UXN_HI)); // the new descriptor for the data page
  x(4, KERNEL_VA + 0x3000n + 16n); // its slot in the level 3 table, through the table's own mapping
  x(6, (data >> 12n) & ((1n << 44n) - 1n)); // TLBI operand: VA[55:12]
  x(9, 0x1234_5678_9abc_def0n);
  return m;
}

describe('soft TLB after the guest remaps a page', () => {
  for (const tlbi of ['tlbi vaae1, x6', 'tlbi vae1, x6', 'tlbi vmalle1']) {
    for (const [mode, options] of MODES) {
      it(`sees the new page after '${tlbi}' (${mode})`, () => {
        const m = remappable(options, tlbi);
        m.cpu.run(10);
        expect([m.cpu.pcLo, m.cpu.pcHi]).toEqual([0x24, KERNEL_HI]);
        expect(getX(m.cpu, 1)).toBe(0xaaaa_1000_aaaa_0001n);
        expect(getX(m.cpu, 5)).toBe(0xaaaa_2000n);
        expect(getX(m.cpu, 7)).toBe(0xbbbb_1000_bbbb_0001n);
        expect(getX(m.cpu, 8)).toBe(0xbbbb_2000n);
        const view = m.ram.ram!.view;
        expect(view.getBigUint64(PAGE_B + 16 - TEST_RAM_BASE, true)).toBe(0x1234_5678_9abc_def0n);
        expect(view.getBigUint64(PAGE_A + 16 - TEST_RAM_BASE, true)).toBe(0n);
      });
    }
  }
});
