/**
 * binutils' view of a program: `objdump -d` text and the enclosing symbol for each instruction address, so
 * a divergence report shows both disassemblers side by side.
 */
import { execFileSync } from 'node:child_process';

export const OBJDUMP = 'aarch64-linux-gnu-objdump';

export interface ListingLine {
  readonly text: string;
  readonly symbol: string;
}

export type Listing = Map<number, ListingLine>;

/** objdump's instruction text without its trailing `// comment` and ` <symbol+off>` annotations. */
export function normaliseObjdump(text: string): string {
  return text
    .replace(/\s*\/\/.*$/, '')
    .replace(/ <[^>]*>/g, '')
    .trimEnd();
}

export function objdumpListing(elfPath: string, objdump = OBJDUMP): Listing {
  const out = execFileSync(objdump, ['-d', elfPath], { maxBuffer: 64 * 1024 * 1024 }).toString();
  const listing: Listing = new Map();
  let symbol = '?';
  let symbolStart = 0;
  for (const line of out.split('\n')) {
    const header = /^([0-9a-f]+) <([^>]+)>:$/.exec(line);
    if (header !== null) {
      symbolStart = parseInt(header[1], 16);
      symbol = header[2];
      continue;
    }
    const insn = /^\s*([0-9a-f]+):\t[0-9a-f]{8} \t(.*)$/.exec(line);
    if (insn !== null) {
      const address = parseInt(insn[1], 16);
      const offset = address - symbolStart;
      listing.set(address, {
        text: normaliseObjdump(insn[2]),
        symbol: offset === 0 ? symbol : `${symbol}+0x${offset.toString(16)}`,
      });
    }
  }
  return listing;
}
