/**
 * GIC trace events (names follow QEMU's hw/intc/trace-events for arm_gic where one exists).
 * Enable with a pattern such as `gic_*` or `gic_acknowledge`.
 */
import { traceEvents } from '../../../core/trace';

export const gicTrace = traceEvents('gic', {
  /** An input line changed: interrupt ID, new level, the CPU for a PPI (-1 for an SPI). */
  set_irq: { irq: 'u32', level: 'bool', cpu: 'i32' },
  /** The best candidate a CPU interface found while recomputing its outputs. */
  update_bestirq: { cpu: 'u32', irq: 'u32', prio: 'u32', pmr: 'u32', running: 'u32' },
  /** An output changed: CPU, 'irq' or 'fiq', new level. */
  update_set_irq: { cpu: 'u32', line: 'str', level: 'bool' },
  /** GICC_IAR read: CPU and the returned value (1023: spurious, 1022: Group 1 with AckCtl 0). */
  acknowledge: { cpu: 'u32', value: 'u32' },
  /** Priority drop (GICC_EOIR): CPU, interrupt ID, running priority afterwards. */
  eoi: { cpu: 'u32', irq: 'u32', running: 'u32' },
  /** Deactivation (GICC_EOIR in EOImode 0, or GICC_DIR). */
  deactivate: { cpu: 'u32', irq: 'u32' },
  /** GICD_SGIR or SPENDSGIR: source CPU, SGI, target CPU mask. */
  sgi: { source: 'u32', sgi: 'u32', targets: 'u32' },
  dist_read: { cpu: 'u32', offset: 'u32', size: 'u32', value: 'u32' },
  dist_write: { cpu: 'u32', offset: 'u32', size: 'u32', value: 'u32' },
  cpu_read: { cpu: 'u32', offset: 'u32', value: 'u32' },
  cpu_write: { cpu: 'u32', offset: 'u32', value: 'u32' },
});
