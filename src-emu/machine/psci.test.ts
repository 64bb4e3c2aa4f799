import { describe, expect, it } from 'vitest';
import { handlePsci, PSCI_FN, PSCI_RET, type CpuPower, type PsciHost } from './psci';

class FakeBoard implements PsciHost {
  readonly events: string[] = [];
  readonly states: CpuPower[];
  constructor(readonly cpuCount: number) {
    this.states = Array.from({ length: cpuCount }, (_, i) => (i === 0 ? 'on' : 'off'));
  }
  power(cpu: number): CpuPower {
    return this.states[cpu]!;
  }
  powerOn(cpu: number, entryLo: number, entryHi: number, ctxLo: number, ctxHi: number): void {
    this.states[cpu] = 'on';
    this.events.push(`on ${cpu} ${hex(entryHi, entryLo)} ${hex(ctxHi, ctxLo)}`);
  }
  powerOff(cpu: number): void {
    this.states[cpu] = 'off';
    this.events.push(`off ${cpu}`);
  }
  suspend(cpu: number): void {
    this.events.push(`suspend ${cpu}`);
  }
  systemOff(): void {
    this.events.push('system-off');
  }
  systemReset(): void {
    this.events.push('system-reset');
  }
}

const hex = (hi: number, lo: number): string =>
  '0x' + (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');

/** x0..x3 as 64-bit values, laid out as the CPU's register file. */
function regs(...values: bigint[]): { x: Int32Array } {
  const x = new Int32Array(68);
  values.forEach((v, i) => {
    x[2 * i] = Number(BigInt.asIntN(32, v));
    x[2 * i + 1] = Number(BigInt.asIntN(32, v >> 32n));
  });
  return { x };
}

const x0 = (r: { x: Int32Array }): bigint => (BigInt(r.x[1]!) << 32n) | BigInt(r.x[0]! >>> 0);

describe('PSCI over HVC', () => {
  it('reports version 1.1', () => {
    const r = regs(BigInt(PSCI_FN.version));
    expect(handlePsci(new FakeBoard(1), 0, r)).toBe(true);
    expect(x0(r)).toBe(0x10001n);
  });

  it('starts a secondary CPU at a 64-bit entry point with its context, once', () => {
    const board = new FakeBoard(4);
    const r = regs(BigInt(PSCI_FN.cpuOn64), 2n, 0xffff_0000_4008_1000n, 0x1234_5678_9abc_def0n);
    handlePsci(board, 0, r);
    expect(x0(r)).toBe(0n);
    expect(board.events).toEqual(['on 2 0xffff000040081000 0x123456789abcdef0']);
    const again = regs(BigInt(PSCI_FN.cpuOn64), 2n, 0x4000_0000n, 0n);
    handlePsci(board, 0, again);
    expect(x0(again)).toBe(BigInt(PSCI_RET.alreadyOn));
  });

  it('rejects CPU_ON for CPUs that do not exist, with a sign-extended error', () => {
    const board = new FakeBoard(2);
    for (const mpidr of [2n, 0x100n, 0x8000_0000n, 0x1_0000_0000n]) {
      const r = regs(BigInt(PSCI_FN.cpuOn64), mpidr, 0x4000_0000n, 0n);
      handlePsci(board, 0, r);
      expect(x0(r)).toBe(-2n);
    }
    expect(board.events).toEqual([]);
  });

  it('ignores the upper halves of arguments of SMC32 calls', () => {
    const board = new FakeBoard(2);
    const r = regs(BigInt(PSCI_FN.cpuOn32), 0xdead_0000_0000_0001n, 0xffff_ffff_4000_0000n, 7n);
    handlePsci(board, 0, r);
    expect(board.events).toEqual(['on 1 0x0000000040000000 0x0000000000000007']);
  });

  it('answers AFFINITY_INFO with on/off and rejects other levels', () => {
    const board = new FakeBoard(2);
    const ask = (cpu: bigint, level = 0n): bigint => {
      const r = regs(BigInt(PSCI_FN.affinityInfo64), cpu, level);
      handlePsci(board, 0, r);
      return x0(r);
    };
    expect([ask(0n), ask(1n)]).toEqual([0n, 1n]);
    expect(ask(0n, 1n)).toBe(-2n);
  });

  it('powers the caller off, suspends it, and ends or resets the machine', () => {
    const board = new FakeBoard(2);
    for (const fn of [PSCI_FN.cpuOff, PSCI_FN.cpuSuspend64, PSCI_FN.systemOff, PSCI_FN.systemReset]) {
      handlePsci(board, 1, regs(BigInt(fn)));
    }
    expect(board.events).toEqual(['off 1', 'suspend 1', 'system-off', 'system-reset']);
  });

  it('lists its functions in PSCI_FEATURES and answers NOT_SUPPORTED for other PSCI IDs', () => {
    const board = new FakeBoard(1);
    const feature = (id: number): bigint => {
      const r = regs(BigInt(PSCI_FN.features), BigInt(id));
      handlePsci(board, 0, r);
      return x0(r);
    };
    expect(feature(PSCI_FN.cpuOn64)).toBe(0n);
    expect(feature(PSCI_FN.systemReset)).toBe(0n);
    expect(feature(0x8400_0010)).toBe(-1n);
    const r = regs(0x8400_0011n);
    expect(handlePsci(board, 0, r)).toBe(true);
    expect(x0(r)).toBe(-1n);
  });

  it('answers any other HVC with NOT_SUPPORTED, as QEMU virt does', () => {
    const r = regs(0x1234n);
    expect(handlePsci(new FakeBoard(1), 0, r)).toBe(true);
    expect(x0(r)).toBe(-1n);
  });
});
