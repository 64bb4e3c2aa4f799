// The soft TLB and the translation hook: what the mmu/ code can rely on (when translate is called, with
// which access flags, how faults become syndromes) and how stores keep dirty tracking and decoded code right.
import { describe, expect, it } from 'vitest';
import { Access } from '../../../../src-emu/cpu/arm64/mmu-hook';
import type { Mmu } from '../../../../src-emu/cpu/arm64/mmu-hook';
import { StopReason } from '../../../../src-emu/cpu/arm64/state';
import { CODE, DATA, assemble, getX, makeMachine, setPc, setX } from './harness';
import type { Machine } from './harness';

/** Maps VA 0x1_0000_0000 + n pages to DATA + n pages; page 5 faults (translation fault level 3). */
class OffsetMmu implements Mmu {
  readonly calls: Array<{ va: bigint; access: number }> = [];
  translate(vaLo: number, vaHi: number, access: number): number {
    const va = (BigInt(vaHi >>> 0) << 32n) | BigInt(vaLo >>> 0);
    this.calls.push({ va, access });
    if (vaHi === 0) return (vaHi >>> 0) * 2 ** 32 + (vaLo >>> 0); // identity below 4 GiB (code)
    const page = Number((va - 0x1_0000_0000n) >> 12n);
    if (page === 5) return -1 - 0x07;
    return DATA + page * 4096 + (vaLo & 0xfff);
  }
}

function program(m: Machine, source: string[]): void {
  assemble(source.map((asm) => ({ asm }))).forEach((w, i) => m.bus.write(CODE + 4 * i, 4, w >>> 0));
  setPc(m.cpu, CODE);
}

const VA = 0x1_0000_0000n;

describe('soft TLB and the translation hook', () => {
  it('translates once per page and access kind, then hits; tlbFlushPage forces a new walk', () => {
    const m = makeMachine();
    const mmu = new OffsetMmu();
    m.cpu.mmu = mmu;
    m.bus.write64(DATA + 0x18, 0x1234, 0x5678);
    program(m, [
      'ldr x1, [x0, #0x18]',
      'ldr x2, [x0, #0x18]',
      'str x1, [x0, #0x20]',
      'str x1, [x0, #0x28]',
      'ldr x3, [x0, #0x18]',
    ]);
    setX(m.cpu, 0, VA);
    m.cpu.run(5);
    expect(getX(m.cpu, 2)).toBe(0x5678_0000_1234n);
    const dataCalls = mmu.calls.filter((c) => c.va >= VA);
    // One read walk, one write walk: the first store goes the slow way (marking the page dirty) and
    // leaves write permission cached for the second.
    expect(dataCalls.map((c) => c.access)).toEqual([Access.Read, Access.Write]);
    m.cpu.tlbFlushPage(Number(VA & 0xffffffffn) | 0, 1);
    setPc(m.cpu, CODE + 16);
    m.cpu.run(1);
    expect(mmu.calls.filter((c) => c.va >= VA)).toHaveLength(3);
  });

  it('passes Access.Unpriv for LDTR at EL1 and for every access at EL0', () => {
    const m = makeMachine();
    const mmu = new OffsetMmu();
    m.cpu.mmu = mmu;
    program(m, ['ldtr x1, [x0]', 'ldr x1, [x0, #0x1000]']);
    setX(m.cpu, 0, VA);
    m.cpu.run(2);
    m.cpu.setElAndSpSel(0, 0);
    program(m, ['ldr x1, [x0, #0x2000]']);
    m.cpu.run(1);
    const flags = mmu.calls.filter((c) => c.va >= VA).map((c) => c.access);
    expect(flags).toEqual([Access.Read | Access.Unpriv, Access.Read, Access.Read | Access.Unpriv]);
    expect(m.cpu.mmuIdx).toBe(0);
  });

  it('turns a translation fault into a data abort with the FSC, WnR and FAR (EC 0x25 at EL1, 0x24 from EL0)', () => {
    const m = makeMachine();
    m.cpu.mmu = new OffsetMmu();
    program(m, ['str x1, [x0, #8]']);
    setX(m.cpu, 0, VA + 0x5000n);
    m.cpu.run(1);
    expect(m.cpu.stopReason).toBe(StopReason.Exception);
    expect(m.cpu.pendingException.esr).toBe(0x96000047);
    expect([m.cpu.pendingException.farLo, m.cpu.pendingException.farHi]).toEqual([0x5008, 1]);
    m.cpu.setElAndSpSel(0, 0);
    program(m, ['ldr x1, [x0]']);
    m.cpu.run(1);
    expect(m.cpu.pendingException.esr).toBe(0x92000007);
  });

  it('a store to a page holding decoded code goes through the slow path and invalidates the code', () => {
    const m = makeMachine();
    const [patched] = assemble([{ asm: 'mov x5, #9' }]);
    program(m, ['mov x5, #1', 'b .']);
    const storeAt = CODE + 0x2000;
    assemble([{ asm: 'str w6, [x7]' }, { asm: 'b .' }]).forEach((w, i) => m.bus.write(storeAt + 4 * i, 4, w >>> 0));
    // 1. A store into the (dirty, not yet executed) page caches write permission for it.
    setX(m.cpu, 7, BigInt(CODE + 0x100));
    setPc(m.cpu, storeAt);
    m.cpu.run(2);
    // 2. Executing the page decodes it: write permission must be dropped.
    setPc(m.cpu, CODE);
    m.cpu.run(2);
    expect(getX(m.cpu, 5)).toBe(1n);
    // 3. Patch the decoded instruction with a CPU store, then run it again.
    setX(m.cpu, 6, BigInt(patched >>> 0));
    setX(m.cpu, 7, BigInt(CODE));
    setPc(m.cpu, storeAt);
    m.cpu.run(2);
    setPc(m.cpu, CODE);
    m.cpu.run(1);
    expect(getX(m.cpu, 5)).toBe(9n);
  });

  it('drops cached write permission when dirty tracking is cleared, so the next store marks the page again', () => {
    const m = makeMachine();
    const block = m.ram.ram!;
    program(m, ['str x1, [x0]', 'str x1, [x0, #8]', 'str x1, [x0, #16]']);
    setX(m.cpu, 0, BigInt(DATA));
    m.cpu.run(2);
    const page = (DATA - 0x4000_0000) / 4096;
    expect(block.isDirty(page)).toBe(true);
    block.clearDirty();
    expect(block.isDirty(page)).toBe(false);
    m.cpu.run(1);
    expect(block.isDirty(page)).toBe(true);
  });
});
