/**
 * Disassembly of the system instructions against binutils: every word below is assembled with
 * aarch64-linux-gnu-as (as `.inst`), disassembled with aarch64-linux-gnu-objdump, and compared with ours.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDecoder } from '../decoder';
import { SYSTEM_INSNS } from './insn';
import { SYSREG_DEFS } from './sysreg-table';

function toolsPresent(): boolean {
  try {
    execFileSync('aarch64-linux-gnu-as', ['--version'], { stdio: 'ignore' });
    execFileSync('aarch64-linux-gnu-objdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** objdump -d text for each word, keyed by the word. */
function objdump(words: number[]): Map<number, string> {
  const dir = mkdtempSync(join(tmpdir(), 'sys-disasm-'));
  try {
    const src = join(dir, 'w.s');
    const obj = join(dir, 'w.o');
    writeFileSync(src, words.map((w) => `.inst 0x${(w >>> 0).toString(16)}\n`).join(''));
    execFileSync('aarch64-linux-gnu-as', ['-o', obj, src]);
    const text = execFileSync('aarch64-linux-gnu-objdump', ['-d', '--no-show-raw-insn', obj], {
      maxBuffer: 1 << 26,
    }).toString();
    const byIndex = new Map<number, string>();
    for (const line of text.split('\n')) {
      const m = /^\s*([0-9a-f]+):\t(.*)$/.exec(line);
      if (m === null) continue;
      byIndex.set(parseInt(m[1], 16) / 4, m[2].replace(/\s*\/\/.*$/, '').trimEnd());
    }
    return new Map(words.map((w, i) => [w | 0, byIndex.get(i) ?? '<missing>']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    void readFileSync; // keep the import list honest for readers: files are written then read by objdump
  }
}

function sampleWords(): number[] {
  const words: number[] = [];
  const push = (w: number) => words.push(w | 0);
  // MRS / MSR (register) for every known register, plus registers objdump names that we do not have.
  for (const d of SYSREG_DEFS) {
    push(0xd5300000 | (d.key << 5) | 3);
    push(0xd5100000 | (d.key << 5) | 30);
  }
  for (const key of [0xc790, 0xcf80, 0xde82, 0xc081, 0xc0d2, 0xe6e8]) push(0xd5300000 | (key << 5) | 31);
  // MSR (immediate): every op1/op2 pair with two CRm values.
  for (let op1 = 0; op1 < 8; op1++) {
    for (let op2 = 0; op2 < 8; op2++) {
      for (const crm of [0, 0xf]) push(0xd500401f | (op1 << 16) | (crm << 8) | (op2 << 5));
    }
  }
  // HINT, CLREX, DSB, DMB, ISB.
  for (let n = 0; n < 128; n++) push(0xd503201f | (n << 5));
  for (let crm = 0; crm < 16; crm++) for (const op2 of [2, 4, 5, 6]) push(0xd503301f | (crm << 8) | (op2 << 5));
  // SYS: every DC/IC/AT/TLBI name with Xt = x0, x7 and xzr; a few unnamed SYS and SYSL words.
  const sysOps: Array<[number, number, number, number]> = [
    [3, 7, 4, 1],
    [0, 7, 6, 1],
    [0, 7, 6, 2],
    [0, 7, 10, 2],
    [0, 7, 14, 2],
    [3, 7, 10, 1],
    [3, 7, 11, 1],
    [3, 7, 14, 1],
    [0, 7, 1, 0],
    [0, 7, 5, 0],
    [3, 7, 5, 1],
    [0, 7, 8, 0],
    [0, 7, 8, 1],
    [0, 7, 8, 2],
    [0, 7, 8, 3],
    [0, 8, 3, 0],
    [0, 8, 3, 1],
    [0, 8, 3, 2],
    [0, 8, 3, 3],
    [0, 8, 3, 5],
    [0, 8, 3, 7],
    [0, 8, 7, 0],
    [0, 8, 7, 1],
    [0, 8, 7, 2],
    [0, 8, 7, 3],
    [0, 8, 7, 5],
    [0, 8, 7, 7],
    [1, 2, 3, 4],
    [0, 7, 12, 1],
  ];
  for (const [op1, crn, crm, op2] of sysOps) {
    for (const rt of [0, 7, 31]) push(0xd5080000 | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | rt);
  }
  push(0xd52b1234);
  // Exception generation and return.
  for (const imm of [0, 1, 0x1234, 0xffff]) {
    for (const base of [
      0xd4000001, 0xd4000002, 0xd4000003, 0xd4200000, 0xd4400000, 0xd4a00001, 0xd4a00002, 0xd4a00003,
    ]) {
      push(base | (imm << 5));
    }
  }
  push(0xd69f03e0);
  return words;
}

const CI = process.env.CI === 'true' || process.env.CI === '1';
const haveTools = toolsPresent();

describe('system instruction disassembly matches objdump', () => {
  if (!haveTools && !CI) {
    it.skip('needs aarch64-linux-gnu-as and aarch64-linux-gnu-objdump (binutils-aarch64-linux-gnu)', () => {});
    return;
  }

  it('binutils is installed', () => {
    expect(haveTools, 'install binutils-aarch64-linux-gnu').toBe(true);
  });

  it('prints every sampled system word as objdump does', () => {
    const decoder = defaultDecoder();
    const words = sampleWords();
    const reference = objdump(words);
    const mismatches: string[] = [];
    let compared = 0;
    for (const w of words) {
      const e = decoder.lookup(w);
      if (!SYSTEM_INSNS.includes(e)) continue; // unallocated here: UNDEFINED whatever objdump calls it
      compared++;
      const ours = e.disasm(w, 0, 0);
      const theirs = reference.get(w);
      if (ours !== theirs) mismatches.push(`${(w >>> 0).toString(16)}: ours '${ours}' objdump '${theirs}'`);
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(500);
  });

  it('claims each sampled system word with one of its own entries only', () => {
    const decoder = defaultDecoder();
    const foreign = sampleWords()
      .map((w) => [w, decoder.allMatches(w).filter((e) => !SYSTEM_INSNS.includes(e))] as const)
      .filter(([, others]) => others.length > 0)
      .map(([w, others]) => `${(w >>> 0).toString(16)}: ${others.map((e) => e.name).join(', ')}`);
    expect(foreign).toEqual([]);
  });
});
