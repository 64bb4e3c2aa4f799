/**
 * Monitor transports: `stdio` (a line-editing prompt on the terminal) or `tcp:HOST:PORT` (any number of
 * connections, each with its own prompt, as QEMU's `-monitor tcp:...,server`). Lines go to a Monitor.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createInterface, type Interface } from 'node:readline';
import type { Monitor } from './commands';

const BANNER = "Orrery monitor - type 'help' for more information\n";
const PROMPT = '(orrery) ';

export interface MonitorTransport {
  /** The TCP port, or null for stdio. */
  readonly port: number | null;
  close(): Promise<void>;
}

/** `stdio`, `tcp:HOST:PORT` or `tcp::PORT` (`,server,nowait` accepted); null if the spec is neither. */
export function parseMonitorSpec(spec: string): { kind: 'stdio' } | { kind: 'tcp'; host: string; port: number } | null {
  if (spec === 'stdio') return { kind: 'stdio' };
  const match = /^tcp:([^:,]*):(\d+)(?:,.*)?$/.exec(spec);
  if (!match || Number(match[2]) > 65535) return null;
  return { kind: 'tcp', host: match[1] || '127.0.0.1', port: Number(match[2]) };
}

export function startStdioMonitor(monitor: Monitor): MonitorTransport {
  const rl: Interface = createInterface({ input: process.stdin, output: process.stdout, prompt: PROMPT });
  process.stdout.write(BANNER);
  rl.prompt();
  rl.on('line', (line) => {
    const reply = monitor.execute(line);
    process.stdout.write(reply.output);
    if (reply.quit) rl.close();
    else rl.prompt();
  });
  return {
    port: null,
    close: async () => rl.close(),
  };
}

export async function startTcpMonitor(monitor: Monitor, host: string, port: number): Promise<MonitorTransport> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    socket.write(BANNER + PROMPT);
    let pending = '';
    socket.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).replace(/\r$/, '');
        pending = pending.slice(newline + 1);
        const reply = monitor.execute(line);
        if (reply.quit) {
          socket.end(reply.output);
          return;
        }
        socket.write(reply.output + PROMPT);
      }
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
  return {
    port: bound,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
