/** The virt board as a guest sees it: devices at QEMU's addresses, the boot protocol, virtio slots. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RingBackend } from '../core/chardev';
import { DEMO_GUEST } from '../cli/run';
import { decodeFdt, findNode } from './fdt';
import { VirtConfigError, VirtMachine } from './virt';
import { VIRT_MAP } from './virt-map';
import { sizeOnlyDisk } from './size-only-disk';

const demo = new Uint8Array(readFileSync(DEMO_GUEST));

describe('virt board', () => {
  it('answers at QEMU virt addresses with the devices the DTB names', () => {
    const m = new VirtMachine({ memoryMiB: 64, cpus: 2, kernel: demo, serial: new RingBackend() });
    const id = (base: number) => [0xfe0, 0xfe4, 0xfe8, 0xfec].map((o) => m.addressSpace.read(base + o, 4));
    expect(id(VIRT_MAP.uart.base)).toEqual([0x11, 0x10, 0x14, 0x00]);
    expect(id(VIRT_MAP.rtc.base)).toEqual([0x31, 0x10, 0x14, 0x00]);
    // GICD_TYPER: ITLinesNumber 8 (288 interrupts), CPUNumber 1 (two CPUs).
    expect(m.addressSpace.read(VIRT_MAP.gicDist.base + 4, 4) & 0xff).toBe(0x28);
    // HPET GCAP_ID: vendor 0x8086, 3 timers, 64-bit, legacy capable, revision 1.
    expect(m.addressSpace.read(VIRT_MAP.hpet.base, 4)).toBe(0x8086a201);
    expect(m.addressSpace.read(0x0a00_0000, 4)).toBe(0x74726976); // 'virt'
  });

  it('boots an ELF bare-metal (DTB at the base of RAM) and keeps the other CPUs off', () => {
    const m = new VirtMachine({ memoryMiB: 64, cpus: 2, kernel: demo, serial: new RingBackend() });
    expect(m.bootPlan.linuxProtocol).toBe(false);
    const ram = m.ram.ram!.bytes;
    const dtb = decodeFdt(ram.subarray(m.bootPlan.dtbAddress - VIRT_MAP.ram.base)).root;
    expect(findNode(dtb, '/cpus/cpu@1')).toBeDefined();
    expect(m.cpus[0]!.x[0]).toBe(0);
    expect(m.power(0)).toBe('on');
    expect(m.power(1)).toBe('off');
  });

  it('fills virtio slots from the top, as QEMU does, and shows the disk size', () => {
    const m = new VirtMachine({
      memoryMiB: 64,
      cpus: 1,
      kernel: demo,
      drives: [{ backend: sizeOnlyDisk(8 << 20) }, { backend: sizeOnlyDisk(1 << 20), readOnly: true }],
      rng: true,
    });
    const slot = (n: number) => VIRT_MAP.virtio.base + n * VIRT_MAP.virtio.size;
    const deviceId = (n: number) => m.addressSpace.read(slot(n) + 0x008, 4);
    expect([deviceId(31), deviceId(30), deviceId(29), deviceId(28)]).toEqual([2, 2, 4, 0]);
    expect(m.addressSpace.read(slot(31) + 0x100, 4)).toBe((8 << 20) / 512); // capacity in sectors
    expect(m.addressSpace.read(slot(30) + 0x100, 4)).toBe((1 << 20) / 512);
  });

  it('refuses impossible configurations with a clear error', () => {
    expect(() => new VirtMachine({ memoryMiB: 8, cpus: 1, kernel: demo })).toThrow(VirtConfigError);
    expect(() => new VirtMachine({ memoryMiB: 64, cpus: 9, kernel: demo })).toThrow(/1 to 8 CPUs/);
    const many = Array.from({ length: 33 }, () => ({ backend: sizeOnlyDisk(4096) }));
    expect(() => new VirtMachine({ memoryMiB: 64, cpus: 1, kernel: demo, drives: many })).toThrow(/virtio-mmio slots/);
  });
});
