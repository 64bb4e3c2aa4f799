// The register logic on its own: values from the PL011 TRM (DDI 0183) and the spec in specs/pl011.md.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logger } from '../../../core/log';
import type { LogRecord } from '../../../core/log';
import { DR_BE, DR_FE, DR_OE, DR_PE, FR, INT, PL011_REGS } from './registers';
import { Effect, Pl011State } from './state';

const DR = 0x000;
const RSR = 0x004;
const FR_OFF = 0x018;
const ILPR = 0x020;
const IBRD = 0x024;
const FBRD = 0x028;
const LCR_H = 0x02c;
const CR = 0x030;
const IFLS = 0x034;
const IMSC = 0x038;
const RIS = 0x03c;
const MIS = 0x040;
const ICR = 0x044;
const DMACR = 0x048;

const UARTEN = 1 << 0;
const LBE = 1 << 7;
const TXE = 1 << 8;
const RXE = 1 << 9;
const DTR = 1 << 10;
const RTS = 1 << 11;
const OUT1 = 1 << 12;
const OUT2 = 1 << 13;
const FEN = 1 << 4;
const BRK = 1 << 0;
const WLEN_8 = 3 << 5;

const owner = { path: '/machine/uart0' };
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

function uart(model: 'r1p4' | 'r1p5' | 'luminary' = 'r1p4'): Pl011State {
  const s = new Pl011State(model, owner);
  s.reset();
  return s;
}

/** The UART enabled with FIFOs on, as Linux leaves it. */
function enabled(model: 'r1p4' | 'r1p5' = 'r1p4'): Pl011State {
  const s = uart(model);
  s.write(CR, UARTEN | TXE | RXE, 0);
  s.write(LCR_H, WLEN_8 | FEN, 0);
  s.takeEffects();
  return s;
}

function fill(s: Pl011State, bytes: number[], now = 0): void {
  for (const b of bytes) s.receive(b, 0, now);
}

describe('reset values (TRM 3.3, spec)', () => {
  it('CR 0x300, IFLS 0x12, FR 0x90, everything else 0', () => {
    const s = uart();
    expect(s.read(CR, 0)).toBe(0x300);
    expect(s.read(IFLS, 0)).toBe(0x12);
    expect(s.read(FR_OFF, 0)).toBe(0x90);
    for (const offset of [RSR, ILPR, IBRD, FBRD, LCR_H, IMSC, RIS, MIS, ICR, DMACR]) {
      expect(s.read(offset, 0), `offset ${offset}`).toBe(0);
    }
  });

  it('the declared reset values match the behaviour', () => {
    const s = uart();
    expect(PL011_REGS.CR.reset).toBe(s.read(CR, 0));
    expect(PL011_REGS.IFLS.reset).toBe(s.read(IFLS, 0));
    expect(PL011_REGS.FR.reset).toBe(s.read(FR_OFF, 0));
  });

  it('reset empties both FIFOs and clears interrupts, and asks for an IRQ update', () => {
    const s = enabled();
    fill(s, [1, 2, 3]);
    s.write(DR, 0x41, 0);
    s.write(IMSC, 0x7ff, 0);
    const effects = s.reset();
    expect(effects & Effect.IRQ).not.toBe(0);
    expect(s.readCount).toBe(0);
    expect(s.txCount).toBe(0);
    expect(s.read(RIS, 0)).toBe(0);
    expect(s.read(IMSC, 0)).toBe(0);
    expect(s.rtDeadline).toBe(-1);
  });

  it('reset releases a break on the line', () => {
    const s = enabled();
    s.write(LCR_H, WLEN_8 | FEN | BRK, 0);
    expect(s.reset() & Effect.BREAK).not.toBe(0);
    expect(s.breakAsserted).toBe(false);
  });
});

describe('identification registers', () => {
  const ids = (s: Pl011State) => [0xfe0, 0xfe4, 0xfe8, 0xfec, 0xff0, 0xff4, 0xff8, 0xffc].map((o) => s.read(o, 0));

  it('r1p4 (default): ARM part 0x011, revision 2', () => {
    expect(ids(uart('r1p4'))).toEqual([0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
  });

  it('r1p5: revision 3 in PeriphID2, 32-entry FIFOs', () => {
    const s = uart('r1p5');
    expect(ids(s)).toEqual([0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
    expect(s.capacity).toBe(32);
  });

  it('luminary: vendor IDs, 16-entry FIFOs', () => {
    const s = uart('luminary');
    expect(ids(s)).toEqual([0x11, 0x00, 0x18, 0x01, 0x0d, 0xf0, 0x05, 0xb1]);
    expect(s.capacity).toBe(16);
  });

  it('ID writes are read-only guest errors and change nothing', () => {
    const s = uart();
    expect(s.write(0xfe8, 0xff, 0)).toBe(0);
    expect(s.read(0xfe8, 0)).toBe(0x14);
    expect(logs).toHaveLength(1);
    expect(logs[0].message).toContain('PERIPHID2');
  });
});

describe('registers', () => {
  it('ILPR keeps 8 bits, IBRD 16, FBRD 6', () => {
    const s = uart();
    s.write(ILPR, 0x1234, 0);
    s.write(IBRD, 0x12345, 0);
    s.write(FBRD, 0xff, 0);
    expect(s.read(ILPR, 0)).toBe(0x34);
    expect(s.read(IBRD, 0)).toBe(0x2345);
    expect(s.read(FBRD, 0)).toBe(0x3f);
  });

  it('IBRD and FBRD writes report a baud change', () => {
    const s = uart();
    expect(s.write(IBRD, 13, 0) & Effect.BAUD).not.toBe(0);
    expect(s.write(FBRD, 1, 0) & Effect.BAUD).not.toBe(0);
  });

  it('LCR_H and CR read back what was written', () => {
    const s = uart();
    s.write(LCR_H, 0xee, 0);
    expect(s.read(LCR_H, 0)).toBe(0xee);
    s.write(CR, 0xff87, 0);
    expect(s.read(CR, 0)).toBe(0xff87);
  });

  it('IMSC masks RIS into MIS', () => {
    const s = enabled();
    fill(s, [0x55], 0);
    s.rxTimeoutExpired(s.rtDeadline);
    expect(s.read(RIS, 0) & (INT.RX | INT.RT)).toBe(INT.RT);
    expect(s.read(MIS, 0)).toBe(0);
    expect(s.write(IMSC, INT.RT, 0) & Effect.IRQ).not.toBe(0);
    expect(s.read(MIS, 0)).toBe(INT.RT);
    expect(s.irqLevel(0)).toBe(true);
    expect(s.irqLevel(3)).toBe(true);
    expect(s.irqLevel(1)).toBe(false);
  });

  it('ICR clears the written bits and reads as zero', () => {
    const s = enabled();
    s.write(CR, UARTEN | TXE | RXE | LBE, 0);
    s.write(CR, UARTEN | TXE | RXE | LBE | RTS | DTR, 0);
    expect(s.read(RIS, 0) & (INT.CTS | INT.DSR)).toBe(INT.CTS | INT.DSR);
    s.write(ICR, INT.CTS, 0);
    expect(s.read(RIS, 0) & (INT.CTS | INT.DSR)).toBe(INT.DSR);
    expect(s.read(ICR, 0)).toBe(0);
  });

  it('any write to ECR clears the receive status', () => {
    const s = enabled();
    s.receive(0x21, DR_FE | DR_PE, 0);
    s.read(DR, 0);
    expect(s.read(RSR, 0)).toBe(0b0011);
    s.write(RSR, 0, 0);
    expect(s.read(RSR, 0)).toBe(0);
  });

  it('DMACR is stored; enabling DMA is logged as unimplemented', () => {
    const s = uart();
    s.write(DMACR, 0x7, 0);
    expect(s.read(DMACR, 0)).toBe(0x7);
    expect(logs.map((r) => r.mask)).toEqual(['unimp']);
    logs = [];
    s.write(DMACR, 0x4, 0);
    expect(logs).toEqual([]);
  });

  it('FR, RIS and MIS are read-only: writes are guest errors and change nothing', () => {
    const s = enabled();
    const ris = s.read(RIS, 0);
    for (const offset of [FR_OFF, RIS, MIS]) s.write(offset, 0xffff, 0);
    expect(s.read(FR_OFF, 0)).toBe(FR.RXFE | FR.TXFE);
    expect(s.read(RIS, 0)).toBe(ris);
    expect(logs.map((r) => r.message)).toEqual([
      expect.stringContaining('read-only register FR'),
      expect.stringContaining('read-only register RIS'),
      expect.stringContaining('read-only register MIS'),
    ]);
    expect(logs.every((r) => r.mask === 'guest_errors' && r.source === '/machine/uart0')).toBe(true);
  });

  it('undefined offsets read 0 and are logged with the device path and offset', () => {
    const s = uart();
    for (const offset of [0x008, 0x00c, 0x010, 0x014, 0x01c, 0x04c, 0x100, 0xfdc]) {
      expect(s.read(offset, 0)).toBe(0);
      s.write(offset, 1, 0);
    }
    expect(logs).toHaveLength(16);
    expect(logs[0]).toEqual({
      mask: 'guest_errors',
      source: '/machine/uart0',
      message: expect.stringContaining('0x008'),
    });
    expect(logs[15].message).toContain('0xfdc');
  });
});

describe('FIFOs', () => {
  it('16 entries with FEN (r1p4): RXFF when full, RXFE when empty, order kept', () => {
    const s = enabled();
    expect(s.canReceive()).toBe(16);
    fill(
      s,
      Array.from({ length: 16 }, (_, i) => i + 1),
    );
    expect(s.read(FR_OFF, 0) & (FR.RXFF | FR.RXFE)).toBe(FR.RXFF);
    expect(s.canReceive()).toBe(0);
    const out = Array.from({ length: 16 }, () => s.read(DR, 0));
    expect(out).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(s.read(FR_OFF, 0) & FR.RXFE).toBe(FR.RXFE);
  });

  it('32 entries with revision r1p5', () => {
    const s = enabled('r1p5');
    expect(s.canReceive()).toBe(32);
    fill(
      s,
      Array.from({ length: 32 }, (_, i) => 0x80 + i),
    );
    expect(s.read(FR_OFF, 0) & FR.RXFF).toBe(FR.RXFF);
    expect(s.read(DR, 0)).toBe(0x80);
    for (let i = 0; i < 31; i++) s.read(DR, 0);
    expect(s.readCount).toBe(0);
  });

  it('the ring wraps around without losing order', () => {
    const s = enabled();
    const seen: number[] = [];
    let next = 0;
    for (let round = 0; round < 10; round++) {
      fill(s, [next++, next++, next++, next++, next++]);
      for (let i = 0; i < 5; i++) seen.push(s.read(DR, 0) & 0xff);
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('without FEN both FIFOs are one entry deep', () => {
    const s = uart();
    s.write(CR, UARTEN | TXE | RXE, 0);
    expect(s.canReceive()).toBe(1);
    fill(s, [0x61]);
    expect(s.read(FR_OFF, 0) & FR.RXFF).toBe(FR.RXFF);
    expect(s.canReceive()).toBe(0);
    s.write(DR, 0x41, 0);
    expect(s.read(FR_OFF, 0) & FR.TXFF).toBe(FR.TXFF);
  });

  it('toggling FEN empties both FIFOs', () => {
    const s = enabled();
    fill(s, [1, 2, 3]);
    s.write(DR, 0x41, 0);
    const effects = s.write(LCR_H, WLEN_8, 0);
    expect(s.readCount).toBe(0);
    expect(s.txCount).toBe(0);
    expect(effects & Effect.RX_SPACE).not.toBe(0);
    fill(s, [4]);
    s.write(LCR_H, WLEN_8 | FEN, 0);
    expect(s.readCount).toBe(0);
  });

  it('rewriting LCR_H with FEN unchanged keeps the FIFOs', () => {
    const s = enabled();
    fill(s, [1, 2, 3]);
    s.write(LCR_H, WLEN_8 | FEN, 0);
    expect(s.readCount).toBe(3);
  });

  it('TX: FR.TXFE, BUSY and TXFF follow the TX FIFO', () => {
    const s = enabled();
    const effects = s.write(DR, 0x41, 0);
    expect(effects & Effect.TX).not.toBe(0);
    expect(s.read(FR_OFF, 0) & (FR.TXFE | FR.BUSY | FR.TXFF)).toBe(FR.BUSY);
    for (let i = 1; i < 16; i++) s.write(DR, 0x41 + i, 0);
    expect(s.read(FR_OFF, 0) & (FR.TXFE | FR.TXFF)).toBe(FR.TXFF);
    const peek = new Uint8Array(32);
    expect(s.txPeek(peek)).toBe(16);
    expect([...peek.subarray(0, 3)]).toEqual([0x41, 0x42, 0x43]);
    s.txCommit(16);
    expect(s.read(FR_OFF, 0) & (FR.TXFE | FR.BUSY)).toBe(FR.TXFE);
  });

  it('a DR write into a full TX FIFO is a guest error and is not queued', () => {
    const s = enabled();
    for (let i = 0; i < 17; i++) s.write(DR, i, 0);
    expect(s.txCount).toBe(16);
    expect(logs.map((r) => r.message)).toEqual([expect.stringContaining('TX FIFO is full')]);
  });
});

describe('trigger levels (IFLS)', () => {
  const rxLevel = (s: Pl011State): number => {
    // Smallest fill that raises the RX interrupt.
    for (let n = 1; n <= s.depth; n++) {
      s.receive(n, 0, 0);
      if ((s.read(RIS, 0) & INT.RX) !== 0) return n;
    }
    return -1;
  };

  it('RX: 1/8, 1/4, 1/2, 3/4, 7/8 of 16 entries', () => {
    const levels = [0, 1, 2, 3, 4].map((sel) => {
      const s = enabled();
      s.write(IFLS, sel << 3, 0);
      return rxLevel(s);
    });
    expect(levels).toEqual([2, 4, 8, 12, 14]);
  });

  it('RX: the same fractions of 32 entries for r1p5', () => {
    const levels = [0, 1, 2, 3, 4].map((sel) => {
      const s = enabled('r1p5');
      s.write(IFLS, sel << 3, 0);
      return rxLevel(s);
    });
    expect(levels).toEqual([4, 8, 16, 24, 28]);
  });

  it('RX without FIFO: one character raises it', () => {
    const s = uart();
    s.write(CR, UARTEN | TXE | RXE, 0);
    expect(rxLevel(s)).toBe(1);
  });

  it('RX interrupt clears when the FIFO drops below the level', () => {
    const s = enabled(); // IFLS 0x12: RX at 8
    fill(s, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s.read(RIS, 0) & INT.RX).toBe(INT.RX);
    s.read(DR, 0);
    expect(s.read(RIS, 0) & INT.RX).toBe(INT.RX);
    s.read(DR, 0);
    expect(s.read(RIS, 0) & INT.RX).toBe(0);
  });

  it('TX interrupt while the TX FIFO is at or below its level, cleared above it', () => {
    const s = enabled(); // TX level 1/2: 8 entries
    for (let i = 0; i < 8; i++) s.write(DR, i, 0);
    expect(s.read(RIS, 0) & INT.TX).toBe(INT.TX);
    s.write(DR, 8, 0);
    expect(s.read(RIS, 0) & INT.TX).toBe(0);
    s.txCommit(1);
    expect(s.read(RIS, 0) & INT.TX).toBe(INT.TX);
  });

  it('TX levels follow IFLS.TXIFLSEL', () => {
    const levels = [0, 1, 2, 3, 4].map((sel) => {
      const s = enabled();
      s.write(IFLS, sel, 0);
      for (let i = 0; i < 16; i++) s.write(DR, i, 0);
      let n = 16;
      while ((s.read(RIS, 0) & INT.TX) === 0) {
        s.txCommit(1);
        n--;
      }
      return n;
    });
    expect(levels).toEqual([2, 4, 8, 12, 14]);
  });

  it('TX without FIFO: interrupt when the holding register is empty', () => {
    const s = uart();
    s.write(CR, UARTEN | TXE | RXE, 0);
    s.write(DR, 0x41, 0);
    expect(s.read(RIS, 0) & INT.TX).toBe(0);
    s.txCommit(1);
    expect(s.read(RIS, 0) & INT.TX).toBe(INT.TX);
  });

  it('ICR clears TX until the FIFO level changes again', () => {
    const s = enabled();
    s.write(DR, 1, 0);
    s.write(ICR, INT.TX, 0);
    expect(s.read(RIS, 0) & INT.TX).toBe(0);
    s.txCommit(1);
    expect(s.read(RIS, 0) & INT.TX).toBe(INT.TX);
  });

  it('reserved levels are guest errors and behave as 1/2', () => {
    const s = enabled();
    s.write(IFLS, 7 << 3, 0);
    expect(logs).toHaveLength(1);
    expect(rxLevel(s)).toBe(8);
  });
});

describe('receive timeout (RT)', () => {
  it('is armed 32 bit periods after each character and fires only with data waiting', () => {
    const s = enabled();
    // UARTCLK 24 MHz; divisor 13 + 1/64 (Linux's 115200): bit = 16 * 13.015625 / 24 MHz.
    s.setClockPeriod(Math.floor((1e9 * 2 ** 32) / 24e6));
    s.write(IBRD, 13, 0);
    s.write(FBRD, 1, 0);
    s.write(LCR_H, WLEN_8 | FEN, 0);
    const bitNs = (16 * (13 + 1 / 64) * 1e9) / 24e6;
    s.receive(0x61, 0, 1000);
    expect(s.takeEffects() & Effect.RT_TIMER).not.toBe(0);
    expect(Math.abs(s.rtDeadline - (1000 + 32 * bitNs))).toBeLessThan(2);
    s.receive(0x62, 0, 5000);
    expect(Math.abs(s.rtDeadline - (5000 + 32 * bitNs))).toBeLessThan(2);
    s.rxTimeoutExpired(s.rtDeadline - 1);
    expect(s.read(RIS, 0) & INT.RT).toBe(0);
    s.rxTimeoutExpired(s.rtDeadline);
    expect(s.read(RIS, 0) & INT.RT).toBe(INT.RT);
    expect(s.rtDeadline).toBe(-1);
  });

  it('reading DR clears RT and restarts the timeout while data remains', () => {
    const s = enabled();
    fill(s, [1, 2], 0);
    s.rxTimeoutExpired(s.rtDeadline);
    expect(s.read(RIS, 0) & INT.RT).toBe(INT.RT);
    s.read(DR, 100_000);
    expect(s.read(RIS, 0) & INT.RT).toBe(0);
    expect(s.rtDeadline).toBe(100_000 + s.rxTimeoutNs());
    s.read(DR, 200_000);
    expect(s.rtDeadline).toBe(-1);
  });

  it('ICR clears RT', () => {
    const s = enabled();
    fill(s, [1], 0);
    s.rxTimeoutExpired(s.rtDeadline);
    s.write(ICR, INT.RT, 0);
    expect(s.read(RIS, 0) & INT.RT).toBe(0);
  });

  it('without a programmed divisor the timeout is timed at 115200 baud', () => {
    const s = enabled();
    expect(s.rxTimeoutNs()).toBe(Math.ceil((32 * 1e9) / 115200));
  });
});

describe('flow control', () => {
  it('no input while the UART or its receiver is disabled', () => {
    const s = uart();
    expect(s.canReceive()).toBe(0); // reset: RXE but not UARTEN
    s.write(CR, UARTEN | TXE, 0);
    expect(s.canReceive()).toBe(0);
    const effects = s.write(CR, UARTEN | TXE | RXE, 0);
    expect(effects & Effect.RX_SPACE).not.toBe(0);
    expect(s.canReceive()).toBe(1);
  });

  it('canReceive is the free RX FIFO space; reading DR asks for more input', () => {
    const s = enabled();
    fill(s, [1, 2, 3, 4, 5]);
    expect(s.canReceive()).toBe(11);
    s.read(DR, 0);
    expect(s.takeEffects() & Effect.RX_SPACE).not.toBe(0);
    expect(s.canReceive()).toBe(12);
  });
});

describe('errors', () => {
  it('overrun: the FIFO keeps its contents and the newest entry gets OE', () => {
    const s = enabled();
    fill(
      s,
      Array.from({ length: 17 }, (_, i) => i),
    );
    expect(s.read(RIS, 0) & INT.OE).toBe(INT.OE);
    const out = Array.from({ length: 16 }, () => s.read(DR, 0));
    expect(out.slice(0, 15)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(out[15]).toBe(15 | DR_OE);
    expect(s.read(RSR, 0)).toBe(0b1000);
  });

  it('break: a zero character with BE and the BE interrupt', () => {
    const s = enabled();
    s.receiveBreak(0);
    expect(s.read(RIS, 0) & INT.BE).toBe(INT.BE);
    expect(s.read(DR, 0)).toBe(DR_BE);
    expect(s.read(RSR, 0)).toBe(0b0100);
  });

  it('framing and parity errors from the backend reach DR, RSR and RIS', () => {
    const s = enabled();
    s.receive(0x31, DR_FE, 0);
    s.receive(0x32, DR_PE, 0);
    expect(s.read(RIS, 0) & (INT.FE | INT.PE)).toBe(INT.FE | INT.PE);
    expect(s.read(DR, 0)).toBe(0x31 | DR_FE);
    expect(s.read(RSR, 0)).toBe(0b0001);
    expect(s.read(DR, 0)).toBe(0x32 | DR_PE);
    expect(s.read(RSR, 0)).toBe(0b0010);
  });

  it('a break while the receiver is disabled is ignored', () => {
    const s = uart();
    s.receiveBreak(0);
    expect(s.readCount).toBe(0);
    expect(s.read(RIS, 0)).toBe(0);
  });
});

describe('transmit while disabled', () => {
  it('DR writes with UARTEN clear are logged and still transmitted', () => {
    const s = uart();
    s.write(DR, 0x41, 0);
    expect(s.txCount).toBe(1);
    expect(logs).toEqual([
      { mask: 'guest_errors', source: '/machine/uart0', message: expect.stringContaining('0x000: DR written') },
    ]);
  });

  it('DR writes with TXE clear are logged', () => {
    const s = uart();
    s.write(CR, UARTEN | RXE, 0);
    s.write(DR, 0x41, 0);
    expect(logs[0].message).toContain('TXE=0');
  });

  it('a break holds the transmitter', () => {
    const s = enabled();
    s.write(DR, 0x41, 0);
    expect(s.txCanMove).toBe(true);
    expect(s.write(LCR_H, WLEN_8 | FEN | BRK, 0) & Effect.BREAK).not.toBe(0);
    expect(s.txCanMove).toBe(false);
    expect(s.write(LCR_H, WLEN_8 | FEN, 0) & (Effect.BREAK | Effect.TX)).toBe(Effect.BREAK | Effect.TX);
    expect(s.txCanMove).toBe(true);
  });
});

describe('loopback', () => {
  it('holds external input and moves transmitted characters into the receiver', () => {
    const s = enabled();
    s.write(CR, UARTEN | TXE | RXE | LBE, 0);
    expect(s.canReceive()).toBe(0);
    s.write(DR, 0x5a, 0);
    s.write(DR, 0xa5, 0);
    expect(s.loopbackTransmit(16, 0)).toBe(2);
    expect(s.read(DR, 0)).toBe(0x5a);
    expect(s.read(DR, 0)).toBe(0xa5);
  });

  it('a break enters the receiver as a zero character with BE', () => {
    const s = enabled();
    s.write(CR, UARTEN | TXE | RXE | LBE, 0);
    s.write(LCR_H, WLEN_8 | FEN | BRK, 0);
    expect(s.read(DR, 0)).toBe(DR_BE);
    expect(s.read(RIS, 0) & INT.BE).toBe(INT.BE);
  });

  it('maps OUT2->RI, OUT1->DCD, RTS->CTS, DTR->DSR with an MS interrupt per change', () => {
    const cases = [
      { out: OUT2, fr: FR.RI, int: INT.RI },
      { out: OUT1, fr: FR.DCD, int: INT.DCD },
      { out: RTS, fr: FR.CTS, int: INT.CTS },
      { out: DTR, fr: FR.DSR, int: INT.DSR },
    ];
    for (const c of cases) {
      const s = enabled();
      s.write(CR, UARTEN | TXE | RXE | LBE, 0);
      expect(s.read(FR_OFF, 0) & 0x107).toBe(0);
      s.write(CR, UARTEN | TXE | RXE | LBE | c.out, 0);
      expect(s.read(FR_OFF, 0) & 0x107).toBe(c.fr);
      expect(s.read(RIS, 0) & 0xf).toBe(c.int);
      s.write(ICR, 0xf, 0);
      s.write(CR, UARTEN | TXE | RXE | LBE, 0);
      expect(s.read(FR_OFF, 0) & 0x107).toBe(0);
      expect(s.read(RIS, 0) & 0xf, 'falling edge too').toBe(c.int);
    }
  });

  it('modem outputs are not looped without LBE; external inputs show instead', () => {
    const s = enabled();
    s.write(CR, UARTEN | TXE | RXE | RTS | DTR | OUT1 | OUT2, 0);
    expect(s.read(FR_OFF, 0) & 0x107).toBe(0);
    expect(s.setModemInputs(FR.CTS | FR.DCD) & Effect.IRQ).not.toBe(0);
    expect(s.read(FR_OFF, 0) & 0x107).toBe(FR.CTS | FR.DCD);
    expect(s.read(RIS, 0) & 0xf).toBe(INT.CTS | INT.DCD);
  });

  it('entering loopback with the lines as they are raises MS for what changes', () => {
    const s = enabled();
    s.setModemInputs(FR.CTS);
    s.write(ICR, 0x7ff, 0);
    s.write(CR, UARTEN | TXE | RXE | LBE | RTS, 0);
    expect(s.read(RIS, 0) & 0xf).toBe(0);
    s.write(CR, UARTEN | TXE | RXE | LBE, 0);
    expect(s.read(RIS, 0) & 0xf).toBe(INT.CTS);
  });
});

describe('baud rate', () => {
  it('follows UARTCLK and the divisor as QEMU reports it', () => {
    const s = uart();
    expect(s.baudRate()).toBe(0);
    expect(s.setClockPeriod(Math.floor((1e9 * 2 ** 32) / 24e6)) & Effect.BAUD).not.toBe(0);
    s.write(IBRD, 13, 0);
    s.write(FBRD, 1, 0);
    // floor(24e6 / 833) * 4 (QEMU's pl011_get_baudrate).
    expect(s.baudRate()).toBe(Math.floor(24e6 / 833) * 4);
  });

  it('a frame is start + data + parity + stop bits', () => {
    const s = uart();
    s.setClockPeriod(Math.floor((1e9 * 2 ** 32) / 24e6));
    s.write(IBRD, 13, 0);
    s.write(FBRD, 1, 0);
    s.write(LCR_H, WLEN_8, 0);
    expect(s.frameNs() / s.bitNs()).toBeCloseTo(10, 9);
    s.write(LCR_H, (1 << 5) | (1 << 1) | (1 << 3), 0); // 6 bits, parity, 2 stop bits
    expect(s.frameNs() / s.bitNs()).toBeCloseTo(10, 9);
    s.write(LCR_H, 0, 0);
    expect(s.frameNs() / s.bitNs()).toBeCloseTo(7, 9);
  });
});

describe('peek (inspector view)', () => {
  it('shows every register without side effects', () => {
    const s = enabled();
    fill(s, [0x41, 0x42]);
    s.takeEffects();
    expect(s.peek(DR)).toBe(0x41);
    expect(s.peek(DR)).toBe(0x41);
    expect(s.readCount).toBe(2);
    expect(s.peek(CR)).toBe(UARTEN | TXE | RXE);
    expect(s.peek(FR_OFF) & FR.RXFE).toBe(0);
    expect(s.peek(0xfe0)).toBe(0x11);
    expect(s.peek(0x008)).toBe(0);
    expect(s.takeEffects()).toBe(0);
    expect(logs).toEqual([]);
  });
});

describe('load checks', () => {
  it('rejects RX positions and counts outside the FIFO', () => {
    const s = enabled();
    s.readPos = 16;
    expect(s.checkLoaded()).toMatch(/read_pos 16/);
    s.readPos = 0;
    s.readCount = 17;
    expect(s.checkLoaded()).toMatch(/read_count 17/);
    s.readCount = -1;
    expect(s.checkLoaded()).toMatch(/read_count -1/);
    s.readCount = 2;
    expect(s.checkLoaded()).toBeUndefined();
  });

  it('rejects TX positions and counts outside the FIFO', () => {
    const s = enabled();
    s.txPos = 40;
    expect(s.checkLoaded()).toMatch(/TX FIFO position 40/);
    s.txPos = 0;
    s.txCount = 20;
    expect(s.checkLoaded()).toMatch(/TX FIFO count 20/);
  });

  it('r1p5 accepts positions up to 31', () => {
    const s = enabled('r1p5');
    s.readPos = 31;
    s.readCount = 32;
    expect(s.checkLoaded()).toBeUndefined();
  });
});
