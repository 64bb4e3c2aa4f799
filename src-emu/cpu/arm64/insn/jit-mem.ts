/**
 * Compiled-block templates for integer loads and stores (same semantics as ldst-single.ts and ldst-pair.ts):
 * immediate offset, unscaled, pre- and post-index, register offset, literal, and pairs. SIMD&FP register
 * transfers, unprivileged and exclusive accesses keep their closures.
 */
import type { JitCode, JitTemplate } from '../encoding';
import { JitKind } from '../encoding';
import { bits, ra, rd, readSlot, rm, rn, signExtend } from './fields';
import { KIND_SIZE, Kind, isFpKind, isLoadKind, singleKind, transferSlot } from './ldst-common';
import { addressImm, code, extended } from './jit-util';

/** Statements moving one register of `kind` between slot t and memory at (A, AH). */
function transfer(kind: number, t: number, A: string, AH: string): string {
  const at = `${A}, ${AH}`;
  switch (kind) {
    case Kind.St8:
      return `cpu.store8(${at}, x[${t}]);`;
    case Kind.St16:
      return `cpu.store16(${at}, x[${t}]);`;
    case Kind.St32:
      return `cpu.store32(${at}, x[${t}]);`;
    case Kind.St64:
      return `cpu.store64(${at}, x[${t}], x[${t + 1}]);`;
    case Kind.Ld8:
      return `x[${t}] = cpu.load8(${at}); x[${t + 1}] = 0;`;
    case Kind.Ld16:
      return `x[${t}] = cpu.load16(${at}); x[${t + 1}] = 0;`;
    case Kind.Ld32:
      return `x[${t}] = cpu.load32(${at}); x[${t + 1}] = 0;`;
    case Kind.Ld64:
      return `{ const v = cpu.load64(${at}); x[${t + 1}] = cpu.loadHi; x[${t}] = v; }`;
    case Kind.LdSb64:
      return `{ const v = (cpu.load8(${at}) << 24) >> 24; x[${t}] = v; x[${t + 1}] = v >> 31; }`;
    case Kind.LdSh64:
      return `{ const v = (cpu.load16(${at}) << 16) >> 16; x[${t}] = v; x[${t + 1}] = v >> 31; }`;
    case Kind.LdSw64:
      return `{ const v = cpu.load32(${at}); x[${t}] = v; x[${t + 1}] = v >> 31; }`;
    case Kind.LdSb32:
      return `x[${t}] = (cpu.load8(${at}) << 24) >> 24; x[${t + 1}] = 0;`;
    case Kind.LdSh32:
      return `x[${t}] = (cpu.load16(${at}) << 16) >> 16; x[${t + 1}] = 0;`;
    default:
      return '';
  }
}

/** The JitCode of an access: Plain for PRFM (no effect), else Load or Store. */
function access(kind: number, src: string): JitCode {
  if (kind === Kind.Prefetch) return code(JitKind.Plain, '');
  return code(isLoadKind(kind) ? JitKind.Load : JitKind.Store, `{ ${src} }`);
}

const kindOf = (w: number, prefetchAllowed: boolean): number =>
  singleKind(bits(w, 30, 2), bits(w, 26, 1), bits(w, 22, 2), prefetchAllowed);

/** Base + imm, with writeback for pre/post-index. */
function immediate(kind: number, w: number, imm: number, mode: 'offset' | 'pre' | 'post'): JitCode | null {
  if (kind < 0 || isFpKind(kind)) return null;
  const t = transferSlot(kind, rd(w));
  const n = readSlot(rn(w), true);
  if (mode === 'offset') return access(kind, `${addressImm(n, imm)} ${transfer(kind, t, 'aL', 'aH')}`);
  const address = mode === 'post' ? `const oL = x[${n}], oH = x[${n + 1}];` : '';
  const move = mode === 'post' ? transfer(kind, t, 'oL', 'oH') : transfer(kind, t, 'aL', 'aH');
  return access(kind, `${address} ${addressImm(n, imm)} ${move} x[${n}] = aL; x[${n + 1}] = aH;`);
}

const imm9 = (w: number): number => signExtend(bits(w, 12, 9), 9);

const unsignedOffset: JitTemplate = (w) => {
  const kind = kindOf(w, true);
  return immediate(kind, w, bits(w, 10, 12) * (kind < 0 ? 0 : KIND_SIZE[kind]), 'offset');
};
const unscaled: JitTemplate = (w) => immediate(kindOf(w, true), w, imm9(w), 'offset');
const preIndex: JitTemplate = (w) => immediate(kindOf(w, false), w, imm9(w), 'pre');
const postIndex: JitTemplate = (w) => immediate(kindOf(w, false), w, imm9(w), 'post');

const registerOffset: JitTemplate = (w) => {
  const kind = kindOf(w, true);
  if (kind < 0 || isFpKind(kind)) return null;
  const t = transferSlot(kind, rd(w));
  const n = readSlot(rn(w), true);
  const m = readSlot(rm(w));
  const s = bits(w, 12, 1) === 1 ? Math.log2(KIND_SIZE[kind]) : 0;
  return access(
    kind,
    `${extended(m, bits(w, 13, 3), s)} const sum = (x[${n}] >>> 0) + (eL >>> 0);
const aL = sum | 0, aH = (x[${n + 1}] + eH + (sum > 0xffffffff ? 1 : 0)) | 0; ${transfer(kind, t, 'aL', 'aH')}`,
  );
};

const literal: JitTemplate = (w, offset) => {
  if (bits(w, 26, 1) === 1) return null;
  const kind = [Kind.Ld32, Kind.Ld64, Kind.LdSw64, Kind.Prefetch][bits(w, 30, 2)];
  const delta = signExtend(bits(w, 5, 19), 19) * 4;
  const t = transferSlot(kind, rd(w));
  return access(
    kind,
    `const s = ((b | ${offset}) >>> 0) + ${delta}; const aL = s | 0;
const aH = s > 0xffffffff ? (cpu.pcHi + 1) | 0 : s < 0 ? (cpu.pcHi - 1) | 0 : cpu.pcHi; ${transfer(kind, t, 'aL', 'aH')}`,
  );
};

/** Kind of an integer pair access, or -1 (as ldst-pair.ts's pairKind, without the SIMD&FP forms). */
function pairKind(w: number): number {
  const opc = bits(w, 30, 2);
  const load = bits(w, 22, 1) === 1;
  if (opc === 3 || bits(w, 26, 1) === 1) return -1;
  if (opc === 1) return load && bits(w, 23, 3) !== 0 ? Kind.LdSw64 : -1;
  return opc === 0 ? (load ? Kind.Ld32 : Kind.St32) : load ? Kind.Ld64 : Kind.St64;
}

function pair(mode: number): JitTemplate {
  return (w) => {
    const kind = pairKind(w);
    if (kind < 0) return null;
    const size = KIND_SIZE[kind];
    const t1 = transferSlot(kind, rd(w));
    const t2 = transferSlot(kind, ra(w));
    const n = readSlot(rn(w), true);
    const imm = signExtend(bits(w, 15, 7), 7) * size;
    const post = mode === 1;
    const writeback = mode === 1 || mode === 3;
    const first = post ? ['oL', 'oH'] : ['aL', 'aH'];
    const base = post ? `const oL = x[${n}], oH = x[${n + 1}];` : '';
    return access(
      kind,
      `${base} ${addressImm(n, imm)}
const cL = (${first[0]} + ${size}) | 0, cH = (${first[0]} >>> 0) + ${size} > 0xffffffff ? (${first[1]} + 1) | 0 : ${first[1]};
${transfer(kind, t1, first[0], first[1])} ${transfer(kind, t2, 'cL', 'cH')}
${writeback ? `x[${n}] = aL; x[${n + 1}] = aH;` : ''}`,
    );
  };
}

export const JIT_MEM: ReadonlyArray<readonly [string, JitTemplate]> = [
  ['LDST_uimm', unsignedOffset],
  ['LDST_unscaled', unscaled],
  ['LDST_pre', preIndex],
  ['LDST_post', postIndex],
  ['LDST_reg', registerOffset],
  ['LDR_literal', literal],
  ['LDST_pair_nt', pair(0)],
  ['LDST_pair_post', pair(1)],
  ['LDST_pair_offset', pair(2)],
  ['LDST_pair_pre', pair(3)],
];
