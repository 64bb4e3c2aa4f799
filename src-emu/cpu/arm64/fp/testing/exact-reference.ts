/**
 * Test oracle: IEEE operations computed exactly on BigInt rationals and rounded with the ARM ARM's
 * FPRoundBase rules (tininess before rounding, FZ flushing, AHP). Deliberately written differently from
 * the library (integer division of exact rationals instead of error-free transformations) so that a
 * mistake in one is not repeated in the other. Used only by tests; BigInt is fine here.
 */

export type Fmt = 0 | 1 | 2; // half, single, double
export const P = [11, 24, 53] as const;
export const EBITS = [5, 8, 11] as const;
export const EMIN = [-14, -126, -1022] as const;
export const EMAX = [15, 127, 1023] as const;

export const F = { IOC: 1, DZC: 2, OFC: 4, UFC: 8, IXC: 16, IDC: 128 } as const;

export interface Env {
  mode: number; // 0 RN, 1 RP, 2 RM, 3 RZ, 4 ties-away, 5 odd
  fz: boolean;
  dn: boolean;
  ahp: boolean;
}

export interface Outcome {
  bits: bigint;
  flags: number;
}

export type Decoded =
  | { kind: 'nan'; sign: boolean; quiet: boolean; bits: bigint }
  | { kind: 'inf'; sign: boolean }
  | { kind: 'zero'; sign: boolean }
  | { kind: 'num'; sign: boolean; n: bigint; d: bigint }; // |value| = n / d

const width = (f: Fmt): number => 1 + EBITS[f] + P[f] - 1;
const signBit = (f: Fmt): bigint => 1n << BigInt(width(f) - 1);
const fracBits = (f: Fmt): number => P[f] - 1;
const expMask = (f: Fmt): bigint => (1n << BigInt(EBITS[f])) - 1n;

export function decode(f: Fmt, bits: bigint, env: Env, flags: { v: number }): Decoded {
  const sign = (bits & signBit(f)) !== 0n;
  const e = (bits >> BigInt(fracBits(f))) & expMask(f);
  const frac = bits & ((1n << BigInt(fracBits(f))) - 1n);
  const ahpHalf = f === 0 && env.ahp;
  if (e === expMask(f) && !ahpHalf) {
    if (frac === 0n) return { kind: 'inf', sign };
    return { kind: 'nan', sign, quiet: frac >> BigInt(fracBits(f) - 1) === 1n, bits };
  }
  if (e === 0n) {
    if (frac === 0n) return { kind: 'zero', sign };
    if (env.fz && f !== 0) {
      flags.v |= F.IDC;
      return { kind: 'zero', sign };
    }
    return num(sign, frac, EMIN[f] - fracBits(f));
  }
  return num(sign, frac | (1n << BigInt(fracBits(f))), Number(e) - (1 - EMIN[f]) - fracBits(f));
}

function num(sign: boolean, m: bigint, exp: number): Decoded {
  return exp >= 0
    ? { kind: 'num', sign, n: m << BigInt(exp), d: 1n }
    : { kind: 'num', sign, n: m, d: 1n << BigInt(-exp) };
}

export function defaultNaN(f: Fmt): bigint {
  return (expMask(f) << BigInt(fracBits(f))) | (1n << BigInt(fracBits(f) - 1));
}

export function infBits(f: Fmt, sign: boolean): bigint {
  return (sign ? signBit(f) : 0n) | (expMask(f) << BigInt(fracBits(f)));
}

export function zeroBits(f: Fmt, sign: boolean): bigint {
  return sign ? signBit(f) : 0n;
}

const bitLength = (x: bigint): number => x.toString(2).length;

/** Rounds the non-zero rational (negative ? -1 : 1) * n / d to format f (ARM FPRoundBase). */
export function roundRational(f: Fmt, negative: boolean, n: bigint, d: bigint, env: Env): Outcome {
  let flags = 0;
  let e = bitLength(n) - bitLength(d);
  const ge = (k: number): boolean => (k >= 0 ? n >= d << BigInt(k) : n << BigInt(-k) >= d);
  if (!ge(e)) e -= 1; // now 2^e <= n/d < 2^(e+1)
  const p = P[f];
  const tiny = e < EMIN[f];
  const sign = negative ? signBit(f) : 0n;
  if (tiny && env.fz && f !== 0) return { bits: sign, flags: F.UFC };
  const fb = tiny ? p - 1 - (EMIN[f] - e) : p - 1;
  // q = floor(value / 2^e * 2^fb): the significand with fb fraction bits kept; r = what is dropped
  const k = fb - e;
  const num2 = k >= 0 ? n << BigInt(k) : n;
  const den2 = k >= 0 ? d : d << BigInt(-k);
  let q = num2 / den2;
  const r = num2 - q * den2;
  const twice = 2n * r;
  const inexact = r !== 0n;
  let up = false;
  switch (env.mode) {
    case 0:
      up = twice > den2 || (twice === den2 && (q & 1n) === 1n);
      break;
    case 1:
      up = inexact && !negative;
      break;
    case 2:
      up = inexact && negative;
      break;
    case 4:
      up = twice >= den2 && inexact;
      break;
  }
  if (up) q += 1n;
  if (env.mode === 5 && inexact) q |= 1n;
  if (tiny && inexact) flags |= F.UFC;
  let biased = tiny ? 0 : e - EMIN[f] + 1;
  if (tiny) {
    if (q >= 1n << BigInt(p - 1)) biased = 1;
  } else if (q >= 1n << BigInt(p)) {
    biased += 1;
    q >>= 1n;
  }
  const mant = q & ((1n << BigInt(p - 1)) - 1n);
  if (f === 0 && env.ahp) {
    if (biased >= 32) return { bits: sign | 0x7fffn, flags: flags | F.IOC };
  } else if (biased >= Number(expMask(f))) {
    const toInf = env.mode === 0 || env.mode === 4 || (env.mode === 1 && !negative) || (env.mode === 2 && negative);
    const maxBits = ((expMask(f) - 1n) << BigInt(p - 1)) | ((1n << BigInt(p - 1)) - 1n);
    return { bits: sign | (toInf ? infBits(f, false) : maxBits), flags: flags | F.OFC | F.IXC };
  }
  if (inexact) flags |= F.IXC;
  return { bits: sign | (BigInt(biased) << BigInt(p - 1)) | mant, flags };
}

function quiet(f: Fmt, bits: bigint): bigint {
  return bits | (1n << BigInt(fracBits(f) - 1));
}

/** FPProcessNaNs over any number of operands (the caller knows at least one is a NaN). */
export function processNaNs(f: Fmt, ops: Decoded[], env: Env, flags: number): Outcome {
  const nan = ops.find((o) => o.kind === 'nan' && !o.quiet) ?? ops.find((o) => o.kind === 'nan' && o.quiet);
  if (!nan || nan.kind !== 'nan') throw new Error('no NaN');
  if (!nan.quiet) flags |= F.IOC;
  return { bits: env.dn ? defaultNaN(f) : quiet(f, nan.bits), flags };
}

interface Rat {
  n: bigint; // signed
  d: bigint; // positive
}
const rat = (o: Decoded): Rat => (o.kind === 'num' ? { n: o.sign ? -o.n : o.n, d: o.d } : { n: 0n, d: 1n });
const addRat = (a: Rat, b: Rat): Rat => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
const mulRat = (a: Rat, b: Rat): Rat => ({ n: a.n * b.n, d: a.d * b.d });

function roundSigned(f: Fmt, r: Rat, env: Env, flags: number): Outcome {
  if (r.n === 0n) return { bits: zeroBits(f, env.mode === 2), flags };
  const o = roundRational(f, r.n < 0n, r.n < 0n ? -r.n : r.n, r.d, env);
  return { bits: o.bits, flags: flags | o.flags };
}

const isNeg = (o: Decoded): boolean => o.kind !== 'nan' && o.sign;

export function refAdd(f: Fmt, a: bigint, b: bigint, env: Env, subtract = false): Outcome {
  const fl = { v: 0 };
  const x = decode(f, a, env, fl);
  let y = decode(f, b, env, fl);
  if (x.kind === 'nan' || y.kind === 'nan') return processNaNs(f, [x, y], env, fl.v);
  if (subtract) y = { ...y, sign: !y.sign } as Decoded;
  if (x.kind === 'inf' && y.kind === 'inf' && x.sign !== y.sign) return { bits: defaultNaN(f), flags: fl.v | F.IOC };
  if (x.kind === 'inf') return { bits: infBits(f, x.sign), flags: fl.v };
  if (y.kind === 'inf') return { bits: infBits(f, isNeg(y)), flags: fl.v };
  if (x.kind === 'zero' && y.kind === 'zero' && x.sign === y.sign) return { bits: zeroBits(f, x.sign), flags: fl.v };
  return roundSigned(f, addRat(rat(x), rat(y)), env, fl.v);
}

export function refMul(f: Fmt, a: bigint, b: bigint, env: Env): Outcome {
  const fl = { v: 0 };
  const x = decode(f, a, env, fl);
  const y = decode(f, b, env, fl);
  if (x.kind === 'nan' || y.kind === 'nan') return processNaNs(f, [x, y], env, fl.v);
  const s = x.sign !== y.sign;
  if ((x.kind === 'inf' && y.kind === 'zero') || (x.kind === 'zero' && y.kind === 'inf'))
    return { bits: defaultNaN(f), flags: fl.v | F.IOC };
  if (x.kind === 'inf' || y.kind === 'inf') return { bits: infBits(f, s), flags: fl.v };
  if (x.kind === 'zero' || y.kind === 'zero') return { bits: zeroBits(f, s), flags: fl.v };
  return roundSigned(f, mulRat(rat(x), rat(y)), env, fl.v);
}

export function refDiv(f: Fmt, a: bigint, b: bigint, env: Env): Outcome {
  const fl = { v: 0 };
  const x = decode(f, a, env, fl);
  const y = decode(f, b, env, fl);
  if (x.kind === 'nan' || y.kind === 'nan') return processNaNs(f, [x, y], env, fl.v);
  const s = x.sign !== y.sign;
  if ((x.kind === 'inf' && y.kind === 'inf') || (x.kind === 'zero' && y.kind === 'zero'))
    return { bits: defaultNaN(f), flags: fl.v | F.IOC };
  if (x.kind === 'inf') return { bits: infBits(f, s), flags: fl.v };
  if (y.kind === 'zero') return { bits: infBits(f, s), flags: fl.v | F.DZC };
  if (x.kind === 'zero' || y.kind === 'inf') return { bits: zeroBits(f, s), flags: fl.v };
  const rx = rat(x);
  const ry = rat(y);
  const n = rx.n * ry.d;
  const d = rx.d * ry.n;
  return roundSigned(f, d < 0n ? { n: -n, d: -d } : { n, d }, env, fl.v);
}

export function refMulAdd(f: Fmt, c: bigint, a: bigint, b: bigint, env: Env): Outcome {
  const fl = { v: 0 };
  const z = decode(f, c, env, fl);
  const x = decode(f, a, env, fl);
  const y = decode(f, b, env, fl);
  const invalidProduct = (x.kind === 'inf' && y.kind === 'zero') || (x.kind === 'zero' && y.kind === 'inf');
  if (z.kind === 'nan' || x.kind === 'nan' || y.kind === 'nan') {
    if (z.kind === 'nan' && z.quiet && invalidProduct) return { bits: defaultNaN(f), flags: fl.v | F.IOC };
    return processNaNs(f, [z, x, y], env, fl.v);
  }
  const ps = x.sign !== y.sign;
  const pInf = x.kind === 'inf' || y.kind === 'inf';
  if (invalidProduct || (z.kind === 'inf' && pInf && z.sign !== ps))
    return { bits: defaultNaN(f), flags: fl.v | F.IOC };
  if (z.kind === 'inf') return { bits: infBits(f, z.sign), flags: fl.v };
  if (pInf) return { bits: infBits(f, ps), flags: fl.v };
  const pZero = x.kind === 'zero' || y.kind === 'zero';
  if (z.kind === 'zero' && pZero && z.sign === ps) return { bits: zeroBits(f, z.sign), flags: fl.v };
  return roundSigned(f, addRat(rat(z), mulRat(rat(x), rat(y))), env, fl.v);
}

/** Integer square root (floor). */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  // Newton's iteration from a power of two above the root decreases monotonically to floor(sqrt(n))
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const next = (x + n / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}

export function refSqrt(f: Fmt, a: bigint, env: Env): Outcome {
  const fl = { v: 0 };
  const x = decode(f, a, env, fl);
  if (x.kind === 'nan') return processNaNs(f, [x], env, fl.v);
  if (x.kind === 'zero') return { bits: zeroBits(f, x.sign), flags: fl.v };
  if (x.sign) return { bits: defaultNaN(f), flags: fl.v | F.IOC };
  if (x.kind === 'inf') return { bits: infBits(f, false), flags: fl.v };
  // sqrt(n/d) = sqrt(n * d * 4^k) / (d * 2^k): take k large, then an odd last bit marks an inexact root
  const k = 200n;
  const radicand = x.n * x.d * (1n << (2n * k));
  const s = isqrt(radicand);
  const exact = s * s === radicand;
  const n = exact ? s * 2n : s * 2n + 1n;
  return roundSigned(f, { n, d: x.d << (k + 1n) }, env, fl.v);
}
