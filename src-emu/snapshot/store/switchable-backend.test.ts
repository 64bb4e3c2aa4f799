/**
 * Switching a realized virtio-blk device onto a new qcow2 overlay: the device is driven through its
 * virtqueue as Linux drives it, a multi-piece write is under way when the drain starts, and the swap
 * sends every later request to the new image while the old one keeps exactly what was written before.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createQcow2, openImage } from '../../block';
import { pattern, scratchDir } from '../../block/testing/qemu';
import { blkRig } from '../../hw/virtio/blk-driver';
import { settle } from '../../hw/virtio/test-driver';
import { readImage } from './store-fixture';
import { SwitchableBackend } from './switchable-backend';

const dir = scratchDir('switch');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MiB = 1024 * 1024;
const OK = 0;

describe('SwitchableBackend under virtio-blk', () => {
  it('drains a request under way, then sends later requests to the new overlay', async () => {
    const base = join(dir, 'base.qcow2');
    const next = join(dir, 'next.qcow2');
    await createQcow2(base, { size: 8 * MiB });
    const switchable = new SwitchableBackend(await openImage(base, { cache: 'unsafe' }));
    const { driver, heap } = blkRig(switchable, {}, { ramSize: 16 * MiB });

    const big = pattern(3 * MiB, 1); // more than one 1 MiB piece: the device issues it in three writes
    const first = driver.write(0, big);
    expect(switchable.inFlight).toBe(1);
    await switchable.drain();
    expect(driver.status(first)).toBe(OK);
    expect(switchable.inFlight).toBe(0);

    await switchable.current.flush();
    await createQcow2(next, { backing: { path: 'base.qcow2', format: 'qcow2' } });
    const previous = switchable.swap(await openImage(next, { cache: 'unsafe' }));
    await previous.close();

    const later = pattern(4096, 2);
    const second = driver.write(8, later);
    await switchable.drain();
    expect(driver.status(second)).toBe(OK);
    const readBack = driver.read(0, 8192);
    await switchable.drain();
    await settle();
    expect(driver.status(readBack)).toBe(OK);
    expect(heap.get(readBack.data, 4096)).toEqual(big.subarray(0, 4096));
    expect(heap.get(readBack.data + 4096, 4096)).toEqual(later);

    await switchable.close();
    // The old image holds the big write and not the later one; the new overlay reads both.
    const old = await readImage(base);
    expect(Buffer.compare(old.subarray(0, big.length), big)).toBe(0);
    const now = await readImage(next);
    expect(Buffer.compare(now.subarray(4096, 8192), later)).toBe(0);
    expect(Buffer.compare(now.subarray(8192, 3 * MiB), big.subarray(8192))).toBe(0);
  });

  it('refuses a swap with requests under way, or to a disk of another size', async () => {
    const a = join(dir, 'a.qcow2');
    const b = join(dir, 'b.qcow2');
    await createQcow2(a, { size: MiB });
    await createQcow2(b, { size: 2 * MiB });
    const switchable = new SwitchableBackend(await openImage(a));
    const other = await openImage(b);
    const pending = switchable.write(0, new Uint8Array(512));
    expect(() => switchable.swap(other)).toThrow(/requests under way/);
    await pending;
    expect(() => switchable.swap(other)).toThrow(/2097152 bytes, the disk it replaces has 1048576/);
    await other.close();
    await switchable.close();
  });
});
