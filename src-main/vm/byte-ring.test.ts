import { describe, expect, it } from 'vitest';
import { ByteRing } from './byte-ring';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('ByteRing', () => {
  it('keeps everything until full, with stream positions', () => {
    const ring = new ByteRing(8);
    ring.append(bytes(1, 2, 3));
    ring.append(bytes(4, 5));
    expect([ring.start, ring.end]).toEqual([0, 5]);
    expect([...ring.contents()]).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps only the newest bytes once it wraps, including chunks larger than itself', () => {
    const ring = new ByteRing(4);
    ring.append(bytes(1, 2, 3));
    ring.append(bytes(4, 5, 6));
    expect([ring.start, ring.end]).toEqual([2, 6]);
    expect([...ring.contents()]).toEqual([3, 4, 5, 6]);
    ring.append(bytes(7, 8, 9, 10, 11, 12));
    expect([ring.start, ring.end]).toEqual([8, 12]);
    expect([...ring.contents()]).toEqual([9, 10, 11, 12]);
  });

  it('clears its contents but not its position', () => {
    const ring = new ByteRing(4);
    ring.append(bytes(1, 2, 3));
    ring.clear();
    expect([ring.start, ring.end, ring.contents().length]).toEqual([3, 3, 0]);
    ring.append(bytes(4));
    expect([ring.start, [...ring.contents()]]).toEqual([3, [4]]);
  });
});
