/**
 * Lockstep against QEMU over the deterministic test programs (no interrupts, timers or second CPU): Orrery
 * must match QEMU's registers after every instruction. Also checks the tool itself: the RSP framing, the
 * register classification, and that an injected difference is reported at the right instruction.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../support/tools';
import { GUEST_PROGRAMS, programPath } from '../guest/programs';
import { formatResult, runLockstep, touchesFp, uncomparedMrs } from './lockstep';
import { decodePayload, encodePacket, parseStopReply } from './rsp';
import { bytesToHex } from './registers';

/** Instruction words from binutils for assembler lines (the independent reference for encodings). */
function assemble(lines: string[]): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'orrery-lockstep-as-'));
  try {
    writeFileSync(join(dir, 'a.s'), `.text\n${lines.join('\n')}\n`);
    execFileSync(requireTool('aarch64-linux-gnu-as'), ['-o', join(dir, 'a.o'), join(dir, 'a.s')]);
    execFileSync('aarch64-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'a.o'), join(dir, 'a.bin')]);
    const bin = readFileSync(join(dir, 'a.bin'));
    return lines.map((_, i) => bin.readInt32LE(i * 4));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('lockstep tool', () => {
  it('frames packets and decodes replies as the GDB protocol specifies', () => {
    // The manual's example: checksum is the modulo-256 sum of the payload characters.
    expect(encodePacket('g')).toBe('$g#67');
    expect(encodePacket('m4015bc,2')).toBe('$m4015bc,2#5a');
    expect(decodePayload('0* ')).toBe('0000'); // ' ' is 32: three more repeats
    expect(decodePayload('a}]b')).toBe('a}b'); // '}' escapes: 0x5d ^ 0x20 = '}'
    expect(parseStopReply('T05thread:01;')).toMatchObject({ kind: 'signal', signal: 5 });
    expect(parseStopReply('W00')).toMatchObject({ kind: 'exited', code: 0 });
    expect(bytesToHex(new Uint8Array([0x78, 0x56, 0x34, 0x12]))).toBe('12345678');
  });

  it('leaves only ID registers and counters uncompared, and spots SIMD&FP instructions', () => {
    const words = assemble([
      'mrs x3, id_aa64pfr0_el1',
      'mrs x4, cntvct_el0',
      'mrs x5, midr_el1',
      'msr tpidr_el0, x1',
      'fadd d0, d1, d2',
      'ldr q3, [x0]',
      'msr fpcr, x2',
      'add x0, x1, x2',
      'ldr x3, [x0]',
    ]);
    expect(words.map(uncomparedMrs)).toEqual([
      { rt: 3, name: 'ID_AA64PFR0_EL1' },
      { rt: 4, name: 'CNTVCT_EL0' },
      null,
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(words.map(touchesFp)).toEqual([false, false, false, false, true, true, true, false, false]);
  });

  it('reports an injected register difference at the instruction that made it', async () => {
    requireTool('qemu-system-aarch64');
    const alu = GUEST_PROGRAMS.find((p) => p.name === 'alu')!;
    const result = await runLockstep({
      kernel: programPath(alu),
      maxSteps: 50,
      afterOrreryStep: (cpu, step) => {
        if (step === 2) cpu.x[10] ^= 0x100;
      },
    });
    expect(result.outcome, formatResult(result)).toBe('diverged');
    expect(result.divergence?.step).toBe(2);
    expect(result.divergence?.diffs.map((d) => d.name)).toEqual(['x5']);
    expect(result.divergence?.instruction.pc).toBe('0000000040080004');
    expect(formatResult(result)).toContain('objdump: adrp x1,');
  }, 60_000);
});

describe('lockstep: Orrery against QEMU', () => {
  for (const program of GUEST_PROGRAMS.filter((p) => p.lockstep)) {
    it(`${program.name}: no divergence`, async () => {
      requireTool('qemu-system-aarch64');
      const result = await runLockstep({
        kernel: programPath(program),
        maxSteps: program.lockstepSteps,
        fp: program.lockstepFp,
      });
      expect(result.outcome, formatResult(result)).toBe('completed');
      expect(result.orrerySerial).toBe(result.qemuSerial);
    }, 120_000);
  }
});
