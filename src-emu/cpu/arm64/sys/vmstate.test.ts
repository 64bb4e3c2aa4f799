import { describe, expect, it } from 'vitest';
import { capture, describe as describeState } from '../../../core/vmstate';
import { GT } from '../timer/generic-timer';
import { SLOT } from './regfile';
import { testMachine } from './test-machine';
import { CPU_SYSTEM_VMSTATE, CpuSystemState } from './vmstate';

describe('system layer snapshot', () => {
  it('round-trips registers, CNTFRQ, the event register and the timers', () => {
    const a = testMachine();
    a.file.set(SLOT.TTBR1_EL1, 0x4123_4000, -0x10000);
    a.file.set(SLOT.DBGWCR3, 0x1e5, 0);
    a.file.set(SLOT.SCTLR_EL1, 0x00c5083b, 0); // M and A
    a.file.set(SLOT.CPACR_EL1, 3 << 20, 0);
    a.regs.cntfrq = 1234;
    a.system.eventRegister = 1;
    a.system.timer.writeCval(GT.Virt, 10, 0);
    a.system.timer.writeCtl(GT.Virt, 1);
    a.clock.advanceTo(1000);
    // The byte stream itself is core's job (saveMachine/loadMachine); here: capture, then apply to a fresh CPU.
    const saved = new CpuSystemState(a.system);
    saved.capture();
    const values = capture(CPU_SYSTEM_VMSTATE, saved);
    expect(values.fields.get('cntfrq')).toBe(1234);

    const b = testMachine();
    b.clock.advanceTo(1000);
    const loaded = new CpuSystemState(b.system);
    loaded.regs = { ...saved.regs };
    loaded.cntfrq = saved.cntfrq;
    loaded.eventRegister = saved.eventRegister;
    loaded.timerCtl = [...saved.timerCtl];
    loaded.timerCval = [...saved.timerCval];
    loaded.apply();
    expect([b.file.lo(SLOT.TTBR1_EL1), b.file.hi(SLOT.TTBR1_EL1)]).toEqual([0x4123_4000, -0x10000]);
    expect(b.file.lo(SLOT.DBGWCR3)).toBe(0x1e5);
    expect(b.regs.cntfrq).toBe(1234);
    expect(b.system.eventRegister).toBe(1);
    expect(b.cpu.alignMask).toBe(-1);
    expect(b.cpu.fpDisabled).toBe(0);
    expect(b.system.timer.readCtl(GT.Virt)).toBe(5);
    expect(b.levels.virt).toBe(true);
  });

  it('shows registers by name in the inspector view', () => {
    const m = testMachine();
    const state = new CpuSystemState(m.system);
    state.capture();
    const names = JSON.stringify(describeState(CPU_SYSTEM_VMSTATE, state));
    expect(names).toContain('TTBR0_EL1');
    expect(names).toContain('SCTLR_EL1');
  });
});
