/** The walker installed as the Cpu's MMU: fetches and data accesses through real tables in RAM. */
import { describe, expect, it } from 'vitest';
import { SLOT } from '../sys/regfile';
import { sysKey } from '../sys/sysreg-defs';
import { TEST_RAM_BASE, testMachine } from '../sys/test-machine';

const KERNEL_HI = 0xffffff80 | 0; // VA 0xffffff80_00000000: bottom of the 39-bit TTBR1 range
const CODE_PA = TEST_RAM_BASE + 0x10000;
const VECTORS_PA = TEST_RAM_BASE + 0x11000;
const MRS_X0_MIDR = 0xd5380000;
const B_SELF = 0x14000000;
const LDR_X1_X2 = 0xf9400041; // ldr x1, [x2]

function kernelMapped() {
  const m = testMachine();
  const view = m.ram.ram!.view;
  const put = (pa: number, lo: number, hi = 0) => {
    view.setUint32(pa - TEST_RAM_BASE, lo >>> 0, true);
    view.setUint32(pa - TEST_RAM_BASE + 4, hi >>> 0, true);
  };
  const l1 = TEST_RAM_BASE + 0x1000;
  const l2 = TEST_RAM_BASE + 0x2000;
  const l3 = TEST_RAM_BASE + 0x3000;
  put(l1, l2 | 3);
  put(l2, l3 | 3);
  const AF = 1 << 10;
  const UXN_HI = 1 << 22;
  put(l3, CODE_PA | AF | 3, UXN_HI); // VA +0x0000: code, EL1 only, UXN
  put(l3 + 8, VECTORS_PA | AF | 3, UXN_HI); // VA +0x1000: vectors
  view.setUint32(CODE_PA - TEST_RAM_BASE, MRS_X0_MIDR, true);
  view.setUint32(CODE_PA - TEST_RAM_BASE + 4, LDR_X1_X2, true);
  for (let off = 0; off < 0x800; off += 4) view.setUint32(VECTORS_PA - TEST_RAM_BASE + off, B_SELF, true);
  m.file.set(SLOT.TTBR1_EL1, l1, 0);
  m.file.set(SLOT.VBAR_EL1, 0x1000, KERNEL_HI);
  m.regs.write(sysKey(3, 0, 2, 0, 2), 25 | (25 << 16) | (2 << 30), 2); // TCR_EL1
  m.regs.write(sysKey(3, 0, 1, 0, 0), 0x00c50839, 0); // SCTLR_EL1.M
  m.cpu.pcLo = 0;
  m.cpu.pcHi = KERNEL_HI;
  const esr = () => m.file.lo(SLOT.ESR_EL1) >>> 0;
  const far = () => [m.file.lo(SLOT.FAR_EL1) >>> 0, m.file.hi(SLOT.FAR_EL1) >>> 0];
  return { ...m, esr, far };
}

describe('Stage1Mmu as the Cpu translation hook', () => {
  it('fetches and executes kernel code through TTBR1', () => {
    const m = kernelMapped();
    m.cpu.run(1);
    expect(m.cpu.x[0] >>> 0).toBe(0x411fd070);
    expect([m.cpu.pcLo, m.cpu.pcHi]).toEqual([4, KERNEL_HI]);
  });

  it('reports a translation fault on a data access with level and FAR (ESR 0x96000006)', () => {
    const m = kernelMapped();
    m.cpu.x[4] = 0x0020_0000; // X2 = kernel VA + 2 MB: level 2 entry 1 is invalid
    m.cpu.x[5] = KERNEL_HI;
    m.cpu.run(2);
    expect(m.esr()).toBe(0x9600_0006);
    expect(m.far()).toEqual([0x0020_0000, KERNEL_HI >>> 0]);
    expect([m.cpu.pcLo, m.cpu.pcHi]).toEqual([0x1200, KERNEL_HI]);
  });

  it('raises an instruction abort (permission, level 3) when EL0 executes a UXN page', () => {
    const m = kernelMapped();
    m.cpu.setElAndSpSel(0, 0);
    m.cpu.run(1);
    expect(m.esr()).toBe(0x8200_000f);
    expect(m.far()).toEqual([0, KERNEL_HI >>> 0]);
    expect([m.cpu.el, m.cpu.pcLo, m.cpu.pcHi]).toEqual([1, 0x1400, KERNEL_HI]);
  });
});
