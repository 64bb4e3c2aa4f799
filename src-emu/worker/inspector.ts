/**
 * Read-only views of a running machine for the app's inspector: device tree, memory map, vCPU registers and
 * GIC interrupts, as plain data that can cross the worker boundary. Reading never changes guest state.
 */
import type { Device } from '../core/object';
import { qtree } from '../core/object';
import type { VirtMachine } from '../machine/virt';
import type { Cpu } from '../cpu/arm64/cpu';
import type { CpuRegisters, DeviceNode, InspectorQueryKind, InspectorResult } from './protocol';

export function inspect(machine: VirtMachine, kind: InspectorQueryKind): InspectorResult {
  switch (kind) {
    case 'devices':
      return { kind, devices: collectDevices(machine.root), qtree: qtree(machine.root) };
    case 'memory-map':
      return { kind, entries: machine.addressSpace.flatView().map((entry) => ({ ...entry })) };
    case 'registers':
      return { kind, cpus: machine.cpus.map((cpu, i) => cpuRegisters(machine, cpu, i)) };
    case 'interrupts':
      return {
        kind,
        interrupts: machine.gic.interrupts().map((row) => ({
          irq: row.irq,
          kind: row.kind,
          cpu: row.cpu,
          enabled: row.enabled,
          pending: row.pending,
          active: row.active,
          priority: row.priority,
          trigger: row.trigger,
          line: row.line,
        })),
      };
    default: {
      const never: never = kind;
      throw new Error(`unknown inspector query ${String(never)}`);
    }
  }
}

function collectDevices(root: Device): DeviceNode[] {
  const out: DeviceNode[] = [];
  const visit = (device: Device): void => {
    const info = device.describe();
    out.push({
      path: info.path,
      type: info.type,
      props: info.props.map((p) => ({ name: p.name, value: String(p.value) })),
      mmio: info.mmio.map((m) => ({ name: m.name, size: m.size, mappedAt: m.mappedAt?.offset ?? null })),
      irqs: info.irqs.map((line) => ({ path: line.path, level: line.level })),
    });
    for (const child of device.children()) visit(child);
  };
  visit(root);
  return out;
}

function hex64(lo: number, hi: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

function flags(bits: number, names: string): string {
  return [...names].map((name, i) => ((bits >>> (names.length - 1 - i)) & 1 ? name : '-')).join('');
}

function cpuRegisters(machine: VirtMachine, cpu: Cpu, index: number): CpuRegisters {
  const slot = machine.scheduler.slots[index]!;
  const pair = new Int32Array(2);
  const sp = (el: number): string => {
    cpu.readSpEl(el, pair);
    return hex64(pair[0]!, pair[1]!);
  };
  return {
    index,
    power: slot.power,
    sleeping: slot.sleeping,
    pc: hex64(cpu.pcLo, cpu.pcHi),
    x: Array.from({ length: 31 }, (_, n) => hex64(cpu.x[2 * n]!, cpu.x[2 * n + 1]!)),
    spEl0: sp(0),
    spEl1: sp(1),
    nzcv: flags(cpu.getNzcv() >>> 28, 'NZCV'),
    daif: flags(cpu.daif, 'DAIF'),
    el: cpu.el,
    spsel: cpu.spsel,
  };
}
