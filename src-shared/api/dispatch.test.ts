import { describe, expect, it } from 'vitest';
import type { ApiHandlers } from './contract';
import { dispatch } from './dispatch';
import { createApiProxy, EventHub } from './client';
import { CONSOLE_INPUT_CHUNK } from './contract';

const calls: unknown[][] = [];
const emptyListing = {
  snapshots: [],
  current: { parent: null, resume: null, diskBytes: 0 },
  totalBytes: 0,
  disks: [],
};
const handlers: ApiHandlers = {
  'app.info': async () => ({ version: '1.2.3', transport: 'browser', storePath: '/lib' }),
  'vms.list': async () => [],
  'vms.create': async (input) => {
    calls.push([input]);
    return { id: 'x', name: input.name, state: 'stopped' };
  },
  'vms.delete': async (id, options) => {
    if (id === 'none') throw new Error('no VM here');
    calls.push([id, options]);
    return { kept: [], keptIn: null };
  },
  'vms.start': async () => ({ state: 'running' }),
  'vms.pause': async () => ({ state: 'paused' }),
  'vms.resume': async () => ({ state: 'running' }),
  'vms.reset': async () => ({ state: 'running' }),
  'vms.powerOff': async () => ({ state: 'stopped' }),
  'vms.forceStop': async () => ({ state: 'stopped', reason: 'forced stop' }),
  'vms.inspect': async (id, query) => {
    calls.push([id, query]);
    return { kind: 'memory-map', entries: [] };
  },
  'vms.update': async (id, settings) => ({ id, name: settings.name, state: 'stopped' }),
  'vms.step': async (_id, cpu) => ({ cpu, from: '0'.repeat(16), pc: '0'.repeat(15) + '4', cause: 'step' }),
  'vms.traceConfigure': async (_id, patterns) => ({ kind: 'trace-events', patterns, events: [] }),
  'snapshots.list': async () => emptyListing,
  'snapshots.take': async (id, options) => {
    calls.push([id, options]);
    return emptyListing;
  },
  'snapshots.restore': async () => emptyListing,
  'snapshots.explainDelete': async (_id, snapshot) => ({ snapshot, text: 'nothing', kept: 0, rebased: 0 }),
  'snapshots.delete': async () => emptyListing,
  'snapshots.rename': async () => emptyListing,
  'snapshots.diff': async () => {
    throw new Error('no snapshots');
  },
  'guests.catalog': async () => [],
  'guests.prepare': async () => {
    throw new Error('no apt here');
  },
  'console.attach': async () => ({ start: 0, end: 0, data: '' }),
  'console.detach': async () => null,
  'console.break': async () => null,
  'console.input': async (id, data) => {
    calls.push([id, data]);
    return null;
  },
  'console.clear': async () => null,
  'dialog.openFile': async () => null,
};

describe('dispatch', () => {
  it('calls the handler with validated parameters and returns its result', async () => {
    const response = await dispatch(handlers, { id: 7, method: 'app.info', params: [] });
    expect(response).toEqual({
      id: 7,
      ok: true,
      result: { version: '1.2.3', transport: 'browser', storePath: '/lib' },
    });
  });

  it('rejects malformed requests, unknown methods and invalid parameters before any handler runs', async () => {
    expect(await dispatch(handlers, 'hello')).toEqual({ id: -1, ok: false, error: 'malformed request' });
    expect(await dispatch(handlers, { id: 1, method: 'fs.read', params: [] })).toEqual({
      id: 1,
      ok: false,
      error: "unknown method 'fs.read'",
    });
    const bad = await dispatch(handlers, {
      id: 2,
      method: 'vms.create',
      params: [{ name: 'x', boot: { kind: 'demo' }, memoryMiB: 99999, cpus: 1 }],
    });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/vms\.create:[\s\S]*memoryMiB/);
    expect(calls).toEqual([]);
  });

  it('refuses console input that is not base64 or larger than one chunk', async () => {
    const notBase64 = await dispatch(handlers, { id: 4, method: 'console.input', params: ['vm', 'hello world!'] });
    expect(notBase64.ok).toBe(false);
    const big = btoa('x'.repeat(CONSOLE_INPUT_CHUNK + 3));
    expect((await dispatch(handlers, { id: 5, method: 'console.input', params: ['vm', big] })).ok).toBe(false);
    const fits = btoa('x'.repeat(CONSOLE_INPUT_CHUNK));
    expect((await dispatch(handlers, { id: 6, method: 'console.input', params: ['vm', fits] })).ok).toBe(true);
    expect(calls).toEqual([['vm', fits]]);
    calls.length = 0;
  });

  it('checks results too: a handler answering outside its schema is an error', async () => {
    const broken: ApiHandlers = { ...handlers, 'vms.start': async () => ({ state: 'flying' }) as never };
    const response = await dispatch(broken, { id: 9, method: 'vms.start', params: ['x'] });
    expect(response.ok).toBe(false);
  });

  it('reports handler failures as errors, not crashes', async () => {
    expect(await dispatch(handlers, { id: 3, method: 'vms.delete', params: ['none'] })).toEqual({
      id: 3,
      ok: false,
      error: 'no VM here',
    });
  });

  it('passes inspector queries on normalised: a bare kind becomes a query object', async () => {
    calls.length = 0;
    const ok = (params: unknown[]) => dispatch(handlers, { id: 1, method: 'vms.inspect', params });
    expect((await ok(['vm', 'registers'])).ok).toBe(true);
    expect((await ok(['vm', { kind: 'memory', space: 'physical', address: '0x40000000', length: 64 }])).ok).toBe(true);
    expect((await ok(['vm', { kind: 'disassembly', cpu: 1 }])).ok).toBe(true);
    expect(calls).toEqual([
      ['vm', { kind: 'registers' }],
      ['vm', { kind: 'memory', space: 'physical', address: '0x40000000', length: 64, cpu: 0 }],
      ['vm', { kind: 'disassembly', cpu: 1, before: 8, after: 16 }],
    ]);
  });

  it('refuses malformed inspector, step and trace requests before any handler runs', async () => {
    calls.length = 0;
    const send = (method: string, params: unknown[]) => dispatch(handlers, { id: 2, method, params });
    const memory = (extra: object) => ({
      kind: 'memory',
      space: 'physical',
      address: '40000000',
      length: 16,
      ...extra,
    });
    for (const bad of [
      memory({ address: '0x1_0000' }), // not hex digits only
      memory({ address: '0x' + '1'.repeat(17) }), // more than 64 bits
      memory({ length: 4097 }), // over one read
      memory({ space: 'io' }),
      { kind: 'disassembly', cpu: 8 },
      { kind: 'device' },
      'trace',
    ]) {
      expect((await send('vms.inspect', ['vm', bad])).ok, JSON.stringify(bad)).toBe(false);
    }
    expect((await send('vms.step', ['vm', -1])).ok).toBe(false);
    expect((await send('vms.traceConfigure', ['vm', ['pl011_*; rm -rf']])).ok).toBe(false);
    expect((await send('vms.traceConfigure', ['vm', ['pl011_*', '-pl011_irq_state']])).ok).toBe(true);
    expect(calls).toEqual([]);
  });

  it('takes delete options as an optional second parameter', async () => {
    calls.length = 0;
    const send = (params: unknown[]) => dispatch(handlers, { id: 4, method: 'vms.delete', params });
    expect((await send(['a'])).ok).toBe(true);
    expect((await send(['b', { keepFiles: true }])).ok).toBe(true);
    expect((await send(['c', { keepFiles: 'yes' }])).ok).toBe(false);
    expect(calls).toEqual([
      ['a', undefined],
      ['b', { keepFiles: true }],
    ]);
  });

  it('checks snapshot names before a snapshot is taken, and trims them', async () => {
    calls.length = 0;
    const take = (options: unknown) => dispatch(handlers, { id: 5, method: 'snapshots.take', params: ['vm', options] });
    expect((await take({ name: '  before upgrade ', description: 'kernel 6.1' })).ok).toBe(true);
    const blank = await take({ name: '   ' });
    expect(blank.ok === false && blank.error).toMatch(/a name is required/);
    expect((await take({ name: 'x'.repeat(81) })).ok).toBe(false);
    expect((await take({})).ok).toBe(false);
    expect(calls).toEqual([['vm', { name: 'before upgrade', description: 'kernel 6.1' }]]);
  });

  it('drives handlers through the typed proxy', async () => {
    const api = createApiProxy((method, params) => dispatch(handlers, { id: 1, method, params }));
    expect((await api['app.info']()).version).toBe('1.2.3');
    await expect(api['vms.delete']('none')).rejects.toThrow('no VM here');
  });
});

describe('EventHub', () => {
  it('delivers well-formed events to their listeners only', () => {
    const hub = new EventHub();
    const states: unknown[] = [];
    const output: unknown[] = [];
    const stop = hub.on('vm.state', (payload) => states.push(payload));
    hub.on('console.output', (payload) => output.push(payload.offset));
    expect(hub.deliver({ event: 'vm.state', payload: { id: 'a', status: { state: 'running' } } })).toBe(true);
    expect(hub.deliver({ event: 'console.output', payload: { id: 'a', offset: 5, data: 'aGk=' } })).toBe(true);
    stop();
    hub.deliver({ event: 'vm.state', payload: { id: 'a', status: { state: 'paused' } } });
    expect(states).toEqual([{ id: 'a', status: { state: 'running' } }]);
    expect(output).toEqual([5]);
  });

  it('drops unknown events and payloads that do not match their schema', () => {
    const hub = new EventHub();
    const seen: unknown[] = [];
    hub.on('console.output', (payload) => seen.push(payload));
    expect(hub.deliver({ event: 'console.output', payload: { id: 'a', offset: -1, data: 'aGk=' } })).toBe(false);
    expect(hub.deliver({ event: 'console.output', payload: { id: 'a', offset: 0, data: 'not base64!' } })).toBe(false);
    expect(hub.deliver({ event: 'shell.exec', payload: {} })).toBe(false);
    expect(hub.deliver('garbage')).toBe(false);
    expect(seen).toEqual([]);
    expect(hub.rejected).toBe(4);
  });
});
