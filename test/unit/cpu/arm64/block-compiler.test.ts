// Compiled blocks (block-compiler.ts) against the closure interpreter on the same programs, built by binutils:
// registers, flags, PC, memory and instruction counts must agree after every run() slice, whatever the
// budget, including faults inside a block, a store into the running block and a block that loops on itself.
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../../../src-emu/cpu/arm64/state';
import { CODE, DATA, getPc, makeMachine, nzcvOf, read64, setPc, setX } from './harness';
import type { Machine } from './harness';
import { objdumpSource } from './objdump';

const INTERPRETED = { jit: { threshold: 0 } };
const COMPILED = { jit: { threshold: 1 } };

function load(source: string, setup: (m: Machine) => void): [Machine, Machine] {
  const words = objdumpSource(source, CODE).map((l) => l.word);
  return [makeMachine(4 << 20, INTERPRETED), makeMachine(4 << 20, COMPILED)].map((m) => {
    words.forEach((w, i) => m.bus.write(CODE + 4 * i, 4, w >>> 0));
    setPc(m.cpu, CODE);
    setup(m);
    return m;
  }) as [Machine, Machine];
}

function state(m: Machine): string {
  const regs = Array.from(m.cpu.x.subarray(0, 64), (v) => (v >>> 0).toString(16)).join(' ');
  const data = [0, 8, 16, 24].map((off) => read64(m, DATA + off).toString(16)).join(' ');
  return `pc=${getPc(m.cpu).toString(16)} nzcv=${nzcvOf(m.cpu)} stop=${m.cpu.stopReason} x=${regs} mem=${data}`;
}

/** Runs both machines in the same slices; returns the number of slices until `until` returns true. */
function lockstep(pair: [Machine, Machine], budgets: number[], until: (m: Machine) => boolean): number {
  const [a, b] = pair;
  for (let i = 0; i < 10_000; i++) {
    const budget = budgets[i % budgets.length];
    const ranA = a.cpu.run(budget);
    const ranB = b.cpu.run(budget);
    expect({ slice: i, ran: ranB, state: state(b) }).toEqual({ slice: i, ran: ranA, state: state(a) });
    if (until(a)) return i;
  }
  throw new Error('the program did not finish');
}

function compiledBlocks(m: Machine): number {
  return m.cpu.codeCache.page(m.ram.ram!, 0).blocks.filter((b) => b !== null).length;
}

const LOOP = `
  mov x0, #300
  mov x5, #0x40100000
  mov x1, #0
  mov x2, #1
loop:
  add x1, x1, x2
  eor x2, x2, x1, lsl #3
  stp x1, x2, [x5, #16]
  ldr x3, [x5, #16]
  ldrb w6, [x5, #17]
  adds x1, x1, x3
  adc x7, x7, x6
  umulh x8, x1, x2
  mul x9, x1, x2
  smulh x12, x9, x2
  ror x13, x12, #7
  lsr w14, w9, #3
  subs x0, x0, #1
  csel x4, x1, x2, ne
  ccmp x4, x9, #4, hi
  cset w10, eq
  str w10, [x5, #4]!
  bl fn
  cmp x0, #0
  b.ne loop
  sub x5, x5, #1200
done:
  b done
fn:
  add x11, x11, x10
  tbz x11, #2, 1f
  sub x11, x11, #1
1:
  ret
`;

describe('compiled blocks', () => {
  it('match the interpreter slice by slice on a loop of ALU, multiply, load/store, call and flag code', () => {
    const pair = load(LOOP, () => {});
    const doneAt = objdumpSource(LOOP, CODE).find(
      (l) => l.text.startsWith('b\t') && l.text.endsWith(String(l.address.toString(16))),
    );
    expect(doneAt).toBeDefined();
    lockstep(pair, [1, 2, 3, 5, 7, 11, 13, 17, 64, 1000], (m) => getPc(m.cpu) === BigInt(doneAt!.address));
    expect(compiledBlocks(pair[1])).toBeGreaterThan(3);
    expect(compiledBlocks(pair[0])).toBe(0);
  });

  it('count the faulting instruction and report its address when a load faults inside a looping block', () => {
    // x3 walks upwards from the end of RAM's last page into unassigned space: the 3rd iteration faults.
    const source = `
loop:
  add x1, x1, #1
  ldr x2, [x3]
  add x3, x3, #0x800
  subs x0, x0, #1
  b.ne loop
  b .`;
    const pair = load(source, (m) => {
      setX(m.cpu, 0, 100n);
      setX(m.cpu, 3, BigInt(0x4000_0000 + (4 << 20) - 0x1000));
    });
    const ran = pair.map((m) => m.cpu.run(1000));
    expect(ran).toEqual([12, 12]);
    for (const m of pair) {
      expect(m.cpu.stopReason).toBe(StopReason.Exception);
      expect(m.cpu.pendingException.returnLo >>> 0).toBe(CODE + 4);
      expect(m.cpu.pendingException.esr >>> 0).toBe(0x96000010);
    }
    expect(state(pair[1])).toBe(state(pair[0]));
  });

  it('run the new instruction after a store overwrites a later one in the same block', () => {
    const source = `
  str w6, [x5]
  mov x0, #1
  mov x0, #3
  b .`;
    const newWord = objdumpSource('mov x0, #2')[0].word;
    const pair = load(source, (m) => {
      setX(m.cpu, 5, BigInt(CODE + 8));
      setX(m.cpu, 6, BigInt(newWord >>> 0));
    });
    for (const m of pair) m.cpu.run(4);
    expect(pair.map((m) => Number(m.cpu.x[0]))).toEqual([2, 2]);
    expect(state(pair[1])).toBe(state(pair[0]));
  });
});
