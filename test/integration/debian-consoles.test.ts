/**
 * Debian's arm64 kernel with consoles beyond the PL011:
 * - through the CLI, `-device virtconsole` on a TCP chardev: what the guest writes to /dev/hvc0 reaches the
 *   socket, and a line typed into the socket reaches a guest reading /dev/hvc0;
 * - through the app's VmHost (worker threads), a VM with a virtio console: hvc0 both ways, and "send break"
 *   on the serial console followed by 'h' is Linux's SysRq help (CONFIG_MAGIC_SYSRQ_SERIAL).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibraryStore } from '../../src-main/store/library-store';
import { VmHost } from '../../src-main/vm/vm-host';
import { consoleContains, DEV_WORKER } from '../../src-main/vm/test-host';
import { debianGuest, debianSession } from '../support/guest';

/** A port that was free a moment ago (the CLI listens on it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Connects to the port as soon as something listens there, and collects what arrives. */
function clientOf(port: number, deadline: number): Promise<{ socket: Socket; received: () => string }> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.once('connect', () => {
        socket.on('data', (chunk) => (text += chunk.toString('latin1')));
        resolve({ socket, received: () => text });
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listened on port ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

describe('Debian guest with a virtio console (CLI)', () => {
  it('carries /dev/hvc0 both ways over -chardev socket and -device virtconsole', async () => {
    const port = await freePort();
    const session = debianSession({
      machine: 'orrery',
      extraArgs: [
        ...['-chardev', `socket,id=c0,host=127.0.0.1,port=${port},server=on,wait=off`],
        ...['-device', 'virtio-serial-device', '-device', 'virtconsole,chardev=c0'],
      ],
      commands: ['read -t 120 line < /dev/hvc0; echo "got [$line]"', 'echo hello-from-guest > /dev/hvc0'],
    });
    const client = await clientOf(port, Date.now() + 60_000);
    // Typed before the guest reads: the line waits in the device and the driver until /dev/hvc0 is open.
    client.socket.write('ping-from-host\n');
    const result = await session;
    client.socket.destroy();
    expect(result.exitCode).toBe(0);
    expect(result.outputs[0]).toBe('got [ping-from-host]');
    // The hvc tty echoes the line it read, then carries the guest's own write (ONLCR: CR LF).
    expect(client.received()).toContain('hello-from-guest\r\n');
  }, 900_000);
});

describe('Debian guest with a virtio console (app)', () => {
  let root: string;
  let host: VmHost;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'orrery-debian-consoles-'));
  });
  afterAll(async () => {
    await host?.shutdown();
    await rm(root, { recursive: true, force: true });
  });

  it('streams hvc0 as its own console, and a break then h on ttyAMA0 is SysRq help', async () => {
    const guest = await debianGuest();
    const store = new LibraryStore(root);
    host = new VmHost({ store, workerPath: DEV_WORKER });
    const vm = await store.create({
      name: 'Debian consoles',
      boot: { kind: 'kernel', kernel: guest.kernel, initrd: guest.initrd, append: 'console=ttyAMA0 quiet' },
      memoryMiB: 256,
      cpus: 1,
      consoles: 1,
    });
    const type = (text: string, console?: string) => host.consoleInput(vm.id, new TextEncoder().encode(text), console);
    const prompt = 'orrery:/root# ';
    expect((await host.start(vm.id)).state).toBe('running');
    await consoleContains(host, vm.id, prompt, 0, 600_000);

    let mark = host.consoleSnapshot(vm.id).end;
    await type('echo to-hvc0 > /dev/hvc0\n');
    await consoleContains(host, vm.id, prompt, mark, 60_000);
    await waitFor(() => text(host.consoleSnapshot(vm.id, 'hvc0').bytes).includes('to-hvc0\r\n'));
    expect(text(host.consoleSnapshot(vm.id).bytes.subarray(mark - host.consoleSnapshot(vm.id).start))).not.toContain(
      'to-hvc0\r\n',
    );

    mark = host.consoleSnapshot(vm.id).end;
    await type('read -t 120 line < /dev/hvc0; echo "got [$line]"\n');
    await type('typed-into-hvc0\n', 'hvc0');
    await consoleContains(host, vm.id, 'got [typed-into-hvc0]', mark, 120_000);

    // The break starts a SysRq sequence; the next character is its command (h: help).
    mark = host.consoleSnapshot(vm.id).end;
    host.consoleBreak(vm.id);
    await type('h');
    await consoleContains(host, vm.id, 'sysrq: HELP', mark, 60_000);
    await host.powerOff(vm.id);
  }, 900_000);
});

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

async function waitFor(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
