/**
 * Orrery's "virt" board: QEMU's -M virt memory map, interrupt wiring, device tree and boot protocol
 * (DESIGN.md section 4), so kernels and programs that boot on `qemu-system-aarch64 -M virt` boot here.
 *
 * This file is the wiring list: create devices, map their regions, connect their lines. The memory map and
 * interrupt numbers live in virt-map.ts, the device tree in virt-dtb.ts, kernel loading in boot.ts, PSCI in
 * psci.ts and the vCPU round-robin in scheduler.ts.
 */
import type { CharBackend } from '../core/chardev';
import { NullBackend } from '../core/chardev';
import { AddressSpace, MemoryRegion } from '../core/memory';
import { DeviceContainer, reset as resetDevices, type Device, type DeviceContext } from '../core/object';
import { VirtualClock, type ClockMode } from '../core/timer';
import { Cpu } from '../cpu/arm64/cpu';
import { CodeCache } from '../cpu/arm64/code-cache';
import { FIQ_LINE, IRQ_LINE, StopReason } from '../cpu/arm64/state';
import { installSystem, linkSystems, type CpuSystem } from '../cpu/arm64/sys/install';
import { Gic } from '../hw/intc/gic/gic';
import { Pl011 } from '../hw/char/pl011/pl011';
import { Pl031 } from '../hw/rtc/pl031';
import { Hpet } from '../hw/timer/hpet/hpet';
import { createVirtioMmioTransports, nextFreeTransport, plugVirtioDevice } from '../hw/virtio/transports';
import { VirtioBlk, type VirtioBlockBackend } from '../hw/virtio/blk';
import { MAX_CONSOLE_PORTS, VirtioConsole } from '../hw/virtio/console';
import { VirtioRng } from '../hw/virtio/rng';
import type { VirtioMmio } from '../hw/virtio/mmio';
import { planBoot, type BootPlan } from './boot';
import { handlePsci, type CpuPower, type PsciHost } from './psci';
import { Scheduler } from './scheduler';
import { virtDtb } from './virt-dtb';
import { HPET_INTCAP, HPET_ROUTES, VIRT_IRQ, VIRT_MAP, VIRT_PPI, VIRTIO_TRANSPORTS } from './virt-map';
import { resetCpuForBoot, startCpuAt } from './cpu-boot';

const MiB = 1024 * 1024;
const GIC_INTERNAL = 32;
/** QEMU virt's GICv2: 32 internal + 256 SPIs. */
const GIC_NUM_IRQ = 288;
/** The physical address space QEMU virt exposes to a cortex-a57 guest (40 bits). */
const PHYS_SPACE = 2 ** 40;
/** The APB clock of QEMU's virt, feeding the PL011 (24 MHz). */
const APB_CLOCK_HZ = 24_000_000;

export interface VirtConfig {
  readonly memoryMiB: number;
  readonly cpus: number;
  /** Kernel image (arm64 Image, gzip, ELF or raw). */
  readonly kernel: Uint8Array;
  readonly initrd?: Uint8Array;
  readonly append?: string;
  /** A device tree to use instead of the generated one. */
  readonly dtb?: Uint8Array;
  readonly clockMode?: ClockMode;
  /** Deterministic mode: 2^shift ns of virtual time per instruction (QEMU -icount shift). */
  readonly icountShift?: number;
  /** The serial line of UART0; default: output discarded. */
  readonly serial?: CharBackend;
  /** Seed for the DTB's rng-seed/kaslr-seed; random unless given (deterministic runs pass one). */
  readonly seed?: Uint32Array;
  /** A guest reset ends the run (resolving 'reset') instead of restarting the machine (QEMU -no-reboot). */
  readonly noReboot?: boolean;
  /** virtio-blk disks, in command-line order (QEMU's slot order: the first takes the last transport). */
  readonly drives?: readonly VirtDrive[];
  /** A virtio-rng device (host cryptographic random). */
  readonly rng?: boolean;
  /**
   * A virtio-console device (QEMU's virtio-serial-device) with these ports, plugged after the disks. Console
   * ports (virtconsole) come first and become hvc0, hvc1...; named ports (virtserialport) follow them.
   */
  readonly consoles?: readonly VirtConsolePort[];
}

export interface VirtConsolePort {
  readonly backend: CharBackend;
  /** The name the guest reads (PORT_NAME, /sys/class/virtio-ports/.../name), e.g. 'org.qemu.guest_agent.0'. */
  readonly name?: string;
  /** false: a plain serial port (virtserialport) instead of a console (virtconsole, the default). */
  readonly console?: boolean;
}

export interface VirtDrive {
  /** An open disk image (src-emu/block's openImage fits). */
  readonly backend: VirtioBlockBackend;
  readonly readOnly?: boolean;
  /** What the guest reads as the disk's serial number (GET_ID), at most 20 bytes. */
  readonly serial?: string;
}

export class VirtConfigError extends Error {
  override name = 'VirtConfigError';
}

function validate(config: VirtConfig): void {
  if (!Number.isInteger(config.memoryMiB) || config.memoryMiB < 16 || config.memoryMiB > 16384) {
    throw new VirtConfigError(`memory must be 16 to 16384 MiB, not ${config.memoryMiB}`);
  }
  if (!Number.isInteger(config.cpus) || config.cpus < 1 || config.cpus > 8) {
    throw new VirtConfigError(`the virt board takes 1 to 8 CPUs (GICv2), not ${config.cpus}`);
  }
  const ports = config.consoles ?? [];
  if (ports.length > MAX_CONSOLE_PORTS) {
    throw new VirtConfigError(`a virtio-console device has at most ${MAX_CONSOLE_PORTS} ports, not ${ports.length}`);
  }
  for (const port of ports) {
    if (port.name !== undefined && !/^[^,]+$/.test(port.name)) {
      throw new VirtConfigError(`virtio-console port name '${port.name}' must be non-empty without commas`);
    }
  }
}

/** Console ports first (the device's first `consoles` ports are consoles), each group in the given order. */
export function orderConsolePorts(ports: readonly VirtConsolePort[]): VirtConsolePort[] {
  return [...ports.filter((p) => p.console !== false), ...ports.filter((p) => p.console === false)];
}

export class VirtMachine implements PsciHost {
  readonly clock: VirtualClock;
  readonly root: DeviceContainer;
  readonly systemMemory = MemoryRegion.container('system', PHYS_SPACE);
  readonly ram: MemoryRegion;
  readonly addressSpace: AddressSpace;
  readonly cpus: Cpu[];
  readonly systems: CpuSystem[];
  readonly scheduler: Scheduler;
  readonly gic: Gic;
  readonly uart: Pl011;
  readonly rtc: Pl031;
  readonly hpet: Hpet;
  readonly virtio: VirtioMmio[];
  /** The virtio-console device, when the config asked for console ports. */
  readonly virtioConsole: VirtioConsole | null = null;
  readonly bootPlan: BootPlan;
  readonly dtb: Uint8Array;
  private readonly config: VirtConfig;

  constructor(config: VirtConfig) {
    validate(config);
    this.config = config;
    this.clock = new VirtualClock({ mode: config.clockMode ?? 'realtime', running: false });
    const serial = config.serial ?? new NullBackend();
    const context: DeviceContext = { clock: this.clock, chardevs: new Map([['serial0', serial]]) };
    this.root = new DeviceContainer({ path: '/machine', context });

    this.ram = MemoryRegion.ram('ram', config.memoryMiB * MiB);
    this.systemMemory.addSubregion(VIRT_MAP.ram.base, this.ram);
    this.addressSpace = new AddressSpace('memory', this.systemMemory);

    const codeCache = new CodeCache();
    this.cpus = Array.from({ length: config.cpus }, (_, index) => new Cpu(this.addressSpace, { index, codeCache }));
    this.scheduler = new Scheduler(this.clock, this.cpus, {
      ...(config.icountShift !== undefined ? { icountShift: config.icountShift } : {}),
    });

    this.gic = this.addDevice(
      new Gic({ path: '/machine/gic', context, props: { numCpu: config.cpus, numIrq: GIC_NUM_IRQ } }),
    );
    this.map(this.gic.distRegion, VIRT_MAP.gicDist.base);
    this.map(this.gic.cpuRegion, VIRT_MAP.gicCpu.base);
    this.gic.connectCpuSelector(() => this.scheduler.currentCpu);
    this.cpus.forEach((cpu, i) => {
      this.gic.irqOutputs[i]!.connect((level) => this.setCpuLine(cpu, IRQ_LINE, level));
      this.gic.fiqOutputs[i]!.connect((level) => this.setCpuLine(cpu, FIQ_LINE, level));
    });

    this.systems = this.cpus.map((cpu, i) => {
      const ppi = (n: number) => this.gic.ppiInput(i, 16 + n);
      const system = installSystem(cpu, {
        clock: this.clock,
        timerOutputs: {
          phys: (level) => ppi(VIRT_PPI.physicalTimer).setLevel(level),
          virt: (level) => ppi(VIRT_PPI.virtualTimer).setLevel(level),
        },
        affinity: i,
        crc32: true,
      });
      system.exceptions.hvcHandler = (caller) => handlePsci(this, caller.index, caller);
      return system;
    });
    linkSystems(this.systems); // TLBI ...IS and SEV reach every vCPU

    this.uart = this.addDevice(new Pl011({ path: '/machine/uart0', context, props: { chardev: 'serial0' } }));
    this.uart.uartclk.setHz(APB_CLOCK_HZ);
    this.map(this.uart.mmio, VIRT_MAP.uart.base);
    this.uart.irqLines[0]!.connect(this.spi(VIRT_IRQ.uart));

    this.rtc = this.addDevice(new Pl031({ path: '/machine/rtc', context }));
    this.map(this.rtc.mmioRegion(0), VIRT_MAP.rtc.base);
    this.rtc.irqOutput(0).connect(this.spi(VIRT_IRQ.rtc));

    this.hpet = this.addDevice(new Hpet({ path: '/machine/hpet', context, props: { intcap: HPET_INTCAP } }));
    this.hpet.connectFsbMemory(this.addressSpace);
    this.map(this.hpet.regs, VIRT_MAP.hpet.base);
    for (const route of HPET_ROUTES) this.hpet.irqOutput(route.output).connect(this.spi(route.spi));

    this.virtio = createVirtioMmioTransports({
      parent: this.root,
      context,
      container: this.systemMemory,
      dma: this.addressSpace,
      base: VIRT_MAP.virtio.base,
      stride: VIRT_MAP.virtio.size,
      count: VIRTIO_TRANSPORTS,
      irq: (n) => this.spi(VIRT_IRQ.virtio + n),
    });
    config.drives?.forEach((drive, i) => {
      const props = { readOnly: drive.readOnly ?? false, ...(drive.serial ? { serial: drive.serial } : {}) };
      plugVirtioDevice(this.freeVirtioSlot(), VirtioBlk, `virtio-blk${i}`, props).attachBackend(drive.backend);
    });
    if (config.consoles !== undefined && config.consoles.length > 0) {
      this.virtioConsole = this.plugConsole(config.consoles);
    }
    if (config.rng) plugVirtioDevice(this.freeVirtioSlot(), VirtioRng, 'virtio-rng');

    for (const device of this.root.children()) device.realize();

    this.bootPlan = planBoot({
      kernel: config.kernel,
      ...(config.initrd ? { initrd: config.initrd } : {}),
      ramBase: VIRT_MAP.ram.base,
      ramSize: config.memoryMiB * MiB,
    });
    this.dtb = config.dtb ?? this.generateDtb();
    if (this.dtb.length > this.bootPlan.dtbMaxSize) {
      throw new VirtConfigError(`the device tree (${this.dtb.length} bytes) does not fit below the end of RAM`);
    }
    this.resetSystem();
  }

  private addDevice<D extends Device>(device: D): D {
    this.root.addChild(device);
    return device;
  }

  /** A virtio-serial-device with QEMU's default of 31 possible ports (so the guest uses MULTIPORT). */
  private plugConsole(given: readonly VirtConsolePort[]): VirtioConsole {
    const ports = orderConsolePorts(given);
    const device = plugVirtioDevice(this.freeVirtioSlot(), VirtioConsole, 'virtio-serial', {
      ports: ports.length,
      consoles: ports.filter((p) => p.console !== false).length,
      names: ports.map((p) => p.name ?? '').join(','),
    });
    ports.forEach((port, i) => device.ports[i]!.connect(port.backend));
    return device;
  }

  private freeVirtioSlot(): VirtioMmio {
    const slot = nextFreeTransport(this.virtio);
    if (slot === null) throw new VirtConfigError(`more virtio devices than the ${VIRTIO_TRANSPORTS} virtio-mmio slots`);
    return slot;
  }

  private map(region: MemoryRegion, base: number): void {
    this.systemMemory.addSubregion(base, region);
  }

  private spi(n: number) {
    return this.gic.spiInput(GIC_INTERNAL + n);
  }

  private setCpuLine(cpu: Cpu, line: number, level: boolean): void {
    cpu.interruptPending = level ? cpu.interruptPending | line : cpu.interruptPending & ~line;
    if (level) this.scheduler.wake();
  }

  private generateDtb(): Uint8Array {
    const plan = this.bootPlan;
    return virtDtb({
      ramSize: this.config.memoryMiB * MiB,
      cpus: this.config.cpus,
      ...(this.config.append ? { bootargs: this.config.append } : {}),
      ...(plan.initrd ? { initrd: plan.initrd } : {}),
      hpet: HPET_ROUTES,
      seed: this.config.seed ?? crypto.getRandomValues(new Uint32Array(10)),
    });
  }

  /** Power-on state: devices reset, images loaded into RAM, CPU 0 at the entry point, the others off. */
  resetSystem(): void {
    resetDevices(this.root);
    this.loadImages();
    this.cpus.forEach((cpu, i) => {
      resetCpuForBoot(cpu, this.systems[i]!);
      this.scheduler.slots[i]!.power = 'off';
      this.scheduler.slots[i]!.sleeping = false;
    });
    const boot = this.cpus[0]!;
    const { entry, dtbAddress, linuxProtocol } = this.bootPlan;
    const x0 = linuxProtocol ? dtbAddress : 0;
    startCpuAt(boot, entry >>> 0, Math.floor(entry / 2 ** 32), x0 >>> 0, Math.floor(x0 / 2 ** 32));
    this.scheduler.slots[0]!.power = 'on';
  }

  private loadImages(): void {
    const bytes = this.ram.ram!.bytes;
    bytes.fill(0);
    for (const segment of this.bootPlan.segments) {
      const offset = segment.address - VIRT_MAP.ram.base;
      bytes.set(segment.data, offset);
      bytes.fill(0, offset + segment.data.length, offset + segment.data.length + segment.zeroFill);
    }
    bytes.set(this.dtb, this.bootPlan.dtbAddress - VIRT_MAP.ram.base);
    this.ram.ram!.markDirty(0, bytes.length);
  }

  /** Runs until the guest powers off (resolves 'poweroff') or `stop()` is called (resolves its reason). */
  async run(): Promise<string> {
    this.clock.resume();
    try {
      for (;;) {
        const reason = await this.scheduler.run();
        if (reason !== 'reset' || this.config.noReboot) return reason;
        this.scheduler.clearStop();
        this.resetSystem();
      }
    } finally {
      this.clock.pause();
    }
  }

  stop(reason: string): void {
    this.scheduler.stop(reason);
  }

  // ---- PsciHost -----------------------------------------------------------------------------------------

  get cpuCount(): number {
    return this.cpus.length;
  }

  power(cpu: number): CpuPower {
    return this.scheduler.slots[cpu]!.power;
  }

  powerOn(cpu: number, entryLo: number, entryHi: number, contextLo: number, contextHi: number): void {
    const target = this.cpus[cpu]!;
    resetCpuForBoot(target, this.systems[cpu]!);
    startCpuAt(target, entryLo >>> 0, entryHi, contextLo, contextHi);
    this.scheduler.slots[cpu]!.power = 'on';
    this.scheduler.slots[cpu]!.sleeping = false;
  }

  powerOff(cpu: number): void {
    this.scheduler.slots[cpu]!.power = 'off';
    this.cpus[cpu]!.requestStop(StopReason.Exit);
  }

  suspend(cpu: number): void {
    this.scheduler.suspend(cpu);
  }

  systemOff(): void {
    this.scheduler.stop('poweroff');
  }

  systemReset(): void {
    this.scheduler.stop('reset');
  }
}

/** Convenience for callers that have only a kernel and sizes. */
export function createVirtMachine(config: VirtConfig): VirtMachine {
  return new VirtMachine(config);
}
