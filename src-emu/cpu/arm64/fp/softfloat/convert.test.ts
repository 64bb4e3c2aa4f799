import { describe, expect, it } from 'vitest';
import { FpStatus, FPCR } from './status';
import { fixedToFp, fpConvert, fpRoundInt, fpToFixed } from './convert';
import { fpCompare, fpMaxMin, NZCV } from './compare';
import { fpRecipEstimate, fpRSqrtEstimate, recipEstimate, recipSqrtEstimate } from './estimate';
import { F, decode, defaultNaN, infBits, processNaNs, roundRational, zeroBits } from '../testing/exact-reference';
import type { Env, Fmt, Outcome } from '../testing/exact-reference';
import { Rng, cornerValues, randomValue } from '../testing/corner-values';

const lo = (b: bigint): number => Number(b & 0xffffffffn) | 0;
const hi = (b: bigint): number => Number((b >> 32n) & 0xffffffffn) | 0;
/** n / d as a number, d a power of two possibly beyond the double range. */
const ratio = (n: bigint, d: bigint): number =>
  d > 1n << 1000n ? (Number(n) / Number(d >> 200n)) * 2 ** -200 : Number(n) / Number(d);

function status(env: Env): FpStatus {
  const st = new FpStatus();
  st.fpcr =
    ((env.mode & 3) << FPCR.RMODE_SHIFT) | (env.fz ? FPCR.FZ : 0) | (env.dn ? FPCR.DN : 0) | (env.ahp ? FPCR.AHP : 0);
  return st;
}

function bitsOf(f: Fmt, st: FpStatus): bigint {
  if (f === 2) return (BigInt(st.hi >>> 0) << 32n) | BigInt(st.lo >>> 0);
  return BigInt(st.lo >>> 0) & (f === 1 ? 0xffffffffn : 0xffffn);
}

function values(f: Fmt, seed: number, count: number): bigint[] {
  const rng = new Rng(seed);
  const out = [...cornerValues(f)];
  for (let i = 0; i < count; i++) out.push(randomValue(f, rng));
  return out;
}

const ENVS: Env[] = [];
for (const mode of [0, 1, 2, 3]) for (const fz of [false, true]) ENVS.push({ mode, fz, dn: false, ahp: false });
ENVS.push({ mode: 0, fz: false, dn: true, ahp: false }, { mode: 1, fz: false, dn: false, ahp: true });

/** FPConvert reference: NaN payloads keep their top bits; AHP halves have no infinities or NaNs. */
function refConvert(from: Fmt, to: Fmt, bits: bigint, env: Env): Outcome {
  const fl = { v: 0 };
  const x = decode(from, bits, from === 0 ? { ...env, fz: false } : env, fl);
  const ahpTo = to === 0 && env.ahp;
  if (x.kind === 'nan') {
    if (ahpTo) return { bits: zeroBits(to, x.sign), flags: fl.v | F.IOC };
    const flags = fl.v | (x.quiet ? 0 : F.IOC);
    if (env.dn) return { bits: defaultNaN(to), flags };
    const payloadBits = [9, 22, 51][from]!;
    const payload = (bits & ((1n << BigInt(payloadBits)) - 1n)) << BigInt(51 - payloadBits);
    const kept = payload >> BigInt(51 - [9, 22, 51][to]!);
    return { bits: infBits(to, x.sign) | defaultNaN(to) | kept, flags };
  }
  if (x.kind === 'inf') {
    if (ahpTo) return { bits: (x.sign ? 0x8000n : 0n) | 0x7fffn, flags: fl.v | F.IOC };
    return { bits: infBits(to, x.sign), flags: fl.v };
  }
  if (x.kind === 'zero') return { bits: zeroBits(to, x.sign), flags: fl.v };
  const o = roundRational(to, x.sign, x.n, x.d, to === 0 ? { ...env, fz: false } : env);
  return { bits: o.bits, flags: fl.v | o.flags };
}

describe('FPConvert between half, single and double', () => {
  it('matches the exact reference for every pair of formats and rounding mode', () => {
    const failures: string[] = [];
    for (const from of [0, 1, 2] as const) {
      for (const to of [0, 1, 2] as const) {
        if (from === to) continue;
        for (const v of values(from, 40 + from, 600)) {
          for (const env of ENVS) {
            const st = status(env);
            fpConvert(st, from, to, lo(v), hi(v), env.mode as 0);
            const ref = refConvert(from, to, v, env);
            const got = bitsOf(to, st);
            if (got !== ref.bits || st.fpsr !== ref.flags)
              failures.push(
                `${from}->${to} ${JSON.stringify(env)} ${v.toString(16)}: ${got.toString(16)}/${st.fpsr} want ${ref.bits.toString(16)}/${ref.flags}`,
              );
          }
        }
      }
    }
    expect(failures.slice(0, 8), `${failures.length} failures`).toEqual([]);
  });

  it('rounds to odd for FCVTXN', () => {
    const st = new FpStatus();
    fpConvert(st, 2, 1, 0x10000000, 0x3ff00000, 5); // 1 + 2^-24: below half an ulp of single
    expect(st.lo >>> 0).toBe(0x3f800001);
    expect(st.fpsr).toBe(F.IXC);
  });
});

/** Rounds n/d (d > 0, any sign of n) to an integer with ARM's FPToFixed/FPRoundInt rules; returns [int, inexact]. */
function roundDiv(n: bigint, d: bigint, mode: number): [bigint, boolean] {
  let q = n / d;
  if (n < 0n && q * d !== n) q -= 1n; // floor
  const r = n - q * d; // 0 <= r < d
  const twice = 2n * r;
  let up = false;
  if (mode === 0) up = twice > d || (twice === d && (q & 1n) === 1n);
  if (mode === 1) up = r !== 0n;
  if (mode === 3) up = r !== 0n && q < 0n;
  if (mode === 4) up = twice > d || (twice === d && q >= 0n);
  return [up ? q + 1n : q, r !== 0n];
}

describe('FPToFixed, FixedToFP and FPRoundInt', () => {
  it('FPToFixed matches exact rounding and saturation for all sizes, signedness and fraction bits', () => {
    const failures: string[] = [];
    for (const f of [1, 2] as const) {
      for (const v of values(f, 7 + f, 300)) {
        for (const mode of [0, 1, 2, 3, 4]) {
          for (const [bits64, unsigned, fbits] of [
            [false, false, 0],
            [false, true, 0],
            [true, false, 0],
            [true, true, 0],
            [false, false, 16],
            [true, true, 40],
            [true, false, 64],
          ] as const) {
            const env: Env = { mode, fz: false, dn: false, ahp: false };
            const st = status({ ...env, mode: 0 });
            const gotLo = fpToFixed(st, f, lo(v), hi(v), fbits, unsigned, bits64, mode as 0);
            const fl = { v: 0 };
            const x = decode(f, v, env, fl);
            const size = bits64 ? 64n : 32n;
            const max = unsigned ? (1n << size) - 1n : (1n << (size - 1n)) - 1n;
            const min = unsigned ? 0n : -(1n << (size - 1n));
            let want: bigint;
            let flags = 0;
            if (x.kind === 'nan') [want, flags] = [0n, F.IOC];
            else if (x.kind === 'inf') [want, flags] = [x.sign ? min : max, F.IOC];
            else if (x.kind === 'zero') want = 0n;
            else {
              const [q, inexact] = roundDiv((x.sign ? -x.n : x.n) << BigInt(fbits), x.d, mode);
              if (q > max || q < min) [want, flags] = [q > max ? max : min, F.IOC];
              else [want, flags] = [q, inexact ? F.IXC : 0];
            }
            const mask = (1n << size) - 1n;
            const got = bits64 ? (BigInt(st.hi >>> 0) << 32n) | BigInt(gotLo >>> 0) : BigInt(gotLo >>> 0);
            if (got !== (want & mask) || st.fpsr !== flags)
              failures.push(
                `${f} ${v.toString(16)} m${mode} ${bits64} ${unsigned} ${fbits}: ${got.toString(16)}/${st.fpsr}`,
              );
          }
        }
      }
    }
    expect(failures.slice(0, 8), `${failures.length} failures`).toEqual([]);
  });

  it('FixedToFP rounds 32- and 64-bit integers exactly once', () => {
    const rng = new Rng(3);
    const failures: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const raw = rng.bits(64) >> BigInt(rng.below(64));
      for (const [bits64, unsigned, fbits, to] of [
        [true, false, 0, 2],
        [true, true, 3, 2],
        [false, false, 0, 1],
        [true, true, 0, 1],
        [false, true, 31, 2],
        [true, false, 64, 0],
      ] as const) {
        const mode = rng.below(4);
        const size = bits64 ? 64n : 32n;
        const wordBits = raw & ((1n << size) - 1n);
        const signed = !unsigned && wordBits >> (size - 1n) === 1n ? wordBits - (1n << size) : wordBits;
        const env: Env = { mode, fz: false, dn: false, ahp: false };
        const st = status(env);
        fixedToFp(st, to, lo(wordBits), hi(wordBits), fbits, unsigned, bits64, mode as 0);
        const ref =
          signed === 0n
            ? { bits: 0n, flags: 0 }
            : roundRational(to, signed < 0n, signed < 0n ? -signed : signed, 1n << BigInt(fbits), env);
        if (bitsOf(to, st) !== ref.bits || st.fpsr !== ref.flags)
          failures.push(`${raw.toString(16)} ${bits64} ${unsigned} ${fbits} -> ${to} m${mode}`);
      }
    }
    expect(failures.slice(0, 8), `${failures.length} failures`).toEqual([]);
  });

  it('FPRoundInt rounds to integral values in every mode; only FRINTX reports inexact', () => {
    const failures: string[] = [];
    for (const f of [1, 2] as const) {
      for (const v of values(f, 11, 400)) {
        for (const mode of [0, 1, 2, 3, 4]) {
          for (const exact of [false, true]) {
            const env: Env = { mode, fz: mode === 1, dn: false, ahp: false };
            const st = status({ ...env, mode: 0 });
            fpRoundInt(st, f, lo(v), hi(v), mode as 0, exact);
            const fl = { v: 0 };
            const x = decode(f, v, env, fl);
            let ref: Outcome;
            if (x.kind === 'nan') ref = processNaNs(f, [x], env, fl.v);
            else if (x.kind === 'inf') ref = { bits: infBits(f, x.sign), flags: fl.v };
            else if (x.kind === 'zero') ref = { bits: zeroBits(f, x.sign), flags: fl.v };
            else {
              const [q, inexact] = roundDiv(x.sign ? -x.n : x.n, x.d, mode);
              const flags = fl.v | (inexact && exact ? F.IXC : 0);
              ref =
                q === 0n
                  ? { bits: zeroBits(f, x.sign), flags }
                  : { bits: roundRational(f, q < 0n, q < 0n ? -q : q, 1n, env).bits, flags };
            }
            if (bitsOf(f, st) !== ref.bits || st.fpsr !== ref.flags)
              failures.push(`${f} ${v.toString(16)} m${mode} x${exact}: ${bitsOf(f, st).toString(16)}/${st.fpsr}`);
          }
        }
      }
    }
    expect(failures.slice(0, 8), `${failures.length} failures`).toEqual([]);
  });
});

describe('FPCompare and FPMax/FPMin', () => {
  it('orders values as exact rationals and raises IOC as FCMP/FCMPE do', () => {
    const vals = values(2, 5, 60);
    const failures: string[] = [];
    for (const a of vals) {
      for (const b of vals) {
        for (const signal of [false, true]) {
          const st = new FpStatus();
          const got = fpCompare(st, 2, lo(a), hi(a), lo(b), hi(b), signal);
          const fl = { v: 0 };
          const env: Env = { mode: 0, fz: false, dn: false, ahp: false };
          const x = decode(2, a, env, fl);
          const y = decode(2, b, env, fl);
          let want: number;
          let flags = 0;
          if (x.kind === 'nan' || y.kind === 'nan') {
            want = NZCV.UNORDERED;
            if (signal || (x.kind === 'nan' && !x.quiet) || (y.kind === 'nan' && !y.quiet)) flags = F.IOC;
          } else {
            const key = (o: typeof x): number =>
              o.kind === 'inf' ? (o.sign ? -Infinity : Infinity) : o.kind === 'zero' ? 0 : 0;
            // compare exactly: a - b sign via cross multiplication
            const rx = x.kind === 'num' ? [x.sign ? -x.n : x.n, x.d] : [0n, 1n];
            const ry = y.kind === 'num' ? [y.sign ? -y.n : y.n, y.d] : [0n, 1n];
            const kx = key(x);
            const ky = key(y);
            const diff = kx !== ky ? (kx < ky ? -1 : 1) : Math.sign(Number(rx[0]! * ry[1]! - ry[0]! * rx[1]!));
            const finite = x.kind !== 'inf' && y.kind !== 'inf';
            const order = finite ? diff : kx === ky ? 0 : kx < ky ? -1 : 1;
            want = order === 0 ? NZCV.EQUAL : order < 0 ? NZCV.LESS : NZCV.GREATER;
          }
          if (got !== want || st.fpsr !== flags) failures.push(`${a.toString(16)} ${b.toString(16)} ${signal}`);
        }
      }
    }
    expect(failures.slice(0, 8), `${failures.length} failures`).toEqual([]);
  });

  it('max/min choose signed zeros and quiet NaNs as ARM specifies', () => {
    const st = new FpStatus();
    const POS0 = 0;
    const NEG0 = 0x80000000 | 0;
    const QNAN = 0x7fc00001;
    const SNAN = 0x7f800001;
    const ONE = 0x3f800000;
    expect(fpMaxMin(st, 1, POS0, 0, NEG0, 0, true, false)).toBe(POS0);
    expect(fpMaxMin(st, 1, POS0, 0, NEG0, 0, false, false)).toBe(NEG0);
    expect(fpMaxMin(st, 1, QNAN, 0, ONE, 0, true, false)).toBe(QNAN);
    expect(fpMaxMin(st, 1, QNAN, 0, ONE, 0, true, true)).toBe(ONE);
    expect(fpMaxMin(st, 1, ONE, 0, QNAN, 0, false, true)).toBe(ONE);
    expect(st.fpsr).toBe(0);
    expect(fpMaxMin(st, 1, QNAN, 0, SNAN, 0, true, true)).toBe(0x7fc00001);
    expect(st.fpsr).toBe(F.IOC);
  });
});

describe('reciprocal estimates', () => {
  it('RecipEstimate is the rounded reciprocal of the interval midpoint, as the ARM ARM defines it', () => {
    for (let a = 256; a < 512; a++) {
      const exact = 512 / ((a + 0.5) / 512) / 2; // estimate of 1/x in units of 1/256, x = (a + 0.5) / 512
      expect(Math.abs(recipEstimate(a) - exact)).toBeLessThanOrEqual(0.5 + 1e-9);
      expect(recipEstimate(a)).toBeGreaterThanOrEqual(256);
      expect(recipEstimate(a)).toBeLessThan(512);
    }
    for (let a = 128; a < 512; a++) {
      const r = recipSqrtEstimate(a);
      expect(r).toBeGreaterThanOrEqual(256);
      expect(r).toBeLessThan(512);
      const x = a < 256 ? (a + 0.5) / 512 : ((a >> 1) + 0.5) / 256;
      expect(Math.abs(r / 256 - 1 / Math.sqrt(x))).toBeLessThan(2 / 256);
    }
  });

  it('FRECPE/FRSQRTE give 8-bit estimates within their documented accuracy, and ARM special cases', () => {
    const st = new FpStatus();
    for (const f of [1, 2] as const) {
      for (const v of values(f, 9, 500)) {
        const x = decode(f, v, { mode: 0, fz: false, dn: false, ahp: false }, { v: 0 });
        if (x.kind !== 'num') continue;
        const value = (x.sign ? -1 : 1) * ratio(x.n, x.d);
        if (!Number.isFinite(value) || value === 0) continue;
        const rec = 1 / value;
        const m = fpRecipEstimate(st, f, lo(v), hi(v));
        const gotBits = f === 2 ? (BigInt(st.hi >>> 0) << 32n) | BigInt(m >>> 0) : BigInt(m >>> 0);
        if (Math.abs(rec) < 2 ** (f === 2 ? 1020 : 124) && Math.abs(rec) > 2 ** (f === 2 ? -1020 : -124)) {
          const dec = decode(f, gotBits, { mode: 0, fz: false, dn: false, ahp: false }, { v: 0 });
          if (dec.kind !== 'num') throw new Error('estimate not a number');
          const est = (dec.sign ? -1 : 1) * ratio(dec.n, dec.d);
          expect(Math.abs(est / rec - 1)).toBeLessThan(2 ** -7);
        }
        if (value > 0) {
          fpRSqrtEstimate(st, f, lo(v), hi(v));
          const rb = f === 2 ? (BigInt(st.hi >>> 0) << 32n) | BigInt(st.lo >>> 0) : BigInt(st.lo >>> 0);
          const dec = decode(f, rb, { mode: 0, fz: false, dn: false, ahp: false }, { v: 0 });
          if (dec.kind !== 'num') throw new Error('rsqrt estimate not a number');
          const est = ratio(dec.n, dec.d);
          const want = 1 / Math.sqrt(value);
          if (Number.isFinite(want) && want > 0 && Number.isFinite(est))
            expect(Math.abs(est / want - 1)).toBeLessThan(2 ** -7);
        }
      }
    }
    const s = new FpStatus();
    expect(fpRecipEstimate(s, 1, 0, 0) >>> 0).toBe(0x7f800000);
    expect(s.fpsr).toBe(F.DZC);
    expect(fpRSqrtEstimate(s, 1, 0xbf800000 | 0, 0) >>> 0).toBe(0x7fc00000);
    expect(s.fpsr).toBe(F.DZC | F.IOC);
  });
});
