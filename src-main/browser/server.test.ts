import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LibraryStore } from '../store/library-store';
import { openSession } from '../services/handlers';
import { VmHost } from '../vm/vm-host';
import { startBrowserServer, type BrowserServer } from './server';

let dir: string;
let server: BrowserServer;
let host: VmHost;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'orrery-server-'));
  await mkdir(join(dir, 'renderer', 'assets'), { recursive: true });
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>shell</title>');
  await writeFile(join(dir, 'renderer', 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'do not serve');
  const store = new LibraryStore(join(dir, 'library'));
  host = new VmHost({ store, workerPath: new URL('../../src-emu/worker/dev-entry.mjs', import.meta.url) });
  const ctx = { store, host, transport: 'browser' as const, version: '0.0.0-test', guestCacheDir: join(dir, 'cache') };
  server = await startBrowserServer({
    openSession: (emit) => openSession(ctx, emit),
    rendererDir: join(dir, 'renderer'),
  });
});
afterAll(async () => {
  await host.shutdown();
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

/** Sends a request and resolves with the response carrying its id (events may arrive in between). */
function call(ws: WebSocket, request: { id: number; method: string; params: unknown[] }): Promise<unknown> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse(data.toString()) as { id?: number };
      if (message.id !== request.id) return;
      ws.off('message', onMessage);
      resolve(message);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify(request));
  });
}

/** Collects pushed events; `until` resolves when one satisfies the test. */
function collectEvents(ws: WebSocket) {
  const events: { event: string; payload: Record<string, unknown> }[] = [];
  const waiters: { test: (e: (typeof events)[number]) => boolean; resolve: () => void }[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as (typeof events)[number];
    if (!('event' in message)) return;
    events.push(message);
    for (const w of waiters.filter((w) => w.test(message))) w.resolve();
  });
  return {
    events,
    until: (test: (e: (typeof events)[number]) => boolean) =>
      new Promise<void>((resolve) => {
        if (events.some(test)) resolve();
        else waiters.push({ test, resolve });
      }),
  };
}

const consoleText = (events: { event: string; payload: Record<string, unknown> }[], id: string) =>
  events
    .filter((e) => e.event === 'console.output' && e.payload.id === id)
    .map((e) => Buffer.from(e.payload.data as string, 'base64').toString('latin1'))
    .join('');

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

  it('pushes state changes and console output of a running VM to an attached client', async () => {
    const ws = await connect(server.token, origin());
    const log = collectEvents(ws);
    const created = (await call(ws, {
      id: 1,
      method: 'vms.create',
      params: [{ name: 'Pushed', boot: { kind: 'demo' }, memoryMiB: 64, cpus: 1 }],
    })) as { result: { id: string } };
    const id = created.result.id;
    expect(await call(ws, { id: 2, method: 'console.attach', params: [id] })).toMatchObject({
      ok: true,
      result: { start: 0, end: 0, data: '' },
    });
    expect(await call(ws, { id: 3, method: 'vms.start', params: [id] })).toMatchObject({
      ok: true,
      result: { state: 'running' },
    });
    await log.until(() => consoleText(log.events, id).includes('demo> '));
    const input = Buffer.from('echo pushed\r').toString('base64');
    expect(await call(ws, { id: 4, method: 'console.input', params: [id, input] })).toMatchObject({ ok: true });
    await log.until(() => consoleText(log.events, id).includes('pushed\r\ndemo> '));

    // The chunks line up by offset, and a late attach gets the same bytes as scrollback.
    const chunks = log.events.filter((e) => e.event === 'console.output');
    expect(chunks[0]?.payload.offset).toBe(0);
    const late = (await call(ws, { id: 5, method: 'console.attach', params: [id] })) as { result: { data: string } };
    expect(Buffer.from(late.result.data, 'base64').toString('latin1')).toBe(consoleText(log.events, id));

    expect(await call(ws, { id: 6, method: 'vms.delete', params: [id] })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/stop it before deleting it/),
    });
    expect(await call(ws, { id: 7, method: 'vms.powerOff', params: [id] })).toMatchObject({
      result: { state: 'stopped', reason: 'powered off' },
    });
    const states = log.events.filter((e) => e.event === 'vm.state' && e.payload.id === id).map((e) => e.payload.status);
    expect(states).toEqual([{ state: 'starting' }, { state: 'running' }, { state: 'stopped', reason: 'powered off' }]);
    expect(await call(ws, { id: 8, method: 'vms.delete', params: [id] })).toMatchObject({ ok: true });
    ws.close();
  });

  it('refuses a wrong token or a foreign origin', async () => {
    await expect(connect('wrong', origin())).rejects.toThrow('HTTP 403');
    await expect(connect(server.token, 'http://evil.example')).rejects.toThrow('HTTP 403');
  });
});
