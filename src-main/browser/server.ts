/**
 * Browser mode: the same renderer bundle and the same API, served on 127.0.0.1 over HTTP + WebSocket.
 * Every API connection must present the random access token and come from our own origin, so other pages
 * in the user's browser and other local users' tools cannot drive the VMs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventSink } from '../../src-shared/api/contract';
import { dispatch } from '../../src-shared/api/dispatch';
import type { ApiSession } from '../services/handlers';

export const API_PATH = '/api';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Same policy as the Electron window, plus ws: to our own origin for the API socket. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self' ws://127.0.0.1:*",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

export interface BrowserServerOptions {
  /** Opens the service session of one WebSocket connection; events go out through `emit`. */
  readonly openSession: (emit: EventSink) => ApiSession;
  /** Folder with the built renderer (index.html and assets). */
  readonly rendererDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Fixed token for tests; random otherwise. */
  readonly token?: string;
}

export interface BrowserServer {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const http = createServer((req, res) => {
    serveStatic(options.rendererDir, req, res).catch(() => {
      res.writeHead(500).end();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  await listen(http, options.port ?? 0);
  const port = (http.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    const allowed =
      url.pathname === API_PATH && req.headers.origin === origin && tokenMatches(url.searchParams.get('token'), token);
    if (!allowed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveApi(ws, options.openSession));
  });

  return {
    url: `${origin}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** One connection: requests in, responses and pushed events out, all as JSON text frames. */
function serveApi(ws: WebSocket, openSession: (emit: EventSink) => ApiSession): void {
  const session = openSession((event, payload) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }));
  });
  const { handlers } = session;
  ws.on('close', () => session.close());
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let request: unknown;
    try {
      request = JSON.parse(data.toString());
    } catch {
      ws.send(JSON.stringify({ id: -1, ok: false, error: 'malformed request' }));
      return;
    }
    void dispatch(handlers, request).then((response) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(response));
    });
  });
}

function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end();
    return;
  }
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const relative = normalize(pathname === '/' ? '/index.html' : pathname);
  const file = join(root, relative);
  if (!file.startsWith(root + sep)) {
    res.writeHead(404).end();
    return;
  }
  let body: Buffer;
  let type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  try {
    body = await readFile(file);
  } catch {
    // Client-side routes fall back to the app shell.
    body = await readFile(join(root, 'index.html'));
    type = CONTENT_TYPES['.html']!;
  }
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
