/**
 * Watches a serial line's output for a text (`--exit-on`, `--snapshot-on`), across chunk boundaries,
 * without holding more than the text's length of history.
 */
import type { CharBackend } from '../core/chardev';

export class OutputWatch {
  private readonly needle: string | null;
  private tail = '';
  private matched = false;
  /** Called once, when the text first appears. */
  onMatch: (() => void) | null = null;

  constructor(text: string | undefined) {
    this.needle = text === undefined || text === '' ? null : text;
  }

  get seen(): boolean {
    return this.matched;
  }

  /** Feeds output bytes (decoded as Latin-1 so every byte is one character). */
  observe(bytes: Uint8Array): void {
    if (this.needle === null || this.matched || bytes.length === 0) return;
    const text = this.tail + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    if (text.includes(this.needle)) {
      this.matched = true;
      this.onMatch?.();
      return;
    }
    this.tail = text.slice(-(this.needle.length - 1) || text.length);
  }

  /** Makes `backend` report what the device writes to it (only the bytes it accepts). */
  wrap<B extends CharBackend>(backend: B): B {
    if (this.needle === null) return backend;
    const write = backend.write.bind(backend);
    backend.write = (bytes: Uint8Array): number => {
      const accepted = write(bytes);
      this.observe(bytes.subarray(0, accepted));
      return accepted;
    };
    return backend;
  }
}
