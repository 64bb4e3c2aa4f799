// Data-processing instructions executed on the Cpu, with expected results computed here in BigInt from the
// ARM ARM's definitions (AddWithCarry, shifts, extends, bit fields), for random operands. The words come
// from binutils' assembler, so field extraction is checked too.
import { describe, expect, it } from 'vitest';
import { makeMachine, runCases } from './harness';
import type { InsnCase } from './harness';
import { Rng, U32, U64, addWithCarry, conditionHolds } from './reference';

const rng = new Rng(0xc0ffee);
const CONDS = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'];

const sx = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);
const ux = (v: bigint, bits: number): bigint => BigInt.asUintN(bits, v);
const r = (is64: boolean, n: number): string => (is64 ? 'x' : 'w') + n;

function shift(type: string, v: bigint, amount: number, bits: number): bigint {
  const a = BigInt(amount);
  const value = ux(v, bits);
  switch (type) {
    case 'lsl':
      return ux(value << a, bits);
    case 'lsr':
      return value >> a;
    case 'asr':
      return ux(sx(value, bits) >> a, bits);
    default:
      return ux((value >> a) | (value << (BigInt(bits) - a)), bits);
  }
}

function extend(type: string, v: bigint): bigint {
  const size = { b: 8, h: 16, w: 32, x: 64 }[type[3] as 'b' | 'h' | 'w' | 'x'];
  return type[0] === 's' ? ux(sx(v, size), 64) : ux(v, size);
}

function check(cases: InsnCase[]): void {
  const failures = runCases(makeMachine(), cases);
  expect(failures.slice(0, 10)).toEqual([]);
}

/** `count` cases from `make`, each with fresh random operands. */
function many(count: number, make: (is64: boolean) => InsnCase): InsnCase[] {
  return Array.from({ length: count }, (_, i) => make(i % 2 === 0));
}

describe('data processing (immediate)', () => {
  it('ADD/ADDS/SUB/SUBS immediate, optionally shifted by 12', () => {
    check(
      many(400, (is64) => {
        const bits = is64 ? 64 : 32;
        const sub = rng.below(2) === 1;
        const flags = rng.below(2) === 1;
        const imm = rng.below(4096);
        const lsl = rng.below(2) === 1 ? 12 : 0;
        const a = rng.interesting();
        const operand = BigInt(imm) << BigInt(lsl);
        const res = addWithCarry(a, sub ? ~operand : operand, sub ? 1 : 0, bits);
        const name = `${sub ? 'sub' : 'add'}${flags ? 's' : ''}`;
        return {
          asm: `${name} ${r(is64, 3)}, ${r(is64, 4)}, #${imm}, lsl #${lsl}`,
          regs: { 3: rng.u64(), 4: a },
          nzcv: 0b1010,
          expect: { 3: res.result },
          expectNzcv: flags ? res.nzcv : 0b1010,
        };
      }),
    );
  });

  it('ADD to and from SP, CMP/CMN aliases', () => {
    const sp = 0x4000_8000n;
    check([
      { asm: 'add sp, sp, #0x10', regs: { 31: sp }, expect: { 31: sp + 16n } },
      { asm: 'sub sp, sp, #1, lsl #12', regs: { 31: sp }, expect: { 31: sp - 4096n } },
      { asm: 'mov x0, sp', regs: { 31: sp }, expect: { 0: sp } },
      { asm: 'cmp x1, #5', regs: { 1: 5n }, expectNzcv: 0b0110 },
      { asm: 'cmn w1, #1', regs: { 1: 0xffffffffn }, expectNzcv: 0b0110 },
      { asm: 'adds xzr, x1, #1', regs: { 1: 0x7fffffffffffffffn }, expectNzcv: 0b1001 },
    ]);
  });

  it('MOVZ, MOVN and MOVK', () => {
    check(
      many(200, (is64) => {
        const imm = BigInt(rng.below(0x10000));
        const hw = rng.below(is64 ? 4 : 2) * 16;
        const kind = ['movz', 'movn', 'movk'][rng.below(3)];
        const old = rng.u64();
        const bits = is64 ? 64 : 32;
        const placed = imm << BigInt(hw);
        let result: bigint;
        if (kind === 'movz') result = placed;
        else if (kind === 'movn') result = ux(~placed, bits);
        else result = ux((old & ~(0xffffn << BigInt(hw))) | placed, bits);
        return { asm: `${kind} ${r(is64, 7)}, #${imm}, lsl #${hw}`, regs: { 7: old }, expect: { 7: result } };
      }),
    );
  });

  it('logical immediates (AND, ORR, EOR, ANDS) with assembler-encoded bit patterns', () => {
    check(
      many(300, (is64) => {
        const bits = is64 ? 64 : 32;
        const value = randomBitmask(bits);
        const op = ['and', 'orr', 'eor', 'ands'][rng.below(4)];
        const a = rng.interesting();
        const ua = ux(a, bits);
        const result = op === 'orr' ? ua | value : op === 'eor' ? ua ^ value : ua & value;
        const n = Number(result >> BigInt(bits - 1));
        return {
          asm: `${op} ${r(is64, 2)}, ${r(is64, 9)}, #0x${value.toString(16)}`,
          regs: { 9: a },
          nzcv: 0b0011,
          expect: { 2: result },
          expectNzcv: op === 'ands' ? (n << 3) | (result === 0n ? 4 : 0) : 0b0011,
        };
      }),
    );
  });

  it('bitfield moves: LSL/LSR/ASR, UBFX/SBFX, UBFIZ/SBFIZ, BFI/BFXIL, extends', () => {
    check(
      many(600, (is64) => {
        const bits = is64 ? 64 : 32;
        const src = rng.interesting();
        const dst = rng.u64();
        const s = ux(src, bits);
        const lsb = rng.below(bits);
        const width = 1 + rng.below(bits - lsb);
        const ones = (1n << BigInt(width)) - 1n;
        const L = BigInt(lsb);
        const kind = rng.below(9);
        let asm: string;
        let result: bigint;
        const d = r(is64, 5);
        const n = r(is64, 6);
        switch (kind) {
          case 0:
            asm = `lsl ${d}, ${n}, #${lsb}`;
            result = shift('lsl', s, lsb, bits);
            break;
          case 1:
            asm = `lsr ${d}, ${n}, #${lsb}`;
            result = shift('lsr', s, lsb, bits);
            break;
          case 2:
            asm = `asr ${d}, ${n}, #${lsb}`;
            result = shift('asr', s, lsb, bits);
            break;
          case 3:
            asm = `ubfx ${d}, ${n}, #${lsb}, #${width}`;
            result = (s >> L) & ones;
            break;
          case 4:
            asm = `sbfx ${d}, ${n}, #${lsb}, #${width}`;
            result = ux(sx((s >> L) & ones, width), bits);
            break;
          case 5:
            asm = `ubfiz ${d}, ${n}, #${lsb}, #${width}`;
            result = (s & ones) << L;
            break;
          case 6:
            asm = `sbfiz ${d}, ${n}, #${lsb}, #${width}`;
            result = ux(sx(s & ones, width) << L, bits);
            break;
          case 7:
            asm = `bfi ${d}, ${n}, #${lsb}, #${width}`;
            result = (ux(dst, bits) & ~(ones << L)) | ((s & ones) << L);
            break;
          default:
            asm = `bfxil ${d}, ${n}, #${lsb}, #${width}`;
            result = (ux(dst, bits) & ~ones) | ((s >> L) & ones);
        }
        return { asm, regs: { 5: dst, 6: src }, expect: { 5: result } };
      }),
    );
    check([
      { asm: 'sxtb x1, w2', regs: { 2: 0x180n }, expect: { 1: U64 - 0x7fn } },
      { asm: 'sxth w1, w2', regs: { 2: 0x8000n }, expect: { 1: 0xffff8000n } },
      { asm: 'sxtw x1, w2', regs: { 2: 0xdeadbeef80000000n }, expect: { 1: 0xffffffff80000000n } },
      { asm: 'uxtb w1, w2', regs: { 2: 0x1ffn }, expect: { 1: 0xffn } },
      { asm: 'uxth w1, w2', regs: { 2: 0x12345n }, expect: { 1: 0x2345n } },
    ]);
  });

  it('EXTR and ROR (immediate)', () => {
    check(
      many(200, (is64) => {
        const bits = is64 ? 64 : 32;
        const lsb = rng.below(bits);
        const a = ux(rng.u64(), bits);
        const b = ux(rng.u64(), bits);
        const result = ux(((a << BigInt(bits)) | b) >> BigInt(lsb), bits);
        return {
          asm: `extr ${r(is64, 1)}, ${r(is64, 2)}, ${r(is64, 3)}, #${lsb}`,
          regs: { 2: a, 3: b },
          expect: { 1: result },
        };
      }),
    );
  });
});

describe('data processing (register)', () => {
  it('ADD/SUB(S) shifted register', () => {
    check(
      many(400, (is64) => {
        const bits = is64 ? 64 : 32;
        const sub = rng.below(2) === 1;
        const flags = rng.below(2) === 1;
        const type = ['lsl', 'lsr', 'asr'][rng.below(3)];
        const amount = rng.below(bits);
        const a = rng.interesting();
        const b = rng.interesting();
        const operand = shift(type, b, amount, bits);
        const res = addWithCarry(a, sub ? ~operand : operand, sub ? 1 : 0, bits);
        return {
          asm: `${sub ? 'sub' : 'add'}${flags ? 's' : ''} ${r(is64, 0)}, ${r(is64, 1)}, ${r(is64, 2)}, ${type} #${amount}`,
          regs: { 1: a, 2: b },
          nzcv: 0b0101,
          expect: { 0: res.result },
          expectNzcv: flags ? res.nzcv : 0b0101,
        };
      }),
    );
  });

  it('ADD/SUB(S) extended register, including SP', () => {
    const exts = ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx'];
    check(
      many(400, (is64) => {
        const bits = is64 ? 64 : 32;
        const sub = rng.below(2) === 1;
        const flags = rng.below(2) === 1;
        const ext = exts[rng.below(is64 ? 8 : 6)].replace(/x$/, is64 ? 'x' : 'w');
        const amount = rng.below(5);
        const a = rng.interesting();
        const b = rng.interesting();
        const operand = ux(extend(ext, b) << BigInt(amount), 64);
        const res = addWithCarry(a, sub ? ~operand : operand, sub ? 1 : 0, bits);
        const m = ext.endsWith('x') ? `x2` : `w2`;
        const useSp = !flags && rng.below(3) === 0;
        return {
          asm: `${sub ? 'sub' : 'add'}${flags ? 's' : ''} ${useSp ? (is64 ? 'sp' : 'wsp') : r(is64, 0)}, ${r(is64, 1)}, ${m}, ${ext} #${amount}`,
          regs: { 1: a, 2: b },
          expect: { [useSp ? 31 : 0]: res.result },
          expectNzcv: flags ? res.nzcv : 0,
        };
      }),
    );
  });

  it('ADC/ADCS/SBC/SBCS with the carry flag', () => {
    check(
      many(300, (is64) => {
        const bits = is64 ? 64 : 32;
        const sub = rng.below(2) === 1;
        const flags = rng.below(2) === 1;
        const carry = rng.below(2);
        const a = rng.interesting();
        const b = rng.interesting();
        const res = addWithCarry(a, sub ? ~b : b, carry, bits);
        return {
          asm: `${sub ? 'sbc' : 'adc'}${flags ? 's' : ''} ${r(is64, 10)}, ${r(is64, 11)}, ${r(is64, 12)}`,
          regs: { 11: a, 12: b },
          nzcv: carry << 1,
          expect: { 10: res.result },
          expectNzcv: flags ? res.nzcv : carry << 1,
        };
      }),
    );
  });

  it('logical shifted register: AND BIC ORR ORN EOR EON ANDS BICS', () => {
    check(
      many(400, (is64) => {
        const bits = is64 ? 64 : 32;
        const op = ['and', 'bic', 'orr', 'orn', 'eor', 'eon', 'ands', 'bics'][rng.below(8)];
        const type = ['lsl', 'lsr', 'asr', 'ror'][rng.below(4)];
        const amount = rng.below(bits);
        const a = ux(rng.interesting(), bits);
        const source = rng.interesting();
        const b0 = shift(type, source, amount, bits);
        const b = op === 'bic' || op === 'orn' || op === 'eon' || op === 'bics' ? ux(~b0, bits) : b0;
        const result = op.startsWith('orr') || op === 'orn' ? a | b : op.startsWith('eo') ? a ^ b : a & b;
        const setsFlags = op === 'ands' || op === 'bics';
        const nz = (Number(result >> BigInt(bits - 1)) << 3) | (result === 0n ? 4 : 0);
        return {
          asm: `${op} ${r(is64, 20)}, ${r(is64, 21)}, ${r(is64, 22)}, ${type} #${amount}`,
          regs: { 21: a, 22: source },
          nzcv: 0b0011,
          expect: { 20: result },
          expectNzcv: setsFlags ? nz : 0b0011,
        };
      }),
    );
  });

  it('CCMP/CCMN register and immediate', () => {
    check(
      many(400, (is64) => {
        const bits = is64 ? 64 : 32;
        const neg = rng.below(2) === 1;
        const cond = rng.below(16);
        const nzcvIn = rng.below(16);
        const nzcvImm = rng.below(16);
        const imm = rng.below(2) === 1;
        const a = rng.interesting();
        const b = imm ? BigInt(rng.below(32)) : rng.interesting();
        const res = addWithCarry(a, neg ? b : ~b, neg ? 0 : 1, bits);
        const second = imm ? `#${b}` : r(is64, 4);
        return {
          asm: `${neg ? 'ccmn' : 'ccmp'} ${r(is64, 3)}, ${second}, #${nzcvImm}, ${CONDS[cond]}`,
          regs: { 3: a, 4: b },
          nzcv: nzcvIn,
          expectNzcv: conditionHolds(cond, nzcvIn) ? res.nzcv : nzcvImm,
        };
      }),
    );
  });

  it('CSEL/CSINC/CSINV/CSNEG and the CSET/CINC aliases', () => {
    check(
      many(400, (is64) => {
        const bits = is64 ? 64 : 32;
        const op = ['csel', 'csinc', 'csinv', 'csneg'][rng.below(4)];
        const cond = rng.below(16);
        const nzcv = rng.below(16);
        const a = rng.interesting();
        const b = rng.interesting();
        let result: bigint;
        if (conditionHolds(cond, nzcv)) result = ux(a, bits);
        else if (op === 'csel') result = ux(b, bits);
        else if (op === 'csinc') result = ux(b + 1n, bits);
        else if (op === 'csinv') result = ux(~b, bits);
        else result = ux(-b, bits);
        return {
          asm: `${op} ${r(is64, 8)}, ${r(is64, 9)}, ${r(is64, 10)}, ${CONDS[cond]}`,
          regs: { 9: a, 10: b },
          nzcv,
          expect: { 8: result },
        };
      }),
    );
    check([
      { asm: 'cset x1, eq', nzcv: 0b0100, expect: { 1: 1n } },
      { asm: 'cset w1, ne', nzcv: 0b0100, expect: { 1: 0n } },
      { asm: 'csetm x1, cs', nzcv: 0b0010, expect: { 1: U64 } },
      { asm: 'cinc w1, w2, mi', regs: { 2: 0xffffffffn }, nzcv: 0b1000, expect: { 1: 0n } },
    ]);
  });

  it('RBIT, REV16, REV32, REV, CLZ, CLS', () => {
    check(
      many(300, (is64) => {
        const bits = is64 ? 64 : 32;
        const ops = is64 ? ['rbit', 'rev16', 'rev32', 'rev', 'clz', 'cls'] : ['rbit', 'rev16', 'rev', 'clz', 'cls'];
        const op = ops[rng.below(ops.length)];
        const v = ux(rng.interesting() >> BigInt(rng.below(bits)), bits);
        const value = rng.below(3) === 0 ? ux(-v, bits) : v;
        return {
          asm: `${op} ${r(is64, 1)}, ${r(is64, 2)}`,
          regs: { 2: value },
          expect: { 1: oneSource(op, value, bits) },
        };
      }),
    );
  });

  it('UDIV, SDIV and the variable shifts', () => {
    check(
      many(400, (is64) => {
        const bits = is64 ? 64 : 32;
        const op = ['udiv', 'sdiv', 'lsl', 'lsr', 'asr', 'ror'][rng.below(6)];
        const a = ux(rng.interesting(), bits);
        const b = rng.below(10) === 0 ? 0n : ux(rng.interesting() >> BigInt(rng.below(bits)), bits);
        let result: bigint;
        if (op === 'udiv') result = b === 0n ? 0n : a / b;
        else if (op === 'sdiv') result = b === 0n ? 0n : ux(sx(a, bits) / sx(b, bits), bits);
        else result = shift(op, a, Number(b % BigInt(bits)), bits);
        return {
          asm: `${op} ${r(is64, 1)}, ${r(is64, 2)}, ${r(is64, 3)}`,
          regs: { 2: a, 3: b },
          expect: { 1: result },
        };
      }),
    );
  });

  it('CRC32 and CRC32C, checked bit by bit and with the standard check values', () => {
    const cases: InsnCase[] = [];
    for (let i = 0; i < 200; i++) {
      const c = rng.below(2) === 1;
      const size = 'bhwx'[rng.below(4)];
      const acc = rng.u64() & U32;
      const data = rng.u64();
      const bytes = { b: 1, h: 2, w: 4, x: 8 }[size as 'b'];
      cases.push({
        asm: `crc32${c ? 'c' : ''}${size} w1, w2, ${size === 'x' ? 'x3' : 'w3'}`,
        regs: { 2: acc, 3: data },
        expect: { 1: crcBitwise(c ? 0x82f63b78n : 0xedb88320n, acc, data, bytes) },
      });
    }
    check(cases);
    // "123456789" with the usual pre/post inversion: 0xcbf43926 (CRC-32), 0xe3069283 (CRC-32C).
    expect(crcString(0xedb88320n, '123456789')).toBe(0xcbf43926n);
    expect(crcString(0x82f63b78n, '123456789')).toBe(0xe3069283n);
  });

  it('MADD/MSUB, SMADDL/SMSUBL/UMADDL/UMSUBL, SMULH/UMULH', () => {
    check(
      many(400, (is64) => {
        const ops = is64
          ? ['madd', 'msub', 'smaddl', 'smsubl', 'umaddl', 'umsubl', 'smulh', 'umulh']
          : ['madd', 'msub'];
        const op = ops[rng.below(ops.length)];
        const bits = is64 ? 64 : 32;
        const a = rng.interesting();
        const b = rng.interesting();
        const acc = rng.interesting();
        let asm: string;
        let result: bigint;
        if (op === 'madd' || op === 'msub') {
          const p = ux(a, bits) * ux(b, bits);
          result = ux(op === 'madd' ? acc + p : acc - p, bits);
          asm = `${op} ${r(is64, 1)}, ${r(is64, 2)}, ${r(is64, 3)}, ${r(is64, 4)}`;
        } else if (op.endsWith('l')) {
          const signed = op[0] === 's';
          const p = signed ? sx(a, 32) * sx(b, 32) : ux(a, 32) * ux(b, 32);
          result = ux(op.includes('add') ? acc + p : acc - p, 64);
          asm = `${op} x1, w2, w3, x4`;
        } else {
          const p = op === 'smulh' ? sx(a, 64) * sx(b, 64) : ux(a, 64) * ux(b, 64);
          result = ux(p >> 64n, 64);
          asm = `${op} x1, x2, x3`;
        }
        return { asm, regs: { 2: a, 3: b, 4: acc }, expect: { 1: result } };
      }),
    );
  });
});

function oneSource(op: string, v: bigint, bits: number): bigint {
  const bitsOf = (x: bigint): string => x.toString(2).padStart(bits, '0');
  const bytesOf = (x: bigint): bigint[] => Array.from({ length: bits / 8 }, (_, i) => (x >> BigInt(8 * i)) & 0xffn);
  const fromBytes = (bytes: bigint[]): bigint => bytes.reduce((acc, b, i) => acc | (b << BigInt(8 * i)), 0n);
  switch (op) {
    case 'rbit':
      return BigInt('0b' + bitsOf(v).split('').reverse().join(''));
    case 'rev':
      return fromBytes(bytesOf(v).reverse());
    case 'rev16':
    case 'rev32': {
      const chunk = op === 'rev16' ? 2 : 4;
      const bytes = bytesOf(v);
      const out: bigint[] = [];
      for (let i = 0; i < bytes.length; i += chunk) out.push(...bytes.slice(i, i + chunk).reverse());
      return fromBytes(out);
    }
    case 'clz':
      return BigInt(bitsOf(v).indexOf('1') < 0 ? bits : bitsOf(v).indexOf('1'));
    default: {
      const s = bitsOf(v);
      let count = 0;
      while (count + 1 < bits && s[count + 1] === s[0]) count++;
      return BigInt(count);
    }
  }
}

/** Reflected CRC, one bit at a time (no table), no inversion: the ARM ARM's CRC32 definition. */
function crcBitwise(poly: bigint, acc: bigint, data: bigint, bytes: number): bigint {
  let crc = acc;
  for (let i = 0; i < bytes * 8; i++) {
    const bit = ((crc ^ (data >> BigInt(i))) & 1n) === 1n;
    crc >>= 1n;
    if (bit) crc ^= poly;
  }
  return crc;
}

function crcString(poly: bigint, text: string): bigint {
  let crc = U32;
  for (const ch of text) crc = crcBitwise(poly, crc, BigInt(ch.charCodeAt(0)), 1);
  return crc ^ U32;
}

/** A random valid logical immediate: a rotated run of ones replicated over 2..64-bit elements. */
function randomBitmask(bits: number): bigint {
  const sizes = [2, 4, 8, 16, 32, 64].filter((s) => s <= bits);
  const esize = sizes[rng.below(sizes.length)];
  const ones = 1 + rng.below(esize - 1);
  const rot = rng.below(esize);
  const e = (1n << BigInt(ones)) - 1n;
  const E = BigInt(esize);
  const rotated = ((e >> BigInt(rot)) | (e << (E - BigInt(rot)))) & ((1n << E) - 1n);
  let value = 0n;
  for (let i = 0; i < bits; i += esize) value |= rotated << BigInt(i);
  return value;
}
