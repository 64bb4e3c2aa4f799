/** Builds the app once and serves it in browser mode over a fresh temporary library. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibraryStore } from '../../../src-main/store/library-store';
import { openSession, type ServiceContext } from '../../../src-main/services/handlers';
import { VmHost } from '../../../src-main/vm/vm-host';
import { bundledWorkerPath } from '../../../src-main/vm/worker-path';
import { startBrowserServer, type BrowserServer } from '../../../src-main/browser/server';

export function buildApp(): void {
  const result = spawnSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`build failed:\n${result.stdout}\n${result.stderr}`);
}

export interface ServedApp {
  readonly server: BrowserServer;
  readonly store: LibraryStore;
  readonly host: VmHost;
  stop(): Promise<void>;
}

export async function serveApp(): Promise<ServedApp> {
  const home = await mkdtemp(join(tmpdir(), 'orrery-e2e-'));
  const store = new LibraryStore(home);
  // The bundled worker the build just made, as the shipped app runs it.
  const host = new VmHost({ store, workerPath: bundledWorkerPath(join(process.cwd(), 'out', 'main')) });
  const ctx: ServiceContext = { store, host, transport: 'browser', version: 'e2e', guestCacheDir: join(home, 'cache') };
  const server = await startBrowserServer({
    openSession: (emit) => openSession(ctx, emit),
    rendererDir: join(process.cwd(), 'out', 'renderer'),
  });
  return {
    server,
    store,
    host,
    stop: async () => {
      await host.shutdown();
      await server.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
