/**
 * Damaged, hostile and unsupported images: each is refused with a message naming the file and the problem,
 * and nothing is read or written outside the file. Images start as real qemu-img output and are then
 * patched at the header offsets of QEMU's docs/interop/qcow2.txt.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImage } from '../image-tools';
import { openImage } from '../open-image';
import { qemuCheck, qemuImg, qemuIo, scratchDir } from '../testing/qemu';

const dir = scratchDir('damaged');
let serial = 0;

function qemuImage(...options: string[]): string {
  const path = join(dir, `img-${serial++}.qcow2`);
  qemuImg('create', '-q', '-f', 'qcow2', ...options, path, '1M');
  return path;
}

function patch(path: string, edit: (v: DataView) => void): void {
  const bytes = new Uint8Array(readFileSync(path));
  edit(new DataView(bytes.buffer));
  writeFileSync(path, bytes);
}

const setU64 = (v: DataView, at: number, value: number): void => {
  v.setUint32(at, Math.floor(value / 2 ** 32));
  v.setUint32(at + 4, value >>> 0);
};

async function openError(path: string, readOnly = false): Promise<string> {
  try {
    const disk = await openImage(path, { readOnly, format: 'qcow2' });
    await disk.close();
  } catch (e) {
    return (e as Error).message;
  }
  return 'opened';
}

describe('header validation', () => {
  it('bad magic', async () => {
    const path = qemuImage();
    patch(path, (v) => v.setUint32(0, 0x514649fc));
    expect(await openError(path)).toBe(`${path}: not a qcow2 image: bad magic 0x514649fc (expected 0x514649fb)`);
  });

  it('unsupported versions', async () => {
    const path = qemuImage();
    patch(path, (v) => v.setUint32(4, 4));
    expect(await openError(path)).toBe(`${path}: unsupported qcow2 version 4 (2 and 3 are supported)`);
    patch(path, (v) => v.setUint32(4, 1));
    expect(await openError(path)).toBe(`${path}: unsupported qcow2 version 1 (2 and 3 are supported)`);
  });

  it('cluster_bits out of range', async () => {
    const path = qemuImage();
    patch(path, (v) => v.setUint32(20, 22));
    expect(await openError(path)).toBe(`${path}: cluster_bits 22 out of range (9..21)`);
  });

  it('refcount widths other than 16 bits', async () => {
    const path = qemuImage('-o', 'refcount_bits=32');
    expect(await openError(path)).toBe(
      `${path}: refcount_order 5 (32-bit refcounts) is not supported; only refcount_order 4 (16-bit) is`,
    );
  });

  it('an unknown incompatible feature bit', async () => {
    const path = qemuImage();
    patch(path, (v) => v.setUint32(76, 1 << 5));
    expect(await openError(path)).toBe(`${path}: unsupported qcow2 feature: incompatible feature bit 5 (unknown)`);
  });

  it('known features we do not implement: extended L2 entries, zstd compression', async () => {
    const l2 = qemuImage('-o', 'extended_l2=on');
    expect(await openError(l2)).toBe(
      `${l2}: unsupported qcow2 feature: incompatible feature bit 4 (extended L2 entries (subclusters))`,
    );
    const zstd = qemuImage('-o', 'compression_type=zstd');
    expect(await openError(zstd)).toBe(
      `${zstd}: unsupported qcow2 feature: incompatible feature bit 3 (compression type zstd)`,
    );
  });

  it('L1 table beyond the end of the file', async () => {
    const path = qemuImage();
    patch(path, (v) => setU64(v, 40, 0x100000));
    const size = readFileSync(path).length;
    expect(await openError(path)).toBe(
      `${path}: L1 table at 0x100000 (8 bytes) lies beyond the end of the file (${size} bytes)`,
    );
  });

  it('L1 table far too large (no unbounded allocation)', async () => {
    const path = qemuImage();
    patch(path, (v) => v.setUint32(36, 0x1000_0000));
    expect(await openError(path)).toBe(`${path}: L1 table too large (268435456 entries)`);
  });

  it('refcount table not cluster-aligned', async () => {
    const path = qemuImage();
    patch(path, (v) => setU64(v, 48, 0x10200));
    expect(await openError(path)).toBe(`${path}: refcount table offset 0x10200 is not cluster-aligned`);
  });

  it('a header extension that overruns the header cluster', async () => {
    const path = qemuImage();
    // The first extension follows the 112-byte header written by qemu-img.
    patch(path, (v) => v.setUint32(112 + 4, 0x20000));
    expect(await openError(path)).toMatch(
      new RegExp(`^${path}: header extension 0x[0-9a-f]+ \\(131072 bytes\\) overruns`),
    );
  });
});

describe('table entries', () => {
  function withData(): string {
    const path = qemuImage();
    qemuIo(path, 'write -P 0x11 0 64k');
    return path;
  }
  const l1Offset = (path: string): number => new DataView(readFileSync(path).buffer).getUint32(44);

  it('an L2 table offset that is not cluster-aligned', async () => {
    const path = withData();
    const l1 = l1Offset(path);
    patch(path, (v) => v.setUint32(l1 + 4, (v.getUint32(l1 + 4) + 0x1000) >>> 0));
    expect(await openError(path)).toMatch(
      new RegExp(`^${path}: L2 table offset 0x[0-9a-f]+ \\(L1 entry 0\\) is not cluster-aligned$`),
    );
  });

  it('an L2 table beyond the end of the file', async () => {
    const path = withData();
    const l1 = l1Offset(path);
    const size = readFileSync(path).length;
    const l2 = new DataView(readFileSync(path).buffer).getUint32(l1 + 4);
    patch(path, (v) => v.setUint32(l1, 0x8000_0001));
    const moved = (2 ** 32 + l2).toString(16);
    expect(await openError(path)).toBe(
      `${path}: L2 table offset 0x${moved} (L1 entry 0) lies beyond the end of the file (${size} bytes)`,
    );
  });

  it('a data cluster beyond the end of the file fails the read, not the process', async () => {
    const path = withData();
    const l2 = new DataView(readFileSync(path).buffer).getUint32(l1Offset(path) + 4);
    patch(path, (v) => v.setUint32(l2, 0x8000_0010));
    const disk = await openImage(path, { readOnly: true });
    await expect(disk.read(0, new Uint8Array(512))).rejects.toThrow(
      `${path}: corrupt image at guest offset 0x0: data cluster 0x1000`,
    );
    await disk.close();
  });

  it('a compressed cluster holding garbage', async () => {
    const raw = join(dir, 'c.raw');
    const path = join(dir, `img-${serial++}.qcow2`);
    writeFileSync(raw, new Uint8Array(65536).fill(7));
    qemuImg('convert', '-q', '-c', '-f', 'raw', '-O', 'qcow2', raw, path);
    const bytes = readFileSync(path);
    const v = new DataView(bytes.buffer);
    const l2 = v.getUint32(v.getUint32(44) + 4);
    const data = v.getUint32(l2 + 4); // compressed offset (low bits) of guest cluster 0
    bytes.fill(0xff, data, data + 64);
    writeFileSync(path, bytes);
    const disk = await openImage(path, { readOnly: true });
    await expect(disk.read(0, new Uint8Array(512))).rejects.toThrow(/does not inflate/);
    await disk.close();
  });
});

describe('dirty, corrupt, snapshots, autoclear', () => {
  it('a dirty image opens read-only only', async () => {
    const path = qemuImage('-o', 'lazy_refcounts=on');
    patch(path, (v) => v.setUint32(76, 1));
    expect(await openError(path)).toBe(
      `${path}: image is marked dirty (refcounts may be inconsistent): repair it with 'qemu-img check -r all' or open it read-only`,
    );
    expect(await openError(path, true)).toBe('opened');
  });

  it('a corrupt image opens read-only only', async () => {
    const path = qemuImage();
    patch(path, (v) => v.setUint32(76, 2));
    expect(await openError(path)).toBe(
      `${path}: image is marked corrupt: it can only be opened read-only (repair: 'qemu-img check -r all')`,
    );
    expect(await openError(path, true)).toBe('opened');
  });

  it('internal snapshots: read-only, and the checker walks their tables', async () => {
    const path = qemuImage();
    qemuIo(path, 'write -P 0x21 0 128k');
    qemuImg('snapshot', '-c', 'snap1', path);
    qemuIo(path, 'write -P 0x22 0 64k');
    expect(await openError(path)).toBe(`${path}: image has 1 internal snapshots: it can only be opened read-only`);
    const disk = await openImage(path, { readOnly: true });
    const got = new Uint8Array(131072);
    await disk.read(0, got);
    expect(got[0]).toBe(0x22);
    expect(got[65536]).toBe(0x21);
    await disk.close();
    const ours = await checkImage(path);
    expect(ours.corruptions).toEqual([]);
    expect(ours.leakedClusters).toBe(qemuCheck(path).leaks);
  });

  it('unknown auto-clear bits are cleared before writing', async () => {
    const path = qemuImage();
    patch(path, (v) => v.setUint32(92, 0x8000));
    const disk = await openImage(path);
    await disk.write(0, new Uint8Array(512).fill(1));
    await disk.close();
    expect(new DataView(readFileSync(path).buffer).getUint32(92)).toBe(0);
    expect(qemuCheck(path).status).toBe(0);
  });
});

describe('backing chains', () => {
  it('a missing backing file is named', async () => {
    const path = join(dir, `img-${serial++}.qcow2`);
    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', 'gone.qcow2', '-F', 'qcow2', path, '1M');
    expect(await openError(path)).toBe(
      `${path}: backing file 'gone.qcow2' not found (looked for ${join(dir, 'gone.qcow2')})`,
    );
  });

  it('a backing loop is refused', async () => {
    const a = join(dir, 'loop-a.qcow2');
    const b = join(dir, 'loop-b.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', 'loop-b.qcow2', '-F', 'qcow2', a, '1M');
    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', 'loop-a.qcow2', '-F', 'qcow2', b, '1M');
    expect(await openError(a)).toBe(`${a}: backing file loop: ${a} -> ${b} -> ${a}`);
  });

  it('an image that is its own backing file', async () => {
    const a = join(dir, 'self.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', 'self.qcow2', '-F', 'qcow2', a, '1M');
    expect(await openError(a)).toBe(`${a}: backing file loop: ${a} -> ${a}`);
  });

  it('an unsupported backing format', async () => {
    const path = join(dir, `img-${serial++}.qcow2`);
    const base = join(dir, 'base.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', base, '1M');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', base, '-F', 'vmdk', path);
    expect(await openError(path)).toBe(`${path}: backing file format 'vmdk' is not supported (raw or qcow2)`);
  });
});
