/**
 * Log masks in the manner of QEMU's `-d`: categories of diagnostic messages that are off unless asked for.
 * Guest mistakes are logged here (never thrown); `unimp` marks features a guest used that we do not model.
 *
 * One logger serves a whole worker (one machine per worker); tests install their own sink.
 */

export const LOG_MASKS = ['guest_errors', 'unimp', 'int', 'mmu', 'exec', 'cpu_reset'] as const;
export type LogMask = (typeof LOG_MASKS)[number];

export interface LogRecord {
  readonly mask: LogMask;
  /** Who speaks: a device path such as `/machine/uart0`, or `cpu0`. */
  readonly source: string;
  readonly message: string;
}

export type LogSink = (record: LogRecord) => void;

const stderrSink: LogSink = (r) => {
  process.stderr.write(`${r.mask}: ${r.source}: ${r.message}\n`);
};

class Logger {
  private enabledMask = 0;
  private sink: LogSink = stderrSink;

  /** Enables exactly the given masks (a comma-separated string as the CLI takes, or a list). */
  setMasks(masks: string | readonly string[]): void {
    const names = typeof masks === 'string' ? masks.split(',').filter((s) => s.length > 0) : masks;
    let bits = 0;
    for (const name of names) {
      const index = LOG_MASKS.indexOf(name.trim() as LogMask);
      if (index < 0) throw new Error(`unknown log mask '${name}' (known: ${LOG_MASKS.join(', ')})`);
      bits |= 1 << index;
    }
    this.enabledMask = bits;
  }

  masks(): LogMask[] {
    return LOG_MASKS.filter((_, i) => (this.enabledMask & (1 << i)) !== 0);
  }

  /** One bit test: call before building an expensive message. */
  enabled(mask: LogMask): boolean {
    return (this.enabledMask & (1 << LOG_MASKS.indexOf(mask))) !== 0;
  }

  setSink(sink: LogSink | null): void {
    this.sink = sink ?? stderrSink;
  }

  log(mask: LogMask, source: string, message: string): void {
    if (this.enabled(mask)) this.sink({ mask, source, message });
  }

  guestError(source: string, message: string): void {
    if ((this.enabledMask & 1) !== 0) this.sink({ mask: 'guest_errors', source, message });
  }

  unimp(source: string, message: string): void {
    if ((this.enabledMask & 2) !== 0) this.sink({ mask: 'unimp', source, message });
  }
}

/** The worker's logger. */
export const logger = new Logger();

/** Formats a guest address or register value the way QEMU's logs do. */
export function hex(value: number | bigint, digits = 0): string {
  const text = value.toString(16);
  return '0x' + (digits > text.length ? '0'.repeat(digits - text.length) + text : text);
}
