/**
 * The Debian guest that `orrery guest fetch` builds, booted on the reference machine (QEMU): proves the
 * initramfs and init are right, and gives the outputs Orrery's own boot must reproduce.
 */
import { describe, expect, it } from 'vitest';
import { debianGuest, debianSession } from '../support/guest';

describe('Debian arm64 guest on QEMU (reference)', () => {
  it('boots to a busybox shell that runs commands and powers off', async () => {
    const guest = await debianGuest();
    expect(guest.manifest.kernelPackage).toMatch(/^linux-image-[\d.]+-\d+-cloud-arm64$/);
    const result = await debianSession({
      machine: 'qemu',
      commands: ['uname -sm', 'echo $((6 * 7))', 'cat /proc/cpuinfo | grep -c processor'],
      timeoutMs: 120_000,
    });
    expect(result.transcript).toContain('Orrery Debian guest: Linux ' + guest.manifest.kernelRelease);
    expect(result.outputs).toEqual(['Linux aarch64', '42', '1']);
    expect(result.exitCode).toBe(0);
  }, 180_000);
});
