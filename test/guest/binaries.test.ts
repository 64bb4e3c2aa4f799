/**
 * The committed binaries in test/guest/bin are exactly what the sources build to: the sources are copied to
 * a fresh folder (a different path, as in another checkout), built with Debian's cross toolchain, and every
 * ELF is compared byte for byte. After changing a source, run `make -C test/guest` and commit bin/.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTool } from '../support/tools';
import { GUEST_BIN, GUEST_DIR, GUEST_PROGRAMS } from './programs';

const work = mkdtempSync(join(tmpdir(), 'orrery-guest-build-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function makeVariable(name: string): string[] {
  const text = readFileSync(join(GUEST_DIR, 'Makefile'), 'utf8');
  const m = new RegExp(`^${name} :=(.*)$`, 'm').exec(text);
  return m === null ? [] : m[1].trim().split(/\s+/);
}

describe('test/guest binaries', () => {
  it('lists the same programs in the Makefile, the manifest and bin/', () => {
    const names = GUEST_PROGRAMS.map((p) => p.name).sort();
    expect(makeVariable('PROGRAMS').sort()).toEqual(names);
    const built = readdirSync(GUEST_BIN)
      .filter((f) => f.endsWith('.elf'))
      .map((f) => f.slice(0, -4))
      .sort();
    expect(built).toEqual(names);
  });

  it('are up to date: a clean build elsewhere gives the same bytes', () => {
    requireTool('aarch64-linux-gnu-gcc');
    requireTool('make');
    for (const item of ['Makefile', 'runtime', 'src'])
      cpSync(join(GUEST_DIR, item), join(work, item), { recursive: true });
    execFileSync('make', ['-s', '-C', work, 'OUT=out'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stale = GUEST_PROGRAMS.map((p) => `${p.name}.elf`).filter(
      (file) => !readFileSync(join(work, 'out', file)).equals(readFileSync(join(GUEST_BIN, file))),
    );
    expect(stale, 'rebuild with `make -C test/guest` and commit test/guest/bin').toEqual([]);
  }, 120_000);
});
