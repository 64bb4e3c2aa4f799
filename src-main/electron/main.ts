/** Electron main process: one window, the service API over IPC, nothing else reachable from the renderer. */
import { app, BrowserWindow, ipcMain, session, shell } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdir } from 'node:fs/promises';
import { dispatch } from '../../src-shared/api/dispatch';
import { LibraryStore } from '../store/library-store';
import { defaultStorePath } from '../store/paths';
import { createHandlers } from '../services/handlers';
import { APP_VERSION } from '../version';
import { API_CHANNEL } from './ipc-channel';
import { RENDERER_CSP, secureWebPreferences } from './window-security';

const here = dirname(fileURLToPath(import.meta.url));

async function createWindow(): Promise<void> {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Orrery',
    show: false,
    webPreferences: secureWebPreferences(join(here, '../preload/index.cjs')),
  });
  window.once('ready-to-show', () => window.show());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  if (process.env.ELECTRON_RENDERER_URL) await window.loadURL(process.env.ELECTRON_RENDERER_URL);
  else await window.loadFile(join(here, '../renderer/index.html'));
}

async function main(): Promise<void> {
  await app.whenReady();
  const store = new LibraryStore(defaultStorePath());
  await mkdir(store.root, { recursive: true });
  const handlers = createHandlers({ store, transport: 'electron', version: APP_VERSION });
  ipcMain.handle(API_CHANNEL, (_event, request: unknown) => dispatch(handlers, request));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  await createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

main().catch((error: unknown) => {
  console.error(error);
  app.exit(1);
});
