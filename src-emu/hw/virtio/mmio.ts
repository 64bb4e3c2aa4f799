/**
 * The virtio-mmio transport (virtio 1.2, 4.2): one 0x200-byte register window and one interrupt line per
 * slot, as on QEMU's virt board. Version 2 by default; `forceLegacy` gives the version 1 layout (QueuePFN,
 * GuestPageSize, QueueAlign) that QEMU's transport shows unless `force-legacy=false`.
 *
 * A slot with no device answers DeviceID 0 and ignores writes, as QEMU's empty transports do, so drivers
 * skip it. A device is plugged in before realize with `plug()`; it becomes a child of the transport.
 */
import { hi32, joinU64, lo32 } from '../../core/bits';
import { IrqLine } from '../../core/irq';
import { ADDRESS_LIMIT } from '../../core/memory';
import type { AddressSpace } from '../../core/memory';
import { boolProp, defineProps, SysBusDevice } from '../../core/object';
import { traceEvents } from '../../core/trace';
import { u32, vmstate } from '../../core/vmstate';
import type { VirtioDevice, VirtioTransportLink } from './device';
import {
  decodeOffset,
  LEGACY_ONLY,
  MODERN_ONLY,
  VIRTIO_MMIO_CONFIG,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_SIZE,
  VIRTIO_MMIO_VENDOR,
} from './mmio-registers';
import type { VirtioMmioRegister } from './mmio-registers';
import type { VirtQueue } from './virtqueue';

const trace = traceEvents('virtio_mmio', {
  read: { offset: 'u32', value: 'u32' },
  write: { offset: 'u32', value: 'u32' },
  setting_irq: { level: 'bool' },
  queue_notify: { queue: 'u32' },
});

export const VIRTIO_MMIO_PROPS = defineProps({
  forceLegacy: boolProp({
    default: false,
    doc: "legacy (version 1) register layout, as QEMU's virtio-mmio 'force-legacy' (QEMU's default is on)",
  }),
});

/** Addresses at or above 2^53 cannot be RAM: they are kept as this value, which every DMA check refuses. */
const UNREACHABLE = ADDRESS_LIMIT - 1;

export class VirtioMmio extends SysBusDevice<typeof VIRTIO_MMIO_PROPS> implements VirtioTransportLink {
  static override readonly typeName = 'virtio-mmio';
  static override readonly props = VIRTIO_MMIO_PROPS;

  deviceFeaturesSel = 0;
  driverFeaturesSel = 0;
  queueSel = 0;
  /** log2 of GuestPageSize (legacy). */
  guestPageShift = 0;

  readonly irq = new IrqLine(this, 'irq');
  readonly mmio = this.initMmio('virtio-mmio', VIRTIO_MMIO_SIZE, {
    read: (offset, size) => this.read(offset, size),
    write: (offset, size, value) => this.write(offset, size, value),
    valid: { min: 1, max: 4 },
  });

  private plugged: VirtioDevice | null = null;
  private dma: AddressSpace | null = null;

  static override readonly vmstate = vmstate<VirtioMmio>('virtio-mmio', {
    version: 1,
    fields: [u32('deviceFeaturesSel'), u32('driverFeaturesSel'), u32('queueSel'), u32('guestPageShift')],
    validate: (loaded) => {
      if ((loaded.guestPageShift ?? 0) > 31) return `guest page shift ${loaded.guestPageShift} is above 31`;
    },
    postLoad: (s) => s.updateIrq(),
  });

  /** The device in this slot, or null. */
  get device(): VirtioDevice | null {
    return this.plugged;
  }

  get legacy(): boolean {
    return this.props.forceLegacy;
  }

  get memory(): AddressSpace | null {
    return this.dma;
  }

  /** Guest memory that rings and buffers live in (the board's system address space). */
  connectDma(memory: AddressSpace): void {
    this.dma = memory;
  }

  /** Path a device must have to be plugged into this transport. */
  childPath(name: string): string {
    return `${this.path}/${name}`;
  }

  /** Puts `device` in this slot (before realize: hot-plug is not modelled). */
  plug(device: VirtioDevice): void {
    if (this.realized) throw this.error('devices are plugged in before realize');
    if (this.plugged !== null) throw this.error(`already holds ${this.plugged.path}`);
    this.addChild(device);
    this.plugged = device;
    device.attachTransport(this);
  }

  protected override onRealize(): void {
    if (this.plugged !== null && !this.plugged.realized) this.plugged.realize();
  }

  override resetEnter(): void {
    this.deviceFeaturesSel = this.driverFeaturesSel = this.queueSel = 0;
    this.guestPageShift = 0;
  }

  override resetHold(): void {
    this.updateIrq();
  }

  /** From the device: its interrupt status changed. */
  interruptChanged(): void {
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = (this.plugged?.isr ?? 0) !== 0;
    trace.setting_irq(level);
    this.irq.set(level);
  }

  // ---- reads -------------------------------------------------------------------------------------

  private read(offset: number, size: number): number {
    const target = decodeOffset(offset);
    let value = 0;
    if (target.kind === 'config') {
      value = this.plugged === null ? 0 : this.plugged.readConfig(offset - VIRTIO_MMIO_CONFIG, size);
    } else if (target.kind === 'unknown') {
      this.log.guestError(`read at bad offset 0x${offset.toString(16)}`);
    } else if (this.accessAllowed(target.name, size, 'read')) {
      value = this.readRegister(target.name);
    }
    trace.read(offset, value);
    return value;
  }

  /** Size and layout checks for registers below the configuration space. */
  private accessAllowed(name: VirtioMmioRegister, size: number, what: string): boolean {
    if (size !== 4) {
      this.log.guestError(`${what} of ${name} with size ${size}; registers take 32-bit accesses`);
      return false;
    }
    const legacy = this.props.forceLegacy;
    if ((legacy && MODERN_ONLY.has(name)) || (!legacy && LEGACY_ONLY.has(name))) {
      this.log.guestError(`${what} of ${name}, which the ${legacy ? 'legacy' : 'version 2'} layout does not have`);
      return false;
    }
    return true;
  }

  private readRegister(name: VirtioMmioRegister): number {
    switch (name) {
      case 'MAGIC_VALUE':
        return VIRTIO_MMIO_MAGIC;
      case 'VERSION':
        return this.props.forceLegacy ? 1 : 2;
      case 'VENDOR_ID':
        return VIRTIO_MMIO_VENDOR;
      default:
        break;
    }
    const device = this.plugged;
    if (device === null) return 0; // empty slot: read-as-zero, so DeviceID is 0
    switch (name) {
      case 'DEVICE_ID':
        return device.deviceId;
      case 'DEVICE_FEATURES':
        return device.offeredFeatures(this.deviceFeaturesSel);
      case 'QUEUE_NUM_MAX':
        return device.queue(this.queueSel)?.maxSize ?? 0;
      case 'QUEUE_PFN':
        return device.queue(this.queueSel)?.legacyPfn ?? 0;
      case 'QUEUE_READY':
        return device.queue(this.queueSel)?.ready ? 1 : 0;
      case 'INTERRUPT_STATUS':
        return device.isr;
      case 'STATUS':
        return device.status;
      case 'CONFIG_GENERATION':
        return device.configGeneration;
      case 'SHM_LEN_LOW':
      case 'SHM_LEN_HIGH':
      case 'SHM_BASE_LOW':
      case 'SHM_BASE_HIGH':
        return 0xffffffff; // no shared memory regions (4.2.2: length -1)
      default:
        this.log.guestError(`read of write-only register ${name}`);
        return 0;
    }
  }

  // ---- writes ------------------------------------------------------------------------------------

  private write(offset: number, size: number, value: number): void {
    trace.write(offset, value);
    const target = decodeOffset(offset);
    const device = this.plugged;
    if (target.kind === 'unknown') {
      this.log.guestError(`write at bad offset 0x${offset.toString(16)}`);
      return;
    }
    if (device === null) return; // empty slot: writes are ignored
    if (target.kind === 'config') {
      device.writeConfig(offset - VIRTIO_MMIO_CONFIG, size, value);
      return;
    }
    if (this.accessAllowed(target.name, size, 'write')) this.writeRegister(device, target.name, value >>> 0);
  }

  private writeRegister(device: VirtioDevice, name: VirtioMmioRegister, value: number): void {
    switch (name) {
      case 'DEVICE_FEATURES_SEL':
        this.deviceFeaturesSel = value;
        return;
      case 'DRIVER_FEATURES':
        device.writeDriverFeatures(this.driverFeaturesSel, value);
        return;
      case 'DRIVER_FEATURES_SEL':
        this.driverFeaturesSel = value;
        return;
      case 'GUEST_PAGE_SIZE':
        this.guestPageShift = value === 0 ? 0 : 31 - Math.clz32(value & -value);
        return;
      case 'QUEUE_SEL':
        this.queueSel = value;
        return;
      case 'QUEUE_NOTIFY':
        trace.queue_notify(value & 0xffff);
        device.notifyQueue(value & 0xffff);
        return;
      case 'INTERRUPT_ACK':
        device.ackInterrupt(value);
        return;
      case 'STATUS':
        device.setStatus(value);
        return;
      case 'SHM_SEL':
        return;
      default:
        this.writeQueueRegister(device, name, value);
    }
  }

  private writeQueueRegister(device: VirtioDevice, name: VirtioMmioRegister, value: number): void {
    const queue = device.queue(this.queueSel);
    if (queue === null || queue.maxSize === 0) {
      this.log.guestError(`write to ${name} for queue ${this.queueSel}, which does not exist`);
      return;
    }
    if (name === 'QUEUE_READY') return this.setReady(device, queue, value);
    if (name === 'QUEUE_PFN') return this.setLegacyPfn(device, queue, value);
    if (name !== 'QUEUE_ALIGN' && queue.ready) {
      this.log.guestError(`write to ${name} while queue ${queue.index} is ready; ignored`);
      return;
    }
    switch (name) {
      case 'QUEUE_NUM':
        if (value === 0 || value > queue.maxSize || (value & (value - 1)) !== 0) {
          this.log.guestError(`queue ${queue.index} size ${value} is not a power of 2 up to ${queue.maxSize}`);
          return;
        }
        queue.size = value;
        return;
      case 'QUEUE_ALIGN':
        if (value === 0 || (value & (value - 1)) !== 0) {
          this.log.guestError(`queue ${queue.index} alignment ${value} is not a power of 2`);
          return;
        }
        queue.legacyAlign = value;
        return;
      case 'QUEUE_DESC_LOW':
      case 'QUEUE_DESC_HIGH':
        queue.descAddr = setHalf(queue.descAddr, name === 'QUEUE_DESC_HIGH', value);
        return;
      case 'QUEUE_DRIVER_LOW':
      case 'QUEUE_DRIVER_HIGH':
        queue.availAddr = setHalf(queue.availAddr, name === 'QUEUE_DRIVER_HIGH', value);
        return;
      case 'QUEUE_DEVICE_LOW':
      case 'QUEUE_DEVICE_HIGH':
        queue.usedAddr = setHalf(queue.usedAddr, name === 'QUEUE_DEVICE_HIGH', value);
        return;
      default:
        this.log.guestError(`write to read-only register ${name}`);
    }
  }

  /** QueueReady (4.2.2): the rings must be aligned as 2.7 requires (desc 16, available 2, used 4). */
  private setReady(device: VirtioDevice, queue: VirtQueue, value: number): void {
    if ((value & 1) === 0) {
      queue.ready = false;
      return;
    }
    if (queue.descAddr % 16 !== 0 || queue.availAddr % 2 !== 0 || queue.usedAddr % 4 !== 0) {
      device.fail(
        `queue ${queue.index}: misaligned rings (desc 0x${queue.descAddr.toString(16)}, ` +
          `driver 0x${queue.availAddr.toString(16)}, device 0x${queue.usedAddr.toString(16)})`,
      );
      return;
    }
    queue.ready = true;
  }

  /** Legacy QueuePFN (4.2.4): one contiguous area, available ring after the table, used ring aligned. */
  private setLegacyPfn(device: VirtioDevice, queue: VirtQueue, pfn: number): void {
    queue.legacyPfn = pfn;
    if (pfn === 0) {
      queue.reset();
      return;
    }
    const desc = pfn * 2 ** this.guestPageShift;
    const avail = desc + 16 * queue.size;
    const align = queue.legacyAlign;
    queue.descAddr = desc;
    queue.availAddr = avail;
    queue.usedAddr = Math.ceil((avail + 6 + 2 * queue.size) / align) * align;
    this.setReady(device, queue, 1);
  }
}

function setHalf(current: number, high: boolean, value: number): number {
  const lo = high ? lo32(current) : value;
  const hi = high ? value : current >= UNREACHABLE ? 0 : hi32(current);
  const address = joinU64(lo, hi);
  return hi >= 0x200000 ? UNREACHABLE : address;
}
