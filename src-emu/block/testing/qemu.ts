/**
 * Test support: QEMU's image tools as the reference, scratch folders, a seeded random generator and an
 * image file that simulates a crash. Used only by the block layer's tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '../../../test/support/tools';

export function scratchDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `orrery-block-${tag}-`));
}

export function qemuImg(...args: string[]): string {
  return execFileSync(requireTool('qemu-img'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function qemuIo(file: string, ...commands: string[]): string {
  const args = commands.flatMap((c) => ['-c', c]);
  return execFileSync(requireTool('qemu-io'), [...args, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `qemu-img info --output=json` (one image). */
export function qemuInfo(file: string): Record<string, unknown> {
  return JSON.parse(qemuImg('info', '--output=json', file)) as Record<string, unknown>;
}

export interface QemuCheck {
  /** 0 clean, 2 corrupt, 3 leaks only (qemu-img check's exit status). */
  readonly status: number;
  readonly corruptions: number;
  readonly leaks: number;
  readonly output: string;
}

export function qemuCheck(file: string): QemuCheck {
  const r = spawnSync(requireTool('qemu-img'), ['check', '--output=json', file], { encoding: 'utf8' });
  let parsed: { corruptions?: number; leaks?: number } = {};
  try {
    parsed = JSON.parse(r.stdout) as typeof parsed;
  } catch {
    // A check that cannot even parse the image reports on stderr only.
  }
  return {
    status: r.status ?? -1,
    corruptions: parsed.corruptions ?? 0,
    leaks: parsed.leaks ?? 0,
    output: `${r.stdout}${r.stderr}`,
  };
}

/** `qemu-img compare` exit status: 0 identical, 1 different. */
export function qemuCompare(a: string, b: string, ...flags: string[]): { status: number; output: string } {
  const r = spawnSync(requireTool('qemu-img'), ['compare', ...flags, a, b], { encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** xorshift32: reproducible random sequences (the seed is printed by failing tests). */
export function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

export function pattern(length: number, seed: number): Uint8Array {
  const next = rng(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = next(256);
  return out;
}
