/**
 * Distributor register access (IHI 0048B 4.3) onto GicState. Offsets decode to a block kind (a number, so
 * that dispatch allocates nothing), then each kind reads or writes its interrupts.
 *
 * Access sizes: per-interrupt bit, byte and configuration arrays accept 1, 2 and 4-byte accesses (QEMU
 * accepts them all; Linux writes ITARGETSR and IPRIORITYR bytes). The single-word registers (CTLR, SGIR)
 * take word writes only; reads of any size return the addressed bytes.
 */
import { hex } from '../../../core/log';
import {
  GICD_BLOCKS,
  GICD_CTLR_WRITABLE,
  GICD_ID_BASE,
  GICD_ID_BYTES,
  GICD_REGS,
  GIC_INTERNAL,
  GIC_NR_SGIS,
} from './registers';
import type { GicLog, GicState } from './state';
import { gicTrace } from './trace';

/** What an offset in the Distributor is. */
export const DistBlock = {
  CTLR: 0,
  TYPER: 1,
  IIDR: 2,
  IGROUPR: 3,
  ISENABLER: 4,
  ICENABLER: 5,
  ISPENDR: 6,
  ICPENDR: 7,
  ISACTIVER: 8,
  ICACTIVER: 9,
  IPRIORITYR: 10,
  ITARGETSR: 11,
  ICFGR: 12,
  NSACR: 13,
  SGIR: 14,
  CPENDSGIR: 15,
  SPENDSGIR: 16,
  ID: 17,
  RESERVED: 18,
} as const;
export type DistBlock = (typeof DistBlock)[keyof typeof DistBlock];

const SGI_BITS = 0x0000ffff;
/** Interrupt Group / enable / pending / active blocks, in register order from 0x080. */
const BIT_BLOCKS: readonly DistBlock[] = [
  DistBlock.IGROUPR,
  DistBlock.ISENABLER,
  DistBlock.ICENABLER,
  DistBlock.ISPENDR,
  DistBlock.ICPENDR,
  DistBlock.ISACTIVER,
  DistBlock.ICACTIVER,
];

/** Decodes a Distributor offset (0..0xfff). */
export function distBlock(offset: number): DistBlock {
  if (offset < 0x080) {
    if (offset < 0x004) return DistBlock.CTLR;
    if (offset < 0x008) return DistBlock.TYPER;
    if (offset < 0x00c) return DistBlock.IIDR;
    return DistBlock.RESERVED;
  }
  if (offset < 0x400) return BIT_BLOCKS[(offset - 0x080) >>> 7];
  if (offset < GICD_BLOCKS.IPRIORITYR.end) return DistBlock.IPRIORITYR;
  if (offset >= 0x800 && offset < GICD_BLOCKS.ITARGETSR.end) return DistBlock.ITARGETSR;
  if (offset >= 0xc00 && offset < 0xd00) return DistBlock.ICFGR;
  if (offset >= 0xe00 && offset < 0xf00) return DistBlock.NSACR;
  if (offset >= 0xf00 && offset < 0xf04) return DistBlock.SGIR;
  if (offset >= 0xf10 && offset < 0xf20) return DistBlock.CPENDSGIR;
  if (offset >= 0xf20 && offset < 0xf30) return DistBlock.SPENDSGIR;
  if (offset >= GICD_ID_BASE) return DistBlock.ID;
  return DistBlock.RESERVED;
}

function laneMask(size: number): number {
  return size >= 4 ? 0xffffffff : (1 << (size * 8)) - 1;
}

/** The Distributor as seen by one CPU at a time (SGIs and PPIs are banked). */
export class Distributor {
  constructor(
    private readonly s: GicState,
    private readonly log: GicLog,
  ) {}

  read(cpu: number, offset: number, size: number): number {
    const value = this.readBlock(cpu, offset, size) >>> 0;
    gicTrace.dist_read(cpu, offset, size, value);
    return value;
  }

  write(cpu: number, offset: number, size: number, value: number): void {
    gicTrace.dist_write(cpu, offset, size, value);
    this.writeBlock(cpu, offset, size, value >>> 0);
    this.s.update();
  }

  private readBlock(cpu: number, offset: number, size: number): number {
    const shift = (offset & 3) * 8;
    const block = distBlock(offset);
    switch (block) {
      case DistBlock.CTLR:
        return (this.s.ctlr >>> shift) & laneMask(size);
      case DistBlock.TYPER:
        return (this.typer() >>> shift) & laneMask(size);
      case DistBlock.IIDR:
        return (GICD_REGS.IIDR.reset >>> shift) & laneMask(size);
      case DistBlock.IGROUPR:
      case DistBlock.ISENABLER:
      case DistBlock.ICENABLER:
      case DistBlock.ISPENDR:
      case DistBlock.ICPENDR:
      case DistBlock.ISACTIVER:
      case DistBlock.ICACTIVER:
        return (this.readBitWord(block, cpu, (offset & 0x7f) >>> 2) >>> shift) & laneMask(size);
      case DistBlock.IPRIORITYR:
      case DistBlock.ITARGETSR:
      case DistBlock.CPENDSGIR:
      case DistBlock.SPENDSGIR:
        return this.readBytes(block, cpu, offset, size);
      case DistBlock.ICFGR:
        return (this.readConfigWord((offset - 0xc00) >>> 2) >>> shift) & laneMask(size);
      case DistBlock.NSACR:
        return 0; // RAZ/WI without Security Extensions
      case DistBlock.SGIR:
        this.log.guestError(`GICD_SGIR is write-only (read at ${hex(offset)})`);
        return 0;
      case DistBlock.ID:
        return this.readId(offset, size);
      case DistBlock.RESERVED:
        this.log.guestError(`distributor read of reserved offset ${hex(offset)}`);
        return 0;
      default:
        return unreachable(block);
    }
  }

  private writeBlock(cpu: number, offset: number, size: number, value: number): void {
    const block = distBlock(offset);
    switch (block) {
      case DistBlock.CTLR:
        if (this.wordOnly('GICD_CTLR', offset, size)) this.s.ctlr = value & GICD_CTLR_WRITABLE;
        return;
      case DistBlock.TYPER:
      case DistBlock.IIDR:
      case DistBlock.ID:
        this.log.guestError(`distributor write to read-only offset ${hex(offset)} (value ${hex(value)})`);
        return;
      case DistBlock.IGROUPR:
      case DistBlock.ISENABLER:
      case DistBlock.ICENABLER:
      case DistBlock.ISPENDR:
      case DistBlock.ICPENDR:
      case DistBlock.ISACTIVER:
      case DistBlock.ICACTIVER: {
        const shift = (offset & 3) * 8;
        const mask = (laneMask(size) << shift) >>> 0;
        this.writeBitWord(block, cpu, (offset & 0x7f) >>> 2, (value << shift) & mask, mask);
        return;
      }
      case DistBlock.IPRIORITYR:
      case DistBlock.ITARGETSR:
      case DistBlock.CPENDSGIR:
      case DistBlock.SPENDSGIR:
        for (let b = 0; b < size; b++) this.writeByte(block, cpu, offset + b, (value >>> (b * 8)) & 0xff);
        return;
      case DistBlock.ICFGR:
        this.writeConfig(offset, size, value);
        return;
      case DistBlock.NSACR:
        return;
      case DistBlock.SGIR:
        if (this.wordOnly('GICD_SGIR', offset, size)) this.s.sendSgi(cpu, value);
        return;
      case DistBlock.RESERVED:
        this.log.guestError(`distributor write to reserved offset ${hex(offset)} (value ${hex(value)})`);
        return;
      default:
        unreachable(block);
    }
  }

  private wordOnly(name: string, offset: number, size: number): boolean {
    if (size === 4) return true;
    this.log.guestError(`${name}: ${size}-byte write at ${hex(offset)} (word writes only)`);
    return false;
  }

  /** GICD_TYPER: ITLinesNumber and CPUNumber; no Security Extensions, no LSPIs. */
  typer(): number {
    return ((this.s.numCpu - 1) << 5) | (this.s.words - 1);
  }

  // --- one bit per interrupt -------------------------------------------------------------------------

  private readBitWord(block: DistBlock, cpu: number, word: number): number {
    const s = this.s;
    if (word >= s.words) return 0;
    const i = s.bankIndex(cpu, word);
    switch (block) {
      case DistBlock.IGROUPR:
        return s.group[i];
      case DistBlock.ISENABLER:
      case DistBlock.ICENABLER:
        return s.enabled[i];
      case DistBlock.ISPENDR:
      case DistBlock.ICPENDR:
        return s.pendingWord(cpu, word);
      default:
        return s.active[i];
    }
  }

  /** `bits`: the written bits in place; `mask`: the bytes the access covered. */
  private writeBitWord(block: DistBlock, cpu: number, word: number, bits: number, mask: number): void {
    const s = this.s;
    if (word >= s.words) return;
    const i = s.bankIndex(cpu, word);
    // SGIs stay enabled, and their pending state moves only through SGIR, SPENDSGIR and CPENDSGIR.
    const notSgi = word === 0 ? ~SGI_BITS : ~0;
    switch (block) {
      case DistBlock.IGROUPR:
        s.group[i] = (s.group[i] & ~mask) | bits;
        return;
      case DistBlock.ISENABLER:
        s.enabled[i] |= bits;
        return;
      case DistBlock.ICENABLER:
        s.enabled[i] &= ~(bits & notSgi);
        return;
      case DistBlock.ISPENDR:
        s.pending[i] |= bits & notSgi;
        return;
      case DistBlock.ICPENDR:
        s.pending[i] &= ~(bits & notSgi);
        return;
      case DistBlock.ISACTIVER:
        s.active[i] |= bits;
        return;
      default:
        s.active[i] &= ~bits;
    }
  }

  // --- one byte per interrupt or SGI -----------------------------------------------------------------

  private readBytes(block: DistBlock, cpu: number, offset: number, size: number): number {
    let value = 0;
    for (let b = 0; b < size; b++) value |= this.readByte(block, cpu, offset + b) << (b * 8);
    return value >>> 0;
  }

  private readByte(block: DistBlock, cpu: number, offset: number): number {
    const s = this.s;
    if (block === DistBlock.CPENDSGIR || block === DistBlock.SPENDSGIR) {
      return s.sgiSources(cpu, offset & 0xf);
    }
    const irq = offset - (block === DistBlock.IPRIORITYR ? GICD_BLOCKS.IPRIORITYR.start : GICD_BLOCKS.ITARGETSR.start);
    if (irq >= s.numIrq) return 0;
    if (block === DistBlock.IPRIORITYR) return s.priority(cpu, irq);
    // ITARGETSR: RAZ on a uniprocessor GIC; SGIs and PPIs target the CPU that reads.
    if (s.numCpu === 1) return 0;
    return irq < GIC_INTERNAL ? 1 << cpu : s.irqTarget[irq];
  }

  private writeByte(block: DistBlock, cpu: number, offset: number, value: number): void {
    const s = this.s;
    if (block === DistBlock.CPENDSGIR || block === DistBlock.SPENDSGIR) {
      const sgi = offset & 0xf;
      const sources = s.sgiSources(cpu, sgi);
      if (block === DistBlock.SPENDSGIR) s.setSgiSources(cpu, sgi, sources | value);
      else s.setSgiSources(cpu, sgi, sources & ~value);
      return;
    }
    const irq = offset - (block === DistBlock.IPRIORITYR ? GICD_BLOCKS.IPRIORITYR.start : GICD_BLOCKS.ITARGETSR.start);
    if (irq >= s.numIrq) return;
    if (block === DistBlock.IPRIORITYR) s.setPriority(cpu, irq, value);
    else if (irq >= GIC_INTERNAL && s.numCpu > 1) s.setTarget(irq, value);
  }

  // --- two bits per interrupt ------------------------------------------------------------------------

  /** GICD_ICFGRn: bit 2k+1 is interrupt 16n+k's edge configuration; bit 2k reads as zero. */
  private readConfigWord(index: number): number {
    const firstIrq = index * 16;
    if (firstIrq >= this.s.numIrq) return 0;
    const edges = (this.s.edgeTrigger[firstIrq >>> 5] >>> (firstIrq & 31)) & 0xffff;
    let value = 0;
    for (let k = 0; k < 16; k++) if ((edges & (1 << k)) !== 0) value |= 2 << (2 * k);
    return value >>> 0;
  }

  private writeConfig(offset: number, size: number, value: number): void {
    const s = this.s;
    const firstIrq = ((offset - 0xc00) >>> 2) * 16 + (offset & 3) * 4;
    for (let k = 0; k < size * 4; k++) {
      const irq = firstIrq + k;
      if (irq < GIC_NR_SGIS || irq >= s.numIrq) continue; // SGIs are always edge-triggered
      const bit = 1 << (irq & 31);
      if ((value & (2 << (2 * k))) !== 0) s.edgeTrigger[irq >>> 5] |= bit;
      else s.edgeTrigger[irq >>> 5] &= ~bit;
    }
  }

  private readId(offset: number, size: number): number {
    const index = (offset - GICD_ID_BASE) >>> 2;
    // Each ID register holds one byte in the low lane of its word.
    if ((offset & 3) !== 0) return 0;
    return index < GICD_ID_BYTES.length ? GICD_ID_BYTES[index] & laneMask(size) : 0;
  }
}

function unreachable(value: never): never {
  throw new Error(`GIC distributor: unhandled block ${String(value)}`);
}
