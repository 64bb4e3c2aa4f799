/**
 * The encoding-table entry: one A64 instruction encoding with its executor builder and its disassembly.
 *
 * An entry matches a 32-bit word when `(word & mask) === match` and `reserved(word)` (if given) is false.
 * When several entries match, the one with the most mask bits wins (ties: registration order in
 * insn/index.ts), so an alias or a special case can be a more specific entry without any ordering rules.
 * A word that no entry claims decodes as UNDEFINED (EC 0).
 *
 * `exec(word)` runs once per instruction per physical page (decode time) and returns a closure specialised
 * for that word's fields: read fields, resolve register 31 to SP or ZR slot (insn/fields.ts), pick the
 * 32- or 64-bit variant, and return a small `(cpu) => void` with no decoding left in it.
 *
 * `disasm(word, pcLo, pcHi)` returns binutils' `objdump -d` text for the word: mnemonic, a tab, operands
 * (e.g. "add\tx0, x1, #0x10"), without objdump's trailing `// ...` comments. PC-relative targets are
 * printed as objdump prints them: bare hex without 0x ("b\t40001000").
 */
import type { Cpu } from './cpu';

/** What an instruction does, specialised at decode time. Must not allocate. */
export type ExecFn = (cpu: Cpu) => void;

export interface InsnEntry {
  /** Unique, e.g. 'ADD_imm', 'LDR_reg'; used by tests and traces. */
  readonly name: string;
  readonly mask: number;
  readonly match: number;
  /** Field values inside mask/match that are unallocated or reserved; such words go on to other entries. */
  readonly reserved?: (word: number) => boolean;
  readonly exec: (word: number) => ExecFn;
  readonly disasm: (word: number, pcLo: number, pcHi: number) => string;
}

/** Builds an entry from a bit pattern string such as 'x00100010xxxxxxxxxxxxxxxxxxxxxxxx' (bit 31 first). */
export function pattern(bits: string): { mask: number; match: number } {
  const clean = bits.replace(/[\s_]/g, '');
  if (clean.length !== 32) throw new Error(`encoding pattern '${bits}' must have 32 bits`);
  let mask = 0;
  let match = 0;
  for (let i = 0; i < 32; i++) {
    const ch = clean[i];
    const bit = 1 << (31 - i);
    if (ch === '0' || ch === '1') {
      mask |= bit;
      if (ch === '1') match |= bit;
    } else if (ch !== 'x') {
      throw new Error(`encoding pattern '${bits}': unexpected '${ch}'`);
    }
  }
  return { mask: mask | 0, match: match | 0 };
}

/** Shorthand for table files: `entry('ADD_imm', 'x0010001 0xxxxxxx ...', { exec, disasm })`. */
export function entry(
  name: string,
  bits: string,
  impl: Pick<InsnEntry, 'exec' | 'disasm'> & Partial<Pick<InsnEntry, 'reserved'>>,
): InsnEntry {
  return { name, ...pattern(bits), ...impl };
}

/**
 * How a compiled block (block-compiler.ts) treats one instruction's source:
 * - Plain: cannot fault or change control flow (ALU); runs with no PC bookkeeping.
 * - Load / Store: may fault, so the block first sets `cpu.pcLo` to the instruction; after a store it leaves
 *   if the store invalidated the page's decoded code.
 * - Branch: ends the block; on a taken branch the source writes pcLo/pcHi and sets `cpu.jumped = 1`.
 */
export const JitKind = { Plain: 0, Load: 1, Store: 2, Branch: 3 } as const;
export type JitKind = (typeof JitKind)[keyof typeof JitKind];

/** One instruction as JavaScript source for a compiled block. */
export interface JitCode {
  readonly kind: JitKind;
  /**
   * Statements over the block's locals: `cpu`, `x` (cpu.x), `b` (the low word of the virtual page base of
   * the block), and the helpers block-compiler.ts passes in (`h.*`).
   */
  readonly src: string;
  /**
   * For a PC-relative branch: taken when `cond` (an expression) holds, to the instruction `delta` bytes
   * away. `src` does the same; with this the compiler can turn a branch back to the block's start into a
   * loop inside the block.
   */
  readonly direct?: { readonly cond: string; readonly delta: number };
  /** NZCV flags the instruction reads (N = 8, Z = 4, C = 2, V = 1). */
  readonly reads?: number;
  /** The instruction writes all of NZCV (only those in `liveFlags` are computed). */
  readonly setsFlags?: boolean;
}

/**
 * Source generator for one encoding entry, by entry name (insn/jit-*.ts). `offset` is the instruction's
 * byte offset in its page; `liveFlags` the NZCV flags read before the block overwrites them (the others need
 * not be computed). Returns null for the words it leaves to the entry's closure.
 */
export type JitTemplate = (word: number, offset: number, liveFlags: number) => JitCode | null;
