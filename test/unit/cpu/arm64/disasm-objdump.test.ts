// The decoder and disassembler checked against binutils: every word we decode must print exactly as
// `aarch64-linux-gnu-objdump -d` prints it (comments aside), and every word objdump calls undefined (or
// decodes as an instruction of a later architecture extension) must be UNDEFINED for us.
import { describe, expect, it } from 'vitest';
import { Decoder, UNDEFINED_ENTRY, disassemble } from '../../../../src-emu/cpu/arm64/decoder';
import { BRANCH } from '../../../../src-emu/cpu/arm64/insn/branch';
import { ENCODING_GROUPS } from '../../../../src-emu/cpu/arm64/insn/index';
import { DP_IMM } from '../../../../src-emu/cpu/arm64/insn/dp-imm';
import { DP_REG } from '../../../../src-emu/cpu/arm64/insn/dp-reg';
import { DP_REG_MISC } from '../../../../src-emu/cpu/arm64/insn/dp-reg-misc';
import { LDST_EXCL } from '../../../../src-emu/cpu/arm64/insn/ldst-exclusive';
import { LDST_PAIR } from '../../../../src-emu/cpu/arm64/insn/ldst-pair';
import { LDST_SINGLE } from '../../../../src-emu/cpu/arm64/insn/ldst-single';
import { binutilsAvailable, objdumpSource, objdumpWords } from './objdump';
import { Rng } from './reference';
import { generateAssembly } from './asm-templates';

const INTEGER_GROUPS = [DP_IMM, DP_REG, DP_REG_MISC, BRANCH, LDST_SINGLE, LDST_PAIR, LDST_EXCL];

/**
 * Mnemonics binutils 2.40 knows from extensions after ARMv8.0 (LSE, RCpc, LOR, MTE, PAuth, CSSC, MOPS,
 * FlagM, LS64, HBC), which this CPU does not implement and so must decode as UNDEFINED.
 */
const LATER_EXTENSION =
  /^(cnt|ctz|abs|smax|smin|umax|umin|stgp|subps?|irg|gmi|addg|subg|cmpp|ldlar|stllr|casp?|swp|ld(add|clr|eor|set|smax|smin|umax|umin)|st(add|clr|eor|set|smax|smin|umax|umin)|ldapr|ldapur|stlur|ldra[ab]|pacga|rmif|setf|stz?2?g\b|ldg|stz?gm|ldgm|ld64b|st64b|bc\.|cpy|set[pmeg]|rcw|ldiapp|stilp|bra[ab]|blra|reta|eret|xpac|pac|aut|ldtxr|sttxr|ldap1|stl1)/;

function requireBinutils(): void {
  if (!binutilsAvailable()) {
    throw new Error(
      'aarch64-linux-gnu-as/objdump not found: install binutils-aarch64-linux-gnu (the decoder oracle' +
        (process.env.CI ? ', required in CI)' : ')'),
    );
  }
}

interface Mismatch {
  word: string;
  objdump: string;
  ours: string;
}

/** Compares ours with objdump for words laid out from address 0; returns the mismatches. */
function compareWords(words: number[]): { mismatches: Mismatch[]; decoded: number } {
  const reference = objdumpWords(words);
  const decoder = new Decoder();
  const mismatches: Mismatch[] = [];
  let decoded = 0;
  words.forEach((word, i) => {
    const ours = disassemble(word, i * 4, 0);
    const theirs = reference[i];
    const weAreUndefined = decoder.lookup(word) === UNDEFINED_ENTRY;
    if (!weAreUndefined) decoded++;
    if (ours === theirs) return;
    if (weAreUndefined && LATER_EXTENSION.test(theirs.split('\t')[0])) return;
    mismatches.push({ word: (word >>> 0).toString(16).padStart(8, '0'), objdump: theirs, ours });
  });
  return { mismatches, decoded };
}

describe('A64 integer decoder against objdump', () => {
  it('prints every entry of the integer groups like objdump (random fields, 400 words per entry)', () => {
    requireBinutils();
    const rng = new Rng(2024);
    const words: number[] = [];
    for (const group of INTEGER_GROUPS) {
      for (const e of group) for (let i = 0; i < 400; i++) words.push(e.match | (rng.u32() & ~e.mask));
    }
    const { mismatches, decoded } = compareWords(words);
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(decoded).toBeGreaterThan(9000);
  });

  it('treats random words of the integer encoding space as objdump does', () => {
    requireBinutils();
    const rng = new Rng(99);
    // op0 (bits 28..25): data processing immediate 100x, register x101, loads/stores x1x0 (without the
    // AdvSIMD structure forms), branches 101x without the system space.
    const words: number[] = [];
    while (words.length < 20000) {
      const w = rng.u32() | 0;
      const op0 = (w >>> 25) & 15;
      const dpImm = op0 === 8 || op0 === 9;
      const dpReg = (op0 & 7) === 5;
      const ldst = (op0 & 5) === 4 && !((w >>> 28) % 4 === 0 && ((w >>> 26) & 1) === 1);
      const branch = (op0 & 14) === 10 && w >>> 25 !== 0b1101010; // not exceptions/system (sys/)
      if (dpImm || dpReg || ldst || branch) words.push(w);
    }
    const { mismatches } = compareWords(words);
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  it('disassembles assembled source (templates over every integer class) like objdump', () => {
    requireBinutils();
    const lines = objdumpSource(generateAssembly(new Rng(5), 25), 0x40080000);
    expect(lines.length).toBeGreaterThan(2000);
    const wrong = lines
      .map((l) => ({ word: (l.word >>> 0).toString(16), objdump: l.text, ours: disassemble(l.word, l.address, 0) }))
      .filter((l) => l.ours !== l.objdump);
    expect(wrong.slice(0, 20)).toEqual([]);
  });

  it('decodes UDF and the all-ones word as UNDEFINED', () => {
    const decoder = new Decoder();
    expect(decoder.lookup(0)).toBe(UNDEFINED_ENTRY);
    expect(disassemble(0x0000abcd, 0, 0)).toBe('udf\t#43981');
    expect(disassemble(-1, 0, 0)).toBe('.inst\t0xffffffff ; undefined');
  });

  it('has no two entries of equal specificity claiming one word in the whole table', () => {
    const rng = new Rng(3);
    const decoder = new Decoder(ENCODING_GROUPS);
    for (const group of ENCODING_GROUPS) {
      for (const e of group) {
        for (let i = 0; i < 200; i++) {
          const word = e.match | (rng.u32() & ~e.mask);
          const matches = decoder.allMatches(word).filter((m) => m.reserved === undefined || !m.reserved(word));
          if (matches.length === 0) continue; // a reserved value: UNDEFINED
          const top = matches.filter((m) => popcount(m.mask) === popcount(matches[0].mask));
          expect(top.map((m) => m.name)).toHaveLength(1);
        }
      }
    }
  });
});

function popcount(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x !== 0; x &= x - 1) n++;
  return n;
}
