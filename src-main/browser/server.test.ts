import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LibraryStore } from '../store/library-store';
import { createHandlers } from '../services/handlers';
import { startBrowserServer, type BrowserServer } from './server';

let dir: string;
let server: BrowserServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'orrery-server-'));
  await mkdir(join(dir, 'renderer', 'assets'), { recursive: true });
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>shell</title>');
  await writeFile(join(dir, 'renderer', 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'do not serve');
  const store = new LibraryStore(join(dir, 'library'));
  server = await startBrowserServer({
    handlers: createHandlers({ store, transport: 'browser', version: '0.0.0-test' }),
    rendererDir: join(dir, 'renderer'),
  });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const origin = () => `http://127.0.0.1:${server.port}`;

function connect(token: string, originHeader: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${token}`, { origin: originHeader });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, request: object): Promise<unknown> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(data.toString())));
    ws.send(JSON.stringify(request));
  });
}

describe('browser-mode server', () => {
  it('binds 127.0.0.1 and prints a URL carrying a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
  });

  it('serves the renderer with a strict CSP and falls back to the shell for client routes', async () => {
    const index = await fetch(`${origin()}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await (await fetch(`${origin()}/assets/app.js`)).text()).toBe('console.log(1)');
    expect(await (await fetch(`${origin()}/vm/xyz`)).text()).toContain('<title>shell</title>');
  });

  it('never serves files outside the renderer folder', async () => {
    const response = await fetch(`${origin()}/..%2fsecret.txt`);
    expect(await response.text()).not.toContain('do not serve');
  });

  it('answers API calls with the right token from our own origin', async () => {
    const ws = await connect(server.token, origin());
    const created = (await call(ws, {
      id: 1,
      method: 'vms.create',
      params: [{ name: 'Demo', boot: { kind: 'demo' }, memoryMiB: 64, cpus: 1 }],
    })) as { ok: boolean; result: { id: string } };
    expect(created.ok).toBe(true);
    expect(await call(ws, { id: 2, method: 'vms.list', params: [] })).toMatchObject({
      id: 2,
      ok: true,
      result: [{ id: 'demo', name: 'Demo', state: 'stopped' }],
    });
    ws.close();
  });

  it('refuses a wrong token or a foreign origin', async () => {
    await expect(connect('wrong', origin())).rejects.toThrow('HTTP 403');
    await expect(connect(server.token, 'http://evil.example')).rejects.toThrow('HTTP 403');
  });
});
