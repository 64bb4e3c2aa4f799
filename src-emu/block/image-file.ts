/**
 * Positional file access for disk images. Formats talk to this interface rather than to a FileHandle so that
 * tests can interpose (the crash tests cut the sequence of writes short).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { BlockError } from './types';

export interface ImageFile {
  readonly path: string;
  /** Current file length in bytes (kept up to date by writes and truncate). */
  readonly length: number;
  /** Reads up to `dest.length` bytes at `position`; returns how many were read (less at end of file). */
  read(position: number, dest: Uint8Array): Promise<number>;
  write(position: number, src: Uint8Array): Promise<void>;
  truncate(length: number): Promise<void>;
  /** fdatasync: completed writes reach the disk. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

class NodeImageFile implements ImageFile {
  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    public length: number,
  ) {}

  async read(position: number, dest: Uint8Array): Promise<number> {
    let done = 0;
    while (done < dest.length) {
      const { bytesRead } = await this.handle.read(dest, done, dest.length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  async write(position: number, src: Uint8Array): Promise<void> {
    let done = 0;
    while (done < src.length) {
      const { bytesWritten } = await this.handle.write(src, done, src.length - done, position + done);
      done += bytesWritten;
    }
    this.length = Math.max(this.length, position + src.length);
  }

  async truncate(length: number): Promise<void> {
    await this.handle.truncate(length);
    this.length = length;
  }

  sync(): Promise<void> {
    return this.handle.datasync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Opens an existing image file; `create` makes a new empty one (failing if it exists). */
export async function openImageFile(path: string, mode: 'r' | 'rw' | 'create'): Promise<ImageFile> {
  const flags = mode === 'r' ? 'r' : mode === 'rw' ? 'r+' : 'wx+';
  const handle = await open(path, flags);
  try {
    const { size } = await handle.stat();
    return new NodeImageFile(path, handle, size);
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Reads exactly `length` bytes, or throws naming the file when the file is shorter. */
export async function readExact(file: ImageFile, position: number, length: number, what: string): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  const got = await file.read(position, buf);
  if (got !== length) {
    throw new BlockError(file.path, `${what} at offset ${position} is cut short by the end of the file`);
  }
  return buf;
}
