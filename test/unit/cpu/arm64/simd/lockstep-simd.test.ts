// Random AdvSIMD programs run in lockstep against QEMU (test/lockstep): thousands of valid words drawn from
// every simd/ entry, plus structure loads/stores on a buffer, with v0-v31 and FPSR (QC) compared after
// every instruction. Built with the cross compiler on the bare-metal runtime of test/guest.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Decoder, UNDEFINED_ENTRY } from '../../../../../src-emu/cpu/arm64/decoder';
import { SIMD_GROUPS } from '../../../../../src-emu/cpu/arm64/simd/index';
import { SIMD_LDST_STRUCT } from '../../../../../src-emu/cpu/arm64/simd/ldst-struct';
import { formatResult, runLockstep } from '../../../../lockstep/lockstep';
import { Rng } from '../reference';

const GCC = 'aarch64-linux-gnu-gcc';
const QEMU = 'qemu-system-aarch64';
const GUEST = join(process.cwd(), 'test', 'guest');

function requireTools(): void {
  for (const tool of [GCC, QEMU]) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} not found: the lockstep reference needs the cross compiler and QEMU`);
    }
  }
}

/** Register fields of general-register operands kept below x18 (x20/x21 hold the buffers). */
function spareGeneralRegisters(name: string, w: number, rng: Rng): number {
  let word = w;
  if (name.startsWith('FMOV') || name === 'UMOV' || name === 'SMOV') word = (word & ~31) | rng.below(18);
  if (name === 'DUP_general' || name === 'INS_general' || /^FMOV_(s_w|d_x|vd1_x)$/.test(name)) {
    word = (word & ~(31 << 5)) | (rng.below(18) << 5);
  }
  return word;
}

/** Assembly of `simd_random(buffer, init)`: fresh V registers from `init` every 200 instructions. */
function randomProgram(seed: number, count: number): string {
  const rng = new Rng(seed);
  const decoder = new Decoder(SIMD_GROUPS);
  const dataProcessing = SIMD_GROUPS.flat().filter((e) => !SIMD_LDST_STRUCT.includes(e));
  const noWriteback = [SIMD_LDST_STRUCT[0], SIMD_LDST_STRUCT[2]];
  const lines = ['.text', '.globl simd_random', 'simd_random:', '  mov x20, x0', '  mov x21, x1'];
  const reload = (): void => {
    lines.push('  mov x0, x21');
    for (let r = 0; r < 32; r += 4) lines.push(`  ld1 {v${r}.16b-v${r + 3}.16b}, [x0], #64`);
  };
  reload();
  for (let i = 0; i < count; i++) {
    if (i % 200 === 199) reload();
    for (;;) {
      const memory = rng.below(10) === 0;
      const e = memory ? noWriteback[rng.below(2)] : dataProcessing[rng.below(dataProcessing.length)];
      let w = e.match | (rng.u32() & ~e.mask);
      w = memory ? (w & ~(31 << 5)) | (20 << 5) : spareGeneralRegisters(e.name, w, rng);
      if (decoder.lookup(w) === UNDEFINED_ENTRY) continue;
      lines.push(`  .inst 0x${(w >>> 0).toString(16).padStart(8, '0')}`);
      break;
    }
  }
  lines.push('  ret');
  return `${lines.join('\n')}\n`;
}

const MAIN_C = `#include "runtime.h"
const u32 runtime_enable_fp = 1;
void simd_random(u8 *buffer, const u8 *init);
static u8 buffer[4096] __attribute__((aligned(16)));
static u8 init[512] __attribute__((aligned(16)));
void test_main(u64 dtb) {
  (void)dtb;
  u64 x = 0x9e3779b97f4a7c15ul;
  for (int i = 0; i < 512; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; init[i] = (u8)(x >> 24); }
  for (int i = 0; i < 4096; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; buffer[i] = (u8)x; }
  simd_random(buffer, init);
  pass("simd-random");
}
`;

function build(dir: string, seed: number, count: number): string {
  const flags = ['-O2', '-ffreestanding', '-fno-builtin', '-nostdlib', '-fno-pic', '-fno-pie'];
  flags.push('-fno-stack-protector', '-march=armv8-a+crc', '-I', join(GUEST, 'runtime'));
  writeFileSync(join(dir, 'main.c'), MAIN_C);
  writeFileSync(join(dir, 'random.S'), randomProgram(seed, count));
  const sources: Array<[string, boolean]> = [
    [join(GUEST, 'runtime', 'start.S'), true],
    [join(GUEST, 'runtime', 'runtime.c'), true],
    [join(dir, 'main.c'), false],
    [join(dir, 'random.S'), false],
  ];
  const objects = sources.map(([src, generalOnly], i) => {
    const obj = join(dir, `${i}.o`);
    execFileSync(GCC, [...flags, ...(generalOnly ? ['-mgeneral-regs-only'] : []), '-c', '-o', obj, src]);
    return obj;
  });
  const elf = join(dir, 'simd.elf');
  const linkFlags = ['-nostdlib', '-static', '-no-pie', '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments'];
  execFileSync(GCC, [...linkFlags, '-Wl,-T', join(GUEST, 'runtime', 'link.ld'), '-o', elf, ...objects]);
  return elf;
}

describe('AdvSIMD against QEMU in lockstep', () => {
  it('runs 4000 random simd/ instructions with the same registers and FPSR as QEMU', async () => {
    requireTools();
    const dir = mkdtempSync(join(tmpdir(), 'orrery-simd-lockstep-'));
    try {
      const elf = build(dir, 20261124, 4000);
      const result = await runLockstep({ kernel: elf, fp: true, maxSteps: 2_000_000, maxDivergences: 5 });
      expect(result.outcome, formatResult(result)).toBe('completed');
      expect(result.qemuSerial).toContain('simd-random');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
