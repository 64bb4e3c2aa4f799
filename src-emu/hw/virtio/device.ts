/**
 * The transport-independent half of a virtio device (virtio 1.2, sections 2 and 3): status, feature
 * negotiation, interrupt status, the configuration generation, and the device's virtqueues.
 *
 * A device (blk, console, rng) extends VirtioDevice and supplies its features, its configuration bytes and
 * what to do with a queue's buffers. A transport (virtio-mmio) plugs the device in and forwards register
 * accesses; the device reaches back only through the small VirtioTransportLink it is handed.
 *
 * Guest mistakes in the rings put the device in the "broken" state (DEVICE_NEEDS_RESET plus a
 * configuration-change interrupt, as QEMU's virtio_error): nothing more is processed until a reset.
 */
import type { AddressSpace } from '../../core/memory';
import { Device } from '../../core/object';
import type { DeviceInit, PropSchema, PropValues } from '../../core/object';
import { arrayOf, bool, structArray, u32, u8, vmstate } from '../../core/vmstate';
import type { VMStateDescription } from '../../core/vmstate';
import { featureMask, featureWord, VirtioFeature, VirtioInterrupt, VirtioStatus } from './spec';
import type { FeatureWords } from './spec';
import { VIRTQUEUE_VMSTATE, VirtQueue } from './virtqueue';
import type { QueueOwner } from './virtqueue';

/** What a device may ask of the transport it is plugged into. */
export interface VirtioTransportLink {
  /** The legacy (version 1) register layout: no VIRTIO_F_VERSION_1. */
  readonly legacy: boolean;
  /** Guest memory for DMA, or null while unconnected. */
  readonly memory: AddressSpace | null;
  /** The interrupt status changed: the transport updates its line. */
  interruptChanged(): void;
}

/** Migrated common state, kept apart from the device's own fields so one description covers it. */
export class VirtioCommon implements QueueOwner {
  status = 0;
  /** Features the driver wrote: bits 0-31 and 32-63. */
  readonly driverFeatures = new Uint32Array(2);
  isr = 0;
  configGeneration = 0;
  broken = false;
  readonly queues: VirtQueue[];
  link: VirtioTransportLink | null = null;

  constructor(
    queueSizes: readonly number[],
    private readonly onFail: (message: string) => void,
  ) {
    this.queues = queueSizes.map((size, index) => new VirtQueue(this, index, size));
  }

  get memory(): AddressSpace | null {
    return this.link?.memory ?? null;
  }

  has(bit: number): boolean {
    return (this.driverFeatures[featureWord(bit)] & featureMask(bit)) !== 0;
  }

  get indirectNegotiated(): boolean {
    return this.has(VirtioFeature.RING_INDIRECT_DESC);
  }

  get eventIdxNegotiated(): boolean {
    return this.has(VirtioFeature.RING_EVENT_IDX);
  }

  get notifyOnEmptyNegotiated(): boolean {
    return this.has(VirtioFeature.NOTIFY_ON_EMPTY);
  }

  fail(message: string): void {
    this.onFail(message);
  }
}

/** The common state's description for a device with `queueCount` queues (a fixed count per device type). */
export function virtioCommonVmstate(queueCount: number): VMStateDescription<VirtioCommon> {
  return vmstate<VirtioCommon>('virtio', {
    version: 1,
    fields: [
      u8('status'),
      arrayOf('driverFeatures', 'u32', 2),
      u8('isr'),
      u32('configGeneration'),
      bool('broken'),
      structArray('queues', VIRTQUEUE_VMSTATE, queueCount),
    ],
    postLoad: (s) => {
      for (const q of s.queues) {
        const problem = VirtQueue.checkLoaded(q, q.maxSize);
        if (problem !== null) return `queue ${q.index}: ${problem}`;
        if (q.maxSize === 0 && q.ready) return `queue ${q.index} does not exist but is ready`;
      }
    },
  });
}

const TRANSPORT_FEATURES: FeatureWords = [
  featureMask(VirtioFeature.RING_INDIRECT_DESC) | featureMask(VirtioFeature.RING_EVENT_IDX),
  0,
];
/** What QEMU adds for a legacy driver. */
const LEGACY_FEATURES = featureMask(VirtioFeature.NOTIFY_ON_EMPTY) | featureMask(VirtioFeature.ANY_LAYOUT);

export abstract class VirtioDevice<P extends PropSchema = PropSchema> extends Device<P> {
  readonly virtio: VirtioCommon;

  /** `queueSizes` gives each queue's size after reset from the property values (0: the queue is absent). */
  constructor(init: DeviceInit, queueSizes: (props: PropValues<P>) => readonly number[]) {
    super(init);
    this.virtio = new VirtioCommon(queueSizes(this.props), (message) => this.fail(message));
  }

  /** The virtio device ID (5): 2 block, 3 console, 4 entropy. */
  abstract get deviceId(): number;

  // ---- what a device type supplies ------------------------------------------------------------------

  /** Device-specific feature bits offered (the transport adds its own). */
  protected abstract deviceFeatures(): FeatureWords;
  /** The configuration space as it reads now. */
  protected abstract configSpace(): Uint8Array;
  /** The driver notified `queue` (DRIVER_OK is set and the device is not broken). */
  protected abstract processQueue(queue: VirtQueue): void;

  /** A driver write into the configuration space; by default it is read-only. */
  protected configWritten(offset: number, size: number, _value: number): void {
    this.log.guestError(`write of ${size} bytes to read-only configuration offset 0x${offset.toString(16)}`);
  }

  /** Features were accepted (FEATURES_OK set, or DRIVER_OK on a legacy transport). */
  protected featuresAccepted(): void {}

  /** DRIVER_OK: by default every queue is looked at, since notifications before it were not acted on. */
  protected driverReady(): void {
    for (const queue of this.virtio.queues) if (queue.ready) this.processQueue(queue);
  }

  /** The device was reset: drop requests and device state (completions still under way must be ignored). */
  protected deviceReset(): void {}

  /** How many queues the transport shows (QueueNumMax is 0 beyond). */
  get queueCount(): number {
    return this.virtio.queues.length;
  }

  // ---- called by the transport --------------------------------------------------------------------

  attachTransport(link: VirtioTransportLink | null): void {
    this.virtio.link = link;
  }

  get transportLink(): VirtioTransportLink | null {
    return this.virtio.link;
  }

  get status(): number {
    return this.virtio.status;
  }

  get isr(): number {
    return this.virtio.isr;
  }

  get configGeneration(): number {
    return this.virtio.configGeneration;
  }

  get broken(): boolean {
    return this.virtio.broken;
  }

  /** DeviceFeatures word 0 or 1 (later words read 0). */
  offeredFeatures(word: number): number {
    if (word > 1) return 0;
    let value = (this.deviceFeatures()[word] | TRANSPORT_FEATURES[word]) >>> 0;
    const legacy = this.virtio.link?.legacy ?? false;
    if (word === 0 && legacy) value = (value | LEGACY_FEATURES) >>> 0;
    if (word === 1 && !legacy) value = (value | featureMask(VirtioFeature.VERSION_1)) >>> 0;
    return value;
  }

  writeDriverFeatures(word: number, value: number): void {
    const status = this.virtio.status;
    if (word > 1) {
      if (value !== 0) this.log.guestError(`driver features word ${word} = 0x${value.toString(16)}: no such features`);
      return;
    }
    const closed = this.virtio.link?.legacy ? VirtioStatus.DRIVER_OK : VirtioStatus.FEATURES_OK;
    if ((status & closed) !== 0) {
      this.log.guestError('driver features written after negotiation ended; ignored');
      return;
    }
    // A legacy driver cannot be refused: it gets what it asked for within what is offered, as QEMU does.
    this.virtio.driverFeatures[word] = this.virtio.link?.legacy ? value & this.offeredFeatures(word) : value;
  }

  queue(index: number): VirtQueue | null {
    return index < this.queueCount ? (this.virtio.queues[index] ?? null) : null;
  }

  setStatus(value: number): void {
    value &= 0xff;
    if (value === 0) {
      this.resetVirtio();
      this.virtio.link?.interruptChanged();
      return;
    }
    const old = this.virtio.status;
    if ((old & ~value) !== 0) {
      this.log.guestError(`status 0x${value.toString(16)} clears bits of 0x${old.toString(16)}; ignored`);
      return;
    }
    const added = value & ~old;
    if ((added & VirtioStatus.FEATURES_OK) !== 0 && !this.featuresAcceptable()) value &= ~VirtioStatus.FEATURES_OK;
    const legacy = this.virtio.link?.legacy ?? false;
    if ((added & VirtioStatus.DRIVER_OK) !== 0 && !legacy && (value & VirtioStatus.FEATURES_OK) === 0) {
      this.log.guestError('DRIVER_OK without FEATURES_OK; ignored');
      value &= ~VirtioStatus.DRIVER_OK;
    }
    this.virtio.status = value;
    if ((value & added & VirtioStatus.FEATURES_OK) !== 0) this.featuresAccepted();
    if ((value & added & VirtioStatus.DRIVER_OK) !== 0) {
      if (legacy) this.featuresAccepted();
      if (!this.virtio.broken) this.driverReady();
    }
  }

  /** FEATURES_OK is refused for features never offered, or (modern) without VIRTIO_F_VERSION_1 (6.1). */
  private featuresAcceptable(): boolean {
    for (let word = 0; word < 2; word++) {
      const extra = this.virtio.driverFeatures[word] & ~this.offeredFeatures(word);
      if (extra !== 0) {
        this.log.guestError(`FEATURES_OK refused: unoffered features 0x${(extra >>> 0).toString(16)} in word ${word}`);
        return false;
      }
    }
    if (!this.virtio.link?.legacy && !this.virtio.has(VirtioFeature.VERSION_1)) {
      this.log.guestError('FEATURES_OK refused: VIRTIO_F_VERSION_1 not accepted');
      return false;
    }
    return true;
  }

  notifyQueue(index: number): void {
    const queue = this.queue(index);
    if (queue === null) {
      this.log.guestError(`notify for queue ${index}, which does not exist`);
      return;
    }
    if ((this.virtio.status & VirtioStatus.DRIVER_OK) === 0 || this.virtio.broken) return;
    if (queue.ready) this.processQueue(queue);
  }

  ackInterrupt(bits: number): void {
    this.virtio.isr &= ~bits;
    this.virtio.link?.interruptChanged();
  }

  readConfig(offset: number, size: number): number {
    const bytes = this.configSpace();
    if (offset + size > bytes.length) {
      // All ones, as QEMU answers reads past the end of the configuration space.
      this.log.guestError(`configuration read of ${size} bytes at 0x${offset.toString(16)} beyond ${bytes.length}`);
      return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    }
    let value = 0;
    for (let i = 0; i < size; i++) value |= bytes[offset + i] << (8 * i);
    return value >>> 0;
  }

  writeConfig(offset: number, size: number, value: number): void {
    if (offset + size > this.configSpace().length) {
      this.log.guestError(`configuration write of ${size} bytes at 0x${offset.toString(16)} beyond the end`);
      return;
    }
    this.configWritten(offset, size, value);
  }

  // ---- for device types -----------------------------------------------------------------------------

  /** A negotiated feature. */
  protected hasFeature(bit: number): boolean {
    return this.virtio.has(bit);
  }

  protected get driverOk(): boolean {
    return (this.virtio.status & VirtioStatus.DRIVER_OK) !== 0 && !this.virtio.broken;
  }

  protected get memory(): AddressSpace | null {
    return this.virtio.memory;
  }

  /** Returns a chain to the driver and interrupts if the driver asked for it. */
  protected complete(queue: VirtQueue, head: number, written: number): void {
    queue.push(head, written);
    this.notify(queue);
  }

  /** Raises the used-buffer interrupt when the queue's suppression rules allow it. */
  protected notify(queue: VirtQueue): void {
    if (queue.notificationNeeded()) this.raise(VirtioInterrupt.USED_BUFFER);
  }

  /** The configuration changed: new generation, and an interrupt once the driver is running. */
  protected configChanged(): void {
    this.virtio.configGeneration = (this.virtio.configGeneration + 1) >>> 0;
    if ((this.virtio.status & VirtioStatus.DRIVER_OK) !== 0) this.raise(VirtioInterrupt.CONFIG_CHANGE);
  }

  private raise(bit: number): void {
    this.virtio.isr |= bit;
    this.virtio.link?.interruptChanged();
  }

  /** A malformed ring or chain: log it, stop processing, and ask the driver for a reset. */
  fail(message: string): void {
    this.log.guestError(`${this.typeName}: ${message}; device needs reset`);
    if (this.virtio.broken) return;
    this.virtio.broken = true;
    if (this.virtio.has(VirtioFeature.VERSION_1)) {
      this.virtio.status |= VirtioStatus.DEVICE_NEEDS_RESET;
      this.configChanged();
    }
  }

  /** Device reset (status 0 or system reset): everything the driver set up is forgotten. */
  resetVirtio(): void {
    const v = this.virtio;
    v.status = 0;
    v.driverFeatures.fill(0);
    v.isr = 0;
    v.broken = false;
    for (const queue of v.queues) queue.reset();
    this.deviceReset();
  }

  override resetEnter(): void {
    this.resetVirtio();
  }
}
