import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../../../test/support/tools';
import { writeCpio } from './cpio';

const archive = writeCpio([
  { type: 'dir', path: 'bin' },
  { type: 'file', path: '/bin/tool', data: new TextEncoder().encode('#!/bin/sh\necho hi\n'), mode: 0o755 },
  { type: 'symlink', path: 'bin/sh', target: 'tool' },
  { type: 'dir', path: 'dev' },
  { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
  { type: 'file', path: 'odd', data: new Uint8Array([1, 2, 3]) },
]);

describe('cpio newc writer', () => {
  it('is read by GNU cpio with names, types, modes and device numbers intact', () => {
    const listing = execFileSync(requireTool('cpio'), ['-itv', '--quiet'], { input: archive, encoding: 'utf8' });
    const lines = listing.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(-1)[0])).toEqual([
      'bin',
      'bin/tool',
      'tool',
      'dev',
      'dev/console',
      'odd',
    ]);
    expect(lines[1]).toMatch(/^-rwxr-xr-x/);
    expect(lines[2]).toMatch(/^lrwxrwxrwx .* bin\/sh -> tool$/);
    expect(lines[4]).toMatch(/^crw------- .* 5,\s+1 /);
  });

  it('extracts to the same contents', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orrery-cpio-'));
    execFileSync(requireTool('cpio'), ['-id', '--quiet', '--no-absolute-filenames'], { cwd: dir, input: archive });
    expect(readFileSync(join(dir, 'bin', 'tool'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect(statSync(join(dir, 'bin', 'tool')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(dir, 'bin', 'sh'))).toBe('tool');
    expect(Array.from(readFileSync(join(dir, 'odd')))).toEqual([1, 2, 3]);
  });

  it('is deterministic and 4-byte aligned', () => {
    expect(writeCpio([{ type: 'dir', path: 'x' }])).toEqual(writeCpio([{ type: 'dir', path: 'x' }]));
    expect(archive.length % 4).toBe(0);
  });
});
