/**
 * Trace events, after QEMU's trace-events files: declared per device with typed arguments, off by default,
 * enabled at run time by glob patterns, delivered to sinks (ring buffer for the UI timeline, stderr, file).
 *
 *   const trace = traceEvents('pl031', { read: { offset: 'u32', value: 'u32' }, alarm: {} });
 *   trace.read(offset, value);      // event 'pl031_read'
 *
 * Arguments are positional, in declaration order. The compiler checks their count and that each one is of
 * a declared kind (it cannot see the order of an object type's keys, so with mixed kinds it checks kinds
 * as a set). A disabled event costs one property test: the generated function returns before it builds
 * anything, so callers pass values without guarding.
 *
 * One registry serves a whole worker (one machine per worker), like the logger.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { VirtualClock } from './timer';

export type TraceArgKind = 'u8' | 'u16' | 'u32' | 'u64' | 'i32' | 'i64' | 'bool' | 'str';
export type TraceValue = number | bigint | boolean | string;
type KindValue<K> = K extends 'u64' | 'i64'
  ? number | bigint
  : K extends 'bool'
    ? boolean
    : K extends 'str'
      ? string
      : number;

export type TraceArgs = Readonly<Record<string, TraceArgKind>>;
export type TraceDeclarations = Readonly<Record<string, TraceArgs>>;

// Counting an object type's keys needs a union-to-tuple walk; its order is irrelevant here, only its length.
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type LastOf<U> = UnionToIntersection<U extends unknown ? () => U : never> extends () => infer R ? R : never;
type KeyTuple<U, Acc extends unknown[] = []> = [U] extends [never]
  ? Acc
  : KeyTuple<Exclude<U, LastOf<U>>, [LastOf<U>, ...Acc]>;
type Fill<T extends readonly unknown[], V> = { [I in keyof T]: V };
type Params<A extends TraceArgs> =
  KeyTuple<keyof A> extends infer K extends unknown[] ? Fill<K, KindValue<A[keyof A]>> : never;

export type TraceFunctions<D extends TraceDeclarations> = {
  readonly [E in keyof D & string]: (...args: Params<D[E]>) => void;
};

/** A declared event, as the registry and sinks see it. */
export interface TraceEvent {
  /** Full name, `group_event`. */
  readonly name: string;
  readonly group: string;
  readonly args: TraceArgs;
  readonly enabled: boolean;
}

export interface TraceRecord {
  /** Virtual ns when a clock is attached, else host monotonic ns. */
  readonly ns: number;
  readonly event: TraceEvent;
  /** Argument values in declaration order. */
  readonly values: readonly TraceValue[];
}

export interface TraceSink {
  write(record: TraceRecord): void;
}

interface EventState extends TraceEvent {
  enabled: boolean;
  readonly argNames: readonly string[];
}

interface Rule {
  readonly pattern: string;
  readonly regex: RegExp;
  readonly enable: boolean;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export class TraceRegistry {
  private readonly events = new Map<string, EventState>();
  private readonly rules: Rule[] = [];
  private readonly sinks: TraceSink[] = [];
  private clock: VirtualClock | null = null;

  /** Declares a group's events (normally once, at module load) and returns one function per event. */
  declare<D extends TraceDeclarations>(group: string, declarations: D): TraceFunctions<D> {
    const functions: Record<string, (...args: TraceValue[]) => void> = {};
    for (const [event, args] of Object.entries(declarations)) {
      const state = this.register(`${group}_${event}`, group, args);
      functions[event] = this.emitterFor(state);
    }
    return functions as unknown as TraceFunctions<D>;
  }

  private register(name: string, group: string, args: TraceArgs): EventState {
    const existing = this.events.get(name);
    if (existing !== undefined) {
      if (JSON.stringify(existing.args) !== JSON.stringify(args)) {
        throw new Error(`trace event '${name}' is declared twice with different arguments`);
      }
      return existing;
    }
    const state: EventState = { name, group, args, argNames: Object.keys(args), enabled: false };
    state.enabled = this.ruleVerdict(name);
    this.events.set(name, state);
    return state;
  }

  // Fixed arities keep the disabled path free of rest-array allocation.
  private emitterFor(ev: EventState): (...args: TraceValue[]) => void {
    switch (ev.argNames.length) {
      case 0:
        return () => {
          if (ev.enabled) this.emit(ev, []);
        };
      case 1:
        return (a: TraceValue) => {
          if (ev.enabled) this.emit(ev, [a]);
        };
      case 2:
        return (a: TraceValue, b: TraceValue) => {
          if (ev.enabled) this.emit(ev, [a, b]);
        };
      case 3:
        return (a: TraceValue, b: TraceValue, c: TraceValue) => {
          if (ev.enabled) this.emit(ev, [a, b, c]);
        };
      case 4:
        return (a: TraceValue, b: TraceValue, c: TraceValue, d: TraceValue) => {
          if (ev.enabled) this.emit(ev, [a, b, c, d]);
        };
      default:
        return (...values: TraceValue[]) => {
          if (ev.enabled) this.emit(ev, values);
        };
    }
  }

  private emit(event: EventState, values: TraceValue[]): void {
    const ns = this.clock !== null ? this.clock.now() : Math.floor(performance.now() * 1e6);
    const record: TraceRecord = { ns, event, values };
    for (const sink of this.sinks) sink.write(record);
  }

  private ruleVerdict(name: string): boolean {
    let enabled = false;
    for (const rule of this.rules) if (rule.regex.test(name)) enabled = rule.enable;
    return enabled;
  }

  private addRule(pattern: string, enable: boolean): number {
    const rule = { pattern, regex: globToRegExp(pattern), enable };
    this.rules.push(rule);
    let matched = 0;
    for (const ev of this.events.values()) {
      if (rule.regex.test(ev.name)) {
        ev.enabled = enable;
        matched++;
      }
    }
    return matched;
  }

  /** Enables events matching a glob (`pl011_*`, `*_irq`), now and for events declared later. */
  enable(pattern: string): number {
    return this.addRule(pattern, true);
  }

  disable(pattern: string): number {
    return this.addRule(pattern, false);
  }

  /**
   * Replaces all rules with a QEMU-style list: `pl011_*,-pl011_irq` (a leading '-' disables). Later
   * patterns win over earlier ones.
   */
  configure(patterns: string | readonly string[]): void {
    const list = typeof patterns === 'string' ? patterns.split(',') : patterns;
    this.rules.length = 0;
    for (const ev of this.events.values()) ev.enabled = false;
    for (const raw of list) {
      const pattern = raw.trim();
      if (pattern === '') continue;
      if (pattern.startsWith('-')) this.disable(pattern.slice(1));
      else this.enable(pattern);
    }
  }

  /** Current rules as configure() takes them. */
  patterns(): string[] {
    return this.rules.map((r) => (r.enable ? r.pattern : `-${r.pattern}`));
  }

  list(): TraceEvent[] {
    return [...this.events.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  isEnabled(name: string): boolean {
    return this.events.get(name)?.enabled ?? false;
  }

  /**
   * The live state of a declared event: its `enabled` flag follows later rule changes, so a hot caller can
   * test it before computing arguments (one property load instead of a map lookup).
   */
  event(name: string): TraceEvent | undefined {
    return this.events.get(name);
  }

  /** Timestamps come from this clock (virtual ns) when attached, else from the host. */
  attachClock(clock: VirtualClock | null): void {
    this.clock = clock;
  }

  addSink(sink: TraceSink): void {
    if (!this.sinks.includes(sink)) this.sinks.push(sink);
  }

  removeSink(sink: TraceSink): void {
    const index = this.sinks.indexOf(sink);
    if (index >= 0) this.sinks.splice(index, 1);
  }
}

/** The worker's trace registry. */
export const traceRegistry = new TraceRegistry();

/** Declares a group's events in the worker's registry (see the module comment). */
export function traceEvents<D extends TraceDeclarations>(group: string, declarations: D): TraceFunctions<D> {
  return traceRegistry.declare(group, declarations);
}

// ---------------------------------------------------------------------------------------------------------
// Formatting and sinks

function formatValue(kind: TraceArgKind, value: TraceValue): string {
  switch (kind) {
    case 'i32':
    case 'i64':
    case 'bool':
      return String(value);
    case 'str':
      return JSON.stringify(value);
    default:
      return typeof value === 'bigint' || typeof value === 'number' ? '0x' + value.toString(16) : String(value);
  }
}

/** One line in QEMU's log style: `pl031_read offset=0x0 value=0x1`. */
export function formatTraceRecord(record: TraceRecord): string {
  let line = record.event.name;
  const names = Object.keys(record.event.args);
  for (let i = 0; i < names.length; i++) {
    line += ` ${names[i]}=${formatValue(record.event.args[names[i]], record.values[i])}`;
  }
  return line;
}

/** Keeps the last `capacity` records for the UI timeline. */
export class TraceRing implements TraceSink {
  private readonly records: (TraceRecord | undefined)[];
  private next = 0;
  private count = 0;
  /** Records overwritten before anyone read them. */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`TraceRing: bad capacity ${capacity}`);
    this.records = new Array<TraceRecord | undefined>(capacity);
  }

  write(record: TraceRecord): void {
    if (this.count === this.capacity) this.dropped++;
    else this.count++;
    this.records[this.next] = record;
    this.next = (this.next + 1) % this.capacity;
  }

  get size(): number {
    return this.count;
  }

  /** The held records, oldest first, left in place. */
  snapshot(): TraceRecord[] {
    const out: TraceRecord[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.records[(start + i) % this.capacity] as TraceRecord);
    return out;
  }

  /** The held records, oldest first; the ring is emptied. */
  drain(): TraceRecord[] {
    const out = this.snapshot();
    this.records.fill(undefined);
    this.count = 0;
    this.next = 0;
    return out;
  }
}

/** Writes one line per record through `write` (stderr by default). */
export class LineSink implements TraceSink {
  constructor(private readonly writeLine: (line: string) => void = (line) => process.stderr.write(line)) {}

  write(record: TraceRecord): void {
    this.writeLine(formatTraceRecord(record) + '\n');
  }
}

/** Appends one line per record to a file (with the timestamp first, as `-trace file=` logs do). */
export class FileSink implements TraceSink {
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(record: TraceRecord): void {
    if (this.fd !== null) writeSync(this.fd, `${record.ns} ${formatTraceRecord(record)}\n`);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Chrome trace / Perfetto export

export interface ChromeTraceEvent {
  readonly name: string;
  readonly cat: string;
  readonly ph: 'i';
  readonly s: 't';
  /** Microseconds. */
  readonly ts: number;
  readonly pid: number;
  readonly tid: number;
  readonly args: Record<string, number | string | boolean>;
}

/** Records as Chrome's trace-event JSON (opens in chrome://tracing and ui.perfetto.dev). */
export function toChromeTrace(records: readonly TraceRecord[]): {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ns';
} {
  const traceEvents = records.map((record): ChromeTraceEvent => {
    const args: Record<string, number | string | boolean> = {};
    Object.keys(record.event.args).forEach((name, i) => {
      const value = record.values[i];
      args[name] = typeof value === 'bigint' ? '0x' + value.toString(16) : value;
    });
    return {
      name: record.event.name,
      cat: record.event.group,
      ph: 'i',
      s: 't',
      ts: record.ns / 1000,
      pid: 1,
      tid: 1,
      args,
    };
  });
  return { traceEvents, displayTimeUnit: 'ns' };
}
