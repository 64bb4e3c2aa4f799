/**
 * The trace timeline's source in the worker: a TraceRing sink on the worker's trace registry, timestamped
 * with the machine's virtual clock, drained incrementally (each record is delivered once) by the inspector.
 * Tracing costs nothing until a pattern enables some events.
 */
import type { VirtualClock } from '../core/timer';
import { formatTraceRecord, traceRegistry, TraceRing } from '../core/trace';
import type { InspectorAnswer } from '../../src-shared/api/inspector';

/** Records kept between two drains; older ones are dropped (and counted) when the UI falls behind. */
export const TRACE_RING_CAPACITY = 8192;

export class TraceFeed {
  private readonly ring = new TraceRing(TRACE_RING_CAPACITY);
  private droppedReported = 0;

  constructor(clock: VirtualClock) {
    traceRegistry.attachClock(clock);
    traceRegistry.addSink(this.ring);
  }

  /** Replaces the patterns (QEMU's -trace list, '-' disables); returns what is now in force. */
  configure(patterns: readonly string[]): InspectorAnswer<'trace-events'> {
    traceRegistry.configure(patterns);
    return this.events();
  }

  events(): InspectorAnswer<'trace-events'> {
    return {
      kind: 'trace-events',
      patterns: traceRegistry.patterns(),
      events: traceRegistry.list().map((e) => ({ name: e.name, group: e.group, enabled: e.enabled })),
    };
  }

  /** Everything recorded since the last drain. */
  drain(): InspectorAnswer<'trace-records'> {
    const records = this.ring.drain().map((record) => {
      const line = formatTraceRecord(record);
      return {
        ns: record.ns,
        name: record.event.name,
        group: record.event.group,
        args: line.slice(record.event.name.length).trim(),
      };
    });
    const dropped = this.ring.dropped - this.droppedReported;
    this.droppedReported = this.ring.dropped;
    return { kind: 'trace-records', records, dropped };
  }

  close(): void {
    traceRegistry.removeSink(this.ring);
    traceRegistry.configure([]);
  }
}
