/**
 * Read-only views of a running machine for the app's inspector: device tree, one device's registers and
 * VMState, memory map, vCPU registers, GIC interrupts, guest memory, disassembly, trace records and
 * performance counters, as plain data that can cross the worker boundary. Reading never changes guest state.
 */
import { performance } from 'node:perf_hooks';
import type { Device } from '../core/object';
import { qtree } from '../core/object';
import { describe as describeState } from '../core/vmstate';
import type { VirtMachine } from '../machine/virt';
import { HPET_ROUTES, VIRT_IRQ } from '../machine/virt-map';
import type { Cpu } from '../cpu/arm64/cpu';
import type { DeviceDetail, InspectorResult, Interrupt, PerformanceSample } from '../../src-shared/api/inspector';
import type { CpuRegisters, DeviceNode, ParsedInspectorQuery } from './protocol';
import { deviceRegisters, hasRegisterView } from './device-registers';
import { disassembleAroundPc, readMemoryRows } from './guest-views';
import type { TraceFeed } from './trace-feed';

/** What the inspector reads besides the machine itself. */
export interface InspectorContext {
  readonly trace: TraceFeed;
}

const GIC_SPI_BASE = 32;

export function inspect(machine: VirtMachine, query: ParsedInspectorQuery, context: InspectorContext): InspectorResult {
  switch (query.kind) {
    case 'devices':
      return { kind: 'devices', devices: collectDevices(machine.root), qtree: qtree(machine.root) };
    case 'device':
      return { kind: 'device', device: deviceDetail(machine.root, query.path) };
    case 'memory-map':
      return { kind: 'memory-map', entries: machine.addressSpace.flatView().map((entry) => ({ ...entry })) };
    case 'registers':
      return { kind: 'registers', cpus: machine.cpus.map((cpu, i) => cpuRegisters(machine, cpu, i)) };
    case 'interrupts':
      return { kind: 'interrupts', interrupts: interrupts(machine) };
    case 'memory':
      return readMemoryRows(machine, query.space, query.address, query.length, query.cpu);
    case 'disassembly':
      return disassembleAroundPc(machine, query.cpu, query.before, query.after);
    case 'performance':
      return { kind: 'performance', sample: performanceSample(machine) };
    case 'trace-events':
      return context.trace.events();
    case 'trace-records':
      return context.trace.drain();
    default: {
      const never: never = query;
      throw new Error(`unknown inspector query ${JSON.stringify(never)}`);
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
      vmstate: info.vmstate,
      hasRegisters: hasRegisterView(device),
    });
    for (const child of device.children()) visit(child);
  };
  visit(root);
  return out;
}

function findDevice(root: Device, path: string): Device | null {
  if (root.path === path) return root;
  for (const child of root.children()) {
    const found = findDevice(child, path);
    if (found) return found;
  }
  return null;
}

function deviceDetail(root: Device, path: string): DeviceDetail {
  const device = findDevice(root, path);
  if (device === null) throw new Error(`there is no device '${path}' in this machine`);
  const info = device.describe();
  const groups = deviceRegisters(device);
  const section = device.vmstateEntry(0);
  return {
    path: info.path,
    type: info.type,
    props: info.props.map((p) => ({ name: p.name, value: String(p.value), default: String(p.default), doc: p.doc })),
    registerGroups: groups ?? [],
    ...(groups === null ? { registerNote: `${info.type} has no register view yet` } : {}),
    vmstate:
      section === null
        ? null
        : {
            name: section.desc.name,
            version: section.desc.version,
            fields: describeState(section.desc, section.target),
          },
  };
}

/** Which device drives each SPI on the virt board (for the interrupt view). */
function spiSources(machine: VirtMachine): Map<number, string> {
  const sources = new Map<number, string>([
    [GIC_SPI_BASE + VIRT_IRQ.uart, `${machine.uart.path} (UARTINTR)`],
    [GIC_SPI_BASE + VIRT_IRQ.rtc, `${machine.rtc.path}`],
  ]);
  for (const route of HPET_ROUTES) sources.set(GIC_SPI_BASE + route.spi, `${machine.hpet.path} output ${route.output}`);
  return sources;
}

const PPI_SOURCES: Record<number, string> = {
  25: 'GIC maintenance',
  26: 'hypervisor timer',
  27: 'virtual timer',
  29: 'secure physical timer',
  30: 'physical timer',
};

function interrupts(machine: VirtMachine): Interrupt[] {
  const spis = spiSources(machine);
  return machine.gic.interrupts().map((row) => {
    const source = row.kind === 'spi' ? spis.get(row.irq) : row.kind === 'ppi' ? PPI_SOURCES[row.irq] : undefined;
    return {
      irq: row.irq,
      kind: row.kind,
      cpu: row.cpu,
      enabled: row.enabled,
      pending: row.pending,
      active: row.active,
      priority: row.priority,
      trigger: row.trigger,
      line: row.line,
      ...(source === undefined ? {} : { source }),
    };
  });
}

function performanceSample(machine: VirtMachine): PerformanceSample {
  const elu = performance.eventLoopUtilization();
  const usage = process.cpuUsage();
  return {
    instructions: machine.cpus.reduce((sum, cpu) => sum + cpu.instructionCount, 0),
    virtualNs: machine.clock.now(),
    hostMs: performance.now(),
    activeMs: elu.active,
    idleMs: elu.idle,
    processCpuMicros: usage.user + usage.system,
    paused: machine.scheduler.isPaused,
  };
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
    instructions: cpu.instructionCount,
  };
}
