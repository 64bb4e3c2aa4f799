/**
 * Migration description of the GIC state. Field names follow QEMU's "arm_gic" VMState (version 12) in
 * camelCase where the meaning is the same: ctlr, cpu_ctlr, irq_target, priority1, priority2, sgi_pending,
 * priority_mask, running_priority, current_pending, bpr, abpr, apr, nsapr. QEMU's per-interrupt
 * irq_state structs (enabled, pending, active, level, edge_trigger, group as CPU masks) are bitmaps here,
 * one bit per interrupt with SGIs and PPIs banked per CPU (see GicState). Arrays are sized for 8 CPUs and
 * 992 interrupts whatever the configuration, so the layout is fixed; the device checks its configuration
 * against the stream's.
 */
import { arrayOf, u32, vmstate } from '../../../core/vmstate';
import { GIC_INTERNAL, GIC_NR_APRS, GIC_NR_SGIS, GIC_SPURIOUS } from './registers';
import { GIC_BITMAP_WORDS, GIC_IDLE_PRIORITY, GIC_MAX_CPUS, GIC_MAX_IRQS } from './state';
import type { GicState } from './state';

const CPU_WORDS = GIC_MAX_CPUS;

/**
 * Checks loaded values that index or bound the model; an error string fails the load (the device calls it
 * from its postLoad, which undoes the load on failure).
 */
export function checkLoadedState(s: GicState): string | void {
  for (let cpu = 0; cpu < GIC_MAX_CPUS; cpu++) {
    if (s.runningPriority[cpu] > GIC_IDLE_PRIORITY) {
      return `runningPriority[${cpu}] ${s.runningPriority[cpu]} is above ${GIC_IDLE_PRIORITY}`;
    }
    if (s.currentPending[cpu] > GIC_SPURIOUS) {
      return `currentPending[${cpu}] ${s.currentPending[cpu]} is not an interrupt ID`;
    }
  }
}

export const GIC_STATE_VMSTATE = vmstate<GicState>('gic-state', {
  version: 1,
  fields: [
    u32('ctlr'),
    arrayOf('cpuCtlr', 'u32', CPU_WORDS),
    arrayOf('group', 'u32', GIC_BITMAP_WORDS),
    arrayOf('enabled', 'u32', GIC_BITMAP_WORDS),
    arrayOf('pending', 'u32', GIC_BITMAP_WORDS),
    arrayOf('active', 'u32', GIC_BITMAP_WORDS),
    arrayOf('level', 'u32', GIC_BITMAP_WORDS),
    arrayOf('edgeTrigger', 'u32', GIC_MAX_IRQS / 32),
    arrayOf('irqTarget', 'u8', GIC_MAX_IRQS),
    arrayOf('priority1', 'u8', GIC_INTERNAL * GIC_MAX_CPUS),
    arrayOf('priority2', 'u8', GIC_MAX_IRQS - GIC_INTERNAL),
    arrayOf('sgiPending', 'u8', GIC_NR_SGIS * GIC_MAX_CPUS),
    arrayOf('priorityMask', 'u16', CPU_WORDS),
    arrayOf('runningPriority', 'u16', CPU_WORDS),
    arrayOf('currentPending', 'u16', CPU_WORDS),
    arrayOf('bpr', 'u8', CPU_WORDS),
    arrayOf('abpr', 'u8', CPU_WORDS),
    arrayOf('apr', 'u32', GIC_NR_APRS * CPU_WORDS),
    arrayOf('nsapr', 'u32', GIC_NR_APRS * CPU_WORDS),
  ],
});
