// AdvSIMD integer arithmetic executed on the Cpu (words assembled by binutils), with every lane's expected
// value computed here in BigInt from the ARM ARM pseudocode, over biased random inputs, including
// saturation (FPSR.QC) and the zeroed upper half of 64-bit forms.
import { describe, expect, it } from 'vitest';
import { makeMachine, runCases } from '../harness';
import type { VCase } from './simd-reference';
import {
  QC,
  Rng,
  Sat,
  int,
  lanesOf,
  mask,
  pack,
  polyMul,
  shiftAny,
  sx,
  toInsnCases,
  ux,
  vecValue,
} from './simd-reference';

const rng = new Rng(0x51d);
const ARR = ['8b', '16b', '4h', '8h', '2s', '4s', '1d', '2d'];
const arr = (size: number, q: number): string => ARR[size * 2 + q];
const S = 'bhsd';

function check(cases: VCase[]): void {
  const failures = runCases(makeMachine(), toInsnCases(cases));
  expect(failures.slice(0, 8)).toEqual([]);
}

const reg = (): number => rng.below(32);
const isUnsigned = (name: string): boolean => name.startsWith('u') || name === 'cmhi' || name === 'cmhs';

/** Result of one three-same element operation (any integer; truncated when packed). */
function sameOp(name: string, e: number, a: bigint, b: bigint, d: bigint, sat: Sat): bigint {
  const u = isUnsigned(name);
  const x = int(a, e, u);
  const y = int(b, e, u);
  const base = name.replace(/^[su]/, '');
  if (/^(s|u)(q?r?shl)$/.test(name)) {
    const shift = Number(sx(b & 0xffn, 8));
    const rounding = base.includes('r');
    const round = rounding && shift < 0 ? 1n << BigInt(-shift - 1) : 0n;
    const r = shiftAny(x + round, shift);
    return base.startsWith('q') ? sat.q(r, e, u) : r;
  }
  switch (base) {
    case 'hadd':
      return (x + y) >> 1n;
    case 'rhadd':
      return (x + y + 1n) >> 1n;
    case 'hsub':
      return (x - y) >> 1n;
    case 'qadd':
      return sat.q(x + y, e, u);
    case 'qsub':
      return sat.q(x - y, e, u);
    case 'max':
      return x > y ? x : y;
    case 'min':
      return x < y ? x : y;
    case 'abd':
      return x > y ? x - y : y - x;
    case 'aba':
      return d + (x > y ? x - y : y - x);
  }
  switch (name) {
    case 'cmgt':
    case 'cmhi':
      return x > y ? -1n : 0n;
    case 'cmge':
    case 'cmhs':
      return x >= y ? -1n : 0n;
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'cmtst':
      return (a & b) !== 0n ? -1n : 0n;
    case 'cmeq':
      return a === b ? -1n : 0n;
    case 'mla':
      return d + a * b;
    case 'mls':
      return d - a * b;
    case 'mul':
      return a * b;
    case 'pmul':
      return polyMul(a, b, 8);
    case 'sqdmulh':
    case 'sqrdmulh': {
      const round = name === 'sqrdmulh' ? 1n << BigInt(e - 1) : 0n;
      return sat.q((2n * sx(a, e) * sx(b, e) + round) >> BigInt(e), e, false);
    }
  }
  throw new Error(`no reference for ${name}`);
}

const PAIRWISE = new Set(['addp', 'smaxp', 'umaxp', 'sminp', 'uminp']);

/** sizes: allowed size indices for the vector form; scalar: for the scalar form. */
const THREE_SAME: Array<[string[], number[], number[]]> = [
  [['shadd', 'uhadd', 'srhadd', 'urhadd', 'shsub', 'uhsub'], [0, 1, 2], []],
  [
    ['sqadd', 'uqadd', 'sqsub', 'uqsub', 'sqshl', 'uqshl', 'sqrshl', 'uqrshl'],
    [0, 1, 2, 3],
    [0, 1, 2, 3],
  ],
  [
    ['cmgt', 'cmhi', 'cmge', 'cmhs', 'sshl', 'ushl', 'srshl', 'urshl', 'add', 'sub', 'cmtst', 'cmeq'],
    [0, 1, 2, 3],
    [3],
  ],
  [['smax', 'umax', 'smin', 'umin', 'sabd', 'uabd', 'saba', 'uaba', 'mla', 'mls', 'mul'], [0, 1, 2], []],
  [['pmul'], [0], []],
  [
    ['sqdmulh', 'sqrdmulh'],
    [1, 2],
    [1, 2],
  ],
  [['addp'], [0, 1, 2, 3], []],
  [['smaxp', 'umaxp', 'sminp', 'uminp'], [0, 1, 2], []],
];

/** Shift operands are more interesting when small: bias the low byte of b's lanes to -e-2..e+2. */
function shiftOperand(e: number): bigint {
  const lanes = lanesOf(vecValue(rng, e), e).map((x) =>
    rng.below(3) === 0 ? x : (x & ~0xffn) | ux(BigInt(rng.below(2 * e + 5) - e - 2), 8),
  );
  return pack(lanes, e);
}

function threeSameCase(name: string, size: number, q: number, scalar: boolean): VCase {
  const e = 8 << size;
  const [d, n, m] = [reg(), reg(), reg()];
  const v: Record<number, bigint> = {};
  v[d] = vecValue(rng, e);
  v[n] = vecValue(rng, e);
  v[m] = name.includes('shl') ? shiftOperand(e) : vecValue(rng, e);
  const A = lanesOf(v[n], e);
  const B = lanesOf(v[m], e);
  const D = lanesOf(v[d], e);
  const sat = new Sat();
  const lanes = scalar ? 1 : (q ? 128 : 64) / e;
  let out: bigint[];
  if (PAIRWISE.has(name)) {
    const concat = [...A.slice(0, lanes), ...B.slice(0, lanes)];
    const base = name.slice(0, -1);
    out = Array.from({ length: lanes }, (_, i) =>
      base === 'add' ? concat[2 * i] + concat[2 * i + 1] : sameOp(base, e, concat[2 * i], concat[2 * i + 1], 0n, sat),
    );
  } else {
    out = Array.from({ length: lanes }, (_, i) => sameOp(name, e, A[i], B[i], D[i], sat));
  }
  const ops = scalar ? [d, n, m].map((r) => `${S[size]}${r}`) : [d, n, m].map((r) => `v${r}.${arr(size, q)}`);
  const qcExpected = /q/.test(name) ? sat.hit : false;
  return { asm: `${name} ${ops.join(', ')}`, v, expectV: { [d]: pack(out, e) }, qc: qcExpected };
}

/** Cases for "NOT (MVN) and RBIT on bytes". */
function notMvnAndRbitCases(): VCase[] {
  const cases: VCase[] = [];
  for (const name of ['mvn', 'rbit']) {
    for (const q of [0, 1]) for (let i = 0; i < 8; i++) cases.push(miscCase(name, 0, q, false, false));
  }
  return cases;
}

/** Cases for "REV16 REV32 REV64". */
function rev16Rev32Rev64Cases(): VCase[] {
  const cases: VCase[] = [];
  const shapes: Array<[string, number, number[]]> = [
    ['rev16', 16, [0]],
    ['rev32', 32, [0, 1]],
    ['rev64', 64, [0, 1, 2]],
  ];
  for (const [name, container, sizes] of shapes) {
    for (const size of sizes) {
      for (const q of [0, 1]) {
        const e = 8 << size;
        const [d, n] = [reg(), reg()];
        const v = { [d]: vecValue(rng, 8), [n]: vecValue(rng, 8) };
        const A = lanesOf(v[n], e).slice(0, (q ? 128 : 64) / e);
        const per = container / e;
        const out = A.map((_, i) => A[i - (i % per) + (per - 1 - (i % per))]);
        cases.push({
          asm: `${name} v${d}.${arr(size, q)}, v${n}.${arr(size, q)}`,
          v,
          expectV: { [d]: pack(out, e) },
        });
      }
    }
  }
  return cases;
}

/** Cases for "XTN SQXTN UQXTN SQXTUN (vector, upper half, scalar) and SHLL". */
function xtnSqxtnUqxtnSqxtunCases(): VCase[] {
  const cases: VCase[] = [];
  for (const name of ['xtn', 'sqxtn', 'uqxtn', 'sqxtun']) {
    for (const size of [0, 1, 2]) {
      for (const form of [0, 1, 2]) {
        if (name === 'xtn' && form === 2) continue;
        const e = 8 << size;
        const [d, n] = [reg(), reg()];
        const v = { [d]: vecValue(rng, e), [n]: vecValue(rng, 2 * e) };
        const sat = new Sat();
        const A = lanesOf(v[n], 2 * e);
        const lanes = form === 2 ? 1 : 64 / e;
        const narrowed = A.slice(0, lanes).map((x) => {
          if (name === 'xtn') return x;
          if (name === 'uqxtn') return sat.q(x, e, true);
          return sat.q(sx(x, 2 * e), e, name === 'sqxtun');
        });
        const keep = form === 1 ? lanesOf(v[d], e).slice(0, 64 / e) : [];
        const out = [...keep, ...narrowed];
        const suffix = form === 1 ? '2' : '';
        const asm =
          form === 2
            ? `${name} ${S[size]}${d}, ${S[size + 1]}${n}`
            : `${name}${suffix} v${d}.${arr(size, form === 1 ? 1 : 0)}, v${n}.${arr(size + 1, 1)}`;
        cases.push({ asm, v, expectV: { [d]: pack(out, e) }, qc: sat.hit });
      }
    }
  }
  for (const size of [0, 1, 2]) {
    for (const q of [0, 1]) {
      const e = 8 << size;
      const [d, n] = [reg(), reg()];
      const v = { [d]: vecValue(rng, e), [n]: vecValue(rng, e) };
      const A = lanesOf(v[n], e).slice(q * (64 / e), (q + 1) * (64 / e));
      const out = A.map((x) => x << BigInt(e));
      const asm = `shll${q ? '2' : ''} v${d}.${arr(size + 1, 1)}, v${n}.${arr(size, q)}, #${e}`;
      cases.push({ asm, v, expectV: { [d]: pack(out, 2 * e) } });
    }
  }
  return cases;
}

/** Cases for "SADDLP UADDLP SADALP UADALP". */
function saddlpUaddlpSadalpUadalpCases(): VCase[] {
  const cases: VCase[] = [];
  for (const name of ['saddlp', 'uaddlp', 'sadalp', 'uadalp']) {
    for (const size of [0, 1, 2]) {
      for (const q of [0, 1]) {
        for (let i = 0; i < 4; i++) {
          const e = 8 << size;
          const [d, n] = [reg(), reg()];
          const v = { [d]: vecValue(rng, 2 * e), [n]: vecValue(rng, e) };
          const u = name.startsWith('u');
          const A = lanesOf(v[n], e).map((x) => int(x, e, u));
          const D = lanesOf(v[d], 2 * e);
          const lanes = (q ? 64 : 32) / e;
          const out = Array.from(
            { length: lanes },
            (_, j) => A[2 * j] + A[2 * j + 1] + (name.includes('dal') ? D[j] : 0n),
          );
          cases.push({
            asm: `${name} v${d}.${arr(size + 1, q)}, v${n}.${arr(size, q)}`,
            v,
            expectV: { [d]: pack(out, 2 * e) },
          });
        }
      }
    }
  }
  return cases;
}

/** Cases for "ADDV SADDLV UADDLV SMAXV UMAXV SMINV UMINV". */
function addvSaddlvUaddlvSmaxvCases(): VCase[] {
  const cases: VCase[] = [];
  for (const name of ['addv', 'saddlv', 'uaddlv', 'smaxv', 'umaxv', 'sminv', 'uminv']) {
    for (const size of [0, 1, 2]) {
      for (const q of size === 2 ? [1] : [0, 1]) {
        for (let i = 0; i < 4; i++) {
          const e = 8 << size;
          const [d, n] = [reg(), reg()];
          const v = { [d]: vecValue(rng, e), [n]: vecValue(rng, e) };
          const u = name.startsWith('u');
          const A = lanesOf(v[n], e)
            .slice(0, (q ? 128 : 64) / e)
            .map((x) => int(x, e, u));
          let r: bigint;
          if (name.includes('max')) r = A.reduce((p, c) => (c > p ? c : p));
          else if (name.includes('min')) r = A.reduce((p, c) => (c < p ? c : p));
          else r = A.reduce((p, c) => p + c);
          const long = name.includes('addl');
          const re = long ? 2 * e : e;
          cases.push({
            asm: `${name} ${S[long ? size + 1 : size]}${d}, v${n}.${arr(size, q)}`,
            v,
            expectV: { [d]: ux(r, re) },
          });
        }
      }
    }
  }
  return cases;
}

describe('AdvSIMD three same (integer)', () => {
  for (const [names, sizes, scalarSizes] of THREE_SAME) {
    it(names.join(' '), () => {
      const cases: VCase[] = [];
      for (const name of names) {
        for (const size of sizes) {
          for (const q of size === 3 ? [1] : [0, 1])
            for (let i = 0; i < 8; i++) cases.push(threeSameCase(name, size, q, false));
        }
        for (const size of scalarSizes) for (let i = 0; i < 8; i++) cases.push(threeSameCase(name, size, 0, true));
      }
      check(cases);
    });
  }

  it('bitwise AND BIC ORR ORN EOR BSL BIT BIF and MOV', () => {
    const ops: Record<string, (n: bigint, m: bigint, d: bigint) => bigint> = {
      and: (n, m) => n & m,
      bic: (n, m) => n & ~m,
      orr: (n, m) => n | m,
      orn: (n, m) => n | ~m,
      eor: (n, m) => n ^ m,
      bsl: (n, m, d) => (d & n) | (~d & m),
      bit: (n, m, d) => (m & n) | (~m & d),
      bif: (n, m, d) => (~m & n) | (m & d),
    };
    const cases: VCase[] = [];
    for (const [name, f] of Object.entries(ops)) {
      for (const q of [0, 1]) {
        for (let i = 0; i < 6; i++) {
          const [d, n, m] = [reg(), reg(), reg()];
          const v: Record<number, bigint> = { [d]: vecValue(rng, 64), [n]: vecValue(rng, 8), [m]: vecValue(rng, 32) };
          const r = f(v[n], v[m], v[d]) & mask(q ? 128 : 64);
          const a = q ? '16b' : '8b';
          cases.push({ asm: `${name} v${d}.${a}, v${n}.${a}, v${m}.${a}`, v, expectV: { [d]: r } });
        }
      }
    }
    cases.push({ asm: 'mov v1.16b, v2.16b', v: { 1: 5n, 2: mask(128) - 3n }, expectV: { 1: mask(128) - 3n } });
    check(cases);
  });

  it('ADDP (scalar)', () => {
    const cases: VCase[] = [];
    for (let i = 0; i < 8; i++) {
      const [d, n] = [reg(), reg()];
      const v = { [d]: vecValue(rng, 64), [n]: vecValue(rng, 64) };
      const [lo, hi] = lanesOf(v[n], 64);
      cases.push({ asm: `addp d${d}, v${n}.2d`, v, expectV: { [d]: ux(lo + hi, 64) } });
    }
    check(cases);
  });

  it('sets QC only on saturation and leaves it set', () => {
    const max = (1n << 7n) - 1n;
    check([
      { asm: 'sqadd v0.16b, v1.16b, v2.16b', v: { 1: max, 2: 1n }, expectV: { 0: max }, qc: true },
      { asm: 'sqadd v0.16b, v1.16b, v2.16b', v: { 1: max - 1n, 2: 1n }, expectV: { 0: max }, qc: false },
      { asm: 'uqsub d0, d1, d2', v: { 1: 1n, 2: 2n }, expectV: { 0: 0n }, qc: true },
      // Rounding right shifts beyond the element size round every value to 0 (QEMU agrees).
      { asm: 'srshl d0, d1, d2', v: { 1: ux(-5n, 64), 2: 0xban }, expectV: { 0: 0n }, qc: false },
      { asm: 'sqrshl d0, d1, d2', v: { 1: ux(-5n, 128), 2: 0x80n }, expectV: { 0: 0n }, qc: false },
      {
        asm: 'srshl v0.4s, v1.4s, v2.4s',
        v: { 1: pack([-5n, -1n, -(1n << 31n), -(1n << 31n)], 32), 2: pack([0x80n, 0xden, 0xe0n, 0xe1n], 32) },
        // (x + 2^(s-1)) >> s for s = 128, 34, 32, 31.
        expectV: { 0: pack([0n, 0n, 0n, -1n], 32) },
        qc: false,
      },
      // QC is sticky: a later non-saturating instruction leaves it (and the other FPSR bits) alone.
      {
        asm: 'sqadd v0.16b, v1.16b, v2.16b',
        v: { 1: 1n, 2: 1n },
        expectV: { 0: 2n },
        qc: true,
        before: (m) => {
          m.cpu.fpsr = QC | 0x1f;
        },
        after: (m) => (m.cpu.fpsr === (QC | 0x1f) ? null : `fpsr ${m.cpu.fpsr.toString(16)}`),
      },
      {
        asm: 'sqdmulh v0.4s, v1.4s, v2.4s',
        v: { 1: 1n << 31n, 2: 1n << 31n },
        expectV: { 0: (1n << 31n) - 1n },
        qc: true,
      },
    ]);
  });
});

// --- two-register misc, across lanes --------------------------------------------------------------------

function countLeadingZeros(x: bigint, e: number): bigint {
  let n = 0n;
  for (let i = e - 1; i >= 0 && ((x >> BigInt(i)) & 1n) === 0n; i--) n++;
  return n;
}

function miscOp(name: string, e: number, a: bigint, d: bigint, sat: Sat): bigint {
  const s = sx(a, e);
  switch (name) {
    case 'cls':
      return countLeadingZeros(ux(s < 0n ? ~s : s, e), e) - 1n;
    case 'clz':
      return countLeadingZeros(a, e);
    case 'cnt':
      return BigInt([...a.toString(2)].filter((c) => c === '1').length);
    case 'mvn':
      return ~a;
    case 'rbit':
      return BigInt(`0b${a.toString(2).padStart(8, '0').split('').reverse().join('')}`);
    case 'sqabs':
      return sat.q(s < 0n ? -s : s, e, false);
    case 'sqneg':
      return sat.q(-s, e, false);
    case 'abs':
      return s < 0n ? -s : s;
    case 'neg':
      return -s;
    case 'cmgt':
      return s > 0n ? -1n : 0n;
    case 'cmge':
      return s >= 0n ? -1n : 0n;
    case 'cmeq':
      return s === 0n ? -1n : 0n;
    case 'cmle':
      return s <= 0n ? -1n : 0n;
    case 'cmlt':
      return s < 0n ? -1n : 0n;
    case 'suqadd':
      return sat.q(sx(d, e) + a, e, false);
    case 'usqadd':
      return sat.q(d + s, e, true);
  }
  throw new Error(name);
}

const MISC: Array<[string[], number[], number[], boolean]> = [
  [['cls', 'clz'], [0, 1, 2], [], false],
  [['cnt'], [0], [], false],
  [['sqabs', 'sqneg', 'suqadd', 'usqadd'], [0, 1, 2, 3], [0, 1, 2, 3], false],
  [['abs', 'neg'], [0, 1, 2, 3], [3], false],
  [['cmgt', 'cmge', 'cmeq', 'cmle', 'cmlt'], [0, 1, 2, 3], [3], true],
];

function miscCase(name: string, size: number, q: number, scalar: boolean, zeroOperand: boolean): VCase {
  const e = 8 << size;
  const [d, n] = [reg(), reg()];
  const v: Record<number, bigint> = { [d]: vecValue(rng, e), [n]: vecValue(rng, e) };
  const sat = new Sat();
  const lanes = scalar ? 1 : (q ? 128 : 64) / e;
  const A = lanesOf(v[n], e);
  const D = lanesOf(v[d], e);
  const out = Array.from({ length: lanes }, (_, i) => miscOp(name, e, A[i], D[i], sat));
  const ops = scalar ? `${S[size]}${d}, ${S[size]}${n}` : `v${d}.${arr(size, q)}, v${n}.${arr(size, q)}`;
  return { asm: `${name} ${ops}${zeroOperand ? ', #0' : ''}`, v, expectV: { [d]: pack(out, e) }, qc: sat.hit };
}

describe('AdvSIMD two-register misc and across lanes (integer)', () => {
  for (const [names, sizes, scalarSizes, zeroOperand] of MISC) {
    it(names.join(' '), () => {
      const cases: VCase[] = [];
      for (const name of names) {
        for (const size of sizes) {
          for (const q of size === 3 ? [1] : [0, 1])
            for (let i = 0; i < 8; i++) cases.push(miscCase(name, size, q, false, zeroOperand));
        }
        for (const size of scalarSizes)
          for (let i = 0; i < 8; i++) cases.push(miscCase(name, size, 0, true, zeroOperand));
      }
      check(cases);
    });
  }

  it('NOT (MVN) and RBIT on bytes', () => check(notMvnAndRbitCases()));

  it('REV16 REV32 REV64', () => check(rev16Rev32Rev64Cases()));

  it('XTN SQXTN UQXTN SQXTUN (vector, upper half, scalar) and SHLL', () => check(xtnSqxtnUqxtnSqxtunCases()));

  it('SADDLP UADDLP SADALP UADALP', () => check(saddlpUaddlpSadalpUadalpCases()));

  it('ADDV SADDLV UADDLV SMAXV UMAXV SMINV UMINV', () => check(addvSaddlvUaddlvSmaxvCases()));
});
