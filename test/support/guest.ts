/** The Debian arm64 guest for integration tests, built once into the repository's .cache folder. */
import { join } from 'node:path';
import { fetchDebianGuest, type GuestFiles } from '../../src-emu/cli/guest/debian';
import { runSerialSession, type SessionResult } from './serial-session';
import { requireTool } from './tools';

export const TEST_CACHE = join(process.cwd(), '.cache');

/** The busybox prompt our initramfs's shell prints. */
export const GUEST_PROMPT = /orrery:\/root# /;

export function debianGuest(): Promise<GuestFiles> {
  return fetchDebianGuest(TEST_CACHE, { log: (line) => process.stderr.write(`guest: ${line}\n`) });
}

export interface DebianSessionOptions {
  /** The reference machine or Orrery's CLI; both take the same QEMU-style options. */
  readonly machine: 'qemu' | 'orrery';
  readonly commands: readonly string[];
  readonly append?: string;
  /** More options, e.g. -drive. */
  readonly extraArgs?: readonly string[];
  readonly memoryMiB?: number;
  readonly timeoutMs?: number;
}

/** Boots the Debian guest, runs the commands at its shell, then `poweroff -f`. */
export async function debianSession(options: DebianSessionOptions): Promise<SessionResult> {
  const guest = await debianGuest();
  const machineArgs =
    options.machine === 'qemu'
      ? { command: requireTool('qemu-system-aarch64'), args: ['-M', 'virt', '-cpu', 'cortex-a57'] }
      : { command: process.execPath, args: ['bin/orrery.mjs', 'run'] };
  return runSerialSession({
    command: machineArgs.command,
    args: [
      ...machineArgs.args,
      ...['-m', String(options.memoryMiB ?? 256), '-nographic', '-no-reboot'],
      ...['-kernel', guest.kernel, '-initrd', guest.initrd, '-append', options.append ?? 'console=ttyAMA0 quiet'],
      ...(options.extraArgs ?? []),
    ],
    prompt: GUEST_PROMPT,
    commands: options.commands,
    finalCommand: 'poweroff -f',
    timeoutMs: options.timeoutMs ?? 400_000,
  });
}
