/**
 * A qcow2 image (version 2 or 3) as a block backend: reads in parallel, metadata changes one at a time.
 * Opening validates the header, its extensions and the L1 and refcount tables; see open.ts.
 */
import { RwLock } from '../rw-lock';
import {
  BlockError,
  checkRequest,
  pushExtent,
  type BlockBackend,
  type BlockCapabilities,
  type Extent,
  type ExtentKind,
} from '../types';
import type { ClusterMapping } from './cluster-map';
import { readMapped, type Qcow2Context } from './context';
import { writeRange, zeroClusters, type ZeroTarget } from './write-path';

const ZERO_WRITE_CHUNK = 1 << 20;

export class Qcow2Backend implements BlockBackend {
  readonly format = 'qcow2';
  readonly capabilities: BlockCapabilities = { discard: true, efficientZeroes: true, allocationStatus: true };
  private readonly lock = new RwLock();
  private closed = false;
  /** Set when a metadata update failed half-way: memory and file may disagree, so no more writes. */
  private failure: string | null = null;

  constructor(
    private readonly ctx: Qcow2Context,
    readonly readOnly: boolean,
  ) {}

  get path(): string {
    return this.ctx.file.path;
  }

  get size(): number {
    return this.ctx.header.size;
  }

  get clusterSize(): number {
    return this.ctx.cs;
  }

  /** The backing image, if any (opened read-only). */
  get backing(): BlockBackend | null {
    return this.ctx.backing;
  }

  async read(offset: number, dest: Uint8Array): Promise<void> {
    this.checkOpen();
    checkRequest(this.path, this.size, offset, dest.length);
    return this.lock.shared(() => this.readRange(offset, dest));
  }

  async write(offset: number, src: Uint8Array): Promise<void> {
    this.checkWritable();
    checkRequest(this.path, this.size, offset, src.length);
    return this.lock.exclusive(() =>
      this.latchFailure(async () => {
        await writeRange(this.ctx, offset, src);
        await this.afterWrite();
      }),
    );
  }

  async writeZeroes(offset: number, length: number): Promise<void> {
    this.checkWritable();
    checkRequest(this.path, this.size, offset, length);
    const { version } = this.ctx.header;
    const hasBacking = this.ctx.backing !== null;
    if (version === 2 && hasBacking) return this.writeZeroData(offset, length);
    return this.remapWholeClusters(offset, length, version === 3 ? 'zero-flag' : 'unallocated', true);
  }

  async discard(offset: number, length: number): Promise<void> {
    this.checkWritable();
    checkRequest(this.path, this.size, offset, length);
    const hasBacking = this.ctx.backing !== null;
    if (hasBacking && this.ctx.header.version === 2) return;
    return this.remapWholeClusters(offset, length, hasBacking ? 'zero-flag' : 'unallocated', false);
  }

  async flush(): Promise<void> {
    this.checkOpen();
    return this.lock.exclusive(async () => {
      if (!this.readOnly) await this.ctx.file.sync();
    });
  }

  async blockStatus(offset: number, length: number): Promise<Extent[]> {
    this.checkOpen();
    checkRequest(this.path, this.size, offset, length);
    return this.lock.shared(() => this.status(offset, length));
  }

  allocationMap(): Promise<Extent[]> {
    return this.blockStatus(0, this.size);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.ctx.file.close();
    await this.ctx.backing?.close();
  }

  private async readRange(offset: number, dest: Uint8Array): Promise<void> {
    const { cs, map } = this.ctx;
    // Contiguous host clusters are read with one call.
    let run: { host: number; start: number; length: number } | null = null;
    const flushRun = async (): Promise<void> => {
      if (run === null) return;
      const part = dest.subarray(run.start, run.start + run.length);
      const got = await this.ctx.file.read(run.host, part);
      part.fill(0, got);
      run = null;
    };
    for (let done = 0; done < dest.length;) {
      const pos = offset + done;
      const gc = Math.floor(pos / cs);
      const inCluster = pos % cs;
      const n = Math.min(cs - inCluster, dest.length - done);
      const m = await map.lookup(gc);
      if (m.kind === 'normal') {
        const host = m.host + inCluster;
        if (run !== null && run.host + run.length === host) run.length += n;
        else {
          await flushRun();
          run = { host, start: done, length: n };
        }
      } else {
        await flushRun();
        await readMapped(this.ctx, gc, m, inCluster, dest.subarray(done, done + n));
      }
      done += n;
    }
    await flushRun();
  }

  private async afterWrite(): Promise<void> {
    if (this.ctx.cache === 'writethrough') await this.ctx.file.sync();
  }

  /** Whole clusters are remapped; the partial head and tail get zero data when `zeroPartial`. */
  private remapWholeClusters(offset: number, length: number, target: ZeroTarget, zeroPartial: boolean): Promise<void> {
    const { cs } = this.ctx;
    const end = offset + length;
    const firstWhole = Math.ceil(offset / cs);
    // The last cluster may be partial at the end of the disk: it counts as whole when the request reaches
    // the end of the disk.
    const lastWhole = end === this.size ? Math.ceil(end / cs) : Math.floor(end / cs);
    return this.lock.exclusive(() =>
      this.latchFailure(async () => {
        if (lastWhole <= firstWhole) {
          if (zeroPartial) await writeRange(this.ctx, offset, new Uint8Array(length));
        } else {
          if (zeroPartial && offset < firstWhole * cs) {
            await writeRange(this.ctx, offset, new Uint8Array(firstWhole * cs - offset));
          }
          await zeroClusters(this.ctx, firstWhole, lastWhole - firstWhole, target);
          if (zeroPartial && lastWhole * cs < end) {
            await writeRange(this.ctx, lastWhole * cs, new Uint8Array(end - lastWhole * cs));
          }
        }
        await this.afterWrite();
      }),
    );
  }

  private async latchFailure(fn: () => Promise<void>): Promise<void> {
    if (this.failure !== null) {
      throw new BlockError(this.path, `an earlier write failed (${this.failure}): reopen the image to write again`);
    }
    try {
      await fn();
    } catch (e) {
      this.failure = e instanceof Error ? e.message : String(e);
      throw e;
    }
  }

  private async writeZeroData(offset: number, length: number): Promise<void> {
    const zeroes = new Uint8Array(Math.min(length, ZERO_WRITE_CHUNK));
    for (let done = 0; done < length; done += zeroes.length) {
      const n = Math.min(zeroes.length, length - done);
      await this.write(offset + done, zeroes.subarray(0, n));
    }
  }

  private async status(offset: number, length: number): Promise<Extent[]> {
    const { cs, map } = this.ctx;
    const out: Extent[] = [];
    const end = offset + length;
    for (let pos = offset; pos < end;) {
      const gc = Math.floor(pos / cs);
      const l1Index = Math.floor(gc / map.l2Entries);
      if (map.l2Offset(l1Index) === 0) {
        // No L2 table: the whole range it would describe is unallocated.
        const next = Math.min(end, (l1Index + 1) * map.l2Entries * cs);
        pushExtent(out, pos, next - pos, this.unallocatedKind());
        pos = next;
        continue;
      }
      const next = Math.min(end, (gc + 1) * cs);
      pushExtent(out, pos, next - pos, this.kindOf(await map.lookup(gc)));
      pos = next;
    }
    return out;
  }

  private kindOf(m: ClusterMapping): ExtentKind {
    if (m.kind === 'unallocated') return this.unallocatedKind();
    return m.kind === 'zero' ? 'zero' : 'data';
  }

  private unallocatedKind(): ExtentKind {
    return this.ctx.backing === null ? 'hole' : 'backing';
  }

  private checkOpen(): void {
    if (this.closed) throw new BlockError(this.path, 'image is closed');
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.readOnly) throw new BlockError(this.path, 'image is open read-only');
  }
}
