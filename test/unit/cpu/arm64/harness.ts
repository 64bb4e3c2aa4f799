/**
 * A Cpu on flat RAM for execution tests, and a runner for single instructions: each case is one line of
 * assembler with register inputs and expected outputs computed in BigInt by the test; a batch is
 * assembled by binutils in one go, then each word runs alone on our CPU.
 */
import { AddressSpace, MemoryRegion } from '../../../../src-emu/core/memory';
import { Cpu } from '../../../../src-emu/cpu/arm64/cpu';
import type { CpuOptions } from '../../../../src-emu/cpu/arm64/cpu';
import { fromPair, toPair } from './reference';
import { objdumpSource } from './objdump';

export const RAM_BASE = 0x4000_0000;
export const CODE = RAM_BASE;
/** Scratch data area for load/store tests. */
export const DATA = RAM_BASE + 0x10_0000;

export interface Machine {
  cpu: Cpu;
  bus: AddressSpace;
  ram: MemoryRegion;
}

export function makeMachine(ramBytes = 4 << 20, options: CpuOptions = {}): Machine {
  const root = MemoryRegion.container('system', 2 ** 40);
  const ram = MemoryRegion.ram('ram', ramBytes);
  root.addSubregion(RAM_BASE, ram);
  const bus = new AddressSpace('memory', root);
  const cpu = new Cpu(bus, options);
  return { cpu, bus, ram };
}

/** Every instruction compiled alone, on its first run (block-compiler.ts templates instead of closures). */
export const COMPILE_EACH: CpuOptions = { jit: { threshold: 1, maxInsns: 1 } };

export function setX(cpu: Cpu, r: number, value: bigint): void {
  const [lo, hi] = toPair(value);
  cpu.x[2 * r] = lo;
  cpu.x[2 * r + 1] = hi;
}

export function getX(cpu: Cpu, r: number): bigint {
  return fromPair(cpu.x[2 * r], cpu.x[2 * r + 1]);
}

export function setPc(cpu: Cpu, pc: number): void {
  cpu.pcLo = pc | 0;
  cpu.pcHi = Math.floor(pc / 2 ** 32) | 0;
}

export function getPc(cpu: Cpu): bigint {
  return fromPair(cpu.pcLo, cpu.pcHi);
}

export function nzcvOf(cpu: Cpu): number {
  return (cpu.n << 3) | (cpu.z << 2) | (cpu.c << 1) | cpu.v;
}

export function setNzcv(cpu: Cpu, nzcv: number): void {
  cpu.setNzcv(nzcv << 28);
}

/** Writes 64-bit little-endian values through the bus (so code pages get invalidated). */
export function write64(m: Machine, pa: number, value: bigint): void {
  const [lo, hi] = toPair(value);
  m.bus.write64(pa, lo, hi);
}

export function read64(m: Machine, pa: number): bigint {
  const out = new Uint32Array(2);
  m.bus.read64(pa, out, 0);
  return fromPair(out[0], out[1]);
}

export interface InsnCase {
  /** One instruction in assembler syntax. */
  asm: string;
  /** A data word (e.g. a literal pool entry): assembled in place but not executed. */
  data?: boolean;
  /** Register inputs (index 31 = SP). */
  regs?: Record<number, bigint>;
  /** NZCV in (4 bits). */
  nzcv?: number;
  /** Prepare memory or anything else before the run. */
  before?: (m: Machine) => void;
  /** Expected register values after the run (index 31 = SP). */
  expect?: Record<number, bigint>;
  /** Expected NZCV after the run. */
  expectNzcv?: number;
  /** Expected PC after the run, as an offset from the instruction's address. */
  expectPcOffset?: bigint;
  /** Further checks after the run; return a message on failure. */
  after?: (m: Machine) => string | null;
}

/** Assembles all cases (each at its own address in one image) and returns the words in order. */
export function assemble(cases: readonly InsnCase[], base = CODE): number[] {
  const lines = objdumpSource(cases.map((c) => c.asm).join('\n'), base);
  if (lines.length !== cases.length) throw new Error(`assembled ${lines.length} words for ${cases.length} cases`);
  return lines.map((l) => l.word);
}

/**
 * Runs each case's word at its assembled address (CODE + 4i) and returns a description of every
 * difference from the expectations: on `m` (closures), then on a machine that runs every instruction as a
 * compiled block, so both executors meet the same expectations.
 */
export function runCases(m: Machine, cases: readonly InsnCase[]): string[] {
  const words = assemble(cases);
  const compiled = makeMachine(m.ram.size, COMPILE_EACH);
  return [...runWords(m, cases, words), ...runWords(compiled, cases, words).map((f) => `[compiled] ${f}`)];
}

function runWords(m: Machine, cases: readonly InsnCase[], words: readonly number[]): string[] {
  const failures: string[] = [];
  for (let i = 0; i < words.length; i++) m.bus.write(CODE + 4 * i, 4, words[i] >>> 0);
  cases.forEach((c, i) => {
    if (c.data === true) return;
    const cpu = m.cpu;
    const pc = CODE + 4 * i;
    for (const [r, v] of Object.entries(c.regs ?? {})) setX(cpu, Number(r), v);
    setNzcv(cpu, c.nzcv ?? 0);
    c.before?.(m);
    setPc(cpu, pc);
    const ran = cpu.run(1);
    const problems: string[] = [];
    if (ran !== 1) problems.push(`ran ${ran} instructions`);
    for (const [r, v] of Object.entries(c.expect ?? {})) {
      const got = getX(cpu, Number(r));
      if (got !== v) problems.push(`x${r} = 0x${got.toString(16)}, expected 0x${v.toString(16)}`);
    }
    if (c.expectNzcv !== undefined && nzcvOf(cpu) !== c.expectNzcv) {
      problems.push(`nzcv = ${nzcvOf(cpu).toString(2)}, expected ${c.expectNzcv.toString(2)}`);
    }
    const pcOffset = c.expectPcOffset ?? 4n;
    if (getPc(cpu) !== BigInt(pc) + pcOffset) problems.push(`pc = 0x${getPc(cpu).toString(16)}`);
    const extra = c.after?.(m);
    if (extra) problems.push(extra);
    if (problems.length > 0) failures.push(`${c.asm} [${JSON.stringify(c.regs, bigintJson)}]: ${problems.join('; ')}`);
  });
  return failures;
}

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `0x${value.toString(16)}` : value;
}
