/**
 * A Linux guest with a real disk: Debian's kernel loads virtio_mmio and virtio_blk from our initramfs,
 * mounts an ext4 filesystem from a disk image created with the host's tools, writes and syncs a file and
 * powers off; a second boot reads it back; qemu-img finds the image clean. For qcow2 and for raw.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../support/tools';
import { debianSession } from '../support/guest';

const dir = mkdtempSync(join(tmpdir(), 'orrery-disk-'));

function makeExt4(format: 'raw' | 'qcow2'): string {
  const raw = join(dir, `fs-${format}.img`);
  execFileSync(requireTool('qemu-img'), ['create', '-f', 'raw', raw, '64M'], { stdio: 'pipe' });
  execFileSync(requireTool('mkfs.ext4'), ['-q', '-F', raw], { stdio: 'pipe' });
  if (format === 'raw') return raw;
  const qcow2 = join(dir, 'fs.qcow2');
  execFileSync('qemu-img', ['convert', '-O', 'qcow2', raw, qcow2]);
  return qcow2;
}

function boot(disk: string, format: string, commands: string[]) {
  return debianSession({
    machine: 'orrery',
    commands,
    extraArgs: ['-drive', `file=${disk},format=${format},if=virtio`],
  });
}

describe.each(['qcow2', 'raw'] as const)('Debian guest with a %s disk on Orrery', (format) => {
  it('writes a file that a second boot reads back, leaving a clean image', async () => {
    const disk = makeExt4(format);
    const first = await boot(disk, format, [
      'mount /dev/vda /mnt',
      'echo written-by-orrery > /mnt/note',
      'sync',
      'umount /mnt',
      'echo ok',
    ]);
    expect(first.outputs).toEqual(['', '', '', '', 'ok']);
    expect(first.exitCode).toBe(0);
    const second = await boot(disk, format, ['mount -o ro /dev/vda /mnt', 'cat /mnt/note']);
    expect(second.outputs).toEqual(['', 'written-by-orrery']);
    if (format === 'qcow2') {
      expect(execFileSync('qemu-img', ['check', disk], { encoding: 'utf8' })).toContain('No errors were found');
    }
    // The host's own ext4 tools read the file the guest wrote.
    const raw = format === 'raw' ? disk : join(dir, 'check.img');
    if (format === 'qcow2') execFileSync('qemu-img', ['convert', '-O', 'raw', disk, raw]);
    const note = execFileSync(requireTool('debugfs'), ['-R', 'cat /note', raw], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(note).toBe('written-by-orrery\n');
  }, 900_000);
});
