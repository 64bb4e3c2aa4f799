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
    const withFolder = parseCommand(start({ memoryMiB: 64, cpus: 1, boot: { kind: 'demo' }, folder: { dir: '/vm' } }));
    expect(withFolder.success && withFolder.data.type === 'start' && withFolder.data.config.folder).toEqual({
      dir: '/vm',
      readOnlyDisks: [],
    });
    expect(parseCommand({ type: 'snapshot', id: 1, request: { op: 'take', name: 'before' } }).success).toBe(true);
    expect(parseCommand({ type: 'console-input', bytes: new Uint8Array([104, 105]) }).success).toBe(true);
    expect(parseCommand({ type: 'query', id: 3, query: { kind: 'registers' } }).success).toBe(true);
  });

  it('rejects unknown commands, wrong versions, impossible machines and oversized or non-byte input', () => {
    expect(parseCommand({ type: 'format-disk' }).success).toBe(false);
    expect(parseCommand({ ...start({ memoryMiB: 64, cpus: 1, boot: { kind: 'demo' } }), protocol: 99 }).success).toBe(
      false,
    );
    expect(parseCommand(start({ memoryMiB: 8, cpus: 1, boot: { kind: 'demo' } })).success).toBe(false);
    expect(parseCommand(start({ memoryMiB: 64, cpus: 9, boot: { kind: 'demo' } })).success).toBe(false);
    expect(parseCommand(start({ memoryMiB: 64, cpus: 1, boot: { kind: 'kernel', kernel: '' } })).success).toBe(false);
    const noDir = { memoryMiB: 64, cpus: 1, boot: { kind: 'demo' as const }, folder: { dir: '' } };
    expect(parseCommand(start(noDir)).success).toBe(false);
    expect(parseCommand({ type: 'snapshot', id: 1, request: { op: 'take', name: '  ' } }).success).toBe(false);
    expect(parseCommand({ type: 'snapshot', id: 1, request: { op: 'format-disk' } }).success).toBe(false);
    expect(parseCommand({ type: 'console-input', bytes: 'hello' }).success).toBe(false);
    expect(parseCommand({ type: 'console-input', bytes: new Uint8Array(MAX_INPUT_CHUNK + 1) }).success).toBe(false);
    expect(parseCommand({ type: 'console-ack', count: -1 }).success).toBe(false);
    expect(parseCommand({ type: 'query', id: 1, query: { kind: 'disk-contents' } }).success).toBe(false);
    // The first protocol's bare kind is no longer understood (version 2 carries a query object).
    expect(parseCommand({ type: 'query', id: 1, kind: 'registers' }).success).toBe(false);
  });

  it('names the console of console messages, the serial one by default', () => {
    const input = parseCommand({ type: 'console-input', bytes: new Uint8Array([104]) });
    expect(input.success && input.data.type === 'console-input' && input.data.console).toBe('serial0');
    const hvc = parseCommand({ type: 'console-ack', console: 'hvc1', count: 5 });
    expect(hvc.success && hvc.data).toEqual({ type: 'console-ack', console: 'hvc1', count: 5 });
    expect(parseCommand({ type: 'console-break' }).success).toBe(true);
    expect(parseCommand({ type: 'console-break', console: 'ttyS0' }).success).toBe(false);
    expect(parseCommand({ type: 'console-input', console: '../x', bytes: new Uint8Array(1) }).success).toBe(false);
    const withConsoles = parseCommand(start({ memoryMiB: 64, cpus: 1, boot: { kind: 'demo' }, consoles: 2 }));
    expect(withConsoles.success && withConsoles.data.type === 'start' && withConsoles.data.config.consoles).toBe(2);
    expect(parseCommand(start({ memoryMiB: 64, cpus: 1, boot: { kind: 'demo' }, consoles: 5 })).success).toBe(false);
    const output = parseReport({ type: 'console-output', console: 'hvc0', bytes: new Uint8Array([1]) });
    expect(output.success && output.data.type === 'console-output' && output.data.console).toBe('hvc0');
    expect(parseReport({ type: 'console-consumed', console: 'hvc', total: 1 }).success).toBe(false);
  });

  it('validates the inspector, step and trace requests', () => {
    const query = (q: object) => parseCommand({ type: 'query', id: 1, query: q });
    const memory = query({ kind: 'memory', space: 'virtual', address: 'ffff000040000000', length: 4096 });
    expect(memory.success && memory.data).toEqual({
      type: 'query',
      id: 1,
      query: { kind: 'memory', space: 'virtual', address: 'ffff000040000000', length: 4096, cpu: 0 },
    });
    expect(query({ kind: 'memory', space: 'physical', address: '0x40000000', length: 4097 }).success).toBe(false);
    expect(query({ kind: 'memory', space: 'physical', address: '0x4000000000000000a', length: 16 }).success).toBe(
      false,
    );
    expect(query({ kind: 'device', path: '' }).success).toBe(false);
    expect(query({ kind: 'disassembly', cpu: 0, before: 65 }).success).toBe(false);
    expect(parseCommand({ type: 'step', id: 2, cpu: 0 }).success).toBe(true);
    expect(parseCommand({ type: 'step', id: 2, cpu: 8 }).success).toBe(false);
    expect(parseCommand({ type: 'trace-configure', id: 3, patterns: ['pl011_*', '-pl011_irq_state'] }).success).toBe(
      true,
    );
    expect(parseCommand({ type: 'trace-configure', id: 3, patterns: ['pl011_*,gic_*'] }).success).toBe(false);
    expect(parseCommand({ type: 'trace-configure', id: 3, patterns: ['../x'] }).success).toBe(false);
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
    const step = { type: 'query-result', id: 2, result: { kind: 'step', step: { cpu: 0, from: '0', pc: '4' } } };
    expect(parseReport(step).success).toBe(false);
    const memory = {
      type: 'query-result',
      id: 3,
      result: {
        kind: 'memory',
        space: 'physical',
        cpu: 0,
        address: '0'.repeat(16),
        rows: [{ address: '0'.repeat(16), bytes: 'zz' }],
      },
    };
    expect(parseReport(memory).success).toBe(false);
  });

  it('makes the runner report a bad command instead of acting on it or throwing', async () => {
    const reports: WorkerReport[] = [];
    const runner = new VmRunner((r) => reports.push(r));
    await runner.handle({ type: 'start', protocol: WORKER_PROTOCOL_VERSION, config: { memoryMiB: 'lots' } });
    await runner.handle({ type: 'query', id: 1, query: { kind: 'registers' } });
    await runner.handle({ type: 'step', id: 2, cpu: 0 });
    expect(reports.map((r) => r.type)).toEqual(['command-error', 'query-error', 'query-error']);
    expect(runner.state).toBe('starting');
  });
});
