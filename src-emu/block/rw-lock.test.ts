import { describe, expect, it } from 'vitest';
import { RwLock } from './rw-lock';

/** A promise with its resolver, to hold a critical section open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('RwLock', () => {
  it('lets readers share', async () => {
    const lock = new RwLock();
    const g = gate();
    let inside = 0;
    let maxInside = 0;
    const reader = () =>
      lock.shared(async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await g.promise;
        inside--;
      });
    const all = Promise.all([reader(), reader(), reader()]);
    await Promise.resolve();
    g.open();
    await all;
    expect(maxInside).toBe(3);
  });

  it('runs a writer alone, in arrival order, and holds back later readers', async () => {
    const lock = new RwLock();
    const events: string[] = [];
    const g = gate();
    const r1 = lock.shared(async () => {
      events.push('r1 in');
      await g.promise;
      events.push('r1 out');
    });
    const w = lock.exclusive(async () => {
      events.push('w in');
      events.push('w out');
    });
    const r2 = lock.shared(async () => {
      events.push('r2');
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual(['r1 in']);
    g.open();
    await Promise.all([r1, w, r2]);
    expect(events).toEqual(['r1 in', 'r1 out', 'w in', 'w out', 'r2']);
  });

  it('releases the lock when the section throws', async () => {
    const lock = new RwLock();
    await expect(lock.exclusive(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.exclusive(async () => 7)).resolves.toBe(7);
  });
});
