import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../../test/support/tools';
import { openDrives, parseDrive } from './drives';

const dir = mkdtempSync(join(tmpdir(), 'orrery-drives-'));

describe('-drive', () => {
  it("parses QEMU's syntax, including an escaped comma", () => {
    expect(parseDrive('file=/x/a,,b.qcow2,format=qcow2,if=virtio,readonly=on,serial=ABC')).toEqual({
      file: '/x/a,b.qcow2',
      format: 'qcow2',
      readOnly: true,
      serial: 'ABC',
    });
    expect(parseDrive('file=disk.img')).toEqual({ file: 'disk.img', readOnly: false });
  });

  it('refuses what virt cannot do, saying what', () => {
    expect(() => parseDrive('format=raw')).toThrow('-drive needs file=PATH');
    expect(() => parseDrive('file=a,if=ide')).toThrow('if=ide is not available on virt');
    expect(() => parseDrive('file=a,format=vmdk')).toThrow('format=vmdk is not supported');
    expect(() => parseDrive('file=a,readonly=maybe')).toThrow('readonly=maybe is not on or off');
    expect(() => parseDrive('file=a,bogus=1')).toThrow("unknown option 'bogus'");
  });

  it('with --overlay, writes go to a throw-away overlay and the image stays byte for byte the same', async () => {
    const image = join(dir, 'base.img');
    writeFileSync(image, new Uint8Array(1 << 20).fill(0x5a));
    const before = readFileSync(image);
    const { drives, close } = await openDrives([parseDrive(`file=${image},format=raw`)], true);
    await drives[0]!.backend.write(0, new Uint8Array(4096).fill(1));
    const back = new Uint8Array(4096);
    await drives[0]!.backend.read(0, back);
    expect(back.every((b) => b === 1)).toBe(true);
    const overlayPath = (drives[0]!.backend as unknown as { path: string }).path;
    const info = JSON.parse(
      execFileSync(requireTool('qemu-img'), ['info', '--output=json', overlayPath], { encoding: 'utf8' }),
    );
    expect(info['backing-filename']).toBe(image);
    await close();
    expect(readFileSync(image).equals(before)).toBe(true);
  });

  it('closes what it opened when a later drive fails', async () => {
    const good = join(dir, 'good.img');
    writeFileSync(good, new Uint8Array(4096));
    await expect(
      openDrives([parseDrive(`file=${good}`), parseDrive(`file=${join(dir, 'nope.qcow2')}`)], false),
    ).rejects.toThrow(/nope\.qcow2/);
  });
});
