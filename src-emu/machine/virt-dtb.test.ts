import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../../test/support/tools';
import { decodeFdt, findNode, readCells, readStrings, type FdtNode } from './fdt';
import { virtDeviceTree, virtDtb } from './virt-dtb';

const dir = mkdtempSync(join(tmpdir(), 'orrery-virt-dtb-'));

/** Nodes QEMU's virt has that Orrery does not model (yet); everything else must match. */
const NOT_MODELLED = new Set([
  '/pcie@10000000',
  '/fw-cfg@9020000',
  '/flash@0',
  '/platform-bus@c000000',
  '/pmu',
  '/gpio-keys',
  '/gpio-keys/poweroff',
  '/pl061@9030000',
  '/intc@8000000/v2m@8020000',
]);
/** Random per boot in both. */
const RANDOM_PROPS = new Set(['rng-seed', 'kaslr-seed']);

function qemuDtb(args: string[]): FdtNode {
  const out = join(dir, `qemu-${Math.random().toString(36).slice(2)}.dtb`);
  execFileSync(
    requireTool('qemu-system-aarch64'),
    ['-M', `virt,dumpdtb=${out}`, '-cpu', 'cortex-a57', '-nographic', ...args],
    { stdio: 'pipe' },
  );
  return decodeFdt(new Uint8Array(readFileSync(out))).root;
}

function flatten(root: FdtNode, prefix = ''): Map<string, FdtNode> {
  const map = new Map<string, FdtNode>();
  for (const child of root.children) {
    const path = `${prefix}/${child.name}`;
    map.set(path, child);
    for (const [p, n] of flatten(child, path)) map.set(p, n);
  }
  return map;
}

function compareWithQemu(ours: FdtNode, qemu: FdtNode): void {
  const ourNodes = flatten(ours);
  const qemuNodes = flatten(qemu);
  const missing = [...qemuNodes.keys()].filter((p) => !ourNodes.has(p) && !NOT_MODELLED.has(p));
  expect(missing).toEqual([]);
  const extra = [...ourNodes.keys()].filter((p) => !qemuNodes.has(p) && !p.startsWith('/hpet@'));
  expect(extra).toEqual([]);
  const compareProps = (path: string, a: FdtNode, b: FdtNode): void => {
    expect([...a.props.keys()].sort(), path).toEqual([...b.props.keys()].sort());
    for (const [name, value] of b.props) {
      const mine = a.props.get(name)!;
      if (RANDOM_PROPS.has(name)) expect(mine.length, `${path} ${name}`).toBe(value.length);
      else expect(Buffer.from(mine).toString('hex'), `${path} ${name}`).toBe(Buffer.from(value).toString('hex'));
    }
  };
  compareProps('/', ours, qemu);
  for (const [path, node] of qemuNodes) {
    if (!NOT_MODELLED.has(path)) compareProps(path, ourNodes.get(path)!, node);
  }
}

const seed = new Uint32Array(10).fill(0x5eed);

describe('virt device tree', () => {
  it('matches QEMU virt node by node for one CPU and 256 MiB', () => {
    const qemu = qemuDtb(['-m', '256']);
    compareWithQemu(virtDeviceTree({ ramSize: 256 << 20, cpus: 1, seed }), qemu);
  });

  it('matches QEMU virt with 4 CPUs, 1 GiB, a command line and an initrd', () => {
    const kernel = join(dir, 'kernel.bin');
    const initrd = join(dir, 'initrd.img');
    writeFileSync(kernel, new Uint8Array(64 * 1024));
    writeFileSync(initrd, new Uint8Array(300 * 1024).fill(7));
    const qemu = qemuDtb([
      '-m',
      '1024',
      '-smp',
      '4',
      '-kernel',
      kernel,
      '-initrd',
      initrd,
      '-append',
      'console=ttyAMA0 x=1',
    ]);
    const chosen = findNode(qemu, '/chosen')!;
    const address = (name: string): number =>
      readCells(chosen.props.get(name)!).reduce((value, cell) => value * 2 ** 32 + cell, 0);
    const initrdRange = { start: address('linux,initrd-start'), end: address('linux,initrd-end') };
    expect(initrdRange.end - initrdRange.start).toBe(300 * 1024);
    const ours = virtDeviceTree({
      ramSize: 1024 << 20,
      cpus: 4,
      bootargs: 'console=ttyAMA0 x=1',
      initrd: initrdRange,
      seed,
    });
    compareWithQemu(ours, qemu);
  });

  it('describes the HPET that Orrery adds', () => {
    const root = decodeFdt(
      virtDtb({
        ramSize: 128 << 20,
        cpus: 1,
        seed,
        hpet: [
          { output: 0, spi: 10 },
          { output: 8, spi: 14 },
        ],
      }),
    ).root;
    const hpet = findNode(root, '/hpet@90c0000')!;
    expect(readCells(hpet.props.get('reg')!)).toEqual([0, 0x090c_0000, 0, 0x400]);
    expect(readCells(hpet.props.get('interrupts')!)).toEqual([0, 10, 4, 0, 14, 4]);
    expect(readStrings(hpet.props.get('interrupt-names')!)).toEqual(['out0', 'out8']);
  });
});
