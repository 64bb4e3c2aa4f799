/**
 * Micro-benchmark of the integer CPU: a tight loop of ALU, load and store instructions on flat RAM, run by
 * the closure interpreter alone and with block compilation (the default). Prints guest MIPS for both. Not a
 * test: timings on shared machines are noisy.
 *
 *   npx tsx scripts/bench-cpu-int.ts [millions of instructions, default 200]
 */
import { AddressSpace, MemoryRegion } from '../src-emu/core/memory';
import { Cpu } from '../src-emu/cpu/arm64/cpu';
import type { CpuOptions } from '../src-emu/cpu/arm64/cpu';

const RAM_BASE = 0x4000_0000;

// Built with aarch64-linux-gnu-as:
//        movz x1, #0x4000, lsl #16
//        mov  x0, #0
//   1:   add  x0, x0, x1
//        eor  x2, x0, x1, lsl #3
//        ldr  x3, [sp, #8]
//        add  x3, x3, x2
//        str  x3, [sp, #8]
//        subs x1, x1, #1
//        b.ne 1b
//        b    .
const PROGRAM = [
  0xd2a80001, 0xd2800000, 0x8b010000, 0xca010c02, 0xf94007e3, 0x8b020063, 0xf90007e3, 0xf1000421, 0x54ffff41,
  0x14000000,
];

function measure(label: string, millions: number, options: CpuOptions): void {
  const root = MemoryRegion.container('system', 2 ** 40);
  root.addSubregion(RAM_BASE, MemoryRegion.ram('ram', 1 << 20));
  const bus = new AddressSpace('memory', root);
  const cpu = new Cpu(bus, options);
  PROGRAM.forEach((word, i) => bus.write(RAM_BASE + 4 * i, 4, word));
  cpu.pcLo = RAM_BASE;
  cpu.x[62] = RAM_BASE + 0x8000; // SP
  const slice = 1_000_000;
  // Warm up the JIT before timing.
  cpu.run(20 * slice);
  const start = process.hrtime.bigint();
  let executed = 0;
  while (executed < millions * slice) executed += cpu.run(slice);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const mips = (executed / seconds / 1e6).toFixed(1);
  console.log(`${label}: ${mips} MIPS (${executed} instructions in ${seconds.toFixed(2)} s)`);
}

const millions = Number(process.argv[2] ?? 200);
measure('closures only  ', millions, { jit: { threshold: 0 } });
measure('compiled blocks', millions, {});
