/**
 * Assembly source for the decoder test: each template is one instruction class in assembler syntax with
 * placeholders filled from a seeded generator (registers across the whole range including sp/zr, immediates
 * at their limits, every shift, extend and condition).
 */
import type { Rng } from './reference';

const CONDS = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le'];
const SHIFTS = ['lsl', 'lsr', 'asr'];
const EXTENDS = ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx'];

type Fill = (rng: Rng) => string;

const pick = <T>(rng: Rng, list: readonly T[]): T => list[rng.below(list.length)];
const reg = (rng: Rng): number => (rng.below(4) === 0 ? pick(rng, [0, 1, 29, 30]) : rng.below(31));

/** Placeholder fillers: {x} {w} {xsp} {wsp} {xz} {wz} and immediates. */
const FILLS: Record<string, Fill> = {
  x: (r) => `x${reg(r)}`,
  w: (r) => `w${reg(r)}`,
  xz: (r) => (r.below(6) === 0 ? 'xzr' : `x${reg(r)}`),
  wz: (r) => (r.below(6) === 0 ? 'wzr' : `w${reg(r)}`),
  xsp: (r) => (r.below(4) === 0 ? 'sp' : `x${reg(r)}`),
  wsp: (r) => (r.below(4) === 0 ? 'wsp' : `w${reg(r)}`),
  imm12: (r) => `#${pick(r, [0, 1, 4095, r.below(4096)])}`,
  sh12: (r) => (r.below(2) ? '' : ', lsl #12'),
  imm16: (r) => `#${pick(r, [0, 1, 0xffff, r.below(0x10000)])}`,
  hw64: (r) => `, lsl #${pick(r, [0, 16, 32, 48])}`,
  hw32: (r) => `, lsl #${pick(r, [0, 16])}`,
  sh64: (r) => `${pick(r, SHIFTS)} #${r.below(64)}`,
  sh32: (r) => `${pick(r, SHIFTS)} #${r.below(32)}`,
  lsh64: (r) => `${pick(r, [...SHIFTS, 'ror'])} #${r.below(64)}`,
  lsh32: (r) => `${pick(r, [...SHIFTS, 'ror'])} #${r.below(32)}`,
  ext: (r) =>
    `${pick(
      r,
      EXTENDS.filter((e) => !e.endsWith('x')),
    )} #${r.below(5)}`,
  cond: (r) => pick(r, CONDS),
  nzcv: (r) => `#${r.below(16)}`,
  imm5: (r) => `#${r.below(32)}`,
  s6: (r) => `#${r.below(64)}`,
  s5: (r) => `#${r.below(32)}`,
  bit: (r) => `#${r.below(64)}`,
  bit32: (r) => `#${r.below(32)}`,
  logic64: (r) =>
    `#${pick(r, ['0xff', '0xffff0000ffff0000', '0x5555555555555555', '0x7ffffffffffffffe', '0x3c0', '0x1'])}`,
  logic32: (r) => `#${pick(r, ['0xff', '0xffff00', '0x55555555', '0x7ffffffe', '0x3c0', '0x80000000'])}`,
  simm9: (r) => `#${r.below(512) - 256}`,
  u16: (r) => `#${r.below(4096) * 16}`,
  u8: (r) => `#${r.below(4096) * 8}`,
  u4: (r) => `#${r.below(4096) * 4}`,
  u2: (r) => `#${r.below(4096) * 2}`,
  u1: (r) => `#${r.below(4096)}`,
  p8: (r) => `#${(r.below(128) - 64) * 8}`,
  p4: (r) => `#${(r.below(128) - 64) * 4}`,
  p16: (r) => `#${(r.below(128) - 64) * 16}`,
  idx: (r) => pick(r, ['', ', lsl #3', ', sxtx', ', sxtx #3']),
  wext: (r) => pick(r, ['uxtw', 'sxtw']),
  prf: (r) => pick(r, ['pldl1keep', 'pldl2strm', 'pstl1keep', 'plil3keep', '#22']),
  lbl: (r) => pick(r, ['0b', '1f', '_start', '.+8', '.-0x400']),
};

const TEMPLATES = [
  // data processing, immediate
  'add {xsp}, {xsp}, {imm12}{sh12}',
  'subs {w}, {wsp}, {imm12}{sh12}',
  'cmp {xsp}, {imm12}',
  'cmn {wsp}, {imm12}{sh12}',
  'mov {xsp}, {xsp}',
  'and {xsp}, {xz}, {logic64}',
  'orr {wsp}, {wz}, {logic32}',
  'eor {x}, {x}, {logic64}',
  'ands {w}, {w}, {logic32}',
  'tst {x}, {logic64}',
  'movz {x}, {imm16}{hw64}',
  'movn {w}, {imm16}{hw32}',
  'movk {x}, {imm16}{hw64}',
  'mov {x}, #-1',
  'sbfx {x}, {x}, #3, #9',
  'ubfx {w}, {w}, {s5}, #1',
  'bfi {x}, {x}, #8, #16',
  'bfxil {w}, {w}, #4, #4',
  'lsl {x}, {x}, {s6}',
  'lsr {w}, {w}, {s5}',
  'asr {x}, {x}, {s6}',
  'ror {x}, {x}, {s6}',
  'sxtb {x}, {w}',
  'sxth {w}, {w}',
  'sxtw {x}, {w}',
  'uxtb {w}, {w}',
  'uxth {w}, {w}',
  'extr {x}, {x}, {x}, {s6}',
  'adr {x}, {lbl}',
  'adrp {x}, {lbl}',
  // data processing, register
  'add {x}, {xz}, {xz}, {sh64}',
  'sub {w}, {wz}, {wz}, {sh32}',
  'adds {x}, {x}, {w}, {ext}',
  'sub {xsp}, {xsp}, {x}, uxtx #2',
  'cmp {x}, {w}, {wext}',
  'neg {x}, {x}, {sh64}',
  'negs {w}, {w}',
  'and {x}, {x}, {x}, {lsh64}',
  'bic {w}, {w}, {w}, {lsh32}',
  'orn {x}, {x}, {x}',
  'mvn {w}, {w}, {lsh32}',
  'eon {x}, {x}, {x}, {lsh64}',
  'bics {x}, {x}, {x}',
  'tst {w}, {w}, {lsh32}',
  'mov {x}, {xz}',
  'adc {x}, {x}, {x}',
  'sbcs {w}, {w}, {w}',
  'ngc {x}, {x}',
  'ccmp {x}, {x}, {nzcv}, {cond}',
  'ccmn {w}, {imm5}, {nzcv}, {cond}',
  'csel {x}, {x}, {xz}, {cond}',
  'csinc {w}, {w}, {w}, {cond}',
  'cset {x}, {cond}',
  'csetm {w}, {cond}',
  'cinc {x}, {x}, {cond}',
  'cneg {w}, {w}, {cond}',
  'csneg {x}, {x}, {x}, {cond}',
  'rbit {x}, {x}',
  'rev16 {w}, {w}',
  'rev32 {x}, {x}',
  'rev {x}, {x}',
  'clz {w}, {w}',
  'cls {x}, {x}',
  'udiv {x}, {x}, {x}',
  'sdiv {w}, {w}, {w}',
  'lsl {x}, {x}, {x}',
  'asr {w}, {w}, {w}',
  'ror {x}, {x}, {x}',
  'crc32b {w}, {w}, {w}',
  'crc32cx {w}, {w}, {x}',
  'madd {x}, {x}, {x}, {x}',
  'msub {w}, {w}, {w}, {w}',
  'mul {x}, {x}, {x}',
  'mneg {w}, {w}, {w}',
  'smaddl {x}, {w}, {w}, {x}',
  'umsubl {x}, {w}, {w}, {x}',
  'smull {x}, {w}, {w}',
  'umulh {x}, {x}, {x}',
  'smulh {x}, {x}, {x}',
  // branches and hints
  'b {lbl}',
  'bl {lbl}',
  'b.{cond} {lbl}',
  'cbz {x}, {lbl}',
  'cbnz {w}, {lbl}',
  'tbz {x}, {bit}, {lbl}',
  'tbnz {w}, {bit32}, {lbl}',
  'br {x}',
  'blr {x}',
  'ret',
  'ret {x}',
  // loads and stores
  'ldr {x}, [{xsp}, {u8}]',
  'str {w}, [{xsp}, {u4}]',
  'ldrh {w}, [{xsp}, {u2}]',
  'strb {wz}, [{xsp}, {u1}]',
  'ldrsb {x}, [{xsp}, {u1}]',
  'ldrsh {w}, [{xsp}, {u2}]',
  'ldrsw {x}, [{xsp}, {u4}]',
  'ldr {x}, [{xsp}, {simm9}]!',
  'str {x}, [{xsp}], {simm9}',
  'ldur {w}, [{xsp}, {simm9}]',
  'sturh {w}, [{xsp}, {simm9}]',
  'ldtr {x}, [{xsp}, {simm9}]',
  'sttrb {w}, [{xsp}, {simm9}]',
  'ldtrsw {x}, [{xsp}, {simm9}]',
  'ldr {x}, [{xsp}, {x}{idx}]',
  'ldrb {w}, [{xsp}, {w}, {wext}]',
  'str {w}, [{xsp}, {w}, {wext} #2]',
  'ldr {x}, {lbl}',
  'ldrsw {x}, {lbl}',
  'prfm {prf}, [{xsp}, {u8}]',
  'prfm {prf}, {lbl}',
  'prfum {prf}, [{xsp}, {simm9}]',
  'ldp {x}, {x}, [{xsp}, {p8}]',
  'stp {x}, {x}, [{xsp}, {p8}]!',
  'ldp {w}, {w}, [{xsp}], {p4}',
  'ldpsw {x}, {x}, [{xsp}, {p4}]',
  'ldnp {x}, {x}, [{xsp}, {p8}]',
  'stnp {w}, {w}, [{xsp}, {p4}]',
  'ldr q{imm5n}, [{xsp}, {u16}]',
  'stp d1, d2, [{xsp}, {p8}]!',
  'ldp q3, q4, [{xsp}], {p16}',
  'str s5, [{xsp}, {simm9}]!',
  'ldur b6, [{xsp}, {simm9}]',
  'ldxr {x}, [{xsp}]',
  'stxr {w}, {x}, [{xsp}]',
  'ldaxrb {w}, [{xsp}]',
  'stlxrh {w}, {w}, [{xsp}]',
  'ldxp {x}, {x}, [{xsp}]',
  'stlxp {w}, {w}, {w}, [{xsp}]',
  'ldar {x}, [{xsp}]',
  'stlrb {w}, [{xsp}]',
];

FILLS.imm5n = (r) => `${r.below(32)}`;

/** `repeat` expansions of every template, with local labels 0: and 1: around them. */
export function generateAssembly(rng: Rng, repeat: number): string {
  const lines: string[] = ['0:'];
  for (let i = 0; i < repeat; i++) {
    for (const template of TEMPLATES) {
      lines.push(template.replace(/\{(\w+)\}/g, (_, key: string) => FILLS[key](rng)));
    }
  }
  lines.push('1:', 'nop');
  return lines.join('\n');
}
