/**
 * Source fragments shared by the compiled-block templates (insn/jit-*.ts): conditions, 64-bit shifts by a
 * constant, AddWithCarry with flags, base + offset address arithmetic. Every fragment is an expression or
 * statements over names the caller declares; slots are `cpu.x` indices (insn/fields.ts).
 */
import type { JitCode, JitKind } from '../encoding';

export function code(kind: JitKind, src: string): JitCode {
  return { kind, src };
}

export const FLAG_N = 8;
export const FLAG_Z = 4;
export const FLAG_C = 2;
export const FLAG_V = 1;
export const ALL_FLAGS = 15;

/** The flags ConditionHolds(cond) reads. */
export function condFlags(cond: number): number {
  return [FLAG_Z, FLAG_C, FLAG_N, FLAG_V, FLAG_C | FLAG_Z, FLAG_N | FLAG_V, FLAG_N | FLAG_Z | FLAG_V, 0][cond >>> 1];
}

/** Assignments of the flags in `mask`, from expressions. */
function setFlags(mask: number, n: string, z: string, c: string, v: string): string {
  let out = '';
  if ((mask & FLAG_N) !== 0) out += `cpu.n = ${n}; `;
  if ((mask & FLAG_Z) !== 0) out += `cpu.z = ${z}; `;
  if ((mask & FLAG_C) !== 0) out += `cpu.c = ${c}; `;
  if ((mask & FLAG_V) !== 0) out += `cpu.v = ${v}; `;
  return out;
}

/** ConditionHolds(cond) over cpu.n/z/c/v (ARM ARM), as a boolean expression. */
export function condExpr(cond: number): string {
  const tests = [
    'cpu.z !== 0',
    'cpu.c !== 0',
    'cpu.n !== 0',
    'cpu.v !== 0',
    '(cpu.c !== 0 && cpu.z === 0)',
    'cpu.n === cpu.v',
    '(cpu.n === cpu.v && cpu.z === 0)',
    'true',
  ];
  const base = tests[cond >>> 1];
  if (cond >= 14) return 'true';
  return (cond & 1) === 1 ? `!(${base})` : base;
}

/** [lo, hi] expressions of the 64-bit value (L, H) shifted by the constant s (type: LSL LSR ASR ROR). */
export function shift64(type: number, L: string, H: string, s: number): [string, string] {
  if (s === 0) return [L, H];
  switch (type) {
    case 0:
      if (s < 32) return [`(${L} << ${s})`, `((${H} << ${s}) | (${L} >>> ${32 - s}))`];
      return ['0', s === 32 ? L : `(${L} << ${s - 32})`];
    case 1:
      if (s < 32) return [`((${L} >>> ${s}) | (${H} << ${32 - s}))`, `(${H} >>> ${s} | 0)`];
      return [s === 32 ? H : `(${H} >>> ${s - 32} | 0)`, '0'];
    case 2:
      if (s < 32) return [`((${L} >>> ${s}) | (${H} << ${32 - s}))`, `(${H} >> ${s})`];
      return [s === 32 ? H : `(${H} >> ${s - 32})`, `(${H} >> 31)`];
    default:
      if (s < 32) return [`((${L} >>> ${s}) | (${H} << ${32 - s}))`, `((${H} >>> ${s}) | (${L} << ${32 - s}))`];
      if (s === 32) return [H, L];
      return [`((${H} >>> ${s - 32}) | (${L} << ${64 - s}))`, `((${L} >>> ${s - 32}) | (${H} << ${64 - s}))`];
  }
}

/** Expression of the 32-bit value V shifted by the constant s (0..31). */
export function shift32(type: number, V: string, s: number): string {
  if (s === 0) return V;
  switch (type) {
    case 0:
      return `(${V} << ${s})`;
    case 1:
      return `(${V} >>> ${s} | 0)`;
    case 2:
      return `(${V} >> ${s})`;
    default:
      return `((${V} >>> ${s}) | (${V} << ${32 - s}))`;
  }
}

/**
 * x[d] = (aL, aH) + (bL, bH) + cin with 64-bit operands given as expressions (evaluated once, before the
 * write); also sets the flags in `flags` (a mask) as AddWithCarry.
 */
export function add64(d: number, aL: string, aH: string, bL: string, bH: string, cin: string, flags: number): string {
  if (flags === 0) {
    return `{ const aH = ${aH}, bH = ${bH}; const s = (${aL} >>> 0) + (${bL} >>> 0) + ${cin};
x[${d}] = s | 0; x[${d + 1}] = (aH + bH + (s > 0xffffffff ? 1 : 0)) | 0; }`;
  }
  return `{ const aH = ${aH}, bH = ${bH}; const s = (${aL} >>> 0) + (${bL} >>> 0) + ${cin};
const t = (aH >>> 0) + (bH >>> 0) + (s > 0xffffffff ? 1 : 0); const rL = s | 0, rH = t | 0;
x[${d}] = rL; x[${d + 1}] = rH;
${setFlags(flags, 'rH >>> 31', '(rL | rH) === 0 ? 1 : 0', 't > 0xffffffff ? 1 : 0', '(~(aH ^ bH) & (aH ^ rH)) >>> 31')}}`;
}

/** W form of add64: x[d] = a + b + cin, hi word 0. */
export function add32(d: number, a: string, b: string, cin: string, flags: number): string {
  if (flags === 0) return `x[${d}] = (${a} + ${b} + ${cin}) | 0; x[${d + 1}] = 0;`;
  return `{ const a = ${a}, bb = ${b}; const s = (a >>> 0) + (bb >>> 0) + ${cin}; const r = s | 0;
x[${d}] = r; x[${d + 1}] = 0;
${setFlags(flags, 'r >>> 31', 'r === 0 ? 1 : 0', 's > 0xffffffff ? 1 : 0', '(~(a ^ bb) & (a ^ r)) >>> 31')}}`;
}

/** The flags in `mask` of a logical result: N and Z from the result, C = V = 0. */
export function logicFlags(lo: string, hi: string | null, mask: number): string {
  const n = hi === null ? `${lo} >>> 31` : `${hi} >>> 31`;
  const z = hi === null ? `${lo} === 0 ? 1 : 0` : `(${lo} | ${hi}) === 0 ? 1 : 0`;
  return setFlags(mask, n, z, '0', '0');
}

/**
 * Declares `aL`/`aH`: the address x[n] + imm (imm a small signed constant), with the carry or borrow into
 * the high word.
 */
export function addressImm(n: number, imm: number): string {
  if (imm === 0) return `const aL = x[${n}], aH = x[${n + 1}];`;
  if (imm > 0) {
    return `const bL = x[${n}], aL = (bL + ${imm}) | 0, aH = (bL >>> 0) + ${imm} > 0xffffffff ? (x[${n + 1}] + 1) | 0 : x[${n + 1}];`;
  }
  return `const bL = x[${n}], aL = (bL + ${imm}) | 0, aH = (bL >>> 0) + ${imm} < 0 ? (x[${n + 1}] - 1) | 0 : x[${n + 1}];`;
}

/** Statements that set the PC to (pcLo of the instruction at `offset`) + delta and mark the jump. */
export function jumpRelative(offset: number, delta: number): string {
  const target = offset + delta;
  if (target >= 0 && target < 4096) return `{ cpu.pcLo = b | ${target}; cpu.jumped = 1; }`;
  return `{ const s = ((b | ${offset}) >>> 0) + ${delta}; cpu.pcLo = s | 0;
if (s > 0xffffffff) cpu.pcHi = (cpu.pcHi + 1) | 0; else if (s < 0) cpu.pcHi = (cpu.pcHi - 1) | 0;
cpu.jumped = 1; }`;
}

/** ExtendReg(x[m], option) shifted left by s (0..4), as declarations of eL/eH (and xL/xH). */
export function extended(m: number, option: number, s: number): string {
  const v = `x[${m}]`;
  const lo = [`${v} & 0xff`, `${v} & 0xffff`, v, v, `(${v} << 24) >> 24`, `(${v} << 16) >> 16`, v, v][option];
  const hi = ['0', '0', '0', `x[${m + 1}]`, 'xL >> 31', 'xL >> 31', 'xL >> 31', `x[${m + 1}]`][option];
  const [sLo, sHi] = shift64(0, 'xL', 'xH', s);
  return `const xL = ${lo}, xH = ${hi}; const eL = ${sLo}, eH = ${sHi};`;
}
