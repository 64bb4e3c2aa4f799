/**
 * Test support: a model of what a disk should hold (plain bytes), writes that the model and a real image
 * both receive, and the changes each "take N" of the kill test makes. No test runner imports here: the
 * kill test's child process uses it too.
 */
import type { BlockBackend } from '../../block';
import { pattern } from '../../block/testing/qemu';

export const DISK_SIZE = 4 * 1024 * 1024;
export const CLUSTER = 65536;

/** A write the model and an image both receive: pattern bytes, or zeroes when `zero`. */
export interface DiskWrite {
  readonly offset: number;
  readonly length: number;
  readonly seed: number;
  readonly zero?: boolean;
}

export function applyToModel(model: Uint8Array, w: DiskWrite): void {
  if (w.zero) model.fill(0, w.offset, w.offset + w.length);
  else model.set(pattern(w.length, w.seed), w.offset);
}

export async function applyToBackend(backend: BlockBackend, w: DiskWrite): Promise<void> {
  if (w.zero) await backend.writeZeroes(w.offset, w.length);
  else await backend.write(w.offset, pattern(w.length, w.seed));
}

/** RAM pages the kill test writes start here (above the test program and its device tree). */
export const RAM_PAGE_BASE = 1024;
const RAM_PAGES_USED = 40;

/** What the kill test's process changes before taking "take N": a few disk ranges and one RAM page. */
export function takeWrites(n: number): { disk: DiskWrite[]; ramPageIndex: number; ramPage: Uint8Array } {
  const cluster = (n * 7) % (DISK_SIZE / CLUSTER - 1);
  return {
    disk: [
      { offset: cluster * CLUSTER + (n % 5) * 4096, length: 6000, seed: n },
      { offset: ((n * 3) % 60) * CLUSTER, length: n % 4 === 0 ? CLUSTER : 512, seed: 0, zero: true },
    ],
    ramPageIndex: n % RAM_PAGES_USED,
    ramPage: pattern(4096, 1000 + n),
  };
}

/** The disk and RAM pages "take N" must hold: every take's changes up to N, in order. */
export function modelAfterTake(n: number): { disk: Uint8Array; ramPages: Uint8Array } {
  const disk = new Uint8Array(DISK_SIZE);
  const ramPages = new Uint8Array(RAM_PAGES_USED * 4096);
  for (let k = 1; k <= n; k++) {
    const w = takeWrites(k);
    for (const d of w.disk) applyToModel(disk, d);
    ramPages.set(w.ramPage, w.ramPageIndex * 4096);
  }
  return { disk, ramPages };
}

export const RAM_MODEL_BYTES = RAM_PAGES_USED * 4096;
