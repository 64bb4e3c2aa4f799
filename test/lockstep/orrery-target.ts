/**
 * The Orrery side of a lockstep run: one Cpu with the system layer, RAM at 0x4000_0000, a PL011 reduced to
 * a transmit sink, PSCI on HVC, and the program loaded as `-kernel` would load it. Only what deterministic
 * bare-metal programs touch; the board (machine/virt.ts) is not needed.
 *
 * Entry state follows QEMU's for an ELF kernel (hw/arm/boot.c treats ELF files as non-Linux): PC = entry,
 * EL1h with DAIF masked, every general register 0 (x0 is not the DTB address), no DTB needed by the programs.
 */
import { AddressSpace, MemoryRegion } from '../../src-emu/core/memory';
import { VirtualClock } from '../../src-emu/core/timer';
import { Cpu } from '../../src-emu/cpu/arm64/cpu';
import { installSystem, type CpuSystem } from '../../src-emu/cpu/arm64/sys/install';
import { planBoot } from '../../src-emu/machine/boot';
import { handlePsci, type PsciHost } from '../../src-emu/machine/psci';

export const RAM_BASE = 0x4000_0000;
export const UART_BASE = 0x0900_0000;
/** PL011 FR at reset with nothing received: TXFE | RXFE (what QEMU's model reads while transmitting). */
const PL011_FR_IDLE = 0x90;
const PL011_DR = 0x00;
const PL011_FR = 0x18;

export interface OrreryTarget {
  readonly cpu: Cpu;
  readonly system: CpuSystem;
  /** How many exceptions (synchronous or interrupts) the CPU has taken. */
  readonly exceptionEntries: () => number;
  /** True once the guest called PSCI SYSTEM_OFF (or SYSTEM_RESET). */
  readonly poweredOff: () => boolean;
  readonly serial: () => string;
}

export function createOrreryTarget(kernel: Uint8Array, memoryMiB = 128): OrreryTarget {
  const ramSize = memoryMiB * 1024 * 1024;
  const root = MemoryRegion.container('system', 2 ** 48);
  root.addSubregion(RAM_BASE, MemoryRegion.ram('ram', ramSize));
  let serial = '';
  const uart = MemoryRegion.mmio('pl011-sink', 0x1000, {
    read: (offset) => (offset === PL011_FR ? PL011_FR_IDLE : 0),
    write: (offset, _size, value) => {
      if (offset === PL011_DR) serial += String.fromCharCode(value & 0xff);
    },
    valid: { min: 1, max: 4 },
  });
  root.addSubregion(UART_BASE, uart);
  const bus = new AddressSpace('memory', root);
  const cpu = new Cpu(bus);
  const clock = new VirtualClock({ mode: 'deterministic' });
  const system = installSystem(cpu, {
    clock,
    timerOutputs: { phys: () => undefined, virt: () => undefined },
    affinity: 0,
    crc32: true,
  });

  let entries = 0;
  const exceptions = system.exceptions;
  const enter = exceptions.enter.bind(exceptions);
  exceptions.enter = (c, type, returnLo, returnHi) => {
    entries++;
    enter(c, type, returnLo, returnHi);
  };

  let off = false;
  const host: PsciHost = {
    cpuCount: 1,
    power: (index) => (index === 0 ? 'on' : 'off'),
    powerOn: () => {
      throw new Error('lockstep runs one CPU: PSCI CPU_ON is not supported');
    },
    powerOff: () => undefined,
    suspend: () => undefined,
    systemOff: () => {
      off = true;
    },
    systemReset: () => {
      off = true;
    },
  };
  system.exceptions.hvcHandler = (c) => {
    // Not a PSCI function: QEMU answers NOT_SUPPORTED (-1) in x0.
    if (!handlePsci(host, c.index, c)) {
      c.x[0] = -1;
      c.x[1] = -1;
    }
    return true;
  };

  const plan = planBoot({ kernel, ramBase: RAM_BASE, ramSize });
  if (plan.format !== 'elf') throw new Error(`lockstep expects an ELF program, got ${plan.format}`);
  for (const segment of plan.segments) {
    bus.writeBytes(segment.address, segment.data);
    if (segment.zeroFill > 0) bus.writeBytes(segment.address + segment.data.length, new Uint8Array(segment.zeroFill));
  }
  cpu.setPc(plan.entry >>> 0, Math.floor(plan.entry / 2 ** 32));
  cpu.jumped = 0;
  return { cpu, system, exceptionEntries: () => entries, poweredOff: () => off, serial: () => serial };
}
