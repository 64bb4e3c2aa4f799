/**
 * The guest catalog and preparing its Debian guest: from the cache without apt, and with a clear message
 * when apt is missing (PATH without it: the real fetcher runs and fails as it would on such a system).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GuestProgress } from '../../src-shared/api/guests';
import { GUEST_LAYOUT } from '../../src-emu/cli/guest/debian';
import { GUEST_CATALOG, prepareGuest } from './guest-catalog';

let cache: string;
let savedPath: string | undefined;

beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), 'orrery-guests-'));
  savedPath = process.env.PATH;
});
afterEach(async () => {
  process.env.PATH = savedPath;
  await rm(cache, { recursive: true, force: true });
});

describe('guest catalog', () => {
  it('lists the built-in demo guest and the Debian guest with its command line', () => {
    expect(GUEST_CATALOG.map((g) => [g.id, g.source])).toEqual([
      ['demo', 'builtin'],
      ['debian-arm64', 'debian'],
    ]);
    expect(GUEST_CATALOG[1]?.append).toBe('console=ttyAMA0');
  });

  it('refuses unknown and built-in guests', async () => {
    await expect(prepareGuest('freebsd', { cacheDir: cache })).rejects.toThrow(/no 'freebsd'/);
    await expect(prepareGuest('demo', { cacheDir: cache })).rejects.toThrow(/ships with the app/);
  });

  it('uses a guest already in the cache without running apt', async () => {
    const dir = join(cache, 'guests', 'debian-arm64');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Image'), 'kernel');
    await writeFile(join(dir, 'initramfs.cpio.gz'), 'initrd');
    const manifest = {
      guest: 'debian-arm64',
      layout: GUEST_LAYOUT,
      kernelPackage: 'linux-image-6.1.0-99-cloud-arm64',
      kernelRelease: '6.1.0-99-cloud-arm64',
      busyboxVersion: '1:1.35.0-4+b3',
      builtAt: '2026-01-01T00:00:00.000Z',
    };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    process.env.PATH = join(cache, 'no-tools-here'); // apt would fail: it must not be needed
    const progress: GuestProgress[] = [];
    const prepared = await prepareGuest('debian-arm64', { cacheDir: cache, onProgress: (p) => progress.push(p) });
    expect(prepared).toEqual({
      guest: 'debian-arm64',
      kernel: join(dir, 'Image'),
      initrd: join(dir, 'initramfs.cpio.gz'),
      append: 'console=ttyAMA0',
      detail: 'linux-image-6.1.0-99-cloud-arm64 (6.1.0-99-cloud-arm64), busybox 1:1.35.0-4+b3',
    });
    expect(progress.at(-1)?.state).toBe('done');
  });

  it('says clearly that apt is missing, in the error and as the last progress step', async () => {
    process.env.PATH = join(cache, 'no-tools-here');
    const progress: GuestProgress[] = [];
    await expect(
      prepareGuest('debian-arm64', { cacheDir: cache, onProgress: (p) => progress.push(p) }),
    ).rejects.toThrow(/'apt-get' is not available: building the debian-arm64 guest needs Debian's apt and dpkg/);
    expect(progress[0]).toMatchObject({ guest: 'debian-arm64', step: 1, state: 'running' });
    expect(progress.at(-1)).toMatchObject({ state: 'failed', message: expect.stringMatching(/apt-get/) });
  });
});
