// AdvSIMD permutes, table lookups, element moves, modified immediates, FMOV (general) and the structure
// loads/stores on the Cpu, with expected registers and memory computed here in BigInt from the ARM ARM's
// definitions; words assembled by binutils.
import { describe, expect, it } from 'vitest';
import type { Machine } from '../harness';
import { DATA, makeMachine, runCases } from '../harness';
import type { VCase } from './simd-reference';
import { Rng, lanesOf, mask, pack, sx, toInsnCases, ux, vecValue } from './simd-reference';
import { EC } from '../../../../../src-emu/cpu/arm64/exception-hooks';
import { StopReason } from '../../../../../src-emu/cpu/arm64/state';

const rng = new Rng(0x7ab1e);
const ARR = ['8b', '16b', '4h', '8h', '2s', '4s', '1d', '2d'];
const arr = (size: number, q: number): string => ARR[size * 2 + q];
const S = 'bhsd';
const reg = (): number => rng.below(32);

function check(cases: VCase[]): void {
  const failures = runCases(makeMachine(), toInsnCases(cases));
  expect(failures.slice(0, 8)).toEqual([]);
}

const rep = (value: bigint, e: number, q: number): bigint => pack(Array((q ? 128 : 64) / e).fill(value), e);
const MULTIPLE: Array<[string, number, number]> = [
  ['1', 1, 1],
  ['1', 2, 1],
  ['1', 3, 1],
  ['1', 4, 1],
  ['2', 2, 2],
  ['3', 3, 3],
  ['4', 4, 4],
];

/** Cases for "ZIP1 ZIP2 UZP1 UZP2 TRN1 TRN2 on every arrangement". */
function zip1Zip2Uzp1Uzp2Cases(): VCase[] {
  const cases: VCase[] = [];
  for (const name of ['zip1', 'zip2', 'uzp1', 'uzp2', 'trn1', 'trn2']) {
    for (const size of [0, 1, 2, 3]) {
      for (const q of size === 3 ? [1] : [0, 1]) {
        const e = 8 << size;
        const [d, n, m] = [reg(), reg(), reg()];
        const v = { [d]: vecValue(rng, 8), [n]: vecValue(rng, 8), [m]: vecValue(rng, 8) };
        const lanes = (q ? 128 : 64) / e;
        const A = lanesOf(v[n], e).slice(0, lanes);
        const B = lanesOf(v[m], e).slice(0, lanes);
        const part = name.endsWith('2') ? 1 : 0;
        const half = lanes / 2;
        let out: bigint[];
        if (name.startsWith('zip'))
          out = A.slice(part * half, part * half + half).flatMap((a, i) => [a, B[part * half + i]]);
        else if (name.startsWith('uzp')) out = [...A, ...B].filter((_, i) => i % 2 === part);
        else out = Array.from({ length: half }, (_, p) => [A[2 * p + part], B[2 * p + part]]).flat();
        cases.push({
          asm: `${name} v${d}.${arr(size, q)}, v${n}.${arr(size, q)}, v${m}.${arr(size, q)}`,
          v,
          expectV: { [d]: pack(out, e) },
        });
      }
    }
  }
  return cases;
}

/** Cases for "EXT". */
function extCases(): VCase[] {
  const cases: VCase[] = [];
  for (const q of [0, 1]) {
    for (let i = 0; i < 12; i++) {
      const bytes = q ? 16 : 8;
      const imm = rng.below(bytes);
      const [d, n, m] = [reg(), reg(), reg()];
      const v = { [d]: vecValue(rng, 8), [n]: vecValue(rng, 8), [m]: vecValue(rng, 8) };
      const concat = [...lanesOf(v[n], 8).slice(0, bytes), ...lanesOf(v[m], 8).slice(0, bytes)];
      const a = arr(0, q);
      cases.push({
        asm: `ext v${d}.${a}, v${n}.${a}, v${m}.${a}, #${imm}`,
        v,
        expectV: { [d]: pack(concat.slice(imm, imm + bytes), 8) },
      });
    }
  }
  return cases;
}

/** Cases for "TBL and TBX with one to four table registers (wrapping past v31)". */
function tblAndTbxWithCases(): VCase[] {
  const cases: VCase[] = [];
  for (const name of ['tbl', 'tbx']) {
    for (let len = 1; len <= 4; len++) {
      for (const q of [0, 1]) {
        for (let i = 0; i < 3; i++) {
          const first = i === 0 ? 30 : reg();
          const d = reg();
          const m = reg();
          const v: Record<number, bigint> = { [d]: vecValue(rng, 8) };
          for (let r = 0; r < len; r++) v[(first + r) % 32] = vecValue(rng, 8);
          v[m] = pack(
            Array.from({ length: 16 }, () => BigInt(rng.below(4) === 0 ? rng.below(256) : rng.below(16 * len))),
            8,
          );
          const table = Array.from({ length: len }, (_, r) => lanesOf(v[(first + r) % 32], 8)).flat();
          const old = lanesOf(v[d], 8);
          const bytes = q ? 16 : 8;
          const out = lanesOf(v[m], 8)
            .slice(0, bytes)
            .map((idx, j) => (idx < BigInt(16 * len) ? table[Number(idx)] : name === 'tbx' ? old[j] : 0n));
          const list = Array.from({ length: len }, (_, r) => `v${(first + r) % 32}.16b`).join(', ');
          cases.push({
            asm: `${name} v${d}.${arr(0, q)}, {${list}}, v${m}.${arr(0, q)}`,
            v,
            expectV: { [d]: pack(out, 8) },
          });
        }
      }
    }
  }
  return cases;
}

/** Cases for "DUP (element, general), INS (element, general), UMOV, SMOV, scalar DUP". */
function dupElementGeneralInsCases(): VCase[] {
  const cases: VCase[] = [];
  for (const size of [0, 1, 2, 3]) {
    const e = 8 << size;
    const lanesQ = 128 / e;
    for (let i = 0; i < 6; i++) {
      const [d, n] = [reg(), reg()];
      const idx = rng.below(lanesQ);
      const idx2 = rng.below(lanesQ);
      const v = { [d]: vecValue(rng, e), [n]: vecValue(rng, e) };
      const src = lanesOf(v[n], e)[idx];
      const x = rng.u64();
      for (const q of size === 3 ? [1] : [0, 1]) {
        const lanes = (q ? 128 : 64) / e;
        cases.push({
          asm: `dup v${d}.${arr(size, q)}, v${n}.${S[size]}[${idx}]`,
          v,
          expectV: { [d]: pack(Array(lanes).fill(src), e) },
        });
        const xr = `${size === 3 ? 'x' : 'w'}${i}`;
        cases.push({
          asm: `dup v${d}.${arr(size, q)}, ${xr}`,
          v,
          x: { [i]: x },
          expectV: { [d]: pack(Array(lanes).fill(x), e) },
        });
      }
      cases.push({ asm: `mov ${S[size]}${d}, v${n}.${S[size]}[${idx}]`, v, expectV: { [d]: src } });
      const withX = lanesOf(v[d], e);
      withX[idx2] = ux(x, e);
      cases.push({
        asm: `mov v${d}.${S[size]}[${idx2}], ${size === 3 ? 'x' : 'w'}7`,
        v,
        x: { 7: x },
        expectV: { [d]: pack(withX, e) },
      });
      const withEl = lanesOf(v[d], e);
      withEl[idx2] = src;
      cases.push({
        asm: `mov v${d}.${S[size]}[${idx2}], v${n}.${S[size]}[${idx}]`,
        v,
        expectV: { [d]: d === n ? pack(withEl, e) : pack(withEl, e) },
      });
      const wide = size === 3;
      cases.push({
        asm: `umov ${wide ? 'x' : 'w'}3, v${n}.${S[size]}[${idx}]`,
        v,
        x: { 3: rng.u64() },
        expectV: {},
        expectX: { 3: src },
      });
      if (size < 3)
        cases.push({
          asm: `smov x4, v${n}.${S[size]}[${idx}]`,
          v,
          x: { 4: 0n },
          expectV: {},
          expectX: { 4: ux(sx(src, e), 64) },
        });
      if (size < 2)
        cases.push({
          asm: `smov w5, v${n}.${S[size]}[${idx}]`,
          v,
          x: { 5: rng.u64() },
          expectV: {},
          expectX: { 5: ux(sx(src, e), 32) },
        });
    }
  }
  return cases;
}

/** Cases for "FMOV between general registers and S, D and the upper half of V". */
function fmovBetweenGeneralRegistersCases(): VCase[] {
  const cases: VCase[] = [];
  for (let i = 0; i < 6; i++) {
    const v = { 1: vecValue(rng, 64), 2: vecValue(rng, 64) };
    const x = rng.u64();
    cases.push({ asm: 'fmov w3, s1', v, x: { 3: rng.u64() }, expectV: {}, expectX: { 3: v[1] & mask(32) } });
    cases.push({ asm: 'fmov x3, d1', v, expectV: {}, expectX: { 3: v[1] & mask(64) } });
    cases.push({ asm: 'fmov x3, v1.d[1]', v, expectV: {}, expectX: { 3: (v[1] >> 64n) & mask(64) } });
    cases.push({ asm: 'fmov s1, w4', v, x: { 4: x }, expectV: { 1: x & mask(32) } });
    cases.push({ asm: 'fmov d1, x4', v, x: { 4: x }, expectV: { 1: x } });
    cases.push({ asm: 'fmov v1.d[1], x4', v, x: { 4: x }, expectV: { 1: (x << 64n) | (v[1] & mask(64)) } });
  }
  return cases;
}

/** Cases for "MOVI MVNI ORR BIC with every shift form, MOVI 64-bit, FMOV vector immediate". */
function moviMvniOrrBicCases(): VCase[] {
  const cases: VCase[] = [];
  for (let i = 0; i < 8; i++) {
    const imm = BigInt(rng.below(256));
    const old = vecValue(rng, 32);
    const d = reg();
    for (const q of [0, 1]) {
      const s32 = arr(2, q);
      const s16 = arr(1, q);
      const width = mask(q ? 128 : 64);
      for (const sh of [0, 8, 16, 24]) {
        const val = imm << BigInt(sh);
        cases.push({
          asm: `movi v${d}.${s32}, #${imm}, lsl #${sh}`,
          v: { [d]: old },
          expectV: { [d]: rep(val, 32, q) },
        });
        cases.push({
          asm: `mvni v${d}.${s32}, #${imm}, lsl #${sh}`,
          v: { [d]: old },
          expectV: { [d]: rep(~val, 32, q) },
        });
        cases.push({
          asm: `orr v${d}.${s32}, #${imm}, lsl #${sh}`,
          v: { [d]: old },
          expectV: { [d]: (old | rep(val, 32, 1)) & width },
        });
        cases.push({
          asm: `bic v${d}.${s32}, #${imm}, lsl #${sh}`,
          v: { [d]: old },
          expectV: { [d]: old & ~rep(val, 32, 1) & width },
        });
      }
      for (const sh of [0, 8]) {
        const val = imm << BigInt(sh);
        cases.push({
          asm: `movi v${d}.${s16}, #${imm}, lsl #${sh}`,
          v: { [d]: old },
          expectV: { [d]: rep(val, 16, q) },
        });
        cases.push({
          asm: `mvni v${d}.${s16}, #${imm}, lsl #${sh}`,
          v: { [d]: old },
          expectV: { [d]: rep(~val, 16, q) },
        });
        cases.push({
          asm: `orr v${d}.${s16}, #${imm}, lsl #${sh}`,
          v: { [d]: old },
          expectV: { [d]: (old | rep(val, 16, 1)) & width },
        });
        cases.push({
          asm: `bic v${d}.${s16}, #${imm}, lsl #${sh}`,
          v: { [d]: old },
          expectV: { [d]: old & ~rep(val, 16, 1) & width },
        });
      }
      for (const sh of [8, 16]) {
        const val = (imm << BigInt(sh)) | mask(sh);
        cases.push({
          asm: `movi v${d}.${s32}, #${imm}, msl #${sh}`,
          v: { [d]: old },
          expectV: { [d]: rep(val, 32, q) },
        });
        cases.push({
          asm: `mvni v${d}.${s32}, #${imm}, msl #${sh}`,
          v: { [d]: old },
          expectV: { [d]: rep(~val, 32, q) },
        });
      }
      cases.push({ asm: `movi v${d}.${arr(0, q)}, #${imm}`, v: { [d]: old }, expectV: { [d]: rep(imm, 8, q) } });
    }
    const bytes = pack(
      Array.from({ length: 8 }, () => (rng.below(2) ? 0xffn : 0n)),
      8,
    );
    cases.push({ asm: `movi d${d}, #0x${bytes.toString(16)}`, v: { [d]: old }, expectV: { [d]: bytes } });
    cases.push({
      asm: `movi v${d}.2d, #0x${bytes.toString(16)}`,
      v: { [d]: old },
      expectV: { [d]: rep(bytes, 64, 1) },
    });
  }
  return cases;
}

/** FMOV (vector, immediate): +-(16 + f) / 16 * 2^k for k in -3..4, as float and double bit patterns. */
function fmovImmediateCases(): VCase[] {
  const cases: VCase[] = [];
  const buf = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 12; i++) {
    const value = (rng.below(2) ? -1 : 1) * ((16 + rng.below(16)) / 16) * 2 ** (rng.below(8) - 3);
    buf.setFloat32(0, value, true);
    const f32 = BigInt(buf.getUint32(0, true));
    buf.setFloat64(0, value, true);
    const f64 = buf.getBigUint64(0, true);
    cases.push({ asm: `fmov v3.2s, #${value}`, v: { 3: -1n & mask(128) }, expectV: { 3: rep(f32, 32, 0) } });
    cases.push({ asm: `fmov v3.4s, #${value}`, v: {}, expectV: { 3: rep(f32, 32, 1) } });
    cases.push({ asm: `fmov v3.2d, #${value}`, v: {}, expectV: { 3: rep(f64, 64, 1) } });
  }
  return cases;
}

/** Cases for "LD1-LD4 and ST1-ST4 (multiple structures) with no offset, immediate and register post-index". */
function ld1Ld4AndSt1Cases(): VCase[] {
  const cases: VCase[] = [];
  for (const [, regs, selem] of MULTIPLE) {
    for (const size of [0, 1, 2, 3]) {
      for (const q of [0, 1]) {
        if (size === 3 && q === 0 && selem > 1) continue;
        const e = 8 << size;
        const bytesPerReg = q ? 16 : 8;
        const total = regs * bytesPerReg;
        const first = rng.below(32);
        const list = Array.from({ length: regs }, (_, r) => `v${(first + r) % 32}.${arr(size, q)}`).join(', ');
        const mem = randomBytes(total);
        const elems = elementsOf(mem, e);
        // Element j of structure-register r sits at memory element (j * selem + r) (selem > 1), or
        // register after register (selem = 1).
        const perReg = bytesPerReg / (e / 8);
        const regVal = (r: number): bigint =>
          pack(
            Array.from({ length: perReg }, (_, j) => (selem === 1 ? elems[r * perReg + j] : elems[j * selem + r])),
            e,
          );
        const expectV: Record<number, bigint> = {};
        for (let r = 0; r < regs; r++) expectV[(first + r) % 32] = regVal(r);
        const post = rng.below(3);
        const suffix = post === 0 ? '' : post === 1 ? `, #${total}` : ', x2';
        const step = post === 1 ? BigInt(total) : post === 2 ? 1000n : 0n;
        const name = `ld${selem}`;
        cases.push({
          asm: `${name} {${list}}, [x1]${suffix}`,
          v: Object.fromEntries(Object.keys(expectV).map((r) => [r, mask(128)])),
          x: { 1: BigInt(DATA), 2: 1000n },
          expectV,
          expectX: { 1: BigInt(DATA) + step },
          before: (m) => fillData(m, mem),
        });
        // Store the same register contents back and expect the same bytes.
        const st = `st${selem}`;
        cases.push({
          asm: `${st} {${list}}, [x1]${suffix}`,
          v: expectV,
          x: { 1: BigInt(DATA), 2: 1000n },
          expectV: {},
          expectX: { 1: BigInt(DATA) + step },
          before: (m) => fillData(m, Array(total + 16).fill(0n)),
          after: (m) => {
            const got = readData(m, total + 16);
            const want = [...mem, ...Array(16).fill(0n)];
            return got.every((b, i) => b === want[i]) ? null : `memory ${got.join(',')} != ${want.join(',')}`;
          },
        });
      }
    }
  }
  return cases;
}

/** Cases for "LD1-LD4 / ST1-ST4 single lane and LD1R-LD4R". */
function ld1Ld4St1St4Cases(): VCase[] {
  const cases: VCase[] = [];
  for (let selem = 1; selem <= 4; selem++) {
    for (const size of [0, 1, 2, 3]) {
      const e = 8 << size;
      const eb = e / 8;
      const first = rng.below(32);
      const index = rng.below(16 / eb);
      const mem = randomBytes(selem * eb);
      const vals = elementsOf(mem, e);
      const v: Record<number, bigint> = {};
      const loaded: Record<number, bigint> = {};
      for (let r = 0; r < selem; r++) {
        const t = (first + r) % 32;
        v[t] = vecValue(rng, e);
        const lanes = lanesOf(v[t], e);
        lanes[index] = vals[r];
        loaded[t] = pack(lanes, e);
      }
      const listLane = Array.from({ length: selem }, (_, r) => `v${(first + r) % 32}.${S[size]}`).join(', ');
      cases.push({
        asm: `ld${selem} {${listLane}}[${index}], [x1], #${selem * eb}`,
        v,
        x: { 1: BigInt(DATA) },
        expectV: loaded,
        expectX: { 1: BigInt(DATA + selem * eb) },
        before: (m) => fillData(m, mem),
      });
      cases.push({
        asm: `st${selem} {${listLane}}[${index}], [x1]`,
        v: loaded,
        x: { 1: BigInt(DATA) },
        expectV: {},
        before: (m) => fillData(m, Array(selem * eb + 4).fill(0n)),
        after: (m) => {
          const got = readData(m, selem * eb + 4);
          const want = [...mem, 0n, 0n, 0n, 0n];
          return got.every((b, i) => b === want[i]) ? null : `memory ${got.join(',')}`;
        },
      });
      for (const q of [0, 1]) {
        const rep: Record<number, bigint> = {};
        for (let r = 0; r < selem; r++) rep[(first + r) % 32] = pack(Array((q ? 128 : 64) / e).fill(vals[r]), e);
        const listRep = Array.from({ length: selem }, (_, r) => `v${(first + r) % 32}.${arr(size, q)}`).join(', ');
        cases.push({
          asm: `ld${selem}r {${listRep}}, [x1], x2`,
          v,
          x: { 1: BigInt(DATA), 2: 24n },
          expectV: rep,
          expectX: { 1: BigInt(DATA + 24) },
          before: (m) => fillData(m, mem),
        });
      }
    }
  }
  return cases;
}

describe('permutes', () => {
  it('ZIP1 ZIP2 UZP1 UZP2 TRN1 TRN2 on every arrangement', () => check(zip1Zip2Uzp1Uzp2Cases()));

  it('EXT', () => check(extCases()));

  it('TBL and TBX with one to four table registers (wrapping past v31)', () => check(tblAndTbxWithCases()));
});

describe('element moves', () => {
  it('DUP (element, general), INS (element, general), UMOV, SMOV, scalar DUP', () =>
    check(dupElementGeneralInsCases()));

  it('FMOV between general registers and S, D and the upper half of V', () =>
    check(fmovBetweenGeneralRegistersCases()));
});

describe('modified immediate', () => {
  it('MOVI MVNI ORR BIC with every shift form, MOVI 64-bit', () => check(moviMvniOrrBicCases()));
  it('FMOV vector immediate', () => check(fmovImmediateCases()));
});

// --- structure loads and stores ---------------------------------------------------------------------------

function fillData(m: Machine, bytes: bigint[]): void {
  bytes.forEach((b, i) => m.bus.write(DATA + i, 1, Number(b)));
}

function readData(m: Machine, count: number): bigint[] {
  return Array.from({ length: count }, (_, i) => BigInt(m.bus.read(DATA + i, 1)));
}

const randomBytes = (count: number): bigint[] => Array.from({ length: count }, () => BigInt(rng.below(256)));

/** Little-endian e-bit elements of a byte sequence (any length). */
function elementsOf(bytes: bigint[], e: number): bigint[] {
  const eb = e / 8;
  return Array.from({ length: bytes.length / eb }, (_, i) =>
    bytes.slice(i * eb, i * eb + eb).reduceRight((acc, b) => (acc << 8n) | b, 0n),
  );
}

describe('structure loads and stores', () => {
  it('LD1-LD4 and ST1-ST4 (multiple structures) with no offset, immediate and register post-index', () =>
    check(ld1Ld4AndSt1Cases()));

  it('LD1-LD4 / ST1-ST4 single lane and LD1R-LD4R', () => check(ld1Ld4St1St4Cases()));
});

describe('structure alignment with SCTLR.A set', () => {
  it('checks each element: LD1 {.4s} at a 4-byte boundary loads, at an odd address faults', () => {
    const mem = randomBytes(20);
    const expected = pack(elementsOf(mem.slice(4, 20), 32), 32);
    const aligned = toInsnCases([
      {
        asm: 'ld1 {v3.4s}, [x1]',
        v: { 3: 0n },
        x: { 1: BigInt(DATA + 4) },
        expectV: { 3: expected },
        before: (m) => {
          fillData(m, mem);
          m.cpu.alignMask = -1;
        },
      },
    ]);
    const faulting = {
      ...aligned[0],
      regs: { 1: BigInt(DATA + 1) },
      expectPcOffset: 0n,
      after: (m: Machine) => {
        const esr = m.cpu.pendingException.esr >>> 0;
        const ok =
          m.cpu.stopReason === StopReason.Exception && esr >>> 26 === EC.DataAbortSame && (esr & 0x3f) === 0x21;
        return ok ? null : `esr ${esr.toString(16)}`;
      },
    };
    expect(runCases(makeMachine(), [...aligned, faulting])).toEqual([]);
  });
});

describe('SIMD&FP access trap', () => {
  it('raises EC 0x07 before touching any register when FP is disabled', () => {
    const m = makeMachine();
    const cases = toInsnCases([{ asm: 'add v0.16b, v1.16b, v2.16b', v: { 0: 5n, 1: 1n, 2: 2n }, expectV: {} }]);
    const failures = runCases(m, [
      {
        ...cases[0],
        before: (mm) => {
          cases[0].before?.(mm);
          mm.cpu.fpDisabled = 1;
        },
        expectPcOffset: 0n,
        after: (mm) => {
          const esr = mm.cpu.pendingException.esr >>> 0;
          return mm.cpu.stopReason === StopReason.Exception && esr >>> 26 === EC.FpAccess && mm.cpu.v8[0] === 5
            ? null
            : `esr ${esr.toString(16)}`;
        },
      },
    ]);
    expect(failures).toEqual([]);
  });
});
