/**
 * GICv2 state and behaviour, free of MMIO and wiring: the Distributor's per-interrupt state, each CPU
 * interface's priority state, and the rules that join them (IHI 0048B chapter 3, "Interrupt Handling and
 * Prioritization"). The device shell (gic.ts) decodes registers onto this and drives the output lines from
 * `irqOut` / `fiqOut` after each operation.
 *
 * Choices where the architecture leaves room (each as QEMU's arm_gic revision 2 without Security
 * Extensions, checked against QEMU 7.2 on the virt board):
 * - 8 priority bits; minimum binary point 0 (GICC_ABPR minimum 1); 128 preemption levels in 4 APRs.
 * - SGIs are permanently enabled and edge-triggered; PPI configuration bits are writable and shared by all
 *   CPU interfaces (not banked).
 * - Interrupt groups are implemented: Group 0 signals FIQ when GICC_CTLR.FIQEn is set, else IRQ; Group 1
 *   signals IRQ; GICC_IAR returns 1022 for a Group 1 interrupt while AckCtl is 0.
 * - Group enables gate signalling, not selection: with either group enabled in both GICD_CTLR and
 *   GICC_CTLR, the highest-priority interrupt of any group is what GICC_HPPIR reports and GICC_IAR takes;
 *   it asserts an output only if its own group is enabled in both.
 * - The running priority is the group priority of the highest active preemption level (from the APRs).
 *
 * Where QEMU 7.2 departs from the specification, this follows the specification: an SPI that targets
 * several CPUs is handled 1-N (the first CPU to acknowledge it makes it active for all; QEMU lets each
 * targeted CPU acknowledge it), ITARGETSR bits of absent CPUs are RAZ/WI, GICC_HPPIR carries an SGI's
 * source CPU, and GICD_SGIR's reserved filter 3 is ignored (QEMU sends to all CPUs).
 *
 * Storage is sized for the architectural maximum (8 CPUs, 992 interrupts as multiples of 32) so that the
 * snapshot layout does not depend on the configuration; loops only visit the configured part.
 */
import { GIC_INTERNAL, GIC_NR_APRS, GIC_NR_SGIS, GIC_SPURIOUS, GIC_GROUP1_NOT_ACKNOWLEDGED } from './registers';
import { gicTrace } from './trace';

export const GIC_MAX_CPUS = 8;
/** Largest multiple of 32 below the first special ID (1020). */
export const GIC_MAX_IRQS = 992;
const MAX_WORDS = GIC_MAX_IRQS / 32;
/**
 * Bitmaps hold one bit per interrupt. Words 0..7 are the banked word 0 (SGIs and PPIs) of CPU 0..7; word
 * 7 + w is the shared word w (w >= 1) of SPIs.
 */
export const GIC_BITMAP_WORDS = GIC_MAX_CPUS + MAX_WORDS - 1;
/** Running priority with nothing active (reads as 0xff in GICC_RPR). */
export const GIC_IDLE_PRIORITY = 0x100;

const SGI_BITS = 0x0000ffff;
const CTLR_ACK_CTL = 1 << 2;
const CTLR_FIQ_EN = 1 << 3;
const CTLR_CBPR = 1 << 4;
const CTLR_EOI_MODE = 1 << 9;

/** Where guest mistakes go (the device's log). */
export interface GicLog {
  guestError(message: string): void;
}

export class GicState {
  readonly words: number;
  /** Bit n set for each implemented CPU interface n. */
  readonly cpuMask: number;

  // --- Distributor ---
  ctlr = 0;
  readonly group = new Uint32Array(GIC_BITMAP_WORDS);
  readonly enabled = new Uint32Array(GIC_BITMAP_WORDS);
  /** Pending state latched by an edge, a set-pending write or an SGI; level interrupts add `level`. */
  readonly pending = new Uint32Array(GIC_BITMAP_WORDS);
  readonly active = new Uint32Array(GIC_BITMAP_WORDS);
  /** Input line levels (kept across reset: they are wires, not registers). */
  readonly level = new Uint32Array(GIC_BITMAP_WORDS);
  /** ICFGR configuration bit per interrupt word: 1 edge-triggered. Word 0's SGI bits are always set. */
  readonly edgeTrigger = new Uint32Array(MAX_WORDS);
  /** Priorities of SGIs and PPIs, banked: [cpu * 32 + irq]. */
  readonly priority1 = new Uint8Array(GIC_MAX_CPUS * GIC_INTERNAL);
  /** Priorities of SPIs: [irq - 32]. */
  readonly priority2 = new Uint8Array(GIC_MAX_IRQS - GIC_INTERNAL);
  /** ITARGETSR byte per SPI: [irq]. */
  readonly irqTarget = new Uint8Array(GIC_MAX_IRQS);
  /** Source CPUs of each pending SGI per target: [sgi * 8 + target]. */
  readonly sgiPending = new Uint8Array(GIC_NR_SGIS * GIC_MAX_CPUS);

  // --- CPU interfaces, [cpu] or [cpu * 4 + n] ---
  readonly cpuCtlr = new Uint32Array(GIC_MAX_CPUS);
  readonly priorityMask = new Uint16Array(GIC_MAX_CPUS);
  readonly runningPriority = new Uint16Array(GIC_MAX_CPUS);
  /** What GICC_HPPIR reports and GICC_IAR would take (1023: none). */
  readonly currentPending = new Uint16Array(GIC_MAX_CPUS);
  readonly bpr = new Uint8Array(GIC_MAX_CPUS);
  readonly abpr = new Uint8Array(GIC_MAX_CPUS);
  readonly apr = new Uint32Array(GIC_MAX_CPUS * GIC_NR_APRS);
  readonly nsapr = new Uint32Array(GIC_MAX_CPUS * GIC_NR_APRS);

  // --- Derived ---
  /** Bit set when the SPI targets the CPU: [cpu * MAX_WORDS + word]; rebuilt from irqTarget. */
  private readonly targetBits = new Uint32Array(GIC_MAX_CPUS * MAX_WORDS);
  /** Output levels per CPU (1 asserted), recomputed by update(). */
  readonly irqOut = new Uint8Array(GIC_MAX_CPUS);
  readonly fiqOut = new Uint8Array(GIC_MAX_CPUS);

  constructor(
    readonly numCpu: number,
    readonly numIrq: number,
    private readonly log: GicLog,
  ) {
    if (!Number.isInteger(numCpu) || numCpu < 1 || numCpu > GIC_MAX_CPUS) {
      throw new Error(`GIC: ${numCpu} CPUs is outside 1..${GIC_MAX_CPUS}`);
    }
    if (!Number.isInteger(numIrq) || numIrq < GIC_INTERNAL || numIrq > GIC_MAX_IRQS || numIrq % 32 !== 0) {
      throw new Error(`GIC: ${numIrq} interrupts is not a multiple of 32 within 32..${GIC_MAX_IRQS}`);
    }
    this.words = numIrq / 32;
    this.cpuMask = (1 << numCpu) - 1;
    this.reset();
  }

  /** Reset values (QEMU's arm_gic_common_reset); input levels are kept. */
  reset(): void {
    this.ctlr = 0;
    for (const bitmap of [this.group, this.enabled, this.pending, this.active]) bitmap.fill(0);
    for (let cpu = 0; cpu < GIC_MAX_CPUS; cpu++) this.enabled[cpu] = SGI_BITS;
    this.edgeTrigger.fill(0);
    this.edgeTrigger[0] = SGI_BITS;
    this.priority1.fill(0);
    this.priority2.fill(0);
    // A uniprocessor GIC routes every SPI to its one CPU (ITARGETSR is RAZ/WI there).
    this.irqTarget.fill(this.numCpu === 1 ? 1 : 0);
    this.sgiPending.fill(0);
    this.cpuCtlr.fill(0);
    this.priorityMask.fill(0);
    this.runningPriority.fill(GIC_IDLE_PRIORITY);
    this.currentPending.fill(GIC_SPURIOUS);
    this.bpr.fill(0);
    this.abpr.fill(1);
    this.apr.fill(0);
    this.nsapr.fill(0);
    this.rebuildTargets();
    this.update();
  }

  // --- per-interrupt accessors -----------------------------------------------------------------------

  /** Bitmap word holding `irq` as seen by `cpu` (SGIs and PPIs are banked). */
  wordIndex(cpu: number, irq: number): number {
    return irq < GIC_INTERNAL ? cpu : GIC_MAX_CPUS - 1 + (irq >>> 5);
  }

  /** The bitmap word `word` (0..words-1) as seen by `cpu`. */
  bankIndex(cpu: number, word: number): number {
    return word === 0 ? cpu : GIC_MAX_CPUS - 1 + word;
  }

  testBit(bitmap: Uint32Array, cpu: number, irq: number): boolean {
    return (bitmap[this.wordIndex(cpu, irq)] & (1 << (irq & 31))) !== 0;
  }

  isEdgeTriggered(irq: number): boolean {
    return (this.edgeTrigger[irq >>> 5] & (1 << (irq & 31))) !== 0;
  }

  /** Pending as GICD_ISPENDR shows it: latched, or a level-sensitive input that is asserted. */
  pendingWord(cpu: number, word: number): number {
    const i = this.bankIndex(cpu, word);
    return (this.pending[i] | (this.level[i] & ~this.edgeTrigger[word])) >>> 0;
  }

  priority(cpu: number, irq: number): number {
    return irq < GIC_INTERNAL ? this.priority1[cpu * GIC_INTERNAL + irq] : this.priority2[irq - GIC_INTERNAL];
  }

  setPriority(cpu: number, irq: number, value: number): void {
    if (irq < GIC_INTERNAL) this.priority1[cpu * GIC_INTERNAL + irq] = value;
    else this.priority2[irq - GIC_INTERNAL] = value;
  }

  /** Sets an SPI's ITARGETSR byte (bits of unimplemented CPUs are dropped). */
  setTarget(irq: number, mask: number): void {
    this.irqTarget[irq] = mask & this.cpuMask;
    const word = irq >>> 5;
    const bit = 1 << (irq & 31);
    for (let cpu = 0; cpu < GIC_MAX_CPUS; cpu++) {
      const k = cpu * MAX_WORDS + word;
      if ((this.irqTarget[irq] & (1 << cpu)) !== 0) this.targetBits[k] |= bit;
      else this.targetBits[k] &= ~bit;
    }
  }

  /** Recomputes the derived target bitmaps (after reset or a snapshot load). */
  rebuildTargets(): void {
    this.targetBits.fill(0);
    for (let irq = GIC_INTERNAL; irq < this.numIrq; irq++) this.setTarget(irq, this.irqTarget[irq]);
  }

  /**
   * Restores the invariants a snapshot stream could break: SGIs enabled and edge-triggered, SGI pending
   * bits matching their sources, binary points in range, targets within the implemented CPUs.
   */
  normalizeAfterLoad(): void {
    this.edgeTrigger[0] |= SGI_BITS;
    for (let cpu = 0; cpu < GIC_MAX_CPUS; cpu++) {
      this.enabled[cpu] |= SGI_BITS;
      for (let sgi = 0; sgi < GIC_NR_SGIS; sgi++) this.setSgiSources(cpu, sgi, this.sgiSources(cpu, sgi));
      this.bpr[cpu] &= 7;
      this.abpr[cpu] = Math.min(Math.max(this.abpr[cpu], 1), 7);
    }
    this.rebuildTargets();
    this.update();
  }

  // --- inputs ----------------------------------------------------------------------------------------

  /**
   * An input line changed: an SPI (cpu ignored) or a CPU's PPI. Level-sensitive interrupts are pending
   * while the line is high; edge-triggered ones latch pending on a rising edge.
   */
  setInput(cpu: number, irq: number, level: boolean): void {
    const i = this.wordIndex(cpu, irq);
    const bit = 1 << (irq & 31);
    if (((this.level[i] & bit) !== 0) === level) return;
    gicTrace.set_irq(irq, level, irq < GIC_INTERNAL ? cpu : -1);
    if (level) {
      this.level[i] |= bit;
      if (this.isEdgeTriggered(irq)) this.pending[i] |= bit;
    } else {
      this.level[i] &= ~bit;
    }
    this.update();
  }

  // --- SGIs ------------------------------------------------------------------------------------------

  /** GICD_SGIR written by `source`. */
  sendSgi(source: number, value: number): void {
    const sgi = value & 0xf;
    let targets: number;
    switch ((value >>> 24) & 3) {
      case 0:
        targets = (value >>> 16) & 0xff;
        break;
      case 1:
        targets = this.cpuMask & ~(1 << source);
        break;
      case 2:
        targets = 1 << source;
        break;
      default:
        this.log.guestError(`GICD_SGIR: reserved TargetListFilter 3 (value 0x${(value >>> 0).toString(16)})`);
        return;
    }
    targets &= this.cpuMask;
    gicTrace.sgi(source, sgi, targets);
    for (let target = 0; target < this.numCpu; target++) {
      if ((targets & (1 << target)) !== 0)
        this.setSgiSources(target, sgi, this.sgiSources(target, sgi) | (1 << source));
    }
    this.update();
  }

  sgiSources(target: number, sgi: number): number {
    return this.sgiPending[sgi * GIC_MAX_CPUS + target];
  }

  /** Sets the source CPUs of SGI `sgi` pending on `target`, keeping the pending bitmap in step. */
  setSgiSources(target: number, sgi: number, sources: number): void {
    this.sgiPending[sgi * GIC_MAX_CPUS + target] = sources;
    if (sources !== 0) this.pending[target] |= 1 << sgi;
    else this.pending[target] &= ~(1 << sgi);
  }

  // --- CPU interface operations ----------------------------------------------------------------------

  /** GICC_IAR: acknowledges the highest-priority pending interrupt (IHI 0048B 3.2). */
  acknowledge(cpu: number): number {
    const irq = this.currentPending[cpu];
    if (irq === GIC_SPURIOUS || this.priority(cpu, irq) >= this.runningPriority[cpu]) {
      gicTrace.acknowledge(cpu, GIC_SPURIOUS);
      return GIC_SPURIOUS;
    }
    if (this.testBit(this.group, cpu, irq) && (this.cpuCtlr[cpu] & CTLR_ACK_CTL) === 0) {
      gicTrace.acknowledge(cpu, GIC_GROUP1_NOT_ACKNOWLEDGED);
      return GIC_GROUP1_NOT_ACKNOWLEDGED;
    }
    let value = irq;
    const i = this.wordIndex(cpu, irq);
    const bit = 1 << (irq & 31);
    if (irq < GIC_NR_SGIS) {
      // The lowest-numbered source is served first; others stay pending.
      const sources = this.sgiSources(cpu, irq);
      const source = 31 - Math.clz32(sources & -sources);
      this.setSgiSources(cpu, irq, sources & ~(1 << source));
      value |= (source & 7) << 10;
    } else {
      this.pending[i] &= ~bit;
    }
    this.active[i] |= bit;
    this.activatePriority(cpu, irq);
    gicTrace.acknowledge(cpu, value);
    this.update();
    return value;
  }

  /** GICC_EOIR: priority drop, and deactivation unless EOImode is 1. */
  endOfInterrupt(cpu: number, value: number): void {
    const irq = value & 0x3ff;
    if (!this.validInterruptWrite('GICC_EOIR', irq)) return;
    if (this.runningPriority[cpu] === GIC_IDLE_PRIORITY) {
      this.log.guestError(`GICC_EOIR: EOI of interrupt ${irq} on CPU ${cpu} with no active interrupt`);
      return;
    }
    this.dropPriority(cpu, this.testBit(this.group, cpu, irq));
    gicTrace.eoi(cpu, irq, this.runningPriority[cpu]);
    if ((this.cpuCtlr[cpu] & CTLR_EOI_MODE) === 0) this.deactivateIrq(cpu, irq);
    this.update();
  }

  /** GICC_DIR: deactivation after a priority drop, in EOImode 1. */
  deactivate(cpu: number, value: number): void {
    const irq = value & 0x3ff;
    if (!this.validInterruptWrite('GICC_DIR', irq)) return;
    if ((this.cpuCtlr[cpu] & CTLR_EOI_MODE) === 0) {
      this.log.guestError(`GICC_DIR: written with GICC_CTLR.EOImode 0 (interrupt ${irq}); ignored`);
      return;
    }
    this.deactivateIrq(cpu, irq);
    this.update();
  }

  /** Interrupt IDs written to EOIR/DIR: spurious IDs are ignored quietly, unimplemented ones logged. */
  private validInterruptWrite(register: string, irq: number): boolean {
    if (irq < this.numIrq) return true;
    if (irq < GIC_GROUP1_NOT_ACKNOWLEDGED) this.log.guestError(`${register}: interrupt ${irq} is not implemented`);
    return false;
  }

  private deactivateIrq(cpu: number, irq: number): void {
    const i = this.wordIndex(cpu, irq);
    const bit = 1 << (irq & 31);
    if ((this.active[i] & bit) === 0) {
      this.log.guestError(`deactivation of interrupt ${irq} on CPU ${cpu}, which is not active`);
    }
    this.active[i] &= ~bit;
    gicTrace.deactivate(cpu, irq);
  }

  /** The priority above the binary point, which decides preemption (IHI 0048B 3.3, priority grouping). */
  groupPriority(cpu: number, irq: number): number {
    const group1 = this.testBit(this.group, cpu, irq) && (this.cpuCtlr[cpu] & CTLR_CBPR) === 0;
    const binaryPoint = group1 ? this.abpr[cpu] - 1 : this.bpr[cpu];
    return this.priority(cpu, irq) & ((0xff << ((binaryPoint & 7) + 1)) & 0xff);
  }

  private activatePriority(cpu: number, irq: number): void {
    const prio = this.groupPriority(cpu, irq);
    const preemptionLevel = prio >>> 1;
    const k = cpu * GIC_NR_APRS + (preemptionLevel >>> 5);
    const bit = 1 << (preemptionLevel & 31);
    if (this.testBit(this.group, cpu, irq)) this.nsapr[k] |= bit;
    else this.apr[k] |= bit;
    this.runningPriority[cpu] = prio;
  }

  /** Clears the highest active priority of the group and recomputes the running priority. */
  private dropPriority(cpu: number, group1: boolean): void {
    const aprs = group1 ? this.nsapr : this.apr;
    for (let n = 0; n < GIC_NR_APRS; n++) {
      const k = cpu * GIC_NR_APRS + n;
      if (aprs[k] !== 0) {
        aprs[k] &= aprs[k] - 1;
        break;
      }
    }
    this.runningPriority[cpu] = this.priorityFromAprs(cpu);
  }

  /** The running priority the active priority registers describe (idle when none is set). */
  priorityFromAprs(cpu: number): number {
    for (let n = 0; n < GIC_NR_APRS; n++) {
      const k = cpu * GIC_NR_APRS + n;
      const bits = this.apr[k] | this.nsapr[k];
      if (bits !== 0) return ((n << 5) + (31 - Math.clz32(bits & -bits))) << 1;
    }
    return GIC_IDLE_PRIORITY;
  }

  // --- outputs ---------------------------------------------------------------------------------------

  /** Recomputes every CPU interface's highest pending interrupt and its IRQ/FIQ outputs. */
  update(): void {
    const distGroups = this.ctlr & 3;
    for (let cpu = 0; cpu < this.numCpu; cpu++) {
      let best = GIC_SPURIOUS;
      let bestPrio = GIC_IDLE_PRIORITY;
      if (distGroups !== 0 && (this.cpuCtlr[cpu] & 3) !== 0) {
        for (let word = 0; word < this.words; word++) {
          let candidates = this.candidates(cpu, word);
          while (candidates !== 0) {
            const irq = (word << 5) | (31 - Math.clz32(candidates & -candidates));
            const prio = this.priority(cpu, irq);
            if (prio < bestPrio) {
              bestPrio = prio;
              best = irq;
            }
            candidates &= candidates - 1;
          }
        }
      }
      this.signal(cpu, best, bestPrio);
    }
  }

  /** Interrupts of one word that compete for `cpu`: enabled, pending, not active, targeting it. */
  private candidates(cpu: number, word: number): number {
    const i = this.bankIndex(cpu, word);
    const bits = this.enabled[i] & ~this.active[i] & this.pendingWord(cpu, word);
    return word === 0 ? bits : bits & this.targetBits[cpu * MAX_WORDS + word];
  }

  private signal(cpu: number, best: number, bestPrio: number): void {
    let irq = 0;
    let fiq = 0;
    if (bestPrio < this.priorityMask[cpu]) {
      this.currentPending[cpu] = best;
      gicTrace.update_bestirq(cpu, best, bestPrio, this.priorityMask[cpu], this.runningPriority[cpu]);
      if (bestPrio < this.runningPriority[cpu]) {
        const group = this.testBit(this.group, cpu, best) ? 1 : 0;
        if (((this.ctlr & this.cpuCtlr[cpu]) >>> group) & 1) {
          if (group === 0 && (this.cpuCtlr[cpu] & CTLR_FIQ_EN) !== 0) fiq = 1;
          else irq = 1;
        }
      }
    } else {
      this.currentPending[cpu] = GIC_SPURIOUS;
    }
    if (this.irqOut[cpu] !== irq) {
      this.irqOut[cpu] = irq;
      gicTrace.update_set_irq(cpu, 'irq', irq !== 0);
    }
    if (this.fiqOut[cpu] !== fiq) {
      this.fiqOut[cpu] = fiq;
      gicTrace.update_set_irq(cpu, 'fiq', fiq !== 0);
    }
  }
}

export { CTLR_ACK_CTL };
