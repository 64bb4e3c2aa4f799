// Branches, the run loop contract (budget, WFI, interrupts, page changes), faults and their syndromes,
// self-modifying code, and SP banking.
import { describe, expect, it } from 'vitest';
import { CODE, DATA, RAM_BASE, assemble, getPc, getX, makeMachine, runCases, setNzcv, setPc, setX } from './harness';
import type { InsnCase, Machine } from './harness';
import { Rng, conditionHolds } from './reference';
import { IRQ_LINE, StopReason } from '../../../../src-emu/cpu/arm64/state';
import type { ExceptionModel } from '../../../../src-emu/cpu/arm64/exception-hooks';
import { Cpu } from '../../../../src-emu/cpu/arm64/cpu';
import { Decoder } from '../../../../src-emu/cpu/arm64/decoder';
import { entry } from '../../../../src-emu/cpu/arm64/encoding';
import { ENCODING_GROUPS } from '../../../../src-emu/cpu/arm64/insn/index';

const rng = new Rng(11);
const CONDS = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'];

function load(m: Machine, source: string[], at = CODE): void {
  const words = assemble(
    source.map((asm) => ({ asm })),
    at,
  );
  words.forEach((w, i) => m.bus.write(at + 4 * i, 4, w >>> 0));
  setPc(m.cpu, at);
}

describe('branches', () => {
  it('B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ go where ConditionHolds and the register say', () => {
    const cases: InsnCase[] = [];
    for (let i = 0; i < 300; i++) {
      const offset = (rng.below(2000) - 1000) * 4;
      const target = `.${offset >= 0 ? '+' : ''}${offset}`;
      const kind = rng.below(6);
      const value = rng.below(3) === 0 ? 0n : rng.interesting();
      const bit = rng.below(64);
      const nzcv = rng.below(16);
      const cond = rng.below(16);
      const taken = [
        true,
        true,
        conditionHolds(cond, nzcv),
        value === 0n,
        value !== 0n,
        ((value >> BigInt(bit)) & 1n) === 0n,
      ][kind];
      const asm = [
        `b ${target}`,
        `bl ${target}`,
        `b.${CONDS[cond]} ${target}`,
        `cbz x4, ${target}`,
        `cbnz x4, ${target}`,
        `tbz x4, #${bit}, ${target}`,
      ][kind];
      const pc = BigInt(CODE + 4 * i);
      cases.push({
        asm,
        regs: { 4: value, 30: 0n },
        nzcv,
        expectPcOffset: taken ? BigInt(offset) : 4n,
        expect: kind === 1 ? { 30: pc + 4n } : { 30: 0n },
      });
    }
    expect(runCases(makeMachine(), cases).slice(0, 10)).toEqual([]);
  });

  it('CBZ/TBNZ on W registers ignore the upper half', () => {
    expect(
      runCases(makeMachine(), [
        { asm: 'cbz w1, .+8', regs: { 1: 0xffffffff00000000n }, expectPcOffset: 8n },
        { asm: 'tbnz w1, #31, .+8', regs: { 1: 0x80000000n }, expectPcOffset: 8n },
      ]),
    ).toEqual([]);
  });

  it('BR, BLR (link after reading the target) and RET', () => {
    const m = makeMachine();
    load(m, ['blr x30', 'nop']);
    setX(m.cpu, 30, BigInt(CODE + 0x100));
    m.cpu.run(1);
    expect(getPc(m.cpu)).toBe(BigInt(CODE + 0x100));
    expect(getX(m.cpu, 30)).toBe(BigInt(CODE + 4));
    load(m, ['br x7'], CODE + 0x200);
    setX(m.cpu, 7, BigInt(CODE + 0x2000));
    m.cpu.run(1);
    expect(getPc(m.cpu)).toBe(BigInt(CODE + 0x2000));
    load(m, ['ret'], CODE + 0x300);
    m.cpu.run(1);
    expect(getPc(m.cpu)).toBe(BigInt(CODE + 4));
  });

  it('ADR and ADRP compute from the instruction address', () => {
    const m = makeMachine();
    load(m, ['nop', 'adr x1, .-0x10', 'adrp x2, .+0x12345000'], CODE + 0xff0);
    m.cpu.run(3);
    expect(getX(m.cpu, 1)).toBe(BigInt(CODE + 0xff4 - 0x10));
    expect(getX(m.cpu, 2)).toBe(BigInt(CODE + 0x12345000));
  });
});

describe('run loop', () => {
  it('runs exactly the budget through a loop that crosses pages, and resumes where it stopped', () => {
    const m = makeMachine();
    // A loop spanning a page boundary: counts in x0.
    const body = ['add x0, x0, #1', ...Array(1020).fill('nop'), 'add x1, x1, #1', 'nop', 'nop', 'b .-4096'];
    load(m, body, CODE);
    expect(m.cpu.run(5000)).toBe(5000);
    expect(m.cpu.stopReason).toBe(StopReason.Budget);
    expect(m.cpu.run(5000)).toBe(5000);
    // 10000 instructions = 9 full iterations of 1025 plus 775.
    expect(getX(m.cpu, 0)).toBe(10n);
    expect(getX(m.cpu, 1)).toBe(9n);
    expect(getPc(m.cpu)).toBe(BigInt(CODE + 4 * 775));
    expect(m.cpu.instructionCount).toBe(10000);
  });

  it('stops at the block boundary after requestStop/endBlockAfterThis, with the PC at the next instruction', () => {
    // A stand-in for WFI (sys/ owns the real one): the framework contract it relies on.
    const stopper = entry('TEST_stop', '11111111 11111111 11111111 11111110', {
      exec: () => (cpu) => {
        cpu.requestStop(StopReason.Wfi);
        cpu.endBlockAfterThis();
      },
      disasm: () => 'test-stop',
    });
    const root = makeMachine();
    const cpu = new Cpu(root.bus, { decoder: new Decoder([...ENCODING_GROUPS, [stopper]]) });
    const m = { ...root, cpu };
    load(m, ['nop', '.inst 0xfffffffe', 'add x0, x0, #1', 'b .-4']);
    expect(cpu.run(100)).toBe(2);
    expect(cpu.stopReason).toBe(StopReason.Wfi);
    expect(getPc(cpu)).toBe(BigInt(CODE + 8));
    expect(cpu.run(10)).toBe(10);
    expect(cpu.stopReason).toBe(StopReason.Budget);
    expect(getX(cpu, 0)).toBe(5n);
  });

  it('takes an unmasked interrupt at a block boundary through the exception model', () => {
    const m = makeMachine();
    const taken: number[] = [];
    const model: ExceptionModel = {
      takeSync: () => {
        throw new Error('unexpected synchronous exception');
      },
      takeInterrupt: (cpu, lines) => {
        taken.push(lines, Number(getPc(cpu) - BigInt(CODE)));
        cpu.interruptPending = 0;
        setPc(cpu, CODE + 0x800);
      },
    };
    m.cpu.exceptions = model;
    load(m, ['add x0, x0, #1', 'b .-4']);
    load(m, ['mov x5, #5', 'b .'], CODE + 0x800);
    setPc(m.cpu, CODE);
    m.cpu.daif = 0;
    m.cpu.run(7);
    m.cpu.interruptPending = IRQ_LINE;
    m.cpu.run(3);
    expect(taken).toEqual([IRQ_LINE, 4]);
    expect(getX(m.cpu, 5)).toBe(5n);
  });

  it('sees code written by a store to a page it has already decoded', () => {
    const m = makeMachine();
    const [newWord] = assemble([{ asm: 'mov x3, #77' }]);
    // x1 = address of the patched instruction, w2 = the new instruction word.
    load(m, ['mov x3, #1', 'str w2, [x1]', 'b .+4', 'mov x3, #2', 'b .']);
    setX(m.cpu, 1, BigInt(CODE + 12));
    setX(m.cpu, 2, BigInt(newWord >>> 0));
    // Decode the page once (mov x3, #2 runs first time round).
    m.cpu.run(1);
    setPc(m.cpu, CODE + 12);
    m.cpu.run(1);
    expect(getX(m.cpu, 3)).toBe(2n);
    setPc(m.cpu, CODE + 4);
    m.cpu.run(3);
    expect(getX(m.cpu, 3)).toBe(77n);
  });
});

describe('faults', () => {
  function faultOf(m: Machine, source: string[], steps = 1): { esr: number; far: bigint; elr: bigint } {
    load(m, source);
    m.cpu.run(steps);
    expect(m.cpu.stopReason).toBe(StopReason.Exception);
    const r = m.cpu.pendingException;
    return {
      esr: r.esr,
      far: r.farValid ? (BigInt(r.farHi >>> 0) << 32n) | BigInt(r.farLo >>> 0) : -1n,
      elr: (BigInt(r.returnHi >>> 0) << 32n) | BigInt(r.returnLo >>> 0),
    };
  }

  it('a load from an unassigned address is a synchronous external abort (ESR 0x96000010, as QEMU)', () => {
    const m = makeMachine();
    setX(m.cpu, 1, 0x1234_5678n);
    expect(faultOf(m, ['nop', 'ldr x0, [x1, #8]'], 2)).toEqual({
      esr: 0x96000010,
      far: 0x1234_5680n,
      elr: BigInt(CODE + 4),
    });
  });

  it('a store to an unassigned address reports WnR (ESR 0x96000050)', () => {
    const m = makeMachine();
    setX(m.cpu, 1, 0x10n);
    expect(faultOf(m, ['str w0, [x1]']).esr).toBe(0x96000050);
  });

  it('an unallocated encoding is UNDEFINED (ESR 0x02000000) with ELR at the instruction', () => {
    const m = makeMachine();
    expect(faultOf(m, ['nop', 'nop', '.inst 0xffffffff'], 3)).toEqual({
      esr: 0x02000000,
      far: -1n,
      elr: BigInt(CODE + 8),
    });
  });

  it('SCTLR.A alignment checking faults misaligned accesses (DFSC 0x21)', () => {
    const m = makeMachine();
    m.cpu.alignMask = -1;
    setX(m.cpu, 1, BigInt(DATA + 4));
    expect(faultOf(m, ['ldr x0, [x1]']).esr).toBe(0x96000021);
    m.cpu.alignMask = 0;
    load(m, ['ldr x0, [x1]']);
    expect(m.cpu.run(1)).toBe(1);
    expect(m.cpu.stopReason).toBe(StopReason.Budget);
  });

  it('fetching from an unassigned address is an instruction abort, a misaligned PC a PC alignment fault', () => {
    const m = makeMachine();
    setX(m.cpu, 1, 0x100n);
    expect(faultOf(m, ['br x1'], 2)).toEqual({ esr: 0x86000010, far: 0x100n, elr: 0x100n });
    setX(m.cpu, 1, BigInt(RAM_BASE + 0x102));
    expect(faultOf(m, ['br x1'], 2)).toEqual({
      esr: 0x8a000000,
      far: BigInt(RAM_BASE + 0x102),
      elr: BigInt(RAM_BASE + 0x102),
    });
  });
});

describe('stack pointer banking', () => {
  it('keeps SP_EL0 and SP_EL1 apart across EL and SPSel changes', () => {
    const m = makeMachine();
    const cpu = m.cpu;
    setX(cpu, 31, 0x1000n); // EL1, SPSel 1: SP_EL1
    cpu.setElAndSpSel(0, 0);
    setX(cpu, 31, 0x2000n); // SP_EL0
    cpu.setElAndSpSel(1, 1);
    expect(getX(cpu, 31)).toBe(0x1000n);
    const out = new Int32Array(2);
    cpu.readSpEl(0, out);
    expect(out[0]).toBe(0x2000);
    cpu.writeSpEl(1, 0x3000, 0);
    expect(getX(cpu, 31)).toBe(0x3000n);
    cpu.setElAndSpSel(1, 0);
    expect(getX(cpu, 31)).toBe(0x2000n);
    expect(cpu.mmuIdx).toBe(1);
    setNzcv(cpu, 0b1010);
    expect(cpu.getNzcv()).toBe(0xa0000000);
  });
});
