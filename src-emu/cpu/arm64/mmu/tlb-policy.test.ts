import { describe, expect, it } from 'vitest';
import { linkSystems } from '../sys/install';
import { SLOT } from '../sys/regfile';
import { testMachine, TEST_RAM_BASE } from '../sys/test-machine';
import { TLBI_OPS, TlbPolicy, TlbiScope, tlbiAsid, tlbiVa } from './tlb-policy';
import type { TlbTarget } from './tlb-policy';

/** Records what the policy asks of a Cpu's soft TLB. */
class RecordingTarget implements TlbTarget {
  readonly calls: string[] = [];
  tlbFlush(): void {
    this.calls.push('all');
  }
  tlbFlushPage(lo: number, hi: number): void {
    this.calls.push(`page ${(hi >>> 0).toString(16)}_${(lo >>> 0).toString(16)}`);
  }
}

/** TLBI op by its (CRm, op2) as in `SYS #0, C8, CRm, #op2`. */
const op = (crm: number, op2: number) => TLBI_OPS.get((crm << 3) | op2)!;

describe('TLBI operations', () => {
  it('cover the EL1 forms with the scope the ARM ARM gives them', () => {
    const scopes = Object.fromEntries([...TLBI_OPS.values()].map((o) => [o.name, [o.scope, o.lastLevel, o.broadcast]]));
    expect(scopes).toEqual({
      vmalle1is: [TlbiScope.All, false, true],
      vae1is: [TlbiScope.VaAsid, false, true],
      aside1is: [TlbiScope.Asid, false, true],
      vaae1is: [TlbiScope.VaAllAsids, false, true],
      vale1is: [TlbiScope.VaAsid, true, true],
      vaale1is: [TlbiScope.VaAllAsids, true, true],
      vmalle1: [TlbiScope.All, false, false],
      vae1: [TlbiScope.VaAsid, false, false],
      aside1: [TlbiScope.Asid, false, false],
      vaae1: [TlbiScope.VaAllAsids, false, false],
      vale1: [TlbiScope.VaAsid, true, false],
      vaale1: [TlbiScope.VaAllAsids, true, false],
    });
  });

  it('decode the operand: VA[55:12] from Xt[43:0] (sign-extended from bit 55), ASID from Xt[63:48]', () => {
    const va = new Int32Array(2);
    // Linux __TLBI_VADDR(0xffff800008012345, asid 7): (addr >> 12) & GENMASK(43, 0) | asid << 48.
    const xt = ((0xffff800008012345n >> 12n) & ((1n << 44n) - 1n)) | (7n << 48n);
    tlbiVa(Number(xt & 0xffffffffn) | 0, Number(xt >> 32n) | 0, va);
    expect([va[0] >>> 0, va[1] >>> 0]).toEqual([0x08012000, 0xffff8000]);
    expect(tlbiAsid(Number(xt >> 32n) | 0)).toBe(7);
    tlbiVa(0x12345, 0x0007_0000, va);
    expect([va[0] >>> 0, va[1]]).toEqual([0x12345000, 0]);
  });
});

describe('TLB policy over an untagged 4 KB soft TLB', () => {
  it('flushes one page for VA forms and everything for ASID and ALL forms', () => {
    const t = new RecordingTarget();
    const p = new TlbPolicy(t);
    p.tlbi(op(7, 1), 0x400, 0x0005_0000); // vae1, VA 0x400000, ASID 5
    p.tlbi(op(7, 7), 0x400, 0); // vaale1
    p.tlbi(op(7, 2), 0, 0x0005_0000); // aside1
    p.tlbi(op(7, 0), 0, 0); // vmalle1
    expect(t.calls).toEqual(['page 0_400000', 'page 0_400000', 'all', 'all']);
  });

  it('flushes everything when the VA lies in a span where a block was cached', () => {
    const t = new RecordingTarget();
    const p = new TlbPolicy(t);
    p.noteTranslation(0x0020_3000, 0, 21); // a 2 MB block at 0x200000
    p.tlbi(op(7, 1), 0x600, 0); // outside: one page
    p.tlbi(op(7, 1), 0x200, 0); // the block's first page: everything
    p.tlbi(op(7, 1), 0x201, 0); // the span was reset by the full flush
    expect(t.calls).toEqual(['page 0_600000', 'all', 'page 0_201000']);
  });

  it('keeps kernel blocks from widening user-page flushes', () => {
    const t = new RecordingTarget();
    const p = new TlbPolicy(t);
    p.noteTranslation(0x0020_0000, -0x8000, 30); // 1 GB block at 0xffff8000_00000000
    p.tlbi(op(7, 1), 0x400, 0);
    expect(t.calls).toEqual(['page 0_400000']);
  });

  it('flushes everything for VA forms once a tagged address was cached', () => {
    const t = new RecordingTarget();
    const p = new TlbPolicy(t);
    p.noteTranslation(0x1000, 0x5a00_0000, 12);
    p.tlbi(op(7, 1), 0x1, 0);
    expect(t.calls).toEqual(['all']);
  });

  it('broadcasts the IS forms to every CPU of the domain', () => {
    const a = new RecordingTarget();
    const b = new RecordingTarget();
    const pa = new TlbPolicy(a);
    const pb = new TlbPolicy(b);
    pa.domain = pb.domain = [pa, pb];
    pa.tlbi(op(3, 1), 0x400, 0); // vae1is
    pb.tlbi(op(3, 0), 0, 0); // vmalle1is
    pa.tlbi(op(7, 0), 0, 0); // vmalle1: local only
    expect(a.calls).toEqual(['page 0_400000', 'all', 'all']);
    expect(b.calls).toEqual(['page 0_400000', 'all']);
  });
});

describe('TLB maintenance end to end through the Cpu', () => {
  const PAGE_VA = 0x0000_0000_0020_3000;

  /** Identity-ish tables in RAM: TTBR0 (T0SZ = 25, level 1 start), VA 0x200000 as a 2 MB block or pages. */
  function mapped(block: boolean) {
    const m = testMachine();
    const view = new DataView(m.ram.ram!.bytes.buffer);
    const put = (pa: number, lo: number, hi = 0) => {
      view.setUint32(pa - TEST_RAM_BASE, lo >>> 0, true);
      view.setUint32(pa - TEST_RAM_BASE + 4, hi >>> 0, true);
    };
    const l1 = TEST_RAM_BASE;
    const l2 = TEST_RAM_BASE + 0x1000;
    const l3 = TEST_RAM_BASE + 0x2000;
    put(l1, l2 | 3);
    const dataA = TEST_RAM_BASE + 0x20_0000;
    const dataB = TEST_RAM_BASE + 0x40_0000;
    const leaf = (pa: number) => (pa | (1 << 10) | (block ? 1 : 3)) >>> 0;
    const remap = (pa: number) => {
      if (block) put(l2 + 8, leaf(pa));
      else put(l3 + 3 * 8, leaf(pa + 0x3000));
    };
    if (!block) put(l2 + 8, l3 | 3);
    remap(dataA);
    view.setUint32(dataA + 0x3000 - TEST_RAM_BASE, 0xaaaa, true);
    view.setUint32(dataB + 0x3000 - TEST_RAM_BASE, 0xbbbb, true);
    m.file.set(SLOT.TTBR0_EL1, l1, 0);
    m.regs.write((3 << 14) | (2 << 7) | 2, 25 | (2 << 30), 2); // TCR_EL1: T0SZ 25, TG1 4K, IPS 40
    m.regs.write((3 << 14) | (1 << 7), 0x00c50839, 0); // SCTLR_EL1.M
    return { ...m, remap, dataB };
  }

  for (const block of [false, true]) {
    it(`keeps a ${block ? 'block' : 'page'} translation until TLBI VAE1 of its VA`, () => {
      const m = mapped(block);
      expect(m.cpu.load32(PAGE_VA, 0)).toBe(0xaaaa);
      m.remap(m.dataB);
      expect(m.cpu.load32(PAGE_VA, 0)).toBe(0xaaaa); // cached: no TLBI yet
      const vaOperand = block ? 0x200 : PAGE_VA >>> 12; // Linux flushes a block by its first page
      m.system.tlbPolicy.tlbi(op(7, 1), vaOperand, 0);
      expect(m.cpu.load32(PAGE_VA, 0)).toBe(0xbbbb);
    });
  }
});

describe('linkSystems', () => {
  it('lets TLBI VMALLE1IS reach the other vCPU of the machine', () => {
    const a = testMachine();
    const b = testMachine();
    linkSystems([a.system, b.system]);
    b.cpu.tlb.fill(0, 0x5000, 0, b.ram.ram!, 0, TEST_RAM_BASE);
    a.system.tlbPolicy.tlbi(op(3, 0), 0, 0);
    expect(b.cpu.tlb.pageLo[0]).not.toBe(0x5000);
    expect(a.system.peers).toEqual([a.system, b.system]);
  });
});
