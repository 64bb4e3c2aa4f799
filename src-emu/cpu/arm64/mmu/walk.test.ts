import { describe, expect, it } from 'vitest';
import { SysRegFile, SLOT } from '../sys/regfile';
import { D, TestRam, split } from './test-ram';
import { Stage1Walker } from './walk';
import { Access, FaultKind, Perm, TranslationResult } from './types';
import type { AccessType } from './types';

const RAM = 0x4000_0000;
const M = 1n; // SCTLR_EL1.M
const WXN = 1n << 19n;

/** TCR_EL1 for the tests: 4 KB granules both halves (TG1 = 0b10), IPS 40 bits unless given. */
function tcr(t0sz: number, t1sz: number, extra = 0n, ips = 2n): bigint {
  return BigInt(t0sz) | (BigInt(t1sz) << 16n) | (2n << 30n) | (ips << 32n) | extra;
}

function setReg(regs: SysRegFile, slot: number, value: bigint): void {
  const [lo, hi] = split(value);
  regs.set(slot, lo, hi);
}

function machine(tcrValue: bigint, sctlr = M) {
  const ram = new TestRam(RAM, 1 << 22);
  const regs = new SysRegFile();
  setReg(regs, SLOT.SCTLR_EL1, sctlr);
  setReg(regs, SLOT.TCR_EL1, tcrValue);
  setReg(regs, SLOT.MAIR_EL1, 0x04_ff_44_00_0c_08_bb_ffn);
  const walker = new Stage1Walker(regs, ram, 2);
  const out = new TranslationResult();
  const translate = (va: bigint) => {
    const [lo, hi] = split(va);
    return walker.translate(lo, hi, out);
  };
  const access = (va: bigint, type: AccessType, el: number) => {
    const [lo, hi] = split(va);
    return walker.translateAccess(lo, hi, type, el, out);
  };
  return { ram, regs, walker, out, translate, access };
}

/** Index of `va` at `level` for the 4 KB granule: VA bits [47-9*level : 39-9*level]. */
function idx(va: bigint, level: number): number {
  return Number((va >> BigInt(39 - 9 * level)) & 0x1ffn);
}

/** Builds L0..L3 tables for `va` (TTBR0) ending in `leaf` at `leafLevel`; returns the table addresses. */
function map(
  m: ReturnType<typeof machine>,
  va: bigint,
  leaf: bigint,
  leafLevel: number,
  firstLevel = 0,
  ttbrSlot: number = SLOT.TTBR0_EL1,
  tableBits: bigint[] = [],
): number[] {
  const tables = [m.ram.allocTable()];
  for (let level = firstLevel; level < leafLevel; level++) {
    const next = m.ram.allocTable();
    m.ram.setEntry(tables[tables.length - 1], idx(va, level), BigInt(next) | D.TABLE | (tableBits[level] ?? 0n));
    tables.push(next);
  }
  m.ram.setEntry(tables[tables.length - 1], idx(va, leafLevel), leaf);
  const ttbr = m.regs.hi(ttbrSlot);
  m.regs.set(ttbrSlot, tables[0], ttbr);
  return tables;
}

describe('stage 1 walk, 4 KB granule', () => {
  it('translates through four levels (T0SZ = 16)', () => {
    const m = machine(tcr(16, 16));
    const va = 0x0000_1234_5678_9abcn;
    map(m, va, 0x4020_0000n | D.PAGE | D.AF | D.attrIndx(5) | D.sh(3), 3);
    expect(m.translate(va)).toBe(true);
    expect(m.out.pa).toBe(0x4020_0abc);
    expect(m.out.level).toBe(3);
    expect(m.out.pageSizeLog2).toBe(12);
    expect(m.out.attrIndx).toBe(5);
    expect(m.out.attr).toBe(0x44); // MAIR_EL1 bits 47:40
    expect(m.out.shareability).toBe(3);
    expect(m.out.global).toBe(true);
    expect(m.out.mmuOff).toBe(false);
  });

  it('starts at level 1 for a 39-bit range (T0SZ = 25)', () => {
    const m = machine(tcr(25, 25));
    const va = 0x0000_0040_1234_5000n; // bits above 38 clear
    map(m, va, 0x4030_0000n | D.PAGE | D.AF, 3, 1);
    expect(m.translate(va + 0x123n)).toBe(true);
    expect(m.out.pa).toBe(0x4030_0123);
  });

  it('uses a 2-entry level 1 table for a 31-bit range (T0SZ = 33)', () => {
    const m = machine(tcr(33, 33));
    const l1 = m.ram.allocTable();
    // Entry 1 covers VA 0x4000_0000..0x7fff_ffff; map it as a 1 GB block onto PA 0x80_0000_0000 - in range.
    m.ram.setEntry(l1, 1, 0x00_c000_0000n | D.BLOCK | D.AF);
    m.regs.set(SLOT.TTBR0_EL1, l1, 0);
    expect(m.translate(0x4567_89abn)).toBe(true);
    expect(m.out.pa).toBe(0xc567_89ab);
    expect(m.out.level).toBe(1);
    expect(m.out.pageSizeLog2).toBe(30);
    expect(m.translate(0x8000_0000n)).toBe(false); // bit 31 is above the 31-bit range
    expect(m.out.fault).toBe(FaultKind.Translation);
    expect(m.out.fsc).toBe(0x04);
  });

  it('maps 1 GB blocks at level 1 and 2 MB blocks at level 2', () => {
    const m = machine(tcr(16, 16));
    const va1 = 0x0000_0080_0000_0000n;
    map(m, va1, 0x80_4000_0000n | D.BLOCK | D.AF, 1);
    expect(m.translate(va1 + 0x2345_6789n)).toBe(true);
    expect(m.out.pa).toBe(0x80_6345_6789);
    expect(m.out.pageSizeLog2).toBe(30);
    const m2 = machine(tcr(16, 16));
    const va2 = 0x0000_0000_7fe0_0000n;
    map(m2, va2, 0x4060_0000n | D.BLOCK | D.AF, 2);
    expect(m2.translate(va2 + 0x1f_fffen)).toBe(true);
    expect(m2.out.pa).toBe(0x407f_fffe);
    expect(m2.out.level).toBe(2);
    expect(m2.out.pageSizeLog2).toBe(21);
  });

  it('translates kernel addresses through TTBR1', () => {
    const m = machine(tcr(16, 16));
    const va = 0xffff_0000_0801_0008n;
    map(m, va, 0x0801_0000n | D.PAGE | D.AF | D.UXN, 3, 0, SLOT.TTBR1_EL1);
    expect(m.translate(va)).toBe(true);
    expect(m.out.pa).toBe(0x0801_0008);
    // The same low bits through TTBR0 find nothing: TTBR0 is still 0 (outside RAM => walk abort).
    expect(m.translate(va & 0x0000_ffff_ffff_ffffn)).toBe(false);
    expect(m.out.fault).toBe(FaultKind.WalkExternal);
    expect(m.out.fsc).toBe(0x14);
  });

  it('ignores the top byte only when TBI is set for that half', () => {
    const va = 0x0000_0000_4000_1000n;
    const tagged = va | (0x5an << 56n);
    const plain = machine(tcr(16, 16));
    map(plain, va, 0x4010_0000n | D.PAGE | D.AF, 3);
    expect(plain.translate(tagged)).toBe(false);
    expect(plain.out.fault).toBe(FaultKind.Translation);
    expect(plain.out.level).toBe(0);
    const tbi = machine(tcr(16, 16, 1n << 37n));
    map(tbi, va, 0x4010_0000n | D.PAGE | D.AF, 3);
    expect(tbi.translate(tagged + 4n)).toBe(true);
    expect(tbi.out.pa).toBe(0x4010_0004);
    // TBI1 does not cover TTBR0 addresses.
    const tbi1 = machine(tcr(16, 16, 1n << 38n));
    map(tbi1, va, 0x4010_0000n | D.PAGE | D.AF, 3);
    expect(tbi1.translate(tagged)).toBe(false);
  });

  it('tags non-global entries with the ASID of TTBR0, or TTBR1 when TCR.A1, 8 bits unless TCR.AS', () => {
    const va = 0x1000n;
    const m = machine(tcr(16, 16));
    map(m, va, 0x4000_0000n | D.PAGE | D.AF | D.NG, 3);
    m.regs.set(SLOT.TTBR0_EL1, m.regs.lo(SLOT.TTBR0_EL1), 0x1234 << 16);
    m.regs.set(SLOT.TTBR1_EL1, 0, 0x5678 << 16);
    expect(m.translate(va)).toBe(true);
    expect(m.out.global).toBe(false);
    expect(m.out.asid).toBe(0x34);
    setReg(m.regs, SLOT.TCR_EL1, tcr(16, 16, 1n << 36n));
    expect(m.translate(va)).toBe(true);
    expect(m.out.asid).toBe(0x1234);
    setReg(m.regs, SLOT.TCR_EL1, tcr(16, 16, (1n << 36n) | (1n << 22n)));
    expect(m.translate(va)).toBe(true);
    expect(m.out.asid).toBe(0x5678);
  });

  it('is the identity map with Device attributes when SCTLR_EL1.M is clear', () => {
    const m = machine(tcr(16, 16), 0n);
    expect(m.translate(0x09_00_0000n)).toBe(true);
    expect(m.out.pa).toBe(0x0900_0000);
    expect(m.out.mmuOff).toBe(true);
    expect(m.out.attr).toBe(0);
    expect(m.out.perms).toBe(Perm.ALL);
    expect(m.translate(0xff_ffff_fff8n)).toBe(true); // top of the 40-bit PA range
    expect(m.translate(0x100_0000_0000n)).toBe(false); // bit 40: address size fault, level 0
    expect(m.out.fault).toBe(FaultKind.AddressSize);
    expect(m.out.fsc).toBe(0x00);
  });
});

describe('stage 1 faults', () => {
  const va = 0x0000_1234_5678_9000n;

  it('reports a translation fault at the level of the invalid descriptor', () => {
    for (let level = 0; level <= 3; level++) {
      const m = machine(tcr(16, 16));
      map(m, va, 0n, level); // the entry at `level` stays invalid
      expect(m.translate(va)).toBe(false);
      expect(m.out.fault).toBe(FaultKind.Translation);
      expect(m.out.fsc).toBe(0x04 + level);
    }
  });

  it('treats a block at level 0 and 0b01 at level 3 as invalid', () => {
    const m0 = machine(tcr(16, 16));
    map(m0, va, 0x0n | D.BLOCK | D.AF, 0);
    expect(m0.translate(va)).toBe(false);
    expect(m0.out.fsc).toBe(0x04);
    const m3 = machine(tcr(16, 16));
    map(m3, va, 0x4000_0000n | D.BLOCK | D.AF, 3);
    expect(m3.translate(va)).toBe(false);
    expect(m3.out.fsc).toBe(0x07);
  });

  it('reports a VA outside the configured range and a disabled walk (EPD) at level 0', () => {
    const m = machine(tcr(25, 25));
    expect(m.translate(0x0000_0080_0000_0000n)).toBe(false); // bit 39 set, T0SZ = 25
    expect(m.out.fsc).toBe(0x04);
    const e = machine(tcr(16, 16, 1n << 7n)); // EPD0
    map(e, va, 0x4000_0000n | D.PAGE | D.AF, 3);
    expect(e.translate(va)).toBe(false);
    expect(e.out.fault).toBe(FaultKind.Translation);
    expect(e.out.level).toBe(0);
    const e1 = machine(tcr(16, 16, 1n << 23n)); // EPD1
    expect(e1.translate(0xffff_0000_0000_0000n)).toBe(false);
    expect(e1.out.fsc).toBe(0x04);
  });

  it('raises an access flag fault when AF is clear', () => {
    const m = machine(tcr(16, 16));
    map(m, va, 0x4000_0000n | D.PAGE, 3);
    expect(m.translate(va)).toBe(false);
    expect(m.out.fault).toBe(FaultKind.AccessFlag);
    expect(m.out.fsc).toBe(0x0b);
    const b = machine(tcr(16, 16));
    map(b, va, 0x4000_0000n | D.BLOCK, 1);
    expect(b.translate(va)).toBe(false);
    expect(b.out.fsc).toBe(0x09);
  });

  it('raises address size faults for output, table and TTBR addresses beyond the PA size', () => {
    // Output address bit 40 with IPS = 48 bits: PARange (40 bits) still limits it.
    const m = machine(tcr(16, 16, 0n, 5n));
    map(m, va, (1n << 40n) | D.PAGE | D.AF, 3);
    expect(m.translate(va)).toBe(false);
    expect(m.out.fault).toBe(FaultKind.AddressSize);
    expect(m.out.fsc).toBe(0x03);
    // IPS = 32 bits makes a PA of 0x1_0000_0000 too large at level 2 (a block).
    const s = machine(tcr(16, 16, 0n, 0n));
    map(s, va, 0x1_0000_0000n | D.BLOCK | D.AF, 2);
    expect(s.translate(va)).toBe(false);
    expect(s.out.fsc).toBe(0x02);
    // A level 1 table descriptor pointing above the PA size: fault at level 1.
    const t = machine(tcr(16, 16));
    const tables = map(t, va, 0x4000_0000n | D.PAGE | D.AF, 3);
    t.ram.setEntry(tables[1], idx(va, 1), (1n << 41n) | D.TABLE);
    expect(t.translate(va)).toBe(false);
    expect(t.out.fsc).toBe(0x01);
    // TTBR0 base above the PA size: level 0.
    const b = machine(tcr(16, 16));
    b.regs.set(SLOT.TTBR0_EL1, 0, 0x100);
    expect(b.translate(va)).toBe(false);
    expect(b.out.fault).toBe(FaultKind.AddressSize);
    expect(b.out.fsc).toBe(0x00);
  });

  it('reports an external abort on the walk with its level', () => {
    const m = machine(tcr(16, 16));
    const tables = map(m, va, 0x4000_0000n | D.PAGE | D.AF, 3);
    m.ram.setEntry(tables[2], idx(va, 2), 0x10_0000_0000n | D.TABLE); // level 3 table outside RAM
    expect(m.translate(va)).toBe(false);
    expect(m.out.fault).toBe(FaultKind.WalkExternal);
    expect(m.out.faultOnWalk).toBe(true);
    expect(m.out.fsc).toBe(0x17);
  });
});

/**
 * Expected permissions per ARM ARM D5.4 (stage 1, EL1&0, ARMv8.0): AP[2:1] data permissions; EL0 may
 * execute whatever UXN allows (even without read access); EL1 never executes EL0-writable memory; WXN
 * makes memory writable at an EL execute-never at that EL.
 */
const EXPECTED: Record<string, string> = {
  'AP=00 WXN=0': 'EL1:RWX EL0:--X',
  'AP=01 WXN=0': 'EL1:RW- EL0:RWX',
  'AP=10 WXN=0': 'EL1:R-X EL0:--X',
  'AP=11 WXN=0': 'EL1:R-X EL0:R-X',
  'AP=00 WXN=1': 'EL1:RW- EL0:--X',
  'AP=01 WXN=1': 'EL1:RW- EL0:RW-',
  'AP=10 WXN=1': 'EL1:R-X EL0:--X',
  'AP=11 WXN=1': 'EL1:R-X EL0:R-X',
};

describe('stage 1 permissions', () => {
  const va = 0x0000_0000_0040_0000n;
  const describeAccess = (m: ReturnType<typeof machine>, el: number): string =>
    (m.access(va, Access.Read, el) ? 'R' : '-') +
    (m.access(va, Access.Write, el) ? 'W' : '-') +
    (m.access(va, Access.Exec, el) ? 'X' : '-');

  for (const wxn of [0, 1]) {
    for (const ap of [0, 1, 2, 3]) {
      for (const [uxn, pxn] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ]) {
        it(`AP=${ap.toString(2).padStart(2, '0')} UXN=${uxn} PXN=${pxn} WXN=${wxn}`, () => {
          const m = machine(tcr(16, 16), wxn ? M | WXN : M);
          const leaf = 0x4000_0000n | D.PAGE | D.AF | (BigInt(ap) << 6n) | (uxn ? D.UXN : 0n) | (pxn ? D.PXN : 0n);
          map(m, va, leaf, 3);
          let expected = EXPECTED[`AP=${ap.toString(2).padStart(2, '0')} WXN=${wxn}`];
          if (pxn) expected = expected.replace(/EL1:(..)X/, 'EL1:$1-');
          if (uxn) expected = expected.replace(/EL0:(..)X/, 'EL0:$1-');
          expect(`EL1:${describeAccess(m, 1)} EL0:${describeAccess(m, 0)}`).toBe(expected);
        });
      }
    }
  }

  it('reports a permission fault with the level of the final descriptor', () => {
    const m = machine(tcr(16, 16));
    map(m, va, 0x4000_0000n | D.BLOCK | D.AF | D.AP_RO, 2);
    expect(m.access(va, Access.Write, 1)).toBe(false);
    expect(m.out.fault).toBe(FaultKind.Permission);
    expect(m.out.fsc).toBe(0x0e);
  });

  it('applies APTable, UXNTable and PXNTable from every table level', () => {
    const rw = 0x4000_0000n | D.PAGE | D.AF | D.AP_EL0; // EL0 and EL1 read/write
    const check = (bits: bigint[], expected: string) => {
      const m = machine(tcr(16, 16));
      map(m, va, rw, 3, 0, SLOT.TTBR0_EL1, bits);
      expect(`EL1:${describeAccess(m, 1)} EL0:${describeAccess(m, 0)}`).toBe(expected);
    };
    check([], 'EL1:RW- EL0:RWX');
    check([D.AP_TABLE_NO_EL0], 'EL1:RWX EL0:--X'); // now like AP=00: EL1 may execute again
    check([0n, D.AP_TABLE_RO], 'EL1:R-X EL0:R-X'); // like AP=11
    check([0n, 0n, D.AP_TABLE_RO | D.AP_TABLE_NO_EL0], 'EL1:R-X EL0:--X'); // like AP=10
    check([0n, D.UXN_TABLE], 'EL1:RW- EL0:RW-');
    check([D.PXN_TABLE, 0n, 0n], 'EL1:RW- EL0:RWX');
    check([D.PXN_TABLE | D.AP_TABLE_NO_EL0], 'EL1:RW- EL0:--X');
  });
});
