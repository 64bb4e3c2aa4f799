/** The Debian arm64 guest for integration tests, built once into the repository's .cache folder. */
import { join } from 'node:path';
import { fetchDebianGuest, type GuestFiles } from '../../src-emu/cli/guest/debian';

export const TEST_CACHE = join(process.cwd(), '.cache');

export function debianGuest(): Promise<GuestFiles> {
  return fetchDebianGuest(TEST_CACHE, { log: (line) => process.stderr.write(`guest: ${line}\n`) });
}
