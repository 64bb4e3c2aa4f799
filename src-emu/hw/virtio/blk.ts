/**
 * virtio-blk (virtio 1.2, 5.2): a disk on one request queue, backed by an asynchronous block backend
 * (src-emu/block's raw or qcow2 images fit `VirtioBlockBackend`).
 *
 * A request is a chain: a 16-byte header (le32 type, le32 reserved, le64 sector) and any data the device
 * reads, then any data it writes and the status byte last. Requests go to the backend as promises; the vCPU
 * loop never waits for the host. Requests under way are tracked by head index and migrated: after a restore
 * they are walked again from guest RAM and re-submitted (reads and writes of the same data are
 * idempotent), as QEMU re-submits its in-flight requests. A reset or restore makes completions of older
 * requests stale: they are dropped, never written to guest memory.
 *
 * When a request completes depends on the clock's mode:
 * - realtime: as soon as the backend is done, in whatever order the host finishes them;
 * - deterministic: at a virtual time fixed when the guest submits it, submission + `deterministicLatencyNs`
 *   (the first timer pass at or after it: a deadline inside a running quantum is met at the quantum's end,
 *   like every device timer). The guest's write data is copied at submission and read data reaches guest
 *   RAM only at completion, so nothing the guest sees depends on host timing. If the host has not finished
 *   by the deadline, the completion timer's gate holds the machine, virtual time frozen, until it has
 *   (core/timer.ts HostWorkGate). Requests complete in deadline order, ties in submission order; the
 *   deadlines are migrated (subsection 'virtio-blk/deadlines'), so a restored machine completes them at the
 *   same virtual times. A deterministic request moves its data through one host buffer: requests over
 *   MAX_STAGED_BYTES fail with IOERR (Linux sends at most a few MiB).
 */
import { boolProp, defineProps, stringProp, u32Prop } from '../../core/object';
import type { DeviceInit } from '../../core/object';
import { Timer } from '../../core/timer';
import { traceEvents } from '../../core/trace';
import { bool, struct, subsection, u32, varArrayOf, vmstate } from '../../core/vmstate';
import { gatherReadable, readFromChain, writeToChain } from './chain';
import type { Chain } from './chain';
import { VirtioDevice, virtioCommonVmstate } from './device';
import { features, VirtioDeviceId } from './spec';
import type { FeatureWords } from './spec';
import type { VirtQueue } from './virtqueue';

/** What virtio-blk needs of a disk image; src-emu/block's BlockBackend provides it. */
export interface VirtioBlockBackend {
  /** Virtual disk size in bytes. */
  readonly size: number;
  readonly readOnly: boolean;
  readonly capabilities: { readonly discard: boolean };
  read(offset: number, dest: Uint8Array): Promise<void>;
  write(offset: number, src: Uint8Array): Promise<void>;
  flush(): Promise<void>;
  discard(offset: number, length: number): Promise<void>;
  writeZeroes(offset: number, length: number): Promise<void>;
}

/** Feature bits (5.2.3). */
export const VirtioBlkFeature = {
  SIZE_MAX: 1,
  SEG_MAX: 2,
  GEOMETRY: 4,
  RO: 5,
  BLK_SIZE: 6,
  FLUSH: 9,
  TOPOLOGY: 10,
  CONFIG_WCE: 11,
  MQ: 12,
  DISCARD: 13,
  WRITE_ZEROES: 14,
} as const;

/** Request types (5.2.6). */
export const VirtioBlkRequest = {
  IN: 0,
  OUT: 1,
  FLUSH: 4,
  GET_ID: 8,
  GET_LIFETIME: 10,
  DISCARD: 11,
  WRITE_ZEROES: 13,
  SECURE_ERASE: 14,
} as const;

/** Status byte values (5.2.6). */
export const VirtioBlkStatus = { OK: 0, IOERR: 1, UNSUPP: 2 } as const;

/** Configuration layout (5.2.4): offsets of the fields this device fills. */
export const VIRTIO_BLK_CONFIG = {
  CAPACITY: 0,
  SIZE_MAX: 8,
  SEG_MAX: 12,
  /** le16 cylinders, u8 heads, u8 sectors. */
  GEOMETRY: 16,
  BLK_SIZE: 20,
  WRITEBACK: 32,
  NUM_QUEUES: 34,
  MAX_DISCARD_SECTORS: 36,
  MAX_DISCARD_SEG: 40,
  DISCARD_SECTOR_ALIGNMENT: 44,
  MAX_WRITE_ZEROES_SECTORS: 48,
  MAX_WRITE_ZEROES_SEG: 52,
  WRITE_ZEROES_MAY_UNMAP: 56,
  /** Through write_zeroes_may_unmap, as QEMU 7.2 sizes it with discard and write-zeroes. */
  SIZE: 57,
} as const;

const SECTOR = 512;
const HEADER_BYTES = 16;
const ID_BYTES = 20;
/** QEMU's BDRV_REQUEST_MAX_SECTORS, the per-request limit it advertises for discard and write-zeroes. */
const MAX_RANGE_SECTORS = 0x3fffff;
/** Data moves between guest RAM and the backend in pieces of at most this size: host memory stays bounded. */
const TRANSFER_CHUNK = 1024 * 1024;
/** Requests taken from the ring at once; the rest wait there until one completes. */
const MAX_IN_FLIGHT = 64;
/** Deterministic mode: the largest request whose data is held in one host buffer. */
export const MAX_STAGED_BYTES = 64 * 1024 * 1024;
/** A status not known yet (the host work is under way). */
const PENDING = -1;
const WRITE_ZEROES_UNMAP = 1;
/** QEMU's guess for a disk without a partition table: 16 heads, 63 sectors, 2..16383 cylinders. */
const GEOMETRY_HEADS = 16;
const GEOMETRY_SECTORS = 63;
const GEOMETRY_MAX_CYLINDERS = 16383;

const trace = traceEvents('virtio_blk', {
  req: { head: 'u32', type: 'u32', sector: 'u64', bytes: 'u32' },
  complete: { head: 'u32', status: 'u32' },
});

export const VIRTIO_BLK_PROPS = defineProps({
  readOnly: boolProp({ doc: 'offer VIRTIO_BLK_F_RO and refuse writes (also implied by a read-only backend)' }),
  serial: stringProp({
    doc: 'what GET_ID returns (at most 20 bytes)',
    validate: (v) => (new TextEncoder().encode(v).length > ID_BYTES ? 'longer than 20 bytes' : null),
  }),
  logicalBlockSize: u32Prop({
    default: 512,
    min: 512,
    max: 65536,
    doc: 'blk_size: the logical block size (power of 2)',
    validate: (v) => ((v & (v - 1)) === 0 ? null : 'not a power of 2'),
  }),
  queueSize: u32Prop({
    default: 256,
    min: 4,
    max: 1024,
    doc: "the request queue's size after reset (power of 2); seg_max is 2 less, as QEMU's queue-size",
    validate: (v) => ((v & (v - 1)) === 0 ? null : 'not a power of 2'),
  }),
  discard: boolProp({ default: true, doc: "offer DISCARD (QEMU's discard property)" }),
  writeZeroes: boolProp({ default: true, doc: "offer WRITE_ZEROES (QEMU's write-zeroes property)" }),
  deterministicLatencyNs: u32Prop({
    default: 100_000,
    min: 1,
    doc: 'deterministic mode: virtual ns from the submission of a request to its completion',
  }),
});

interface Request {
  readonly epoch: number;
  readonly queue: VirtQueue;
  readonly chain: Chain;
  /** Deterministic mode: the virtual time it completes at; -1 in realtime mode. */
  readonly deadline: number;
  /** Deterministic mode: the status once the host work is done, PENDING until then. */
  status: number;
  /** Deterministic mode: settles when the host work is done (null when it finished at submission). */
  work: Promise<void> | null;
  /** Deterministic mode: data read for the guest, copied into its buffers at completion. */
  staged: Uint8Array | null;
}

export class VirtioBlk extends VirtioDevice<typeof VIRTIO_BLK_PROPS> {
  static override readonly typeName = 'virtio-blk-device';
  static override readonly props = VIRTIO_BLK_PROPS;

  /** The write cache is on (CONFIG_WCE's writeback field); off means every write is flushed before it completes. */
  writeback = true;
  /** Heads of requests under way, in submission order (migrated). */
  inFlightHeads: number[] = [];
  inFlightCount = 0;
  /** Deterministic mode: the completion time of each of inFlightHeads (migrated in a subsection). */
  inFlightDeadlines: number[] = [];
  deadlineCount = 0;

  private backend: VirtioBlockBackend | null = null;
  private readonly inFlight = new Map<number, Request>();
  /** Requests were left on the ring because MAX_IN_FLIGHT were under way. */
  private throttled = false;
  /** Bumped by reset and restore: completions of older requests are dropped. */
  private epoch = 0;
  /** Restored requests waiting for the machine to run again (still in flight for a new snapshot). */
  private restartHeads: number[] = [];
  /** Deterministic mode: the restored requests' completion times, as restartHeads. */
  private restartDeadlines: number[] = [];
  private readonly restartTimer = new Timer(this.clock, () => this.restartInFlight());
  /** Deterministic mode: armed for the earliest deadline; held back while its host work is under way. */
  private readonly completionTimer = new Timer(
    this.clock,
    () => this.completeDue(),
    () => this.hostWorkDue(),
  );

  static override readonly vmstate = vmstate<VirtioBlk>('virtio-blk', {
    version: 1,
    fields: [
      struct('virtio', virtioCommonVmstate(1)),
      bool('writeback'),
      u32('inFlightCount'),
      varArrayOf('inFlightHeads', 'u16', 'inFlightCount'),
    ],
    // Only deterministic machines have deadlines; a stream without them completes its requests a latency
    // after the restore.
    subsections: [
      subsection('virtio-blk/deadlines', (s) => s.deadlineCount > 0, [
        u32('deadlineCount'),
        varArrayOf('inFlightDeadlines', 'i64num', 'deadlineCount'),
      ]),
    ],
    preSave: (s) => s.beforeSave(),
    preLoad: (s) => {
      s.deadlineCount = 0;
      s.inFlightDeadlines = [];
    },
    postLoad: (s) => s.afterLoad(),
  });

  constructor(init: DeviceInit) {
    super(init, (props) => [props.queueSize]);
  }

  get deviceId(): number {
    return VirtioDeviceId.BLOCK;
  }

  /** Connects the disk (before realize). */
  attachBackend(backend: VirtioBlockBackend): void {
    if (this.realized) throw this.error('the backend is attached before realize');
    this.backend = backend;
  }

  /** Requests under way, for the inspector and tests. */
  get pendingRequests(): number {
    return this.inFlight.size + this.restartHeads.length;
  }

  protected override onRealize(): void {
    if (this.backend === null) throw this.error('no block backend attached');
  }

  private get deterministic(): boolean {
    return this.clock.mode === 'deterministic';
  }

  private get readOnly(): boolean {
    return this.props.readOnly || (this.backend?.readOnly ?? true);
  }

  private get capacityBytes(): number {
    return Math.floor((this.backend?.size ?? 0) / SECTOR) * SECTOR;
  }

  protected deviceFeatures(): FeatureWords {
    // The set QEMU offers (geometry, topology and a switchable write cache included), so Linux sees the same.
    const bits: number[] = [
      VirtioBlkFeature.SEG_MAX,
      VirtioBlkFeature.GEOMETRY,
      VirtioBlkFeature.BLK_SIZE,
      VirtioBlkFeature.FLUSH,
      VirtioBlkFeature.TOPOLOGY,
      VirtioBlkFeature.CONFIG_WCE,
    ];
    if (this.readOnly) bits.push(VirtioBlkFeature.RO);
    // Offered whatever the disk, as QEMU does: discard is advisory (a backend that cannot release space
    // accepts and ignores it), and on a read-only disk both fail with IOERR.
    if (this.props.discard) bits.push(VirtioBlkFeature.DISCARD);
    if (this.props.writeZeroes) bits.push(VirtioBlkFeature.WRITE_ZEROES);
    return features(...bits);
  }

  protected configSpace(): Uint8Array {
    const bytes = new Uint8Array(VIRTIO_BLK_CONFIG.SIZE);
    const view = new DataView(bytes.buffer);
    const sectors = this.capacityBytes / SECTOR;
    view.setUint32(VIRTIO_BLK_CONFIG.CAPACITY, sectors >>> 0, true);
    view.setUint32(VIRTIO_BLK_CONFIG.CAPACITY + 4, Math.floor(sectors / 2 ** 32), true);
    view.setUint32(VIRTIO_BLK_CONFIG.SEG_MAX, this.props.queueSize - 2, true);
    const cylinders = Math.min(
      GEOMETRY_MAX_CYLINDERS,
      Math.max(2, Math.floor(sectors / (GEOMETRY_HEADS * GEOMETRY_SECTORS))),
    );
    view.setUint16(VIRTIO_BLK_CONFIG.GEOMETRY, cylinders, true);
    bytes[VIRTIO_BLK_CONFIG.GEOMETRY + 2] = GEOMETRY_HEADS;
    bytes[VIRTIO_BLK_CONFIG.GEOMETRY + 3] = GEOMETRY_SECTORS;
    view.setUint32(VIRTIO_BLK_CONFIG.BLK_SIZE, this.props.logicalBlockSize, true);
    // Topology (24..31) stays zero: one logical block per physical block, no I/O size hints, as QEMU.
    bytes[VIRTIO_BLK_CONFIG.WRITEBACK] = this.writeback ? 1 : 0;
    view.setUint16(VIRTIO_BLK_CONFIG.NUM_QUEUES, 1, true);
    view.setUint32(VIRTIO_BLK_CONFIG.MAX_DISCARD_SECTORS, MAX_RANGE_SECTORS, true);
    view.setUint32(VIRTIO_BLK_CONFIG.MAX_DISCARD_SEG, 1, true);
    view.setUint32(VIRTIO_BLK_CONFIG.DISCARD_SECTOR_ALIGNMENT, this.props.logicalBlockSize / SECTOR, true);
    view.setUint32(VIRTIO_BLK_CONFIG.MAX_WRITE_ZEROES_SECTORS, MAX_RANGE_SECTORS, true);
    view.setUint32(VIRTIO_BLK_CONFIG.MAX_WRITE_ZEROES_SEG, 1, true);
    bytes[VIRTIO_BLK_CONFIG.WRITE_ZEROES_MAY_UNMAP] = 1; // as QEMU: the unmap hint is always allowed
    return bytes;
  }

  protected processQueue(queue: VirtQueue): void {
    // Restored requests go to the host before newer ones, as they went in the run that was saved.
    if (this.restartHeads.length > 0) this.restartInFlight();
    for (;;) {
      this.throttled = this.inFlight.size >= MAX_IN_FLIGHT;
      if (this.throttled) return;
      const chain = queue.pop();
      if (chain === null) return;
      this.startRequest(queue, chain);
    }
  }

  /** The driver switches the write cache (CONFIG_WCE); the rest of the configuration is read-only. */
  protected override configWritten(offset: number, size: number, value: number): void {
    if (offset === VIRTIO_BLK_CONFIG.WRITEBACK && size === 1 && this.hasFeature(VirtioBlkFeature.CONFIG_WCE)) {
      this.writeback = (value & 1) !== 0;
      return;
    }
    super.configWritten(offset, size, value);
  }

  protected override deviceReset(): void {
    this.writeback = true;
    this.throttled = false;
    this.epoch++;
    this.inFlight.clear();
    this.restartHeads = [];
    this.restartDeadlines = [];
    this.restartTimer.del();
    this.completionTimer.del();
  }

  // ---- requests --------------------------------------------------------------------------------------

  /** `deadline`: a restored request's completion time (deterministic mode); by default one latency from now. */
  private startRequest(queue: VirtQueue, chain: Chain, deadline = -1): void {
    const memory = this.memory!;
    if (chain.readableBytes < HEADER_BYTES) return this.fail(`request ${chain.head} has no complete header`);
    if (chain.writableBytes < 1) return this.fail(`request ${chain.head} has no status byte`);
    const header = new Uint8Array(HEADER_BYTES);
    if (readFromChain(memory, chain, 0, header) !== HEADER_BYTES) return this.fail('request header unreadable');
    const view = new DataView(header.buffer);
    const type = view.getUint32(0, true);
    const sector = view.getUint32(8, true) + view.getUint32(12, true) * 2 ** 32;
    const request: Request = {
      epoch: this.epoch,
      queue,
      chain,
      deadline: !this.deterministic
        ? -1
        : deadline >= 0
          ? deadline
          : this.clock.now() + this.props.deterministicLatencyNs,
      status: PENDING,
      work: null,
      staged: null,
    };
    this.inFlight.set(chain.head, request);
    trace.req(chain.head, type, sector, chain.writableBytes - 1 + chain.readableBytes - HEADER_BYTES);
    const work = this.execute(request, type, sector);
    const failed = (error: unknown): number => {
      this.log.guestError(`request ${chain.head} failed: ${error instanceof Error ? error.message : String(error)}`);
      return VirtioBlkStatus.IOERR;
    };
    if (request.deadline < 0) {
      if (typeof work === 'number') this.finish(request, work);
      else
        work.then(
          () => this.finish(request, VirtioBlkStatus.OK),
          (error: unknown) => this.finish(request, failed(error)),
        );
      return;
    }
    if (typeof work === 'number') request.status = work;
    else {
      request.work = work.then(
        () => void (request.status = VirtioBlkStatus.OK),
        (error: unknown) => void (request.status = failed(error)),
      );
    }
    if (!this.completionTimer.pending || request.deadline < this.completionTimer.expiresAt) {
      this.completionTimer.modNs(request.deadline);
    }
  }

  /** Starts the backend operation; a number is an immediate status, a promise the operation under way. */
  private execute(request: Request, type: number, sector: number): number | Promise<void> {
    const chain = request.chain;
    const dataIn = chain.writableBytes - 1;
    switch (type) {
      case VirtioBlkRequest.IN:
        return this.checkRange(sector, dataIn) ?? this.readData(request, sector * SECTOR, dataIn);
      case VirtioBlkRequest.OUT:
        if (this.readOnly) return VirtioBlkStatus.IOERR;
        return (
          this.checkRange(sector, chain.readableBytes - HEADER_BYTES) ??
          this.writeData(request, sector * SECTOR, chain.readableBytes - HEADER_BYTES)
        );
      case VirtioBlkRequest.FLUSH:
        return this.backendCall(() => this.backend!.flush());
      case VirtioBlkRequest.GET_ID:
        return this.getId(request);
      case VirtioBlkRequest.DISCARD:
      case VirtioBlkRequest.WRITE_ZEROES:
        return this.discardOrZero(request, type);
      default:
        return VirtioBlkStatus.UNSUPP;
    }
  }

  /** IOERR for a transfer that is not whole logical blocks or not inside the disk, else null (QEMU's checks). */
  private checkRange(sector: number, bytes: number): number | null {
    const blockSize = this.props.logicalBlockSize;
    const offset = sector * SECTOR;
    if (bytes % blockSize !== 0 || offset % blockSize !== 0 || offset + bytes > this.capacityBytes) {
      return VirtioBlkStatus.IOERR;
    }
    return null;
  }

  /** Disk to guest, a piece at a time; stops quietly once the request is stale. */
  private async readData(request: Request, offset: number, length: number): Promise<void> {
    if (request.deadline >= 0) return this.readStaged(request, offset, length);
    const buffer = new Uint8Array(Math.min(length, TRANSFER_CHUNK));
    for (let done = 0; done < length; done += buffer.length) {
      const piece = buffer.subarray(0, Math.min(buffer.length, length - done));
      await this.backend!.read(offset + done, piece);
      if (!this.current(request)) return;
      if (writeToChain(this.memory!, request.chain, done, piece) !== piece.length) {
        throw new Error('guest buffer left RAM');
      }
    }
  }

  /** Deterministic mode: disk to a host buffer, copied to the guest at completion. */
  private async readStaged(request: Request, offset: number, length: number): Promise<void> {
    if (length > MAX_STAGED_BYTES) throw new Error(`${length} bytes are more than ${MAX_STAGED_BYTES} in one request`);
    const staged = new Uint8Array(length);
    for (let done = 0; done < length; done += TRANSFER_CHUNK) {
      await this.backend!.read(offset + done, staged.subarray(done, Math.min(length, done + TRANSFER_CHUNK)));
      if (!this.current(request)) return;
    }
    request.staged = staged;
  }

  /** Guest to disk, a piece at a time; with the write cache off, flushed before it completes. */
  private async writeData(request: Request, offset: number, length: number): Promise<void> {
    if (request.deadline >= 0) return this.writeGathered(request, offset, length);
    const buffer = new Uint8Array(Math.min(length, TRANSFER_CHUNK));
    for (let done = 0; done < length; done += buffer.length) {
      if (!this.current(request)) return;
      const piece = buffer.subarray(0, Math.min(buffer.length, length - done));
      if (readFromChain(this.memory!, request.chain, HEADER_BYTES + done, piece) !== piece.length) {
        throw new Error('guest buffer left RAM');
      }
      await this.backend!.write(offset + done, piece);
    }
    if (!this.writeback) await this.backend!.flush();
  }

  /** Deterministic mode: the guest's data is copied at submission (now), then written a piece at a time. */
  private async writeGathered(request: Request, offset: number, length: number): Promise<void> {
    if (length > MAX_STAGED_BYTES) throw new Error(`${length} bytes are more than ${MAX_STAGED_BYTES} in one request`);
    const data = new Uint8Array(length);
    if (readFromChain(this.memory!, request.chain, HEADER_BYTES, data) !== length) {
      throw new Error('guest buffer left RAM');
    }
    for (let done = 0; done < length; done += TRANSFER_CHUNK) {
      if (!this.current(request)) return;
      await this.backend!.write(offset + done, data.subarray(done, Math.min(length, done + TRANSFER_CHUNK)));
    }
    if (!this.writeback) await this.backend!.flush();
  }

  private getId(request: Request): number {
    const id = new Uint8Array(ID_BYTES);
    id.set(new TextEncoder().encode(this.props.serial).subarray(0, ID_BYTES));
    const length = Math.min(ID_BYTES, request.chain.writableBytes - 1);
    return writeToChain(this.memory!, request.chain, 0, id.subarray(0, length)) === length
      ? VirtioBlkStatus.OK
      : VirtioBlkStatus.IOERR;
  }

  /** One segment { le64 sector, le32 num_sectors, le32 flags } (5.2.6.2), as QEMU's max_discard_seg 1. */
  private discardOrZero(request: Request, type: number): number | Promise<void> {
    const discard = type === VirtioBlkRequest.DISCARD;
    const feature = discard ? VirtioBlkFeature.DISCARD : VirtioBlkFeature.WRITE_ZEROES;
    if (!this.hasFeature(feature)) return VirtioBlkStatus.UNSUPP;
    if (this.readOnly || request.chain.readableBytes !== HEADER_BYTES + 16) return VirtioBlkStatus.IOERR;
    const all = gatherReadable(this.memory!, request.chain);
    if (all === null) return VirtioBlkStatus.IOERR;
    const view = new DataView(all.buffer, HEADER_BYTES);
    const sector = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
    const count = view.getUint32(8, true);
    const flags = view.getUint32(12, true);
    if ((discard && flags !== 0) || (flags & ~WRITE_ZEROES_UNMAP) !== 0) return VirtioBlkStatus.UNSUPP;
    const offset = sector * SECTOR;
    const length = count * SECTOR;
    const blockSize = this.props.logicalBlockSize;
    if (count > MAX_RANGE_SECTORS || offset % blockSize !== 0 || length % blockSize !== 0) return VirtioBlkStatus.IOERR;
    if (offset + length > this.capacityBytes) return VirtioBlkStatus.IOERR;
    return this.backendCall(() =>
      discard ? this.backend!.discard(offset, length) : this.backend!.writeZeroes(offset, length),
    );
  }

  /** Runs a backend call; a synchronous throw (e.g. a range check) becomes a rejection. */
  private backendCall(call: () => Promise<void>): Promise<void> {
    try {
      return call();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private current(request: Request): boolean {
    return request.epoch === this.epoch && this.inFlight.get(request.chain.head) === request;
  }

  /**
   * Writes the status byte, returns the chain and interrupts; stale completions do nothing. The used length
   * is every device-writable byte, whatever the outcome, as QEMU reports it (in_len).
   */
  private finish(request: Request, status: number): void {
    if (!this.current(request)) return;
    this.inFlight.delete(request.chain.head);
    trace.complete(request.chain.head, status);
    if (this.broken) return;
    const chain = request.chain;
    if (request.staged !== null && status === VirtioBlkStatus.OK) {
      if (writeToChain(this.memory!, chain, 0, request.staged) !== request.staged.length) {
        this.log.guestError(`request ${chain.head}: its data buffers are no longer in guest RAM`);
        status = VirtioBlkStatus.IOERR;
      }
    }
    if (writeToChain(this.memory!, chain, chain.writableBytes - 1, Uint8Array.of(status)) !== 1) {
      this.fail(`status byte of request ${chain.head} is no longer in guest RAM`);
      return;
    }
    this.complete(request.queue, chain.head, chain.writableBytes);
    // A slot is free: take requests that waited on the ring.
    if (this.throttled && this.driverOk) this.processQueue(request.queue);
  }

  // ---- deterministic completion ------------------------------------------------------------------------

  /** The completion timer's gate: the host work of a request due now that is still under way, or null. */
  private hostWorkDue(): Promise<void> | null {
    if (this.restartHeads.length > 0) this.restartInFlight();
    const now = this.clock.now();
    for (const request of this.inFlight.values()) {
      if (request.deadline <= now && request.status === PENDING) return request.work;
    }
    return null;
  }

  /** Completes every request whose deadline has come (their host work is done: the gate saw to it). */
  private completeDue(): void {
    if (this.restartHeads.length > 0) this.restartInFlight();
    const now = this.clock.now();
    for (;;) {
      let next: Request | null = null;
      for (const request of this.inFlight.values()) {
        if (next === null || request.deadline < next.deadline) next = request;
      }
      if (next === null) return;
      if (next.deadline > now || next.status === PENDING) {
        this.completionTimer.modNs(next.deadline);
        return;
      }
      this.finish(next, next.status);
    }
  }

  // ---- save and restore ---------------------------------------------------------------------------

  private beforeSave(): void {
    const requests = [...this.inFlight.values()];
    this.inFlightHeads = [...this.restartHeads, ...requests.map((r) => r.chain.head)];
    this.inFlightCount = this.inFlightHeads.length;
    this.inFlightDeadlines = this.deterministic ? [...this.restartDeadlines, ...requests.map((r) => r.deadline)] : [];
    this.deadlineCount = this.inFlightDeadlines.length;
  }

  private afterLoad(): string | void {
    const queue = this.virtio.queues[0];
    if (this.inFlightCount !== queue.inFlight) {
      return `${this.inFlightCount} requests in flight, but the queue has ${queue.inFlight} buffers out`;
    }
    if (new Set(this.inFlightHeads).size !== this.inFlightHeads.length) return 'a request head appears twice';
    if (this.deadlineCount !== 0 && this.deadlineCount !== this.inFlightCount) {
      return `${this.deadlineCount} deadlines for ${this.inFlightCount} requests in flight`;
    }
    this.epoch++;
    this.inFlight.clear();
    this.restartHeads = this.inFlightHeads.slice(0, this.inFlightCount);
    this.restartTimer.del();
    this.completionTimer.del();
    this.restartDeadlines = [];
    if (this.restartHeads.length === 0) return;
    if (!this.deterministic) {
      // Guest RAM may be restored after this section: pick the requests up when the machine runs again.
      this.restartTimer.modNs(this.clock.now());
      return;
    }
    // The timer queue is as it was when the state was saved: the requests go to the host at the first
    // completion (or when the guest submits more), and complete at their deadlines.
    const later = this.clock.now() + this.props.deterministicLatencyNs;
    this.restartDeadlines = this.restartHeads.map((_, i) =>
      this.deadlineCount > 0 ? this.inFlightDeadlines[i]! : later,
    );
    this.completionTimer.modNs(Math.min(...this.restartDeadlines));
  }

  private restartInFlight(): void {
    const queue = this.virtio.queues[0];
    const heads = this.restartHeads;
    const deadlines = this.restartDeadlines;
    this.restartHeads = [];
    this.restartDeadlines = [];
    this.restartTimer.del();
    for (const [i, head] of heads.entries()) {
      const chain = queue.chainAt(head);
      if (chain === null) return;
      this.startRequest(queue, chain, deadlines[i] ?? -1);
    }
  }
}
