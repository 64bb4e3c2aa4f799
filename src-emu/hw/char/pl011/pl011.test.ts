// The PL011 device through guest MMIO on an AddressSpace, driven the way Linux's amba-pl011 driver does.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logger } from '../../../core/log';
import type { LogRecord } from '../../../core/log';
import { DeviceError } from '../../../core/object';
import { Timer, VirtualClock } from '../../../core/timer';
import { Pl011 } from './pl011';
import { TraceRing, traceRegistry } from '../../../core/trace';
import { LinuxDriver, makeBoard, R, UART011 } from './test-harness';
import type { Board } from './test-harness';

/** Bit period at Linux's 115200 on a 24 MHz UARTCLK: divisor 833/64, baud = UARTCLK / (16 * divisor). */
const BIT_NS = (16 * (833 / 64) * 1e9) / 24e6;

let logs: LogRecord[] = [];
beforeEach(() => {
  logs = [];
  logger.setMasks('guest_errors,unimp');
  logger.setSink((r) => logs.push(r));
});
afterEach(() => {
  logger.setMasks([]);
  logger.setSink(null);
});

function linuxBoard(props: Readonly<Record<string, unknown>> = {}, fifosize = 16): { b: Board; drv: LinuxDriver } {
  const b = makeBoard({ props });
  const drv = new LinuxDriver(b, fifosize);
  drv.startup();
  return { b, drv };
}

/** Advances virtual time in steps, letting the driver take interrupts between them. */
function runFor(b: Board, drv: LinuxDriver | null, ns: number, step = 10_000): void {
  const end = b.clock.now() + ns;
  while (b.clock.now() < end) {
    b.clock.runUntil(Math.min(end, b.clock.now() + step));
    drv?.serviceIfPending();
  }
}

describe('the register block through the address space', () => {
  it('reset values (TRM 3.3) and the r1p4 identification', () => {
    const b = makeBoard();
    expect(b.read(R.CR)).toBe(0x300);
    expect(b.read(R.IFLS)).toBe(0x12);
    expect(b.read(R.FR)).toBe(0x90);
    for (const offset of [R.RSR, R.ILPR, R.IBRD, R.FBRD, R.LCR_H, R.IMSC, R.RIS, R.MIS, R.ICR, R.DMACR]) {
      expect(b.read(offset), `offset ${offset}`).toBe(0);
    }
    const ids = [0xfe0, 0xfe4, 0xfe8, 0xfec, 0xff0, 0xff4, 0xff8, 0xffc].map((o) => b.read(o));
    expect(ids).toEqual([0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
    expect(logs).toEqual([]);
  });

  it('undefined offsets read 0; the guest error names the device and the offset', () => {
    const b = makeBoard();
    expect(b.read(0x01c)).toBe(0);
    b.write(0x800, 0x1234);
    expect(logs).toEqual([
      { mask: 'guest_errors', source: '/machine/uart0', message: 'pl011 offset 0x01c: read of an undefined offset' },
      {
        mask: 'guest_errors',
        source: '/machine/uart0',
        message: 'pl011 offset 0x800: write of 0x1234 to an undefined offset',
      },
    ]);
  });

  it('writes to read-only registers change nothing and are logged', () => {
    const { b } = linuxBoard();
    const before = [R.FR, R.RIS, R.MIS, 0xfe0].map((o) => b.read(o));
    for (const offset of [R.FR, R.RIS, R.MIS, 0xfe0]) b.write(offset, 0xffffffff);
    expect([R.FR, R.RIS, R.MIS, 0xfe0].map((o) => b.read(o))).toEqual(before);
    expect(logs.map((r) => r.message)).toEqual([
      'pl011 offset 0x018: write of 0xffffffff to read-only register FR',
      'pl011 offset 0x03c: write of 0xffffffff to read-only register RIS',
      'pl011 offset 0x040: write of 0xffffffff to read-only register MIS',
      'pl011 offset 0xfe0: write of 0xffffffff to read-only register PERIPHID0',
    ]);
  });

  it('each writable register keeps its implemented bits', () => {
    const b = makeBoard();
    const cases: [number, number, number][] = [
      [R.ILPR, 0xffffffff, 0xff],
      [R.IBRD, 0xffffffff, 0xffff],
      [R.FBRD, 0xffffffff, 0x3f],
      [R.LCR_H, 0xffffff6e, 0x6e],
      [R.CR, 0xffffff7f, 0xff7f],
      [R.IFLS, 0xffffffe4, 0x24],
      [R.IMSC, 0xffffffff, 0x7ff],
      [R.DMACR, 0xfffffff8, 0],
    ];
    for (const [offset, value, expected] of cases) {
      b.write(offset, value);
      expect(b.read(offset), `offset ${offset}`).toBe(expected);
    }
  });
});

describe('Linux startup (pl011_startup + pl011_set_termios)', () => {
  it('leaves the registers as the driver programmed them and every output low', () => {
    const { b } = linuxBoard();
    expect(b.read(R.CR)).toBe(UART011.CR_UARTEN | UART011.CR_TXE | UART011.CR_RXE);
    expect(b.read(R.IMSC)).toBe(UART011.RTIS | UART011.RXIS);
    expect(b.read(R.IFLS)).toBe(0x12);
    expect(b.read(R.IBRD)).toBe(13);
    expect(b.read(R.FBRD)).toBe(1);
    expect(b.read(R.LCR_H)).toBe(0x70);
    expect(b.read(R.FR) & 0xf8).toBe(UART011.FR_RXFE | UART011.FR_TXFE);
    expect(b.uart.irqLines.map((l) => l.level)).toEqual([false, false, false, false, false, false]);
    expect(logs).toEqual([]);
  });

  it('reports the baud rate QEMU would (clk Hz / divisor * 4) in pl011_baudrate', () => {
    const ring = new TraceRing(1000);
    traceRegistry.addSink(ring);
    traceRegistry.enable('pl011_baudrate');
    try {
      linuxBoard();
    } finally {
      traceRegistry.disable('pl011_baudrate');
      traceRegistry.removeSink(ring);
    }
    const last = ring.snapshot().at(-1);
    expect(last?.event.name).toBe('pl011_baudrate');
    expect(last?.values).toEqual([Math.floor(24e6 / 833) * 4, 24_000_000, 13, 1]);
  });

  it('follows a change of UARTCLK (the clk input)', () => {
    const { b } = linuxBoard();
    expect(b.uart.regs.baudRate()).toBe(Math.floor(24e6 / 833) * 4);
    const source = b.uart.uartclk.source;
    source?.setHz(48_000_000);
    expect(b.uart.regs.baudRate()).toBe(Math.floor(48e6 / 833) * 4);
  });
});

describe('transmit', () => {
  it('console output reaches the backend in order', () => {
    const { b, drv } = linuxBoard();
    drv.send('Hello, Orrery!\n');
    drv.serviceIfPending();
    expect(String.fromCharCode(...b.line.output)).toBe('Hello, Orrery!\n');
  });

  it('a long write goes out through TX interrupts, fifosize/2 characters each', () => {
    const { b, drv } = linuxBoard();
    const text = Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
    b.line.room = 0;
    drv.send(text);
    expect(b.read(R.FR) & UART011.FR_TXFF).toBe(UART011.FR_TXFF);
    expect(drv.xmit.length).toBe(1000 - 16);
    // The host takes 5 bytes at a time; TX interrupts refill the FIFO.
    for (let round = 0; round < 1000 && b.line.output.length < 1000; round++) {
      b.line.grant(5);
      drv.serviceIfPending();
    }
    expect(b.line.output).toEqual(text);
    expect(drv.interrupts).toBeGreaterThan(50);
    expect(logs).toEqual([]);
  });

  it('holds TXFF while the backend is stalled and never drops a byte', () => {
    const { b } = linuxBoard();
    b.line.room = 0;
    for (let i = 0; i < 16; i++) b.write(R.DR, 0x30 + i);
    expect(b.read(R.FR) & (UART011.FR_TXFF | UART011.FR_BUSY)).toBe(UART011.FR_TXFF | UART011.FR_BUSY);
    expect(b.line.output).toEqual([]);
    b.line.grant(3);
    expect(b.line.output).toEqual([0x30, 0x31, 0x32]);
    expect(b.read(R.FR) & UART011.FR_TXFF).toBe(0);
    b.line.grant(100);
    expect(b.line.output).toEqual(Array.from({ length: 16 }, (_, i) => 0x30 + i));
    expect(b.read(R.FR) & (UART011.FR_TXFE | UART011.FR_BUSY)).toBe(UART011.FR_TXFE);
  });

  it('raises the TX output when the FIFO drains to its trigger level', () => {
    const { b } = linuxBoard();
    b.write(R.IMSC, UART011.TXIS);
    b.line.room = 0;
    for (let i = 0; i < 16; i++) b.write(R.DR, i);
    expect(b.uart.irqLines[2].level).toBe(false);
    b.line.grant(7);
    expect(b.uart.irqLines[2].level).toBe(false); // 9 left, level is 8
    b.line.grant(1);
    expect(b.uart.irqLines[2].level).toBe(true);
    expect(b.uart.irqLines[0].level).toBe(true);
  });

  it('earlycon: byte writes to DR of a UART nobody enabled are transmitted and logged', () => {
    const b = makeBoard();
    for (const c of 'ok') b.write(R.DR, c.charCodeAt(0), 1);
    expect(String.fromCharCode(...b.line.output)).toBe('ok');
    expect(logs).toHaveLength(2);
    expect(logs[0]).toEqual({
      mask: 'guest_errors',
      source: '/machine/uart0',
      message: expect.stringMatching(/offset 0x000: DR written while the UART is disabled/),
    });
  });

  it('with baudPacing, characters leave one frame time apart', () => {
    const { b } = linuxBoard({ baudPacing: true });
    const t0 = b.clock.now();
    for (const c of 'abcd') b.write(R.DR, c.charCodeAt(0));
    expect(b.line.output).toEqual([0x61]);
    b.clock.runUntil(Math.ceil(t0 + 10 * 10 * BIT_NS));
    expect(String.fromCharCode(...b.line.output)).toBe('abcd');
    const gaps = b.line.outputTimes.slice(1).map((t, i) => t - b.line.outputTimes[i]);
    // 8N1: start bit, 8 data bits, stop bit.
    for (const gap of gaps) expect(Math.abs(gap - 10 * BIT_NS)).toBeLessThan(2);
  });

  it('LCR_H.BRK asserts and releases a break on the backend', () => {
    const { b } = linuxBoard();
    b.write(R.LCR_H, 0x70 | UART011.LCRH_BRK);
    b.write(R.DR, 0x41);
    expect(b.line.output).toEqual([]); // the line is held in break
    b.write(R.LCR_H, 0x70);
    expect(b.line.breaks).toEqual([true, false]);
    expect(b.line.output).toEqual([0x41]);
  });
});

describe('receive', () => {
  it('below the trigger level the RT interrupt comes 32 bit periods after the last character', () => {
    const { b, drv } = linuxBoard();
    const t0 = b.clock.now();
    b.line.type('abc');
    expect(b.uart.irqLines[1].level).toBe(false);
    runFor(b, drv, 1_000_000);
    expect(String.fromCharCode(...drv.received)).toBe('abc');
    const rt = b.irqEvents.find((e) => e.line === 3 && e.level);
    expect(rt).toBeDefined();
    expect(Math.abs((rt?.ns ?? 0) - (t0 + 32 * BIT_NS))).toBeLessThan(2);
  });

  it('at the trigger level the RX interrupt comes at once; the rest follows as DR is read', () => {
    const { b, drv } = linuxBoard();
    const text = 'the quick brown fox jumps';
    b.line.type(text);
    expect(b.uart.irqLines[1].level).toBe(true);
    expect(b.line.bufferedInput).toBe(text.length - 16);
    drv.serviceIfPending();
    runFor(b, drv, 1_000_000);
    expect(String.fromCharCode(...drv.received)).toBe(text);
    expect(drv.rxStatus.every((s) => s === 0)).toBe(true);
  });

  it('input before the UART is enabled waits in the backend and is not a guest error', () => {
    const b = makeBoard();
    b.line.type('early');
    expect(b.line.bufferedInput).toBe(5);
    expect(b.read(R.FR) & UART011.FR_RXFE).toBe(UART011.FR_RXFE);
    b.write(R.LCR_H, 0x70);
    b.write(R.CR, UART011.CR_UARTEN | UART011.CR_RXE | UART011.CR_TXE);
    expect(b.line.bufferedInput).toBe(0);
    const got = Array.from({ length: 5 }, () => b.read(R.DR) & 0xff);
    expect(String.fromCharCode(...got)).toBe('early');
    expect(logs).toEqual([]);
  });

  it('a break from the backend reads as 0 with BE and raises the error output', () => {
    const { b, drv } = linuxBoard();
    b.write(R.IMSC, drv.im | UART011.BEIS);
    b.line.sendBreak();
    expect(b.uart.irqLines[5].level).toBe(true);
    expect(b.read(R.RIS) & UART011.BEIS).toBe(UART011.BEIS);
    expect(b.read(R.DR)).toBe(0x400);
    expect(b.read(R.RSR)).toBe(0x4);
    b.write(R.ICR, UART011.BEIS);
    expect(b.uart.irqLines[5].level).toBe(false);
  });

  it('byte and halfword reads are allowed', () => {
    const { b } = linuxBoard();
    b.line.type('Z');
    expect(b.read(R.FR, 1) & UART011.FR_RXFE).toBe(0);
    expect(b.read(R.CR, 2)).toBe(0x301);
    expect(b.read(R.DR, 1)).toBe(0x5a);
    expect(b.read(R.FR, 1) & UART011.FR_RXFE).toBe(UART011.FR_RXFE);
  });
});

describe('loopback (CR.LBE)', () => {
  it('transmitted bytes come back; external input is held; nothing reaches the backend', () => {
    const { b } = linuxBoard();
    b.write(R.CR, b.read(R.CR) | UART011.CR_LBE);
    b.line.type('outside');
    for (const c of 'loop') b.write(R.DR, c.charCodeAt(0));
    const got = Array.from({ length: 4 }, () => b.read(R.DR) & 0xff);
    expect(String.fromCharCode(...got)).toBe('loop');
    expect(b.line.output).toEqual([]);
    expect(b.line.bufferedInput).toBe(7);
    b.write(R.CR, b.read(R.CR) & ~UART011.CR_LBE);
    expect(b.line.bufferedInput).toBe(0);
  });

  it('modem outputs loop to the inputs and raise the MS output', () => {
    const { b } = linuxBoard();
    b.write(R.IMSC, 0xf);
    b.write(R.CR, b.read(R.CR) | UART011.CR_LBE);
    expect(b.uart.irqLines[4].level).toBe(false);
    b.write(R.CR, b.read(R.CR) | UART011.CR_RTS);
    expect(b.read(R.FR) & 1).toBe(1); // CTS
    expect(b.uart.irqLines[4].level).toBe(true);
    expect(b.read(R.MIS)).toBe(0x2);
  });
});

describe('interrupt outputs', () => {
  it('each output follows its own sources, the combined one all of them', () => {
    const { b } = linuxBoard();
    b.write(R.IMSC, 0x7ff);
    b.write(R.ICR, 0x7ff);
    const levels = () => b.uart.irqLines.map((l) => (l.level ? 1 : 0));
    expect(levels()).toEqual([0, 0, 0, 0, 0, 0]);
    b.line.type('12345678');
    expect(levels()).toEqual([1, 1, 0, 0, 0, 0]);
    for (let i = 0; i < 8; i++) b.read(R.DR);
    expect(levels()).toEqual([0, 0, 0, 0, 0, 0]);
    b.write(R.DR, 0x21);
    expect(levels()).toEqual([1, 0, 1, 0, 0, 0]);
    b.write(R.ICR, 0x20);
    b.line.type('x');
    b.clock.runUntil(Math.ceil(b.clock.now() + 40 * BIT_NS));
    expect(levels()).toEqual([1, 0, 0, 1, 0, 0]);
    b.read(R.DR);
    b.write(R.CR, b.read(R.CR) | UART011.CR_LBE | UART011.CR_DTR);
    expect(levels()).toEqual([1, 0, 0, 0, 1, 0]);
    b.write(R.ICR, 0x7ff);
    b.write(R.CR, b.read(R.CR) & ~UART011.CR_LBE);
    b.write(R.ICR, 0x7ff);
    b.line.sendBreak();
    expect(levels()).toEqual([1, 0, 0, 0, 0, 1]);
  });

  it('traces output changes as pl011_irq_state', () => {
    const ring = new TraceRing(100);
    traceRegistry.addSink(ring);
    traceRegistry.enable('pl011_irq_state');
    try {
      const { b } = linuxBoard();
      b.line.type('12345678');
    } finally {
      traceRegistry.disable('pl011_irq_state');
      traceRegistry.removeSink(ring);
    }
    expect(ring.snapshot().map((r) => r.values)).toEqual([
      [0, true],
      [1, true],
    ]);
  });

  it('reset lowers every output and empties the FIFOs', async () => {
    const { b } = linuxBoard();
    b.write(R.IMSC, 0x7ff);
    b.line.room = 0;
    b.write(R.DR, 1);
    b.line.type('12345678');
    expect(b.uart.irqLines[0].level).toBe(true);
    const { reset } = await import('../../../core/object');
    reset(b.uart);
    expect(b.uart.irqLines.map((l) => l.level)).toEqual([false, false, false, false, false, false]);
    expect(b.read(R.FR) & 0xf8).toBe(UART011.FR_RXFE | UART011.FR_TXFE);
    expect(b.read(R.CR)).toBe(0x300);
  });
});

describe('trace events', () => {
  it('pl011_read, pl011_write, pl011_can_receive and pl011_receive carry their arguments', () => {
    const ring = new TraceRing(10_000);
    traceRegistry.addSink(ring);
    traceRegistry.enable('pl011_*');
    let b: Board;
    try {
      b = linuxBoard().b;
      ring.drain();
      b.line.type('hi');
      b.read(R.FR);
      b.write(R.ICR, 0x7ff);
    } finally {
      traceRegistry.disable('pl011_*');
      traceRegistry.removeSink(ring);
    }
    const text = ring.snapshot().map((r) => `${r.event.name} ${r.values.join(',')}`);
    expect(text).toContain('pl011_can_receive 112,0,16');
    expect(text).toContain('pl011_receive 2');
    expect(text).toContain(`pl011_read 24,${0x80}`);
    expect(text).toContain(`pl011_write 68,${0x7ff}`);
  });
});

describe('properties', () => {
  it('revision r1p5: revision 3 IDs and 32-entry FIFOs', () => {
    const b = makeBoard({ props: { revision: 'r1p5' } });
    expect(b.read(0xfe8)).toBe(0x34);
    b.write(R.LCR_H, 0x70);
    b.write(R.CR, 0x301);
    b.line.type('x'.repeat(40));
    expect(b.uart.regs.readCount).toBe(32);
    expect(b.line.bufferedInput).toBe(8);
  });

  it('variant luminary: Stellaris IDs', () => {
    const b = makeBoard({ props: { variant: 'luminary' } });
    expect([0xfe0, 0xfe4, 0xfe8, 0xfec].map((o) => b.read(o))).toEqual([0x11, 0x00, 0x18, 0x01]);
  });

  it('properties set after construction still choose the model', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    const uart = new Pl011({ path: '/machine/uart1', context: { clock } });
    expect(uart.regs.capacity).toBe(16);
    uart.setProp('revision', 'r1p5');
    uart.realize();
    expect(uart.regs.capacity).toBe(32);
    expect(uart.regs.read(0xfe8, 0)).toBe(0x34);
    expect(uart.describe().props.find((p) => p.name === 'revision')?.value).toBe('r1p5');
  });

  it('configuration mistakes fail with a DeviceError naming the device and property', () => {
    expect(() => makeBoard({ props: { variant: 'luminary', revision: 'r1p5' } })).toThrow(DeviceError);
    expect(() => makeBoard({ props: { variant: 'luminary', revision: 'r1p5' } })).toThrow(
      /\/machine\/uart0: property 'revision'/,
    );
    expect(() => makeBoard({ props: { revision: 'r2p0' } })).toThrow(/property 'revision'/);
    expect(() => makeBoard({ props: { baudPacing: 'maybe' } })).toThrow(/property 'baudPacing'/);
  });
});

describe('flow control under load', () => {
  it('1 MB into the backend, read a few bytes per timer tick: nothing lost, nothing reordered', () => {
    const b = makeBoard();
    b.write(R.IBRD, 13);
    b.write(R.FBRD, 1);
    b.write(R.LCR_H, 0x70);
    b.write(R.CR, 0x301);
    const size = 1 << 20;
    const data = new Uint8Array(size);
    let seed = 12345;
    for (let i = 0; i < size; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      data[i] = seed >>> 24;
    }
    for (let at = 0; at < size; at += 4096) b.line.type(data.subarray(at, at + 4096));
    const got = new Uint8Array(size);
    let count = 0;
    let errors = 0;
    // The slow guest: a timer ticks every 20 us of virtual time and reads at most 3 characters.
    const tick = new Timer(b.clock, () => {
      for (let k = 0; k < 3; k++) {
        if ((b.read(R.FR) & UART011.FR_RXFE) !== 0) break;
        const v = b.read(R.DR);
        if ((v & 0xf00) !== 0) errors++;
        got[count++] = v & 0xff;
      }
      if (count < size) tick.modAfterNs(20_000);
    });
    tick.modAfterNs(20_000);
    // 3 characters per 20 us take 7 s of virtual time; stop at 30 s so that a stall fails instead of hanging.
    while (count < size && b.clock.now() < 30e9) b.clock.runUntil(b.clock.now() + 100_000_000);
    expect(count).toBe(size);
    expect(errors).toBe(0);
    expect(b.read(R.RIS) & UART011.OEIS).toBe(0);
    expect(b.line.bufferedInput).toBe(0);
    let firstMismatch = -1;
    for (let i = 0; i < size && firstMismatch < 0; i++) if (got[i] !== data[i]) firstMismatch = i;
    expect(firstMismatch).toBe(-1);
  });
});
