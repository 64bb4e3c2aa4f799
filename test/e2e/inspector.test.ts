/**
 * The machine inspector, settings, shortcuts and delete-keeping-files in a real browser against browser mode
 * on the real emulator (the built-in demo guest). Screenshots of each view go to test-results/screenshots/.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SCREENSHOT_DIR } from './support/chromium';
import type { ServedApp } from './support/app';
import { useAppInBrowser } from './support/browser-session';

let app: ServedApp;
let page: Page;
const { pageErrors } = useAppInBrowser({ width: 1280, height: 900 }, async (opened) => {
  ({ app, page } = opened);
  page.setDefaultTimeout(15_000);
  await app.store.create({ name: 'Demo', boot: { kind: 'demo' }, memoryMiB: 64, cpus: 1 });
});

/** The VM page's state badge. */
const vmState = {
  filter: (options: { hasText: string }) => page.locator('.vm-header').getByRole('status').filter(options),
};

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });

async function consoleHas(text: string): Promise<void> {
  await page.locator('.xterm-rows').filter({ hasText: text }).waitFor({ timeout: 20_000 });
}

/** The Value cell of a register row in the device view. */
const registerValue = (name: string) =>
  page.getByRole('row', { name: `${name} register`, exact: true }).locator('td.reg-value');

async function waitForText(locator: ReturnType<Page['locator']>, test: (text: string) => boolean, what: string) {
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.textContent()) ?? '';
    if (test(last)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: last saw '${last}'`);
}

describe('looking inside the running demo guest', () => {
  it('boots the VM and opens the inspector with a shortcut', async () => {
    await page.goto(app.server.url);
    await page.getByRole('link', { name: 'Demo', exact: true }).click();
    await page.getByRole('heading', { name: 'Demo', level: 1 }).waitFor();
    await page.keyboard.press('Control+Enter'); // start
    await vmState.filter({ hasText: 'Running' }).waitFor();
    await consoleHas('demo>');
    await page.keyboard.press('Alt+2');
    await page.getByRole('tablist', { name: 'Inspector views' }).waitFor();
    expect(await page.getByRole('tab', { name: 'Devices' }).getAttribute('aria-selected')).toBe('true');
  });

  it('shows the PL011 registers decoded, and DR and FR follow a character typed into the console', async () => {
    await page.getByRole('button', { name: '/machine/uart0 (pl011)' }).click();
    await registerValue('IBRD').waitFor();
    // Paused, the guest cannot take the character: it waits in the RX FIFO, visible in DR without a pop.
    await page.getByRole('button', { name: 'Pause Demo', exact: true }).click();
    await vmState.filter({ hasText: 'Paused' }).waitFor();
    expect(await registerValue('DR').textContent()).toBe('0x00000000');
    const fr = page.getByRole('row', { name: 'FR register', exact: true });
    expect(await fr.locator('.field', { hasText: 'RXFE=' }).textContent()).toBe('RXFE=1');

    await page.keyboard.press('Alt+1');
    await page.locator('.xterm').click();
    await page.keyboard.type('x');
    await page.keyboard.press('Alt+2');
    // 'x' is 0x78; RXFE (receive FIFO empty) clears.
    await waitForText(registerValue('DR'), (t) => t === '0x00000078', 'DR never showed the typed x');
    expect(await fr.locator('.field', { hasText: 'RXFE=' }).textContent()).toBe('RXFE=0');
    await shot('inspector-devices');

    // Resumed, the guest reads the character: DR empties, and the row is highlighted as changed.
    await page.getByRole('button', { name: 'Resume Demo', exact: true }).click();
    await waitForText(registerValue('DR'), (t) => t === '0x00000000', 'the guest never took the character');
    expect(await page.getByRole('row', { name: 'DR register', exact: true }).getAttribute('class')).toContain(
      'changed',
    );
    // The received byte stays in the FIFO array of the VMState view.
    const fifo = page.locator('.state-leaf', { hasText: 'readFifo' }).locator('.state-value');
    expect(await fifo.textContent()).toContain('120');
    // And the guest echoed it.
    await expect
      .poll(() => new TextDecoder().decode(app.host.consoleSnapshot('demo').bytes).endsWith('demo> x'))
      .toBe(true);
  });

  it('pauses the machine, steps CPU 0 and shows the PC advance', async () => {
    await page.getByRole('tab', { name: 'CPU' }).click();
    await page.getByRole('region', { name: 'CPU 0 registers' }).waitFor();
    await page.getByRole('group', { name: 'Run control' }).getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Step CPU 0' }).waitFor();
    await waitForText(page.locator('.nav-state'), (t) => t.includes('Paused'), 'never paused');
    const pcBefore = await page.getByLabel('PC', { exact: true }).textContent();
    const current = page.locator('.disassembly tr.current td').first();
    await waitForText(current, (t) => t.includes(BigInt(`0x${pcBefore}`).toString(16)), 'the PC line');
    await page.getByRole('button', { name: 'Step CPU 0' }).click();
    const status = await waitForText(page.getByRole('status').filter({ hasText: 'Stepped' }), Boolean, 'no step');
    const [, from, to] = /Stepped CPU 0: (0x[0-9a-f]+) → (0x[0-9a-f]+)/.exec(status) ?? [];
    expect(BigInt(from!)).toBe(BigInt(`0x${pcBefore}`));
    const pcAfter = await waitForText(page.getByLabel('PC', { exact: true }), (t) => t !== pcBefore, 'PC did not move');
    expect(BigInt(`0x${pcAfter}`)).toBe(BigInt(to!));
    expect(await page.locator('.register-list div.changed dt', { hasText: /^PC$/ }).count()).toBe(1);
    await shot('inspector-cpu');
    await page.getByRole('group', { name: 'Run control' }).getByRole('button', { name: 'Resume' }).click();
    await waitForText(page.locator('.nav-state'), (t) => t.includes('Live'), 'never resumed');
  });

  it('reads guest RAM at 0x40000000 in the hex viewer: the device tree the board put there', async () => {
    await page.getByRole('tab', { name: 'Memory', exact: true }).click();
    await page.getByLabel('Address', { exact: true }).fill('0x40000000');
    await page.getByRole('button', { name: 'Read' }).click();
    const first = page.locator('.hex-view tr').first();
    await first.waitFor();
    expect(await first.locator('th').textContent()).toBe('0000000040000000');
    // An ELF guest gets the DTB at the base of RAM; a flattened device tree starts with 0xd00dfeed.
    expect((await first.locator('.hex-bytes span').allTextContents()).slice(0, 4)).toEqual(['d0', '0d', 'fe', 'ed']);
    await page.getByLabel('Address', { exact: true }).fill('0x09000000');
    await page.getByRole('button', { name: 'Read' }).click();
    await page.locator('.hex-bytes.unreadable').first().waitFor(); // the UART is never read from here
    await page.getByLabel('Address', { exact: true }).fill('0x40000000');
    await page.getByRole('button', { name: 'Read' }).click();
    await page.locator('.hex-view th', { hasText: '0000000040000000' }).waitFor();
    await shot('inspector-memory');
  });

  it('fills the trace timeline once pl011_* is enabled and the console is used', async () => {
    await page.getByRole('tab', { name: 'Trace' }).click();
    await page.getByLabel('Trace patterns').fill('pl011_*');
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    await page.getByText(/Tracing \d+ of \d+ events \(pl011_\*\)/).waitFor();
    await page.keyboard.press('Alt+1');
    await page.locator('.xterm').click();
    await page.keyboard.type('echo traced');
    await page.keyboard.press('Enter');
    await consoleHas('traced');
    await page.keyboard.press('Alt+2');
    const rows = page.getByRole('table', { name: 'Trace records' }).locator('tbody tr');
    await rows.first().waitFor();
    const names = await rows.locator('td:nth-child(2)').allTextContents();
    expect(names.length).toBeGreaterThan(10);
    expect(names.every((n) => n.startsWith('pl011_'))).toBe(true);
    expect(names).toContain('pl011_receive');
    expect(names).toContain('pl011_write');
    await shot('inspector-trace');
    await page.getByRole('button', { name: 'Stop tracing' }).click();
  });

  it('shows the memory map, the interrupts and the performance figures', async () => {
    await page.getByRole('tab', { name: 'Memory map' }).click();
    await page.getByRole('cell', { name: '0x0040000000' }).waitFor();
    await shot('inspector-memory-map');
    await page.getByRole('tab', { name: 'Interrupts' }).click();
    // The UART is SPI 1 on virt, interrupt ID 33; the demo guest enables it.
    const uart = page.getByRole('row').filter({ hasText: '/machine/uart0 (UARTINTR)' });
    await uart.waitFor();
    expect(await uart.locator('td').first().textContent()).toBe('33');
    expect(await uart.locator('td').nth(4).textContent()).toBe('yes');
    await shot('inspector-interrupts');
    await page.getByRole('tab', { name: 'Performance' }).click();
    const mips = page.getByRole('article', { name: 'Guest MIPS' }).locator('.perf-value');
    await waitForText(mips, (t) => /^\d+\.\d\d MIPS$/.test(t.trim()), 'no MIPS figure');
    const ratio = page.getByRole('article', { name: 'Virtual time rate' }).locator('.perf-value');
    // Realtime mode: virtual time follows the host while the VM runs.
    await waitForText(ratio, (t) => Math.abs(parseFloat(t) - 1) < 0.2, 'virtual time does not follow real time');
    await page.waitForTimeout(4000); // a few samples for the sparklines
    await shot('inspector-performance');
  });

  it('lists the shortcuts in a help overlay', async () => {
    await page.keyboard.press('F1');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    expect(await help.getByRole('row').count()).toBeGreaterThan(6);
    await shot('shortcuts-help');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });
  });
});

describe('settings and delete', () => {
  it('explains why a running VM cannot be changed', async () => {
    await page.keyboard.press('Alt+3');
    await page.getByRole('heading', { name: 'Settings of Demo' }).waitFor();
    expect(await page.getByRole('note').textContent()).toMatch(/running.*cannot change/s);
    expect(await page.getByLabel('Memory (MiB)').isDisabled()).toBe(true);
    await shot('settings-running');
  });

  it("changes a stopped VM's memory, validated like the wizard, and the library shows it", async () => {
    await page.getByRole('link', { name: '← Demo' }).click();
    await page.getByRole('button', { name: 'Stop Demo', exact: true }).click();
    await vmState.filter({ hasText: 'Stopped' }).waitFor();
    await page.getByRole('link', { name: 'Settings of Demo' }).click();
    await page.getByLabel('Memory (MiB)').fill('8');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/16 to 16384 MiB/);
    await page.getByLabel('Memory (MiB)').fill('96');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await app.store.read('demo')).memoryMiB).toBe(96);
    await shot('settings');
    await page.keyboard.press('Control+Shift+L');
    const item = page.getByRole('listitem', { name: 'Demo' });
    expect(await item.locator('.vm-details').textContent()).toBe('Demo guest · 96 MiB · 1 CPU');
  });

  it('deletes the VM keeping its files, and says what was kept', async () => {
    await page.getByRole('link', { name: 'Settings of Demo' }).click();
    await page.getByRole('button', { name: 'Delete Demo…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Demo?' });
    expect(await dialog.getByLabel('Keep its other files').isChecked()).toBe(true);
    await shot('settings-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'Deleted Demo' });
    await notice.waitFor();
    // The console transcript and the VM's disks and snapshots (its folder's snapshot store) are kept.
    const [, keptIn] =
      /Kept console\.log, disks, snapshots in (\S+)\.$/.exec(
        ((await notice.textContent()) ?? '').replace('×', '').trim(),
      ) ?? [];
    expect(keptIn).toMatch(new RegExp(`^${app.store.root.replace(/[/\\]/g, '.')}.kept.demo-`));
    expect(await readdir(keptIn!)).toEqual(['console.log', 'disks', 'snapshots']);
    expect(await app.store.list()).toEqual([]);
    await page.getByRole('heading', { name: 'No virtual machines yet' }).waitFor();
    await shot('library-deleted-kept');
  });

  it('opens the wizard with Ctrl+Shift+N and offers the Debian catalog guest', async () => {
    await page.keyboard.press('Control+Shift+N');
    await page.getByRole('heading', { name: 'New virtual machine' }).waitFor();
    await page.getByLabel('Name').fill('Debian');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Debian arm64 (catalog)').check();
    await shot('wizard-catalog');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByLabel('Memory (MiB)').inputValue()).toBe('256');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel(/No disk/).check();
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByRole('definition').allTextContents()).toEqual([
      'Debian',
      "Debian arm64 (fetched into the app's cache on Create)",
      'console=ttyAMA0',
      '256 MiB',
      '1',
      'None',
    ]);
    expect(pageErrors).toEqual([]);
  });
});
