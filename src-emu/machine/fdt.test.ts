import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../../test/support/tools';
import {
  cells,
  decodeFdt,
  empty,
  encodeFdt,
  FdtError,
  findNode,
  node,
  readCells,
  readStrings,
  strings,
  u64Cells,
} from './fdt';

const dir = mkdtempSync(join(tmpdir(), 'orrery-fdt-'));

function dtcDecompile(blob: Uint8Array): string {
  const file = join(dir, `blob-${Math.random().toString(36).slice(2)}.dtb`);
  writeFileSync(file, blob);
  return execFileSync(requireTool('dtc'), ['-I', 'dtb', '-O', 'dts', file], { encoding: 'utf8', stdio: 'pipe' });
}

const sample = node('', { '#address-cells': cells(2), model: strings('test board') }, [
  node('memory@40000000', { device_type: strings('memory'), reg: cells(...u64Cells(0x4000_0000, 0x1_0000_0000)) }),
  node('chosen', { bootargs: strings('console=ttyAMA0 quiet'), 'linux,stdout': empty() }),
  node('soc', {}, [node('uart@1000', { compatible: strings('arm,pl011', 'arm,primecell') })]),
]);

describe('FDT writer', () => {
  it('writes a blob that dtc reads back as the same tree', () => {
    const dts = dtcDecompile(encodeFdt(sample));
    expect(dts).toContain('model = "test board";');
    expect(dts).toContain('reg = <0x00 0x40000000 0x01 0x00>;');
    expect(dts).toContain('bootargs = "console=ttyAMA0 quiet";');
    expect(dts).toContain('linux,stdout;');
    expect(dts).toMatch(/soc \{\s+uart@1000 \{\s+compatible = "arm,pl011\\0arm,primecell";/);
  });

  it('round-trips through its own reader, including reservations and the boot CPU', () => {
    const blob = encodeFdt(sample, { bootCpuId: 3, reservations: [[0x4800_0000, 0x1000]] });
    const decoded = decodeFdt(blob);
    expect(decoded.bootCpuId).toBe(3);
    expect(decoded.reservations).toEqual([[0x4800_0000, 0x1000]]);
    expect(decoded.root).toEqual(sample);
    expect(readStrings(findNode(decoded.root, '/soc/uart@1000')!.props.get('compatible')!)).toEqual([
      'arm,pl011',
      'arm,primecell',
    ]);
    expect(readCells(findNode(decoded.root, '/memory@40000000')!.props.get('reg')!)).toEqual([0, 0x4000_0000, 1, 0]);
  });

  it('reads a blob that dtc wrote', () => {
    const source = join(dir, 'in.dts');
    writeFileSync(source, '/dts-v1/;\n/ { a = <1 2>; n@10 { s = "x", "yz"; }; };\n');
    const blob = execFileSync(requireTool('dtc'), ['-I', 'dts', '-O', 'dtb', source], { stdio: 'pipe' });
    const root = decodeFdt(new Uint8Array(blob)).root;
    expect(readCells(root.props.get('a')!)).toEqual([1, 2]);
    expect(readStrings(findNode(root, '/n@10')!.props.get('s')!)).toEqual(['x', 'yz']);
  });

  it('refuses cell values that do not fit 32 bits', () => {
    expect(() => cells(0x1_0000_0000)).toThrow(RangeError);
    expect(() => cells(-1)).toThrow(RangeError);
  });

  it('says what is wrong with a damaged blob', () => {
    const blob = encodeFdt(sample);
    expect(() => decodeFdt(blob.slice(0, 20))).toThrow(/at least 40 bytes/);
    const badMagic = blob.slice();
    badMagic[0] = 0;
    expect(() => decodeFdt(badMagic)).toThrow(/bad magic/);
    expect(() => decodeFdt(blob.slice(0, blob.length - 8))).toThrow(/truncated/);
    const badToken = blob.slice();
    const structOffset = new DataView(badToken.buffer).getUint32(8);
    new DataView(badToken.buffer).setUint32(structOffset, 7);
    expect(() => decodeFdt(badToken)).toThrow(FdtError);
  });

  it('survives a round trip through dtc (ours -> dts -> dtc blob -> ours)', () => {
    const source = join(dir, 'again.dts');
    writeFileSync(source, dtcDecompile(encodeFdt(sample)));
    const blob = execFileSync(requireTool('dtc'), ['-I', 'dts', '-O', 'dtb', source], { stdio: 'pipe' });
    expect(decodeFdt(new Uint8Array(blob)).root).toEqual(sample);
  });
});
