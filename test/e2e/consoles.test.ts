/**
 * A VM with a virtio console in a real browser against browser mode, on the real emulator: the wizard adds
 * the console, the VM view shows one tab per console (each its own terminal, kept across tab switches and
 * reloads), "Send break" goes to the serial line, and the settings show the consoles and the disks.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { SCREENSHOT_DIR } from './support/chromium';
import type { ServedApp } from './support/app';
import { useAppInBrowser } from './support/browser-session';

let app: ServedApp;
let page: Page;
const { pageErrors } = useAppInBrowser({ width: 1200, height: 820 }, (opened) => ({ app, page } = opened));

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
const terminal = (console: string): Locator => page.locator(`[data-console="${console}"]`);

/** Waits until a row of the console's terminal passes `test` (xterm's DOM renderer, one div per row). */
async function waitForRow(console: string, test: (row: string) => boolean, what: string): Promise<void> {
  const rows = terminal(console).locator('.xterm-rows > div');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const texts = (await rows.allTextContents()).map((row) => row.replace(/\u00a0/g, ' ').trimEnd());
    if (texts.some(test)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${console} never showed ${what}; rows:\n${(await rows.allTextContents()).join('\n')}`);
}

describe('consoles of a VM (browser mode, real emulator)', () => {
  it('creates a demo VM with one virtio console and a disk through the wizard', async () => {
    await page.goto(app.server.url);
    await page.getByRole('link', { name: 'New VM…' }).click();
    await page.getByLabel('Name').fill('Consoles');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel(/Built-in demo guest/).check();
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByLabel('Memory (MiB)').fill('64');
    await page.getByLabel('Virtio consoles').fill('9');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('A VM may have 0 to 4 virtio consoles');
    await page.getByLabel('Virtio consoles').fill('1');
    await shot('wizard-consoles');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByLabel(/Create a new disk/).check();
    await page.getByLabel('Disk size').fill('1G');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByRole('definition').allTextContents()).toEqual([
      'Consoles',
      'Built-in demo guest',
      '64 MiB',
      '1',
      'Serial and 1 virtio console (hvc0)',
      'New qcow2 disk, 1G',
    ]);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Consoles', level: 1 }).waitFor();
    expect((await app.store.read('consoles')).consoles).toBe(1);
  });

  it('starts the VM and shows a tab per console, each with its own terminal', async () => {
    await page.getByRole('button', { name: 'Start Consoles' }).click();
    await page.getByRole('status').filter({ hasText: 'Running' }).waitFor();
    const tabs = page.getByRole('tablist', { name: 'Consoles' }).getByRole('tab');
    expect(await tabs.allTextContents()).toEqual(['Serial (ttyAMA0)', 'hvc0']);
    await waitForRow('serial0', (row) => row === 'demo>', 'the prompt');

    await page.getByRole('tab', { name: 'hvc0' }).click();
    expect(await page.getByRole('tab', { name: 'hvc0' }).getAttribute('aria-selected')).toBe('true');
    expect(await terminal('hvc0').isVisible()).toBe(true);
    expect(await terminal('serial0').isVisible()).toBe(false);
    // The demo guest has no virtio console driver: hvc0 stays empty, and it has no break button.
    expect(await terminal('hvc0').getByRole('button', { name: 'Send break' }).count()).toBe(0);
    await shot('vm-console-hvc0');

    // Arrow keys move between the console tabs.
    await page.getByRole('tab', { name: 'hvc0' }).press('ArrowLeft');
    expect(await page.getByRole('tab', { name: 'Serial (ttyAMA0)' }).getAttribute('aria-selected')).toBe('true');
    expect(await terminal('serial0').isVisible()).toBe(true);
  });

  it('sends a break on the serial console, which goes on working', async () => {
    await terminal('serial0').getByRole('button', { name: 'Send break' }).click();
    await terminal('serial0').locator('.console-status').filter({ hasText: 'Break sent' }).waitFor();
    expect(app.host.status('consoles').state).toBe('running');
    await terminal('serial0').locator('.xterm').click();
    // The break reached the guest as a NUL character: start a fresh line before the command.
    await page.keyboard.press('Enter');
    await page.keyboard.type('echo still here');
    await page.keyboard.press('Enter');
    await waitForRow('serial0', (row) => row === 'still here', "the guest's answer after the break");
    await shot('vm-console-break');
  });

  it('keeps both consoles across a reload', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Consoles', level: 1 }).waitFor();
    await waitForRow('serial0', (row) => row === 'still here', 'the replayed scrollback');
    await page.getByRole('tab', { name: 'hvc0' }).click();
    expect(await terminal('hvc0').isVisible()).toBe(true);
    await page.getByRole('tab', { name: 'Serial (ttyAMA0)' }).click();
  });

  it("shows the consoles and the VM's disks in the settings", async () => {
    await page.getByRole('button', { name: 'Stop Consoles', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Stopped' }).waitFor();
    await page.getByRole('link', { name: 'Settings of Consoles' }).click();
    await page.getByRole('heading', { name: 'Settings of Consoles' }).waitFor();
    expect(await page.getByLabel('Virtio consoles').inputValue()).toBe('1');
    const disks = page.getByRole('table', { name: 'Disks' });
    expect(await disks.getByRole('row').allTextContents()).toEqual([
      'NameOriginAccess',
      'disk0Empty disk of 1 GiBRead-write',
    ]);
    await shot('vm-settings-disks');

    await page.getByLabel('Virtio consoles').fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await app.store.read('consoles')).consoles).toBe(0);
    // Back in the VM view the console has no tabs any more: only the serial console is left.
    await page.getByRole('link', { name: '← Consoles' }).click();
    await terminal('serial0').waitFor();
    expect(await page.getByRole('tablist', { name: 'Consoles' }).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
