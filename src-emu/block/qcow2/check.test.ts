/**
 * The image checker against `qemu-img check`: the same verdict (clean, leaks, corruption) and the same
 * leak counts on images damaged in known ways.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImage } from '../image-tools';
import { qemuCheck, qemuImg, qemuIo, scratchDir } from '../testing/qemu';

const dir = scratchDir('check');
let serial = 0;

/** A qemu-img image with data in guest clusters 0..1 and 8 (64 KiB clusters). */
function sample(): string {
  const path = join(dir, `img-${serial++}.qcow2`);
  qemuImg('create', '-q', '-f', 'qcow2', path, '4M');
  qemuIo(path, 'write -P 0x31 0 128k', 'write -P 0x32 512k 4k');
  return path;
}

interface Layout {
  bytes: Uint8Array;
  v: DataView;
  refblock: number;
  l2: number;
}

function layout(path: string): Layout {
  const bytes = new Uint8Array(readFileSync(path));
  const v = new DataView(bytes.buffer);
  const refTable = v.getUint32(52);
  const refblock = v.getUint32(refTable + 4);
  const l2 = v.getUint32(v.getUint32(44) + 4);
  return { bytes, v, refblock, l2 };
}

describe('checkImage', () => {
  it('finds qemu-img images clean', async () => {
    const path = sample();
    expect(qemuCheck(path).status).toBe(0);
    expect(await checkImage(path)).toMatchObject({ format: 'qcow2', corruptions: [], leakedClusters: 0 });
  });

  it('counts leaked clusters like qemu-img (refcounts above references)', async () => {
    const path = sample();
    const { bytes, v, refblock } = layout(path);
    const clusters = bytes.length / 65536;
    // Two clusters past the last used one get a refcount, and the file grows to hold them.
    v.setUint16(refblock + clusters * 2, 1);
    v.setUint16(refblock + (clusters + 1) * 2, 1);
    const grown = new Uint8Array(bytes.length + 2 * 65536);
    grown.set(bytes);
    writeFileSync(path, grown);
    const qemu = qemuCheck(path);
    expect(qemu.status).toBe(3);
    expect(qemu.leaks).toBe(2);
    const ours = await checkImage(path);
    expect(ours.corruptions).toEqual([]);
    expect(ours.leakedClusters).toBe(2);
  });

  it('reports a referenced cluster whose refcount is zero as corruption', async () => {
    const path = sample();
    const { bytes, v, refblock, l2 } = layout(path);
    const data = v.getUint32(l2 + 4);
    v.setUint16(refblock + (data / 65536) * 2, 0);
    writeFileSync(path, bytes);
    expect(qemuCheck(path).corruptions).toBeGreaterThan(0);
    const ours = await checkImage(path);
    expect(ours.corruptions).toContainEqual(`cluster ${data / 65536} (0x${data.toString(16)}): refcount=0 reference=1`);
  });

  it('reports a wrong copied flag as corruption', async () => {
    const path = sample();
    const { bytes, v, l2 } = layout(path);
    v.setUint32(l2, v.getUint32(l2) & 0x7fff_ffff);
    writeFileSync(path, bytes);
    expect(qemuCheck(path).corruptions).toBeGreaterThan(0);
    const ours = await checkImage(path);
    expect(ours.corruptions).toContainEqual(
      `data cluster 0x${v.getUint32(l2 + 4).toString(16)}: copied flag false with refcount 1`,
    );
  });

  it('walks compressed clusters, several per host cluster', async () => {
    const raw = join(dir, 'c.raw');
    const path = join(dir, `img-${serial++}.qcow2`);
    writeFileSync(
      raw,
      new Uint8Array(1024 * 1024).map((_, i) => (i >> 12) & 0xff),
    );
    qemuImg('convert', '-q', '-c', '-f', 'raw', '-O', 'qcow2', raw, path);
    expect(qemuCheck(path).status).toBe(0);
    const ours = await checkImage(path);
    expect(ours.corruptions).toEqual([]);
    expect(ours.leakedClusters).toBe(0);
  });

  it('says raw images are consistent', async () => {
    const raw = join(dir, 'plain.raw');
    writeFileSync(raw, new Uint8Array(4096));
    expect(await checkImage(raw)).toMatchObject({ format: 'raw', corruptions: [], leakedClusters: 0 });
  });
});
