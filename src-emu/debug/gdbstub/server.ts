/**
 * The gdb stub's TCP transport (`--gdb tcp::1234`, `-s`): one debugger connection at a time, framing and
 * acknowledgements from packet.ts, the protocol in session.ts.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Debugger } from '../debugger';
import { framePacket, PacketReader } from './packet';
import { GdbSession, type MonitorRunner } from './session';

export interface GdbServerOptions {
  readonly host?: string;
  /** 0 picks a free port (see `port` once listening). */
  readonly port: number;
  readonly monitor?: MonitorRunner;
  /** gdb sent `k`. */
  readonly onKill?: () => void;
}

/** `tcp::1234`, `tcp:HOST:PORT`, `tcp:HOST:PORT,server,nowait`, or a bare port, as QEMU's -gdb takes. */
export function parseGdbSpec(spec: string): { host: string; port: number } | null {
  const match = /^(?:tcp:)?(?:([^:,]*):)?(\d+)(?:,.*)?$/.exec(spec);
  if (!match) return null;
  const port = Number(match[2]);
  if (port > 65535) return null;
  return { host: match[1] || '127.0.0.1', port };
}

export class GdbServer {
  private readonly server: Server;
  private client: { socket: Socket; session: GdbSession } | null = null;

  constructor(
    private readonly dbg: Debugger,
    private readonly options: GdbServerOptions,
  ) {
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Starts listening; resolves with the port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : this.options.port);
      });
    });
  }

  /** The machine has ended: tell a waiting gdb, then close everything. */
  async close(): Promise<void> {
    const client = this.client;
    if (client !== null) {
      client.session.machineExited();
      client.socket.end();
      this.drop(client.socket);
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (this.client !== null) {
      socket.end(); // one debugger at a time, as QEMU
      return;
    }
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    let acks = true;
    let last = '';
    const sendFramed = (payload: string): void => {
      last = framePacket(payload);
      socket.write(last, 'latin1');
    };
    const session = new GdbSession(
      this.dbg,
      sendFramed,
      {
        kill: () => this.options.onKill?.(),
        detach: () => setImmediate(() => socket.end()),
      },
      this.options.monitor ?? null,
    );
    this.client = { socket, session };
    const reader = new PacketReader({
      packet: (payload) => {
        if (acks) socket.write('+');
        if (payload === 'QStartNoAckMode') {
          sendFramed('OK');
          acks = false;
          return;
        }
        session.handle(payload);
      },
      interrupt: () => session.interrupt(),
      nak: () => socket.write(last, 'latin1'),
      corrupt: () => socket.write('-'),
    });
    socket.on('data', (chunk: string) => reader.push(chunk));
    socket.on('close', () => this.drop(socket));
    socket.on('error', () => this.drop(socket));
  }

  private drop(socket: Socket): void {
    if (this.client === null || this.client.socket !== socket) return;
    const { session } = this.client;
    this.client = null;
    session.close();
  }
}
