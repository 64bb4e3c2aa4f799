import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  BridgeBackend,
  CharFrontend,
  FileBackend,
  INPUT_HIGH_WATER,
  INPUT_LOW_WATER,
  MuxBackend,
  NullBackend,
  RingBackend,
  StdioBackend,
  TcpServerBackend,
} from './chardev';
import type { CharEvent } from './chardev';

/** Deterministic pseudo-random bytes, so that lost, duplicated or reordered bytes show up. */
function pattern(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Byte-for-byte equality (vitest's deep equality is slow on megabyte arrays). */
function expectSameBytes(actual: ArrayLike<number>, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  const first = Array.prototype.findIndex.call(expected, (byte: number, i: number) => actual[i] !== byte);
  expect(first).toBe(-1);
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * A device with a 16-byte receive FIFO, like a UART: it takes input only while the FIFO has room, and the
 * "guest" empties the FIFO when the test says so.
 */
class FifoDevice {
  readonly fifo: number[] = [];
  readonly received: number[] = [];
  readonly events: CharEvent[] = [];
  writableCalls = 0;
  maxDelivery = 0;
  /** Deliveries larger than canReceive() allowed: must stay 0. */
  overruns = 0;

  constructor(
    readonly fe: CharFrontend,
    readonly depth = 16,
  ) {
    fe.setHandlers({
      canReceive: () => this.depth - this.fifo.length,
      receive: (bytes) => {
        if (bytes.length > this.depth - this.fifo.length) this.overruns++;
        this.maxDelivery = Math.max(this.maxDelivery, bytes.length);
        for (const b of bytes) this.fifo.push(b);
      },
      event: (ev) => this.events.push(ev),
      writable: () => this.writableCalls++,
    });
  }

  /** The guest reads everything in the FIFO, then the device tells the backend it has room. */
  guestDrains(): number {
    const count = this.fifo.length;
    for (const b of this.fifo.splice(0)) this.received.push(b);
    this.fe.acceptInput();
    return count;
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function until(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

describe('input flow control', () => {
  it('loses no byte of 1 MB pushed into a frontend that takes 16 bytes at a time', () => {
    const ring = new RingBackend();
    const device = new FifoDevice(new CharFrontend(ring));
    const data = pattern(1 << 20);
    ring.push(data);
    expect(device.fifo.length).toBe(16);
    expect(ring.bufferedInput).toBe(data.length - 16);
    let rounds = 0;
    while (device.guestDrains() > 0) rounds++;
    expect(rounds).toBe(data.length / 16);
    expect(device.maxDelivery).toBe(16);
    expect(ring.bufferedInput).toBe(0);
    expectSameBytes(device.received, data);
    expect(device.overruns).toBe(0);
  });

  it('holds input while the frontend can take nothing, even across many pushes', () => {
    const ring = new RingBackend();
    const device = new FifoDevice(new CharFrontend(ring), 4);
    for (let i = 0; i < 100; i++) ring.push(Uint8Array.of(i));
    expect(device.fifo).toEqual([0, 1, 2, 3]);
    while (device.guestDrains() > 0);
    expect(device.received).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('copes with a device that asks for more input from inside receive()', () => {
    const ring = new RingBackend();
    const fe = new CharFrontend(ring);
    const got: number[] = [];
    let depth = 0;
    fe.setHandlers({
      canReceive: () => 3,
      receive: (bytes) => {
        depth++;
        expect(depth).toBe(1); // no recursion into receive
        got.push(...bytes);
        fe.acceptInput();
        depth--;
      },
    });
    ring.push(pattern(1000));
    expect(Uint8Array.from(got)).toEqual(pattern(1000));
  });

  it('keeps input that arrives before the device registers, and reports opened on registration', () => {
    const ring = new RingBackend();
    const fe = new CharFrontend(ring);
    ring.push('hello');
    expect(ring.bufferedInput).toBe(5);
    const device = new FifoDevice(fe);
    expect(device.events).toEqual(['opened']);
    device.guestDrains();
    expect(String.fromCharCode(...device.received)).toBe('hello');
  });

  it('a push of a reused array does not change what the device receives later', () => {
    const ring = new RingBackend();
    const device = new FifoDevice(new CharFrontend(ring), 2);
    const scratch = Uint8Array.of(1, 2, 3, 4);
    ring.push(scratch);
    scratch.fill(9);
    while (device.guestDrains() > 0);
    expect(device.received).toEqual([1, 2, 3, 4]);
  });
});

describe('output flow control', () => {
  it('a slow backend accepts part of a write and notifies writable when it has room', async () => {
    const sent: Uint8Array[] = [];
    const bridge = new BridgeBackend({ send: (chunk) => sent.push(chunk), window: 64 });
    const device = new FifoDevice(new CharFrontend(bridge));
    const data = pattern(1000, 7);
    let offset = device.fe.write(data);
    expect(offset).toBe(64);
    expect(device.fe.write(data.subarray(offset))).toBe(0); // window full: TXFF stays set
    await tick();
    expect(sent.map((c) => c.length)).toEqual([64]);
    expect(device.writableCalls).toBe(0);
    // The other side consumes chunks in its own time; each ack reopens the window.
    while (offset < data.length) {
      const writable = device.writableCalls;
      bridge.ack(sent[sent.length - 1].length);
      expect(device.writableCalls).toBe(writable + 1);
      offset += device.fe.write(data.subarray(offset));
      await tick();
    }
    expect(concat(sent)).toEqual(data);
    expect(sent.length).toBe(Math.ceil(1000 / 64));
  });

  it('does not call writable when no write was short', () => {
    const bridge = new BridgeBackend({ send: () => {}, window: 64 });
    const device = new FifoDevice(new CharFrontend(bridge));
    device.fe.write(pattern(10));
    bridge.ack(10);
    expect(device.writableCalls).toBe(0);
  });

  it('the bridge sends byte-at-a-time writes as one chunk', async () => {
    const sent: Uint8Array[] = [];
    const bridge = new BridgeBackend({ send: (chunk) => sent.push(chunk) });
    const fe = new CharFrontend(bridge);
    for (const byte of new TextEncoder().encode('login: ')) fe.write(Uint8Array.of(byte));
    await tick();
    expect(sent.length).toBe(1);
    expect(new TextDecoder().decode(sent[0])).toBe('login: ');
  });

  it('the bridge passes input, connection events and breaks from the other side', () => {
    let drained = 0;
    const bridge = new BridgeBackend({ send: () => {}, inputDrained: () => drained++ });
    const device = new FifoDevice(new CharFrontend(bridge), 8);
    const data = pattern(INPUT_LOW_WATER + 100, 9);
    bridge.receive(data);
    bridge.peerEvent('break');
    bridge.peerEvent('closed');
    while (device.guestDrains() > 0) {
      if (bridge.bufferedInput > INPUT_LOW_WATER) expect(drained).toBe(0);
    }
    expectSameBytes(device.received, data);
    expect(device.events).toEqual(['opened', 'break', 'closed']);
    expect(drained).toBe(1); // told once, when the queue fell back to the low-water mark
  });

  it('a frontend without a backend accepts and discards everything', () => {
    const fe = new CharFrontend();
    expect(fe.write(pattern(5))).toBe(5);
    fe.acceptInput();
    fe.sendBreak(true);
  });
});

describe('simple backends', () => {
  it('ring keeps the last bytes of output as scrollback', () => {
    const ring = new RingBackend(8);
    const fe = new CharFrontend(ring);
    expect(fe.write(new TextEncoder().encode('0123456789abc'))).toBe(13);
    expect(ring.outputText()).toBe('56789abc');
    expect(ring.totalWritten).toBe(13);
    expect(new TextDecoder().decode(ring.takeOutput())).toBe('56789abc');
    expect(ring.output().length).toBe(0);
  });

  it('ring sends a break from the outside to the device', () => {
    const ring = new RingBackend();
    const device = new FifoDevice(new CharFrontend(ring));
    ring.sendBreak();
    expect(device.events).toEqual(['opened', 'break']);
  });

  it('null discards output and is open', () => {
    const device = new FifoDevice(new CharFrontend(new NullBackend()));
    expect(device.fe.write(pattern(100))).toBe(100);
    expect(device.events).toEqual(['opened']);
  });

  it('file appends output to a log', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chardev-'));
    try {
      const path = join(dir, 'serial.log');
      for (const text of ['boot\n', 'login: ']) {
        const file = new FileBackend(path);
        new CharFrontend(file).write(new TextEncoder().encode(text));
        file.close();
      }
      expect(readFileSync(path, 'utf8')).toBe('boot\nlogin: ');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a backend takes one frontend only', () => {
    const ring = new RingBackend();
    new CharFrontend(ring);
    expect(() => new CharFrontend(ring)).toThrow(/already has a frontend/);
  });
});

describe('stdio', () => {
  it('reads input from a stream and writes output to another', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const written: Buffer[] = [];
    output.on('data', (chunk: Buffer) => written.push(chunk));
    const stdio = new StdioBackend({ input, output });
    const device = new FifoDevice(new CharFrontend(stdio));
    input.write('ls\n');
    await until(() => device.fifo.length === 3, 'input');
    device.guestDrains();
    expect(String.fromCharCode(...device.received)).toBe('ls\n');
    device.fe.write(new TextEncoder().encode('bin\n'));
    await until(() => written.length > 0, 'output');
    expect(Buffer.concat(written).toString()).toBe('bin\n');
    stdio.close();
    expect(device.events).toEqual(['opened', 'closed']);
  });
});

describe('TCP server', () => {
  async function startServer(): Promise<{ tcp: TcpServerBackend; device: FifoDevice; port: number }> {
    const tcp = new TcpServerBackend();
    const device = new FifoDevice(new CharFrontend(tcp));
    const port = await tcp.listen();
    expect(port).toBeGreaterThan(0);
    return { tcp, device, port };
  }

  function dial(port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  it('delivers 1 MB from the client to a slow device without loss, pausing the socket', async () => {
    const { tcp, device, port } = await startServer();
    try {
      const client = await dial(port);
      const data = pattern(1 << 20, 3);
      client.write(data);
      let maxBuffered = 0;
      // The device drains its 16-byte FIFO 64 times per event-loop turn: far slower than the socket.
      while (device.received.length < data.length) {
        for (let i = 0; i < 64; i++) device.guestDrains();
        maxBuffered = Math.max(maxBuffered, tcp.bufferedInput);
        await tick();
      }
      expectSameBytes(device.received, data);
      expect(device.overruns).toBe(0);
      // The socket was paused near the high-water mark instead of queueing the whole megabyte.
      expect(maxBuffered).toBeLessThan(INPUT_HIGH_WATER + 128 * 1024);
      expect(device.events).toEqual(['opened']);
      client.destroy();
    } finally {
      await tcp.close();
    }
  });

  it('sends 8 MB of device output to the client, resuming after short writes', async () => {
    const { tcp, device, port } = await startServer();
    try {
      const client = await dial(port);
      const received: Buffer[] = [];
      let receivedBytes = 0;
      client.on('data', (chunk: Buffer) => {
        received.push(chunk);
        receivedBytes += chunk.length;
      });
      await until(() => tcp.connected, 'connection');
      const data = pattern(8 << 20, 5);
      let offset = 0;
      let shortWrites = 0;
      while (offset < data.length) {
        const accepted = device.fe.write(data.subarray(offset, offset + 4096));
        offset += accepted;
        if (accepted < 4096 && offset < data.length) {
          shortWrites++;
          const calls = device.writableCalls;
          await until(() => device.writableCalls > calls, 'writable');
        }
      }
      await until(() => receivedBytes === data.length, 'all output');
      expect(shortWrites).toBeGreaterThan(0);
      expectSameBytes(Buffer.concat(received), data);
      client.destroy();
    } finally {
      await tcp.close();
    }
  });

  it('serves one client at a time and accepts a new one after a disconnect', async () => {
    const { tcp, device, port } = await startServer();
    try {
      const first = await dial(port);
      await until(() => tcp.connected, 'first client');
      const second = await dial(port);
      const secondClosed = new Promise<void>((resolve) => second.on('close', () => resolve()));
      await secondClosed; // refused while the first is connected
      first.write('a');
      await until(() => device.fifo.length === 1, 'input from the first client');
      first.destroy();
      await until(() => !tcp.connected, 'disconnect');
      expect(device.fe.write(pattern(10))).toBe(10); // nobody listening: discarded, never blocks
      const third = await dial(port);
      await until(() => tcp.connected, 'third client');
      third.write('b');
      await until(() => device.fifo.length === 2, 'input from the third client');
      device.guestDrains();
      expect(String.fromCharCode(...device.received)).toBe('ab');
      expect(device.events).toEqual(['opened', 'closed', 'opened']);
      third.destroy();
    } finally {
      await tcp.close();
    }
  });
});

describe('mux', () => {
  it("sends every port's output to the backend and input to the focused port", () => {
    const ring = new RingBackend();
    const mux = new MuxBackend(ring);
    const serial = new FifoDevice(new CharFrontend(mux.addPort()), 64);
    const monitor = new FifoDevice(new CharFrontend(mux.addPort()), 64);
    serial.fe.write(new TextEncoder().encode('boot '));
    monitor.fe.write(new TextEncoder().encode('(qemu) '));
    expect(ring.outputText()).toBe('boot (qemu) ');
    ring.push('ls\x01cinfo\x01\x01\x01b\x01cpwd');
    serial.guestDrains();
    monitor.guestDrains();
    expect(String.fromCharCode(...serial.received)).toBe('lspwd');
    expect(String.fromCharCode(...monitor.received)).toBe('info\x01');
    expect(monitor.events).toEqual(['opened', 'break']);
    expect(serial.events).toEqual(['opened']);
    expect(mux.focus).toBe(0);
  });

  it('loses no input when the focused device is slow', () => {
    const ring = new RingBackend();
    const mux = new MuxBackend(ring);
    const device = new FifoDevice(new CharFrontend(mux.addPort()));
    const data = pattern(1 << 18, 11).map((b) => (b === 0x01 ? 0x02 : b)); // no escapes in the payload
    ring.push(data);
    while (device.guestDrains() > 0);
    expectSameBytes(device.received, data);
    expect(device.overruns).toBe(0);
    expect(ring.bufferedInput).toBe(0);
  });
});
