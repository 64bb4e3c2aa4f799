import { describe, expect, it } from 'vitest';
import type { ApiHandlers } from './contract';
import { dispatch } from './dispatch';
import { createApiProxy } from './client';

const calls: unknown[][] = [];
const handlers: ApiHandlers = {
  'app.info': async () => ({ version: '1.2.3', transport: 'browser', storePath: '/lib' }),
  'vms.list': async () => [],
  'vms.create': async (input) => {
    calls.push([input]);
    return { id: 'x', name: input.name, state: 'stopped' };
  },
  'vms.delete': async () => {
    throw new Error('no VM here');
  },
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

  it('reports handler failures as errors, not crashes', async () => {
    expect(await dispatch(handlers, { id: 3, method: 'vms.delete', params: ['a'] })).toEqual({
      id: 3,
      ok: false,
      error: 'no VM here',
    });
  });

  it('drives handlers through the typed proxy', async () => {
    const api = createApiProxy((method, params) => dispatch(handlers, { id: 1, method, params }));
    expect((await api['app.info']()).version).toBe('1.2.3');
    await expect(api['vms.delete']('a')).rejects.toThrow('no VM here');
  });
});
