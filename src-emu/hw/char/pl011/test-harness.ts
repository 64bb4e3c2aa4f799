/**
 * Test support for the PL011: a small board (the UART mapped into an AddressSpace at virt's address, fed by
 * a 24 MHz clock, its outputs recorded), a character backend whose output rate the test controls, and a
 * guest driver that programs the UART the way Linux's amba-pl011 driver does.
 */
import { CharBackend } from '../../../core/chardev';
import { Clock } from '../../../core/clock';
import { AddressSpace, MemoryRegion } from '../../../core/memory';
import { reset } from '../../../core/object';
import { VirtualClock } from '../../../core/timer';
import { Pl011 } from './pl011';

export const UART_BASE = 0x0900_0000;

export const R = {
  DR: 0x000,
  RSR: 0x004,
  FR: 0x018,
  ILPR: 0x020,
  IBRD: 0x024,
  FBRD: 0x028,
  LCR_H: 0x02c,
  CR: 0x030,
  IFLS: 0x034,
  IMSC: 0x038,
  RIS: 0x03c,
  MIS: 0x040,
  ICR: 0x044,
  DMACR: 0x048,
} as const;

/** Linux's names (include/linux/amba/serial.h). */
export const UART011 = {
  FR_RXFE: 0x10,
  FR_TXFF: 0x20,
  FR_BUSY: 0x08,
  FR_TXFE: 0x80,
  CR_UARTEN: 0x0001,
  CR_LBE: 0x0080,
  CR_TXE: 0x0100,
  CR_RXE: 0x0200,
  CR_DTR: 0x0400,
  CR_RTS: 0x0800,
  LCRH_BRK: 0x01,
  LCRH_FEN: 0x10,
  LCRH_WLEN_8: 0x60,
  OEIS: 1 << 10,
  BEIS: 1 << 9,
  PEIS: 1 << 8,
  FEIS: 1 << 7,
  RTIS: 1 << 6,
  TXIS: 1 << 5,
  RXIS: 1 << 4,
  MS_ANY: 0xf,
  IFLS_RX4_8: 2 << 3,
  IFLS_TX4_8: 2,
} as const;

/** A backend whose output room the test sets (Infinity: takes everything), recording when bytes arrive. */
export class TestLine extends CharBackend {
  readonly output: number[] = [];
  readonly outputTimes: number[] = [];
  readonly breaks: boolean[] = [];
  room = Infinity;

  constructor(private readonly clock: VirtualClock) {
    super();
  }

  protected override attached(): void {
    this.setOpen(true);
  }

  protected writeOutput(bytes: Uint8Array): number {
    const count = Math.min(bytes.length, this.room);
    for (let i = 0; i < count; i++) {
      this.output.push(bytes[i]);
      this.outputTimes.push(this.clock.now());
    }
    this.room -= count;
    return count;
  }

  /** More output room (e.g. the host terminal caught up); tells the device if it was waiting. */
  grant(bytes: number): void {
    this.room = bytes;
    this.outputWritable();
  }

  type(input: Uint8Array | string): void {
    this.pushInput(typeof input === 'string' ? new TextEncoder().encode(input) : input.slice());
  }

  sendBreak(): void {
    this.signalBreak();
  }

  override setBreak(on: boolean): void {
    this.breaks.push(on);
  }
}

export interface IrqEvent {
  readonly ns: number;
  readonly line: number;
  readonly level: boolean;
}

export interface Board {
  readonly clock: VirtualClock;
  readonly uart: Pl011;
  readonly line: TestLine;
  readonly as: AddressSpace;
  readonly irqEvents: IrqEvent[];
  read(offset: number, size?: 1 | 2 | 4): number;
  write(offset: number, value: number, size?: 1 | 2 | 4): void;
}

export interface BoardOptions {
  readonly props?: Readonly<Record<string, unknown>>;
  /** Virtual time at start (a restored board starts where its snapshot was taken). */
  readonly startNs?: number;
  readonly uartclkHz?: number;
}

/** QEMU virt's wiring: UART at 0x0900_0000, UARTCLK from the 24 MHz "apb-pclk". */
export function makeBoard(options: BoardOptions = {}): Board {
  const clock = new VirtualClock({ mode: 'deterministic', startNs: options.startNs ?? 0 });
  const uart = new Pl011({ path: '/machine/uart0', context: { clock }, props: options.props ?? {} });
  const system = MemoryRegion.container('system', 2 ** 32);
  system.addSubregion(UART_BASE, uart.mmioRegion(0));
  const as = new AddressSpace('memory', system);
  const pclk = new Clock('/machine', 'apb-pclk');
  pclk.setHz(options.uartclkHz ?? 24_000_000);
  pclk.connectTo(uart.uartclk);
  const line = new TestLine(clock);
  uart.chr.connect(line);
  const irqEvents: IrqEvent[] = [];
  uart.irqLines.forEach((irq, index) =>
    irq.connect((level) => irqEvents.push({ ns: clock.now(), line: index, level })),
  );
  uart.realize();
  reset(uart);
  return {
    clock,
    uart,
    line,
    as,
    irqEvents,
    read: (offset, size = 4) => as.read(UART_BASE + offset, size),
    write: (offset, value, size = 4) => as.write(UART_BASE + offset, size, value),
  };
}

/**
 * The guest side, following Linux's drivers/tty/serial/amba-pl011.c: pl011_startup (hwinit, IFLS, CR,
 * enable_interrupts), pl011_set_termios (IBRD/FBRD then LCR_H), pl011_int and pl011_tx_chars.
 */
export class LinuxDriver {
  /** The driver's copy of IMSC (uap->im). */
  im = 0;
  readonly received: number[] = [];
  readonly rxStatus: number[] = [];
  /** Bytes the tty layer wants sent (the xmit circular buffer). */
  readonly xmit: number[] = [];
  readonly fifosize: number;
  interrupts = 0;

  constructor(
    private readonly board: Board,
    fifosize = 16,
  ) {
    this.fifosize = fifosize;
  }

  /** pl011_startup followed by pl011_set_termios for `baud` 8N1 with the FIFO on. */
  startup(baud = 115200, uartclk = 24_000_000): void {
    const { read, write } = this.board;
    // pl011_hwinit: clear pending error and receive interrupts, keep IMSC, enable RX interrupts.
    write(R.ICR, UART011.OEIS | UART011.BEIS | UART011.PEIS | UART011.FEIS | UART011.RTIS | UART011.RXIS);
    this.im = read(R.IMSC);
    write(R.IMSC, UART011.RTIS | UART011.RXIS);
    // pl011_allocate_irq
    write(R.IMSC, this.im);
    write(R.IFLS, UART011.IFLS_RX4_8 | UART011.IFLS_TX4_8);
    let cr = read(R.CR) & (UART011.CR_RTS | UART011.CR_DTR);
    cr |= UART011.CR_UARTEN | UART011.CR_RXE | UART011.CR_TXE;
    write(R.CR, cr);
    // pl011_enable_interrupts: clear RX interrupts, drain what is there, unmask RT and RX.
    write(R.ICR, UART011.RTIS | UART011.RXIS);
    for (let i = 0; i < this.fifosize * 2; i++) {
      if ((read(R.FR) & UART011.FR_RXFE) !== 0) break;
      read(R.DR);
    }
    this.im = UART011.RTIS | UART011.RXIS;
    write(R.IMSC, this.im);
    this.setTermios(baud, uartclk);
  }

  /** pl011_set_termios: divisor quot = round(uartclk * 4 / baud), FBRD = quot & 0x3f, IBRD = quot >> 6. */
  setTermios(baud: number, uartclk: number): void {
    const { read, write } = this.board;
    const quot = Math.round((uartclk * 4) / baud);
    write(R.FBRD, quot & 0x3f);
    write(R.IBRD, quot >> 6);
    write(R.LCR_H, UART011.LCRH_WLEN_8 | UART011.LCRH_FEN);
    write(R.CR, read(R.CR) | UART011.CR_RXE);
  }

  /** uart_start_tx -> pl011_start_tx_pio: fill the FIFO, unmask TX if data remains. */
  send(text: string | number[]): void {
    for (const c of typeof text === 'string' ? new TextEncoder().encode(text) : text) this.xmit.push(c);
    if (this.txChars(false)) {
      this.im |= UART011.TXIS;
      this.board.write(R.IMSC, this.im);
    }
  }

  /** pl011_tx_chars: from the interrupt, fifosize/2 characters without looking at TXFF. */
  private txChars(fromIrq: boolean): boolean {
    const { read, write } = this.board;
    let count = this.fifosize >> 1;
    if (this.xmit.length === 0) {
      this.stopTx();
      return false;
    }
    while (this.xmit.length > 0) {
      if (fromIrq && count-- === 0) break;
      if (!fromIrq && (read(R.FR) & UART011.FR_TXFF) !== 0) break;
      write(R.DR, this.xmit.shift() as number);
    }
    if (this.xmit.length === 0) {
      this.stopTx();
      return false;
    }
    return true;
  }

  private stopTx(): void {
    this.im &= ~UART011.TXIS;
    this.board.write(R.IMSC, this.im);
  }

  /** pl011_int: runs while the combined line is high (the CPU taking the interrupt). */
  service(): void {
    const { read, write } = this.board;
    let status = read(R.RIS) & this.im;
    let passes = 256;
    while (status !== 0) {
      this.interrupts++;
      write(R.ICR, status & ~(UART011.TXIS | UART011.RTIS | UART011.RXIS));
      if ((status & (UART011.RTIS | UART011.RXIS)) !== 0) this.fifoToTty();
      if ((status & UART011.TXIS) !== 0) this.txChars(true);
      if (passes-- === 0) break;
      status = read(R.RIS) & this.im;
    }
  }

  /** pl011_fifo_to_tty: up to 256 characters while RXFE is clear. */
  private fifoToTty(): void {
    const { read } = this.board;
    for (let max = 256; max > 0; max--) {
      if ((read(R.FR) & UART011.FR_RXFE) !== 0) break;
      const ch = read(R.DR);
      this.received.push(ch & 0xff);
      this.rxStatus.push(ch & 0xf00);
    }
  }

  /** Takes the interrupt whenever the combined output is high. */
  serviceIfPending(): void {
    while (this.board.uart.irqLines[0].level) {
      const before = this.interrupts;
      this.service();
      if (this.interrupts === before) break; // the line is high for a source Linux masks: nothing to do
    }
  }
}
