/**
 * qcow2 against QEMU's own tools: images we write must satisfy `qemu-img check`, `info` and `compare`, and
 * images QEMU writes (plain, compressed, zero clusters, backing chains) must read back what QEMU wrote.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImage, createQcow2, imageInfo, openImage } from '../index';
import { pattern, qemuCheck, qemuCompare, qemuImg, qemuInfo, qemuIo, scratchDir } from '../testing/qemu';

const dir = scratchDir('interop');
const MiB = 1024 * 1024;
let serial = 0;
const fresh = (ext: string): string => join(dir, `img-${serial++}.${ext}`);

async function writeThrough(path: string, writes: Array<[number, Uint8Array]>): Promise<void> {
  const disk = await openImage(path);
  for (const [offset, data] of writes) await disk.write(offset, data);
  await disk.close();
}

/** Bit 62 of guest cluster 0's L2 entry (the file is read directly, as the specification lays it out). */
function firstClusterCompressed(path: string): boolean {
  const v = new DataView(readFileSync(path).buffer);
  const l1 = v.getUint32(44);
  const l2 = (v.getUint32(l1) & 0x00ff_ffff) * 2 ** 32 + ((v.getUint32(l1 + 4) & ~0x1ff) >>> 0);
  return (v.getUint32(l2) & 0x4000_0000) !== 0;
}

async function readAll(path: string): Promise<Uint8Array> {
  const disk = await openImage(path, { readOnly: true });
  const out = new Uint8Array(disk.size);
  await disk.read(0, out);
  await disk.close();
  return out;
}

describe('images we create', () => {
  it('are what qemu-img info reports and check finds clean', async () => {
    const path = fresh('qcow2');
    await createQcow2(path, { size: 64 * MiB, clusterSize: 4096 });
    const info = qemuInfo(path);
    expect(info['format']).toBe('qcow2');
    expect(info['virtual-size']).toBe(64 * MiB);
    expect(info['cluster-size']).toBe(4096);
    expect(info['dirty-flag']).toBe(false);
    expect((info['format-specific'] as { data: { compat: string } }).data.compat).toBe('1.1');
    expect(qemuCheck(path).status).toBe(0);
    const ours = await imageInfo(path);
    expect(ours).toMatchObject({ format: 'qcow2', virtualSize: 64 * MiB, clusterSize: 4096 });
  });

  it('hold the data written through the block layer (qemu-img compare against raw)', async () => {
    const path = fresh('qcow2');
    const raw = fresh('raw');
    await createQcow2(path, { size: 8 * MiB });
    const writes: Array<[number, Uint8Array]> = [
      [0, pattern(512, 1)],
      [65536 - 100, pattern(300, 2)],
      [3 * MiB + 7, pattern(200_000, 3)],
      [8 * MiB - 512, pattern(512, 4)],
    ];
    await writeThrough(path, writes);
    const expected = new Uint8Array(8 * MiB);
    for (const [offset, data] of writes) expected.set(data, offset);
    writeFileSync(raw, expected);
    expect(qemuCheck(path).status).toBe(0);
    expect(qemuCompare(path, raw, '-f', 'qcow2', '-F', 'raw').status).toBe(0);
    expect(Buffer.from(await readAll(path)).equals(Buffer.from(expected))).toBe(true);
  });

  it('grow the refcount table when the file outgrows it (512-byte clusters)', async () => {
    const path = fresh('qcow2');
    const raw = fresh('raw');
    await createQcow2(path, { size: 12 * MiB, clusterSize: 512 });
    // One refcount table cluster covers 64 blocks of 256 clusters: 8 MiB of file. Write 10 MiB.
    const data = pattern(10 * MiB, 5);
    await writeThrough(path, [[MiB, data]]);
    const expected = new Uint8Array(12 * MiB);
    expected.set(data, MiB);
    writeFileSync(raw, expected);
    const check = qemuCheck(path);
    expect(check.output).toContain('"check-errors": 0');
    expect(check.status).toBe(0);
    expect(qemuCompare(path, raw, '-f', 'qcow2', '-F', 'raw').status).toBe(0);
    expect((await checkImage(path)).corruptions).toEqual([]);
    // The refcount table moved and grew (it started as one cluster right after the header).
    const header = new DataView(readFileSync(path).buffer);
    expect(header.getUint32(52)).not.toBe(512);
    expect(header.getUint32(56)).toBeGreaterThan(1);
  });
});

describe('images qemu writes', () => {
  it('read back the pattern qemu-io wrote', async () => {
    const path = fresh('qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', path, '4M');
    qemuIo(path, 'write -P 0xab 0 64k', 'write -P 0x5c 100000 3000');
    const got = await readAll(path);
    const expected = new Uint8Array(4 * MiB);
    expected.fill(0xab, 0, 65536);
    expected.fill(0x5c, 100000, 103000);
    expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
  });

  // The compressed descriptor's split between offset and length bits depends on the cluster size.
  for (const cs of [512, 4096, 65536, 2 * MiB]) {
    it(`read compressed clusters (qemu-img convert -c, ${cs}-byte clusters)`, async () => {
      const raw = fresh('raw');
      const path = fresh('qcow2');
      const data = new Uint8Array(Math.max(4 * MiB, 3 * cs));
      for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251 < 200 ? i & 0x0f : 0x33;
      data.set(pattern(100_000, 6), MiB);
      writeFileSync(raw, data);
      qemuImg('convert', '-q', '-c', '-f', 'raw', '-O', 'qcow2', '-o', `cluster_size=${cs}`, raw, path);
      expect(firstClusterCompressed(path)).toBe(true);
      expect(Buffer.from(await readAll(path)).equals(Buffer.from(data))).toBe(true);
      // Unaligned reads that start inside one compressed cluster and end inside another.
      const disk = await openImage(path, { readOnly: true });
      const got = new Uint8Array(cs + 1000);
      await disk.read(cs - 300, got);
      await disk.close();
      expect(Buffer.from(got).equals(Buffer.from(data.subarray(cs - 300, 2 * cs + 700)))).toBe(true);
    });
  }

  it('write over compressed clusters (copy-on-write from the inflated cluster)', async () => {
    const raw = fresh('raw');
    const path = fresh('qcow2');
    const data = new Uint8Array(MiB).fill(0x41);
    writeFileSync(raw, data);
    qemuImg('convert', '-q', '-c', '-f', 'raw', '-O', 'qcow2', raw, path);
    const patch = pattern(1000, 7);
    await writeThrough(path, [[70_000, patch]]);
    data.set(patch, 70_000);
    writeFileSync(raw, data);
    expect(qemuCheck(path).status).toBe(0);
    expect(qemuCompare(path, raw, '-f', 'qcow2', '-F', 'raw').status).toBe(0);
  });

  it('read zero clusters over a backing file (qemu-io write -z)', async () => {
    const base = fresh('qcow2');
    const top = fresh('qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', base, '1M');
    qemuIo(base, 'write -P 0x11 0 1M');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', top);
    qemuIo(top, 'write -z 64k 128k');
    const disk = await openImage(top, { readOnly: true });
    const status = await disk.blockStatus(0, MiB);
    expect(status).toEqual([
      { offset: 0, length: 65536, kind: 'backing' },
      { offset: 65536, length: 131072, kind: 'zero' },
      { offset: 196608, length: MiB - 196608, kind: 'backing' },
    ]);
    await disk.close();
    const expected = new Uint8Array(MiB).fill(0x11);
    expected.fill(0, 65536, 196608);
    expect(Buffer.from(await readAll(top)).equals(Buffer.from(expected))).toBe(true);
  });

  it('read a backing chain of depth 3 with a raw base', async () => {
    const base = fresh('raw');
    const mid = fresh('qcow2');
    const upper = fresh('qcow2');
    const top = fresh('qcow2');
    writeFileSync(base, new Uint8Array(2 * MiB).fill(1));
    qemuImg('create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', mid);
    qemuIo(mid, 'write -P 2 64k 64k');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', mid, '-F', 'qcow2', upper);
    qemuIo(upper, 'write -P 3 100k 100k');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', upper, '-F', 'qcow2', top);
    qemuIo(top, 'write -P 4 1M 1k');
    const expected = new Uint8Array(2 * MiB).fill(1);
    expected.fill(2, 65536, 131072);
    expected.fill(3, 102400, 204800);
    expected.fill(4, MiB, MiB + 1024);
    expect(Buffer.from(await readAll(top)).equals(Buffer.from(expected))).toBe(true);
    const info = await imageInfo(top);
    expect(info.backing?.backing?.backing).toMatchObject({ format: 'raw', filename: base });
  });
});

describe('overlays', () => {
  it('our overlay on a qemu-img base: copy-on-write of partial clusters', async () => {
    const base = fresh('qcow2');
    const top = fresh('qcow2');
    const raw = fresh('raw');
    qemuImg('create', '-q', '-f', 'qcow2', base, '2M');
    qemuIo(base, 'write -P 0x77 0 2M');
    await createQcow2(top, { backing: { path: base.split('/').pop()!, format: 'qcow2' } });
    const info = qemuInfo(top);
    expect(info['virtual-size']).toBe(2 * MiB);
    expect(info['backing-filename']).toBe(base.split('/').pop());
    expect(info['full-backing-filename']).toBe(base);
    expect(info['backing-filename-format']).toBe('qcow2');
    const patch = pattern(5000, 8);
    await writeThrough(top, [[70_001, patch]]);
    const expected = new Uint8Array(2 * MiB).fill(0x77);
    expected.set(patch, 70_001);
    writeFileSync(raw, expected);
    expect(qemuCheck(top).status).toBe(0);
    expect(qemuCompare(top, raw, '-F', 'raw').status).toBe(0);
    const disk = await openImage(top);
    await disk.writeZeroes(0, 65536);
    await disk.discard(131072, 65536);
    await disk.close();
    expected.fill(0, 0, 65536);
    expected.fill(0, 131072, 196608);
    writeFileSync(raw, expected);
    expect(qemuCheck(top).status).toBe(0);
    expect(qemuCompare(top, raw, '-F', 'raw').status).toBe(0);
  });

  it('a qemu-img overlay on our base', async () => {
    const base = fresh('qcow2');
    const top = fresh('qcow2');
    await createQcow2(base, { size: MiB, clusterSize: 16384 });
    await writeThrough(base, [[0, new Uint8Array(MiB).fill(0x99)]]);
    qemuImg('create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', top);
    qemuIo(top, 'write -P 0x42 4096 4096');
    const expected = new Uint8Array(MiB).fill(0x99);
    expected.fill(0x42, 4096, 8192);
    expect(Buffer.from(await readAll(top)).equals(Buffer.from(expected))).toBe(true);
    expect(readFileSync(base).length).toBeGreaterThan(MiB);
  });
});
