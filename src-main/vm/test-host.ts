/** Test fixture: a VmHost running real VM workers (from the TypeScript sources) over a temporary library. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { LibraryStore } from '../store/library-store';
import { VmHost, type VmHostOptions } from './vm-host';

export const DEV_WORKER = new URL('../../src-emu/worker/dev-entry.mjs', import.meta.url);

export interface TestHost {
  root: string;
  store: LibraryStore;
  host: VmHost;
}

/** Registers the hooks of one test file: a fresh library and host, every VM stopped after each test. */
export function useTestHost(prefix: string, options: Partial<Omit<VmHostOptions, 'store'>> = {}): TestHost {
  const fixture = {} as TestHost; // filled in beforeAll, before any test reads it
  beforeAll(async () => {
    fixture.root = await mkdtemp(join(tmpdir(), prefix));
    fixture.store = new LibraryStore(fixture.root);
    fixture.host = new VmHost({ workerPath: DEV_WORKER, ...options, store: fixture.store });
  });
  afterEach(async () => {
    await fixture.host.shutdown();
  });
  afterAll(async () => {
    await rm(fixture.root, { recursive: true, force: true });
  });
  return fixture;
}

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/**
 * Resolves with the console text after stream position `from` once it contains `text` (the scrollback plus
 * live output); rejects with what the console showed after `timeoutMs`.
 */
export function consoleContains(host: VmHost, id: string, text: string, from = 0, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const snap = host.consoleSnapshot(id);
      const seen = decode(snap.bytes.subarray(Math.max(0, from - snap.start)));
      if (!seen.includes(text)) return false;
      clearTimeout(timer);
      unsubscribe();
      resolve(seen);
      return true;
    };
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`'${text}' did not appear; console:\n${decode(host.consoleSnapshot(id).bytes)}`));
    }, timeoutMs);
    const unsubscribe = host.onConsole((chunk) => {
      if (chunk.id === id) check();
    });
    check();
  });
}
