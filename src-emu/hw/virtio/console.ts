/**
 * virtio-console (virtio 1.2, 5.3), QEMU's virtio-serial-device: up to 31 ports, each a character device
 * frontend, with VIRTIO_CONSOLE_F_MULTIPORT and its control queues when more than one port is allowed.
 *
 * Queues: port 0 receive/transmit (0, 1), control receive/transmit (2, 3), then port n's pair at
 * 2 + 2n and 3 + 2n (5.3.2). Flow control both ways, like the PL011:
 * - host to guest: the backend may hand over only as many bytes as the next guest receive buffer holds
 *   (canReceive); every delivery fills one buffer and returns it; new buffers resume delivery (acceptInput);
 * - guest to host: a transmit buffer stays in flight until the backend took all of it; after a short write
 *   the backend's writable() continues it. Nothing is dropped in either direction.
 *
 * Control messages (5.3.6.2) are { le32 id, le16 event, le16 value } plus a name for PORT_NAME. Those the
 * device sends wait in a migrated byte queue until the driver posts control receive buffers.
 */
import { CharFrontend } from '../../core/chardev';
import type { CharEvent } from '../../core/chardev';
import { boolProp, defineProps, stringProp, u32Prop } from '../../core/object';
import type { DeviceInit } from '../../core/object';
import { Timer } from '../../core/timer';
import { traceEvents } from '../../core/trace';
import { arrayOf, bool, struct, u32, varArrayOf, vmstate } from '../../core/vmstate';
import { readFromChain, writeToChain } from './chain';
import type { Chain } from './chain';
import { VirtioDevice, virtioCommonVmstate } from './device';
import { features, VirtioDeviceId } from './spec';
import type { FeatureWords } from './spec';
import type { VirtQueue } from './virtqueue';

export const VirtioConsoleFeature = { SIZE: 0, MULTIPORT: 1, EMERG_WRITE: 2 } as const;

/** Control events (5.3.6.2). */
export const VirtioConsoleControl = {
  DEVICE_READY: 0,
  DEVICE_ADD: 1,
  DEVICE_REMOVE: 2,
  PORT_READY: 3,
  CONSOLE_PORT: 4,
  RESIZE: 5,
  PORT_OPEN: 6,
  PORT_NAME: 7,
} as const;

/** Configuration layout (5.3.4). */
export const VIRTIO_CONSOLE_CONFIG = { COLS: 0, ROWS: 2, MAX_NR_PORTS: 4, EMERG_WR: 8, SIZE: 12 } as const;

export const MAX_CONSOLE_PORTS = 31;
/** Queues allocated for every instance, so one snapshot layout fits every port count. */
const QUEUE_SLOTS = 2 * (MAX_CONSOLE_PORTS + 1);
const CONTROL_MESSAGE_BYTES = 8;
const CONTROL_QUEUE_SIZE = 32;
const TX_CHUNK = 64 * 1024;

const trace = traceEvents('virtio_console', {
  control_in: { id: 'u32', event: 'u32', value: 'u32' },
  control_out: { id: 'u32', event: 'u32', value: 'u32' },
  to_guest: { port: 'u32', bytes: 'u32' },
  from_guest: { port: 'u32', bytes: 'u32' },
});

export const VIRTIO_CONSOLE_PROPS = defineProps({
  maxPorts: u32Prop({
    default: MAX_CONSOLE_PORTS,
    min: 1,
    max: MAX_CONSOLE_PORTS,
    doc: "max_nr_ports: more than 1 offers VIRTIO_CONSOLE_F_MULTIPORT (QEMU's max_ports)",
  }),
  ports: u32Prop({ default: 1, min: 1, max: MAX_CONSOLE_PORTS, doc: 'ports present, each a character frontend' }),
  consoles: u32Prop({
    default: 1,
    max: MAX_CONSOLE_PORTS,
    doc: 'the first N ports are consoles (hvc0, hvc1, ...); the others are named serial ports',
  }),
  names: stringProp({ doc: "comma-separated port names (PORT_NAME), e.g. ',org.qemu.guest_agent.0'" }),
  queueSize: u32Prop({
    default: 128,
    min: 2,
    max: 1024,
    doc: "the data queues' size after reset (power of 2; QEMU uses 128, 32 for control)",
    validate: (v) => ((v & (v - 1)) === 0 ? null : 'not a power of 2'),
  }),
  emergencyWrite: boolProp({ default: true, doc: 'offer VIRTIO_CONSOLE_F_EMERG_WRITE (emerg_wr writes to port 0)' }),
});

type ConsoleProps = { readonly maxPorts: number; readonly queueSize: number };

function queueSizes(props: ConsoleProps): number[] {
  const active = props.maxPorts > 1 ? 2 * (props.maxPorts + 1) : 2;
  return Array.from({ length: QUEUE_SLOTS }, (_, i) =>
    i >= active ? 0 : i === 2 || i === 3 ? CONTROL_QUEUE_SIZE : props.queueSize,
  );
}

export class VirtioConsole extends VirtioDevice<typeof VIRTIO_CONSOLE_PROPS> {
  static override readonly typeName = 'virtio-serial-device';
  static override readonly props = VIRTIO_CONSOLE_PROPS;

  // Migrated port state, indexed by port id.
  guestConnected: boolean[] = new Array<boolean>(MAX_CONSOLE_PORTS).fill(false);
  portReady: boolean[] = new Array<boolean>(MAX_CONSOLE_PORTS).fill(false);
  /** Head of the transmit chain being written to the backend, or -1. */
  txHead: number[] = new Array<number>(MAX_CONSOLE_PORTS).fill(-1);
  /** Bytes of that chain the backend already took. */
  txOffset: number[] = new Array<number>(MAX_CONSOLE_PORTS).fill(0);
  deviceReady = false;
  /** Control messages for the driver, each as le16 length then its bytes. */
  controlBytes: number[] = [];
  controlLength = 0;

  /** One frontend per port: the board connects each to a character backend. */
  readonly ports: readonly CharFrontend[] = Array.from(
    { length: Math.min(this.props.ports, MAX_CONSOLE_PORTS) },
    () => new CharFrontend(),
  );
  private readonly txChains: (Chain | null)[] = new Array<Chain | null>(MAX_CONSOLE_PORTS).fill(null);
  private readonly hostConnected: boolean[] = new Array<boolean>(MAX_CONSOLE_PORTS).fill(false);
  private readonly restartTimer = new Timer(this.clock, () => this.resumeAfterLoad());

  static override readonly vmstate = vmstate<VirtioConsole>('virtio-console', {
    version: 1,
    fields: [
      struct('virtio', virtioCommonVmstate(QUEUE_SLOTS)),
      arrayOf('guestConnected', 'bool', MAX_CONSOLE_PORTS),
      arrayOf('portReady', 'bool', MAX_CONSOLE_PORTS),
      arrayOf('txHead', 'i32', MAX_CONSOLE_PORTS),
      arrayOf('txOffset', 'u32', MAX_CONSOLE_PORTS),
      bool('deviceReady'),
      u32('controlLength'),
      varArrayOf('controlBytes', 'u8', 'controlLength'),
    ],
    preSave: (s) => {
      s.controlLength = s.controlBytes.length;
    },
    postLoad: (s) => s.afterLoad(),
  });

  constructor(init: DeviceInit) {
    super(init, queueSizes);
  }

  get deviceId(): number {
    return VirtioDeviceId.CONSOLE;
  }

  override get queueCount(): number {
    return this.multiport ? 2 * (this.props.maxPorts + 1) : 2;
  }

  private get multiport(): boolean {
    return this.props.maxPorts > 1;
  }

  protected override onRealize(): void {
    if (this.props.ports > this.props.maxPorts) {
      throw this.error(`${this.props.ports} ports do not fit in maxPorts ${this.props.maxPorts}`, 'ports');
    }
    if (this.props.consoles > this.props.ports) {
      throw this.error(`more consoles than ports (${this.props.ports})`, 'consoles');
    }
    this.ports.forEach((chr, port) =>
      chr.setHandlers({
        canReceive: () => this.canReceive(port),
        receive: (bytes) => this.receive(port, bytes),
        event: (ev) => this.hostEvent(port, ev),
        writable: () => this.flushTx(port),
      }),
    );
  }

  protected override onUnrealize(): void {
    for (const chr of this.ports) chr.setHandlers(null);
  }

  protected deviceFeatures(): FeatureWords {
    const bits: number[] = [];
    if (this.multiport) bits.push(VirtioConsoleFeature.MULTIPORT);
    if (this.props.emergencyWrite) bits.push(VirtioConsoleFeature.EMERG_WRITE);
    return features(...bits);
  }

  protected configSpace(): Uint8Array {
    const bytes = new Uint8Array(VIRTIO_CONSOLE_CONFIG.SIZE);
    new DataView(bytes.buffer).setUint32(VIRTIO_CONSOLE_CONFIG.MAX_NR_PORTS, this.props.maxPorts, true);
    return bytes;
  }

  protected override configWritten(offset: number, size: number, value: number): void {
    if (offset === VIRTIO_CONSOLE_CONFIG.EMERG_WR && size === 4 && this.props.emergencyWrite) {
      this.ports[0]?.write(new Uint8Array([value & 0xff]));
      return;
    }
    super.configWritten(offset, size, value);
  }

  protected override deviceReset(): void {
    this.guestConnected.fill(false);
    this.portReady.fill(false);
    this.txHead.fill(-1);
    this.txOffset.fill(0);
    this.txChains.fill(null);
    this.deviceReady = false;
    this.controlBytes = [];
    this.controlLength = 0;
    this.restartTimer.del();
  }

  protected override driverReady(): void {
    if (!this.multiport) this.guestConnected[0] = true;
    super.driverReady();
  }

  protected processQueue(queue: VirtQueue): void {
    const index = queue.index;
    if (index === 2) return this.flushControl();
    if (index === 3) return this.readControl(queue);
    const port = index < 2 ? 0 : (index >> 1) - 1;
    if (port >= this.ports.length) {
      // A port that does not exist: return its buffers unused so the driver does not wait on them.
      if ((index & 1) === 1) for (let c = queue.pop(); c !== null; c = queue.pop()) this.complete(queue, c.head, 0);
      return;
    }
    if ((index & 1) === 0) this.ports[port].acceptInput();
    else this.flushTx(port);
  }

  private rxQueue(port: number): VirtQueue {
    return this.virtio.queues[port === 0 ? 0 : 2 + 2 * port];
  }

  private txQueue(port: number): VirtQueue {
    return this.virtio.queues[port === 0 ? 1 : 3 + 2 * port];
  }

  // ---- host to guest -----------------------------------------------------------------------------

  private canReceive(port: number): number {
    if (!this.driverOk || !this.guestConnected[port]) return 0;
    const queue = this.rxQueue(port);
    for (let chain = queue.peek(); chain !== null; chain = queue.peek()) {
      if (chain.writableBytes > 0) return chain.writableBytes;
      // A receive buffer with no room would hold input back forever: hand it back empty.
      this.log.guestError(`port ${port}: receive buffer ${chain.head} has no device-writable part`);
      queue.pop();
      this.complete(queue, chain.head, 0);
    }
    return 0;
  }

  private receive(port: number, bytes: Uint8Array): void {
    const queue = this.rxQueue(port);
    const chain = this.driverOk ? queue.pop() : null;
    if (chain === null) {
      this.log.guestError(`port ${port}: ${bytes.length} input bytes arrived without a receive buffer`);
      return;
    }
    const count = Math.min(bytes.length, chain.writableBytes);
    if (count < bytes.length)
      this.log.guestError(`port ${port}: receive buffer shrank; ${bytes.length - count} bytes lost`);
    if (writeToChain(this.memory!, chain, 0, bytes.subarray(0, count)) !== count) {
      this.fail(`port ${port}: receive buffer ${chain.head} no longer in guest RAM`);
      return;
    }
    trace.to_guest(port, count);
    this.complete(queue, chain.head, count);
  }

  private hostEvent(port: number, ev: CharEvent): void {
    if (ev === 'break') return;
    const open = ev === 'opened';
    this.hostConnected[port] = open;
    if (this.multiport && this.portReady[port]) this.sendControl(port, VirtioConsoleControl.PORT_OPEN, open ? 1 : 0);
  }

  // ---- guest to host -----------------------------------------------------------------------------

  /** Writes transmit buffers to the backend until it is full or the queue is empty. */
  private flushTx(port: number): void {
    const queue = this.txQueue(port);
    const chr = this.ports[port];
    while (this.driverOk) {
      let chain = this.txChains[port];
      if (chain === null) {
        chain = queue.pop();
        if (chain === null) return;
        this.txChains[port] = chain;
        this.txHead[port] = chain.head;
        this.txOffset[port] = 0;
      }
      const offset = this.txOffset[port];
      if (offset > chain.readableBytes) return this.fail(`port ${port}: transmit offset ${offset} beyond its buffer`);
      // At most one piece per round, so a huge (aliased) transmit chain never needs a huge host buffer.
      const pending = new Uint8Array(Math.min(TX_CHUNK, chain.readableBytes - offset));
      if (readFromChain(this.memory!, chain, offset, pending) !== pending.length) {
        this.fail(`port ${port}: transmit buffer ${chain.head} no longer in guest RAM`);
        return;
      }
      const accepted = pending.length === 0 ? 0 : chr.write(pending);
      trace.from_guest(port, accepted);
      this.txOffset[port] = offset + accepted;
      if (accepted < pending.length) return; // writable() continues
      if (this.txOffset[port] < chain.readableBytes) continue;
      this.txChains[port] = null;
      this.txHead[port] = -1;
      this.txOffset[port] = 0;
      this.complete(queue, chain.head, 0);
    }
  }

  // ---- control queues ----------------------------------------------------------------------------

  private readControl(queue: VirtQueue): void {
    for (let chain = queue.pop(); chain !== null; chain = queue.pop()) {
      const bytes = new Uint8Array(CONTROL_MESSAGE_BYTES);
      if (chain.readableBytes < CONTROL_MESSAGE_BYTES) {
        this.log.guestError(`control message of ${chain.readableBytes} bytes is too short`);
      } else if (readFromChain(this.memory!, chain, 0, bytes) !== bytes.length) {
        return this.fail('control message no longer in guest RAM');
      } else {
        const view = new DataView(bytes.buffer);
        this.handleControl(view.getUint32(0, true), view.getUint16(4, true), view.getUint16(6, true));
      }
      this.complete(queue, chain.head, 0);
      if (this.broken) return;
    }
  }

  private handleControl(id: number, event: number, value: number): void {
    trace.control_in(id, event, value);
    if (event === VirtioConsoleControl.DEVICE_READY) {
      if (value !== 1) return this.log.guestError('driver failed to set up the device (DEVICE_READY 0)');
      this.deviceReady = true;
      for (let port = 0; port < this.ports.length; port++) this.sendControl(port, VirtioConsoleControl.DEVICE_ADD, 1);
      return;
    }
    if (id >= this.ports.length) {
      this.log.guestError(`control event ${event} for port ${id}, which does not exist`);
      return;
    }
    switch (event) {
      case VirtioConsoleControl.PORT_READY:
        if (value === 1) this.portReadied(id);
        else this.log.guestError(`driver failed to add port ${id}`);
        return;
      case VirtioConsoleControl.PORT_OPEN:
        this.guestConnected[id] = value === 1;
        if (value === 1) {
          this.ports[id].acceptInput();
          this.flushTx(id);
        }
        return;
      default:
        this.log.guestError(`unexpected control event ${event} for port ${id}`);
    }
  }

  /** PORT_READY: say what the port is (console, name) and whether the host side is connected. */
  private portReadied(port: number): void {
    this.portReady[port] = true;
    if (port < this.props.consoles) this.sendControl(port, VirtioConsoleControl.CONSOLE_PORT, 1);
    const name = this.props.names.split(',')[port] ?? '';
    if (name !== '') this.sendControl(port, VirtioConsoleControl.PORT_NAME, 1, new TextEncoder().encode(name));
    if (this.hostConnected[port]) this.sendControl(port, VirtioConsoleControl.PORT_OPEN, 1);
  }

  private sendControl(id: number, event: number, value: number, extra: Uint8Array = new Uint8Array(0)): void {
    trace.control_out(id, event, value);
    const message = new Uint8Array(CONTROL_MESSAGE_BYTES + extra.length);
    const view = new DataView(message.buffer);
    view.setUint32(0, id, true);
    view.setUint16(4, event, true);
    view.setUint16(6, value, true);
    message.set(extra, CONTROL_MESSAGE_BYTES);
    this.controlBytes.push(message.length & 0xff, message.length >> 8, ...message);
    this.flushControl();
  }

  /** Moves queued control messages into the driver's control receive buffers. */
  private flushControl(): void {
    const queue = this.virtio.queues[2];
    while (this.controlBytes.length > 0 && this.driverOk) {
      const chain = queue.pop();
      if (chain === null) return;
      const length = this.controlBytes[0] | (this.controlBytes[1] << 8);
      const message = Uint8Array.from(this.controlBytes.slice(2, 2 + length));
      this.controlBytes.splice(0, 2 + length);
      const count = Math.min(length, chain.writableBytes);
      if (count < length)
        this.log.guestError(`control receive buffer of ${chain.writableBytes} bytes truncates a message`);
      if (writeToChain(this.memory!, chain, 0, message.subarray(0, count)) !== count) {
        return this.fail('control receive buffer no longer in guest RAM');
      }
      this.complete(queue, chain.head, count);
    }
  }

  // ---- restore -----------------------------------------------------------------------------------

  private afterLoad(): string | void {
    if (this.controlLength !== this.controlBytes.length) return 'control message queue length mismatch';
    for (let at = 0; at < this.controlBytes.length;) {
      const length = this.controlBytes[at] | (this.controlBytes[at + 1] << 8);
      if (length < CONTROL_MESSAGE_BYTES || at + 2 + length > this.controlBytes.length) {
        return 'control message queue is corrupt';
      }
      at += 2 + length;
    }
    for (let port = 0; port < MAX_CONSOLE_PORTS; port++) {
      const head = this.txHead[port];
      if (head < -1 || head >= 0x10000 || (head >= 0 && port >= this.ports.length)) {
        return `port ${port}: bad transmit head ${head}`;
      }
      this.txChains[port] = null;
    }
    // Guest RAM may be restored after this section: re-walk pending transmit chains when the machine runs.
    this.restartTimer.modNs(this.clock.now());
  }

  private resumeAfterLoad(): void {
    for (let port = 0; port < this.ports.length; port++) {
      const head = this.txHead[port];
      if (head >= 0) {
        const chain = this.txQueue(port).chainAt(head);
        if (chain === null) return;
        this.txChains[port] = chain;
      }
      this.flushTx(port);
      this.ports[port].acceptInput();
    }
    this.flushControl();
  }
}
