/**
 * Decoder dispatch over the encoding table (insn/index.ts).
 *
 * Built once: bits 31..21 of a word select one of 2048 buckets; each bucket lists, most specific first, the
 * entries whose mask/match can agree with those bits. Decoding scans one short bucket. Decoding runs once
 * per instruction per physical page, so this favours simplicity over raw speed.
 */
import type { ExecFn, InsnEntry } from './encoding';
import { ENCODING_GROUPS } from './insn/index';
import type { Cpu } from './cpu';

const KEY_SHIFT = 21;
const BUCKETS = 1 << (32 - KEY_SHIFT);

function raiseUndefined(cpu: Cpu): void {
  cpu.raiseUndefined();
}

/** Unallocated encodings: UNDEFINED (EC 0). objdump prints UDF for the permanently undefined space. */
export const UNDEFINED_ENTRY: InsnEntry = {
  name: 'UNDEFINED',
  mask: 0,
  match: 0,
  exec: (): ExecFn => raiseUndefined,
  disasm: (word) =>
    word >>> 16 === 0 ? `udf\t#${word & 0xffff}` : `.inst\t0x${(word >>> 0).toString(16).padStart(8, '0')} ; undefined`,
};

function popcount(value: number): number {
  let v = value >>> 0;
  let count = 0;
  while (v !== 0) {
    v &= v - 1;
    count++;
  }
  return count;
}

export class Decoder {
  private readonly buckets: InsnEntry[][] = [];

  constructor(groups: ReadonlyArray<ReadonlyArray<InsnEntry>> = ENCODING_GROUPS) {
    const all = groups.flat();
    const names = new Set<string>();
    for (const e of all) {
      if (names.has(e.name)) throw new Error(`encoding table: duplicate entry name '${e.name}'`);
      names.add(e.name);
      if ((e.match & ~e.mask) !== 0) throw new Error(`encoding table: '${e.name}' has match bits outside its mask`);
    }
    // Stable sort: more mask bits first, then registration order.
    const ordered = all
      .map((e, order) => ({ e, order, bits: popcount(e.mask) }))
      .sort((a, b) => b.bits - a.bits || a.order - b.order)
      .map((x) => x.e);
    for (let key = 0; key < BUCKETS; key++) {
      const high = (key << KEY_SHIFT) | 0;
      const highMask = ~((1 << KEY_SHIFT) - 1);
      this.buckets.push(ordered.filter((e) => ((high ^ e.match) & e.mask & highMask) === 0));
    }
  }

  /** The entry that claims `word`, or UNDEFINED_ENTRY. */
  lookup(word: number): InsnEntry {
    const bucket = this.buckets[word >>> KEY_SHIFT];
    for (let i = 0; i < bucket.length; i++) {
      const e = bucket[i];
      if ((word & e.mask) === e.match && (e.reserved === undefined || !e.reserved(word))) return e;
    }
    return UNDEFINED_ENTRY;
  }

  /** Every entry that matches `word` (for table-overlap checks in tests). */
  allMatches(word: number): InsnEntry[] {
    return this.buckets[word >>> KEY_SHIFT].filter((e) => (word & e.mask) === e.match);
  }
}

let shared: Decoder | null = null;

/** The decoder over the full table, built on first use. */
export function defaultDecoder(): Decoder {
  shared ??= new Decoder();
  return shared;
}

/** objdump-style text for one instruction word at the given address. */
export function disassemble(word: number, pcLo: number, pcHi: number): string {
  return defaultDecoder()
    .lookup(word | 0)
    .disasm(word | 0, pcLo | 0, pcHi | 0);
}
