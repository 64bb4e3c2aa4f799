/**
 * Test double for a disk image: the block backend contract (src-emu/block/types.ts) over a byte array.
 * Operations complete asynchronously; with `hold` set they wait until the test releases them, in any
 * order, so tests can keep requests in flight and finish them out of order.
 */
import type { VirtioBlockBackend } from './blk';

interface Held {
  readonly what: string;
  readonly run: () => void;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class MemoryDisk implements VirtioBlockBackend {
  readonly bytes: Uint8Array;
  readonly capabilities: { discard: boolean };
  readonly log: string[] = [];
  hold = false;
  /** Operations that fail with an I/O error. */
  failing = new Set<string>();
  private readonly held: Held[] = [];

  constructor(
    readonly size: number,
    readonly readOnly = false,
    discard = true,
  ) {
    this.bytes = new Uint8Array(size);
    this.capabilities = { discard };
  }

  private op(what: string, offset: number, length: number, run: () => void): Promise<void> {
    if (offset < 0 || offset + length > this.size) throw new Error(`${what} beyond the end of the disk`);
    this.log.push(`${what} ${offset} ${length}`);
    return new Promise<void>((resolve, reject) => {
      const entry: Held = { what, run, resolve, reject };
      if (this.hold) this.held.push(entry);
      else queueMicrotask(() => this.finish(entry));
    });
  }

  private finish(entry: Held): void {
    if (this.failing.has(entry.what)) {
      entry.reject(new Error(`${entry.what}: input/output error`));
      return;
    }
    entry.run();
    entry.resolve();
  }

  /** Completes the held operation at `index` (in submission order among those still held). */
  release(index = 0): void {
    const [entry] = this.held.splice(index, 1);
    if (entry === undefined) throw new Error('no held operation');
    this.finish(entry);
  }

  get heldCount(): number {
    return this.held.length;
  }

  read(offset: number, dest: Uint8Array): Promise<void> {
    return this.op('read', offset, dest.length, () => dest.set(this.bytes.subarray(offset, offset + dest.length)));
  }

  write(offset: number, src: Uint8Array): Promise<void> {
    if (this.readOnly) return Promise.reject(new Error('read-only'));
    const copy = src.slice();
    return this.op('write', offset, src.length, () => this.bytes.set(copy, offset));
  }

  flush(): Promise<void> {
    return this.op('flush', 0, 0, () => {});
  }

  discard(offset: number, length: number): Promise<void> {
    return this.op('discard', offset, length, () => this.bytes.fill(0, offset, offset + length));
  }

  writeZeroes(offset: number, length: number): Promise<void> {
    return this.op('writeZeroes', offset, length, () => this.bytes.fill(0, offset, offset + length));
  }
}
