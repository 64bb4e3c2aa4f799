/**
 * Test support: requests built in guest RAM the way Linux's virtio_blk driver builds them
 * (virtblk_add_req: header out, data out or in, status in), on top of the generic guest driver.
 */
import { VirtualClock } from '../../core/timer';
import { VirtioBlk } from './blk';
import type { VirtioBlockBackend } from './blk';
import { VirtioFeature } from './spec';
import { driverOk, GuestHeap, makeRig, negotiate, readable, setupQueue, writable } from './test-driver';
import type { Buffer, GuestQueue, RigOptions } from './test-driver';

export const T = { IN: 0, OUT: 1, FLUSH: 4, GET_ID: 8, DISCARD: 11, WRITE_ZEROES: 13 } as const;

export interface Submitted {
  readonly head: number;
  readonly status: number;
  readonly data: number;
}

/**
 * A driven virtio-blk. Its clock is realtime (and stopped) unless `options.clock` says otherwise, so requests
 * complete when the backend is done; a deterministic clock makes them complete at their deadlines instead.
 */
export function blkRig(
  backend: VirtioBlockBackend,
  props: Record<string, unknown> = {},
  options: RigOptions & { features?: number[] } = {},
) {
  const clock = options.clock ?? new VirtualClock({ mode: 'realtime', running: false });
  const rig = makeRig(
    (init) => {
      const blk = new VirtioBlk({ ...init, props });
      blk.attachBackend(backend);
      return blk;
    },
    { ...options, clock },
  );
  const heap = new GuestHeap(rig.bus);
  const features = negotiate(
    rig,
    options.features ?? [2, 5, 6, 9, 13, 14, VirtioFeature.RING_INDIRECT_DESC, VirtioFeature.RING_EVENT_IDX],
  );
  const q = setupQueue(rig, heap, 0);
  driverOk(rig);
  return { rig, heap, q, features, driver: new BlkDriver(heap, q) };
}

export class BlkDriver {
  indirect = false;

  constructor(
    private readonly heap: GuestHeap,
    private readonly q: GuestQueue,
  ) {}

  private header(type: number, sector: number): number {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, type, true);
    view.setUint32(8, sector >>> 0, true);
    view.setUint32(12, Math.floor(sector / 2 ** 32), true);
    return this.heap.put(bytes);
  }

  private submit(type: number, sector: number, data: Buffer[], dataAddr: number): Submitted {
    const status = this.heap.put(new Uint8Array([0xff]), 1);
    const head = this.q.add([readable(this.header(type, sector), 16), ...data, writable(status, 1)], this.indirect);
    this.q.kick();
    return { head, status, data: dataAddr };
  }

  /** Reads `length` bytes into buffers of `segment` bytes each. */
  read(sector: number, length: number, segment = length): Submitted {
    const data = this.heap.alloc(length);
    const parts: Buffer[] = [];
    for (let at = 0; at < length; at += segment) parts.push(writable(data + at, Math.min(segment, length - at)));
    return this.submit(T.IN, sector, parts, data);
  }

  write(sector: number, bytes: Uint8Array, segment = bytes.length): Submitted {
    const data = this.heap.put(bytes);
    const parts: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += segment) {
      parts.push(readable(data + at, Math.min(segment, bytes.length - at)));
    }
    return this.submit(T.OUT, sector, parts, data);
  }

  flush(): Submitted {
    return this.submit(T.FLUSH, 0, [], 0);
  }

  getId(length = 20): Submitted {
    const data = this.heap.alloc(length);
    return this.submit(T.GET_ID, 0, [writable(data, length)], data);
  }

  /** One virtio_blk_discard_write_zeroes segment. */
  range(type: number, sector: number, count: number, flags = 0): Submitted {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, sector >>> 0, true);
    view.setUint32(4, Math.floor(sector / 2 ** 32), true);
    view.setUint32(8, count, true);
    view.setUint32(12, flags, true);
    const data = this.heap.put(bytes);
    return this.submit(type, 0, [readable(data, 16)], data);
  }

  /** Any type, with a data-in buffer of `dataIn` bytes. */
  raw(type: number, sector: number, dataIn: number): Submitted {
    const data = this.heap.alloc(Math.max(dataIn, 1));
    return this.submit(type, sector, dataIn > 0 ? [writable(data, dataIn)] : [], data);
  }

  status(request: Submitted): number {
    return this.heap.get(request.status, 1)[0];
  }
}
