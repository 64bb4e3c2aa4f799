/**
 * An image file that dies after a given number of writes, for crash tests. Writes reach the real file (so
 * reads see them) and are journalled with the syncs between them; after the crash, `powerLossImage` builds
 * what a disk could hold after a power cut: everything up to the last completed sync, plus any subset of the
 * later writes.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { ImageFile } from '../image-file';
import { openImageFile } from '../image-file';
import { rng } from './qemu';

export class CrashError extends Error {
  constructor() {
    super('simulated crash');
  }
}

type JournalEntry = { readonly position: number; readonly data: Uint8Array } | 'sync';

export class CrashingFile implements ImageFile {
  private readonly journal: JournalEntry[] = [];
  private writes = 0;
  crashed = false;

  private constructor(
    private readonly inner: ImageFile,
    private readonly initial: Uint8Array,
    private readonly writeLimit: number,
  ) {}

  /** Opens `path` read-write; the write numbered `writeLimit` (from 0) and everything after it fail. */
  static async open(path: string, writeLimit: number): Promise<CrashingFile> {
    const initial = new Uint8Array(readFileSync(path));
    return new CrashingFile(await openImageFile(path, 'rw'), initial, writeLimit);
  }

  get path(): string {
    return this.inner.path;
  }

  get length(): number {
    return this.inner.length;
  }

  get writeCount(): number {
    return this.writes;
  }

  read(position: number, dest: Uint8Array): Promise<number> {
    return this.inner.read(position, dest);
  }

  async write(position: number, src: Uint8Array): Promise<void> {
    this.gate();
    this.writes++;
    this.journal.push({ position, data: src.slice() });
    await this.inner.write(position, src);
  }

  async truncate(length: number): Promise<void> {
    this.gate();
    await this.inner.truncate(length);
  }

  async sync(): Promise<void> {
    if (this.crashed) throw new CrashError();
    // Durability is modelled by the journal; a real fdatasync would only slow the test down.
    this.journal.push('sync');
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private gate(): void {
    if (this.crashed || this.writes >= this.writeLimit) {
      this.crashed = true;
      throw new CrashError();
    }
  }

  /** Writes to `out` a possible on-disk state after a power cut at the crash point. */
  powerLossImage(out: string, seed: number): void {
    const lastSync = this.journal.lastIndexOf('sync');
    const keep = rng(seed);
    let end = this.initial.length;
    for (const entry of this.journal) if (entry !== 'sync') end = Math.max(end, entry.position + entry.data.length);
    const image = new Uint8Array(end);
    image.set(this.initial);
    let length = this.initial.length;
    this.journal.forEach((entry, i) => {
      if (entry === 'sync') return;
      if (i < lastSync || keep(2) === 0) {
        image.set(entry.data, entry.position);
        length = Math.max(length, entry.position + entry.data.length);
      }
    });
    writeFileSync(out, image.subarray(0, length));
  }
}

export function copyImage(from: string, to: string): void {
  copyFileSync(from, to);
}
