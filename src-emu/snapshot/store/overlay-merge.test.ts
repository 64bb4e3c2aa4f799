/**
 * Merging an overlay into its child and switching backing names, against images made and checked by
 * qemu-img/qemu-io: the child reads the same bytes before and after (qemu-img compare with a flattened copy),
 * checks clean, and QEMU sees the new chain.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qemuCheck, qemuCompare, qemuImg, qemuInfo, qemuIo, scratchDir } from '../../block/testing/qemu';
import { mergeIntoChild, readBacking, rewriteBackingName } from './overlay-merge';

const dir = scratchDir('merge');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

/** root <- mid <- top, built by QEMU's tools; mid and top overwrite, zero and partly cover each other. */
function buildChain(tag: string, clusterSize = 65536): { root: string; mid: string; top: string } {
  const root = at(`${tag}-root.qcow2`);
  const mid = at(`${tag}-mid.qcow2`);
  const top = at(`${tag}-top.qcow2`);
  qemuImg('create', '-q', '-f', 'qcow2', '-o', `cluster_size=${clusterSize}`, root, '8M');
  qemuIo(root, 'write -P 0x11 0 4M');
  qemuImg(
    'create',
    '-q',
    '-f',
    'qcow2',
    '-o',
    `cluster_size=${clusterSize}`,
    '-b',
    `${tag}-root.qcow2`,
    '-F',
    'qcow2',
    mid,
  );
  qemuIo(mid, 'write -P 0x22 64k 512k', 'write -z 1M 256k', 'write -P 0x23 3000 5000', 'write -P 0x24 6M 64k');
  qemuImg(
    'create',
    '-q',
    '-f',
    'qcow2',
    '-o',
    `cluster_size=${clusterSize}`,
    '-b',
    `${tag}-mid.qcow2`,
    '-F',
    'qcow2',
    top,
  );
  qemuIo(top, 'write -P 0x33 128k 64k', 'write -P 0x34 1100k 10k', 'write -z 6M 32k');
  return { root, mid, top };
}

function flatten(path: string, name: string): string {
  const out = at(name);
  qemuImg('convert', '-O', 'raw', path, out);
  return out;
}

describe('mergeIntoChild', () => {
  it('moves the parent into its child: same bytes, clean image, chain one shorter', async () => {
    const { mid, top } = buildChain('a');
    const before = flatten(top, 'a-before.raw');
    const result = await mergeIntoChild(mid, top);
    expect(result.copied).toBeGreaterThan(0);
    rmSync(mid); // the child no longer needs it
    expect(qemuCompare(top, before, '-F', 'raw').status).toBe(0);
    expect(qemuCheck(top).status).toBe(0);
    expect(qemuInfo(top)['backing-filename']).toBe('a-root.qcow2');
    expect((await readBacking(top))?.name).toBe('a-root.qcow2');
  });

  it('is correct with cluster sizes that differ between parent and child', async () => {
    const root = at('b-root.qcow2');
    const mid = at('b-mid.qcow2');
    const top = at('b-top.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096', root, '4M');
    qemuIo(root, 'write -P 0x41 0 1M');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096', '-b', 'b-root.qcow2', '-F', 'qcow2', mid);
    qemuIo(mid, 'write -P 0x42 5000 70000', 'write -z 200k 12k');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=65536', '-b', 'b-mid.qcow2', '-F', 'qcow2', top);
    qemuIo(top, 'write -P 0x43 0 4096');
    const before = flatten(top, 'b-before.raw');
    await mergeIntoChild(mid, top);
    rmSync(mid);
    expect(qemuCompare(top, before, '-F', 'raw').status).toBe(0);
    expect(qemuCheck(top).status).toBe(0);
  });

  it('run again after an interruption (before the backing switch) gives the same result', async () => {
    const { mid, top } = buildChain('c');
    const before = flatten(top, 'c-before.raw');
    // A first merge that got as far as the data copy: simulated by merging, then pointing back at mid.
    await mergeIntoChild(mid, top);
    await rewriteBackingName(top, 'c-mid.qcow2');
    expect(qemuCompare(top, before, '-F', 'raw').status).toBe(0);
    const again = await mergeIntoChild(mid, top);
    expect(again.copied).toBe(0);
    rmSync(mid);
    expect(qemuCompare(top, before, '-F', 'raw').status).toBe(0);
    expect(qemuCheck(top).status).toBe(0);
  });

  it('refuses an image that does not back onto the given parent', async () => {
    const { root, top } = buildChain('d');
    await expect(mergeIntoChild(root, top)).rejects.toThrow(/does not back onto/);
  });
});

describe('rewriteBackingName', () => {
  it('switches the name many times without running out of header room, and QEMU follows', async () => {
    const { mid, top } = buildChain('e');
    const copy = at('e-mid-copy.qcow2');
    qemuImg('convert', '-O', 'qcow2', mid, copy); // a stand-alone image with the same contents
    for (let i = 0; i < 50; i++) await rewriteBackingName(top, i % 2 === 0 ? 'e-mid-copy.qcow2' : 'e-mid.qcow2');
    expect(qemuInfo(top)['backing-filename']).toBe('e-mid.qcow2');
    await rewriteBackingName(top, 'e-mid-copy.qcow2');
    expect(qemuInfo(top)['backing-filename']).toBe('e-mid-copy.qcow2');
    expect(qemuInfo(top)['backing-filename-format']).toBe('qcow2');
    expect(qemuCheck(top).status).toBe(0);
    expect(qemuCompare(top, flatten(mid, 'e-mid.raw')).status).toBe(1); // top's own writes differ from mid
  });
});
