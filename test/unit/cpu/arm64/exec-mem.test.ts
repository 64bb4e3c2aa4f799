// Loads and stores executed on the Cpu against a byte-array model of memory: every size, sign extension
// and addressing mode, unaligned and page-crossing addresses, pairs, SIMD&FP registers, exclusives.
import { describe, expect, it } from 'vitest';
import { DATA, assemble, getX, makeMachine, read64, runCases, setPc, setX } from './harness';
import type { InsnCase, Machine } from './harness';
import { Rng } from './reference';
import { StopReason } from '../../../../src-emu/cpu/arm64/state';

const rng = new Rng(77);
/** The model: 16 KiB of random bytes mapped at WINDOW. */
const WINDOW = DATA;
const SIZE = 0x4000;

function randomImage(): Uint8Array {
  const bytes = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) bytes[i] = rng.below(256);
  return bytes;
}

function loadImage(m: Machine, image: Uint8Array): void {
  m.bus.writeBytes(WINDOW, image);
}

function le(image: Uint8Array, offset: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(image[offset + i]);
  return v;
}

const sext = (v: bigint, bits: number): bigint => BigInt.asUintN(64, BigInt.asIntN(bits, v));

interface LoadForm {
  name: string;
  size: number;
  /** 32 or 64-bit destination and sign extension. */
  dest: 'w' | 'x';
  signed: boolean;
}

const LOADS: LoadForm[] = [
  { name: 'ldrb', size: 1, dest: 'w', signed: false },
  { name: 'ldrh', size: 2, dest: 'w', signed: false },
  { name: 'ldr', size: 4, dest: 'w', signed: false },
  { name: 'ldr', size: 8, dest: 'x', signed: false },
  { name: 'ldrsb', size: 1, dest: 'w', signed: true },
  { name: 'ldrsb', size: 1, dest: 'x', signed: true },
  { name: 'ldrsh', size: 2, dest: 'w', signed: true },
  { name: 'ldrsh', size: 2, dest: 'x', signed: true },
  { name: 'ldrsw', size: 4, dest: 'x', signed: true },
];

function loaded(form: LoadForm, image: Uint8Array, offset: number): bigint {
  const raw = le(image, offset, form.size);
  if (!form.signed) return raw;
  const v = sext(raw, form.size * 8);
  return form.dest === 'w' ? v & 0xffffffffn : v;
}

/** An offset in the window near a page boundary a quarter of the time, so accesses cross pages. */
function offsetInWindow(): number {
  return rng.below(4) === 0 ? 0x1ff8 + rng.below(8) : 0x800 + rng.below(0x2000);
}

function loadCase(form: LoadForm, image: Uint8Array): InsnCase {
  const mode = rng.below(6);
  const at = offsetInWindow();
  const unscaledName = form.name.replace('ldr', 'ldur');
  const t = `${form.dest}1`;
  const value = loaded(form, image, at);
  const before = (m: Machine): void => loadImage(m, image);
  switch (mode) {
    case 0: {
      const imm = rng.below(32) * form.size;
      const base = BigInt(WINDOW + at - imm);
      return { asm: `${form.name} ${t}, [x2, #${imm}]`, regs: { 2: base }, before, expect: { 1: value, 2: base } };
    }
    case 1: {
      const imm = rng.below(512) - 256;
      const base = BigInt(WINDOW + at - imm);
      return {
        asm: `${form.name} ${t}, [x2, #${imm}]!`,
        regs: { 2: base },
        before,
        expect: { 1: value, 2: base + BigInt(imm) },
      };
    }
    case 2: {
      const imm = rng.below(512) - 256;
      const base = BigInt(WINDOW + at);
      return {
        asm: `${form.name} ${t}, [x2], #${imm}`,
        regs: { 2: base },
        before,
        expect: { 1: value, 2: base + BigInt(imm) },
      };
    }
    case 3: {
      const imm = rng.below(512) - 256;
      const base = BigInt(WINDOW + at - imm);
      return { asm: `${unscaledName} ${t}, [x2, #${imm}]`, regs: { 2: base }, before, expect: { 1: value } };
    }
    case 4: {
      const scaled = rng.below(2) === 1;
      const shift = scaled ? Math.log2(form.size) : 0;
      const index = BigInt(rng.below(64)) << BigInt(shift);
      const base = BigInt(WINDOW + at) - index;
      const suffix = scaled ? `, lsl #${shift}` : '';
      return {
        asm: `${form.name} ${t}, [x2, x3${suffix}]`,
        regs: { 2: base, 3: index >> BigInt(shift) },
        before,
        expect: { 1: value },
      };
    }
    default: {
      // Negative 32-bit index, sign-extended.
      const shift = Math.log2(form.size);
      const steps = -BigInt(1 + rng.below(64));
      const base = BigInt(WINDOW + at) - (steps << BigInt(shift));
      const w3 = BigInt.asUintN(32, steps);
      return {
        asm: `${form.name} ${t}, [x2, w3, sxtw #${shift}]`,
        regs: { 2: base, 3: w3 | (0xabcdn << 32n) },
        before,
        expect: { 1: value },
      };
    }
  }
}

function storeCase(image: Uint8Array): InsnCase {
  const size = [1, 2, 4, 8][rng.below(4)];
  const name = ['strb', 'strh', 'str', 'str'][Math.log2(size)];
  const reg = size === 8 ? 'x4' : 'w4';
  const at = offsetInWindow();
  const value = rng.u64();
  const mode = rng.below(3);
  const imm = mode === 0 ? rng.below(16) * size : rng.below(512) - 256;
  const base = mode === 2 ? BigInt(WINDOW + at) : BigInt(WINDOW + at - imm);
  const asm = [`${name} ${reg}, [x5, #${imm}]`, `${name} ${reg}, [x5, #${imm}]!`, `${name} ${reg}, [x5], #${imm}`][
    mode
  ];
  return {
    asm,
    regs: { 4: value, 5: base },
    before: (m) => loadImage(m, image),
    expect: { 5: mode === 0 ? base : base + BigInt(imm) },
    after: (m) => {
      const got = new Uint8Array(SIZE);
      m.bus.readBytes(WINDOW, got);
      const want = image.slice();
      for (let i = 0; i < size; i++) want[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
      const diff = want.findIndex((b, i) => b !== got[i]);
      return diff < 0 ? null : `memory differs at +0x${diff.toString(16)}`;
    },
  };
}

describe('loads and stores', () => {
  it('every integer load form and addressing mode, including page-crossing accesses', () => {
    const image = randomImage();
    const cases: InsnCase[] = [];
    for (let i = 0; i < 900; i++) cases.push(loadCase(LOADS[i % LOADS.length], image));
    expect(runCases(makeMachine(), cases).slice(0, 10)).toEqual([]);
  });

  it('stores of every size with offset, pre- and post-index', () => {
    const image = randomImage();
    const cases = Array.from({ length: 400 }, () => storeCase(image));
    expect(runCases(makeMachine(), cases).slice(0, 10)).toEqual([]);
  });

  it('pairs: LDP/STP W and X, LDPSW, LDNP/STNP, with writeback', () => {
    const image = randomImage();
    const cases: InsnCase[] = [];
    for (let i = 0; i < 300; i++) {
      const kind = rng.below(4);
      const size = kind === 1 ? 8 : 4;
      const at = offsetInWindow() & ~3;
      const imm = (rng.below(64) - 32) * size;
      const mode = rng.below(3);
      const base = BigInt(WINDOW + at - (mode === 2 ? 0 : imm));
      const addr = (suffix: string): string => [`[x3, #${imm}]`, `[x3, #${imm}]!`, `[x3], #${imm}`][mode] + suffix;
      const wb = mode === 0 ? base : base + BigInt(imm);
      if (kind === 3) {
        cases.push({
          asm: `ldnp x1, x2, [x3, #${imm * 2}]`,
          regs: { 3: BigInt(WINDOW + at - imm * 2) },
          before: (m) => loadImage(m, image),
          expect: { 1: le(image, at, 8), 2: le(image, at + 8, 8) },
        });
        continue;
      }
      const first = kind === 2 ? sext(le(image, at, 4), 32) : le(image, at, size);
      const second = kind === 2 ? sext(le(image, at + 4, 4), 32) : le(image, at + size, size);
      const regs = kind === 0 ? 'w1, w2' : 'x1, x2';
      cases.push({
        asm: `${kind === 2 ? 'ldpsw' : 'ldp'} ${regs}, ${addr('')}`,
        regs: { 3: base },
        before: (m) => loadImage(m, image),
        expect: { 1: first, 2: second, 3: wb },
      });
    }
    for (let i = 0; i < 100; i++) {
      const at = offsetInWindow() & ~7;
      const a = rng.u64();
      const b = rng.u64();
      cases.push({
        asm: 'stp x1, x2, [x3, #-16]!',
        regs: { 1: a, 2: b, 3: BigInt(WINDOW + at + 16) },
        expect: { 3: BigInt(WINDOW + at) },
        after: (m) =>
          read64(m, WINDOW + at) === a && read64(m, WINDOW + at + 8) === b ? null : 'stp wrote the wrong bytes',
      });
    }
    expect(runCases(makeMachine(), cases).slice(0, 10)).toEqual([]);
  });

  it('LDR literal, LDRSW literal and PRFM', () => {
    const cases: InsnCase[] = [
      { asm: 'ldr x1, .+8', expect: { 1: 0x1111222233334444n } },
      { asm: 'ldrsw x2, .+12', expect: { 2: 0xffffffff88887777n } },
      { asm: '.inst 0x33334444', data: true },
      { asm: '.inst 0x11112222', data: true },
      { asm: '.inst 0x88887777', data: true },
      { asm: 'ldr w3, .-4', expect: { 3: 0x88887777n } },
      { asm: 'prfm pldl1keep, [x9, #8]', regs: { 9: 0x1234n }, expect: { 9: 0x1234n } },
      { asm: 'prfm pstl2strm, .-0x100000' },
    ];
    expect(runCases(makeMachine(), cases)).toEqual([]);
  });

  it('SIMD&FP register loads and stores (B, H, S, D, Q) zero the rest of the register', () => {
    const image = randomImage();
    const m = makeMachine();
    const cases: InsnCase[] = [];
    const expectations: Array<{ reg: number; size: number; at: number }> = [];
    for (let i = 0; i < 100; i++) {
      const size = [1, 2, 4, 8, 16][i % 5];
      const at = offsetInWindow();
      const reg = i % 32;
      cases.push({
        asm: `ldr ${'bhsdq'[Math.log2(size)]}${reg}, [x2]`,
        regs: { 2: BigInt(WINDOW + at) },
        before: (mm) => {
          loadImage(mm, image);
          mm.cpu.v32.fill(-1);
        },
        after: (mm) => {
          const bytes = mm.cpu.v8.subarray(reg * 16, reg * 16 + 16);
          for (let b = 0; b < 16; b++) {
            const want = b < size ? image[at + b] : 0;
            if (bytes[b] !== want) return `byte ${b} of v${reg} is ${bytes[b]}, expected ${want}`;
          }
          return null;
        },
      });
      expectations.push({ reg, size, at });
    }
    expect(runCases(m, cases).slice(0, 10)).toEqual([]);
    // Store Q back and compare.
    const store: InsnCase = {
      asm: 'str q7, [x2, #16]!',
      regs: { 2: BigInt(WINDOW) },
      before: (mm) => {
        for (let b = 0; b < 16; b++) mm.cpu.v8[7 * 16 + b] = b * 17;
      },
      expect: { 2: BigInt(WINDOW + 16) },
      after: (mm) => {
        const got = new Uint8Array(16);
        mm.bus.readBytes(WINDOW + 16, got);
        return got.every((b, i) => b === i * 17) ? null : `stored ${Array.from(got)}`;
      },
    };
    expect(runCases(m, [store])).toEqual([]);
  });

  it('LDTR/STTR use EL0 permissions (same result with the MMU off)', () => {
    const image = randomImage();
    const at = 0x900;
    expect(
      runCases(makeMachine(), [
        {
          asm: 'ldtr x1, [x2, #8]',
          regs: { 2: BigInt(WINDOW + at - 8) },
          before: (m) => loadImage(m, image),
          expect: { 1: le(image, at, 8) },
        },
        {
          asm: 'ldtrsh w1, [x2, #-2]',
          regs: { 2: BigInt(WINDOW + at + 2) },
          before: (m) => loadImage(m, image),
          expect: { 1: loaded(LOADS[6], image, at) },
        },
      ]),
    ).toEqual([]);
  });
});

describe('exclusives and ordered accesses', () => {
  function program(m: Machine, source: string[]): void {
    const words = assemble(source.map((asm) => ({ asm })));
    words.forEach((w, i) => m.bus.write(0x4000_0000 + 4 * i, 4, w >>> 0));
    setPc(m.cpu, 0x4000_0000);
  }

  it('LDXR/STXR succeed on an untouched location and fail after an intervening store', () => {
    const m = makeMachine();
    program(m, [
      'ldxr x1, [x0]',
      'add x1, x1, #1',
      'stxr w2, x1, [x0]',
      'ldxr x3, [x0]',
      'str x9, [x0]',
      'stxr w4, x3, [x0]',
      'stxr w5, x3, [x0]',
    ]);
    setX(m.cpu, 0, BigInt(DATA));
    setX(m.cpu, 9, 0x99n);
    m.bus.write64(DATA, 41, 0);
    expect(m.cpu.run(7)).toBe(7);
    expect(getX(m.cpu, 2)).toBe(0n);
    expect(getX(m.cpu, 4)).toBe(1n);
    expect(getX(m.cpu, 5)).toBe(1n); // the monitor was cleared by the failed attempt
    expect(read64(m, DATA)).toBe(0x99n);
    expect(getX(m.cpu, 3)).toBe(42n);
  });

  it('LDAXP/STLXP move 128 bits atomically; CLREX-style clear() fails the store', () => {
    const m = makeMachine();
    program(m, ['ldaxp x1, x2, [x0]', 'stlxp w3, x2, x1, [x0]', 'ldxp w4, w5, [x0]']);
    setX(m.cpu, 0, BigInt(DATA));
    m.bus.write64(DATA, 1, 0);
    m.bus.write64(DATA + 8, 2, 0);
    expect(m.cpu.run(3)).toBe(3);
    expect(getX(m.cpu, 3)).toBe(0n);
    expect(read64(m, DATA)).toBe(2n);
    expect(read64(m, DATA + 8)).toBe(1n);
    expect([getX(m.cpu, 4), getX(m.cpu, 5)]).toEqual([2n, 0n]);
    m.cpu.monitor.clear();
    program(m, ['stxp w6, w4, w5, [x0]']);
    setX(m.cpu, 6, 7n);
    m.cpu.run(1);
    expect(getX(m.cpu, 6)).toBe(1n);
  });

  it('LDAR/STLR and exclusives fault on misaligned addresses (ESR 0x96000021 / 0x96000061)', () => {
    for (const [asm, esr] of [
      ['ldar x1, [x0]', 0x96000021],
      ['stlrh w1, [x0]', 0x96000061],
      ['ldxr w1, [x0]', 0x96000021],
    ] as const) {
      const m = makeMachine();
      program(m, [asm]);
      setX(m.cpu, 0, BigInt(DATA + 2 + (asm.includes('stlrh') ? 1 : 0)));
      m.cpu.run(1);
      expect(m.cpu.stopReason).toBe(StopReason.Exception);
      expect(m.cpu.pendingException.esr).toBe(esr);
    }
  });
});
