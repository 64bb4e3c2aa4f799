/**
 * The qcow2 backend's own contract: allocation status for the snapshot diff, read-only mode, request
 * bounds, cache modes and concurrent requests.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createQcow2, imageInfo } from '../image-tools';
import { openImage } from '../open-image';
import { pattern, qemuCheck, qemuImg, scratchDir } from '../testing/qemu';
import { CrashingFile } from '../testing/crash-file';
import { Qcow2Backend } from './backend';
import { openQcow2 } from './open';

const dir = scratchDir('backend');
const K64 = 65536;

describe('Qcow2Backend', () => {
  it('reports allocation status like qemu-img map', async () => {
    const base = join(dir, 'map-base.qcow2');
    const top = join(dir, 'map-top.qcow2');
    await createQcow2(base, { size: 16 * K64 });
    await createQcow2(top, { backing: { path: 'map-base.qcow2', format: 'qcow2' } });
    const disk = await openImage(top);
    expect(disk).toBeInstanceOf(Qcow2Backend);
    expect(disk.capabilities).toEqual({ discard: true, efficientZeroes: true, allocationStatus: true });
    await disk.write(K64 + 10, new Uint8Array(10).fill(1));
    await disk.writeZeroes(4 * K64, 2 * K64);
    await disk.write(15 * K64, new Uint8Array(K64).fill(2));
    expect(await disk.allocationMap()).toEqual([
      { offset: 0, length: K64, kind: 'backing' },
      { offset: K64, length: K64, kind: 'data' },
      { offset: 2 * K64, length: 2 * K64, kind: 'backing' },
      { offset: 4 * K64, length: 2 * K64, kind: 'zero' },
      { offset: 6 * K64, length: 9 * K64, kind: 'backing' },
      { offset: 15 * K64, length: K64, kind: 'data' },
    ]);
    expect(await disk.blockStatus(K64 + 5, 100)).toEqual([{ offset: K64 + 5, length: 100, kind: 'data' }]);
    await disk.close();
    // qemu-img map's view of the same image: data at 1 and 15 (this layer), zero at 4..5.
    const map = JSON.parse(qemuImg('map', '--output=json', top)) as Array<{
      start: number;
      length: number;
      depth: number;
      zero: boolean;
      data: boolean;
    }>;
    const ownLayer = map.filter((e) => e.depth === 0).map((e) => [e.start, e.length, e.zero, e.data]);
    expect(ownLayer).toEqual([
      [K64, K64, false, true],
      [4 * K64, 2 * K64, true, false],
      [15 * K64, K64, false, true],
    ]);
  });

  it('refuses writes when read-only and requests beyond the end', async () => {
    const path = join(dir, 'ro.qcow2');
    await createQcow2(path, { size: 1024 * 1024 });
    const disk = await openImage(path, { readOnly: true });
    expect(disk.readOnly).toBe(true);
    await expect(disk.write(0, new Uint8Array(1))).rejects.toThrow(`${path}: image is open read-only`);
    await expect(disk.discard(0, 512)).rejects.toThrow(`${path}: image is open read-only`);
    await expect(disk.read(1024 * 1024 - 1, new Uint8Array(2))).rejects.toThrow('beyond the end of the disk');
    await disk.close();
    await expect(disk.read(0, new Uint8Array(1))).rejects.toThrow(`${path}: image is closed`);
  });

  it('handles many concurrent requests in every cache mode', async () => {
    for (const cache of ['writeback', 'writethrough', 'unsafe'] as const) {
      const path = join(dir, `concurrent-${cache}.qcow2`);
      await createQcow2(path, { size: 64 * K64, clusterSize: 4096 });
      const disk = await openImage(path, { cache });
      const chunks = Array.from({ length: 32 }, (_, i) => pattern(3000, i + 1));
      await Promise.all(chunks.map((c, i) => disk.write(i * 4096 * 3 + 100, c)));
      const reads = await Promise.all(
        chunks.map(async (_, i) => {
          const got = new Uint8Array(3000);
          await disk.read(i * 4096 * 3 + 100, got);
          return got;
        }),
      );
      reads.forEach((got, i) => expect(Buffer.from(got).equals(Buffer.from(chunks[i]!))).toBe(true));
      await disk.close();
      expect(qemuCheck(path).status).toBe(0);
    }
  });

  it('describes a backing chain as qemu-img info --backing-chain does', async () => {
    const base = join(dir, 'chain-base.raw');
    const mid = join(dir, 'chain-mid.qcow2');
    const top = join(dir, 'chain-top.qcow2');
    qemuImg('create', '-q', '-f', 'raw', base, '2M');
    await createQcow2(mid, { backing: { path: base, format: 'raw' }, clusterSize: 4096 });
    await createQcow2(top, { backing: { path: 'chain-mid.qcow2', format: 'qcow2' } });
    const qemu = JSON.parse(qemuImg('info', '--backing-chain', '--output=json', top)) as Array<Record<string, unknown>>;
    const ours = await imageInfo(top);
    const chain = [ours, ours.backing!, ours.backing!.backing!];
    expect(chain.map((i) => i.format)).toEqual(qemu.map((q) => q['format']));
    expect(chain.map((i) => i.virtualSize)).toEqual(qemu.map((q) => q['virtual-size']));
    expect(chain.map((i) => i.clusterSize)).toEqual(qemu.map((q) => q['cluster-size']));
    expect(chain.map((i) => i.backingFilename)).toEqual(qemu.map((q) => q['backing-filename']));
    expect(chain.map((i) => i.fullBackingFilename)).toEqual(qemu.map((q) => q['full-backing-filename']));
    expect(chain.map((i) => i.qcow2?.dirty ?? false)).toEqual(qemu.map((q) => q['dirty-flag']));
    expect(chain.map((i) => i.actualSize)).toEqual(qemu.map((q) => q['actual-size']));
  });
});

describe('write failures', () => {
  it('stop further writes once a metadata update failed half-way', async () => {
    const path = join(dir, 'failing.qcow2');
    await createQcow2(path, { size: 1024 * 1024 });
    const file = await CrashingFile.open(path, 2);
    const disk = await openQcow2(path, { file, openBacking: () => Promise.reject(new Error('none')) });
    await expect(disk.write(0, new Uint8Array(4096).fill(1))).rejects.toThrow('simulated crash');
    await expect(disk.write(K64 * 4, new Uint8Array(512))).rejects.toThrow(
      `${path}: an earlier write failed (simulated crash): reopen the image to write again`,
    );
    const got = new Uint8Array(512);
    await disk.read(K64 * 8, got);
    expect(got.every((b) => b === 0)).toBe(true);
    await file.close();
    expect(qemuCheck(path).corruptions).toBe(0);
  });
});

describe('createQcow2 arguments', () => {
  it('rejects sizes and cluster sizes qemu-img would reject, naming the file', async () => {
    const path = join(dir, 'bad.qcow2');
    await expect(createQcow2(path, { size: 1000 })).rejects.toThrow(
      `${path}: invalid size 1000 (a multiple of 512 bytes is needed)`,
    );
    await expect(createQcow2(path, { size: 4096, clusterSize: 3000 })).rejects.toThrow(
      `${path}: invalid cluster size 3000 (a power of two from 512 to 2 MiB)`,
    );
    await expect(createQcow2(path, {})).rejects.toThrow(`${path}: size is required`);
  });

  it('makes an overlay as large as its backing file, with a large L1 table for small clusters', async () => {
    const base = join(dir, 'big-base.qcow2');
    const top = join(dir, 'big-top.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', base, '3G');
    await createQcow2(top, { backing: { path: base, format: 'qcow2' }, clusterSize: 512 });
    const info = await imageInfo(top);
    expect(info.virtualSize).toBe(3 * 1024 ** 3);
    expect(qemuCheck(top).status).toBe(0);
    const disk = await openImage(top);
    await disk.write(3 * 1024 ** 3 - 512, new Uint8Array(512).fill(9));
    await disk.close();
    expect(qemuCheck(top).status).toBe(0);
  });
});
