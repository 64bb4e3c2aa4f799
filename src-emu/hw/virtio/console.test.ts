/**
 * virtio-console (virtio 1.2, 5.3) driven as Linux's virtio_console driver does: multiport handshake on
 * the control queues, then data both ways with flow control; nothing is lost through a slow port.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CharBackend } from '../../core/chardev';
import { logger } from '../../core/log';
import { VirtioConsole, VirtioConsoleControl as C } from './console';
import { VirtioFeature } from './spec';
import { driverOk, GuestHeap, makeRig, negotiate, readable, reg, setupQueue, writable } from './test-driver';
import type { GuestQueue } from './test-driver';

afterEach(() => logger.setSink(null));

/** A character line whose output room the test sets; input is whatever the test pushes. */
class Line extends CharBackend {
  readonly output: number[] = [];
  room = Infinity;

  protected override attached(): void {
    this.setOpen(true);
  }

  protected writeOutput(bytes: Uint8Array): number {
    const count = Math.min(bytes.length, this.room);
    for (let i = 0; i < count; i++) this.output.push(bytes[i]);
    this.room -= count;
    return count;
  }

  /** The host read some output: there is room for `bytes` more. */
  drain(bytes: number): void {
    this.room = bytes;
    this.outputWritable();
  }

  type(bytes: Uint8Array): void {
    this.pushInput(bytes);
  }

  hangUp(): void {
    this.setOpen(false);
  }

  reconnect(): void {
    this.setOpen(true);
  }
}

interface ControlMessage {
  readonly id: number;
  readonly event: number;
  readonly value: number;
  readonly name?: string;
}

const CONTROL_BUFFER = 64;

/** The guest side: queues as init_vqs lays them out, and control traffic as handle_control_message sees it. */
class ConsoleGuest {
  readonly queues: GuestQueue[] = [];
  readonly received: ControlMessage[] = [];
  private readonly controlBuffers = new Map<number, number>();

  constructor(
    readonly rig: ReturnType<typeof consoleRig>,
    readonly heap: GuestHeap,
    queueCount: number,
    multiport: boolean,
  ) {
    negotiate(rig, multiport ? [VirtioFeature.RING_EVENT_IDX, 1, 2] : [VirtioFeature.RING_INDIRECT_DESC, 2]);
    for (let i = 0; i < queueCount; i++) this.queues.push(setupQueue(rig, heap, i, 16));
    driverOk(rig);
    if (multiport) for (let i = 0; i < 8; i++) this.postControlBuffer();
  }

  rx(port: number): GuestQueue {
    return this.queues[port === 0 ? 0 : 2 + 2 * port];
  }

  tx(port: number): GuestQueue {
    return this.queues[port === 0 ? 1 : 3 + 2 * port];
  }

  private postControlBuffer(): void {
    const addr = this.heap.alloc(CONTROL_BUFFER);
    const head = this.queues[2].add([writable(addr, CONTROL_BUFFER)]);
    this.controlBuffers.set(head, addr);
  }

  /** Collects control messages the device sent, reposting each buffer. */
  readControl(): ControlMessage[] {
    const fresh: ControlMessage[] = [];
    for (const used of this.queues[2].collect()) {
      const bytes = this.heap.get(this.controlBuffers.get(used.id)!, used.len);
      const view = new DataView(bytes.buffer);
      const message: ControlMessage = {
        id: view.getUint32(0, true),
        event: view.getUint16(4, true),
        value: view.getUint16(6, true),
      };
      fresh.push(used.len > 8 ? { ...message, name: new TextDecoder().decode(bytes.subarray(8)) } : message);
      this.queues[2].release(used.id);
      this.controlBuffers.delete(used.id);
      this.postControlBuffer();
    }
    this.queues[2].kick();
    this.received.push(...fresh);
    return fresh;
  }

  send(id: number, event: number, value: number): void {
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, id, true);
    view.setUint16(4, event, true);
    view.setUint16(6, value, true);
    const q = this.queues[3];
    q.add([readable(this.heap.put(bytes), 8)]);
    q.kick();
    for (const used of q.collect()) q.release(used.id);
  }
}

function consoleRig(props: Record<string, unknown>, lines: Line[]) {
  const rig = makeRig(
    (init) => {
      const console = new VirtioConsole({ ...init, props });
      console.ports.forEach((port, i) => port.connect(lines[i]));
      return console;
    },
    { ramSize: 16 * 1024 * 1024 },
  );
  return rig;
}

function multiportGuest(lines: Line[], props: Record<string, unknown> = {}) {
  const rig = consoleRig({ maxPorts: 4, ports: 2, consoles: 1, names: ',org.example.agent', ...props }, lines);
  const guest = new ConsoleGuest(rig, new GuestHeap(rig.bus), 10, true);
  return { rig, guest };
}

/** The whole Linux handshake: DEVICE_READY, then PORT_READY per added port, PORT_OPEN for consoles. */
function handshake(guest: ConsoleGuest): void {
  guest.send(0xffffffff, C.DEVICE_READY, 1);
  for (const message of guest.readControl()) {
    if (message.event === C.DEVICE_ADD) {
      for (let i = 0; i < 4; i++) {
        const buf = guest.heap.alloc(256);
        guest.rx(message.id).add([writable(buf, 256)]);
      }
      guest.rx(message.id).kick();
      guest.send(message.id, C.PORT_READY, 1);
    }
  }
  for (const message of guest.readControl()) {
    if (message.event === C.CONSOLE_PORT) guest.send(message.id, C.PORT_OPEN, 1);
  }
}

describe('virtio-console multiport handshake', () => {
  it('identifies as device 3 with MULTIPORT and EMERG_WRITE, max_nr_ports in its configuration', () => {
    // QEMU 7.2 -device virtio-serial-device reads DeviceFeatures 0x30000006 and max_nr_ports 31.
    const qemuLike = consoleRig({}, [new Line()]);
    expect(reg(qemuLike, 'DEVICE_FEATURES')).toBe(0x30000006);
    expect(qemuLike.bus.read(0x0a00_0104, 4)).toBe(31);
    const rig = consoleRig({ maxPorts: 4 }, [new Line()]);
    expect(reg(rig, 'DEVICE_ID')).toBe(3);
    expect(rig.bus.read(0x0a00_0104, 4)).toBe(4);
    // 2 * (max_nr_ports + 1) queues, as Linux's init_vqs expects; none beyond.
    rig.bus.write(0x0a00_0030, 4, 9);
    expect(reg(rig, 'QUEUE_NUM_MAX')).toBe(1024);
    rig.bus.write(0x0a00_0030, 4, 10);
    expect(reg(rig, 'QUEUE_NUM_MAX')).toBe(0);
    // QEMU's own sizes (virtio_serial_device_realize): 128 for data queues, 32 for the control queues.
    expect(rig.device.queue(9)!.size).toBe(128);
    expect(rig.device.queue(2)!.size).toBe(32);
  });

  it('answers DEVICE_READY with DEVICE_ADD per port, and PORT_READY with CONSOLE_PORT, PORT_NAME, PORT_OPEN', () => {
    const { guest } = multiportGuest([new Line(), new Line()]);
    handshake(guest);
    expect(guest.received).toEqual([
      { id: 0, event: C.DEVICE_ADD, value: 1 },
      { id: 1, event: C.DEVICE_ADD, value: 1 },
      { id: 0, event: C.CONSOLE_PORT, value: 1 },
      { id: 0, event: C.PORT_OPEN, value: 1 },
      { id: 1, event: C.PORT_NAME, value: 1, name: 'org.example.agent' },
      { id: 1, event: C.PORT_OPEN, value: 1 },
    ]);
  });

  it('tells the guest when the host side hangs up and comes back', () => {
    const lines = [new Line(), new Line()];
    const { guest } = multiportGuest(lines);
    handshake(guest);
    lines[1].hangUp();
    lines[1].reconnect();
    expect(guest.readControl()).toEqual([
      { id: 1, event: C.PORT_OPEN, value: 0 },
      { id: 1, event: C.PORT_OPEN, value: 1 },
    ]);
  });

  it('holds host input for a port until the guest opens it', () => {
    const lines = [new Line(), new Line()];
    const { guest } = multiportGuest(lines);
    handshake(guest);
    lines[1].type(new TextEncoder().encode('early'));
    expect(guest.rx(1).usedIdx).toBe(0);
    expect(lines[1].bufferedInput).toBe(5);
    guest.send(1, C.PORT_OPEN, 1);
    const [used] = guest.rx(1).collect();
    expect(used.len).toBe(5);
  });

  it('logs control messages for ports that do not exist', () => {
    const { guest, rig } = multiportGuest([new Line(), new Line()]);
    guest.send(3, C.PORT_READY, 1);
    expect(rig.errors.some((e) => /port 3, which does not exist/.test(e.message))).toBe(true);
  });
});

describe('virtio-console data and flow control', () => {
  it('a single-port console carries data both ways without control queues', () => {
    const line = new Line();
    const rig = consoleRig({ maxPorts: 1 }, [line]);
    const heap = new GuestHeap(rig.bus);
    const guest = new ConsoleGuest(rig, heap, 2, false);
    const out = heap.put(new TextEncoder().encode('hello'));
    guest.tx(0).add([readable(out, 5)], true);
    guest.tx(0).kick();
    expect(String.fromCharCode(...line.output)).toBe('hello');
    const buf = heap.alloc(16);
    const head = guest.rx(0).add([writable(buf, 16)]);
    guest.rx(0).kick();
    line.type(new TextEncoder().encode('hi!'));
    expect(guest.rx(0).collect()).toEqual([{ id: head, len: 3 }]);
    expect(new TextDecoder().decode(heap.get(buf, 3))).toBe('hi!');
  });

  it('a receive buffer with nothing device-writable is handed back empty instead of blocking input', () => {
    const line = new Line();
    const rig = consoleRig({ maxPorts: 1 }, [line]);
    const heap = new GuestHeap(rig.bus);
    const guest = new ConsoleGuest(rig, heap, 2, false);
    const bad = guest.rx(0).add([readable(heap.alloc(8), 8)]);
    const good = heap.alloc(8);
    const head = guest.rx(0).add([writable(good, 8)]);
    guest.rx(0).kick();
    line.type(new TextEncoder().encode('ok'));
    expect(guest.rx(0).collect()).toEqual([
      { id: bad, len: 0 },
      { id: head, len: 2 },
    ]);
    expect(rig.errors.some((e) => /has no device-writable part/.test(e.message))).toBe(true);
  });

  it('a transmit chain larger than one host piece goes out whole', () => {
    const line = new Line();
    const rig = consoleRig({ maxPorts: 1 }, [line]);
    const heap = new GuestHeap(rig.bus);
    const guest = new ConsoleGuest(rig, heap, 2, false);
    const data = Uint8Array.from({ length: 300 * 1024 }, (_, i) => (i * 5 + (i >> 12)) & 0xff);
    const at = heap.put(data);
    const head = guest.tx(0).add([readable(at, 100 * 1024), readable(at + 100 * 1024, 200 * 1024)]);
    guest.tx(0).kick();
    expect(guest.tx(0).collect()).toEqual([{ id: head, len: 0 }]);
    expect(Buffer.from(line.output).equals(data)).toBe(true);
  });

  it('emerg_wr writes one character to port 0', () => {
    const line = new Line();
    const rig = consoleRig({ maxPorts: 1 }, [line]);
    new ConsoleGuest(rig, new GuestHeap(rig.bus), 2, false);
    rig.bus.write(0x0a00_0108, 4, 0x21);
    expect(line.output).toEqual([0x21]);
  });

  it('1 MiB from the guest through a slow port arrives complete and in order', () => {
    const lines = [new Line(), new Line()];
    const { guest } = multiportGuest(lines);
    handshake(guest);
    const line = lines[1];
    line.room = 0;
    const total = 1024 * 1024;
    const data = Uint8Array.from({ length: total }, (_, i) => (i * 7 + (i >> 11)) & 0xff);
    const chunk = 4096;
    const tx = guest.tx(1);
    const slots = [0, 1, 2, 3].map(() => guest.heap.alloc(chunk));
    const free = [...slots];
    const inUse = new Map<number, number>();
    let sent = 0;
    let rounds = 0;
    while (line.output.length < total) {
      while (free.length > 0 && sent < total) {
        const addr = free.pop()!;
        const length = Math.min(chunk, total - sent);
        guest.heap.bus.writeBytes(addr, data.subarray(sent, sent + length));
        inUse.set(tx.add([readable(addr, length)]), addr);
        sent += length;
      }
      tx.kick();
      line.drain(1000 + (rounds % 7) * 100); // the host reads a little at a time
      for (const used of tx.collect()) {
        free.push(inUse.get(used.id)!);
        tx.release(used.id);
      }
      if (++rounds > 10000) throw new Error('no progress');
    }
    expect(line.output.length).toBe(total);
    expect(Buffer.from(line.output).equals(data)).toBe(true);
  });

  it('1 MiB from the host into a guest with few small buffers arrives complete and in order', () => {
    const lines = [new Line(), new Line()];
    const { guest } = multiportGuest(lines);
    handshake(guest);
    const total = 1024 * 1024;
    const data = Uint8Array.from({ length: total }, (_, i) => (i * 13 + (i >> 9)) & 0xff);
    lines[1].type(data.slice());
    guest.send(1, C.PORT_OPEN, 1);
    const rx = guest.rx(1);
    const received: number[] = [];
    for (let rounds = 0; received.length < total; rounds++) {
      for (const used of rx.collect()) {
        const buffer = guest.heap.bus.read(rx.desc + 16 * used.id, 4);
        received.push(...guest.heap.get(buffer, used.len));
        rx.release(used.id);
        rx.add([writable(guest.heap.alloc(512), 512)]);
      }
      rx.kick();
      if (rounds > 100000) throw new Error('no progress');
    }
    expect(received.length).toBe(total);
    expect(Buffer.from(received).equals(data)).toBe(true);
    expect(lines[1].bufferedInput).toBe(0);
  });
});
