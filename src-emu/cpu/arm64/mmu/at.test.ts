import { describe, expect, it } from 'vitest';
import { SysRegFile, SLOT } from '../sys/regfile';
import { AT_OPS, addressTranslate } from './at';
import { D, TestRam, split } from './test-ram';
import { Stage1Walker } from './walk';
import { TranslationResult } from './types';

const RAM = 0x4000_0000;

function setup(sctlrM = true) {
  const ram = new TestRam(RAM, 1 << 20);
  const regs = new SysRegFile();
  regs.set(SLOT.SCTLR_EL1, sctlrM ? 1 : 0, 0);
  regs.set(SLOT.TCR_EL1, 25 | (2 << 30), 2);
  regs.set(SLOT.MAIR_EL1, 0x0000_ff00, 0); // AttrIndx 0: Device-nGnRnE, 1: Normal WB
  const l1 = ram.allocTable();
  const l2 = ram.allocTable();
  const l3 = ram.allocTable();
  ram.setEntry(l1, 0, BigInt(l2) | D.TABLE);
  ram.setEntry(l2, 0, BigInt(l3) | D.TABLE);
  regs.set(SLOT.TTBR0_EL1, l1, 0);
  const walker = new Stage1Walker(regs, ram, 2);
  const par = new Int32Array(2);
  const at = (va: bigint, op2: number): [number, number] | 'abort' => {
    const o = AT_OPS.get(op2)!;
    const [lo, hi] = split(va);
    if (!addressTranslate(walker, lo, hi, o.access, o.el, new TranslationResult(), par)) return 'abort';
    return [par[0] >>> 0, par[1] >>> 0];
  };
  return { ram, l3, at, regs };
}

describe('AT S1E*', () => {
  it('writes PA, attributes and shareability to PAR_EL1 on success', () => {
    const s = setup();
    s.ram.setEntry(s.l3, 5, 0x89_1234_5000n | D.PAGE | D.AF | D.attrIndx(1) | D.sh(3));
    // PA[39:12], NS (QEMU reports Non-secure), RES1 bit 11, SH = 3, ATTR = 0xff.
    expect(s.at(0x5abcn, 0)).toEqual([0x1234_5000 | (1 << 11) | (1 << 9) | (3 << 7), 0xff00_0089]);
  });

  it('reports Device memory as Outer Shareable whatever the descriptor says', () => {
    const s = setup();
    s.ram.setEntry(s.l3, 5, 0x0900_0000n | D.PAGE | D.AF | D.attrIndx(0));
    expect(s.at(0x5000n, 0)).toEqual([(0x0900_0000 | (1 << 11) | (1 << 9) | (2 << 7)) >>> 0, 0]);
  });

  it('reports faults in PAR_EL1 with F = 1 and the FSC in FST', () => {
    const s = setup();
    expect(s.at(0x7000n, 0)).toEqual([(1 << 11) | (0x07 << 1) | 1, 0]); // translation, level 3
    s.ram.setEntry(s.l3, 5, 0x4000_0000n | D.PAGE | D.AF | D.AP_RO);
    expect(s.at(0x5000n, 1)).toEqual([(1 << 11) | (0x0f << 1) | 1, 0]); // S1E1W: permission, level 3
    expect(s.at(0x5000n, 2)).toEqual([(1 << 11) | (0x0f << 1) | 1, 0]); // S1E0R: no EL0 access
    s.ram.setEntry(s.l3, 5, 0x4000_0000n | D.PAGE | D.AF | D.AP_EL0);
    expect(s.at(0x5000n, 3)).toEqual([0x4000_0000 | (1 << 11) | (1 << 9) | (2 << 7), 0]); // S1E0W ok
  });

  it('lets an external abort on the walk become a data abort instead', () => {
    const s = setup();
    s.ram.setEntry(s.l3, 5, 0n);
    s.regs.set(SLOT.TTBR0_EL1, 0x10_0000, 0);
    expect(s.at(0x5000n, 0)).toBe('abort');
  });

  it('translates flat with the MMU off', () => {
    const s = setup(false);
    expect(s.at(0x0900_0004n, 0)).toEqual([(0x0900_0000 | (1 << 11) | (1 << 9) | (2 << 7)) >>> 0, 0]);
  });
});
