import { describe, expect, it } from 'vitest';
import { MAX_INPUT_CHUNK, parseCommand, parseReport, WORKER_PROTOCOL_VERSION } from './protocol';
import { VmRunner } from './vm-runner';
import type { WorkerReport } from './protocol';

const start = (config: object) => ({ type: 'start', protocol: WORKER_PROTOCOL_VERSION, config });

describe('worker protocol validation', () => {
  it('accepts well-formed commands and fills in defaults', () => {
    const parsed = parseCommand(start({ memoryMiB: 64, cpus: 2, boot: { kind: 'demo' } }));
    expect(parsed.success && parsed.data).toEqual({
      type: 'start',
      protocol: WORKER_PROTOCOL_VERSION,
      config: { memoryMiB: 64, cpus: 2, boot: { kind: 'demo' }, consoleWindow: 64 * 1024 },
    });
    expect(parseCommand({ type: 'console-input', bytes: new Uint8Array([104, 105]) }).success).toBe(true);
    expect(parseCommand({ type: 'query', id: 3, kind: 'registers' }).success).toBe(true);
  });

  it('rejects unknown commands, wrong versions, impossible machines and oversized or non-byte input', () => {
    expect(parseCommand({ type: 'format-disk' }).success).toBe(false);
    expect(parseCommand({ ...start({ memoryMiB: 64, cpus: 1, boot: { kind: 'demo' } }), protocol: 99 }).success).toBe(
      false,
    );
    expect(parseCommand(start({ memoryMiB: 8, cpus: 1, boot: { kind: 'demo' } })).success).toBe(false);
    expect(parseCommand(start({ memoryMiB: 64, cpus: 9, boot: { kind: 'demo' } })).success).toBe(false);
    expect(parseCommand(start({ memoryMiB: 64, cpus: 1, boot: { kind: 'kernel', kernel: '' } })).success).toBe(false);
    expect(parseCommand({ type: 'console-input', bytes: 'hello' }).success).toBe(false);
    expect(parseCommand({ type: 'console-input', bytes: new Uint8Array(MAX_INPUT_CHUNK + 1) }).success).toBe(false);
    expect(parseCommand({ type: 'console-ack', count: -1 }).success).toBe(false);
    expect(parseCommand({ type: 'query', id: 1, kind: 'disk-contents' }).success).toBe(false);
  });

  it('checks reports from the worker just as strictly', () => {
    expect(parseReport({ type: 'state', state: 'crashed', reason: 'x' }).success).toBe(true);
    expect(parseReport({ type: 'state', state: 'exploded' }).success).toBe(false);
    expect(parseReport({ type: 'console-output', bytes: [1, 2, 3] }).success).toBe(false);
    const registers = {
      type: 'query-result',
      id: 1,
      result: { kind: 'registers', cpus: [{ index: 0, pc: '40000000' }] },
    };
    expect(parseReport(registers).success).toBe(false);
  });

  it('makes the runner report a bad command instead of acting on it or throwing', async () => {
    const reports: WorkerReport[] = [];
    const runner = new VmRunner((r) => reports.push(r));
    await runner.handle({ type: 'start', protocol: WORKER_PROTOCOL_VERSION, config: { memoryMiB: 'lots' } });
    await runner.handle({ type: 'query', id: 1, kind: 'registers' });
    expect(reports.map((r) => r.type)).toEqual(['command-error', 'query-error']);
    expect(runner.state).toBe('starting');
  });
});
