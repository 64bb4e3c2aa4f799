// The core CPU state survives a save/load round trip through the machine stream, and bad streams are refused.
import { describe, expect, it } from 'vitest';
import { entry, loadMachine, saveMachine } from '../../../../src-emu/core/vmstate';
import { CPU_CORE_VMSTATE, CpuCoreState } from '../../../../src-emu/cpu/arm64/vmstate';
import { CODE, getPc, getX, makeMachine, setPc, setX } from './harness';

describe('CPU core VMState', () => {
  it('round-trips registers, both SPs, PSTATE and the SIMD&FP file', () => {
    const a = makeMachine();
    for (let r = 0; r < 31; r++) setX(a.cpu, r, 0x0101010101010101n * BigInt(r + 1));
    setX(a.cpu, 31, 0x4000_1000n); // SP_EL1 (EL1h)
    a.cpu.writeSpEl(0, 0x2000, 0x1);
    setPc(a.cpu, CODE + 0x40);
    a.cpu.setNzcv(0x60000000);
    a.cpu.daif = 0x5;
    for (let i = 0; i < 512; i++) a.cpu.v8[i] = (i * 7) & 0xff;
    a.cpu.fpcr = 0x03000000;
    a.cpu.fpsr = 0x8000009f;
    const stream = saveMachine([entry(CPU_CORE_VMSTATE, new CpuCoreState(a.cpu))]);

    const b = makeMachine();
    b.cpu.setElAndSpSel(0, 0);
    loadMachine(stream, [entry(CPU_CORE_VMSTATE, new CpuCoreState(b.cpu))]);
    for (let r = 0; r < 31; r++) expect(getX(b.cpu, r)).toBe(0x0101010101010101n * BigInt(r + 1));
    expect([b.cpu.el, b.cpu.spsel]).toEqual([1, 1]);
    expect(getX(b.cpu, 31)).toBe(0x4000_1000n);
    const sp0 = new Int32Array(2);
    b.cpu.readSpEl(0, sp0);
    expect(Array.from(sp0)).toEqual([0x2000, 1]);
    expect(getPc(b.cpu)).toBe(BigInt(CODE + 0x40));
    expect([b.cpu.n, b.cpu.z, b.cpu.c, b.cpu.v, b.cpu.daif]).toEqual([0, 1, 1, 0, 5]);
    expect(Array.from(b.cpu.v8)).toEqual(Array.from(a.cpu.v8));
    expect([b.cpu.fpcr >>> 0, b.cpu.fpsr >>> 0]).toEqual([0x03000000, 0x8000009f]);
  });

  it('refuses a stream claiming EL2 and leaves the CPU untouched', () => {
    const a = makeMachine();
    const state = new CpuCoreState(a.cpu);
    const desc = { ...CPU_CORE_VMSTATE, preSave: (s: CpuCoreState) => (s.capture(), (s.el = 2)) };
    const stream = saveMachine([entry(desc, state)]);
    const b = makeMachine();
    setX(b.cpu, 3, 33n);
    expect(() => loadMachine(stream, [entry(CPU_CORE_VMSTATE, new CpuCoreState(b.cpu))])).toThrow(/EL2/);
    expect(getX(b.cpu, 3)).toBe(33n);
  });
});
