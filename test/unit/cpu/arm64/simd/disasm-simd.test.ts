// The AdvSIMD integer decoder and disassembler (src-emu/cpu/arm64/simd) against binutils: every entry
// with random fields prints exactly as `aarch64-linux-gnu-objdump -d`, and over a sweep of every opcode,
// size and Q value of the AdvSIMD spaces (random registers) the whole table agrees with objdump: what it
// calls undefined (or decodes as a later extension) is UNDEFINED for us, nothing it decodes is missing.
import { describe, expect, it } from 'vitest';
import { Decoder, UNDEFINED_ENTRY } from '../../../../../src-emu/cpu/arm64/decoder';
import type { InsnEntry } from '../../../../../src-emu/cpu/arm64/encoding';
import { ENCODING_GROUPS } from '../../../../../src-emu/cpu/arm64/insn/index';
import { SIMD_GROUPS } from '../../../../../src-emu/cpu/arm64/simd/index';
import { binutilsAvailable, objdumpSource, objdumpWords } from '../objdump';
import { Rng } from '../reference';

function requireBinutils(): void {
  if (!binutilsAvailable()) {
    throw new Error(
      'aarch64-linux-gnu-as/objdump not found: install binutils-aarch64-linux-gnu (the decoder oracle' +
        (process.env.CI ? ', required in CI)' : ')'),
    );
  }
}

/**
 * Encodings binutils knows from extensions after ARMv8.0 that this CPU leaves UNDEFINED: RDM (SQRDMLAH),
 * dot product, FP16 (".4h/.8h" FP forms, FMOV half), crypto (AES, SHA, SM3/4, SHA3, PMULL .1q), I8MM, BF16,
 * FCMA, FHM, FRINTTS.
 */
const LATER_EXTENSION =
  /^(sqrdml[as]h|[su]dot|usdot|sudot|aes|sha|sm3|sm4|eor3|rax1|xar|bcax|[su]mmla|usmmla|bf|fcmla|fcadd|fmlal|fmlsl|frint32|frint64)|^pmull2?\tv\d+\.1q|^f\w+\t.*(\.[48]h\b|\bh\d+)/;

/** Floating-point mnemonics: fp/'s encodings, not checked here. */
const FLOATING_POINT = /^(f|scvtf|ucvtf|urecpe|ursqrte)/;

const simdEntries = new Set<InsnEntry>(SIMD_GROUPS.flat());

interface Mismatch {
  word: string;
  entry: string;
  objdump: string;
  ours: string;
}

function compare(words: number[], decoder: Decoder): Mismatch[] {
  const reference = objdumpWords(words);
  const out: Mismatch[] = [];
  words.forEach((word, i) => {
    const e = decoder.lookup(word);
    const theirs = reference[i];
    const ours = e.disasm(word, i * 4, 0);
    if (ours === theirs) return;
    const mnemonic = theirs.split('\t')[0];
    if (e === UNDEFINED_ENTRY && (LATER_EXTENSION.test(theirs) || FLOATING_POINT.test(mnemonic))) return;
    if (e !== UNDEFINED_ENTRY && !simdEntries.has(e)) return; // another group's word (fp/)
    out.push({ word: (word >>> 0).toString(16).padStart(8, '0'), entry: e.name, objdump: theirs, ours });
  });
  return out;
}

/** Vector-space word for sweep index k: Q = bit 16, U = bit 15, bit 24 = bit 14, bits 23..10 = k's low 14. */
function vectorWord(k: number, registers: number): number {
  return (
    (((k >> 16) & 1) << 30) |
    (((k >> 15) & 1) << 29) |
    (0b0111 << 25) |
    (((k >> 14) & 1) << 24) |
    ((k & 0x3fff) << 10) |
    registers
  );
}

describe('AdvSIMD integer decoder against objdump', () => {
  it('prints every simd/ entry like objdump (random fields, 300 words per entry)', () => {
    requireBinutils();
    const rng = new Rng(77);
    const words: number[] = [];
    for (const e of simdEntries) for (let i = 0; i < 300; i++) words.push(e.match | (rng.u32() & ~e.mask));
    const decoder = new Decoder(SIMD_GROUPS);
    expect(compare(words, decoder).slice(0, 20)).toEqual([]);
    const decoded = words.filter((w) => decoder.lookup(w) !== UNDEFINED_ENTRY).length;
    expect(decoded).toBeGreaterThan(words.length / 2);
  });

  it('treats every opcode, size and Q of the AdvSIMD and structure load/store spaces as objdump does', () => {
    requireBinutils();
    const rng = new Rng(4242);
    const decoder = new Decoder(ENCODING_GROUPS);
    const words: number[] = [];
    const regs = (): number => rng.u32() & 0x3ff; // Rn, Rd: random
    // Vector AdvSIMD 0 Q U 0111x, bits 23..10 enumerated.
    for (let k = 0; k < 1 << 17; k++) words.push(vectorWord(k, regs()));
    // Scalar AdvSIMD 01 U 1111x.
    for (let k = 0; k < 1 << 16; k++)
      words.push(
        (1 << 30) | (((k >> 15) & 1) << 29) | (0b1111 << 25) | (((k >> 14) & 1) << 24) | ((k & 0x3fff) << 10) | regs(),
      );
    // Structure loads/stores 0 Q 0011 0 P ..., bits 22..10 enumerated.
    for (let k = 0; k < 1 << 16; k++)
      words.push((((k >> 15) & 1) << 30) | (0b0011 << 26) | (((k >> 14) & 1) << 23) | ((k & 0x3fff) << 10) | regs());
    const mismatches = compare(words, decoder);
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(words.filter((w) => simdEntries.has(decoder.lookup(w))).length).toBeGreaterThan(40000);
  });

  it('disassembles assembled glibc-style sequences like objdump', () => {
    requireBinutils();
    const source = [
      'ld1 {v0.16b, v1.16b}, [x1], #32',
      'cmeq v2.16b, v0.16b, #0',
      'cmhs v3.16b, v1.16b, v2.16b',
      'shrn v2.8b, v2.8h, #4',
      'umaxp v2.16b, v2.16b, v2.16b',
      'addp v3.2d, v3.2d, v3.2d',
      'fmov x5, d2',
      'dup v4.16b, w2',
      'movi v5.16b, #0x40',
      'tbl v6.16b, {v0.16b}, v7.16b',
      'uminv b7, v1.16b',
      'ext v8.16b, v0.16b, v1.16b, #3',
      'mov v9.d[1], x3',
      'st1 {v0.2d-v3.2d}, [x0], x2',
      'ld4r {v0.4h-v3.4h}, [sp], #8',
    ].join('\n');
    const lines = objdumpSource(source, 0x40080000);
    const decoder = new Decoder(ENCODING_GROUPS);
    const wrong = lines.filter((l) => decoder.lookup(l.word).disasm(l.word, l.address, 0) !== l.text);
    expect(wrong).toEqual([]);
    expect(lines).toHaveLength(15);
  });
});
