import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createImage, imageInfo } from './image-tools';
import { openImage } from './open-image';
import { RawBackend } from './raw';
import { pattern, qemuInfo, scratchDir } from './testing/qemu';

const dir = scratchDir('raw');

describe('raw images', () => {
  it('are created sparse with the requested size, as qemu-img sees them', async () => {
    const path = join(dir, 'new.raw');
    await createImage(path, { format: 'raw', size: 64 * 1024 * 1024 });
    expect(statSync(path).size).toBe(64 * 1024 * 1024);
    expect(statSync(path).blocks * 512).toBeLessThan(1024 * 1024);
    expect(qemuInfo(path)).toMatchObject({ format: 'raw', 'virtual-size': 64 * 1024 * 1024 });
    expect(await imageInfo(path)).toMatchObject({ format: 'raw', virtualSize: 64 * 1024 * 1024 });
  });

  it('read and write unaligned ranges, zeroes included', async () => {
    const path = join(dir, 'rw.raw');
    writeFileSync(path, new Uint8Array(10_000).fill(0xee));
    const disk = await openImage(path);
    expect(disk).toBeInstanceOf(RawBackend);
    expect(disk.size).toBe(10_000);
    expect(disk.capabilities).toEqual({ discard: false, efficientZeroes: false, allocationStatus: false });
    const data = pattern(777, 1);
    await disk.write(1234, data);
    await disk.writeZeroes(5000, 100);
    await disk.discard(0, 512);
    const got = new Uint8Array(10_000);
    await disk.read(0, got);
    await disk.close();
    const expected = new Uint8Array(10_000).fill(0xee);
    expected.set(data, 1234);
    expected.fill(0, 5000, 5100);
    expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(expected))).toBe(true);
  });

  it('refuse writes when read-only and requests beyond the end', async () => {
    const path = join(dir, 'ro.raw');
    writeFileSync(path, new Uint8Array(4096));
    const disk = await openImage(path, { readOnly: true });
    await expect(disk.write(0, new Uint8Array(1))).rejects.toThrow(`${path}: image is open read-only`);
    await expect(disk.read(4000, new Uint8Array(100))).rejects.toThrow(
      `${path}: request [4000, 4100) beyond the end of the disk (4096 bytes)`,
    );
    expect(await disk.allocationMap()).toEqual([{ offset: 0, length: 4096, kind: 'data' }]);
    await disk.close();
  });
});
