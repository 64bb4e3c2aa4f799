import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleLog } from './console-log';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'orrery-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const text = (s: string) => new TextEncoder().encode(s);

describe('ConsoleLog', () => {
  it('appends chunks in order', async () => {
    const log = new ConsoleLog(dir, 1000);
    log.append(text('boot\r\n'));
    log.append(text('demo> '));
    await log.flushed();
    expect(await readFile(join(dir, 'console.log'), 'utf8')).toBe('boot\r\ndemo> ');
  });

  it('rotates to console.log.1 before growing past its limit, keeping at most two files', async () => {
    const log = new ConsoleLog(dir, 10);
    log.append(text('aaaaaa'));
    log.append(text('bbbbbb')); // 12 > 10: rotate first
    log.append(text('cccccc')); // rotate again; the a's are gone
    await log.flushed();
    expect(await readFile(join(dir, 'console.log'), 'utf8')).toBe('cccccc');
    expect(await readFile(join(dir, 'console.log.1'), 'utf8')).toBe('bbbbbb');
  });

  it('continues an existing log across app restarts', async () => {
    const first = new ConsoleLog(dir, 10);
    first.append(text('12345678'));
    await first.flushed();
    const second = new ConsoleLog(dir, 10);
    second.append(text('xyz'));
    await second.flushed();
    expect(await readFile(join(dir, 'console.log'), 'utf8')).toBe('xyz');
    expect(await readFile(join(dir, 'console.log.1'), 'utf8')).toBe('12345678');
  });

  it('stops logging, without throwing, when the folder is gone', async () => {
    const log = new ConsoleLog(join(dir, 'missing'), 10);
    log.append(text('x'));
    await log.flushed();
    expect(log.error).toMatch(/ENOENT/);
  });
});
