/**
 * Wires the system layer into a Cpu: system registers, generic timer, stage 1 MMU with its TLB policy,
 * and the exception model. The board calls `installSystem` once per vCPU.
 */
import type { VirtualClock } from '../../../core/timer';
import type { Cpu } from '../cpu';
import { Stage1Mmu } from '../mmu/stage1-mmu';
import { TlbPolicy } from '../mmu/tlb-policy';
import { Stage1Walker } from '../mmu/walk';
import { TranslationResult } from '../mmu/types';
import { GenericTimer } from '../timer/generic-timer';
import type { TimerOutput } from '../timer/generic-timer';
import { ExceptionUnit } from './exceptions';
import { PA_RANGE } from './id-regs';
import { SystemRegisters } from './sysregs';

export interface SystemOptions {
  readonly clock: VirtualClock;
  /** Generic timer outputs (virt: physical -> PPI 30, virtual -> PPI 27). */
  readonly timerOutputs: { readonly phys: TimerOutput; readonly virt: TimerOutput };
  /** MPIDR_EL1 affinity fields (Aff2 << 16 | Aff1 << 8 | Aff0). */
  readonly affinity: number;
  /** Advertise CRC32 in ID_AA64ISAR0_EL1 (the integer decoder implements it). */
  readonly crc32: boolean;
}

/** Everything sys/, mmu/ and timer/ keep per vCPU. */
export class CpuSystem {
  readonly timer: GenericTimer;
  readonly tlbPolicy: TlbPolicy;
  readonly regs: SystemRegisters;
  readonly exceptions: ExceptionUnit;
  readonly walker: Stage1Walker;
  readonly mmu: Stage1Mmu;
  /** Scratch for AT and the debugger: never kept across calls. */
  readonly scratch = new TranslationResult();
  readonly pair = new Int32Array(2);
  /** The WFE event register (set by SEV/SEVL, consumed by WFE). */
  eventRegister = 0;
  /** Systems SEV reaches: the board sets every vCPU's (default: this one only). */
  peers: readonly CpuSystem[] = [this];

  constructor(
    readonly cpu: Cpu,
    options: SystemOptions,
  ) {
    this.timer = new GenericTimer(options.clock, options.timerOutputs);
    this.tlbPolicy = new TlbPolicy(cpu);
    this.regs = new SystemRegisters(cpu, this.timer, this.tlbPolicy, options);
    this.exceptions = new ExceptionUnit(this.regs);
    this.walker = new Stage1Walker(this.regs.file, cpu.bus, PA_RANGE);
    this.mmu = new Stage1Mmu(this.walker, this.tlbPolicy);
  }

  /** Systems that receive SEV events. */
  eventDomain(): readonly CpuSystem[] {
    return this.peers;
  }

  /** CPU reset of the system layer: registers, timers, TLB. */
  reset(): void {
    this.regs.reset();
    this.timer.reset();
  }
}

const systems = new WeakMap<Cpu, CpuSystem>();

/** Creates the system layer for `cpu` and installs its MMU and exception model. */
export function installSystem(cpu: Cpu, options: SystemOptions): CpuSystem {
  const system = new CpuSystem(cpu, options);
  cpu.mmu = system.mmu;
  cpu.exceptions = system.exceptions;
  systems.set(cpu, system);
  return system;
}

/**
 * The system layer of a Cpu, for instruction closures (MRS/MSR, AT, TLBI, ERET). A Cpu without one is a
 * configuration error.
 */
export function systemOf(cpu: Cpu): CpuSystem {
  const system = systems.get(cpu);
  if (system === undefined) throw new Error(`cpu${cpu.index}: installSystem() was not called`);
  return system;
}

/**
 * Makes the vCPUs of one machine a single inner shareable domain: TLBI ...IS reaches every TLB and SEV
 * every event register. The board calls it once with all vCPUs' systems.
 */
export function linkSystems(systems: readonly CpuSystem[]): void {
  const policies = systems.map((s) => s.tlbPolicy);
  for (const s of systems) {
    s.tlbPolicy.domain = policies;
    s.peers = systems;
  }
}
