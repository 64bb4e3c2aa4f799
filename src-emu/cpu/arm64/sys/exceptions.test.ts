import { describe, expect, it } from 'vitest';
import { CPU_EXCEPTION } from '../exception-hooks';
import { FIQ_LINE, IRQ_LINE } from '../state';
import { SLOT } from './regfile';
import { EC, esr, fpAccessIss, immIss } from './syndrome';
import { testMachine } from './test-machine';

const VBAR = 0x4008_0000;

function setup() {
  const m = testMachine();
  m.file.set(SLOT.VBAR_EL1, VBAR, 0);
  /** Runs `raise` as a faulting closure would, then exception entry as the run loop does. */
  const take = (raise: () => void) => {
    try {
      raise();
    } catch (e) {
      expect(e).toBe(CPU_EXCEPTION);
      m.cpu.exceptions.takeSync(m.cpu);
      return;
    }
    throw new Error('no exception raised');
  };
  const eret = () => {
    try {
      m.system.exceptions.eret(m.cpu);
      return false;
    } catch (e) {
      expect(e).toBe(CPU_EXCEPTION);
      m.cpu.exceptions.takeSync(m.cpu);
      return true;
    }
  };
  const reg = (slot: number) => [m.file.lo(slot) >>> 0, m.file.hi(slot) >>> 0];
  return { ...m, take, eret, reg };
}

describe('exception entry', () => {
  it('takes an SVC from EL0 to the lower-EL vector with ELR after the SVC', () => {
    const s = setup();
    s.cpu.setElAndSpSel(0, 0);
    s.cpu.daif = 0;
    s.cpu.setNzcv(0xa000_0000); // N and C
    s.cpu.pcLo = 0x0040_1000;
    s.take(() => s.cpu.raiseException(EC.Svc, immIss(0x42), true));
    expect(s.reg(SLOT.ESR_EL1)).toEqual([0x5600_0042, 0]);
    expect(s.reg(SLOT.ELR_EL1)).toEqual([0x0040_1004, 0]);
    expect(s.reg(SLOT.SPSR_EL1)).toEqual([0xa000_0000, 0]); // NZCV, EL0t, nothing masked
    expect([s.cpu.pcLo, s.cpu.pcHi]).toEqual([VBAR + 0x400, 0]);
    expect([s.cpu.el, s.cpu.spsel, s.cpu.daif]).toEqual([1, 1, 0xf]);
  });

  it('reports a data abort on an unassigned address at EL1 as QEMU does (ESR 0x96000010)', () => {
    const s = setup();
    s.cpu.daif = 0x5;
    s.cpu.pcLo = 0x4000_0100;
    s.take(() => s.cpu.load32(0x0100_0000, 0));
    expect(s.reg(SLOT.ESR_EL1)).toEqual([0x9600_0010, 0]);
    expect(s.reg(SLOT.FAR_EL1)).toEqual([0x0100_0000, 0]);
    expect(s.reg(SLOT.ELR_EL1)).toEqual([0x4000_0100, 0]);
    expect(s.reg(SLOT.SPSR_EL1)).toEqual([0x145, 0]); // D and I masked, EL1h
    expect(s.cpu.pcLo).toBe(VBAR + 0x200);
  });

  it('uses the current-EL SP0 vector group when SPSel was 0', () => {
    const s = setup();
    s.cpu.setElAndSpSel(1, 0);
    s.take(() => s.cpu.raiseUndefined());
    expect(s.reg(SLOT.ESR_EL1)).toEqual([0x0200_0000, 0]);
    expect(s.reg(SLOT.SPSR_EL1)[0] & 0x1f).toBe(0b0100); // EL1t
    expect(s.cpu.pcLo).toBe(VBAR + 0x000);
    expect(s.cpu.spsel).toBe(1);
  });

  it('traps FP at reset with the syndrome QEMU shows (ESR 0x1fe00000)', () => {
    const s = setup();
    s.take(() => s.cpu.raiseException(EC.FpAccess, fpAccessIss()));
    expect(s.reg(SLOT.ESR_EL1)).toEqual([0x1fe0_0000, 0]);
    expect(esr(EC.FpAccess, fpAccessIss())).toBe(0x1fe0_0000);
  });

  it('takes IRQ and FIQ at +0x80 and +0x100 with ELR = PC, leaving ESR alone', () => {
    const s = setup();
    s.file.set(SLOT.ESR_EL1, 0x1234, 0);
    s.cpu.daif = 0;
    s.cpu.pcLo = 0x4000_2000;
    s.cpu.exceptions.takeInterrupt(s.cpu, IRQ_LINE);
    expect(s.cpu.pcLo).toBe(VBAR + 0x280);
    expect(s.reg(SLOT.ELR_EL1)).toEqual([0x4000_2000, 0]);
    expect(s.reg(SLOT.ESR_EL1)).toEqual([0x1234, 0]);
    s.cpu.setElAndSpSel(0, 0);
    s.cpu.daif = 0;
    s.cpu.exceptions.takeInterrupt(s.cpu, FIQ_LINE | IRQ_LINE);
    expect(s.cpu.pcLo).toBe(VBAR + 0x500);
  });

  it('is taken by the run loop when an unmasked interrupt is pending', () => {
    const s = setup();
    s.cpu.pcLo = 0x4000_0000; // RAM holds zeros: UDF #0 if ever executed
    s.cpu.daif = 0x2; // IRQ masked
    s.cpu.interruptPending = IRQ_LINE;
    s.file.set(SLOT.VBAR_EL1, 0x4000_1000, 0);
    s.cpu.run(1);
    expect(s.reg(SLOT.ESR_EL1)[0]).toBe(0x0200_0000); // the UDF, not the IRQ
    s.ram.ram?.view.setUint32(0x1280, 0x14000000, true); // b . at the IRQ vector
    s.cpu.daif = 0;
    s.cpu.pcLo = 0x4000_0800;
    s.cpu.run(1);
    expect(s.cpu.pcLo).toBe(0x4000_1280);
    expect(s.reg(SLOT.ELR_EL1)).toEqual([0x4000_0800, 0]);
    expect(s.reg(SLOT.SPSR_EL1)[0]).toBe(0x5);
  });
});

describe('exception return', () => {
  it('returns to EL0 with PSTATE from SPSR_EL1 and PC from ELR_EL1', () => {
    const s = setup();
    s.cpu.writeSpEl(0, 0x7000, 0);
    s.file.set(SLOT.SPSR_EL1, 0x6000_0080, 0); // Z, C, IRQ masked, EL0t
    s.file.set(SLOT.ELR_EL1, 0x0040_2000, 0);
    expect(s.eret()).toBe(false);
    expect([s.cpu.el, s.cpu.daif, s.cpu.getNzcv()]).toEqual([0, 0x2, 0x6000_0000]);
    expect([s.cpu.pcLo, s.cpu.pcHi]).toEqual([0x0040_2000, 0]);
    expect(s.cpu.x[62]).toBe(0x7000); // SP_EL0 is the live SP
  });

  it('returns to EL1t and EL1h', () => {
    const s = setup();
    s.file.set(SLOT.SPSR_EL1, 0x3c4, 0);
    s.file.set(SLOT.ELR_EL1, 0x0800_0000, -0x10000); // 0xffff0000_08000000
    s.eret();
    expect([s.cpu.el, s.cpu.spsel, s.cpu.daif]).toEqual([1, 0, 0xf]);
    expect([s.cpu.pcLo, s.cpu.pcHi >>> 0]).toEqual([0x0800_0000, 0xffff_0000]);
    s.file.set(SLOT.SPSR_EL1, 0x5, 0);
    s.eret();
    expect([s.cpu.el, s.cpu.spsel, s.cpu.daif]).toEqual([1, 1, 0]);
  });

  it('clears the exclusive monitor', () => {
    const s = setup();
    s.cpu.monitor.arm(0x1000, 0, 8);
    s.file.set(SLOT.SPSR_EL1, 0x5, 0);
    s.eret();
    expect(s.cpu.monitor.armed).toBe(0);
  });

  it('strips a TBI tag from the return address', () => {
    const s = setup();
    s.file.set(SLOT.TCR_EL1, 0, 1 << 5); // TBI0
    s.file.set(SLOT.SPSR_EL1, 0, 0);
    s.file.set(SLOT.ELR_EL1, 0x1000, 0x5a00_0000);
    s.eret();
    expect([s.cpu.pcLo, s.cpu.pcHi]).toEqual([0x1000, 0]);
  });

  for (const [what, spsr] of [
    ['to EL2', 0x3c9],
    ['to AArch32', 0x3d0],
    ['to EL0 with SPSel = 1', 0x3c1],
    ['with M[1] set', 0x3c6],
  ] as const) {
    it(`makes an illegal return ${what} an Illegal Execution State exception at the target`, () => {
      const s = setup();
      s.cpu.setNzcv(0);
      s.file.set(SLOT.SPSR_EL1, 0x8000_0000 | spsr, 0);
      s.file.set(SLOT.ELR_EL1, 0x4000_3000, 0);
      expect(s.eret()).toBe(true);
      expect(s.reg(SLOT.ESR_EL1)).toEqual([0x3a00_0000, 0]);
      expect(s.reg(SLOT.ELR_EL1)).toEqual([0x4000_3000, 0]);
      // IL set; NZCV and DAIF restored; EL and SPSel unchanged (EL1h).
      expect(s.reg(SLOT.SPSR_EL1)).toEqual([(0x8010_03c5 | 0) >>> 0, 0]);
      expect(s.cpu.pcLo).toBe(VBAR + 0x200);
    });
  }

  it('honours SPSR.IL on a legal return: the target raises the exception from its EL', () => {
    const s = setup();
    s.file.set(SLOT.SPSR_EL1, 0x0010_0000, 0); // IL, EL0t
    s.file.set(SLOT.ELR_EL1, 0x0040_0000, 0);
    expect(s.eret()).toBe(true);
    expect(s.reg(SLOT.ESR_EL1)).toEqual([0x3a00_0000, 0]);
    expect(s.reg(SLOT.SPSR_EL1)).toEqual([0x0010_0000, 0]);
    expect(s.cpu.pcLo).toBe(VBAR + 0x400);
  });
});
