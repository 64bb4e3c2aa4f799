import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../../test/support/tools';
import { parseSize } from './img';

const dir = mkdtempSync(join(tmpdir(), 'orrery-img-cli-'));
const orrery = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/orrery.mjs', 'img', ...args], { encoding: 'utf8' });

describe('orrery img', () => {
  it('creates a base and an overlay that qemu-img reads as such', () => {
    const base = join(dir, 'base.qcow2');
    const top = join(dir, 'top.qcow2');
    expect(orrery('create', '-f', 'qcow2', base, '1G').status).toBe(0);
    expect(orrery('create', '-b', base, '-F', 'qcow2', top).status).toBe(0);
    const info = JSON.parse(
      execFileSync(requireTool('qemu-img'), ['info', '--output=json', top], { encoding: 'utf8' }),
    );
    expect(info).toMatchObject({ format: 'qcow2', 'virtual-size': 2 ** 30, 'backing-filename': base });
    const check = orrery('check', top);
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('No errors were found on the image.');
    expect(orrery('info', top).stdout).toContain(`backing file: ${base}`);
  });

  it('reports a file that is not an image, naming it, with status 1', () => {
    const result = orrery('info', join(dir, 'missing.qcow2'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('missing.qcow2');
  });

  it('parses qemu-img sizes and refuses odd ones', () => {
    expect(parseSize('10G')).toBe(10 * 2 ** 30);
    expect(parseSize('512M')).toBe(512 * 2 ** 20);
    expect(parseSize('1048576')).toBe(1048576);
    expect(() => parseSize('1000')).toThrow(/multiple of 512/);
    expect(() => parseSize('big')).toThrow(/is not a size/);
  });
});
