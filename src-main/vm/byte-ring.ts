/**
 * The last `capacity` bytes of a stream, with the stream position of every byte, so a client that attaches
 * late gets the recent output and can line it up with the live chunks that follow.
 */
export class ByteRing {
  private readonly ring: Uint8Array;
  private endOffset = 0;
  private held = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new Error(`ByteRing: bad capacity ${capacity}`);
    this.ring = new Uint8Array(capacity);
  }

  /** Stream position just past the newest byte (total bytes ever appended). */
  get end(): number {
    return this.endOffset;
  }

  /** Stream position of the oldest byte still held. */
  get start(): number {
    return this.endOffset - this.held;
  }

  append(bytes: Uint8Array): void {
    const kept = bytes.length > this.capacity ? bytes.subarray(bytes.length - this.capacity) : bytes;
    this.endOffset += bytes.length - kept.length;
    const at = this.endOffset % this.capacity;
    const first = Math.min(kept.length, this.capacity - at);
    this.ring.set(kept.subarray(0, first), at);
    this.ring.set(kept.subarray(first), 0);
    this.endOffset += kept.length;
    this.held = Math.min(this.capacity, this.held + bytes.length);
  }

  /** Forgets the held bytes; stream positions go on from where they were. */
  clear(): void {
    this.held = 0;
  }

  /** The held bytes, oldest first. */
  contents(): Uint8Array {
    const out = new Uint8Array(this.held);
    const from = this.start % this.capacity;
    const first = Math.min(this.held, this.capacity - from);
    out.set(this.ring.subarray(from, from + first), 0);
    out.set(this.ring.subarray(0, this.held - first), first);
    return out;
  }
}
