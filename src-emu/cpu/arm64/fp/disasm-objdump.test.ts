// The FP/AdvSIMD entries checked against binutils: for random words inside each entry's pattern, every
// word that decodes to that entry must print exactly as `aarch64-linux-gnu-objdump -d` prints it. Words
// an entry leaves as reserved are encodings not implemented yet (listed in fp/README.md).
import { describe, expect, it } from 'vitest';
import { Decoder, disassemble } from '../decoder';
import { binutilsAvailable, objdumpWords } from '../../../../test/unit/cpu/arm64/objdump';
import { FP_ENCODING_GROUPS } from './index';

function requireBinutils(): void {
  if (!binutilsAvailable()) {
    throw new Error(
      'aarch64-linux-gnu-as/objdump not found: install binutils-aarch64-linux-gnu (the decoder oracle' +
        (process.env.CI ? ', required in CI)' : ')'),
    );
  }
}

/** xorshift32, seeded per entry so failures reproduce. */
function randomWords(mask: number, match: number, count: number, seed: number): number[] {
  let s = seed | 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out.push((s & ~mask) | match | 0);
  }
  return out;
}

const ENTRIES = FP_ENCODING_GROUPS.flat();

describe('FP/AdvSIMD disassembly against objdump', () => {
  it.each(ENTRIES.map((e, i) => [e.name, i] as const))('%s', (name, index) => {
    requireBinutils();
    const e = ENTRIES[index]!;
    const words = randomWords(e.mask, e.match, 4000, 0x9e3779b9 ^ (index * 7919));
    const reference = objdumpWords(words);
    const decoder = new Decoder();
    const mismatches: string[] = [];
    let checked = 0;
    words.forEach((word, i) => {
      const chosen = decoder.lookup(word);
      const theirs = reference[i]!;
      const hexWord = (word >>> 0).toString(16).padStart(8, '0');
      if (chosen.name === name) {
        checked++;
        const ours = disassemble(word, i * 4, 0);
        if (ours !== theirs) mismatches.push(`${hexWord}: ours '${ours}' objdump '${theirs}'`);
      }
    });
    expect(mismatches.slice(0, 12), `${mismatches.length} of ${words.length}`).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });
});
