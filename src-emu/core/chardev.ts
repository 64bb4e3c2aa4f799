/**
 * Character devices, after QEMU's chardev: a device holds a `CharFrontend`; the board connects it to a
 * `CharBackend` (ring buffer, null, file, TCP server, stdio, bridge to another thread).
 *
 * Flow control is the point of this module:
 * - Input (backend -> device): the backend queues what its source gives it and hands the device at most
 *   `canReceive()` bytes at a time. It never drops bytes; when the device can take more it calls
 *   `acceptInput()` and delivery resumes. Sources that can be paused (sockets, stdin) are paused while the
 *   queue is above a high-water mark.
 * - Output (device -> backend): `write()` returns how many bytes the backend accepted now and never blocks.
 *   After a short write the backend calls the device's `writable()` handler once it has room again, so a
 *   UART can keep TXFF set and resume transmitting then.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export type CharEvent = 'opened' | 'closed' | 'break';

/** What the device registers with its frontend. */
export interface CharFrontendHandlers {
  /** How many bytes the device can take now (0: hold them). */
  canReceive(): number;
  /** At most canReceive() bytes. The array is only valid during the call. */
  receive(bytes: Uint8Array): void;
  event?(ev: CharEvent): void;
  /** The backend has room again after a write that it accepted only partly. */
  writable?(): void;
}

/** The device side of a character device. */
export class CharFrontend {
  private handlers: CharFrontendHandlers | null = null;
  private backendRef: CharBackend | null = null;

  constructor(backend: CharBackend | null = null) {
    if (backend !== null) this.connect(backend);
  }

  get backend(): CharBackend | null {
    return this.backendRef;
  }

  /** Connects a backend (the board does this); a frontend has at most one. */
  connect(backend: CharBackend): void {
    if (this.backendRef !== null) throw new Error('CharFrontend: already connected to a backend');
    this.backendRef = backend;
    backend.attach(this);
  }

  /** Registers the device's handlers; an open backend reports 'opened' at once, then queued input flows. */
  setHandlers(handlers: CharFrontendHandlers | null): void {
    this.handlers = handlers;
    if (handlers === null || this.backendRef === null) return;
    if (this.backendRef.isOpen) handlers.event?.('opened');
    this.backendRef.pumpInput();
  }

  /**
   * Sends bytes to the backend; returns how many it accepted now (never blocks). Without a backend the
   * bytes go nowhere and all count as accepted, so a device without a console never stalls.
   */
  write(bytes: Uint8Array): number {
    return this.backendRef === null ? bytes.length : this.backendRef.write(bytes);
  }

  /** The device can take more input now: the backend delivers what it holds. */
  acceptInput(): void {
    this.backendRef?.pumpInput();
  }

  sendBreak(on: boolean): void {
    this.backendRef?.setBreak(on);
  }

  // ---- called by the backend ----

  /** @internal */
  canReceive(): number {
    return this.handlers === null ? 0 : Math.max(0, Math.floor(this.handlers.canReceive()));
  }
  /** @internal */
  deliver(bytes: Uint8Array): void {
    this.handlers?.receive(bytes);
  }
  /** @internal */
  signal(ev: CharEvent): void {
    this.handlers?.event?.(ev);
  }
  /** @internal */
  signalWritable(): void {
    this.handlers?.writable?.();
  }
}

/** Input above this many queued bytes pauses a pausable source; below the low mark it resumes. */
export const INPUT_HIGH_WATER = 64 * 1024;
export const INPUT_LOW_WATER = 16 * 1024;

export abstract class CharBackend {
  protected frontend: CharFrontend | null = null;
  private open = false;
  private readonly queue: Uint8Array[] = [];
  private headOffset = 0;
  private queued = 0;
  private pumping = false;
  private pumpAgain = false;
  private wantsWritable = false;
  /** The queue went above the low-water mark; inputDrained() is due when it falls back. */
  private drainDue = false;

  get isOpen(): boolean {
    return this.open;
  }

  /** Input bytes held for the frontend. */
  get bufferedInput(): number {
    return this.queued;
  }

  /** @internal called by CharFrontend.connect */
  attach(frontend: CharFrontend): void {
    if (this.frontend !== null) throw new Error(`${this.constructor.name}: already has a frontend`);
    this.frontend = frontend;
    this.attached();
  }

  /** Subclass hook: the frontend is connected. */
  protected attached(): void {}

  /** Output from the frontend; returns how many bytes were accepted now. */
  write(bytes: Uint8Array): number {
    const accepted = this.writeOutput(bytes);
    if (accepted < bytes.length) this.wantsWritable = true;
    return accepted;
  }

  /** Accepts up to bytes.length bytes (copying what it keeps: the caller may reuse the array). */
  protected abstract writeOutput(bytes: Uint8Array): number;

  /** The frontend asserts or releases a break condition on the line. */
  setBreak(_on: boolean): void {}

  /** Releases host resources (files, sockets, listeners). */
  close(): void | Promise<void> {}

  /** Queues input for the frontend (the array is kept: pass one the caller will not reuse). */
  protected pushInput(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.queue.push(bytes);
    this.queued += bytes.length;
    if (this.queued > INPUT_LOW_WATER) this.drainDue = true;
    this.pumpInput();
  }

  /** Hands queued input to the frontend as far as canReceive() allows. */
  pumpInput(): void {
    if (this.pumping) {
      this.pumpAgain = true; // called from inside receive(): the outer loop continues
      return;
    }
    const frontend = this.frontend;
    if (frontend === null) return;
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (this.queued > 0) {
          const room = frontend.canReceive();
          if (room <= 0) break;
          const head = this.queue[0];
          const count = Math.min(room, head.length - this.headOffset);
          const chunk = head.subarray(this.headOffset, this.headOffset + count);
          this.headOffset += count;
          this.queued -= count;
          if (this.headOffset === head.length) {
            this.queue.shift();
            this.headOffset = 0;
          }
          frontend.deliver(chunk);
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    if (this.drainDue && this.queued <= INPUT_LOW_WATER) {
      this.drainDue = false;
      this.inputDrained();
    }
  }

  /** Subclass hook: queued input fell back to the low-water mark (resume a paused source); once per fall. */
  protected inputDrained(): void {}

  protected get inputAboveHighWater(): boolean {
    return this.queued > INPUT_HIGH_WATER;
  }

  protected setOpen(open: boolean): void {
    if (open === this.open) return;
    this.open = open;
    this.frontend?.signal(open ? 'opened' : 'closed');
  }

  protected signalBreak(): void {
    this.frontend?.signal('break');
  }

  /** Call when there is room for output again; the frontend hears of it only after a short write. */
  protected outputWritable(): void {
    if (!this.wantsWritable) return;
    this.wantsWritable = false;
    this.frontend?.signalWritable();
  }
}

// ---------------------------------------------------------------------------------------------------------
// In-memory backends

/** Discards output, never has input. */
export class NullBackend extends CharBackend {
  protected override attached(): void {
    this.setOpen(true);
  }
  protected writeOutput(bytes: Uint8Array): number {
    return bytes.length;
  }
}

/**
 * Keeps the last `capacity` bytes of output (tests, the app's scrollback) and takes input from `push()`.
 * Output never blocks: old bytes are overwritten.
 */
export class RingBackend extends CharBackend {
  private readonly ring: Uint8Array;
  private end = 0;
  private held = 0;
  /** All output bytes ever written. */
  totalWritten = 0;

  constructor(readonly capacity = 64 * 1024) {
    super();
    this.ring = new Uint8Array(capacity);
  }

  protected override attached(): void {
    this.setOpen(true);
  }

  protected writeOutput(bytes: Uint8Array): number {
    for (const byte of bytes) {
      this.ring[this.end] = byte;
      this.end = (this.end + 1) % this.capacity;
    }
    this.held = Math.min(this.capacity, this.held + bytes.length);
    this.totalWritten += bytes.length;
    return bytes.length;
  }

  /** The held output, oldest first. */
  output(): Uint8Array {
    const out = new Uint8Array(this.held);
    const start = (this.end - this.held + this.capacity) % this.capacity;
    for (let i = 0; i < this.held; i++) out[i] = this.ring[(start + i) % this.capacity];
    return out;
  }

  outputText(): string {
    return new TextDecoder().decode(this.output());
  }

  /** Returns the held output and forgets it. */
  takeOutput(): Uint8Array {
    const out = this.output();
    this.held = 0;
    return out;
  }

  /** Input for the frontend (a string is sent as UTF-8). */
  push(input: Uint8Array | string): void {
    this.pushInput(typeof input === 'string' ? new TextEncoder().encode(input) : input.slice());
  }

  /** A break condition from the outside world (e.g. the user's "send break"). */
  sendBreak(): void {
    this.signalBreak();
  }
}

/** Appends output to a log file; no input. */
export class FileBackend extends CharBackend {
  private fd: number | null;

  constructor(readonly path: string) {
    super();
    this.fd = openSync(path, 'a');
  }

  protected override attached(): void {
    this.setOpen(true);
  }

  protected writeOutput(bytes: Uint8Array): number {
    if (this.fd !== null) writeSync(this.fd, bytes);
    return bytes.length;
  }

  override close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export interface BridgeOptions {
  /** Delivers an output chunk to the other side (a worker message, a SharedArrayBuffer ring...). */
  readonly send: (chunk: Uint8Array) => void;
  /** Output bytes that may be in flight before the other side acknowledges them with ack(). */
  readonly window?: number;
  /** Called when input queued here fell to the low-water mark, so the other side may send more. */
  readonly inputDrained?: () => void;
}

/**
 * Exchanges byte chunks with another thread or the renderer. Output is gathered and sent as one chunk per
 * microtask (not one message per byte), within a credit window the other side replenishes with ack().
 */
export class BridgeBackend extends CharBackend {
  private readonly window: number;
  private pending: Uint8Array;
  private pendingLength = 0;
  private inFlight = 0;
  private flushQueued = false;

  constructor(private readonly options: BridgeOptions) {
    super();
    this.window = options.window ?? 64 * 1024;
    this.pending = new Uint8Array(Math.min(this.window, 4096));
  }

  protected override attached(): void {
    this.setOpen(true);
  }

  protected writeOutput(bytes: Uint8Array): number {
    const room = this.window - this.inFlight - this.pendingLength;
    const count = Math.max(0, Math.min(room, bytes.length));
    if (count === 0) return 0;
    if (this.pendingLength + count > this.pending.length) {
      const grown = new Uint8Array(Math.max(this.pending.length * 2, this.pendingLength + count));
      grown.set(this.pending.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    this.pending.set(bytes.subarray(0, count), this.pendingLength);
    this.pendingLength += count;
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
    return count;
  }

  /** Sends gathered output now (it is also sent automatically at the end of the current task). */
  flush(): void {
    this.flushQueued = false;
    if (this.pendingLength === 0) return;
    const chunk = this.pending.slice(0, this.pendingLength);
    this.inFlight += this.pendingLength;
    this.pendingLength = 0;
    this.options.send(chunk);
  }

  /** The other side consumed `count` output bytes: the window reopens. */
  ack(count: number): void {
    this.inFlight = Math.max(0, this.inFlight - count);
    this.outputWritable();
  }

  /** Input from the other side (the chunk is kept as is: do not reuse it). */
  receive(chunk: Uint8Array): void {
    this.pushInput(chunk);
  }

  /** Connection state or a break from the other side. */
  peerEvent(ev: CharEvent): void {
    if (ev === 'break') this.signalBreak();
    else this.setOpen(ev === 'opened');
  }

  protected override inputDrained(): void {
    this.options.inputDrained?.();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Stream backends: TCP server and stdio

interface ReadablePort {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}
interface WritablePort {
  write(chunk: Uint8Array): boolean;
  readonly writableLength: number;
  readonly writableHighWaterMark: number;
  on(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

/** Shared logic for backends over a Node readable/writable pair (pausing input, output backpressure). */
abstract class StreamBackend extends CharBackend {
  private reader: ReadablePort | null = null;
  private writer: WritablePort | null = null;
  private readerPaused = false;
  private readonly onData = (chunk: Buffer): void => {
    this.pushInput(chunk);
    if (this.inputAboveHighWater && this.reader !== null && !this.readerPaused) {
      this.readerPaused = true;
      this.reader.pause();
    }
  };
  private readonly onDrain = (): void => this.outputWritable();

  protected bindStreams(reader: ReadablePort | null, writer: WritablePort | null): void {
    this.unbindStreams();
    this.reader = reader;
    this.writer = writer;
    reader?.on('data', this.onData);
    writer?.on('drain', this.onDrain);
    this.readerPaused = false;
    if (this.inputAboveHighWater && reader !== null) {
      this.readerPaused = true;
      reader.pause();
    }
  }

  protected unbindStreams(): void {
    this.reader?.off('data', this.onData);
    this.writer?.off('drain', this.onDrain);
    this.reader = null;
    this.writer = null;
    this.outputWritable(); // output is discarded from now on: a waiting device may continue
  }

  protected writeOutput(bytes: Uint8Array): number {
    const writer = this.writer;
    if (writer === null) return bytes.length; // nobody listening: discarded, as QEMU does
    const room = writer.writableHighWaterMark - writer.writableLength;
    const count = Math.max(0, Math.min(room, bytes.length));
    if (count > 0) writer.write(bytes.slice(0, count));
    return count;
  }

  protected override inputDrained(): void {
    if (this.readerPaused && this.reader !== null) {
      this.readerPaused = false;
      this.reader.resume();
    }
  }
}

export interface TcpServerOptions {
  /** 0 (default) picks a free port; see `port` after listen(). */
  readonly port?: number;
  readonly host?: string;
}

/**
 * A TCP server on 127.0.0.1 with one client at a time: a second client is refused while one is connected;
 * after a disconnect the next client is served. Output with no client connected is discarded.
 */
export class TcpServerBackend extends StreamBackend {
  private readonly server: Server;
  private client: Socket | null = null;

  constructor(private readonly options: TcpServerOptions = {}) {
    super();
    this.server = createServer((socket) => this.onConnection(socket));
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve(this.port);
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  get connected(): boolean {
    return this.client !== null;
  }

  private onConnection(socket: Socket): void {
    if (this.client !== null) {
      socket.destroy();
      return;
    }
    this.client = socket;
    socket.setNoDelay(true);
    socket.on('error', () => {}); // 'close' follows and does the work
    socket.on('close', () => {
      if (this.client !== socket) return;
      this.client = null;
      this.unbindStreams();
      this.setOpen(false);
    });
    this.bindStreams(socket, socket);
    this.setOpen(true);
  }

  override close(): Promise<void> {
    this.client?.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface StdioOptions {
  readonly input?: ReadablePort;
  readonly output?: WritablePort;
}

/** The CLI's console: input from stdin, output to stdout (raw mode is the caller's business). */
export class StdioBackend extends StreamBackend {
  constructor(private readonly options: StdioOptions = {}) {
    super();
  }

  protected override attached(): void {
    this.bindStreams(this.options.input ?? process.stdin, this.options.output ?? process.stdout);
    this.setOpen(true);
  }

  override close(): void {
    this.unbindStreams();
    this.setOpen(false);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Mux: several frontends on one backend (QEMU's mux chardev, e.g. a serial port and a monitor)

/** Input byte that starts a mux command (Ctrl-A, as QEMU): Ctrl-A c switches, Ctrl-A b sends a break. */
export const MUX_ESCAPE = 0x01;

/**
 * Shares one backend between several frontends. Output from every port goes to the backend; input goes to
 * the port that has the focus. Flow control holds end to end: the mux takes input from the backend only
 * while the focused port's queue is below its high-water mark.
 */
export class MuxBackend {
  private readonly ports: MuxPort[] = [];
  private readonly upstream = new CharFrontend();
  private focused = 0;
  private escaped = false;

  constructor(backend: CharBackend) {
    this.upstream.connect(backend);
    this.upstream.setHandlers({
      canReceive: () => {
        const port = this.ports[this.focused];
        return port === undefined ? 0 : Math.max(0, INPUT_HIGH_WATER - port.bufferedInput);
      },
      receive: (bytes) => this.route(bytes),
      event: (ev) => {
        for (const port of this.ports) port.relayEvent(ev, port === this.ports[this.focused]);
      },
      writable: () => {
        for (const port of this.ports) port.relayWritable();
      },
    });
  }

  /** A new port; connect a device's frontend to it. The first port has the focus. */
  addPort(): CharBackend {
    const port = new MuxPort(this.upstream, this.backendOpen);
    this.ports.push(port);
    return port;
  }

  get focus(): number {
    return this.focused;
  }

  /** Moves the input focus to port `index`. */
  setFocus(index: number): void {
    if (index < 0 || index >= this.ports.length) throw new Error(`mux: no port ${index}`);
    this.focused = index;
    this.upstream.acceptInput();
  }

  private get backendOpen(): boolean {
    return this.upstream.backend?.isOpen ?? false;
  }

  private route(bytes: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (!this.escaped && bytes[i] !== MUX_ESCAPE) continue;
      this.ports[this.focused].relayInput(bytes.slice(start, i));
      start = i + 1;
      if (!this.escaped) {
        this.escaped = true;
        continue;
      }
      this.escaped = false;
      this.command(bytes[i]);
    }
    this.ports[this.focused].relayInput(bytes.slice(start));
  }

  private command(byte: number): void {
    if (byte === MUX_ESCAPE) this.ports[this.focused].relayInput(Uint8Array.of(MUX_ESCAPE));
    else if (byte === 0x62 /* b */) this.ports[this.focused].relayEvent('break', true);
    else if (byte === 0x63 /* c */) this.setFocus((this.focused + 1) % this.ports.length);
  }
}

class MuxPort extends CharBackend {
  constructor(
    private readonly upstream: CharFrontend,
    private readonly startOpen: boolean,
  ) {
    super();
  }

  protected override attached(): void {
    if (this.startOpen) this.setOpen(true);
  }

  protected writeOutput(bytes: Uint8Array): number {
    return this.upstream.write(bytes);
  }

  override setBreak(on: boolean): void {
    this.upstream.sendBreak(on);
  }

  relayInput(bytes: Uint8Array): void {
    this.pushInput(bytes);
  }

  relayEvent(ev: CharEvent, focused: boolean): void {
    if (ev === 'break') {
      if (focused) this.signalBreak();
    } else {
      this.setOpen(ev === 'opened');
    }
  }

  relayWritable(): void {
    this.outputWritable();
  }

  protected override inputDrained(): void {
    this.upstream.acceptInput();
  }
}
