/**
 * ARM Generic Interrupt Controller v2 (Distributor and CPU interfaces), as QEMU's virt board has it:
 * Distributor at 0x0800_0000 (region 0, 0x1000), CPU interface at 0x0801_0000 (region 1, 0x2000).
 * Behaviour is in state.ts, register decoding in distributor.ts and cpu-interface.ts; this shell owns the
 * wiring: properties, MMIO regions, input and output lines, reset, migration and inspector views.
 *
 * Lines (in QEMU's sysbus order):
 * - outputs: `irqOutput(n)` is CPU n's IRQ for n < numCpu, `irqOutput(numCpu + n)` its FIQ. FIQ is
 *   asserted only for Group 0 interrupts with GICC_CTLR.FIQEn set; Linux leaves every interrupt in
 *   Group 0 with FIQEn clear, so it sees IRQ only.
 * - inputs: `spi` line n is interrupt 32 + n; `ppi[cpu]` line k is that CPU's PPI 16 + k (the generic
 *   timers: virtual 27, physical non-secure 30). `spiInput(id)` / `ppiInput(cpu, id)` take interrupt IDs.
 *
 * Which CPU makes an access: the banked registers and the CPU interface need it, and an MMIO access does
 * not carry it, so the board hands in a selector (QEMU reads current_cpu). Without one, CPU 0 is assumed.
 */
import { GpioInputs, IrqLine } from '../../../core/irq';
import type { GpioIn } from '../../../core/irq';
import { defineProps, SysBusDevice, u32Prop } from '../../../core/object';
import { struct, u32, vmstate } from '../../../core/vmstate';
import { CpuInterface } from './cpu-interface';
import { Distributor } from './distributor';
import { describeCpuInterfaces, describeInterrupts } from './inspect';
import type { GicCpuInfo, GicIrqInfo } from './inspect';
import { GICC_MMIO_SIZE, GICD_MMIO_SIZE, GIC_INTERNAL, GIC_NR_SGIS } from './registers';
import { GIC_MAX_CPUS, GIC_MAX_IRQS, GicState } from './state';
import { GIC_STATE_VMSTATE, checkLoadedState } from './vmstate';

export const GIC_PROPS = defineProps({
  numCpu: u32Prop({ default: 1, min: 1, max: GIC_MAX_CPUS, doc: "CPU interfaces (QEMU's num-cpu)" }),
  numIrq: u32Prop({
    default: 288,
    min: GIC_INTERNAL,
    max: GIC_MAX_IRQS,
    validate: (value) => (value % 32 === 0 ? null : `${value} is not a multiple of 32 (GICD_TYPER.ITLinesNumber)`),
    doc: "interrupts including the 32 SGIs and PPIs (QEMU's num-irq; virt: 288)",
  }),
});

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(Math.floor(value), min), max);
}

/** Returns the index of the CPU making the current access. */
export type CpuSelector = () => number;

const CPU_ZERO: CpuSelector = () => 0;

export class Gic extends SysBusDevice<typeof GIC_PROPS> {
  static override readonly typeName = 'arm_gic';
  static override readonly props = GIC_PROPS;

  // Built from the properties given at creation (clamped until realize checks them).
  private readonly builtCpus = clamp(this.props.numCpu, 1, GIC_MAX_CPUS);
  private readonly builtIrqs = clamp(this.props.numIrq - (this.props.numIrq % 32), GIC_INTERNAL, GIC_MAX_IRQS);

  readonly state = new GicState(this.builtCpus, this.builtIrqs, this.log);
  private readonly distributor = new Distributor(this.state, this.log);
  private readonly cpuInterface = new CpuInterface(this.state, this.log);
  private selectCpu: CpuSelector = CPU_ZERO;

  readonly irqOutputs: readonly IrqLine[] = Array.from(
    { length: this.builtCpus },
    (_, n) => new IrqLine(this, `irq${n}`),
  );
  readonly fiqOutputs: readonly IrqLine[] = Array.from(
    { length: this.builtCpus },
    (_, n) => new IrqLine(this, `fiq${n}`),
  );
  readonly spi =
    this.builtIrqs > GIC_INTERNAL
      ? new GpioInputs(this, 'spi', this.builtIrqs - GIC_INTERNAL, (n, level) =>
          this.setInput(0, GIC_INTERNAL + n, level),
        )
      : null;
  readonly ppi: readonly GpioInputs[] = Array.from(
    { length: this.builtCpus },
    (_, cpu) => new GpioInputs(this, `ppi${cpu}`, 16, (k, level) => this.setInput(cpu, GIC_NR_SGIS + k, level)),
  );

  readonly distRegion = this.initMmio('gic_dist', GICD_MMIO_SIZE, {
    read: (offset, size) => this.distributor.read(this.cpu(), offset, size),
    write: (offset, size, value) => {
      this.distributor.write(this.cpu(), offset, size, value);
      this.syncOutputs();
    },
    valid: { min: 1, max: 4 },
    impl: { min: 1, max: 4 },
  });

  readonly cpuRegion = this.initMmio('gic_cpu', GICC_MMIO_SIZE, {
    read: (offset) => {
      const value = this.cpuInterface.read(this.cpu(), offset);
      this.syncOutputs(); // GICC_IAR changes state
      return value;
    },
    write: (offset, _size, value) => {
      this.cpuInterface.write(this.cpu(), offset, value);
      this.syncOutputs();
    },
    valid: { min: 4, max: 4 },
  });

  /** The configuration as migrated: a stream from another configuration is refused by postLoad. */
  savedNumCpu = this.builtCpus;
  savedNumIrq = this.builtIrqs;

  static override readonly vmstate = vmstate<Gic>('gic', {
    version: 1,
    fields: [u32('savedNumCpu'), u32('savedNumIrq'), struct('state', GIC_STATE_VMSTATE)],
    preSave: (gic) => {
      gic.savedNumCpu = gic.state.numCpu;
      gic.savedNumIrq = gic.state.numIrq;
    },
    postLoad: (gic) => gic.afterLoad(),
  });

  /** The board tells the GIC which CPU is accessing it (the vCPU being run). */
  connectCpuSelector(select: CpuSelector): void {
    this.selectCpu = select;
  }

  /** The input for SPI interrupt ID `id` (32..numIrq-1). */
  spiInput(id: number): GpioIn {
    if (this.spi === null || id < GIC_INTERNAL) throw this.error(`interrupt ${id} is not an SPI`);
    return this.spi.line(id - GIC_INTERNAL);
  }

  /** CPU `cpu`'s input for PPI interrupt ID `id` (16..31). */
  ppiInput(cpu: number, id: number): GpioIn {
    if (id < GIC_NR_SGIS || id >= GIC_INTERNAL) throw this.error(`interrupt ${id} is not a PPI`);
    const bank = this.ppi[cpu];
    if (bank === undefined) throw this.error(`no CPU interface ${cpu} (numCpu ${this.builtCpus})`);
    return bank.line(id - GIC_NR_SGIS);
  }

  protected override onRealize(): void {
    // Lines and storage are built in the constructor, from the values it was given.
    if (this.props.numCpu !== this.builtCpus) {
      throw this.error('must be given when the device is created (it sizes the output lines)', 'numCpu');
    }
    if (this.props.numIrq !== this.builtIrqs) {
      throw this.error('must be given when the device is created (it sizes the input lines)', 'numIrq');
    }
  }

  override resetEnter(): void {
    this.state.reset();
  }

  override resetHold(): void {
    this.syncOutputs();
  }

  /** Every interrupt's state, SGIs and PPIs once per CPU interface (for the interrupt view). */
  interrupts(): GicIrqInfo[] {
    return describeInterrupts(this.state);
  }

  cpuInterfaces(): GicCpuInfo[] {
    return describeCpuInterfaces(this.state);
  }

  private cpu(): number {
    const cpu = this.selectCpu();
    return cpu >= 0 && cpu < this.builtCpus ? cpu : 0;
  }

  private setInput(cpu: number, irq: number, level: boolean): void {
    this.state.setInput(cpu, irq, level);
    this.syncOutputs();
  }

  private syncOutputs(): void {
    const s = this.state;
    for (let cpu = 0; cpu < this.builtCpus; cpu++) {
      this.irqOutputs[cpu].set(s.irqOut[cpu] !== 0);
      this.fiqOutputs[cpu].set(s.fiqOut[cpu] !== 0);
    }
  }

  private afterLoad(): string | void {
    const s = this.state;
    if (this.savedNumCpu !== s.numCpu || this.savedNumIrq !== s.numIrq) {
      const saved = `${this.savedNumCpu} CPUs and ${this.savedNumIrq} interrupts`;
      this.savedNumCpu = s.numCpu;
      this.savedNumIrq = s.numIrq;
      return `the snapshot's GIC has ${saved}, this one ${s.numCpu} and ${s.numIrq}`;
    }
    const problem = checkLoadedState(s);
    if (problem) return problem;
    s.normalizeAfterLoad();
    this.syncOutputs();
  }
}
