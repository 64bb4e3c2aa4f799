/** HPET trace events (QEMU's hw/timer/trace-events names: hpet_ram_read, hpet_ram_write, ...). */
import { traceEvents } from '../../../core/trace';

export const trace = traceEvents('hpet', {
  /** A guest read of the 32-bit register half at `addr`. */
  ram_read: { addr: 'u32', value: 'u32' },
  ram_write: { addr: 'u32', value: 'u32' },
  /** Timer `timer` expired with the main counter at `counter` (64-bit value as a number). */
  timer_fire: { timer: 'u32', counter: 'u64' },
  /** Timer `timer` armed `ticks` counter ticks ahead, to fire at virtual ns `deadline`. */
  set_timer: { timer: 'u32', ticks: 'u64', deadline: 'i64' },
  /** Output `output` changed level (a pulse shows as true then false). */
  irq: { output: 'u32', level: 'bool' },
  /** Timer `timer` delivered its FSB message `value` to guest address `address`. */
  fsb_write: { timer: 'u32', address: 'u32', value: 'u32' },
});
