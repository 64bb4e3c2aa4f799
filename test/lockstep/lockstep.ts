/**
 * Lockstep: runs one bare-metal program on QEMU (gdb stub, single step) and on Orrery's Cpu, compares the
 * registers after every instruction and stops at the first divergence.
 *
 * Compared: x0-x30, SP, PC, PSTATE.{NZCV, DAIF, EL, SPSel}; with `fp`, also v0-v31, FPSR and FPCR after
 * every SIMD&FP instruction (reading them costs 34 requests, so not after the others).
 *
 * Where the two machines legitimately differ the value is taken over from QEMU and noted, never compared:
 * - NZCV at reset (architecturally UNKNOWN; QEMU's reset leaves Z set) and after exception entry (QEMU
 *   clears it, the architecture leaves it unchanged);
 * - MRS of ID registers whose values specs/cpu.md sets differently for Orrery, and of the counters (time).
 *
 * Only for programs without interrupts and timers: QEMU's single step masks interrupts and stops timers,
 * Orrery's does not, and neither can match the other's timing.
 */
import { readFileSync } from 'node:fs';
import type { Cpu } from '../../src-emu/cpu/arm64/cpu';
import { disassemble } from '../../src-emu/cpu/arm64/decoder';
import { objdumpListing, type Listing } from './listing';
import { startQemuGdb, type QemuGdbSession } from './qemu-gdb';
import { createOrreryTarget, type OrreryTarget } from './orrery-target';
import {
  GDB_REG,
  addOrreryFp,
  bytesToHex,
  diffSnapshots,
  setOrreryX,
  snapshotFromGdb,
  snapshotFromOrrery,
  type RegisterDiff,
  type Snapshot,
} from './registers';

export interface LockstepOptions {
  readonly kernel: string;
  /** Give up (outcome 'budget') after this many instructions. */
  readonly maxSteps?: number;
  /** Also compare FP/SIMD registers after SIMD&FP instructions. */
  readonly fp?: boolean;
  readonly memoryMiB?: number;
  /** Instructions of context kept for the report. */
  readonly historyLength?: number;
  /**
   * Keep going after a divergence (up to this many): Orrery's differing registers are set to QEMU's values
   * and the run continues, so one run lists several independent problems. Default 1: stop at the first.
   */
  readonly maxDivergences?: number;
  /** Called after each Orrery step, before comparing (tests of the tool inject faults with it). */
  readonly afterOrreryStep?: (cpu: Cpu, step: number) => void;
}

export interface TraceLine {
  readonly step: number;
  readonly pc: string;
  readonly word: string;
  readonly orrery: string;
  readonly objdump: string;
  readonly symbol: string;
}

export interface Divergence {
  /** 1-based number of the instruction after which the states differ (0: at entry). */
  readonly step: number;
  /** The instruction that was stepped (at entry: the first one). */
  readonly instruction: TraceLine;
  readonly diffs: readonly RegisterDiff[];
  /** Set when one side stopped, failed or threw instead of differing in registers. */
  readonly reason?: string;
  readonly history: readonly TraceLine[];
}

export interface LockstepResult {
  readonly outcome: 'completed' | 'diverged' | 'budget';
  readonly steps: number;
  /** The first divergence. */
  readonly divergence?: Divergence;
  /** Every divergence found (more than one only with maxDivergences > 1). */
  readonly divergences: readonly Divergence[];
  /** Values taken over from QEMU (see the file comment). */
  readonly notes: readonly string[];
  readonly qemuSerial: string;
  readonly orrerySerial: string;
}

/** MRS Xt, <reg> for registers whose value may legitimately differ: (op0, op1, CRn, CRm, op2) -> name. */
const UNCOMPARED_MRS = new Map<number, string>([
  [sysregKey(3, 0, 0, 4, 0), 'ID_AA64PFR0_EL1'],
  [sysregKey(3, 0, 0, 5, 0), 'ID_AA64DFR0_EL1'],
  [sysregKey(3, 0, 0, 6, 0), 'ID_AA64ISAR0_EL1'],
  [sysregKey(3, 0, 0, 7, 0), 'ID_AA64MMFR0_EL1'],
  [sysregKey(3, 3, 14, 0, 1), 'CNTPCT_EL0'],
  [sysregKey(3, 3, 14, 0, 2), 'CNTVCT_EL0'],
]);

function sysregKey(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (((op0 - 2) << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2) >>> 0;
}

/** The register an MRS of an uncompared system register writes, with the register's name; or null. */
export function uncomparedMrs(word: number): { rt: number; name: string } | null {
  if ((word & 0xfff00000) >>> 0 !== 0xd5300000) return null;
  const name = UNCOMPARED_MRS.get((word >>> 5) & 0x7fff);
  return name === undefined ? null : { rt: word & 31, name };
}

/** SIMD&FP data processing (op0 x111) or a load/store with V = 1 (op0 x1x0), or MRS/MSR FPCR/FPSR. */
export function touchesFp(word: number): boolean {
  const op0 = (word >>> 25) & 0xf;
  if ((op0 & 7) === 7) return true;
  if ((op0 & 5) === 4 && ((word >>> 26) & 1) === 1) return true;
  return (word & 0xffdfffc0) >>> 0 === 0xd51b4400; // MSR/MRS FPCR (op2 0) and FPSR (op2 1)
}

function hex(value: number, digits = 8): string {
  return (value >>> 0).toString(16).padStart(digits, '0');
}

class LockstepRun {
  private readonly history: TraceLine[] = [];
  readonly notes: string[] = [];

  constructor(
    private readonly qemu: QemuGdbSession,
    private readonly orrery: OrreryTarget,
    private readonly listing: Listing,
    private readonly options: LockstepOptions,
  ) {}

  async run(): Promise<Omit<LockstepResult, 'qemuSerial' | 'orrerySerial' | 'notes'>> {
    const maxSteps = this.options.maxSteps ?? 1_000_000;
    const found: Divergence[] = [];
    const result = (outcome: LockstepResult['outcome'], steps: number) => ({
      outcome: found.length > 0 ? ('diverged' as const) : outcome,
      steps,
      divergences: found,
      ...(found.length > 0 ? { divergence: found[0] } : {}),
    });
    const entry = await this.compareAtEntry();
    if (entry !== null) {
      found.push(entry);
      return result('diverged', 0);
    }
    for (let step = 1; step <= maxSteps; step++) {
      const line = this.traceLine(step);
      this.history.push(line);
      if (this.history.length > (this.options.historyLength ?? 16)) this.history.shift();
      const divergence = await this.stepBoth(step, line);
      if (divergence === 'done') return result('completed', step);
      if (divergence !== null) {
        found.push(divergence);
        if (found.length >= (this.options.maxDivergences ?? 1) || !this.resync(divergence))
          return result('diverged', step);
      }
    }
    return result('budget', maxSteps);
  }

  /** Takes QEMU's values for the differing registers; false when that cannot make the states equal. */
  private resync(divergence: Divergence): boolean {
    if (divergence.reason !== undefined) return false;
    const cpu = this.orrery.cpu;
    for (const { name, qemu } of divergence.diffs) {
      const x = /^x(\d+)$/.exec(name);
      const v = /^v(\d+)$/.exec(name);
      if (x !== null) setOrreryX(cpu, Number(x[1]), qemu);
      else if (name === 'sp') {
        cpu.x[62] = parseInt(qemu.slice(8), 16) | 0;
        cpu.x[63] = parseInt(qemu.slice(0, 8), 16) | 0;
      } else if (name === 'pc') {
        cpu.pcLo = parseInt(qemu.slice(8), 16) | 0;
        cpu.pcHi = parseInt(qemu.slice(0, 8), 16) | 0;
      } else if (name === 'nzcv') cpu.setNzcv(parseInt(qemu, 2) << 28);
      else if (v !== null) {
        for (let i = 0; i < 4; i++)
          cpu.v32[4 * Number(v[1]) + i] = parseInt(qemu.slice(24 - 8 * i, 32 - 8 * i), 16) | 0;
      } else if (name === 'fpsr') cpu.fpsr = parseInt(qemu, 16);
      else if (name === 'fpcr') cpu.fpcr = parseInt(qemu, 16);
      else return false;
    }
    return true;
  }

  private async compareAtEntry(): Promise<Divergence | null> {
    const qemu = snapshotFromGdb(await this.qemu.gdb.readRegisterBlock());
    const cpu = this.orrery.cpu;
    const nzcv = qemu.get('nzcv')!;
    if (snapshotFromOrrery(cpu).get('nzcv') !== nzcv) {
      cpu.setNzcv(parseInt(nzcv, 2) << 28);
      this.notes.push(`entry: NZCV ${nzcv} taken from QEMU (UNKNOWN at reset)`);
    }
    const diffs = diffSnapshots(qemu, snapshotFromOrrery(cpu));
    return diffs.length === 0 ? null : { step: 0, instruction: this.traceLine(0), diffs, history: [] };
  }

  /** Steps both machines once; null when they agree, 'done' when both powered off. */
  private async stepBoth(step: number, line: TraceLine): Promise<Divergence | 'done' | null> {
    const cpu = this.orrery.cpu;
    const word = parseInt(line.word, 16);
    const entriesBefore = this.orrery.exceptionEntries();
    const stop = await this.qemu.gdb.step();
    let orreryError: string | null = null;
    try {
      cpu.run(1);
      this.options.afterOrreryStep?.(cpu, step);
    } catch (error) {
      orreryError = `Orrery threw: ${(error as Error).stack ?? String(error)}`;
    }
    const orreryOff = this.orrery.poweredOff();
    // After SYSTEM_OFF QEMU may still report the step as a stop before it exits.
    const qemuOff = stop.kind !== 'signal' || (orreryOff && (await this.qemu.waitForExit(5_000)));
    if (orreryError !== null) return this.divergence(step, line, [], orreryError);
    if (qemuOff || orreryOff) {
      if (qemuOff && orreryOff) return 'done';
      const who = qemuOff ? `QEMU stopped (${stop.raw})` : 'Orrery powered off (PSCI SYSTEM_OFF)';
      return this.divergence(step, line, [], `${who} but the other machine did not`);
    }
    const qemu = snapshotFromGdb(await this.qemu.gdb.readRegisterBlock());
    const uncompared = uncomparedMrs(word);
    if (uncompared !== null && uncompared.rt !== 31) {
      const value = qemu.get(`x${uncompared.rt}`)!;
      const own = snapshotFromOrrery(cpu).get(`x${uncompared.rt}`)!;
      if (own !== value) {
        this.notes.push(`step ${step}: ${uncompared.name} = ${value} taken from QEMU (Orrery: ${own})`);
        setOrreryX(cpu, uncompared.rt, value);
      }
    }
    this.syncNzcvAtExceptionEntry(step, qemu, entriesBefore);
    const orrery = snapshotFromOrrery(cpu);
    if (this.options.fp === true && touchesFp(word)) {
      await this.addQemuFp(qemu);
      addOrreryFp(orrery, cpu);
    }
    const diffs = diffSnapshots(qemu, orrery);
    return diffs.length === 0 ? null : this.divergence(step, line, diffs);
  }

  /**
   * QEMU clears NZCV on exception entry (pstate_write of DAIF and the mode only); the ARM ARM's
   * AArch64.TakeException leaves them alone, as Orrery does. Software cannot see the difference (handlers
   * read the interrupted flags from SPSR_EL1), so at an exception entry NZCV is taken from QEMU.
   */
  private syncNzcvAtExceptionEntry(step: number, qemu: Snapshot, entriesBefore: number): void {
    const cpu = this.orrery.cpu;
    if (this.orrery.exceptionEntries() === entriesBefore) return;
    const nzcv = qemu.get('nzcv')!;
    const own = snapshotFromOrrery(cpu).get('nzcv')!;
    if (own === nzcv) return;
    cpu.setNzcv(parseInt(nzcv, 2) << 28);
    this.notes.push(`step ${step}: exception entry, NZCV ${nzcv} taken from QEMU (Orrery kept ${own})`);
  }

  private async addQemuFp(into: Snapshot): Promise<void> {
    const gdb = this.qemu.gdb;
    for (let n = 0; n < 32; n++) into.set(`v${n}`, bytesToHex(await gdb.readRegister(GDB_REG.v0 + n)));
    into.set('fpsr', bytesToHex(await gdb.readRegister(GDB_REG.fpsr)));
    into.set('fpcr', bytesToHex(await gdb.readRegister(GDB_REG.fpcr)));
  }

  private divergence(step: number, instruction: TraceLine, diffs: RegisterDiff[], reason?: string): Divergence {
    return { step, instruction, diffs, history: [...this.history], ...(reason !== undefined ? { reason } : {}) };
  }

  /** The instruction Orrery is about to execute, with both disassemblies. */
  private traceLine(step: number): TraceLine {
    const cpu = this.orrery.cpu;
    const pc = (cpu.pcHi >>> 0) * 2 ** 32 + (cpu.pcLo >>> 0);
    const word = cpu.peekInstruction(cpu.pcLo, cpu.pcHi);
    const known = this.listing.get(pc);
    return {
      step,
      pc: hex(cpu.pcHi) + hex(cpu.pcLo),
      word: word === null ? '????????' : hex(word),
      orrery: word === null ? '(no instruction: fetch fault)' : disassemble(word, cpu.pcLo, cpu.pcHi),
      objdump: known?.text ?? '(outside the program)',
      symbol: known?.symbol ?? '?',
    };
  }
}

/** Runs `options.kernel` on both machines in lockstep. Needs qemu-system-aarch64 and aarch64 objdump. */
export async function runLockstep(options: LockstepOptions): Promise<LockstepResult> {
  const kernel = new Uint8Array(readFileSync(options.kernel));
  const listing = objdumpListing(options.kernel);
  const orrery = createOrreryTarget(kernel, options.memoryMiB);
  const qemu = await startQemuGdb({ kernel: options.kernel, memoryMiB: options.memoryMiB });
  try {
    const run = new LockstepRun(qemu, orrery, listing, options);
    const result = await run.run();
    return { ...result, notes: run.notes, qemuSerial: qemu.serial(), orrerySerial: orrery.serial() };
  } finally {
    await qemu.close();
  }
}

function traceText(line: TraceLine): string {
  return (
    `#${line.step} pc=0x${line.pc} <${line.symbol}> ${line.word}  orrery: ${line.orrery.replace('\t', ' ')}` +
    `  |  objdump: ${line.objdump.replace('\t', ' ')}`
  );
}

/** Human-readable result, as `run.ts` prints it. */
export function formatResult(result: LockstepResult): string {
  const lines: string[] = [];
  if (result.outcome === 'completed') lines.push(`lockstep: no divergence in ${result.steps} instructions`);
  else if (result.outcome === 'budget')
    lines.push(`lockstep: no divergence, stopped at the ${result.steps}-step budget`);
  else {
    const count = result.divergences.length;
    lines.push(`lockstep: ${count} divergence${count === 1 ? '' : 's'}, stopped after ${result.steps} instructions`);
  }
  for (const d of result.divergences) {
    lines.push(`lockstep: DIVERGENCE after instruction ${d.step}${d.step === 0 ? ' (at entry)' : ''}`);
    lines.push(`  instruction: ${traceText(d.instruction)}`);
    if (d.reason !== undefined) lines.push(`  ${d.reason}`);
    for (const diff of d.diffs) lines.push(`  ${diff.name.padEnd(6)} qemu=${diff.qemu}  orrery=${diff.orrery}`);
    if (d.history.length > 1) {
      lines.push('  last instructions:');
      for (const line of d.history) lines.push(`    ${traceText(line)}`);
    }
  }
  for (const note of result.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}
