/**
 * PL011 register map, from the ARM PrimeCell UART (PL011) Technical Reference Manual (DDI 0183, r1p4/r1p5),
 * chapter 3 "Programmers Model". One declaration serves MMIO dispatch, the tests and the inspector.
 */
import { defineRegisters } from '../../../core/bits';

/** Size of the register block (TRM, summary of registers). */
export const PL011_MMIO_SIZE = 0x1000;

export const PL011_REGS = defineRegisters({
  // UARTDR: read returns the oldest RX entry with its error bits; write queues a character.
  DR: {
    offset: 0x000,
    access: 'rw',
    doc: 'data (read: oldest RX entry and its errors; write: transmit)',
    fields: { DATA: [7, 0], FE: 8, PE: 9, BE: 10, OE: 11 },
  },
  // UARTRSR/UARTECR: errors of the last character read; any write clears them (ECR).
  RSR: {
    offset: 0x004,
    access: 'rw',
    doc: 'receive status (read) / error clear (write)',
    fields: { FE: 0, PE: 1, BE: 2, OE: 3 },
  },
  FR: {
    offset: 0x018,
    access: 'r',
    reset: 0x90,
    doc: 'flags',
    fields: { CTS: 0, DSR: 1, DCD: 2, BUSY: 3, RXFE: 4, TXFF: 5, RXFF: 6, TXFE: 7, RI: 8 },
  },
  ILPR: { offset: 0x020, doc: 'IrDA low-power counter divisor', fields: { ILPDVSR: [7, 0] } },
  // UARTIBRD / UARTFBRD: baud divisor = IBRD + FBRD / 64, in units of 16 UARTCLK periods.
  IBRD: { offset: 0x024, doc: 'integer baud rate divisor', fields: { BAUD_DIVINT: [15, 0] } },
  FBRD: { offset: 0x028, doc: 'fractional baud rate divisor', fields: { BAUD_DIVFRAC: [5, 0] } },
  LCR_H: {
    offset: 0x02c,
    doc: 'line control',
    fields: { BRK: 0, PEN: 1, EPS: 2, STP2: 3, FEN: 4, WLEN: [6, 5], SPS: 7 },
  },
  CR: {
    offset: 0x030,
    reset: 0x300,
    doc: 'control',
    fields: {
      UARTEN: 0,
      SIREN: 1,
      SIRLP: 2,
      LBE: 7,
      TXE: 8,
      RXE: 9,
      DTR: 10,
      RTS: 11,
      OUT1: 12,
      OUT2: 13,
      RTSEN: 14,
      CTSEN: 15,
    },
  },
  // UARTIFLS: 0 = 1/8, 1 = 1/4, 2 = 1/2, 3 = 3/4, 4 = 7/8 full; 5..7 reserved.
  IFLS: {
    offset: 0x034,
    reset: 0x12,
    doc: 'FIFO interrupt level select',
    fields: { TXIFLSEL: [2, 0], RXIFLSEL: [5, 3] },
  },
  // UARTIMSC, UARTRIS, UARTMIS and UARTICR share the interrupt bit layout below.
  IMSC: { offset: 0x038, doc: 'interrupt mask set/clear', fields: interruptFields() },
  RIS: { offset: 0x03c, access: 'r', doc: 'raw interrupt status', fields: interruptFields() },
  MIS: { offset: 0x040, access: 'r', doc: 'masked interrupt status', fields: interruptFields() },
  ICR: { offset: 0x044, access: 'w1c', doc: 'interrupt clear', fields: interruptFields() },
  DMACR: { offset: 0x048, doc: 'DMA control', fields: { RXDMAE: 0, TXDMAE: 1, DMAONERR: 2 } },
  // UARTPeriphID0-3 and UARTPCellID0-3: their values depend on the revision (see PL011_IDS).
  PERIPHID0: { offset: 0xfe0, access: 'r', width: 8, doc: 'peripheral ID 0 (part number 7:0)' },
  PERIPHID1: { offset: 0xfe4, access: 'r', width: 8, doc: 'peripheral ID 1 (designer 3:0, part number 11:8)' },
  PERIPHID2: { offset: 0xfe8, access: 'r', width: 8, doc: 'peripheral ID 2 (revision 7:4, designer 7:4)' },
  PERIPHID3: { offset: 0xfec, access: 'r', width: 8, doc: 'peripheral ID 3 (configuration)' },
  PCELLID0: { offset: 0xff0, access: 'r', width: 8, reset: 0x0d, doc: 'PrimeCell ID 0' },
  PCELLID1: { offset: 0xff4, access: 'r', width: 8, reset: 0xf0, doc: 'PrimeCell ID 1' },
  PCELLID2: { offset: 0xff8, access: 'r', width: 8, reset: 0x05, doc: 'PrimeCell ID 2' },
  PCELLID3: { offset: 0xffc, access: 'r', width: 8, reset: 0xb1, doc: 'PrimeCell ID 3' },
});

/** The interrupt bits shared by IMSC, RIS, MIS and ICR (TRM, UARTIMSC). */
function interruptFields() {
  return { RI: 0, CTS: 1, DCD: 2, DSR: 3, RX: 4, TX: 5, RT: 6, FE: 7, PE: 8, BE: 9, OE: 10 } as const;
}

/** Interrupt bit masks, as plain constants for the hot paths. */
export const INT = {
  RI: 1 << 0,
  CTS: 1 << 1,
  DCD: 1 << 2,
  DSR: 1 << 3,
  RX: 1 << 4,
  TX: 1 << 5,
  RT: 1 << 6,
  FE: 1 << 7,
  PE: 1 << 8,
  BE: 1 << 9,
  OE: 1 << 10,
} as const;

/** Every defined interrupt bit. */
export const INT_ALL = 0x7ff;
/** The modem status interrupts (output UARTMSINTR). */
export const INT_MS = INT.RI | INT.CTS | INT.DCD | INT.DSR;
/** The error interrupts (output UARTEINTR). */
export const INT_E = INT.FE | INT.PE | INT.BE | INT.OE;

/** DR error bits of an RX entry (bits 8..11); RSR holds the same four bits at 0..3. */
export const DR_FE = 1 << 8;
export const DR_PE = 1 << 9;
export const DR_BE = 1 << 10;
export const DR_OE = 1 << 11;

export const FR = PL011_REGS.FR.fields;
export const LCR_H = PL011_REGS.LCR_H.fields;
export const CR = PL011_REGS.CR.fields;

/**
 * The six interrupt outputs, in QEMU's order: 0 UARTINTR (combined), 1 UARTRXINTR, 2 UARTTXINTR,
 * 3 UARTRTINTR, 4 UARTMSINTR, 5 UARTEINTR. Each is MIS & its mask.
 */
export const IRQ_OUTPUTS = [
  { name: 'intr', mask: INT_ALL },
  { name: 'rxintr', mask: INT.RX },
  { name: 'txintr', mask: INT.TX },
  { name: 'rtintr', mask: INT.RT },
  { name: 'msintr', mask: INT_MS },
  { name: 'eintr', mask: INT_E },
] as const;

/** Revisions and variants with their identification bytes (PeriphID0..3) and FIFO depth. */
export const PL011_IDS = {
  /** ARM PL011 r1p4 (TRM DDI 0183G): revision field 2. QEMU's default. */
  r1p4: { periphId: [0x11, 0x10, 0x14, 0x00], fifoDepth: 16 },
  /** ARM PL011 r1p5 (TRM DDI 0183G, r1p5): revision field 3, 32-entry FIFOs. */
  r1p5: { periphId: [0x11, 0x10, 0x34, 0x00], fifoDepth: 32 },
  /** Texas Instruments (Luminary Micro) Stellaris UART: vendor IDs, 16-entry FIFOs. */
  luminary: { periphId: [0x11, 0x00, 0x18, 0x01], fifoDepth: 16 },
} as const;

export type Pl011Model = keyof typeof PL011_IDS;

/** PrimeCell ID bytes (TRM, UARTPCellID0-3), the same for every revision. */
export const PL011_CELL_ID = [0x0d, 0xf0, 0x05, 0xb1] as const;

/** Offset of the first identification register. */
export const PL011_ID_BASE = 0xfe0;

/** The registers with behaviour (the identification registers decode separately). */
export type Pl011Register =
  'DR' | 'RSR' | 'FR' | 'ILPR' | 'IBRD' | 'FBRD' | 'LCR_H' | 'CR' | 'IFLS' | 'IMSC' | 'RIS' | 'MIS' | 'ICR' | 'DMACR';

/** What a 32-bit aligned offset in the block addresses. */
export type Pl011Offset =
  | { readonly kind: 'register'; readonly name: Pl011Register; readonly offset: number }
  | { readonly kind: 'id'; readonly name: string; readonly index: number; readonly offset: number }
  | { readonly kind: 'unknown'; readonly offset: number };

const DECODED = new Map<number, Pl011Offset>();
for (const name of [
  'DR',
  'RSR',
  'FR',
  'ILPR',
  'IBRD',
  'FBRD',
  'LCR_H',
  'CR',
  'IFLS',
  'IMSC',
  'RIS',
  'MIS',
  'ICR',
  'DMACR',
] as const) {
  DECODED.set(PL011_REGS[name].offset, { kind: 'register', name, offset: PL011_REGS[name].offset });
}
for (let index = 0; index < 8; index++) {
  const offset = PL011_ID_BASE + index * 4;
  DECODED.set(offset, { kind: 'id', name: PL011_REGS.byOffset(offset)?.name ?? '', index, offset });
}

/** Decodes an offset (preallocated results: no allocation on the MMIO path for defined registers). */
export function decodeOffset(offset: number): Pl011Offset {
  return DECODED.get(offset) ?? { kind: 'unknown', offset };
}
