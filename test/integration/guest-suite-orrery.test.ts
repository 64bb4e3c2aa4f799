/**
 * The bare-metal test programs on Orrery's virt board: the same programs and the same pass criteria as on
 * QEMU (guest-suite-qemu.test.ts), with Orrery's values where specs/cpu.md sets them apart.
 */
import { describe, expect, it } from 'vitest';
import { GUEST_PROGRAMS } from '../guest/programs';
import { guestOutputProblems } from '../guest/results';
import { runOnOrrery } from '../guest/run-orrery';

describe('bare-metal guest suite on Orrery', () => {
  for (const program of GUEST_PROGRAMS) {
    it(`${program.name} passes`, async () => {
      const run = await runOnOrrery(program);
      expect(run.reason, run.output).toBe('poweroff');
      expect(guestOutputProblems(program, 'orrery', run.output), run.output).toEqual([]);
    }, 60_000);
  }
});
