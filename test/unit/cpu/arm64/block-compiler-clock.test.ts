// Deterministic virtual time (QEMU -icount: 2^shift ns per instruction) read from inside a compiled block
// that loops on itself. Every clock read must see exactly the instructions executed before it, whether the
// loop runs in the interpreter or compiled, and whatever the run() slices: the generic timer's counter read
// by MRS (a closure inside the block) and an MMIO device reading the clock on loads and stores (the memory
// slow path of a block whose registers live in locals).
import { describe, expect, it } from 'vitest';
import { AddressSpace, MemoryRegion } from '../../../../src-emu/core/memory';
import { VirtualClock } from '../../../../src-emu/core/timer';
import { Cpu } from '../../../../src-emu/cpu/arm64/cpu';
import type { CpuOptions } from '../../../../src-emu/cpu/arm64/cpu';
import { installSystem } from '../../../../src-emu/cpu/arm64/sys/install';
import { NS_PER_TICK } from '../../../../src-emu/cpu/arm64/timer/generic-timer';
import { CODE, DATA, RAM_BASE, getPc, getX, read64, setPc } from './harness';
import { objdumpSource } from './objdump';

const SHIFT = 5;
const NS_PER_INSN = 2 ** SHIFT;
/** Virtual time at power-on: not a multiple of the counter period, so the counter's rounding shows. */
const START_NS = 1_000_003;
const DEVICE = 0x0900_0000;
const ITERATIONS = 3000;
/** Low enough that the loop is compiled early in the run and then runs compiled for most iterations. */
const THRESHOLD = 200;
/** Slices that end mid-iteration, leave a compiled loop on its budget check, and run it for long. */
const BUDGETS = [1000, 7, 333, 1, 4096, 50, 2, 977];

interface ClockMachine {
  cpu: Cpu;
  ram: MemoryRegion;
  bus: AddressSpace;
  /** clock.now() at each write to the device. */
  writeTimes: number[];
}

/** A vCPU with the system layer, RAM, and a device whose register 0 reads the clock (ns, bits 31..0). */
function clockMachine(words: readonly number[], jit: CpuOptions['jit']): ClockMachine {
  const root = MemoryRegion.container('system', 2 ** 40);
  const ram = MemoryRegion.ram('ram', 4 << 20);
  root.addSubregion(RAM_BASE, ram);
  const clock = new VirtualClock({ mode: 'deterministic', startNs: START_NS });
  const writeTimes: number[] = [];
  root.addSubregion(
    DEVICE,
    MemoryRegion.mmio('clock-probe', 0x1000, {
      read: () => clock.now() % 2 ** 32,
      write: () => void writeTimes.push(clock.now()),
    }),
  );
  const bus = new AddressSpace('memory', root);
  const cpu = new Cpu(bus, { jit });
  installSystem(cpu, { clock, timerOutputs: { phys: () => {}, virt: () => {} }, affinity: 0, crc32: false });
  words.forEach((w, i) => bus.write(CODE + 4 * i, 4, w >>> 0));
  setPc(cpu, CODE);
  // As the scheduler does in deterministic mode: the running slice's instructions are pending time.
  let running = false;
  clock.setPendingNs(() => (running ? cpu.executedInRun() * NS_PER_INSN : 0));
  const machine = { cpu, ram, bus, writeTimes };
  const total = PROLOGUE + ITERATIONS * BODY_LENGTH;
  let executed = 0;
  for (let i = 0; executed < total; i++) {
    running = true;
    const ran = cpu.run(Math.min(BUDGETS[i % BUDGETS.length], total - executed));
    running = false;
    clock.advance(ran * NS_PER_INSN);
    executed += ran;
  }
  return machine;
}

/** Instructions before `loop` in both programs. */
const PROLOGUE = 3;
/** Instructions of one iteration in both programs. */
const BODY_LENGTH = 7;
/** Virtual time at the instruction at `position` of iteration `i`: the instructions before it, in ns. */
const timeAt = (i: number, position: number): number =>
  START_NS + (PROLOGUE + i * BODY_LENGTH + position) * NS_PER_INSN;

const COUNTER_LOOP = `
  mov x0, #${ITERATIONS}
  mov x5, #${DATA}
  mov x3, #0
loop:
  add x3, x3, #1
  mrs x1, cntvct_el0
  eor x4, x3, x1
  mrs x2, cntpct_el0
  stp x1, x2, [x5], #16
  subs x0, x0, #1
  b.ne loop
done:
  b done`;

const MMIO_LOOP = `
  mov x0, #${ITERATIONS}
  mov x5, #${DATA}
  mov x6, #${DEVICE}
loop:
  ldr w1, [x6]
  add x3, x3, x1
  str w1, [x5], #4
  eor x4, x3, x0
  str w4, [x6, #8]
  subs x0, x0, #1
  b.ne loop
done:
  b done`;

function assemble(source: string): number[] {
  const lines = objdumpSource(source, CODE);
  expect(lines.length).toBe(PROLOGUE + BODY_LENGTH + 1);
  return lines.map((l) => l.word);
}

function runBoth(source: string): [ClockMachine, ClockMachine] {
  const words = assemble(source);
  const interpreted = clockMachine(words, { threshold: 0 });
  const compiled = clockMachine(words, { threshold: THRESHOLD });
  const loopSlot = PROLOGUE;
  for (const m of [interpreted, compiled]) {
    expect(getX(m.cpu, 0)).toBe(0n);
    expect(getPc(m.cpu)).toBe(BigInt(CODE + 4 * (PROLOGUE + BODY_LENGTH)));
  }
  expect(interpreted.cpu.codeCache.page(interpreted.ram.ram!, 0).blocks[loopSlot]).toBeNull();
  expect(compiled.cpu.codeCache.page(compiled.ram.ram!, 0).blocks[loopSlot]).not.toBeNull();
  return [interpreted, compiled];
}

const ticksAt = (ns: number): bigint => BigInt(Math.floor(ns / NS_PER_TICK));

describe('deterministic time inside a compiled looping block', () => {
  it('gives every CNTVCT_EL0 / CNTPCT_EL0 read the instructions executed before it', () => {
    const [interpreted, compiled] = runBoth(COUNTER_LOOP);
    const expected: bigint[] = [];
    for (let i = 0; i < ITERATIONS; i++) expected.push(ticksAt(timeAt(i, 1)), ticksAt(timeAt(i, 3)));
    const reads = (m: ClockMachine): bigint[] =>
      Array.from({ length: 2 * ITERATIONS }, (_, k) => read64(m, DATA + 8 * k));
    expect(reads(interpreted)).toEqual(expected);
    expect(reads(compiled)).toEqual(expected);
  });

  it('gives every MMIO load and store the instructions executed before it', () => {
    const [interpreted, compiled] = runBoth(MMIO_LOOP);
    const loads: number[] = [];
    const stores: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      loads.push(timeAt(i, 0) % 2 ** 32);
      stores.push(timeAt(i, 4));
    }
    const loaded = (m: ClockMachine): number[] =>
      Array.from({ length: ITERATIONS }, (_, k) => m.bus.read(DATA + 4 * k, 4));
    expect(loaded(interpreted)).toEqual(loads);
    expect(loaded(compiled)).toEqual(loads);
    expect(interpreted.writeTimes).toEqual(stores);
    expect(compiled.writeTimes).toEqual(stores);
  });
});
