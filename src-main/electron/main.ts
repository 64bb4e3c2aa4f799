/** Electron main process: one window, the service API over IPC, nothing else reachable from the renderer. */
import { app, BrowserWindow, dialog, ipcMain, session, shell, type WebContents } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdir } from 'node:fs/promises';
import { dispatch } from '../../src-shared/api/dispatch';
import { LibraryStore } from '../store/library-store';
import { defaultStorePath } from '../store/paths';
import { defaultCacheDir } from '../../src-emu/cli/guest/debian';
import { openSession, type ApiSession, type FilePickOptions, type ServiceContext } from '../services/handlers';
import { VmHost } from '../vm/vm-host';
import { bundledWorkerPath } from '../vm/worker-path';
import { APP_VERSION } from '../version';
import { API_CHANNEL, EVENT_CHANNEL } from './ipc-channel';
import { RENDERER_CSP, secureWebPreferences } from './window-security';

const here = dirname(fileURLToPath(import.meta.url));

/** One API session per window: its handlers, and events sent to that window only. */
const sessions = new Map<number, ApiSession>();

function sessionFor(ctx: ServiceContext, contents: WebContents): ApiSession {
  let apiSession = sessions.get(contents.id);
  if (!apiSession) {
    apiSession = openSession(ctx, (event, payload) => {
      if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, { event, payload });
    });
    sessions.set(contents.id, apiSession);
    contents.once('destroyed', () => {
      sessions.get(contents.id)?.close();
      sessions.delete(contents.id);
    });
  }
  return apiSession;
}

async function pickFile(options: FilePickOptions): Promise<string | null> {
  const owner = BrowserWindow.getFocusedWindow();
  const dialogOptions = {
    title: options.title,
    properties: ['openFile' as const],
    ...(options.defaultPath ? { defaultPath: options.defaultPath } : {}),
  };
  const result = owner ? await dialog.showOpenDialog(owner, dialogOptions) : await dialog.showOpenDialog(dialogOptions);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

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
  const host = new VmHost({ store, workerPath: bundledWorkerPath(here) });
  const ctx: ServiceContext = {
    store,
    host,
    transport: 'electron',
    version: APP_VERSION,
    guestCacheDir: defaultCacheDir(),
    pickFile,
  };
  ipcMain.handle(API_CHANNEL, (event, request: unknown) => dispatch(sessionFor(ctx, event.sender).handlers, request));
  app.on('before-quit', () => void host.shutdown());
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
