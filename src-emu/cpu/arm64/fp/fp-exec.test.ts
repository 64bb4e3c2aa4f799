// Scalar FP instructions executed on the CPU: results and FPSR flags against the exact rational reference
// (testing/exact-reference.ts), FPCR rounding modes, NZCV from compares, conversions and the FPEN trap.
import { describe, expect, it } from 'vitest';
import type { Cpu } from '../cpu';
import { makeMachine, runCases } from '../../../../test/unit/cpu/arm64/harness';
import type { InsnCase, Machine } from '../../../../test/unit/cpu/arm64/harness';
import { refAdd, refDiv, refMul, refMulAdd, refSqrt } from './testing/exact-reference';
import type { Env, Fmt, Outcome } from './testing/exact-reference';
import { Rng, randomValue } from './testing/corner-values';

function setD(cpu: Cpu, r: number, v: bigint): void {
  cpu.v32[4 * r] = Number(v & 0xffffffffn) | 0;
  cpu.v32[4 * r + 1] = Number((v >> 32n) & 0xffffffffn) | 0;
  cpu.v32[4 * r + 2] = 0x5555;
  cpu.v32[4 * r + 3] = 0x5555; // must be cleared by scalar writes
}
function getQ(cpu: Cpu, r: number): bigint {
  let v = 0n;
  for (let i = 3; i >= 0; i--) v = (v << 32n) | BigInt(cpu.v32[4 * r + i]! >>> 0);
  return v;
}

const envOf = (mode: number): Env => ({ mode, fz: false, dn: false, ahp: false });

function fpCase(asm: string, mode: number, inputs: bigint[], ref: Outcome): InsnCase {
  return {
    asm,
    before: (m: Machine) => {
      m.cpu.fpcr = mode << 22;
      m.cpu.fpsr = 0;
      inputs.forEach((v, i) => setD(m.cpu, i + 1, v));
    },
    after: (m: Machine) => {
      const got = getQ(m.cpu, 0);
      if (got !== ref.bits || m.cpu.fpsr !== ref.flags)
        return `got ${got.toString(16)}/${m.cpu.fpsr}, expected ${ref.bits.toString(16)}/${ref.flags}`;
      return null;
    },
  };
}

describe('scalar FP arithmetic instructions', () => {
  it('FADD/FSUB/FMUL/FDIV/FSQRT/FMADD/FNMSUB match the exact reference in every FPCR rounding mode', () => {
    const rng = new Rng(31);
    const cases: InsnCase[] = [];
    for (const [fmt, r] of [
      [1, 's'],
      [2, 'd'],
    ] as const) {
      for (let i = 0; i < 40; i++) {
        const a = randomValue(fmt as Fmt, rng);
        const b = randomValue(fmt as Fmt, rng, Number((a >> (fmt === 1 ? 23n : 52n)) & (fmt === 1 ? 0xffn : 0x7ffn)));
        const c = randomValue(fmt as Fmt, rng);
        const mode = i % 4;
        const env = envOf(mode);
        const neg = fmt === 1 ? 1n << 31n : 1n << 63n;
        cases.push(
          fpCase(`fadd ${r}0, ${r}1, ${r}2`, mode, [a, b], refAdd(fmt, a, b, env)),
          fpCase(`fsub ${r}0, ${r}1, ${r}2`, mode, [a, b], refAdd(fmt, a, b, env, true)),
          fpCase(`fmul ${r}0, ${r}1, ${r}2`, mode, [a, b], refMul(fmt, a, b, env)),
          fpCase(`fdiv ${r}0, ${r}1, ${r}2`, mode, [a, b], refDiv(fmt, a, b, env)),
          fpCase(`fsqrt ${r}0, ${r}1`, mode, [a & ~neg], refSqrt(fmt, a & ~neg, env)),
          fpCase(`fmadd ${r}0, ${r}1, ${r}2, ${r}3`, mode, [a, b, c], refMulAdd(fmt, c, a, b, env)),
          // FNMSUB: -addend + n * m
          fpCase(`fnmsub ${r}0, ${r}1, ${r}2, ${r}3`, mode, [a, b, c], refMulAdd(fmt, c ^ neg, a, b, env)),
        );
      }
    }
    expect(runCases(makeMachine(), cases)).toEqual([]);
  });

  it('FNMUL negates after rounding, FABS/FNEG/FMOV touch only the sign and never raise flags', () => {
    const snan = 0x7ff0000000000001n;
    runCasesOk([
      fpCase('fnmul d0, d1, d2', 0, [0x3ff8000000000000n, 0x4000000000000000n], {
        bits: 0xc008000000000000n,
        flags: 0,
      }),
      fpCase('fneg d0, d1', 0, [snan], { bits: snan | (1n << 63n), flags: 0 }),
      fpCase('fabs s0, s1', 0, [0xff800001n], { bits: 0x7f800001n, flags: 0 }),
      fpCase('fmov d0, d1', 0, [snan], { bits: snan, flags: 0 }),
      fpCase('fmov s0, #-1.25', 0, [], { bits: 0xbfa00000n, flags: 0 }),
      fpCase('fmov d0, #31.0', 0, [], { bits: 0x403f000000000000n, flags: 0 }),
    ]);
  });
});

function runCasesOk(cases: InsnCase[]): void {
  expect(runCases(makeMachine(), cases)).toEqual([]);
}

describe('FP compares, selects and conversions', () => {
  it('FCMP/FCMPE set NZCV as ARM defines and raise IOC per the signalling rules', () => {
    const one = 0x3ff0000000000000n;
    const qnan = 0x7ff8000000000000n;
    const cmp = (asm: string, a: bigint, b: bigint, nzcv: number, fpsr: number): InsnCase => ({
      asm,
      before: (m) => {
        m.cpu.fpsr = 0;
        setD(m.cpu, 1, a);
        setD(m.cpu, 2, b);
      },
      expectNzcv: nzcv,
      after: (m) => (m.cpu.fpsr === fpsr ? null : `fpsr ${m.cpu.fpsr}`),
    });
    runCasesOk([
      cmp('fcmp d1, d2', one, one, 0b0110, 0),
      cmp('fcmp d1, d2', 0n, one, 0b1000, 0),
      cmp('fcmp d1, d2', one, 0n, 0b0010, 0),
      cmp('fcmp d1, #0.0', 1n << 63n, 0n, 0b0110, 0),
      cmp('fcmp d1, d2', qnan, one, 0b0011, 0),
      cmp('fcmpe d1, d2', qnan, one, 0b0011, 1),
      { ...cmp('fccmp d1, d2, #0x5, ne', one, 0n, 0b0101, 0), nzcv: 0b0100 },
      { ...cmp('fccmp d1, d2, #0x5, eq', one, 0n, 0b0010, 0), nzcv: 0b0100 },
    ]);
  });

  it('FCSEL, FCVT between precisions and SCVTF/UCVTF/FCVT*S/U', () => {
    const dReg =
      (r: number, v: bigint, mask: bigint = (1n << 128n) - 1n) =>
      (m: Machine) => {
        const got = getQ(m.cpu, r) & mask;
        return got === v ? null : `v${r} = ${got.toString(16)}`;
      };
    runCasesOk([
      {
        asm: 'fcsel d0, d1, d2, eq',
        nzcv: 0b0100,
        before: (m) => {
          setD(m.cpu, 1, 11n);
          setD(m.cpu, 2, 22n);
        },
        after: dReg(0, 11n),
      },
      { asm: 'fcvt s0, d1', before: (m) => setD(m.cpu, 1, 0x3ff0000010000000n), after: dReg(0, 0x3f800000n) },
      { asm: 'fcvt d0, h1', before: (m) => setD(m.cpu, 1, 0x3c00n), after: dReg(0, 0x3ff0000000000000n) },
      { asm: 'fcvt h0, s1', before: (m) => setD(m.cpu, 1, 0x477fe000n), after: dReg(0, 0x7bffn) },
      { asm: 'scvtf d0, x1', regs: { 1: -3n & ((1n << 64n) - 1n) }, after: dReg(0, 0xc008000000000000n) },
      { asm: 'ucvtf s0, w1', regs: { 1: 0xffffffffn }, after: dReg(0, 0x4f800000n) },
      { asm: 'scvtf d0, w1, #4', regs: { 1: 40n }, after: dReg(0, 0x4004000000000000n) },
      { asm: 'fcvtzs x0, d1', before: (m) => setD(m.cpu, 1, 0xc004000000000000n), expect: { 0: (1n << 64n) - 2n } },
      { asm: 'fcvtas w0, d1', before: (m) => setD(m.cpu, 1, 0x4004000000000000n), expect: { 0: 3n } },
      { asm: 'fcvtms w0, s1', before: (m) => setD(m.cpu, 1, 0xbfc00000n), expect: { 0: 0xfffffffen } },
      { asm: 'fcvtzu w0, d1', before: (m) => setD(m.cpu, 1, 0xbff0000000000000n), expect: { 0: 0n } },
      { asm: 'fcvtzs w0, d1, #3', before: (m) => setD(m.cpu, 1, 0x3ff4000000000000n), expect: { 0: 10n } },
    ]);
  });

  it('traps with EC 0x07 while CPACR_EL1.FPEN disables FP', () => {
    runCasesOk([
      {
        asm: 'fadd d0, d1, d2',
        before: (m) => {
          m.cpu.fpDisabled = 1;
        },
        expectPcOffset: 0n,
        after: (m) => {
          const esr = m.cpu.pendingException.esr >>> 0;
          return esr === 0x1fe00000 ? null : `esr ${esr.toString(16)}`;
        },
      },
    ]);
  });
});

describe('vector FP instructions', () => {
  const setQ = (cpu: Cpu, r: number, v: bigint): void => {
    for (let i = 0; i < 4; i++) cpu.v32[4 * r + i] = Number((v >> BigInt(32 * i)) & 0xffffffffn) | 0;
  };
  const joinLanes = (ls: bigint[], bitsPer: number): bigint =>
    ls.reduce((a, l, i) => a | (l << BigInt(i * bitsPer)), 0n);

  /** A vector case: v1, v2, v0 inputs; expected v0 and FPSR. */
  function vcase(asm: string, inputs: bigint[], want: bigint, fpsr: number): InsnCase {
    return {
      asm,
      before: (m) => {
        m.cpu.fpcr = 0;
        m.cpu.fpsr = 0;
        setQ(m.cpu, 1, inputs[0] ?? 0n);
        setQ(m.cpu, 2, inputs[1] ?? 0n);
        setQ(m.cpu, 0, inputs[2] ?? 0n);
      },
      after: (m) => {
        const got = getQ(m.cpu, 0);
        return got === want && m.cpu.fpsr === fpsr
          ? null
          : `got ${got.toString(16)}/${m.cpu.fpsr}, expected ${want.toString(16)}/${fpsr}`;
      },
    };
  }

  it('lane-wise arithmetic and fused multiply-add agree with the exact reference, flags accumulated', () => {
    const rng = new Rng(8);
    const cases: InsnCase[] = [];
    for (let i = 0; i < 20; i++) {
      const a = [0, 1, 2, 3].map(() => randomValue(1, rng));
      const b = [0, 1, 2, 3].map(() => randomValue(1, rng));
      const c = [0, 1, 2, 3].map(() => randomValue(1, rng));
      const env = envOf(0);
      const add = a.map((x, k) => refAdd(1, x, b[k]!, env));
      const fma = a.map((x, k) => refMulAdd(1, c[k]!, x, b[k]!, env));
      const flags = (rs: Outcome[]): number => rs.reduce((f, r) => f | r.flags, 0);
      cases.push(
        vcase(
          'fadd v0.4s, v1.4s, v2.4s',
          [joinLanes(a, 32), joinLanes(b, 32)],
          joinLanes(
            add.map((r) => r.bits),
            32,
          ),
          flags(add),
        ),
        vcase(
          'fmla v0.4s, v1.4s, v2.4s',
          [joinLanes(a, 32), joinLanes(b, 32), joinLanes(c, 32)],
          joinLanes(
            fma.map((r) => r.bits),
            32,
          ),
          flags(fma),
        ),
      );
      const a2 = [0, 1].map(() => randomValue(2, rng));
      const b2 = [0, 1].map(() => randomValue(2, rng));
      const div = a2.map((x, k) => refDiv(2, x, b2[k]!, env));
      cases.push(
        vcase(
          'fdiv v0.2d, v1.2d, v2.2d',
          [joinLanes(a2, 64), joinLanes(b2, 64)],
          joinLanes(
            div.map((r) => r.bits),
            64,
          ),
          flags(div),
        ),
      );
    }
    runCasesOk(cases);
  });

  it('pairwise adds, compares, conversions and precision changes', () => {
    const one = 0x3f800000n;
    const two = 0x40000000n;
    const half = 0x3f000000n;
    const negTwoHalf = 0xc0200000n; // -2.5
    const qnan = 0x7fc00000n;
    const ONES = 0xffffffffn;
    runCasesOk([
      vcase(
        'faddp v0.4s, v1.4s, v2.4s',
        [joinLanes([one, two, half, half], 32), joinLanes([two, two, one, one], 32)],
        joinLanes([0x40400000n, one, 0x40800000n, two], 32),
        0,
      ),
      vcase(
        'fcmge v0.4s, v1.4s, v2.4s',
        [joinLanes([one, two, qnan, half], 32), joinLanes([one, one, one, two], 32)],
        joinLanes([ONES, ONES, 0n, 0n], 32),
        1,
      ),
      vcase(
        'fcmeq v0.4s, v1.4s, #0.0',
        [joinLanes([0n, 0x80000000n, one, qnan], 32)],
        joinLanes([ONES, ONES, 0n, 0n], 32),
        0,
      ),
      vcase(
        'fcvtzs v0.4s, v1.4s',
        [joinLanes([negTwoHalf, 0x4f000000n, half, qnan], 32)],
        joinLanes([0xfffffffen, 0x7fffffffn, 0n, 0n], 32),
        1 | 16,
      ),
      vcase(
        'frinta v0.4s, v1.4s',
        [joinLanes([negTwoHalf, half, one, two], 32)],
        joinLanes([0xc0400000n, one, one, two], 32),
        0,
      ),
      vcase(
        'scvtf v0.2d, v1.2d',
        [joinLanes([3n, (1n << 64n) - 1n], 64)],
        joinLanes([0x4008000000000000n, 0xbff0000000000000n], 64),
        0,
      ),
      vcase(
        'fcvtl v0.2d, v1.2s',
        [joinLanes([one, negTwoHalf], 32)],
        joinLanes([0x3ff0000000000000n, 0xc004000000000000n], 64),
        0,
      ),
      vcase(
        'fcvtn2 v0.4s, v1.2d',
        [joinLanes([0x3ff0000000000000n, 0x4000000000000000n], 64), 0n, 0x1234n],
        0x1234n | (joinLanes([one, two], 32) << 64n),
        0,
      ),
      vcase(
        'fcvtl2 v0.4s, v1.8h',
        [joinLanes([0n, 0n, 0n, 0n, 0x3c00n, 0xc000n, 0x7c00n, 0n], 16)],
        joinLanes([one, 0xc0000000n, 0x7f800000n, 0n], 32),
        0,
      ),
      vcase(
        'fabs v0.2d, v1.2d',
        [joinLanes([0xfff0000000000001n, 0x8000000000000000n], 64)],
        joinLanes([0x7ff0000000000001n, 0n], 64),
        0,
      ),
      vcase('frecpe v0.2s, v1.2s', [joinLanes([two, 0n], 32)], joinLanes([0x3eff8000n, 0x7f800000n], 32), 2),
    ]);
  });

  it('scalar AdvSIMD forms, reductions, fixed-point conversions and by-element multiplies', () => {
    const f = (x: number): bigint => BigInt(new Uint32Array(new Float32Array([x]).buffer)[0]!);
    const d = (x: number): bigint => new BigUint64Array(new Float64Array([x]).buffer)[0]!;
    runCasesOk([
      // scalar results clear every bit above the element
      vcase('fabd s0, s1, s2', [f(1.5) | (7n << 64n), f(4)], f(2.5), 0),
      vcase('frecps d0, d1, d2', [d(3), d(0.25)], d(2 - 0.75), 0),
      vcase('frsqrts s0, s1, s2', [f(2), f(0.5)], f((3 - 1) / 2), 0),
      vcase('fcvtzs d0, d1', [d(-7.9)], (1n << 64n) - 7n, 16),
      vcase('fcmgt s0, s1, #0.0', [f(0.5)], 0xffffffffn, 0),
      // the exponent field of 3.0 is 0x400; FRECPX inverts it within 11 bits (0x3ff) and clears the fraction
      vcase('frecpx d0, d1', [d(3)], 0x3ff0000000000000n, 0),
      vcase('fmaxnmv s0, v1.4s', [joinLanes([f(1), 0x7fc00000n, f(-3), f(2)], 32)], f(2), 0),
      vcase('fminv s0, v1.4s', [joinLanes([f(1), f(0.5), f(-3), f(2)], 32)], f(-3), 0),
      vcase('faddp d0, v1.2d', [joinLanes([d(1.25), d(2.5)], 64)], d(3.75), 0),
      vcase(
        'scvtf v0.4s, v1.4s, #4',
        [joinLanes([16n, 0xfffffff8n, 1n, 0n], 32)],
        joinLanes([f(1), f(-0.5), f(1 / 16), 0n], 32),
        0,
      ),
      vcase('fcvtzu v0.2d, v1.2d, #1', [joinLanes([d(2.75), d(-1)], 64)], joinLanes([5n, 0n], 64), 1 | 16),
      vcase(
        'fmul v0.4s, v1.4s, v2.s[3]',
        [joinLanes([f(1), f(2), f(3), f(4)], 32), joinLanes([0n, 0n, 0n, f(0.5)], 32)],
        joinLanes([f(0.5), f(1), f(1.5), f(2)], 32),
        0,
      ),
      vcase('fmla d0, d1, v2.d[1]', [d(3), joinLanes([0n, d(2)], 64), d(1)], d(7), 0),
    ]);
  });
});
