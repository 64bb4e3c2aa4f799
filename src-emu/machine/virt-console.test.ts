/**
 * The virt board's virtio-console as Linux's virtio_mmio and virtio_console drivers find it: in the slot
 * after the disks (QEMU fills slots from the top), multiport, console ports first, data both ways.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RingBackend } from '../core/chardev';
import { logger } from '../core/log';
import { AddressSpace, MemoryRegion } from '../core/memory';
import { DEMO_GUEST } from '../cli/run';
import { VirtioConsoleControl as C, VirtioConsoleFeature } from '../hw/virtio/console';
import type { VirtioDevice } from '../hw/virtio/device';
import {
  driverOk,
  GuestHeap,
  MMIO_BASE,
  negotiate,
  RAM_BASE,
  readable,
  reg,
  setupQueue,
  writable,
  type GuestQueue,
  type Rig,
} from '../hw/virtio/test-driver';
import { VirtConfigError, VirtMachine } from './virt';
import { VIRT_MAP } from './virt-map';
import { sizeOnlyDisk } from './size-only-disk';

afterEach(() => logger.setSink(null));

const demo = new Uint8Array(readFileSync(DEMO_GUEST));
const slotBase = (n: number) => VIRT_MAP.virtio.base + n * VIRT_MAP.virtio.size;

/**
 * The guest driver's view of one slot: the test driver programs a transport at MMIO_BASE with RAM at
 * RAM_BASE, so both are aliased there from the machine's own address space.
 */
function slotRig(m: VirtMachine, slot: number): Rig<VirtioDevice | null> {
  const view = MemoryRegion.container('driver-view', 2 ** 40);
  view.addSubregion(RAM_BASE, MemoryRegion.alias('ram', m.ram, 0));
  view.addSubregion(MMIO_BASE, MemoryRegion.alias('slot', m.systemMemory, slotBase(slot), VIRT_MAP.virtio.size));
  return {
    clock: m.clock,
    ram: m.ram,
    bus: new AddressSpace('driver-view', view),
    transport: m.virtio[slot]!,
    device: m.virtio[slot]!.device,
    irqLevels: [],
    trapped: [],
    errors: [],
  };
}

function control(queue: GuestQueue, heap: GuestHeap, id: number, event: number, value: number): void {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, id, true);
  view.setUint16(4, event, true);
  view.setUint16(6, value, true);
  queue.add([readable(heap.put(bytes), 8)]);
  queue.kick();
}

describe('virt board with a virtio console', () => {
  it('plugs the console after the disks, multiport with 31 ports like QEMU, and carries data', () => {
    const hvc0 = new RingBackend();
    const agent = new RingBackend();
    const m = new VirtMachine({
      memoryMiB: 64,
      cpus: 1,
      kernel: demo,
      drives: [{ backend: sizeOnlyDisk(1 << 20) }],
      // A named port given first still follows the console ports (the device's first ports are consoles).
      consoles: [{ backend: agent, name: 'org.example.agent', console: false }, { backend: hvc0 }],
      rng: true,
    });
    const deviceId = (n: number) => m.addressSpace.read(slotBase(n) + 0x008, 4);
    // virtio device ids: 2 block, 3 console, 4 entropy.
    expect([deviceId(31), deviceId(30), deviceId(29), deviceId(28)]).toEqual([2, 3, 4, 0]);
    expect(m.virtioConsole).toBe(m.virtio[30]!.device);

    const rig = slotRig(m, 30);
    expect(rig.bus.read(MMIO_BASE + 0x104, 4)).toBe(31); // max_nr_ports, QEMU's default
    const [features] = negotiate(rig, [VirtioConsoleFeature.MULTIPORT]);
    expect(features & (1 << VirtioConsoleFeature.MULTIPORT)).not.toBe(0);
    expect(reg(rig, 'STATUS') & 8).toBe(8); // FEATURES_OK
    const heap = new GuestHeap(rig.bus, RAM_BASE + 0x20_0000);
    const queues = [0, 1, 2, 3, 4, 5].map((i) => setupQueue(rig, heap, i, 16));
    driverOk(rig);

    // Control receive buffers, then DEVICE_READY: the device adds both ports.
    const controlIn = new Map<number, number>();
    for (let i = 0; i < 8; i++) {
      const at = heap.alloc(64);
      controlIn.set(queues[2]!.add([writable(at, 64)]), at);
    }
    queues[2]!.kick();
    const messages = (): string[] =>
      queues[2]!.collect().map((used) => {
        const bytes = heap.get(controlIn.get(used.id)!, used.len);
        const view = new DataView(bytes.buffer);
        const name = used.len > 8 ? ` ${new TextDecoder().decode(bytes.subarray(8))}` : '';
        return `${view.getUint32(0, true)}:${view.getUint16(4, true)}=${view.getUint16(6, true)}${name}`;
      });
    control(queues[3]!, heap, 0xffffffff, C.DEVICE_READY, 1);
    expect(messages()).toEqual([`0:${C.DEVICE_ADD}=1`, `1:${C.DEVICE_ADD}=1`]);
    control(queues[3]!, heap, 0, C.PORT_READY, 1);
    control(queues[3]!, heap, 1, C.PORT_READY, 1);
    expect(messages()).toEqual([
      `0:${C.CONSOLE_PORT}=1`,
      `0:${C.PORT_OPEN}=1`,
      `1:${C.PORT_NAME}=1 org.example.agent`,
      `1:${C.PORT_OPEN}=1`,
    ]);

    // hvc0 output reaches the console's backend, not the named port's.
    queues[1]!.add([readable(heap.put(new TextEncoder().encode('hello hvc0\n')), 11)]);
    queues[1]!.kick();
    expect(hvc0.outputText()).toBe('hello hvc0\n');
    expect(agent.outputText()).toBe('');

    // Input to the named port (receive queue 4) once the guest opened it.
    control(queues[3]!, heap, 1, C.PORT_OPEN, 1);
    const buffer = heap.alloc(32);
    const head = queues[4]!.add([writable(buffer, 32)]);
    queues[4]!.kick();
    agent.push('ping');
    expect(queues[4]!.collect()).toEqual([{ id: head, len: 4 }]);
    expect(new TextDecoder().decode(heap.get(buffer, 4))).toBe('ping');
  });

  it('has no console device unless ports are asked for', () => {
    const m = new VirtMachine({ memoryMiB: 64, cpus: 1, kernel: demo, consoles: [] });
    expect(m.virtioConsole).toBeNull();
    expect(m.addressSpace.read(slotBase(31) + 0x008, 4)).toBe(0);
  });

  it('refuses port names the device cannot carry', () => {
    const consoles = [{ backend: new RingBackend(), name: 'a,b' }];
    expect(() => new VirtMachine({ memoryMiB: 64, cpus: 1, kernel: demo, consoles })).toThrow(VirtConfigError);
  });
});
