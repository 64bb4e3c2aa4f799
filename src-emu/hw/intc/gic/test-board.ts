/**
 * Test fixture: a GIC mapped at the virt board's addresses behind an AddressSpace, with a CPU selector the
 * test moves between CPUs, output lines recorded, and guest errors captured. Also the register sequences
 * Linux's irq-gic driver performs (drivers/irqchip/irq-gic.c and irq-gic-common.c), so tests drive the
 * device the way the kernel does.
 */
import { logger } from '../../../core/log';
import type { LogRecord } from '../../../core/log';
import { AddressSpace, MemoryRegion } from '../../../core/memory';
import { reset } from '../../../core/object';
import { VirtualClock } from '../../../core/timer';
import { Gic } from './gic';

export const GICD = 0x0800_0000;
export const GICC = 0x0801_0000;

/** Distributor offsets (IHI 0048B Table 4-1). */
export const D = {
  CTLR: 0x000,
  TYPER: 0x004,
  IIDR: 0x008,
  IGROUPR: 0x080,
  ISENABLER: 0x100,
  ICENABLER: 0x180,
  ISPENDR: 0x200,
  ICPENDR: 0x280,
  ISACTIVER: 0x300,
  ICACTIVER: 0x380,
  IPRIORITYR: 0x400,
  ITARGETSR: 0x800,
  ICFGR: 0xc00,
  SGIR: 0xf00,
  CPENDSGIR: 0xf10,
  SPENDSGIR: 0xf20,
} as const;

/** CPU interface offsets (IHI 0048B Table 4-2). */
export const C = {
  CTLR: 0x00,
  PMR: 0x04,
  BPR: 0x08,
  IAR: 0x0c,
  EOIR: 0x10,
  RPR: 0x14,
  HPPIR: 0x18,
  ABPR: 0x1c,
  APR0: 0xd0,
  NSAPR0: 0xe0,
  IIDR: 0xfc,
  DIR: 0x1000,
} as const;

export class TestBoard {
  readonly gic: Gic;
  readonly bus: AddressSpace;
  readonly logs: LogRecord[] = [];
  /** The CPU whose accesses the next reads and writes are. */
  cpu = 0;
  /** Every level change of each CPU's IRQ output, in order. */
  readonly irqEdges: boolean[][];

  constructor(props: Record<string, unknown> = {}) {
    this.gic = new Gic({
      path: '/machine/gic',
      context: { clock: new VirtualClock({ mode: 'deterministic' }) },
      props,
    });
    this.gic.realize();
    const root = MemoryRegion.container('system', 2 ** 32);
    root.addSubregion(GICD, this.gic.mmioRegion(0));
    root.addSubregion(GICC, this.gic.mmioRegion(1));
    this.bus = new AddressSpace('memory', root);
    this.gic.connectCpuSelector(() => this.cpu);
    const cpus = this.gic.state.numCpu;
    this.irqEdges = Array.from({ length: cpus }, () => []);
    for (let n = 0; n < cpus; n++) this.gic.irqOutput(n).connect((level) => this.irqEdges[n].push(level));
    logger.setMasks('guest_errors');
    logger.setSink((record) => this.logs.push(record));
    reset(this.gic);
  }

  dispose(): void {
    logger.setMasks([]);
    logger.setSink(null);
  }

  as<T>(cpu: number, action: () => T): T {
    const previous = this.cpu;
    this.cpu = cpu;
    try {
      return action();
    } finally {
      this.cpu = previous;
    }
  }

  distRead(offset: number, size: 1 | 2 | 4 = 4): number {
    return this.bus.read(GICD + offset, size);
  }

  distWrite(offset: number, value: number, size: 1 | 2 | 4 = 4): void {
    this.bus.write(GICD + offset, size, value);
  }

  cpuRead(offset: number): number {
    return this.bus.read(GICC + offset, 4);
  }

  cpuWrite(offset: number, value: number): void {
    this.bus.write(GICC + offset, 4, value);
  }

  irq(cpu: number): boolean {
    return this.gic.irqOutput(cpu).level;
  }

  fiq(cpu: number): boolean {
    return this.gic.irqOutput(this.gic.state.numCpu + cpu).level;
  }

  /** IRQ output levels of all CPUs, e.g. [true, false]. */
  irqs(): boolean[] {
    return Array.from({ length: this.gic.state.numCpu }, (_, n) => this.irq(n));
  }

  setSpi(id: number, level: boolean): void {
    this.gic.spiInput(id).setLevel(level);
  }

  setPpi(cpu: number, id: number, level: boolean): void {
    this.gic.ppiInput(cpu, id).setLevel(level);
  }

  guestErrors(): string[] {
    return this.logs.filter((r) => r.mask === 'guest_errors').map((r) => r.message);
  }

  // --- what Linux's irq-gic driver does -------------------------------------------------------------

  /** gic_dist_init: disable, route every SPI to the booting CPU, level/0xa0/disabled, enable. */
  linuxDistInit(): void {
    const irqs = ((this.distRead(D.TYPER) & 0x1f) + 1) * 32;
    this.distWrite(D.CTLR, 0);
    let mask = 0;
    for (let i = 0; i < 8; i++) mask |= this.distRead(D.ITARGETSR + i * 4);
    mask |= mask >>> 16;
    mask |= mask >>> 8;
    mask &= 0xff;
    const targets = (mask | (mask << 8) | (mask << 16) | (mask << 24)) >>> 0;
    for (let i = 32; i < irqs; i += 4) this.distWrite(D.ITARGETSR + i, targets);
    for (let i = 32; i < irqs; i += 16) this.distWrite(D.ICFGR + i / 4, 0);
    for (let i = 32; i < irqs; i += 4) this.distWrite(D.IPRIORITYR + i, 0xa0a0a0a0);
    for (let i = 32; i < irqs; i += 32) {
      this.distWrite(D.ICACTIVER + i / 8, 0xffffffff);
      this.distWrite(D.ICENABLER + i / 8, 0xffffffff);
    }
    this.distWrite(D.CTLR, 1);
  }

  /** gic_cpu_init on the current CPU: banked SGI/PPI setup, PMR 0xf0, interface enabled. */
  linuxCpuInit(eoiMode1 = false): void {
    this.distWrite(D.ICACTIVER, 0xffffffff);
    this.distWrite(D.ICENABLER, 0xffff0000);
    this.distWrite(D.ISENABLER, 0x0000ffff);
    for (let i = 0; i < 32; i += 4) this.distWrite(D.IPRIORITYR + i, 0xa0a0a0a0);
    for (let i = 0; i < 4; i++) this.cpuWrite(C.APR0 + i * 4, 0);
    this.cpuWrite(C.PMR, 0xf0);
    const bypass = this.cpuRead(C.CTLR) & 0x1e0;
    this.cpuWrite(C.CTLR, bypass | (eoiMode1 ? 1 << 9 : 0) | 1);
  }

  /** This CPU's ITARGETSR byte for itself (gic_get_cpumask). */
  linuxCpuMask(): number {
    let mask = 0;
    for (let i = 0; i < 8; i++) mask |= this.distRead(D.ITARGETSR + i * 4);
    mask |= mask >>> 16;
    mask |= mask >>> 8;
    return mask & 0xff;
  }

  /** gic_unmask_irq. */
  linuxUnmask(id: number): void {
    this.distWrite(D.ISENABLER + (id >>> 5) * 4, 1 << (id & 31));
  }

  linuxMask(id: number): void {
    this.distWrite(D.ICENABLER + (id >>> 5) * 4, 1 << (id & 31));
  }

  /** gic_configure_irq: read-modify-write of the ICFGR word. */
  linuxSetType(id: number, edge: boolean): void {
    const offset = D.ICFGR + (id >>> 4) * 4;
    const bit = 2 << ((id % 16) * 2);
    const old = this.distRead(offset);
    this.distWrite(offset, edge ? old | bit : old & ~bit);
  }

  /** gic_set_affinity: one byte write. */
  linuxSetAffinity(id: number, cpuMask: number): void {
    this.distWrite(D.ITARGETSR + id, cpuMask, 1);
  }

  /** gic_ipi_send_mask. */
  linuxSendIpi(sgi: number, cpuMask: number): void {
    this.distWrite(D.SGIR, (cpuMask << 16) | sgi);
  }

  /**
   * gic_handle_irq on the current CPU with EOImode 0: acknowledge until spurious, EOI each one at once.
   * Returns the GICC_IAR values handled.
   */
  linuxHandleIrqs(onEach?: (iar: number) => void): number[] {
    const handled: number[] = [];
    for (;;) {
      const iar = this.cpuRead(C.IAR);
      if ((iar & 0x3ff) >= 1020) return handled;
      handled.push(iar);
      onEach?.(iar);
      this.cpuWrite(C.EOIR, iar);
    }
  }
}
