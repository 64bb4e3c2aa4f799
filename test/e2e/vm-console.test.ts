/**
 * The whole first slice in a real browser against browser mode, on the real emulator: create the demo VM
 * with the wizard (with a new 8G qcow2 disk, which the demo guest ignores), boot it, use its serial console, reload, stop and delete it. Screenshots of each view go
 * to test-results/screenshots/.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { peekSnapshotTree } from '../../src-emu/snapshot/store/store';
import { SCREENSHOT_DIR } from './support/chromium';
import type { ServedApp } from './support/app';
import { useAppInBrowser } from './support/browser-session';

let app: ServedApp;
let page: Page;
const { pageErrors } = useAppInBrowser({ width: 1200, height: 820 }, (opened) => ({ app, page } = opened));

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });

/** The text of the terminal's rows, one string per row (xterm's DOM renderer). */
async function consoleRows(): Promise<string[]> {
  return page.locator('.xterm-rows > div').allTextContents();
}

async function waitForConsoleRow(test: (row: string) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const rows = (await consoleRows()).map((row) => row.replace(/\u00a0/g, ' ').trimEnd());
    if (rows.some(test)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`console never showed ${what}; rows:\n${(await consoleRows()).join('\n')}`);
}

describe('a VM from wizard to console (browser mode, real emulator)', () => {
  it('creates the demo VM through the wizard, with a message at each invalid step', async () => {
    await page.goto(app.server.url);
    await page.getByRole('link', { name: 'New VM…' }).click();
    await page.getByRole('heading', { name: 'New virtual machine' }).waitFor();

    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('a name is required');
    await shot('wizard-name-error');
    await page.getByLabel('Name').fill('Demo');
    await page.getByRole('button', { name: 'Next' }).click();

    // Source: a kernel needs a path; the demo guest needs nothing.
    await page.getByLabel(/Linux kernel/).check();
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/path of the kernel image/);
    await page.getByLabel(/Built-in demo guest/).check();
    await shot('wizard-source');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByLabel('Memory (MiB)').fill('8');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/16 to 16384 MiB/);
    await page.getByLabel('Memory (MiB)').fill('64');
    await page.getByRole('button', { name: 'Next' }).click();

    // Storage: an existing image needs a path; a new disk needs a size like 8G.
    await page.getByLabel(/Use an existing disk image/).check();
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/path of the disk image/);
    await page.getByLabel(/Create a new disk/).check();
    await page.getByLabel('Disk size').fill('8 gigs');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/8G or 512M/);
    await page.getByLabel('Disk size').fill('8G');
    await shot('wizard-storage');
    await page.getByRole('button', { name: 'Next' }).click();

    const summary = page.getByRole('definition');
    expect(await summary.allTextContents()).toEqual([
      'Demo',
      'Built-in demo guest',
      '64 MiB',
      '1',
      'New qcow2 disk, 8G',
    ]);
    await shot('wizard-summary');
    await page.getByRole('button', { name: 'Create' }).click();

    await page.getByRole('heading', { name: 'Demo', level: 1 }).waitFor();
    const config = await app.store.read('demo');
    expect({ boot: config.boot, memoryMiB: config.memoryMiB, cpus: config.cpus, disks: config.disks }).toEqual({
      boot: { kind: 'demo' },
      memoryMiB: 64,
      cpus: 1,
      disks: [{ name: 'disk0', origin: { kind: 'empty', bytes: 8 * 1024 ** 3 } }],
    });
    // QEMU's own tool reads the image the app made: the overlay the disk writes now, in the VM's folder.
    const tree = await peekSnapshotTree(app.store.vmDir('demo'));
    const image = join(app.store.vmDir('demo'), 'disks', 'disk0', tree!.current.disks['disk0']!);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', image], { encoding: 'utf8' }));
    expect({ format: info.format, size: info['virtual-size'] }).toEqual({ format: 'qcow2', size: 8 * 1024 ** 3 });
  });

  it('starts the VM and shows the guest banner in the console', async () => {
    await page.getByRole('button', { name: 'Start Demo' }).click();
    await page.getByRole('status').filter({ hasText: 'Running' }).waitFor();
    await waitForConsoleRow((row) => row.startsWith('Orrery demo guest'), 'the banner');
    await waitForConsoleRow((row) => row === 'demo>', 'the prompt');
    expect(app.host.status('demo').state).toBe('running');
  });

  it('sends typed input to the guest and shows its answer', async () => {
    await page.locator('.xterm').click();
    await page.keyboard.type('echo hello');
    await page.keyboard.press('Enter');
    await waitForConsoleRow((row) => row === 'demo> echo hello', 'the echoed command');
    await waitForConsoleRow((row) => row === 'hello', "the guest's answer");
    await shot('vm-console');
  });

  it('delivers a large paste completely, paced by the guest (its UART FIFO holds only 16 bytes)', async () => {
    const lines = Array.from({ length: 120 }, (_, i) => `echo line-${String(i).padStart(3, '0')}`);
    await page.locator('.xterm-helper-textarea').evaluate(
      (textarea, text) => {
        // Runs in the page; this project's types have no DOM, so the two constructors are declared here.
        const page = globalThis as unknown as {
          DataTransfer: new () => { setData(type: string, value: string): void };
          ClipboardEvent: new (type: string, init: object) => Event;
        };
        const data = new page.DataTransfer();
        data.setData('text/plain', text);
        textarea.dispatchEvent(
          new page.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
        );
      },
      lines.join('\r') + '\r',
    );
    await waitForConsoleRow((row) => row === 'line-119', 'the last pasted line');
    const transcript = new TextDecoder().decode(app.host.consoleSnapshot('demo').bytes);
    const answers = transcript.split('\r\n').filter((line) => /^line-\d{3}$/.test(line));
    expect(answers).toEqual(lines.map((line) => line.slice('echo '.length)));
  });

  it('shows the machine inspector for the running VM', async () => {
    await page.getByRole('tab', { name: 'Machine' }).click();
    await page.getByRole('tab', { name: 'CPU' }).click();
    const registers = page.getByRole('region', { name: 'CPU 0 registers' });
    await registers.waitFor();
    expect(await registers.getByRole('heading').textContent()).toMatch(/CPU 0.*EL1/);
    await page.getByRole('tab', { name: 'Memory map' }).click();
    const memoryMap = page.getByRole('region', { name: 'Memory map' });
    await memoryMap.getByRole('cell', { name: '0x0040000000' }).waitFor();
    await shot('vm-machine');
    await page.getByRole('tab', { name: 'Console' }).click();
  });

  it('replays the console after a page reload, and saves and searches the transcript', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Demo', level: 1 }).waitFor();
    await waitForConsoleRow((row) => row === 'line-119', 'the end of the earlier output after reload');

    // The saved transcript holds the whole replayed scrollback, not only the rows on screen.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Save transcript' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^demo-console-.*\.txt$/);
    const saved = (await readFile(await download.path(), 'utf8')).split('\n');
    expect(saved.filter((line) => line.startsWith('Orrery demo guest'))).toHaveLength(1);
    expect(saved).toContain('hello');
    expect(saved).toContain('line-000');

    const search = page.getByRole('searchbox', { name: 'Search console' });
    await search.fill('Orrery demo guest');
    await search.press('Enter');
    expect(await page.locator('.console-status').textContent()).not.toContain('No match');
    await search.fill('no such text anywhere');
    await search.press('Enter');
    expect(await page.locator('.console-status').textContent()).toContain('No match');

    // Live output still flows after the replay.
    await page.locator('.xterm').click();
    await page.keyboard.type('echo again');
    await page.keyboard.press('Enter');
    await waitForConsoleRow((row) => row === 'again', 'output typed after reload');
  });

  it('stops the VM from the library and deletes it after confirmation', async () => {
    await page.getByRole('link', { name: '← Virtual machines' }).click();
    const item = page.getByRole('listitem', { name: 'Demo' });
    await item.getByRole('status').filter({ hasText: 'Running' }).waitFor();
    // Back in the VM view the console shows what it showed before, without a reload.
    await item.getByRole('link', { name: 'Demo', exact: true }).click();
    await waitForConsoleRow((row) => row === 'again', 'the console after switching views');
    await page.getByRole('link', { name: '← Virtual machines' }).click();
    expect(await item.getByRole('button', { name: 'Delete Demo' }).isDisabled()).toBe(true);
    await shot('library-running');

    await item.getByRole('button', { name: 'Stop Demo' }).click();
    await item.getByRole('status').filter({ hasText: 'Stopped' }).waitFor();
    expect(app.host.status('demo')).toEqual({ state: 'stopped', reason: 'powered off' });

    await item.getByRole('button', { name: 'Delete Demo' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Demo?' });
    await dialog.waitFor();
    await shot('library-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'No virtual machines yet' }).waitFor();
    expect(await app.store.list()).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
