/**
 * A VM's console transcript on disk (console.log in its folder, console-hvc0.log for a virtio console), bounded: when the file would grow past
 * `maxBytes` it is renamed to console.log.1 (replacing the previous one) and a new file is started.
 * Writes are queued so chunks land in order; a failing disk never stops the VM, it only ends the log.
 */
import { appendFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const CONSOLE_LOG_FILE = 'console.log';

/** The transcript file of a console: console.log for the serial one, console-hvc0.log... for the others. */
export function consoleLogFile(console: string): string {
  return console === 'serial0' ? CONSOLE_LOG_FILE : `console-${console}.log`;
}

export class ConsoleLog {
  private size: number | null = null;
  private queue: Promise<void> = Promise.resolve();
  private failed: string | null = null;
  readonly path: string;

  constructor(
    folder: string,
    private readonly maxBytes: number,
    file = CONSOLE_LOG_FILE,
  ) {
    if (maxBytes <= 0) throw new Error(`ConsoleLog: bad size limit ${maxBytes}`);
    this.path = join(folder, file);
  }

  /** Why logging stopped, if it did. */
  get error(): string | null {
    return this.failed;
  }

  append(bytes: Uint8Array): void {
    if (this.failed !== null || bytes.length === 0) return;
    const copy = bytes.slice();
    this.queue = this.queue
      .then(() => this.write(copy))
      .catch((error: unknown) => {
        this.failed = error instanceof Error ? error.message : String(error);
      });
  }

  /** Resolves when every chunk appended so far is on disk. */
  flushed(): Promise<void> {
    return this.queue;
  }

  private async write(bytes: Uint8Array): Promise<void> {
    this.size ??= await stat(this.path).then(
      (s) => s.size,
      () => 0,
    );
    if (this.size > 0 && this.size + bytes.length > this.maxBytes) {
      await rename(this.path, `${this.path}.1`);
      this.size = 0;
    }
    await appendFile(this.path, bytes);
    this.size += bytes.length;
  }
}
