/**
 * VmHost with several consoles on real workers (demo guest): a VM with a virtio console port has the
 * consoles serial0 and hvc0, each with its own scrollback and log; console calls default to the serial one;
 * "send break" reaches the PL011 as a break character.
 */
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { DeviceDetail } from '../../src-shared/api/inspector';
import type { ConsoleChunk } from './vm-host';
import { consoleContains, useTestHost } from './test-host';

const PROMPT = 'demo> ';
const t = useTestHost('orrery-host-consoles-', { scrollbackBytes: 4096, consoleLogBytes: 1 << 20 });

async function createDemo(name: string, consoles?: number): Promise<string> {
  const config = await t.store.create({
    name,
    boot: { kind: 'demo' },
    memoryMiB: 64,
    cpus: 1,
    ...(consoles === undefined ? {} : { consoles }),
  });
  return config.id;
}

async function uart(id: string): Promise<DeviceDetail> {
  const answer = await t.host.inspect(id, { kind: 'device', path: '/machine/uart0' });
  if (answer.kind !== 'device') throw new Error(`unexpected answer ${answer.kind}`);
  return answer.device;
}

function registerValue(device: DeviceDetail, name: string): number {
  const register = device.registerGroups.flatMap((g) => g.registers).find((r) => r.name === name);
  if (register?.value === null || register?.value === undefined) throw new Error(`no value for ${name}`);
  return register.value;
}

describe('VmHost consoles', () => {
  it('gives a VM with a virtio console the consoles serial0 and hvc0, serial by default', async () => {
    const id = await createDemo('Two consoles', 1);
    const chunks: ConsoleChunk[] = [];
    const off = t.host.onConsole((chunk) => chunk.id === id && chunks.push(chunk));
    expect(await t.host.start(id)).toEqual({ state: 'running' });
    expect(t.host.consoleIds(id)).toEqual(['serial0', 'hvc0']);
    await consoleContains(t.host, id, PROMPT);
    const mark = t.host.consoleSnapshot(id).end;
    await t.host.consoleInput(id, new TextEncoder().encode('echo one\r'), 'serial0');
    await consoleContains(t.host, id, `one\r\n${PROMPT}`, mark);
    off();

    // Every chunk so far is the serial console's; the demo guest has no virtio console driver.
    expect(new Set(chunks.map((c) => c.console))).toEqual(new Set(['serial0']));
    expect(t.host.consoleSnapshot(id, 'serial0')).toEqual(t.host.consoleSnapshot(id));
    expect(t.host.consoleSnapshot(id, 'hvc0').end).toBe(0);
    // A console the machine does not have is refused before the worker hears of it.
    expect(() => t.host.consoleBreak(id, 'hvc1')).toThrow(/has no console 'hvc1' \(it has serial0, hvc0\)/);
    await expect(t.host.consoleInput(id, new Uint8Array([0x41]), 'hvc1')).rejects.toThrow(/no console 'hvc1'/);
    expect(t.host.status(id).state).toBe('running');

    t.host.clearConsole(id, 'serial0');
    expect(t.host.consoleSnapshot(id).bytes.length).toBe(0);
    await t.host.powerOff(id);
    await t.host.consoleLogFlushed(id);
    expect(await readdir(t.store.vmDir(id))).toContain('console.log');
  });

  it('delivers a break to the PL011: a zero character with BE, and the BE interrupt raised', async () => {
    const id = await createDemo('Break');
    await t.host.start(id);
    expect(t.host.consoleIds(id)).toEqual(['serial0']);
    await consoleContains(t.host, id, PROMPT);
    await t.host.pause(id); // the paused guest does not read the break character away
    const before = await uart(id);
    expect(registerValue(before, 'RIS') & (1 << 9)).toBe(0);
    t.host.consoleBreak(id);
    // The break travels as a message like input: the next query is answered after it was handled.
    const after = await uart(id);
    // PL011 TRM 3.3.1 UARTDR: a break reads as data 0 with BE (bit 10); 3.3.13: BERIS is RIS bit 9.
    expect(registerValue(after, 'DR')).toBe(1 << 10);
    expect(registerValue(after, 'RIS') & (1 << 9)).toBe(1 << 9);
    await t.host.resume(id);
    // The shell goes on reading the serial console afterwards.
    const mark = t.host.consoleSnapshot(id).end;
    await t.host.consoleInput(id, new TextEncoder().encode('\recho after\r'));
    await consoleContains(t.host, id, `after\r\n${PROMPT}`, mark);
  });
});
