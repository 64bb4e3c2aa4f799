/**
 * VmHost with disks, on real worker threads running the demo guest: a created qcow2 is opened as a virtio
 * block device and closed cleanly on power-off; an image that cannot be opened crashes that VM, not its worker.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestHost } from './test-host';

const t = useTestHost('orrery-host-disks-');

const demo = { boot: { kind: 'demo' as const }, memoryMiB: 64, cpus: 1 };

describe('VmHost with disks', () => {
  it('boots the demo guest with a created qcow2 disk attached, and leaves the image consistent', async () => {
    const id = (await t.store.create({ name: 'With Disk', ...demo, disks: [{ kind: 'create', size: '8G' }] })).id;
    expect((await t.host.start(id)).state).toBe('running');
    const tree = JSON.stringify(await t.host.inspect(id, 'devices'));
    expect(tree).toMatch(/virtio[-_]?blk/i);
    expect(await t.host.powerOff(id)).toEqual({ state: 'stopped', reason: 'powered off' });
    // QEMU's checker: every image of the disk's chain was flushed and closed (no dirty flag, no leaks).
    const dir = join(t.store.vmDir(id), 'disks', 'disk0');
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.qcow2'))) {
      const check = spawnSync('qemu-img', ['check', join(dir, file)], { encoding: 'utf8' });
      expect(check.status, file + check.stdout + check.stderr).toBe(0);
    }
  });

  it('marks a VM crashed with the reason when its attached image cannot be opened', async () => {
    const image = join(t.root, 'goes-away.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '16M']);
    const id = (
      await t.store.create({ name: 'Lost Disk', ...demo, disks: [{ kind: 'attach', path: image, format: 'qcow2' }] })
    ).id;
    await rm(image);
    const status = await t.host.start(id);
    expect(status.state).toBe('crashed');
    expect(status.reason).toContain("cannot open the VM's disks");
    expect(status.reason).toContain(image);
    // The worker reported the crash itself (it did not die), and the VM can be started again.
    expect(status.reason).not.toMatch(/worker exited|emulator error/);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '16M']);
    expect((await t.host.start(id)).state).toBe('running');
  });
});
