import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SCREENSHOT_DIR } from './support/chromium';
import type { ServedApp } from './support/app';
import { useAppInBrowser } from './support/browser-session';

let app: ServedApp;
let browser: Browser;
let page: Page;
useAppInBrowser({ width: 1100, height: 700 }, (opened) => ({ app, browser, page } = opened));

describe('library view in a real browser (browser mode)', () => {
  it('shows the empty library with a call to action, then the VM it creates', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.server.url);
    await page.getByRole('heading', { name: 'No virtual machines yet' }).waitFor();
    expect(await page.locator('.hint code').textContent()).toBe(app.store.root);
    // The token leaves the address bar once the client has taken it.
    expect(page.url()).not.toContain('token=');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'library-empty.png') });

    await page.getByRole('button', { name: 'Create the demo VM' }).click();
    const item = page.getByRole('list', { name: 'Virtual machines' }).getByRole('listitem');
    await item.waitFor();
    expect(await item.locator('.vm-name').textContent()).toBe('Demo');
    expect(await item.locator('.vm-details').textContent()).toBe('Demo guest · 64 MiB · 1 CPU');
    expect((await app.store.list()).map((vm) => vm.id)).toEqual(['demo']);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'library.png') });

    // The library survives a reload (the token is kept for the tab).
    await page.reload();
    await page.getByRole('list', { name: 'Virtual machines' }).getByRole('listitem').waitFor();
    expect(errors).toEqual([]);
  });

  it('refuses to talk to a page opened without the token', async () => {
    const other = await browser.newPage();
    await other.goto(app.server.url.replace(/\?token=.*/, ''));
    await other.getByRole('alert').waitFor();
    expect(await other.getByRole('alert').textContent()).toMatch(/cannot reach Orrery/);
    await other.close();
  });
});
