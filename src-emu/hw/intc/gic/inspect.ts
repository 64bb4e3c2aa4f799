/**
 * Read-only views of the GIC for the app's interrupt view and for tests: no side effects (reading them
 * never acknowledges anything).
 */
import { GIC_INTERNAL, GIC_NR_SGIS } from './registers';
import type { GicState } from './state';

export type GicIrqKind = 'sgi' | 'ppi' | 'spi';

export interface GicIrqInfo {
  readonly irq: number;
  readonly kind: GicIrqKind;
  /** The CPU interface whose bank this row shows (SGIs and PPIs), or null for an SPI. */
  readonly cpu: number | null;
  readonly enabled: boolean;
  /** Pending as GICD_ISPENDR reads it (latched, or level-sensitive with its line high). */
  readonly pending: boolean;
  readonly active: boolean;
  readonly priority: number;
  readonly group: 0 | 1;
  /** CPU mask the interrupt is routed to (the row's CPU for SGIs and PPIs). */
  readonly targets: number;
  readonly trigger: 'edge' | 'level';
  /** Input line level (always false for SGIs, which have no line). */
  readonly line: boolean;
  /** SGIs: mask of source CPUs with this SGI pending; 0 otherwise. */
  readonly sgiSources: number;
}

export interface GicCpuInfo {
  readonly cpu: number;
  readonly ctlr: number;
  readonly priorityMask: number;
  readonly binaryPoint: number;
  readonly aliasedBinaryPoint: number;
  /** 0x100 when idle (GICC_RPR reads 0xff then). */
  readonly runningPriority: number;
  /** Interrupt ID GICC_IAR would return next (1023 none). */
  readonly highestPending: number;
  readonly irq: boolean;
  readonly fiq: boolean;
}

/** One row per interrupt; SGIs and PPIs get one row per CPU interface. */
export function describeInterrupts(s: GicState): GicIrqInfo[] {
  const rows: GicIrqInfo[] = [];
  for (let cpu = 0; cpu < s.numCpu; cpu++) {
    for (let irq = 0; irq < GIC_INTERNAL; irq++) rows.push(describeInterrupt(s, cpu, irq));
  }
  for (let irq = GIC_INTERNAL; irq < s.numIrq; irq++) rows.push(describeInterrupt(s, 0, irq));
  return rows;
}

function describeInterrupt(s: GicState, cpu: number, irq: number): GicIrqInfo {
  const internal = irq < GIC_INTERNAL;
  const bit = 1 << (irq & 31);
  return {
    irq,
    kind: irq < GIC_NR_SGIS ? 'sgi' : internal ? 'ppi' : 'spi',
    cpu: internal ? cpu : null,
    enabled: s.testBit(s.enabled, cpu, irq),
    pending: (s.pendingWord(cpu, irq >>> 5) & bit) !== 0,
    active: s.testBit(s.active, cpu, irq),
    priority: s.priority(cpu, irq),
    group: s.testBit(s.group, cpu, irq) ? 1 : 0,
    targets: internal ? 1 << cpu : s.irqTarget[irq],
    trigger: s.isEdgeTriggered(irq) ? 'edge' : 'level',
    line: s.testBit(s.level, cpu, irq),
    sgiSources: irq < GIC_NR_SGIS ? s.sgiSources(cpu, irq) : 0,
  };
}

export function describeCpuInterfaces(s: GicState): GicCpuInfo[] {
  return Array.from({ length: s.numCpu }, (_, cpu) => ({
    cpu,
    ctlr: s.cpuCtlr[cpu],
    priorityMask: s.priorityMask[cpu],
    binaryPoint: s.bpr[cpu],
    aliasedBinaryPoint: s.abpr[cpu],
    runningPriority: s.runningPriority[cpu],
    highestPending: s.currentPending[cpu],
    irq: s.irqOut[cpu] !== 0,
    fiq: s.fiqOut[cpu] !== 0,
  }));
}
