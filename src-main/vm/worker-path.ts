/** Where the bundled VM worker sits: next to the bundled main entry points (electron.vite.config.ts). */
import { join } from 'node:path';

export const VM_WORKER_BUNDLE = 'vm-worker.js';

export function bundledWorkerPath(mainOutDir: string): string {
  return join(mainOutDir, VM_WORKER_BUNDLE);
}
