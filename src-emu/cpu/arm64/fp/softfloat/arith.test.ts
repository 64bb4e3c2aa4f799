import { describe, expect, it } from 'vitest';
import { FpStatus, FPCR } from './status';
import type { FpFormat } from './status';
import { fpAdd, fpDiv, fpMul, fpSqrt } from './arith';
import { fpMulAdd } from './fma';
import * as ops from './ops';
import { fpRecipStep } from './estimate';
import { decode, refAdd, refDiv, refMul, refMulAdd, refSqrt, roundRational } from '../testing/exact-reference';
import type { Env, Fmt, Outcome } from '../testing/exact-reference';
import { Rng, cornerValues, exponentField, randomValue } from '../testing/corner-values';

const ENVS: Env[] = [];
for (const mode of [0, 1, 2, 3]) for (const fz of [false, true]) ENVS.push({ mode, fz, dn: false, ahp: false });
ENVS.push({ mode: 0, fz: false, dn: true, ahp: false });

function status(env: Env): FpStatus {
  const st = new FpStatus();
  st.fpcr = (env.mode << FPCR.RMODE_SHIFT) | (env.fz ? FPCR.FZ : 0) | (env.dn ? FPCR.DN : 0);
  return st;
}

const lo = (b: bigint): number => Number(b & 0xffffffffn) | 0;
const hi = (b: bigint): number => Number((b >> 32n) & 0xffffffffn) | 0;
const FMT_NAMES = ['half', 'single', 'double'];

/** The library's result as bits (double results from st.lo/st.hi). */
function resultBits(f: Fmt, st: FpStatus): bigint {
  if (f === 2) return (BigInt(st.hi >>> 0) << 32n) | BigInt(st.lo >>> 0);
  return BigInt(st.lo >>> 0) & (f === 1 ? 0xffffffffn : 0xffffn);
}

const hex = (b: bigint): string => '0x' + b.toString(16);

/** Runs `lib` and compares bits and flags with the reference; returns a failure description or null. */
function check(f: Fmt, env: Env, operands: bigint[], lib: (st: FpStatus) => void, ref: Outcome): string | null {
  const st = status(env);
  lib(st);
  const got = resultBits(f, st);
  if (got === ref.bits && st.fpsr === ref.flags) return null;
  return `${FMT_NAMES[f]} mode=${env.mode} fz=${env.fz} dn=${env.dn} (${operands.map(hex).join(', ')}): got ${hex(got)} flags ${st.fpsr.toString(2)}, expected ${hex(ref.bits)} flags ${ref.flags.toString(2)}`;
}

function pairs(f: Fmt, seed: number, randomCount: number): [bigint, bigint][] {
  const corners = cornerValues(f);
  const out: [bigint, bigint][] = [];
  for (const a of corners) for (const b of corners) out.push([a, b]);
  const rng = new Rng(seed);
  for (let i = 0; i < randomCount; i++) {
    const a = randomValue(f, rng);
    out.push([a, randomValue(f, rng, exponentField(f, a))]);
  }
  return out;
}

function expectNoFailures(failures: string[]): void {
  expect(failures.slice(0, 10), `${failures.length} failures`).toEqual([]);
}

type Binary = (st: FpStatus, fmt: FpFormat, a: bigint, b: bigint) => void;
const generic: Record<string, Binary> = {
  add: (st, fmt, a, b) => fpAdd(st, fmt, lo(a), hi(a), lo(b), hi(b), false),
  sub: (st, fmt, a, b) => fpAdd(st, fmt, lo(a), hi(a), lo(b), hi(b), true),
  mul: (st, fmt, a, b) => fpMul(st, fmt, lo(a), hi(a), lo(b), hi(b)),
  div: (st, fmt, a, b) => fpDiv(st, fmt, lo(a), hi(a), lo(b), hi(b)),
};
const fast32: Record<string, (st: FpStatus, a: number, b: number) => number> = {
  add: ops.f32Add,
  sub: ops.f32Sub,
  mul: ops.f32Mul,
  div: ops.f32Div,
};
const fast64: Record<string, (st: FpStatus, al: number, ah: number, bl: number, bh: number) => void> = {
  add: ops.f64Add,
  sub: ops.f64Sub,
  mul: ops.f64Mul,
  div: ops.f64Div,
};
const reference: Record<string, (f: Fmt, a: bigint, b: bigint, env: Env) => Outcome> = {
  add: (f, a, b, env) => refAdd(f, a, b, env),
  sub: (f, a, b, env) => refAdd(f, a, b, env, true),
  mul: refMul,
  div: refDiv,
};

describe.each(['add', 'sub', 'mul', 'div'])('FP %s against the exact rational reference', (op) => {
  it.each([1, 2] as const)('format %i: generic path', (f) => {
    const failures: string[] = [];
    for (const [a, b] of pairs(f, 17 + f, 1500)) {
      for (const env of ENVS) {
        const r = check(f, env, [a, b], (st) => generic[op]!(st, f, a, b), reference[op]!(f, a, b, env));
        if (r) failures.push(r);
      }
    }
    expectNoFailures(failures);
  });

  it('single: fast entry point', () => {
    const failures: string[] = [];
    for (const [a, b] of pairs(1, 99, 3000)) {
      for (const env of ENVS) {
        const r = check(1, env, [a, b], (st) => fast32[op]!(st, lo(a), lo(b)), reference[op]!(1, a, b, env));
        if (r) failures.push(r);
      }
    }
    expectNoFailures(failures);
  });

  it('double: fast entry point', () => {
    const failures: string[] = [];
    for (const [a, b] of pairs(2, 123, 3000)) {
      for (const env of ENVS) {
        const lib = (st: FpStatus): void => fast64[op]!(st, lo(a), hi(a), lo(b), hi(b));
        const r = check(2, env, [a, b], lib, reference[op]!(2, a, b, env));
        if (r) failures.push(r);
      }
    }
    expectNoFailures(failures);
  });
});

describe('FP sqrt against the exact reference', () => {
  it.each([1, 2] as const)('format %i', (f) => {
    const rng = new Rng(5 + f);
    const values = [...cornerValues(f)];
    for (let i = 0; i < 3000; i++) values.push(randomValue(f, rng));
    const failures: string[] = [];
    for (const a of values) {
      for (const env of ENVS) {
        const ref = refSqrt(f, a, env);
        let r = check(f, env, [a], (st) => fpSqrt(st, f, lo(a), hi(a)), ref);
        if (r) failures.push(r);
        const fast =
          f === 1 ? (st: FpStatus) => ops.f32Sqrt(st, lo(a)) : (st: FpStatus) => ops.f64Sqrt(st, lo(a), hi(a));
        r = check(f, env, [a], fast, ref);
        if (r) failures.push('fast ' + r);
      }
    }
    expectNoFailures(failures);
  });
});

describe('FP fused multiply-add against the exact reference', () => {
  it.each([1, 2] as const)('format %i', (f) => {
    const rng = new Rng(77 + f);
    const corners = cornerValues(f);
    const triples: [bigint, bigint, bigint][] = [];
    for (let i = 0; i < 12000; i++) {
      const pick = (): bigint => (rng.below(3) === 0 ? corners[rng.below(corners.length)]! : randomValue(f, rng));
      const a = pick();
      const b = pick();
      // addends near -(a*b) make the sum cancel; others land anywhere
      const centre = exponentField(f, a) + exponentField(f, b) - (f === 2 ? 1023 : 127);
      const c = rng.below(2) === 0 ? randomValue(f, rng, Math.max(0, centre)) : pick();
      triples.push([c, a, b]);
    }
    const failures: string[] = [];
    for (const [c, a, b] of triples) {
      for (const env of ENVS) {
        const lib = (st: FpStatus): void => {
          fpMulAdd(st, f, lo(c), hi(c), lo(a), hi(a), lo(b), hi(b));
        };
        const ref = refMulAdd(f, c, a, b, env);
        const r = check(f, env, [c, a, b], lib, ref);
        if (r) failures.push(r);
        const fast = (st: FpStatus): void => {
          if (f === 2) ops.f64MulAdd(st, lo(c), hi(c), lo(a), hi(a), lo(b), hi(b));
          else ops.f32MulAdd(st, lo(c), lo(a), lo(b));
        };
        const rf = check(f, env, [c, a, b], fast, ref);
        if (rf) failures.push('fast ' + rf);
      }
    }
    expectNoFailures(failures);
  });

  it('double: the round-to-nearest fast path on in-range operands, cancelling addends included', () => {
    const rng = new Rng(4242);
    const env = ENVS[0]!;
    const failures: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const a = (randomValue(2, rng, 1023 + rng.below(400) - 200) & ~(1n << 63n)) | (rng.below(2) ? 1n << 63n : 0n);
      const b = randomValue(2, rng, 1023 + rng.below(400) - 200);
      const centre = exponentField(2, a) + exponentField(2, b) - 1023;
      const c = randomValue(2, rng, Math.min(2046, Math.max(1, centre - rng.below(3))));
      const fast = (st: FpStatus): void => ops.f64MulAdd(st, lo(c), hi(c), lo(a), hi(a), lo(b), hi(b));
      const r = check(2, env, [c, a, b], fast, refMulAdd(2, c, a, b, env));
      if (r) failures.push(r);
    }
    expectNoFailures(failures);
  });

  it('double: exact cancellation against a rounded product leaves the product error', () => {
    // a*b = 1 + 2^-52 + 2^-52 + 2^-104 ... c = -RN(a*b): the result is exactly the low part of the product
    const a = 0x3ff0000000000001n; // 1 + 2^-52
    const c = 0xbff0000000000002n; // -(1 + 2^-51)
    const failures: string[] = [];
    for (const env of ENVS) {
      const r = check(2, env, [c, a, a], (st) => fpMulAdd(st, 2, lo(c), hi(c), lo(a), hi(a), lo(a), hi(a)), {
        ...refMulAdd(2, c, a, a, env),
      });
      if (r) failures.push(r);
    }
    expectNoFailures(failures);
    const st = status(ENVS[0]!);
    fpMulAdd(st, 2, lo(c), hi(c), lo(a), hi(a), lo(a), hi(a));
    expect(resultBits(2, st)).toBe(0x3970000000000000n); // 2^-104 (exponent field 1023 - 104), exact
  });
});

describe('FRECPS/FRSQRTS steps against the exact reference', () => {
  it.each([1, 2] as const)('format %i: 2 - a*b and (3 - a*b) / 2 rounded once', (f) => {
    const rng = new Rng(303 + f);
    const corners = cornerValues(f);
    const sign = f === 2 ? 1n << 63n : 1n << 31n;
    const two = f === 2 ? 0x4000000000000000n : 0x40000000n;
    const three = f === 2 ? 0x4008000000000000n : 0x40400000n;
    const failures: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const a = rng.below(4) === 0 ? corners[rng.below(corners.length)]! : randomValue(f, rng);
      // b near 1/a makes the step cancel, as Newton-Raphson iterations do
      const b =
        rng.below(4) === 0
          ? corners[rng.below(corners.length)]!
          : randomValue(f, rng, 2 * (f === 2 ? 1023 : 127) - exponentField(f, a));
      for (const env of ENVS) {
        const fl = { v: 0 };
        const x = decode(f, a ^ sign, env, fl);
        const y = decode(f, b, env, fl);
        const zeroInf = (x.kind === 'inf' && y.kind === 'zero') || (x.kind === 'zero' && y.kind === 'inf');
        for (const rsqrt of [false, true]) {
          const onePointFive = f === 2 ? 0x3ff8000000000000n : 0x3fc00000n;
          let ref: Outcome;
          if (x.kind === 'nan' || y.kind === 'nan') ref = refMulAdd(f, rsqrt ? three : two, a ^ sign, b, env);
          else if (zeroInf) ref = { bits: rsqrt ? onePointFive : two, flags: fl.v };
          else if (!rsqrt) ref = refMulAdd(f, two, a ^ sign, b, env);
          else if (x.kind === 'num' && y.kind === 'num') {
            // (3 + (-a) * b) / 2 as one exact rational
            const n = 3n * x.d * y.d + (x.sign ? -x.n : x.n) * (y.sign ? -y.n : y.n);
            const d = 2n * x.d * y.d;
            const r =
              n === 0n
                ? { bits: env.mode === 2 ? sign : 0n, flags: 0 }
                : roundRational(f, n < 0n, n < 0n ? -n : n, d, env);
            ref = { bits: r.bits, flags: r.flags | fl.v };
          } else if (x.kind === 'zero' || y.kind === 'zero') ref = { bits: onePointFive, flags: fl.v };
          else ref = refMulAdd(f, three, a ^ sign, b, env); // an infinite product: the infinity
          const lib = (st: FpStatus): void => {
            fpRecipStep(st, f, lo(a), hi(a), lo(b), hi(b), rsqrt);
          };
          const r = check(f, env, [a, b], lib, ref);
          if (r) failures.push(`${rsqrt ? 'rsqrts' : 'recps'} ${r}`);
        }
      }
    }
    expectNoFailures(failures);
  });
});
