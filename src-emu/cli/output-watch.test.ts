import { describe, expect, it } from 'vitest';
import { CharBackend, CharFrontend, RingBackend } from '../core/chardev';
import { OutputWatch } from './output-watch';

/** A backend that takes one byte per write, like a congested socket. */
class OneByteBackend extends CharBackend {
  protected writeOutput(data: Uint8Array): number {
    return Math.min(1, data.length);
  }
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('OutputWatch', () => {
  it('finds the text when it is split across chunks, once', () => {
    const watch = new OutputWatch('login:');
    let hits = 0;
    watch.onMatch = () => hits++;
    for (const part of ['Welcome\nlo', 'g', 'in', ': ', 'login: again']) watch.observe(bytes(part));
    expect(hits).toBe(1);
    expect(watch.seen).toBe(true);
  });

  it('does not match text that never appeared contiguously', () => {
    const watch = new OutputWatch('abc');
    for (const part of ['ab', 'Xc', 'a', 'bX']) watch.observe(bytes(part));
    expect(watch.seen).toBe(false);
  });

  it('sees what a device writes through a wrapped backend, and only what was accepted', () => {
    const watch = new OutputWatch('# ');
    const backend = watch.wrap(new RingBackend(4));
    const frontend = new CharFrontend(backend);
    expect(frontend.write(bytes('ab# '))).toBe(4);
    expect(watch.seen).toBe(true);
    const full = new OutputWatch('zz');
    const slow = new CharFrontend(full.wrap(new OneByteBackend()));
    expect(slow.write(bytes('zz'))).toBe(1);
    expect(full.seen).toBe(false);
    expect(slow.write(bytes('z'))).toBe(1);
    expect(full.seen).toBe(true);
  });
});
