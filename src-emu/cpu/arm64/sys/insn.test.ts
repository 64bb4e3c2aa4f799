/** System instructions executed by a Cpu from RAM, with results checked against ARM ARM syndromes. */
import { describe, expect, it } from 'vitest';
import { StopReason } from '../state';
import { SLOT } from './regfile';
import { sysKey } from './sysreg-defs';
import { TEST_RAM_BASE, testMachine } from './test-machine';

const VBAR = TEST_RAM_BASE + 0x10_0000;
const CODE = TEST_RAM_BASE + 0x1000;

const mrs = (key: number, rt: number) => 0xd5300000 | (key << 5) | rt | 0;
const msr = (key: number, rt: number) => 0xd5100000 | (key << 5) | rt | 0;
const MIDR = sysKey(3, 0, 0, 0, 0);
const SCTLR = sysKey(3, 0, 1, 0, 0);
const CTR = sysKey(3, 3, 0, 0, 1);
const FPCR = sysKey(3, 3, 4, 4, 0);
const I = {
  NOP: 0xd503201f,
  B_SELF: 0x14000000,
  DAIFSET_F: 0xd5034fdf,
  DAIFCLR_2: 0xd50342ff,
  SVC_0: 0xd4000001,
  HVC_0: 0xd4000002,
  SMC_0: 0xd4000003,
  BRK_3E8: 0xd4207d00,
  ERET: 0xd69f03e0,
  WFI: 0xd503207f,
  DC_ZVA_X1: 0xd50b7421,
  AT_S1E1R_X0: 0xd5087800,
  TLBI_VMALLE1: 0xd508871f,
  SPSEL_0: 0xd50040bf,
  CLREX: 0xd503305f,
} as const;

function setup() {
  const m = testMachine();
  const view = m.ram.ram!.view;
  m.file.set(SLOT.VBAR_EL1, VBAR, 0);
  // Every vector: b . (so a taken exception parks there).
  for (let off = 0; off < 0x800; off += 0x80) view.setUint32(VBAR - TEST_RAM_BASE + off, I.B_SELF, true);
  const load = (words: number[], at = CODE) => {
    words.forEach((w, i) => view.setUint32(at - TEST_RAM_BASE + 4 * i, w >>> 0, true));
    m.cpu.pcLo = at;
    m.cpu.pcHi = 0;
  };
  const x = (n: number) => [m.cpu.x[2 * n] >>> 0, m.cpu.x[2 * n + 1] >>> 0];
  const esr = () => m.file.lo(SLOT.ESR_EL1) >>> 0;
  const elr = () => m.file.lo(SLOT.ELR_EL1) >>> 0;
  const toEl0 = () => m.cpu.setElAndSpSel(0, 0);
  return { ...m, view, load, x, esr, elr, toEl0 };
}

describe('MRS / MSR', () => {
  it('reads MIDR_EL1 into X0', () => {
    const s = setup();
    s.load([mrs(MIDR, 0)]);
    s.cpu.run(1);
    expect(s.x(0)).toEqual([0x411fd070, 0]);
  });

  it('makes MSR SCTLR_EL1 at EL0 UNDEFINED (EC 0x00) at the lower-EL vector', () => {
    const s = setup();
    s.toEl0();
    s.load([msr(SCTLR, 0)]);
    s.cpu.run(1);
    expect(s.esr()).toBe(0x0200_0000);
    expect(s.elr()).toBe(CODE);
    expect(s.cpu.pcLo).toBe(VBAR + 0x400);
  });

  it('traps MRS CTR_EL0 at EL0 while SCTLR_EL1.UCT is clear (EC 0x18, ISS per Linux esr.h)', () => {
    const s = setup();
    s.toEl0();
    s.load([mrs(CTR, 1)]);
    s.cpu.run(1);
    // Op0 3, Op2 1, Op1 3, CRn 0, Rt 1, CRm 0, read.
    expect(s.esr()).toBe(0x6232_c021);
  });

  it('traps FPCR access while CPACR_EL1.FPEN is 0 (ESR 0x1fe00000)', () => {
    const s = setup();
    s.load([mrs(FPCR, 2)]);
    s.cpu.run(1);
    expect(s.esr()).toBe(0x1fe0_0000);
    expect(s.cpu.fpDisabled).toBe(1);
  });

  it('sets and clears DAIF bits with MSR DAIFSet/DAIFClr, and SPSel with MSR SPSel', () => {
    const s = setup();
    s.cpu.daif = 0;
    s.load([I.DAIFSET_F, I.DAIFCLR_2, I.SPSEL_0]);
    s.cpu.run(1);
    expect(s.cpu.daif).toBe(0xf);
    s.cpu.run(1);
    expect(s.cpu.daif).toBe(0xd);
    s.cpu.run(1);
    expect(s.cpu.spsel).toBe(0);
  });
});

describe('exception generation and return', () => {
  it('SVC from EL0: ESR 0x56000000, ELR after the SVC', () => {
    const s = setup();
    s.toEl0();
    s.cpu.daif = 0;
    s.load([I.NOP, I.SVC_0]);
    s.cpu.run(2);
    expect(s.esr()).toBe(0x5600_0000);
    expect(s.elr()).toBe(CODE + 8);
    expect(s.file.lo(SLOT.SPSR_EL1)).toBe(0);
    expect(s.cpu.el).toBe(1);
  });

  it('BRK: EC 0x3C with the immediate, ELR at the BRK', () => {
    const s = setup();
    s.load([I.BRK_3E8]);
    s.cpu.run(1);
    expect(s.esr()).toBe(0xf200_03e8);
    expect(s.elr()).toBe(CODE);
  });

  it('HVC goes to the machine handler at EL1, else is UNDEFINED; SMC is UNDEFINED', () => {
    const s = setup();
    s.load([I.HVC_0]);
    s.cpu.run(1);
    expect(s.esr()).toBe(0x0200_0000); // no handler
    const calls: number[] = [];
    s.system.exceptions.hvcHandler = (cpu, imm) => {
      calls.push(imm);
      cpu.x[0] = 0; // PSCI SUCCESS
      return true;
    };
    s.cpu.x[0] = 0x84000000 | 0;
    s.load([I.HVC_0, I.NOP]);
    s.cpu.run(2);
    expect(calls).toEqual([0]);
    expect(s.cpu.pcLo).toBe(CODE + 8);
    s.toEl0();
    s.load([I.HVC_0]);
    s.cpu.run(1);
    expect(s.esr()).toBe(0x0200_0000);
    expect(calls).toEqual([0]);
    s.load([I.SMC_0]);
    s.cpu.run(1);
    expect(s.esr()).toBe(0x0200_0000);
  });

  it('ERET drops to EL0 at ELR_EL1 and is UNDEFINED at EL0', () => {
    const s = setup();
    s.file.set(SLOT.SPSR_EL1, 0, 0);
    s.file.set(SLOT.ELR_EL1, CODE + 0x100, 0);
    s.view.setUint32(CODE + 0x100 - TEST_RAM_BASE, I.ERET, true);
    s.load([I.ERET]);
    s.cpu.run(1);
    expect([s.cpu.el, s.cpu.pcLo]).toEqual([0, CODE + 0x100]);
    s.cpu.run(1);
    expect(s.esr()).toBe(0x0200_0000);
    expect(s.elr()).toBe(CODE + 0x100);
  });
});

describe('hints, barriers and cache operations', () => {
  it('WFI with nothing pending stops the run loop after the WFI', () => {
    const s = setup();
    s.load([I.WFI, I.NOP]);
    expect(s.cpu.run(10)).toBe(1);
    expect(s.cpu.stopReason).toBe(StopReason.Wfi);
    expect(s.cpu.pcLo).toBe(CODE + 4);
  });

  it('traps WFI at EL0 when SCTLR_EL1.nTWI is clear (EC 0x01)', () => {
    const s = setup();
    s.regs.write(SCTLR, 0x00c50838 & ~(1 << 16), 0);
    s.toEl0();
    s.load([I.WFI]);
    s.cpu.run(1);
    expect(s.esr()).toBe(0x07e0_0000);
  });

  it('DC ZVA zeroes exactly the aligned 64-byte block', () => {
    const s = setup();
    const block = TEST_RAM_BASE + 0x8040;
    for (let off = -8; off < 72; off += 4) s.view.setUint32(block + off - TEST_RAM_BASE, 0xffffffff, true);
    s.cpu.x[2] = block + 0x13; // X1
    s.load([I.DC_ZVA_X1]);
    s.cpu.run(1);
    const words = [];
    for (let off = -8; off < 72; off += 4) words.push(s.view.getUint32(block + off - TEST_RAM_BASE, true));
    expect(words).toEqual([0xffffffff, 0xffffffff, ...new Array(16).fill(0), 0xffffffff, 0xffffffff]);
  });

  it('traps DC ZVA at EL0 while SCTLR_EL1.DZE is clear', () => {
    const s = setup();
    s.toEl0();
    s.load([I.DC_ZVA_X1]);
    s.cpu.run(1);
    expect(s.esr() >>> 26).toBe(0x18);
    // Op0 1, Op2 1, Op1 3, CRn 7, Rt 1, CRm 4, write.
    expect(s.esr() & 0x1ffffff).toBe((1 << 20) | (1 << 17) | (3 << 14) | (7 << 10) | (1 << 5) | (4 << 1));
  });

  it('AT S1E1R writes PAR_EL1 (MMU off: flat, Device)', () => {
    const s = setup();
    s.cpu.x[0] = 0x0900_0123;
    s.load([I.AT_S1E1R_X0]);
    s.cpu.run(1);
    expect([s.file.lo(SLOT.PAR_EL1) >>> 0, s.file.hi(SLOT.PAR_EL1)]).toEqual([0x0900_0b00, 0]);
  });

  it('TLBI VMALLE1 empties the soft TLB', () => {
    const s = setup();
    s.cpu.tlb.fill(0, 0x5000, 0, s.ram.ram!, 0, TEST_RAM_BASE);
    s.load([I.TLBI_VMALLE1]);
    s.cpu.run(1);
    expect(s.cpu.tlb.pageLo[0]).not.toBe(0x5000);
  });

  it('CLREX clears the exclusive monitor', () => {
    const s = setup();
    s.cpu.monitor.arm(0x100, 0, 8);
    s.load([I.CLREX]);
    s.cpu.run(1);
    expect(s.cpu.monitor.armed).toBe(0);
  });
});
