/**
 * Debian's arm64 cloud kernel and busybox userspace on Orrery, through the real CLI, compared with the
 * same guest on QEMU: every command's output must be identical, except /proc/cpuinfo, which must describe
 * what Orrery's CPU implements (specs/cpu.md).
 */
import { describe, expect, it } from 'vitest';
import { requireTool } from '../support/tools';
import { debianGuest } from '../support/guest';
import { runSerialSession } from '../support/serial-session';

const COMMANDS = [
  'uname -a',
  'dd if=/dev/zero bs=1M count=4 2>/dev/null | sha256sum',
  'seq 1 20000 | sha256sum',
  'awk \'BEGIN { s = 0; for (i = 1; i <= 2000; i++) s += 1 / i; printf "%.12f %.6e\\n", s, exp(1) * 1e10 }\'',
  'i=0; while [ $i -lt 300 ]; do i=$((i + 3)); done; echo $i',
  'grep -c processor /proc/cpuinfo',
];

async function session(command: string, args: string[]) {
  const guest = await debianGuest();
  return runSerialSession({
    command,
    args: [...args, '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', 'console=ttyAMA0 quiet'],
    prompt: /orrery:\/root# /,
    commands: [...COMMANDS, 'grep -m1 Features /proc/cpuinfo'],
    finalCommand: 'poweroff -f',
    timeoutMs: 400_000,
  });
}

describe('Debian arm64 guest on Orrery', () => {
  it('boots to a busybox shell whose commands print what they print on QEMU', async () => {
    const qemu = await session(requireTool('qemu-system-aarch64'), [
      '-M',
      'virt',
      '-cpu',
      'cortex-a57',
      '-m',
      '256',
      '-nographic',
      '-no-reboot',
    ]);
    const orrery = await session(process.execPath, ['bin/orrery.mjs', 'run', '-m', '256', '-nographic', '-no-reboot']);
    expect(orrery.outputs.slice(0, COMMANDS.length)).toEqual(qemu.outputs.slice(0, COMMANDS.length));
    expect(orrery.outputs[COMMANDS.length]).toMatch(/^Features\s*: fp asimd evtstrm crc32 cpuid$/);
    expect(orrery.exitCode).toBe(0);
  }, 900_000);
});
