/**
 * The setup every browser test file shares: before its tests, build and serve the app and open one Chromium
 * page on it (collecting the page's uncaught errors); after them, close both.
 */
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, SCREENSHOT_DIR } from './chromium';
import { buildApp, serveApp, type ServedApp } from './app';

export interface OpenedApp {
  readonly app: ServedApp;
  readonly browser: Browser;
  readonly page: Page;
}

export interface BrowserSession {
  /** The messages of errors the page threw and did not catch, in order. */
  readonly pageErrors: readonly string[];
}

/**
 * Registers the file's beforeAll/afterAll hooks. `opened` runs last in beforeAll, with the served app and its
 * page, to keep them and add the file's own setup.
 */
export function useAppInBrowser(
  viewport: { width: number; height: number },
  opened: (session: OpenedApp) => unknown,
): BrowserSession {
  const pageErrors: string[] = [];
  let app: ServedApp | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    buildApp();
    app = await serveApp();
    browser = await launchChromium();
    const page = await browser.newPage({ viewport });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await opened({ app, browser, page });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  return { pageErrors };
}
