/**
 * The snapshot command line, end to end through `main`: snapshot a deterministic run when a text appears,
 * resume it with --restore, and inspect, verify and diff the files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main';

const folder = mkdtempSync(join(tmpdir(), 'orrery-snapshot-cli-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const TIMER_ELF = join(import.meta.dirname, '..', '..', 'test', 'guest', 'bin', 'timer.elf');
const BASE = ['-kernel', TIMER_ELF, '-m', '64', '--icount', '3', '-no-reboot'];

/** Runs `orrery ARGS`, returning the exit status and what it printed. */
async function orrery(args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  const status = await main(args);
  vi.restoreAllMocks();
  return { status, out, err };
}

const serialFile = (name: string) => join(folder, name);
const text = (path: string) => readFileSync(path, 'latin1');

describe('orrery run --snapshot-on / --restore', () => {
  const snap = join(folder, 'timer.orrsnap');

  it('resumes where the snapshot was taken: the two halves make the uninterrupted output', async () => {
    expect((await orrery(['run', ...BASE, '-serial', `file:${serialFile('whole.txt')}`])).status).toBe(0);
    const whole = text(serialFile('whole.txt'));
    expect(whole).toContain('DONE pass=');

    const first = await orrery([
      'run',
      ...BASE,
      '-serial',
      `file:${serialFile('first.txt')}`,
      '--snapshot-on',
      'PASS timer.gic_enabled',
      '--snapshot-file',
      snap,
      '--exit-after-snapshot',
    ]);
    expect(first.status).toBe(0);
    expect(first.err).toContain(`snapshot saved to ${snap}`);
    const before = text(serialFile('first.txt'));
    expect(before).toContain('PASS timer.gic_enabled');
    expect(before).not.toContain('DONE');

    const second = await orrery(['run', '--restore', snap, '-serial', `file:${serialFile('second.txt')}`]);
    expect(second.status).toBe(0);
    expect(before + text(serialFile('second.txt'))).toBe(whole);
  });

  it('a restored run can save an incremental snapshot on top of the one it came from', async () => {
    const child = join(folder, 'child.orrsnap');
    const run = await orrery([
      'run',
      '--restore',
      snap,
      '-serial',
      'none',
      '--snapshot-on',
      'PASS timer.virtual_irq_wfi',
      '--snapshot-file',
      child,
      '--snapshot-incremental',
      '--exit-after-snapshot',
    ]);
    expect(run.status).toBe(0);
    const info = await orrery(['snapshot', 'info', child]);
    expect(info.out).toContain(`parent chain: ${snap} <- ${child}`);
    expect(info.out).toMatch(/RAM ram: 16384 pages, delta: \d+ stored, 0 zeroed, the rest from the parent/);
    const late = await orrery([
      'run',
      '--restore',
      snap,
      '-serial',
      'none',
      '--snapshot-on',
      'PASS timer.imask.istatus',
      '--snapshot-file',
      join(folder, 'never.orrsnap'),
      '--exit-after-snapshot',
    ]);
    // That text comes in the guest's last quantum: it powers off before the round ends.
    expect(late).toMatchObject({ status: 1, err: expect.stringContaining('stopped (poweroff) before the snapshot') });
    const diff = await orrery(['snapshot', 'diff', snap, child]);
    expect(diff.out).toMatch(/section virtual-clock instance 0: 1 field\(s\)\n {2}ns/);
  });

  it('works in realtime mode too: the restored machine finishes the program', async () => {
    const realtime = join(folder, 'realtime.orrsnap');
    const args = ['-kernel', TIMER_ELF, '-m', '64', '-no-reboot'];
    const first = await orrery([
      'run',
      ...args,
      '-serial',
      `file:${serialFile('rt-first.txt')}`,
      '--snapshot-on',
      'PASS timer.gic_enabled',
      '--snapshot-file',
      realtime,
      '--exit-after-snapshot',
    ]);
    expect(first.status).toBe(0);
    expect((await orrery(['snapshot', 'info', realtime])).out).toContain('realtime time');
    const second = await orrery(['run', '--restore', realtime, '-serial', `file:${serialFile('rt-second.txt')}`]);
    expect(second.status).toBe(0);
    expect(text(serialFile('rt-first.txt'))).not.toContain('DONE');
    expect(text(serialFile('rt-second.txt'))).toMatch(/PASS timer\.tval_counts_down\nDONE pass=\d+/);
  });

  it('snapshot info, verify and diff describe the file', async () => {
    const info = await orrery(['snapshot', 'info', snap]);
    expect(info.status).toBe(0);
    expect(info.out).toContain('name: on "PASS timer.gic_enabled"');
    expect(info.out).toContain('machine: virt, 64 MiB, 1 CPU(s), deterministic time (icount 3)');
    expect(info.out).toMatch(/kernel: .*timer\.elf \(\d+ bytes, sha256 [0-9a-f]{16}…, unchanged\)/);
    expect(info.out).toContain('device sections: virtual-clock[0] v1, arm64-cpu[0] v1, arm64-system[0] v1');

    expect(await orrery(['snapshot', 'verify', snap])).toMatchObject({ status: 0, out: expect.stringContaining('ok') });
    const same = await orrery(['snapshot', 'diff', snap, snap]);
    expect(same.out).toContain('no differences');
    const json = await orrery(['snapshot', 'diff', '--json', snap, snap]);
    expect(JSON.parse(json.out)).toMatchObject({ sections: [], config: [] });
  });

  it('refuses a damaged file with the reason, and machine options next to --restore', async () => {
    const damaged = join(folder, 'damaged.orrsnap');
    const bytes = readFileSync(snap);
    bytes[bytes.length - 200]! ^= 0xff;
    writeFileSync(damaged, bytes);
    const verify = await orrery(['snapshot', 'verify', damaged]);
    expect(verify.status).toBe(1);
    expect(verify.err).toMatch(/damaged: its SHA-256 does not match/);
    const run = await orrery(['run', '--restore', damaged, '-serial', 'none']);
    expect(run.status).toBe(1);
    expect(run.err).toMatch(/damaged/);
    const clash = await orrery(['run', '--restore', snap, '-m', '128']);
    expect(clash.status).toBe(2);
    expect(clash.err).toContain("--restore uses the snapshot's own machine configuration: drop --memory");
    const half = await orrery(['run', ...BASE, '--snapshot-on', 'x']);
    expect(half.err).toContain('--snapshot-on TEXT and --snapshot-file PATH go together');
  });
});
