/**
 * PL011 trace events (QEMU's hw/char/trace-events names): enable with `pl011_*`.
 */
import { traceEvents } from '../../../core/trace';

export const trace = traceEvents('pl011', {
  /** A guest register read: offset in the block and the value returned. */
  read: { offset: 'u32', value: 'u32' },
  /** A guest register write. */
  write: { offset: 'u32', value: 'u32' },
  /** The backend asked how much input fits: LCR_H, RX FIFO count, the answer. */
  can_receive: { lcr: 'u32', readCount: 'u32', result: 'u32' },
  /** Characters taken from the backend. */
  receive: { size: 'u32' },
  /** An interrupt output changed (0 combined, 1 RX, 2 TX, 3 RT, 4 MS, 5 E). */
  irq_state: { line: 'u32', level: 'bool' },
  /** The baud rate changed: the rate (0 while not programmed), UARTCLK in Hz, IBRD, FBRD. */
  baudrate: { baud: 'u32', clockHz: 'u32', ibrd: 'u32', fbrd: 'u32' },
});
