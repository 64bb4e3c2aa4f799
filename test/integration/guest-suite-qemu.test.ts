/**
 * The bare-metal test programs on the reference machine: every program must pass on QEMU's virt board with
 * a cortex-a57, and report QEMU's values where specs/cpu.md says QEMU and Orrery differ.
 */
import { describe, expect, it } from 'vitest';
import { requireTool } from '../support/tools';
import { GUEST_PROGRAMS } from '../guest/programs';
import { guestOutputProblems, parseGuestOutput } from '../guest/results';
import { runOnQemu } from '../guest/run-qemu';

describe('bare-metal guest suite on QEMU (reference)', () => {
  for (const program of GUEST_PROGRAMS) {
    it(`${program.name} passes`, async () => {
      const run = await runOnQemu(program, requireTool('qemu-system-aarch64'));
      expect(run.timedOut, run.output).toBe(false);
      expect(guestOutputProblems(program, 'qemu', run.output), run.output).toEqual([]);
      expect(parseGuestOutput(run.output).passed.length).toBeGreaterThan(5);
      // PSCI SYSTEM_OFF ends QEMU normally.
      expect(run.exitCode).toBe(0);
    });
  }

  it('reports a failing check, a missing DONE and a wrong INFO value as problems', () => {
    const sysreg = GUEST_PROGRAMS.find((p) => p.name === 'sysreg')!;
    const output = [
      'PASS a',
      'FAIL b: got 0x1, want 0x2',
      'INFO id_aa64pfr0_el1=0x0000000000000011',
      'INFO id_aa64isar0_el1=0x0000000000011120',
      'INFO id_aa64mmfr0_el1=0x0000000000001124',
      'INFO id_aa64dfr0_el1=0x0000000010305106',
    ].join('\n');
    expect(guestOutputProblems(sysreg, 'qemu', output)).toEqual([
      'FAIL b: got 0x1, want 0x2',
      'no DONE line: the program did not finish',
      'INFO id_aa64pfr0_el1=0x11: expected 0x22 (specs/cpu.md, QEMU cortex-a57 column)',
    ]);
    expect(guestOutputProblems(sysreg, 'orrery', output)).toContain(
      'INFO id_aa64isar0_el1=0x11120: expected 0x10000 (specs/cpu.md, Orrery column: CRC32 only (the integer decoder implements it))',
    );
  });
});
