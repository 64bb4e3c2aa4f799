// int64 helpers checked against BigInt arithmetic over random and edge-case operands.
import { describe, expect, it } from 'vitest';
import {
  asrHi,
  asrLo,
  lsrHi,
  lsrLo,
  mul64,
  mulhs32,
  mulhu32,
  rorHi,
  rorLo,
  sdiv64,
  shlHi,
  shlLo,
  smulh64,
  udiv64,
  umulh64,
} from '../../../../src-emu/cpu/arm64/int64';
import { Rng, fromPair, toPair, U64 } from './reference';

const EDGES = [
  0n,
  1n,
  2n,
  3n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  (1n << 53n) - 1n,
  1n << 53n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0xffffffffffffffffn,
  0xfffffffffffffffen,
  12345678901234567n,
];

function operands(count: number): bigint[] {
  const rng = new Rng(0x1234);
  const list = [...EDGES];
  for (let i = 0; i < count; i++) list.push(rng.u64());
  return list;
}

const toSigned = (v: bigint): bigint => BigInt.asIntN(64, v);

describe('int64 helpers', () => {
  const values = operands(120);
  const out = new Int32Array(2);

  it('shift and rotate every amount like BigInt', () => {
    for (const v of values.slice(0, 40)) {
      const [lo, hi] = toPair(v);
      for (let s = 0; s < 64; s++) {
        const S = BigInt(s);
        expect(fromPair(shlLo(lo, hi, s), shlHi(lo, hi, s))).toBe((v << S) & U64);
        expect(fromPair(lsrLo(lo, hi, s), lsrHi(lo, hi, s))).toBe(v >> S);
        expect(fromPair(asrLo(lo, hi, s), asrHi(lo, hi, s))).toBe(BigInt.asUintN(64, toSigned(v) >> S));
        expect(fromPair(rorLo(lo, hi, s), rorHi(lo, hi, s))).toBe(((v >> S) | (v << (64n - S))) & U64);
      }
    }
  });

  it('32-bit high multiplies', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 2000; i++) {
      const a = rng.u32() | 0;
      const b = rng.u32() | 0;
      expect(mulhu32(a, b) >>> 0).toBe(Number((BigInt(a >>> 0) * BigInt(b >>> 0)) >> 32n));
      expect(mulhs32(a, b)).toBe(Number(BigInt.asIntN(32, (BigInt(a) * BigInt(b)) >> 32n)));
    }
  });

  it('64-bit multiplies: low half, UMULH, SMULH', () => {
    for (const a of values) {
      for (const b of values.slice(0, 60)) {
        const [aLo, aHi] = toPair(a);
        const [bLo, bHi] = toPair(b);
        mul64(aLo, aHi, bLo, bHi, out);
        expect(fromPair(out[0], out[1])).toBe((a * b) & U64);
        umulh64(aLo, aHi, bLo, bHi, out);
        expect(fromPair(out[0], out[1])).toBe((a * b) >> 64n);
        smulh64(aLo, aHi, bLo, bHi, out);
        expect(fromPair(out[0], out[1])).toBe(BigInt.asUintN(64, (toSigned(a) * toSigned(b)) >> 64n));
      }
    }
  });

  it('UDIV and SDIV, including zero divisors and INT64_MIN / -1', () => {
    const small = operands(40).map((v) => v >> 20n);
    const all = [...values, ...small];
    for (const n of all) {
      for (const d of all.slice(0, 70)) {
        const [nLo, nHi] = toPair(n);
        const [dLo, dHi] = toPair(d);
        udiv64(nLo, nHi, dLo, dHi, out);
        expect(fromPair(out[0], out[1])).toBe(d === 0n ? 0n : n / d);
        sdiv64(nLo, nHi, dLo, dHi, out);
        const sn = toSigned(n);
        const sd = toSigned(d);
        expect(fromPair(out[0], out[1])).toBe(sd === 0n ? 0n : BigInt.asUintN(64, sn / sd));
      }
    }
  });

  it('UDIV of 64-bit dividends by divisors below 2^32 (the digit-by-digit path)', () => {
    let seed = 0x2545f491n;
    const next = (): bigint => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      const n = next();
      const d = (next() >> BigInt(32 + (i % 32))) | 1n;
      const [nLo, nHi] = toPair(n);
      const [dLo, dHi] = toPair(d);
      udiv64(nLo, nHi, dLo, dHi, out);
      expect(fromPair(out[0], out[1])).toBe(n / d);
    }
  });
});
