/**
 * Text views of machine state for the monitor's `info` commands, in QEMU's layouts where QEMU has one
 * (`info registers` for AArch64, `info mtree`, `info qtree`). Read-only: nothing here changes the machine.
 */
import { hex } from '../../core/log';
import type { Cpu } from '../../cpu/arm64/cpu';
import { SLOT } from '../../cpu/arm64/sys/regfile';
import { systemOf } from '../../cpu/arm64/sys/install';
import { packPstate } from '../../cpu/arm64/sys/pstate';
import type { GicCpuInfo, GicIrqInfo } from '../../hw/intc/gic/inspect';

function hex64(lo: number, hi: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** PSTATE flags and mode as QEMU prints them: `-Z-C EL1h`. */
export function pstateText(pstate: number): string {
  const flags = ['N', 'Z', 'C', 'V'].map((f, i) => ((pstate >>> (31 - i)) & 1 ? f : '-')).join('');
  const el = (pstate >>> 2) & 3;
  return `${flags} EL${el}${el === 0 ? 't' : pstate & 1 ? 'h' : 't'}`;
}

const SYSREGS: ReadonlyArray<readonly [string, number]> = [
  ['SCTLR_EL1', SLOT.SCTLR_EL1],
  ['TCR_EL1', SLOT.TCR_EL1],
  ['TTBR0_EL1', SLOT.TTBR0_EL1],
  ['TTBR1_EL1', SLOT.TTBR1_EL1],
  ['MAIR_EL1', SLOT.MAIR_EL1],
  ['VBAR_EL1', SLOT.VBAR_EL1],
  ['ELR_EL1', SLOT.ELR_EL1],
  ['SPSR_EL1', SLOT.SPSR_EL1],
  ['ESR_EL1', SLOT.ESR_EL1],
  ['FAR_EL1', SLOT.FAR_EL1],
  ['TPIDR_EL1', SLOT.TPIDR_EL1],
  ['CPACR_EL1', SLOT.CPACR_EL1],
];

/** One vCPU's registers: PC, X0-X30, SP, PSTATE, FPCR/FPSR, both stack pointers and the key EL1 registers. */
export function cpuRegistersText(cpu: Cpu, power: string): string {
  const lines = [`CPU#${cpu.index} (${power})`];
  const cells = [`PC=${hex64(cpu.pcLo, cpu.pcHi)}`];
  for (let n = 0; n <= 30; n++) cells.push(`X${String(n).padStart(2, '0')}=${hex64(cpu.x[2 * n]!, cpu.x[2 * n + 1]!)}`);
  cells.push(`SP=${hex64(cpu.x[62]!, cpu.x[63]!)}`);
  for (let i = 0; i < cells.length; i += 4) lines.push(' ' + cells.slice(i, i + 4).join(' '));
  const pstate = packPstate(cpu);
  lines.push(
    `PSTATE=${(pstate >>> 0).toString(16).padStart(8, '0')} ${pstateText(pstate)}     ` +
      `FPCR=${(cpu.fpcr >>> 0).toString(16).padStart(8, '0')} FPSR=${(cpu.fpsr >>> 0).toString(16).padStart(8, '0')}`,
  );
  const sp = new Int32Array(2);
  const stacks: string[] = [];
  for (const el of [0, 1]) {
    cpu.readSpEl(el, sp);
    stacks.push(`SP_EL${el}=${hex64(sp[0]!, sp[1]!)}`);
  }
  const file = systemOf(cpu).regs.file;
  const sys = SYSREGS.map(([name, slot]) => `${name}=${hex64(file.lo(slot), file.hi(slot))}`);
  const all = [...stacks, ...sys];
  for (let i = 0; i < all.length; i += 3) lines.push(' ' + all.slice(i, i + 3).join(' '));
  return lines.join('\n') + '\n';
}

/** `info pic`: the CPU interfaces, then every interrupt that is enabled, pending, active or has its line high. */
export function gicText(cpus: readonly GicCpuInfo[], irqs: readonly GicIrqInfo[]): string {
  const lines = ['GICv2 CPU interfaces:'];
  for (const c of cpus) {
    lines.push(
      `  cpu${c.cpu}: ctlr=${hex(c.ctlr)} pmr=${hex(c.priorityMask)} bpr=${c.binaryPoint} ` +
        `rpr=${c.runningPriority === 0x100 ? 'idle' : hex(c.runningPriority)} hppi=${c.highestPending} ` +
        `irq=${c.irq ? 1 : 0} fiq=${c.fiq ? 1 : 0}`,
    );
  }
  lines.push('interrupts (enabled, pending, active or line high):');
  lines.push('  irq  kind cpu  enabled pending active line prio group trigger targets');
  for (const r of irqs) {
    if (!r.enabled && !r.pending && !r.active && !r.line) continue;
    lines.push(
      `  ${String(r.irq).padStart(3)}  ${r.kind}  ${r.cpu === null ? '-  ' : String(r.cpu).padEnd(3)}  ` +
        `${yes(r.enabled).padEnd(7)} ${yes(r.pending).padEnd(7)} ${yes(r.active).padEnd(6)} ` +
        `${(r.line ? 'high' : 'low').padEnd(4)} ${hex(r.priority, 2)} ${r.group}     ${r.trigger.padEnd(7)} ${hex(r.targets, 2)}`,
    );
  }
  return lines.join('\n') + '\n';
}

function yes(value: boolean): string {
  return value ? 'yes' : 'no';
}
