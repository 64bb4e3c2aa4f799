/**
 * Helpers for the snapshot tests: deterministic virt machines running the bare-metal test programs,
 * stopping at chosen virtual times, and comparing two machines' complete state.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RingBackend } from '../core/chardev';
import { Timer } from '../core/timer';
import { VirtMachine, type VirtConfig, type VirtDrive } from '../machine/virt';
import { diffSectionViews, type SectionDiff, type SectionView } from './diff';
import { captureMachineState, machineSections } from './machine-state';
import { machineConfigRecord } from './machine-config';
import type { MachineConfigRecord } from './metadata';
import { changedPages } from './ram-pages';
import { decodeMachine, describeDecoded } from '../core/vmstate';

export const GUEST_BIN = join(import.meta.dirname, '..', '..', 'test', 'guest', 'bin');

export interface TestMachine {
  readonly machine: VirtMachine;
  readonly serial: RingBackend;
  readonly config: VirtConfig;
  readonly record: MachineConfigRecord;
}

export interface TestMachineOptions {
  readonly memoryMiB?: number;
  readonly cpus?: number;
  readonly initrd?: string;
  readonly append?: string;
  readonly icountShift?: number;
  /** virtio-blk disks (VirtConfig.drives). */
  readonly drives?: readonly VirtDrive[];
}

/** A deterministic machine booting `kernelPath` (seeded DTB, no reboot). */
export function testMachine(kernelPath: string, options: TestMachineOptions = {}): TestMachine {
  const serial = new RingBackend(1 << 22);
  const kernel = new Uint8Array(readFileSync(kernelPath));
  const initrd = options.initrd ? new Uint8Array(readFileSync(options.initrd)) : undefined;
  const config: VirtConfig = {
    kernel,
    ...(initrd ? { initrd } : {}),
    ...(options.append !== undefined ? { append: options.append } : {}),
    memoryMiB: options.memoryMiB ?? 128,
    cpus: options.cpus ?? 1,
    serial,
    noReboot: true,
    seed: new Uint32Array(10),
    clockMode: 'deterministic',
    icountShift: options.icountShift ?? 3,
    ...(options.drives ? { drives: options.drives } : {}),
  };
  const machine = new VirtMachine(config);
  const record = machineConfigRecord(machine, config, {
    kernel: { path: kernelPath, bytes: kernel },
    ...(initrd && options.initrd ? { initrd: { path: options.initrd, bytes: initrd } } : {}),
  });
  return { machine, serial, config, record };
}

export const programMachine = (name: string, cpus = 1, memoryMiB = 128): TestMachine =>
  testMachine(join(GUEST_BIN, `${name}.elf`), { cpus, memoryMiB });

/**
 * Arms a scheduling event at each virtual time still ahead: it pauses the run at the times in `pauseAt` and
 * does nothing at the others. A reference run arms the same events so that every run cuts its quanta at
 * the same instructions (in deterministic mode a due timer ends a quantum).
 */
export function armEvents(machine: VirtMachine, times: readonly number[], pauseAt: readonly number[] = []): void {
  for (const ns of times) {
    if (ns <= machine.clock.now()) continue;
    // Timers fire between scheduler rounds, so stopping from one ends the run at that round boundary.
    const event = new Timer(machine.clock, () => {
      if (pauseAt.includes(ns)) machine.stop(`event@${ns}`);
    });
    event.modNs(ns);
  }
}

/** Runs until the machine stops; clears a pause so the next call continues. */
export async function runToStop(machine: VirtMachine): Promise<string> {
  const reason = await machine.run();
  machine.scheduler.clearStop();
  return reason;
}

/** Decoded device sections of a live machine (as `snapshot diff` shows them). */
export function liveSectionViews(machine: VirtMachine): SectionView[] {
  const entries = machineSections(machine);
  const stream = captureMachineState(machine);
  return decodeMachine(stream, entries).map((s) => ({
    section: s.entry.name,
    instanceId: s.entry.instanceId,
    version: s.version,
    fields: describeDecoded(s.entry.desc, s.values),
  }));
}

export interface StateDifference {
  readonly sections: readonly SectionDiff[];
  readonly ramPages: readonly number[];
  readonly armedTimers: readonly [number, number];
  readonly nextDeadline: readonly [number, number];
}

/** Everything that differs between two machines: device fields, RAM pages, and the clocks' timer queues. */
export function stateDifference(a: VirtMachine, b: VirtMachine): StateDifference {
  return {
    sections: diffSectionViews(liveSectionViews(a), liveSectionViews(b)),
    ramPages: changedPages(a.ram.ram!.bytes, b.ram.ram!.bytes),
    armedTimers: [a.clock.armedCount, b.clock.armedCount],
    nextDeadline: [a.clock.nextDeadline(), b.clock.nextDeadline()],
  };
}

/** What `stateDifference` reports for a machine compared with one in the same state as `machine`. */
export function noDifference(machine: VirtMachine): StateDifference {
  const { armedCount } = machine.clock;
  const deadline = machine.clock.nextDeadline();
  return { sections: [], ramPages: [], armedTimers: [armedCount, armedCount], nextDeadline: [deadline, deadline] };
}
