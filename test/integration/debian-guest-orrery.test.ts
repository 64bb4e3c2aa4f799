/**
 * Debian's arm64 cloud kernel and busybox userspace on Orrery, through the real CLI, compared with the
 * same guest on QEMU: every command's output must be identical, except /proc/cpuinfo, which must describe
 * what Orrery's CPU implements (specs/cpu.md).
 */
import { describe, expect, it } from 'vitest';
import { debianSession } from '../support/guest';

const COMMANDS = [
  'uname -a',
  'dd if=/dev/zero bs=1M count=4 2>/dev/null | sha256sum',
  'seq 1 20000 | sha256sum',
  'awk \'BEGIN { s = 0; for (i = 1; i <= 2000; i++) s += 1 / i; printf "%.12f %.6e\\n", s, exp(1) * 1e10 }\'',
  'i=0; while [ $i -lt 300 ]; do i=$((i + 3)); done; echo $i',
  'grep -c processor /proc/cpuinfo',
];
const FEATURES = 'grep -m1 Features /proc/cpuinfo';

describe('Debian arm64 guest on Orrery', () => {
  it('boots to a busybox shell whose commands print what they print on QEMU', async () => {
    const qemu = await debianSession({ machine: 'qemu', commands: [...COMMANDS, FEATURES] });
    const orrery = await debianSession({ machine: 'orrery', commands: [...COMMANDS, FEATURES] });
    expect(orrery.outputs.slice(0, COMMANDS.length)).toEqual(qemu.outputs.slice(0, COMMANDS.length));
    expect(orrery.outputs[COMMANDS.length]).toMatch(/^Features\s*: fp asimd evtstrm crc32 cpuid$/);
    expect(orrery.exitCode).toBe(0);
  }, 900_000);
});
