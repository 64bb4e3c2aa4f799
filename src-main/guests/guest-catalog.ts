/**
 * The guest catalog on the app's side: the entries of resources/guests/catalog.json, and preparing one for
 * a new VM. The Debian guest is built from Debian's packages with apt (src-emu/cli/guest/debian.ts) into the
 * same cache `orrery guest fetch` uses, so either one's download serves both; progress goes to a callback.
 */
import { z } from 'zod';
import catalogJson from '../../resources/guests/catalog.json';
import { DEBIAN_GUEST, fetchDebianGuest, GuestFetchError } from '../../src-emu/cli/guest/debian';
import type { GuestCatalogEntry, GuestProgress, PreparedGuest } from '../../src-shared/api/guests';
import { GuestCatalogSchema } from '../../src-shared/api/guests';

/** Validated once: a broken catalog is a build mistake and should fail loudly. */
function loadCatalog(): GuestCatalogEntry[] {
  const parsed = GuestCatalogSchema.safeParse(catalogJson);
  if (!parsed.success) throw new Error(`resources/guests/catalog.json: ${z.prettifyError(parsed.error)}`);
  return parsed.data.guests;
}

export const GUEST_CATALOG: readonly GuestCatalogEntry[] = loadCatalog();

export type ProgressSink = (progress: GuestProgress) => void;

export class GuestPrepareError extends Error {
  override name = 'GuestPrepareError';
}

export interface PrepareOptions {
  /** The cache folder (its guests/<id>/ holds each fetched guest). */
  readonly cacheDir: string;
  readonly onProgress?: ProgressSink;
}

/** Makes a catalog guest ready to boot: the built-in one at once, the Debian one from the cache or apt. */
export async function prepareGuest(id: string, options: PrepareOptions): Promise<PreparedGuest> {
  const entry = GUEST_CATALOG.find((guest) => guest.id === id);
  if (entry === undefined) throw new GuestPrepareError(`the guest catalog has no '${id}'`);
  if (entry.source === 'builtin') {
    throw new GuestPrepareError(`'${entry.name}' ships with the app: choose it as the boot source directly`);
  }
  if (entry.id !== DEBIAN_GUEST) throw new GuestPrepareError(`no fetcher for '${entry.id}'`);
  const report = options.onProgress ?? (() => undefined);
  let step = 0;
  const progress = (message: string, state: GuestProgress['state'] = 'running'): void =>
    report({ guest: id, step, message, state });
  step = 1;
  progress('checking the cache and apt');
  try {
    const files = await fetchDebianGuest(options.cacheDir, {
      log: (line) => {
        step++;
        progress(line);
      },
    });
    const detail = `${files.manifest.kernelPackage} (${files.manifest.kernelRelease}), busybox ${files.manifest.busyboxVersion}`;
    progress(`ready: ${detail}`, 'done');
    return { guest: id, kernel: files.kernel, initrd: files.initrd, append: entry.append, detail };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const message = error instanceof GuestFetchError ? reason : `building the ${entry.name} guest failed: ${reason}`;
    progress(message, 'failed');
    throw new GuestPrepareError(message);
  }
}
