// AdvSIMD shifts by immediate, three-different (long, wide, narrowing high half) and by-element forms on
// the Cpu, with expected lanes computed here in BigInt from the ARM ARM pseudocode.
import { describe, expect, it } from 'vitest';
import { makeMachine, runCases } from '../harness';
import type { VCase } from './simd-reference';
import { Rng, Sat, int, lanesOf, mask, pack, polyMul, sx, toInsnCases, ux, vecValue } from './simd-reference';

const rng = new Rng(0xa11ce);
const ARR = ['8b', '16b', '4h', '8h', '2s', '4s', '1d', '2d'];
const arr = (size: number, q: number): string => ARR[size * 2 + q];
const S = 'bhsd';
const reg = (): number => rng.below(32);

function check(cases: VCase[]): void {
  const failures = runCases(makeMachine(), toInsnCases(cases));
  expect(failures.slice(0, 8)).toEqual([]);
}

// --- shift by immediate -----------------------------------------------------------------------------------

/** Same-size shifts: result from element a, old d, shift amount. */
function shiftImm(name: string, e: number, a: bigint, d: bigint, sh: number, sat: Sat): bigint {
  const u = name.startsWith('u') || name === 'sri' || name === 'sli' || name === 'shl';
  const x = int(a, e, u);
  const k = BigInt(sh);
  const roundConst = name.includes('rs') ? 1n << (k - 1n) : 0n;
  switch (name) {
    case 'sshr':
    case 'ushr':
    case 'srshr':
    case 'urshr':
      return (x + roundConst) >> k;
    case 'ssra':
    case 'usra':
    case 'srsra':
    case 'ursra':
      return d + ((x + roundConst) >> k);
    case 'sri': {
      const m = mask(e) >> k;
      return (d & ~m) | (ux(a, e) >> k);
    }
    case 'shl':
      return x << k;
    case 'sli':
      return (d & mask(Number(k))) | (ux(a, e) << k);
    case 'sqshl':
      return sat.q(sx(a, e) << k, e, false);
    case 'uqshl':
      return sat.q(ux(a, e) << k, e, true);
    case 'sqshlu':
      return sat.q(sx(a, e) << k, e, true);
  }
  throw new Error(name);
}

const RIGHT = new Set(['sshr', 'ushr', 'srshr', 'urshr', 'ssra', 'usra', 'srsra', 'ursra', 'sri']);

/** Cases for "narrowing shifts SHRN RSHRN SQSHRN UQSHRN SQRSHRN UQRSHRN SQSHRUN SQRSHRUN". */
function narrowingShiftsShrnRshrnCases(): VCase[] {
  const cases: VCase[] = [];
  for (const name of ['shrn', 'rshrn', 'sqshrn', 'uqshrn', 'sqrshrn', 'uqrshrn', 'sqshrun', 'sqrshrun']) {
    for (const size of [0, 1, 2]) {
      const e = 8 << size;
      for (const form of [0, 1, 2]) {
        if (form === 2 && !name.startsWith('sq') && !name.startsWith('uq')) continue;
        for (let i = 0; i < 5; i++) {
          const sh = 1 + rng.below(e);
          const [d, n] = [reg(), reg()];
          const v = { [d]: vecValue(rng, e), [n]: vecValue(rng, 2 * e) };
          const sat = new Sat();
          const lanes = form === 2 ? 1 : 64 / e;
          const unsignedIn = name.startsWith('u') || !name.startsWith('sq');
          const round = name.includes('rshr') ? 1n << BigInt(sh - 1) : 0n;
          const shifted = lanesOf(v[n], 2 * e)
            .slice(0, lanes)
            .map((x) => (int(x, 2 * e, unsignedIn) + round) >> BigInt(sh));
          const narrowed = shifted.map((x) => {
            if (!name.startsWith('sq') && !name.startsWith('uq')) return x;
            return sat.q(x, e, name.startsWith('u') || name.endsWith('un'));
          });
          const keep = form === 1 ? lanesOf(v[d], e).slice(0, 64 / e) : [];
          const asm =
            form === 2
              ? `${name} ${S[size]}${d}, ${S[size + 1]}${n}, #${sh}`
              : `${name}${form === 1 ? '2' : ''} v${d}.${arr(size, form)}, v${n}.${arr(size + 1, 1)}, #${sh}`;
          cases.push({ asm, v, expectV: { [d]: pack([...keep, ...narrowed], e) }, qc: sat.hit });
        }
      }
    }
  }
  return cases;
}

/** Cases for "SSHLL USHLL and the SXTL UXTL aliases". */
function sshllUshllAndTheCases(): VCase[] {
  const cases: VCase[] = [];
  for (const name of ['sshll', 'ushll', 'sxtl', 'uxtl']) {
    for (const size of [0, 1, 2]) {
      const e = 8 << size;
      for (const q of [0, 1]) {
        const sh = name.endsWith('tl') ? 0 : rng.below(e);
        const [d, n] = [reg(), reg()];
        const v = { [d]: vecValue(rng, e), [n]: vecValue(rng, e) };
        const A = lanesOf(v[n], e).slice(q * (64 / e), (q + 1) * (64 / e));
        const out = A.map((x) => int(x, e, name.startsWith('u')) << BigInt(sh));
        const suffix = q === 1 ? '2' : '';
        const ops = `v${d}.${arr(size + 1, 1)}, v${n}.${arr(size, q)}`;
        cases.push({
          asm: name.endsWith('tl') ? `${name}${suffix} ${ops}` : `${name}${suffix} ${ops}, #${sh}`,
          v,
          expectV: { [d]: pack(out, 2 * e) },
        });
      }
    }
  }
  return cases;
}

/** Cases for "long forms (vector, upper half, and the scalar SQDMULL/SQDMLAL/SQDMLSL)". */
function longFormsVectorUpperCases(): VCase[] {
  const cases: VCase[] = [];
  for (const name of LONG_NAMES) {
    const sizes = name.startsWith('sqd') ? [1, 2] : name === 'pmull' ? [0] : [0, 1, 2];
    for (const size of sizes) {
      const e = 8 << size;
      for (const form of name.startsWith('sqd') ? [0, 1, 2] : [0, 1]) {
        for (let i = 0; i < 5; i++) {
          const [d, n, m] = [reg(), reg(), reg()];
          const v = { [d]: vecValue(rng, 2 * e), [n]: vecValue(rng, e), [m]: vecValue(rng, e) };
          const u = name.startsWith('u') || name === 'pmull';
          const sat = new Sat();
          const lanes = form === 2 ? 1 : 64 / e;
          const first = form === 1 ? lanes : 0;
          const A = lanesOf(v[n], e)
            .slice(first, first + lanes)
            .map((x) => int(x, e, u));
          const B = lanesOf(v[m], e)
            .slice(first, first + lanes)
            .map((x) => int(x, e, u));
          const D = lanesOf(v[d], 2 * e);
          const out = A.map((a, j) => longOp(name, e, a, B[j], D[j], sat));
          const asm =
            form === 2
              ? `${name} ${S[size + 1]}${d}, ${S[size]}${n}, ${S[size]}${m}`
              : `${name}${form === 1 ? '2' : ''} v${d}.${arr(size + 1, 1)}, v${n}.${arr(size, form)}, v${m}.${arr(size, form)}`;
          cases.push({ asm, v, expectV: { [d]: pack(out, 2 * e) }, qc: sat.hit });
        }
      }
    }
  }
  return cases;
}

/** Cases for "wide forms SADDW UADDW SSUBW USUBW and high narrows ADDHN RADDHN SUBHN RSUBHN". */
function wideFormsSaddwUaddwCases(): VCase[] {
  const cases: VCase[] = [];
  for (const name of ['saddw', 'uaddw', 'ssubw', 'usubw', 'addhn', 'raddhn', 'subhn', 'rsubhn']) {
    for (const size of [0, 1, 2]) {
      const e = 8 << size;
      for (const q of [0, 1]) {
        for (let i = 0; i < 5; i++) {
          const [d, n, m] = [reg(), reg(), reg()];
          const lanes = 64 / e;
          const suffix = q === 1 ? '2' : '';
          if (name.endsWith('w')) {
            const v = { [d]: vecValue(rng, e), [n]: vecValue(rng, 2 * e), [m]: vecValue(rng, e) };
            const u = name.startsWith('u');
            const B = lanesOf(v[m], e)
              .slice(q * lanes, (q + 1) * lanes)
              .map((x) => int(x, e, u));
            const out = lanesOf(v[n], 2 * e).map((a, j) => (name.includes('add') ? a + B[j] : a - B[j]));
            const asm = `${name}${suffix} v${d}.${arr(size + 1, 1)}, v${n}.${arr(size + 1, 1)}, v${m}.${arr(size, q)}`;
            cases.push({ asm, v, expectV: { [d]: pack(out, 2 * e) } });
          } else {
            const v = { [d]: vecValue(rng, e), [n]: vecValue(rng, 2 * e), [m]: vecValue(rng, 2 * e) };
            const B = lanesOf(v[m], 2 * e);
            const round = name.startsWith('r') ? 1n << BigInt(e - 1) : 0n;
            const high = lanesOf(v[n], 2 * e).map(
              (a, j) => ((name.includes('add') ? a + B[j] : a - B[j]) + round) >> BigInt(e),
            );
            const keep = q === 1 ? lanesOf(v[d], e).slice(0, lanes) : [];
            const asm = `${name}${suffix} v${d}.${arr(size, q)}, v${n}.${arr(size + 1, 1)}, v${m}.${arr(size + 1, 1)}`;
            cases.push({ asm, v, expectV: { [d]: pack([...keep, ...high], e) } });
          }
        }
      }
    }
  }
  return cases;
}

/** Cases for "MUL MLA MLS SQDMULH SQRDMULH by element (vector and scalar)". */
function mulMlaMlsSqdmulhCases(): VCase[] {
  const cases: VCase[] = [];
  for (const name of ['mul', 'mla', 'mls', 'sqdmulh', 'sqrdmulh']) {
    for (const size of [1, 2]) {
      const e = 8 << size;
      for (const form of name.startsWith('sq') ? [0, 1, 2] : [0, 1]) {
        for (let i = 0; i < 6; i++) {
          const [d, n] = [reg(), reg()];
          const m = size === 1 ? rng.below(16) : reg();
          const index = rng.below(128 / e);
          const v = { [d]: vecValue(rng, e), [n]: vecValue(rng, e), [m]: vecValue(rng, e) };
          const sat = new Sat();
          const b = sx(lanesOf(v[m], e)[index], e);
          const lanes = form === 2 ? 1 : form === 1 ? 128 / e : 64 / e;
          const D = lanesOf(v[d], e);
          const out = lanesOf(v[n], e)
            .slice(0, lanes)
            .map((x, j) => {
              const a = sx(x, e);
              if (name === 'mul') return a * b;
              if (name === 'mla') return D[j] + a * b;
              if (name === 'mls') return D[j] - a * b;
              const round = name === 'sqrdmulh' ? 1n << BigInt(e - 1) : 0n;
              return sat.q((2n * a * b + round) >> BigInt(e), e, false);
            });
          const el = `v${m}.${S[size]}[${index}]`;
          const asm =
            form === 2
              ? `${name} ${S[size]}${d}, ${S[size]}${n}, ${el}`
              : `${name} v${d}.${arr(size, form)}, v${n}.${arr(size, form)}, ${el}`;
          cases.push({ asm, v, expectV: { [d]: pack(out, e) }, qc: sat.hit });
        }
      }
    }
  }
  return cases;
}

/** Cases for "long multiplies by element (SMULL UMULL SMLAL UMLAL SMLSL UMLSL SQDMULL SQDMLAL SQDMLSL)". */
function longMultipliesByElementCases(): VCase[] {
  const cases: VCase[] = [];
  for (const name of ['smull', 'umull', 'smlal', 'umlal', 'smlsl', 'umlsl', 'sqdmull', 'sqdmlal', 'sqdmlsl']) {
    for (const size of [1, 2]) {
      const e = 8 << size;
      for (const form of name.startsWith('sq') ? [0, 1, 2] : [0, 1]) {
        for (let i = 0; i < 5; i++) {
          const [d, n] = [reg(), reg()];
          const m = size === 1 ? rng.below(16) : reg();
          const index = rng.below(128 / e);
          const v = { [d]: vecValue(rng, 2 * e), [n]: vecValue(rng, e), [m]: vecValue(rng, e) };
          const u = name.startsWith('u');
          const sat = new Sat();
          const b = int(lanesOf(v[m], e)[index], e, u);
          const lanes = form === 2 ? 1 : 64 / e;
          const first = form === 1 ? lanes : 0;
          const D = lanesOf(v[d], 2 * e);
          const out = lanesOf(v[n], e)
            .slice(first, first + lanes)
            .map((x, j) => longOp(name, e, int(x, e, u), b, D[j], sat));
          const el = `v${m}.${S[size]}[${index}]`;
          const asm =
            form === 2
              ? `${name} ${S[size + 1]}${d}, ${S[size]}${n}, ${el}`
              : `${name}${form === 1 ? '2' : ''} v${d}.${arr(size + 1, 1)}, v${n}.${arr(size, form)}, ${el}`;
          cases.push({ asm, v, expectV: { [d]: pack(out, 2 * e) }, qc: sat.hit });
        }
      }
    }
  }
  return cases;
}

describe('AdvSIMD shift by immediate', () => {
  it('right and left shifts, accumulate, insert, saturating (vector and scalar)', () => {
    const names = [
      'sshr',
      'ushr',
      'srshr',
      'urshr',
      'ssra',
      'usra',
      'srsra',
      'ursra',
      'sri',
      'shl',
      'sli',
      'sqshl',
      'uqshl',
      'sqshlu',
    ];
    const cases: VCase[] = [];
    for (const name of names) {
      const scalarAll = name.startsWith('sq') || name.startsWith('uq');
      for (const size of [0, 1, 2, 3]) {
        const e = 8 << size;
        for (const form of [0, 1, 2]) {
          if (form === 0 && size === 3) continue; // Q = 0 with .1d is reserved
          if (form === 2 && !scalarAll && size !== 3) continue;
          for (let i = 0; i < 5; i++) {
            const sh = RIGHT.has(name) ? 1 + rng.below(e) : rng.below(e);
            const [d, n] = [reg(), reg()];
            const v = { [d]: vecValue(rng, e), [n]: vecValue(rng, e) };
            const sat = new Sat();
            const lanes = form === 2 ? 1 : form === 1 ? 128 / e : 64 / e;
            const A = lanesOf(v[n], e);
            const D = lanesOf(v[d], e);
            const out = Array.from({ length: lanes }, (_, j) => shiftImm(name, e, A[j], D[j], sh, sat));
            const ops =
              form === 2 ? `${S[size]}${d}, ${S[size]}${n}` : `v${d}.${arr(size, form)}, v${n}.${arr(size, form)}`;
            cases.push({ asm: `${name} ${ops}, #${sh}`, v, expectV: { [d]: pack(out, e) }, qc: sat.hit });
          }
        }
      }
    }
    check(cases);
  });

  it('narrowing shifts SHRN RSHRN SQSHRN UQSHRN SQRSHRN UQRSHRN SQSHRUN SQRSHRUN', () =>
    check(narrowingShiftsShrnRshrnCases()));

  it('SSHLL USHLL and the SXTL UXTL aliases', () => check(sshllUshllAndTheCases()));
});

// --- three different and by element -------------------------------------------------------------------------

/** Long operation on narrow elements (already Int()-converted) and the old wide element. */
function longOp(name: string, e: number, a: bigint, b: bigint, d: bigint, sat: Sat): bigint {
  const base = name.replace(/^[su]/, '');
  const abd = a > b ? a - b : b - a;
  switch (name) {
    case 'sqdmull':
      return sat.q(2n * a * b, 2 * e, false);
    case 'sqdmlal':
      return sat.q(sx(d, 2 * e) + sat.q(2n * a * b, 2 * e, false), 2 * e, false);
    case 'sqdmlsl':
      return sat.q(sx(d, 2 * e) - sat.q(2n * a * b, 2 * e, false), 2 * e, false);
    case 'pmull':
      return polyMul(a, b, 8);
  }
  switch (base) {
    case 'addl':
      return a + b;
    case 'subl':
      return a - b;
    case 'abdl':
      return abd;
    case 'abal':
      return d + abd;
    case 'mlal':
      return d + a * b;
    case 'mlsl':
      return d - a * b;
    case 'mull':
      return a * b;
  }
  throw new Error(name);
}

const LONG_NAMES = [
  'saddl',
  'uaddl',
  'ssubl',
  'usubl',
  'sabal',
  'uabal',
  'sabdl',
  'uabdl',
  'smlal',
  'umlal',
  'smlsl',
  'umlsl',
  'smull',
  'umull',
  'sqdmlal',
  'sqdmlsl',
  'sqdmull',
  'pmull',
];

describe('AdvSIMD three different', () => {
  it('long forms (vector, upper half, and the scalar SQDMULL/SQDMLAL/SQDMLSL)', () =>
    check(longFormsVectorUpperCases()));

  it('wide forms SADDW UADDW SSUBW USUBW and high narrows ADDHN RADDHN SUBHN RSUBHN', () =>
    check(wideFormsSaddwUaddwCases()));
});

describe('AdvSIMD by element', () => {
  it('MUL MLA MLS SQDMULH SQRDMULH by element (vector and scalar)', () => check(mulMlaMlsSqdmulhCases()));

  it('long multiplies by element (SMULL UMULL SMLAL UMLAL SMLSL UMLSL SQDMULL SQDMLAL SQDMLSL)', () =>
    check(longMultipliesByElementCases()));
});
