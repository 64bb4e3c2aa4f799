/** Entry point of browser mode (`npm start` where no Electron binary exists, or `npm run serve`). */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdir } from 'node:fs/promises';
import { LibraryStore } from '../store/library-store';
import { defaultStorePath } from '../store/paths';
import { defaultCacheDir } from '../../src-emu/cli/guest/debian';
import { openSession, type ServiceContext } from '../services/handlers';
import { VmHost } from '../vm/vm-host';
import { bundledWorkerPath } from '../vm/worker-path';
import { APP_VERSION } from '../version';
import { startBrowserServer } from './server';

async function main(): Promise<void> {
  const store = new LibraryStore(defaultStorePath());
  await mkdir(store.root, { recursive: true });
  const here = dirname(fileURLToPath(import.meta.url));
  const port = process.env.ORRERY_PORT ? Number(process.env.ORRERY_PORT) : 0;
  const host = new VmHost({ store, workerPath: bundledWorkerPath(here) });
  const ctx: ServiceContext = {
    store,
    host,
    transport: 'browser',
    version: APP_VERSION,
    guestCacheDir: defaultCacheDir(),
  };
  const server = await startBrowserServer({
    openSession: (emit) => openSession(ctx, emit),
    rendererDir: process.env.ORRERY_RENDERER_DIR ?? join(here, '..', 'renderer'),
    port,
  });
  process.stdout.write(`Orrery ${APP_VERSION} (browser mode), library at ${store.root}\n`);
  process.stdout.write(`Open ${server.url}\n`);
  const stop = (): void => {
    void Promise.all([server.close(), host.shutdown()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`orrery: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
