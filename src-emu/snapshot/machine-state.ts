/**
 * The whole machine's device state at an instruction boundary: the sections of a VirtMachine in a stable
 * order, and their restore.
 *
 * Order (each a VMState section, see core/vmstate.ts):
 *   1. 'virtual-clock': restored first, so every later postLoad that re-arms a timer or latches a counter
 *      sees the saved virtual time;
 *   2. per vCPU i: 'arm64-cpu' instance i (registers, PSTATE, SIMD&FP) and 'arm64-system' instance i
 *      (system registers, generic timers);
 *   3. 'vcpu-scheduler': each vCPU's power state (PSCI) and WFI sleep, and the current vCPU;
 *   4. devices in device-tree order (depth first, parents before children), each through its
 *      `vmstateEntry(instanceId)`; instance ids count devices of one section name in that order.
 *
 * Capture must happen between scheduler rounds (see `pauseAtRoundBoundary`): then no instruction is half
 * done, no timer is overdue and every vCPU starts its next quantum afresh, exactly as after a restore.
 * Capture also clears each vCPU's exclusive monitor and soft TLB on the running machine: the architecture
 * allows both at any time, and doing it on both sides keeps a continuing run and a restored run identical
 * (the restored vCPU necessarily starts with empty caches and an open monitor).
 *
 * RAM is not part of this stream: the container stores it page by page (ram-pages.ts).
 */
import type { Device } from '../core/object';
import {
  clockEntry,
  entry,
  loadMachine,
  saveMachine,
  u32,
  varArrayOf,
  vmstate,
  type SectionEntry,
} from '../core/vmstate';
import type { Cpu } from '../cpu/arm64/cpu';
import { CPU_CORE_VMSTATE, CpuCoreState } from '../cpu/arm64/vmstate';
import { CPU_SYSTEM_VMSTATE, CpuSystemState } from '../cpu/arm64/sys/vmstate';
import type { CpuPower } from '../machine/psci';
import type { Scheduler } from '../machine/scheduler';
import type { VirtMachine } from '../machine/virt';

const POWER_CODES: readonly CpuPower[] = ['off', 'on', 'pending'];

/** The scheduler's per-vCPU state as a section. */
export class SchedulerState {
  vcpus = 0;
  power: number[] = [];
  sleeping: number[] = [];
  currentCpu = 0;

  constructor(readonly scheduler: Scheduler) {}

  capture(): void {
    const slots = this.scheduler.slots;
    this.vcpus = slots.length;
    this.power = slots.map((slot) => POWER_CODES.indexOf(slot.power));
    this.sleeping = slots.map((slot) => (slot.sleeping ? 1 : 0));
    this.currentCpu = this.scheduler.currentCpu;
  }

  apply(): string | void {
    const slots = this.scheduler.slots;
    if (this.vcpus !== slots.length) return `the stream has ${this.vcpus} vCPUs, this machine has ${slots.length}`;
    slots.forEach((slot, i) => {
      slot.power = POWER_CODES[this.power[i]!]!;
      slot.sleeping = this.sleeping[i] === 1;
    });
    this.scheduler.currentCpu = this.currentCpu;
  }
}

export const SCHEDULER_VMSTATE = vmstate<SchedulerState>('vcpu-scheduler', {
  version: 1,
  fields: [u32('vcpus'), varArrayOf('power', 'u8', 'vcpus'), varArrayOf('sleeping', 'u8', 'vcpus'), u32('currentCpu')],
  validate: (s) => {
    if (s.power?.some((code) => code >= POWER_CODES.length)) return `a vCPU power code is not 0 (off), 1 (on) or 2`;
    if (s.sleeping?.some((flag) => flag > 1)) return 'a vCPU sleep flag is not 0 or 1';
    if (s.currentCpu !== undefined && s.vcpus !== undefined && s.currentCpu >= s.vcpus) {
      return `current vCPU ${s.currentCpu} does not exist`;
    }
  },
  preSave: (s) => s.capture(),
  postLoad: (s) => s.apply(),
});

/** Devices of a tree in order: depth first, a parent before its children, children in insertion order. */
export function devicesInTreeOrder(root: Device): Device[] {
  const out: Device[] = [];
  const visit = (device: Device): void => {
    out.push(device);
    for (const child of device.children()) visit(child);
  };
  visit(root);
  return out;
}

/** Every section of the machine, in the documented order (a fresh list of fresh views each call). */
export function machineSections(machine: VirtMachine): SectionEntry[] {
  const sections: SectionEntry[] = [clockEntry(machine.clock)];
  machine.cpus.forEach((cpu, i) => {
    sections.push(entry(CPU_CORE_VMSTATE, new CpuCoreState(cpu), i));
    sections.push(entry(CPU_SYSTEM_VMSTATE, new CpuSystemState(machine.systems[i]!), i));
  });
  sections.push(entry(SCHEDULER_VMSTATE, new SchedulerState(machine.scheduler)));
  const instances = new Map<string, number>();
  for (const device of devicesInTreeOrder(machine.root)) {
    const probe = device.vmstateEntry(0);
    if (probe === null) continue;
    const instanceId = instances.get(probe.name) ?? 0;
    instances.set(probe.name, instanceId + 1);
    sections.push(instanceId === 0 ? probe : device.vmstateEntry(instanceId)!);
  }
  return sections;
}

/** Forgets what a continuing run and a restored run cannot share: TLBs and exclusive monitors. */
function dropVcpuCaches(cpus: readonly Cpu[]): void {
  for (const cpu of cpus) {
    cpu.monitor.clear();
    cpu.tlbFlush();
  }
}

/** The device state stream of a paused machine. */
export function captureMachineState(machine: VirtMachine): Uint8Array {
  dropVcpuCaches(machine.cpus);
  return saveMachine(machineSections(machine));
}

/**
 * Loads a device state stream, all or nothing (loadMachine): on any error the machine is as it was. The
 * caller restores RAM afterwards and then calls `afterRamRestored`.
 */
export function restoreMachineState(machine: VirtMachine, stream: Uint8Array): void {
  loadMachine(stream, machineSections(machine));
}

/** Caches derived from RAM are dropped after RAM was written behind the CPUs' back. */
export function afterRamRestored(machine: VirtMachine): void {
  dropVcpuCaches(machine.cpus);
  machine.cpus[0]?.codeCache.clear();
  machine.scheduler.clearStop();
  machine.scheduler.wake();
}

/**
 * Ends `machine.run()` at the next scheduler round boundary with `reason`, without cutting any vCPU's
 * quantum short (Scheduler.stopAfterRound). For callbacks that run inside a vCPU's quantum (MMIO, serial
 * output); a timer callback is already at a round boundary and calls `machine.stop` itself. Returns a handle
 * to withdraw the request if the run ended for another reason first.
 */
export function pauseAtRoundBoundary(machine: VirtMachine, reason: string): { del(): void } {
  machine.scheduler.stopAfterRound(reason);
  return { del: () => machine.scheduler.cancelStopAfterRound() };
}
