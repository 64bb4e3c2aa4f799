/**
 * `--trace-file FILE.json`: trace events as Chrome trace-event JSON (chrome://tracing, ui.perfetto.dev),
 * streamed to the file as they happen and closed into a complete JSON document by close(). Any other
 * file name keeps the one-line-per-event text log (core/trace.ts FileSink).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { FileSink, toChromeTrace, type TraceRecord, type TraceSink } from '../core/trace';

/** Buffered so a busy trace does not make one write system call per event. */
const FLUSH_BYTES = 1 << 16;

export class ChromeTraceFileSink implements TraceSink {
  private fd: number | null;
  private first = true;
  private pending = '';

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, '{"displayTimeUnit":"ns","traceEvents":[\n');
  }

  write(record: TraceRecord): void {
    if (this.fd === null) return;
    const [event] = toChromeTrace([record]).traceEvents;
    this.pending += (this.first ? '' : ',\n') + JSON.stringify(event);
    this.first = false;
    if (this.pending.length >= FLUSH_BYTES) this.flush();
  }

  close(): void {
    if (this.fd === null) return;
    this.pending += '\n]}\n';
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }

  private flush(): void {
    if (this.fd !== null && this.pending.length > 0) writeSync(this.fd, this.pending);
    this.pending = '';
  }
}

/** The sink for `--trace-file`: Chrome JSON for `.json` names, text lines otherwise. */
export function traceFileSink(path: string): TraceSink & { close(): void } {
  return path.toLowerCase().endsWith('.json') ? new ChromeTraceFileSink(path) : new FileSink(path);
}
