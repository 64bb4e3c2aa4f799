/**
 * vCPU power-on state for direct kernel boot, as QEMU's virt leaves a CPU it starts (specs/cpu.md): EL1h,
 * all of DAIF masked, MMU off (system registers at reset values), every register zero except the entry PC
 * and x0.
 */
import type { Cpu } from '../cpu/arm64/cpu';
import type { CpuSystem } from '../cpu/arm64/sys/install';

export function resetCpuForBoot(cpu: Cpu, system: CpuSystem): void {
  cpu.x.fill(0);
  cpu.spBank.fill(0);
  cpu.v32.fill(0);
  cpu.fpcr = 0;
  cpu.fpsr = 0;
  cpu.setNzcv(0);
  cpu.daif = 0xf;
  cpu.setElAndSpSel(1, 1);
  cpu.monitor.clear();
  system.reset();
  cpu.tlbFlush();
}

/** Points the CPU at a 64-bit entry address (lo/hi) with x0 = context (lo/hi). */
export function startCpuAt(cpu: Cpu, entryLo: number, entryHi: number, x0Lo: number, x0Hi: number): void {
  cpu.pcLo = entryLo | 0;
  cpu.pcHi = entryHi | 0;
  cpu.x[0] = x0Lo | 0;
  cpu.x[1] = x0Hi | 0;
}
