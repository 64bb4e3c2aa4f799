/**
 * The consoles a worker carries over the protocol: 'serial0' (the PL011) and 'hvc0'... (virtio console
 * ports), each a BridgeBackend with its own output window and its own count of input the guest has taken.
 */
import { BridgeBackend } from '../core/chardev';
import type { VirtConsolePort } from '../machine/virt';
import { SERIAL_CONSOLE } from '../../src-shared/api/vm-config';
import type { WorkerReport } from './protocol';

/** How often pending console input is checked for what the guest has taken meanwhile. */
const CONSUMED_POLL_MS = 20;

class ConsoleChannel {
  inputReceived = 0;
  consumedReported = 0;

  constructor(readonly backend: BridgeBackend) {}

  get consumed(): number {
    return this.inputReceived - this.backend.bufferedInput;
  }
}

export class ConsoleChannels {
  private readonly channels = new Map<string, ConsoleChannel>();
  private consumedPoll: ReturnType<typeof setInterval> | null = null;
  /** Set once the machine is gone: input still waiting will never be taken, so polling stops. */
  private ended = false;

  /** Consoles `serial0` and `hvc0`..`hvc<virtioPorts - 1>`, output windows of `window` bytes. */
  constructor(
    private readonly post: (report: WorkerReport) => void,
    virtioPorts: number,
    window: number,
  ) {
    const ids = [SERIAL_CONSOLE, ...Array.from({ length: virtioPorts }, (_, i) => `hvc${i}`)];
    for (const console of ids) {
      const backend = new BridgeBackend({ send: (bytes) => post({ type: 'console-output', console, bytes }), window });
      this.channels.set(console, new ConsoleChannel(backend));
    }
  }

  get serial(): BridgeBackend {
    return this.channels.get(SERIAL_CONSOLE)!.backend;
  }

  /** The virtio console ports for the board, hvc0 first. */
  get virtioPorts(): VirtConsolePort[] {
    return [...this.channels]
      .filter(([id]) => id !== SERIAL_CONSOLE)
      .map(([, channel]) => ({ backend: channel.backend }));
  }

  /** Input for a console (one this machine does not have is ignored: main checks the id first). */
  input(console: string, bytes: Uint8Array): void {
    const channel = this.channels.get(console);
    if (channel === undefined) return;
    channel.inputReceived += bytes.length;
    channel.backend.receive(bytes);
    this.reportConsumed();
  }

  ack(console: string, count: number): void {
    this.channels.get(console)?.backend.ack(count);
  }

  sendBreak(console: string): void {
    this.channels.get(console)?.backend.peerEvent('break');
  }

  /** The machine is gone: send the last output and what the guest took, and stop polling. */
  end(): void {
    this.ended = true;
    for (const channel of this.channels.values()) channel.backend.flush();
    this.reportConsumed();
  }

  /** Reports what the guest took of each console's input; polls while some input still waits. */
  private reportConsumed(): void {
    let waiting = false;
    for (const [console, channel] of this.channels) {
      const consumed = channel.consumed;
      if (consumed > channel.consumedReported) {
        channel.consumedReported = consumed;
        this.post({ type: 'console-consumed', console, total: consumed });
      }
      if (consumed < channel.inputReceived) waiting = true;
    }
    waiting &&= !this.ended;
    if (waiting && this.consumedPoll === null) {
      this.consumedPoll = setInterval(() => this.reportConsumed(), CONSUMED_POLL_MS);
    } else if (!waiting && this.consumedPoll !== null) {
      clearInterval(this.consumedPoll);
      this.consumedPoll = null;
    }
  }
}
