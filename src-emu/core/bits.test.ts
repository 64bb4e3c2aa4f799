import { describe, expect, it } from 'vitest';
import { defineRegisters, deposit32, extract32, fieldMask, hi32, joinU64, lo32, sextract32 } from './bits';

describe('bit helpers', () => {
  it('extract32 takes unsigned fields', () => {
    expect(extract32(0xf0f0_1234, 4, 8)).toBe(0x23);
    expect(extract32(0x8000_0000, 31, 1)).toBe(1);
    expect(extract32(0xdead_beef, 0, 32)).toBe(0xdead_beef);
    expect(extract32(-1, 28, 4)).toBe(0xf);
  });

  it('sextract32 sign-extends from the top bit of the field', () => {
    expect(sextract32(0x0000_0f00, 8, 4)).toBe(-1);
    expect(sextract32(0x0000_0700, 8, 4)).toBe(7);
    expect(sextract32(0x8000_0000, 0, 32)).toBe(-0x8000_0000);
    expect(sextract32(0x0000_0080, 0, 8)).toBe(-128);
  });

  it('deposit32 replaces only the field, truncating the new value', () => {
    expect(deposit32(0xffff_ffff, 8, 4, 0)).toBe(0xffff_f0ff);
    expect(deposit32(0, 8, 4, 0x1f)).toBe(0x0000_0f00);
    expect(deposit32(0x1234_5678, 0, 32, 0xcafe_babe)).toBe(0xcafe_babe);
    expect(deposit32(0, 31, 1, 1)).toBe(0x8000_0000);
  });

  it('fieldMask and 64-bit halves', () => {
    expect(fieldMask(4, 3)).toBe(0x70);
    expect(fieldMask(0, 32)).toBe(0xffff_ffff);
    expect(joinU64(0x89ab_cdef, 0x0012_3456)).toBe(0x0012_3456_89ab_cdef);
    expect(joinU64(-1, 0)).toBe(0xffff_ffff);
    expect(lo32(0x0012_3456_89ab_cdef)).toBe(0x89ab_cdef);
    expect(hi32(0x0012_3456_89ab_cdef)).toBe(0x0012_3456);
  });
});

// The PL011 line control register (PL011 TRM, UARTLCR_H): BRK 0, PEN 1, EPS 2, STP2 3, FEN 4, WLEN 6:5, SPS 7.
const UART = defineRegisters({
  DR: { offset: 0x000, access: 'rw', doc: 'data', fields: { DATA: [7, 0], FE: 8, PE: 9, BE: 10, OE: 11 } },
  LCR_H: {
    offset: 0x02c,
    reset: 0,
    fields: {
      BRK: 0,
      PEN: 1,
      EPS: 2,
      STP2: 3,
      FEN: { bits: 4, doc: 'FIFO enable' },
      WLEN: { bits: [6, 5], doc: 'word length' },
      SPS: 7,
    },
  },
  CR: { offset: 0x030, reset: 0x300, fields: { UARTEN: 0, TXE: 8, RXE: 9 } },
  ICR: { offset: 0x044, access: 'w1c', width: 16 },
  PERIPHID0: { offset: 0xfe0, access: 'r', reset: 0x11, width: 8 },
});

describe('defineRegisters', () => {
  it('exposes offsets, reset values, access and masks as constants', () => {
    expect(UART.CR.offset).toBe(0x30);
    expect(UART.CR.reset).toBe(0x300);
    expect(UART.CR.access).toBe('rw');
    expect(UART.ICR.access).toBe('w1c');
    expect(UART.ICR.width).toBe(16);
    expect(UART.PERIPHID0.width).toBe(8);
    expect(UART.LCR_H.fields.FEN).toBe(0x10);
    expect(UART.LCR_H.fields.WLEN).toBe(0x60);
    expect(UART.LCR_H.shift.WLEN).toBe(5);
    expect(UART.DR.fields.DATA).toBe(0xff);
    expect(UART.DR.fields.OE).toBe(0x800);
    expect(UART.DR.doc).toBe('data');
  });

  it('reads and writes fields by name', () => {
    const eightBitsFifo = UART.LCR_H.set(UART.LCR_H.fields.FEN, 'WLEN', 3);
    expect(eightBitsFifo).toBe(0x70);
    expect(UART.LCR_H.get(0x70, 'WLEN')).toBe(3);
    expect(UART.LCR_H.get(0x70, 'SPS')).toBe(0);
    expect(UART.LCR_H.field('WLEN')).toEqual({ name: 'WLEN', lo: 5, hi: 6, width: 2, mask: 0x60, doc: 'word length' });
  });

  it('looks registers up by offset', () => {
    expect(UART.byOffset(0x2c)).toBe(UART.LCR_H);
    expect(UART.byOffset(0x28)).toBeUndefined();
    expect(UART.list().map((r) => r.name)).toEqual(['DR', 'LCR_H', 'CR', 'ICR', 'PERIPHID0']);
  });

  it('decodes a live value into its fields for the inspector', () => {
    expect(UART.decodeFields(UART.LCR_H, 0x70)).toEqual([
      { name: 'BRK', value: 0, bits: '0', doc: '' },
      { name: 'PEN', value: 0, bits: '1', doc: '' },
      { name: 'EPS', value: 0, bits: '2', doc: '' },
      { name: 'STP2', value: 0, bits: '3', doc: '' },
      { name: 'FEN', value: 1, bits: '4', doc: 'FIFO enable' },
      { name: 'WLEN', value: 3, bits: '6:5', doc: 'word length' },
      { name: 'SPS', value: 0, bits: '7', doc: '' },
    ]);
    expect(UART.decodeFields(UART.ICR, 0xffff)).toEqual([]);
  });

  it('rejects inconsistent declarations', () => {
    expect(() => defineRegisters({ A: { offset: 0, fields: { X: [3, 0], Y: 2 } } })).toThrow(
      'register A: field Y overlaps another field',
    );
    expect(() => defineRegisters({ A: { offset: 0, width: 8, fields: { X: 8 } } })).toThrow(
      'register A: field X bits [8, 8] are outside 0..7',
    );
    expect(() => defineRegisters({ A: { offset: 0, fields: { X: [0, 3] } } })).toThrow(
      'register A: field X bits [0, 3] are outside 0..31',
    );
    expect(() => defineRegisters({ A: { offset: 0, width: 8, reset: 0x100 } })).toThrow(
      'register A: reset value 256 does not fit in 8 bits',
    );
    expect(() => defineRegisters({ A: { offset: 4 }, B: { offset: 4 } })).toThrow('registers A and B share offset 0x4');
    expect(() => defineRegisters({ list: { offset: 0 } })).toThrow("register name 'list' is reserved");
    expect(() => defineRegisters({ A: { offset: 0, width: 12 as 8 } })).toThrow(
      'register A: width 12 is not 8, 16, 32 or 64',
    );
  });
});
