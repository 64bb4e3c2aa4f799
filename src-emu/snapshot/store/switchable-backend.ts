/**
 * A block backend whose image can be replaced while the machine is paused: what a snapshot store hands to
 * virtio-blk, so that taking or restoring a snapshot moves the disk onto a new qcow2 overlay without the
 * device noticing (virtio-blk attaches its backend once, before realize).
 *
 * The swap is safe because of `drain()`: it waits until no request is under way in the image. virtio-blk
 * issues the next piece of a multi-piece request from the completion of the previous one (microtasks), so
 * once no operation is pending across a macrotask boundary, and the vCPUs are not running, nothing can
 * start a new one until the machine runs again: the device's requests under way are all complete.
 */
import type { BlockBackend, BlockCapabilities, Extent } from '../../block';

export class SwitchableBackend implements BlockBackend {
  private pending = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private target: BlockBackend) {}

  /** The image requests go to now. */
  get current(): BlockBackend {
    return this.target;
  }

  get path(): string {
    return this.target.path;
  }

  get format(): 'raw' | 'qcow2' {
    return this.target.format;
  }

  get size(): number {
    return this.target.size;
  }

  get readOnly(): boolean {
    return this.target.readOnly;
  }

  get capabilities(): BlockCapabilities {
    return this.target.capabilities;
  }

  /** Operations under way in the current image. */
  get inFlight(): number {
    return this.pending;
  }

  read(offset: number, dest: Uint8Array): Promise<void> {
    return this.track(() => this.target.read(offset, dest));
  }

  write(offset: number, src: Uint8Array): Promise<void> {
    return this.track(() => this.target.write(offset, src));
  }

  flush(): Promise<void> {
    return this.track(() => this.target.flush());
  }

  discard(offset: number, length: number): Promise<void> {
    return this.track(() => this.target.discard(offset, length));
  }

  writeZeroes(offset: number, length: number): Promise<void> {
    return this.track(() => this.target.writeZeroes(offset, length));
  }

  blockStatus(offset: number, length: number): Promise<Extent[]> {
    return this.track(() => this.target.blockStatus(offset, length));
  }

  allocationMap(): Promise<Extent[]> {
    return this.track(() => this.target.allocationMap());
  }

  close(): Promise<void> {
    return this.target.close();
  }

  /** Resolves once no operation is under way, checked after the microtasks that may start the next one. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.pending > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.pending === 0) return;
    }
  }

  /**
   * Points every later request at `next` and returns the image used so far (not closed: the caller flushes
   * and closes it). Only between `drain()` and the machine running again; the sizes must match.
   */
  swap(next: BlockBackend): BlockBackend {
    if (this.pending > 0) throw new Error(`${this.target.path}: cannot switch images with requests under way`);
    if (next.size !== this.target.size) {
      throw new Error(`${next.path}: ${next.size} bytes, the disk it replaces has ${this.target.size}`);
    }
    const previous = this.target;
    this.target = next;
    return previous;
  }

  private track<T>(operation: () => Promise<T>): Promise<T> {
    this.pending++;
    let promise: Promise<T>;
    try {
      promise = operation();
    } catch (error) {
      promise = Promise.reject(error);
    }
    return promise.finally(() => {
      if (--this.pending === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    });
  }
}
