/**
 * CPU interface register access (IHI 0048B 4.4) onto GicState. Word accesses only (the region's ops
 * reject other sizes). The aliased Group 1 registers (GICC_AIAR, GICC_AEOIR, GICC_AHPPIR) read as zero
 * and ignore writes, as QEMU 7.2 does on virt; Linux's GICv2 driver does not use them.
 */
import { hex } from '../../../core/log';
import {
  GICC_CTLR_WRITABLE,
  GICC_REGS,
  GIC_GROUP1_NOT_ACKNOWLEDGED,
  GIC_NR_APRS,
  GIC_NR_SGIS,
  GIC_SPURIOUS,
} from './registers';
import { CTLR_ACK_CTL } from './state';
import type { GicLog, GicState } from './state';
import { gicTrace } from './trace';

const R = GICC_REGS;

function aprIndex(offset: number, base: number): number {
  return (offset - base) >>> 2;
}

export class CpuInterface {
  constructor(
    private readonly s: GicState,
    private readonly log: GicLog,
  ) {}

  read(cpu: number, offset: number): number {
    const value = this.readRegister(cpu, offset) >>> 0;
    gicTrace.cpu_read(cpu, offset, value);
    return value;
  }

  write(cpu: number, offset: number, value: number): void {
    gicTrace.cpu_write(cpu, offset, value);
    this.writeRegister(cpu, offset, value >>> 0);
  }

  private readRegister(cpu: number, offset: number): number {
    const s = this.s;
    switch (offset) {
      case R.CTLR.offset:
        return s.cpuCtlr[cpu];
      case R.PMR.offset:
        return s.priorityMask[cpu];
      case R.BPR.offset:
        return s.bpr[cpu];
      case R.IAR.offset:
        return s.acknowledge(cpu);
      case R.RPR.offset:
        return Math.min(s.runningPriority[cpu], 0xff);
      case R.HPPIR.offset:
        return this.highestPending(cpu);
      case R.ABPR.offset:
        return s.abpr[cpu];
      case R.AIAR.offset:
      case R.AHPPIR.offset:
        return 0;
      case R.IIDR.offset:
        return R.IIDR.reset;
      case R.EOIR.offset:
      case R.AEOIR.offset:
      case R.DIR.offset:
        this.log.guestError(`CPU interface register at ${hex(offset)} is write-only`);
        return 0;
      default:
        if (offset >= R.APR0.offset && offset <= R.APR3.offset) {
          return s.apr[cpu * GIC_NR_APRS + aprIndex(offset, R.APR0.offset)];
        }
        if (offset >= R.NSAPR0.offset && offset <= R.NSAPR3.offset) {
          return s.nsapr[cpu * GIC_NR_APRS + aprIndex(offset, R.NSAPR0.offset)];
        }
        this.log.guestError(`CPU interface read of reserved offset ${hex(offset)}`);
        return 0;
    }
  }

  private writeRegister(cpu: number, offset: number, value: number): void {
    const s = this.s;
    switch (offset) {
      case R.CTLR.offset:
        s.cpuCtlr[cpu] = value & GICC_CTLR_WRITABLE;
        s.update();
        return;
      case R.PMR.offset:
        s.priorityMask[cpu] = value & 0xff;
        s.update();
        return;
      case R.BPR.offset:
        s.bpr[cpu] = value & 7;
        return;
      case R.ABPR.offset:
        s.abpr[cpu] = Math.max(value & 7, 1);
        return;
      case R.EOIR.offset:
        s.endOfInterrupt(cpu, value);
        return;
      case R.DIR.offset:
        s.deactivate(cpu, value);
        return;
      case R.AEOIR.offset:
        return;
      case R.IAR.offset:
      case R.RPR.offset:
      case R.HPPIR.offset:
      case R.AIAR.offset:
      case R.AHPPIR.offset:
      case R.IIDR.offset:
        this.log.guestError(`CPU interface register at ${hex(offset)} is read-only (value ${hex(value)})`);
        return;
      default:
        if (offset >= R.APR0.offset && offset <= R.NSAPR3.offset) {
          this.writeApr(cpu, offset, value);
          return;
        }
        this.log.guestError(`CPU interface write to reserved offset ${hex(offset)} (value ${hex(value)})`);
    }
  }

  /** GICC_HPPIR: the pending interrupt IAR would return, with the lowest source CPU of an SGI. */
  highestPending(cpu: number): number {
    const s = this.s;
    const irq = s.currentPending[cpu];
    if (irq === GIC_SPURIOUS) return irq;
    if (s.testBit(s.group, cpu, irq) && (s.cpuCtlr[cpu] & CTLR_ACK_CTL) === 0) return GIC_GROUP1_NOT_ACKNOWLEDGED;
    if (irq >= GIC_NR_SGIS) return irq;
    const sources = s.sgiSources(cpu, irq);
    return irq | ((31 - Math.clz32(sources & -sources)) << 10);
  }

  /** Restoring active priorities (e.g. by a hypervisor) moves the running priority with them. */
  private writeApr(cpu: number, offset: number, value: number): void {
    const s = this.s;
    if (offset < R.NSAPR0.offset) s.apr[cpu * GIC_NR_APRS + aprIndex(offset, R.APR0.offset)] = value;
    else s.nsapr[cpu * GIC_NR_APRS + aprIndex(offset, R.NSAPR0.offset)] = value;
    s.runningPriority[cpu] = s.priorityFromAprs(cpu);
    s.update();
  }
}
