/** A Cpu with RAM and the system layer installed, for the sys/ and mmu/ tests. */
import { AddressSpace, MemoryRegion } from '../../../core/memory';
import { VirtualClock } from '../../../core/timer';
import { Cpu } from '../cpu';
import type { CpuOptions } from '../cpu';
import { installSystem } from './install';

export const TEST_RAM_BASE = 0x4000_0000;

export function testMachine(options: { crc32?: boolean; affinity?: number; jit?: CpuOptions['jit'] } = {}) {
  const root = MemoryRegion.container('system', 2 ** 48);
  const ram = MemoryRegion.ram('ram', 1 << 24);
  root.addSubregion(TEST_RAM_BASE, ram);
  const bus = new AddressSpace('memory', root);
  const cpu = new Cpu(bus, { jit: options.jit });
  const clock = new VirtualClock({ mode: 'deterministic' });
  const levels = { phys: false, virt: false };
  const system = installSystem(cpu, {
    clock,
    timerOutputs: { phys: (l) => (levels.phys = l), virt: (l) => (levels.virt = l) },
    affinity: options.affinity ?? 0,
    crc32: options.crc32 ?? false,
  });
  return { cpu, bus, ram, clock, levels, system, regs: system.regs, file: system.regs.file };
}
