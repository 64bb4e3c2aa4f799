/**
 * virtio-rng, the entropy device (virtio 1.2, 5.4): one request queue whose device-writable buffers are
 * filled with random bytes from the host's cryptographic generator (crypto.getRandomValues).
 *
 * Requests complete at once, so nothing is in flight across a snapshot. Deterministic runs can hand in
 * their own source with `setEntropySource` so a replay sees the same bytes.
 */
import { defineProps, u32Prop } from '../../core/object';
import type { DeviceInit } from '../../core/object';
import { traceEvents } from '../../core/trace';
import { struct, vmstate } from '../../core/vmstate';
import { writeToChain } from './chain';
import { VirtioDevice, virtioCommonVmstate } from './device';
import { VirtioDeviceId } from './spec';
import type { FeatureWords } from './spec';
import type { VirtQueue } from './virtqueue';

/** crypto.getRandomValues fills at most this many bytes per call. */
const RANDOM_CHUNK = 65536;
/** Bytes handed out per request at most (QEMU's virtio-rng also caps one request). */
const MAX_REQUEST = 1024 * 1024;

const trace = traceEvents('virtio_rng', { request: { head: 'u32', bytes: 'u32' } });

export type EntropySource = (dest: Uint8Array) => void;

function hostRandom(dest: Uint8Array): void {
  for (let at = 0; at < dest.length; at += RANDOM_CHUNK) {
    crypto.getRandomValues(dest.subarray(at, Math.min(dest.length, at + RANDOM_CHUNK)));
  }
}

export const VIRTIO_RNG_PROPS = defineProps({
  queueSize: u32Prop({
    default: 8,
    min: 1,
    max: 1024,
    doc: "the request queue's size after reset (power of 2; QEMU uses 8)",
    validate: (v) => ((v & (v - 1)) === 0 ? null : 'not a power of 2'),
  }),
});

export class VirtioRng extends VirtioDevice<typeof VIRTIO_RNG_PROPS> {
  static override readonly typeName = 'virtio-rng-device';
  static override readonly props = VIRTIO_RNG_PROPS;

  private entropy: EntropySource = hostRandom;

  static override readonly vmstate = vmstate<VirtioRng>('virtio-rng', {
    version: 1,
    fields: [struct('virtio', virtioCommonVmstate(1))],
  });

  constructor(init: DeviceInit) {
    super(init, (props) => [props.queueSize]);
  }

  get deviceId(): number {
    return VirtioDeviceId.ENTROPY;
  }

  /** Replaces the host generator (deterministic runs, tests). */
  setEntropySource(source: EntropySource): void {
    this.entropy = source;
  }

  protected deviceFeatures(): FeatureWords {
    return [0, 0];
  }

  protected configSpace(): Uint8Array {
    return new Uint8Array(0);
  }

  protected processQueue(queue: VirtQueue): void {
    for (let chain = queue.pop(); chain !== null; chain = queue.pop()) {
      const bytes = new Uint8Array(Math.min(chain.writableBytes, MAX_REQUEST));
      this.entropy(bytes);
      trace.request(chain.head, bytes.length);
      if (writeToChain(this.memory!, chain, 0, bytes) !== bytes.length) {
        this.fail(`request ${chain.head}: buffer no longer in guest RAM`);
        return;
      }
      this.complete(queue, chain.head, bytes.length);
    }
  }
}
