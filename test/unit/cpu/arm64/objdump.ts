/**
 * Runs binutils (aarch64-linux-gnu-as + objdump) over instruction words and returns objdump's text per word,
 * normalised the way our disassembler prints: no `// comment`, no ` <symbol+off>` after addresses.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const AS = 'aarch64-linux-gnu-as';
export const OBJDUMP = 'aarch64-linux-gnu-objdump';
export const LD = 'aarch64-linux-gnu-ld';

export function binutilsAvailable(): boolean {
  try {
    execFileSync(AS, ['--version'], { stdio: 'ignore' });
    execFileSync(OBJDUMP, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** objdump's line as we compare it. */
export function normalise(text: string): string {
  return text
    .replace(/\s*\/\/.*$/, '')
    .replace(/ <[^>]*>/g, '')
    .trimEnd();
}

/**
 * Assembles `source` (assembler text), links it at `linkAddress` when given (so PC-relative operands are
 * resolved) and returns address, word and text for each instruction line.
 */
export function objdumpSource(
  source: string,
  linkAddress?: number,
): Array<{ address: number; word: number; text: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'orrery-objdump-'));
  try {
    const src = join(dir, 'in.s');
    const obj = join(dir, 'in.o');
    writeFileSync(src, `.arch armv8-a+crc\n.text\n.globl _start\n_start:\n${source}\n`);
    // Warnings about UNPREDICTABLE register choices are expected: the generators pick registers freely.
    execFileSync(AS, ['-o', obj, src], { stdio: ['ignore', 'pipe', 'pipe'] });
    let image = obj;
    if (linkAddress !== undefined) {
      image = join(dir, 'in.elf');
      execFileSync(LD, ['-e', '_start', `-Ttext=0x${linkAddress.toString(16)}`, '-o', image, obj]);
    }
    const out = execFileSync(OBJDUMP, ['-d', '-z', image], { maxBuffer: 256 * 1024 * 1024 }).toString();
    const result: Array<{ address: number; word: number; text: string }> = [];
    for (const line of out.split('\n')) {
      const m = /^\s*([0-9a-f]+):\t([0-9a-f]{8}) \t(.*)$/.exec(line);
      if (m !== null) result.push({ address: parseInt(m[1], 16), word: parseInt(m[2], 16) | 0, text: normalise(m[3]) });
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** objdump's text for each word, laid out from address 0 in order. */
export function objdumpWords(words: readonly number[]): string[] {
  const source = words.map((w) => `.inst 0x${(w >>> 0).toString(16).padStart(8, '0')}`).join('\n');
  const lines = objdumpSource(source);
  if (lines.length !== words.length)
    throw new Error(`objdump returned ${lines.length} lines for ${words.length} words`);
  return lines.map((l) => l.text);
}
