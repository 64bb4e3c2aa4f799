/**
 * The PL011's migration format.
 *
 * The main section is QEMU's "pl011" version 2, field for field and byte for byte (checked against
 * `qemu-system-aarch64 -dump-vmstate` in vmstate.test.ts): 4 unused bytes, flags, lcr, rsr, cr, dmacr,
 * int_enabled, int_level, read_fifo[16], ilpr, ibrd, fbrd, ifl, read_pos, read_count, read_trigger. The
 * register state lives in the device's `regs` object; an inline struct adds nothing to the stream.
 *
 * Subsections: QEMU's "pl011/clock" (the UARTCLK period, property migrateClk), then what Orrery adds, each
 * sent only when it carries something, so a quiescent r1p4 UART writes exactly QEMU's layout and a plain
 * QEMU-layout stream loads:
 * - pl011/fifo32     entries 16..31 of the RX FIFO (revision r1p5);
 * - pl011/tx-fifo    the TX FIFO and the pacing deadline (QEMU transmits synchronously and has none);
 * - pl011/rx-timeout the receive-timeout deadline (sent whenever the RX FIFO holds data: a stream without
 *                    it, such as QEMU's, gets a fresh timeout for waiting characters).
 */
import { arrayOf, i32, i64num, struct, subsection, u32, u8, unused, vmstate } from '../../../core/vmstate';
import type { MigratedClock, Pl011State } from './state';

/** Something with PL011 register state and a hook to run after a load (the device). */
export interface Pl011Migratable {
  readonly regs: Pl011State;
  readonly migrateClock: boolean;
  /** Checks and applies a loaded state; a returned message fails the load. */
  afterLoad(): string | undefined;
}

/** QEMU's "clock" description: period in 2^-32 ns, plus multiplier/divider when not 1/1. */
const CLOCK_VMSTATE = vmstate<MigratedClock>('clock', {
  version: 1,
  fields: [i64num('period')],
  subsections: [
    subsection<MigratedClock>('clock/muldiv', (c) => c.multiplier !== 1 || c.divider !== 1, [
      u32('multiplier'),
      u32('divider'),
    ]),
  ],
});

const REGS_VMSTATE = vmstate<Pl011State>('pl011-regs', {
  version: 2,
  fields: [
    u32('flags'),
    u32('lcr'),
    u32('rsr'),
    u32('cr'),
    u32('dmacr'),
    u32('intEnabled'),
    u32('intLevel'),
    arrayOf('readFifo', 'u32', 16),
    u32('ilpr'),
    u32('ibrd'),
    u32('fbrd'),
    u32('ifl'),
    i32('readPos'),
    i32('readCount'),
    i32('readTrigger'),
  ],
});

const CLOCK_REGS = vmstate<Pl011State>('pl011-clock', { version: 1, fields: [struct('clk', CLOCK_VMSTATE)] });

const FIFO32_REGS = vmstate<Pl011State>('pl011-fifo32', {
  version: 1,
  fields: [arrayOf('readFifoHigh', 'u32', 16)],
});

const TX_REGS = vmstate<Pl011State>('pl011-tx-fifo', {
  version: 1,
  fields: [arrayOf('txFifo', 'u8', 32), u8('txPos'), u8('txCount'), i64num('txDeadline')],
});

const RT_REGS = vmstate<Pl011State>('pl011-rx-timeout', { version: 1, fields: [i64num('rtDeadline')] });

export const PL011_VMSTATE = vmstate<Pl011Migratable>('pl011', {
  version: 2,
  minimumVersion: 2,
  fields: [unused(4), struct('regs', REGS_VMSTATE)],
  subsections: [
    subsection<Pl011Migratable>('pl011/clock', (d) => d.migrateClock, [struct('regs', CLOCK_REGS)]),
    subsection<Pl011Migratable>('pl011/fifo32', (d) => d.regs.capacity > 16, [struct('regs', FIFO32_REGS)]),
    subsection<Pl011Migratable>('pl011/tx-fifo', (d) => d.regs.txCount > 0 || d.regs.txDeadline >= 0, [
      struct('regs', TX_REGS),
    ]),
    // Sent whenever the RX FIFO holds data, so that its absence marks a stream without timeout state.
    subsection<Pl011Migratable>(
      'pl011/rx-timeout',
      (d) => d.regs.rtDeadline >= 0 || d.regs.readCount > 0,
      [struct('regs', RT_REGS)],
      {
        postLoad: (d) => {
          d.regs.rtMigrated = true;
        },
      },
    ),
  ],
  preLoad: (d) => {
    // Subsections that do not arrive mean "nothing pending" (a QEMU stream, or a quiescent UART).
    d.regs.txCount = 0;
    d.regs.txDeadline = -1;
    d.regs.rtDeadline = -1;
    d.regs.rtMigrated = false;
  },
  postLoad: (d) => d.afterLoad(),
});
