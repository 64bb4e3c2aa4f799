/**
 * Raw images: the file is the disk. The size is the file's length; creation makes a sparse file.
 *
 * Node has no fallocate, so zeroes are written as zeroes (in bounded chunks) and discard is advisory and
 * ignored; a new image is sparse because it is only extended with truncate.
 */
import { RwLock } from './rw-lock';
import { openImageFile, type ImageFile } from './image-file';
import {
  BlockError,
  checkRequest,
  type BlockBackend,
  type BlockCapabilities,
  type CacheMode,
  type Extent,
} from './types';

const ZERO_CHUNK = 1 << 20;

export interface RawOptions {
  readonly readOnly?: boolean;
  readonly cache?: CacheMode;
}

export class RawBackend implements BlockBackend {
  readonly format = 'raw';
  readonly capabilities: BlockCapabilities = { discard: false, efficientZeroes: false, allocationStatus: false };
  private readonly lock = new RwLock();
  private closed = false;

  private constructor(
    private readonly file: ImageFile,
    readonly size: number,
    readonly readOnly: boolean,
    private readonly cache: CacheMode,
  ) {}

  get path(): string {
    return this.file.path;
  }

  static async open(path: string, options: RawOptions = {}): Promise<RawBackend> {
    const readOnly = options.readOnly ?? false;
    const file = await openImageFile(path, readOnly ? 'r' : 'rw');
    return RawBackend.fromFile(file, readOnly, options.cache ?? 'writeback');
  }

  /** Wraps an already open file (tests interpose on the file). */
  static fromFile(file: ImageFile, readOnly: boolean, cache: CacheMode = 'writeback'): RawBackend {
    return new RawBackend(file, file.length, readOnly, cache);
  }

  async read(offset: number, dest: Uint8Array): Promise<void> {
    this.checkOpen();
    checkRequest(this.path, this.size, offset, dest.length);
    return this.lock.shared(async () => {
      const got = await this.file.read(offset, dest);
      dest.fill(0, got);
    });
  }

  async write(offset: number, src: Uint8Array): Promise<void> {
    this.checkWritable();
    checkRequest(this.path, this.size, offset, src.length);
    return this.lock.shared(async () => {
      await this.file.write(offset, src);
      if (this.cache === 'writethrough') await this.file.sync();
    });
  }

  async writeZeroes(offset: number, length: number): Promise<void> {
    this.checkWritable();
    checkRequest(this.path, this.size, offset, length);
    const zeroes = new Uint8Array(Math.min(length, ZERO_CHUNK));
    for (let done = 0; done < length; done += zeroes.length) {
      const n = Math.min(zeroes.length, length - done);
      await this.write(offset + done, n === zeroes.length ? zeroes : zeroes.subarray(0, n));
    }
  }

  async discard(offset: number, length: number): Promise<void> {
    this.checkWritable();
    checkRequest(this.path, this.size, offset, length);
  }

  async flush(): Promise<void> {
    this.checkOpen();
    return this.lock.exclusive(() => (this.readOnly ? Promise.resolve() : this.file.sync()));
  }

  async blockStatus(offset: number, length: number): Promise<Extent[]> {
    checkRequest(this.path, this.size, offset, length);
    return length === 0 ? [] : [{ offset, length, kind: 'data' }];
  }

  allocationMap(): Promise<Extent[]> {
    return this.blockStatus(0, this.size);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.file.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new BlockError(this.path, 'image is closed');
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.readOnly) throw new BlockError(this.path, 'image is open read-only');
  }
}

/** Creates a sparse raw image of `size` bytes (the file must not exist). */
export async function createRaw(path: string, size: number): Promise<void> {
  if (!Number.isSafeInteger(size) || size < 0) throw new BlockError(path, `invalid size ${size}`);
  const file = await openImageFile(path, 'create');
  try {
    await file.truncate(size);
    await file.sync();
  } finally {
    await file.close();
  }
}
