/**
 * Helpers for a board that offers a row of virtio-mmio slots (QEMU virt: 32 at 0x0a00_0000, 0x200 apart,
 * SPI 16 + n). The board hands in where to map them and what their lines drive; the transports never
 * see the board.
 */
import type { IrqSink } from '../../core/irq';
import type { AddressSpace, MemoryRegion } from '../../core/memory';
import type { Device, DeviceContext, DeviceInit } from '../../core/object';
import { entry } from '../../core/vmstate';
import type { SectionEntry, VMStateDescription } from '../../core/vmstate';
import type { VirtioDevice } from './device';
import { VirtioMmio } from './mmio';

export interface VirtioMmioSlotOptions {
  /** The device-tree node the transports join (e.g. the board's /machine container). */
  readonly parent: Device;
  readonly context: DeviceContext;
  /** The container the register windows are mapped into (system memory). */
  readonly container: MemoryRegion;
  /** Guest memory the rings and buffers live in. */
  readonly dma: AddressSpace;
  readonly base: number;
  /** Distance between windows (at least 0x200). */
  readonly stride: number;
  readonly count: number;
  /** Where transport n's interrupt goes (virt: GIC SPI 16 + n). */
  readonly irq: (index: number) => IrqSink;
  /** Properties for every transport, e.g. { forceLegacy: true }. */
  readonly props?: Readonly<Record<string, unknown>>;
}

/** Creates, maps and wires `count` transports named virtio-mmio[n] (not realized: the board realizes). */
export function createVirtioMmioTransports(options: VirtioMmioSlotOptions): VirtioMmio[] {
  return Array.from({ length: options.count }, (_, n) => {
    const transport = new VirtioMmio({
      path: `${options.parent.path}/virtio-mmio[${n}]`,
      context: options.context,
      props: options.props ?? {},
    });
    options.parent.addChild(transport);
    transport.connectDma(options.dma);
    options.container.addSubregion(options.base + n * options.stride, transport.mmio);
    transport.irq.connect(options.irq(n));
    return transport;
  });
}

/**
 * The slot QEMU's virt gives the next `-device virtio-*-device`: the free transport with the highest
 * address (the first device goes to the last slot, 0x0a00_3e00 on SPI 47), or null when all are taken.
 */
export function nextFreeTransport(transports: readonly VirtioMmio[]): VirtioMmio | null {
  for (let n = transports.length - 1; n >= 0; n--) if (transports[n].device === null) return transports[n];
  return null;
}

/** Creates a virtio device of class `cls` named `name` inside `transport` and plugs it in. */
export function plugVirtioDevice<D extends VirtioDevice>(
  transport: VirtioMmio,
  cls: new (init: DeviceInit) => D,
  name: string,
  props: Readonly<Record<string, unknown>> = {},
): D {
  const device = new cls({ path: transport.childPath(name), context: transport.context, props });
  transport.plug(device);
  return device;
}

/**
 * Snapshot sections for the transports and their devices: transport n is instance n of 'virtio-mmio',
 * and its device is instance n of its own type's section.
 */
export function virtioSnapshotEntries(transports: readonly VirtioMmio[]): SectionEntry[] {
  const entries: SectionEntry[] = [];
  transports.forEach((transport, n) => {
    entries.push(entry(VirtioMmio.vmstate, transport, n));
    const device = transport.device;
    const desc = device?.deviceClass.vmstate as VMStateDescription<VirtioDevice> | undefined;
    if (device !== null && desc !== undefined) entries.push(entry(desc, device, n));
  });
  return entries;
}
