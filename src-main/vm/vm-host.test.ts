/**
 * VmHost with real worker threads running the built-in demo guest on the emulator (no stand-ins): boot to
 * the shell, type commands, pause/resume/reset/power off, inspector queries, crash isolation, logs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VmHost, type ConsoleChunk } from './vm-host';
import { consoleContains, useTestHost } from './test-host';

const PROMPT = 'demo> ';
const t = useTestHost('orrery-host-', { scrollbackBytes: 4096, consoleLogBytes: 1 << 20 });

const waitForConsole = (id: string, text: string, from = 0) => consoleContains(t.host, id, text, from);

async function createDemo(name: string): Promise<string> {
  return (await t.store.create({ name, boot: { kind: 'demo' }, memoryMiB: 64, cpus: 1 })).id;
}

describe('VmHost on the demo guest', () => {
  it('boots the demo guest, runs a command and streams console output in chunks', async () => {
    const id = await createDemo('Shell');
    const chunks: ConsoleChunk[] = [];
    const states: string[] = [];
    const offState = t.host.onState((vmId, s) => vmId === id && states.push(s.state));
    const offConsole = t.host.onConsole((c) => c.id === id && chunks.push(c));

    expect(await t.host.start(id)).toEqual({ state: 'running' });
    await waitForConsole(id, PROMPT);
    const mark = t.host.consoleSnapshot(id).end;
    await t.host.consoleInput(id, new TextEncoder().encode('echo hello\r'));
    const after = await waitForConsole(id, `hello\r\n${PROMPT}`, mark);
    expect(after).toContain('echo hello');

    // Chunks tile the stream exactly: each starts where the previous ended.
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i]!.offset).toBe(chunks[i - 1]!.offset + chunks[i - 1]!.bytes.length);
    }
    // Chunked, never one message per byte: the banner line alone is 80 bytes.
    expect(chunks.length).toBeLessThan(t.host.consoleSnapshot(id).end / 4);

    expect(await t.host.powerOff(id)).toEqual({ state: 'stopped', reason: 'powered off' });
    expect(states).toEqual(['starting', 'running', 'stopped']);
    offState();
    offConsole();
    // The log on disk holds the same transcript.
    await t.host.consoleLogFlushed(id);
    const log = await readFile(join(t.store.vmDir(id), 'console.log'), 'utf8');
    expect(log).toContain('Orrery demo guest');
    expect(log).toContain(`hello\r\n${PROMPT}`);
  });

  it('pauses, resumes, resets and reports a guest poweroff', async () => {
    const id = await createDemo('Power');
    await t.host.start(id);
    await waitForConsole(id, PROMPT);
    expect(await t.host.pause(id)).toEqual({ state: 'paused' });
    // While paused the guest reads nothing: beyond what the UART's receive FIFO holds, input waits until the
    // guest runs again and drains it.
    let taken = false;
    const line = `echo ${'x'.repeat(100)}\r`;
    const input = t.host.consoleInput(id, new TextEncoder().encode(line)).then(() => (taken = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(taken).toBe(false);
    expect(await t.host.resume(id)).toEqual({ state: 'running' });
    await input;
    await waitForConsole(id, `${'x'.repeat(100)}\r\n${PROMPT}`);

    const beforeReset = t.host.consoleSnapshot(id).end;
    await t.host.reset(id);
    await waitForConsole(id, 'Orrery demo guest', beforeReset);
    await waitForConsole(id, PROMPT, beforeReset);

    const stopped = new Promise((resolve) =>
      t.host.onState((vmId, s) => vmId === id && s.state === 'stopped' && resolve(s)),
    );
    await t.host.consoleInput(id, new TextEncoder().encode('poweroff\r'));
    expect(await stopped).toEqual({ state: 'stopped', reason: 'the guest powered off' });
  });

  it('answers inspector queries from the running machine', async () => {
    const id = await createDemo('Inspect');
    await t.host.start(id);
    await waitForConsole(id, PROMPT);
    const registers = await t.host.inspect(id, 'registers');
    expect(registers.kind === 'registers' && registers.cpus[0]?.el).toBe(1);
    const memory = await t.host.inspect(id, 'memory-map');
    const regions = memory.kind === 'memory-map' ? memory.entries : [];
    // QEMU virt: RAM at 0x4000_0000 (64 MiB here), PL011 at 0x0900_0000.
    expect(regions).toContainEqual(expect.objectContaining({ start: 0x4000_0000, end: 0x4400_0000, kind: 'ram' }));
    expect(regions.some((r) => r.start === 0x0900_0000 && r.kind === 'mmio')).toBe(true);
    const irqs = await t.host.inspect(id, 'interrupts');
    // The demo guest enables the UART's SPI 1 (interrupt 33) and the HPET tick on SPI 10 (interrupt 42).
    const enabled = irqs.kind === 'interrupts' ? irqs.interrupts.filter((i) => i.enabled).map((i) => i.irq) : [];
    expect(enabled).toEqual(expect.arrayContaining([33, 42]));
    const devices = await t.host.inspect(id, 'devices');
    expect(devices.kind === 'devices' && devices.devices.map((d) => d.path)).toEqual(
      expect.arrayContaining(['/machine', '/machine/gic', '/machine/uart0']),
    );
  });

  it('marks a VM whose guest cannot boot as crashed, while another VM keeps running', async () => {
    const good = await createDemo('Survivor');
    await t.host.start(good);
    await waitForConsole(good, PROMPT);

    // A raw image larger than the VM's RAM: the machine cannot be built.
    const hugeKernel = join(t.root, 'huge.bin');
    await writeFile(hugeKernel, new Uint8Array(20 * 1024 * 1024));
    const bad = (
      await t.store.create({
        name: 'Too Big',
        boot: { kind: 'kernel', kernel: hugeKernel, append: '' },
        memoryMiB: 16,
        cpus: 1,
      })
    ).id;
    const status = await t.host.start(bad);
    expect(status.state).toBe('crashed');
    expect(status.reason).toMatch(/RAM|fit|large/i);

    const missing = (
      await t.store.create({
        name: 'Missing',
        boot: { kind: 'kernel', kernel: join(t.root, 'nope'), append: '' },
        memoryMiB: 64,
        cpus: 1,
      })
    ).id;
    expect(await t.host.start(missing)).toEqual({
      state: 'crashed',
      reason: `cannot read the kernel '${join(t.root, 'nope')}': no such file`,
    });

    const mark = t.host.consoleSnapshot(good).end;
    await t.host.consoleInput(good, new TextEncoder().encode('echo still here\r'));
    await waitForConsole(good, 'still here\r\n', mark);
    expect(t.host.status(good).state).toBe('running');
  });

  it('marks the VM crashed when its worker itself dies, and main carries on', async () => {
    const dying = join(t.root, 'dying-worker.mjs');
    await writeFile(dying, "throw new Error('emulator exploded');\n");
    const fragile = new VmHost({ store: t.store, workerPath: dying });
    const id = await createDemo('Fragile');
    expect(await fragile.start(id)).toEqual({ state: 'crashed', reason: 'emulator error: emulator exploded' });
    await expect(fragile.consoleInput(id, new Uint8Array([0x0d]))).rejects.toThrow(/is crashed/);
    // The same VM runs fine on a healthy host afterwards.
    expect(await t.host.start(id)).toEqual({ state: 'running' });
  });

  it('force-stops a running VM and keeps its scrollback for a later view', async () => {
    const id = await createDemo('Forced');
    await t.host.start(id);
    await waitForConsole(id, PROMPT);
    expect(await t.host.forceStop(id)).toEqual({ state: 'stopped', reason: 'forced stop' });
    expect(new TextDecoder().decode(t.host.consoleSnapshot(id).bytes)).toContain('Orrery demo guest');
    // Clearing forgets the text but keeps the stream position, so later chunks still line up.
    const end = t.host.consoleSnapshot(id).end;
    t.host.clearConsole(id);
    expect(t.host.consoleSnapshot(id)).toEqual({ start: end, end, bytes: new Uint8Array(0) });
    // A deleted VM leaves nothing behind for a new VM that gets the same id.
    t.host.forget(id);
    expect(t.host.consoleSnapshot(id)).toEqual({ start: 0, end: 0, bytes: new Uint8Array(0) });
    expect(t.host.status(id)).toEqual({ state: 'stopped' });
    await expect(t.host.consoleInput(id, new Uint8Array([0x0d]))).rejects.toThrow(/is stopped/);
    await expect(t.host.start('no-such-vm')).rejects.toThrow(/missing/);
  });
});
