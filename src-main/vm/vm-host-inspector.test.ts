/**
 * The inspector, run control and trace requests through VmHost, on real worker threads running the built-in
 * demo guest. Expected values come from outside the code under test: the devicetree specification (header
 * magic and version), the PL011 TRM (FR.RXFE, DR.DATA) and binutils' objdump of the guest's ELF.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { InspectorAnswer, InspectorResult, RegisterGroup } from '../../src-shared/api/inspector';
import { DEMO_GUEST } from '../../src-emu/cli/run';
import { useTestHost } from './test-host';

const t = useTestHost('orrery-inspect-');

function answer<K extends InspectorResult['kind']>(result: InspectorResult, kind: K): InspectorAnswer<K> {
  expect(result.kind).toBe(kind);
  return result as InspectorAnswer<K>;
}

/** Boots the demo guest and waits for its prompt. */
async function bootDemo(name: string): Promise<string> {
  const { id } = await t.store.create({ name, boot: { kind: 'demo' }, memoryMiB: 64, cpus: 1 });
  expect(await t.host.start(id)).toEqual({ state: 'running' });
  const deadline = Date.now() + 20_000;
  while (!new TextDecoder().decode(t.host.consoleSnapshot(id).bytes).includes('demo> ')) {
    if (Date.now() > deadline) throw new Error('the demo guest never showed its prompt');
    await new Promise((r) => setTimeout(r, 20));
  }
  return id;
}

function register(groups: RegisterGroup[], name: string) {
  const found = groups.flatMap((g) => g.registers).find((r) => r.name === name);
  if (!found) throw new Error(`no register ${name}`);
  return found;
}

const field = (reg: ReturnType<typeof register>, name: string) => reg.fields.find((f) => f.name === name)?.value;

describe('inspector queries on the demo guest', () => {
  it('decodes the PL011 registers without side effects: a waiting character shows in DR and stays there', async () => {
    const id = await bootDemo('uart');
    await t.host.pause(id);
    const uart = async () =>
      answer(await t.host.inspect(id, { kind: 'device', path: '/machine/uart0' }), 'device').device;
    const before = await uart();
    expect(before.type).toBe('pl011');
    expect(before.registerGroups[0]?.base).toBe(0x0900_0000);
    expect(field(register(before.registerGroups, 'FR'), 'RXFE')).toBe(1); // TRM 3.3.3: receive FIFO empty
    await t.host.consoleInput(id, new TextEncoder().encode('Z'));
    for (let i = 0; i < 3; i++) {
      // Reading again and again never pops the FIFO: DR still holds 'Z' (0x5a).
      const now = await uart();
      expect(field(register(now.registerGroups, 'DR'), 'DATA')).toBe(0x5a);
      expect(field(register(now.registerGroups, 'FR'), 'RXFE')).toBe(0);
    }
    // Write-only ICR has no value; VMState shows QEMU's pl011 section.
    expect(register(before.registerGroups, 'ICR').value).toBe(0);
    expect(before.vmstate?.name).toBe('pl011');
    await t.host.resume(id);
    const deadline = Date.now() + 5000;
    while (field(register((await uart()).registerGroups, 'FR'), 'RXFE') !== 1) {
      if (Date.now() > deadline) throw new Error('the guest never read the character');
    }
    expect(new TextDecoder().decode(t.host.consoleSnapshot(id).bytes)).toMatch(/demo> Z$/);
  });

  it('reads RAM at 0x40000000 physically and virtually, and never reads MMIO', async () => {
    const id = await bootDemo('memory');
    const phys = answer(
      await t.host.inspect(id, { kind: 'memory', space: 'physical', address: '0x40000000', length: 32 }),
      'memory',
    );
    // An ELF guest gets its device tree at the base of RAM (README, the virt board): the FDT header is
    // magic 0xd00dfeed, then totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap, version 17,
    // last_comp_version 16 (devicetree specification, 5.2).
    const header = phys.rows.map((row) => row.bytes).join('');
    expect(header.slice(0, 8)).toBe('d00dfeed');
    expect(header.slice(2 * 0x14, 2 * 0x1c)).toBe('0000001100000010');
    const virt = answer(
      await t.host.inspect(id, { kind: 'memory', space: 'virtual', address: '40000000', length: 32, cpu: 0 }),
      'memory',
    );
    expect(virt.rows).toEqual(phys.rows); // the demo guest maps RAM one to one
    const mmio = answer(
      await t.host.inspect(id, { kind: 'memory', space: 'physical', address: '0x09000000', length: 16 }),
      'memory',
    );
    expect(mmio.rows).toEqual([{ address: '0000000009000000', bytes: null }]);
    const unmapped = answer(
      await t.host.inspect(id, { kind: 'memory', space: 'virtual', address: 'ffff800000000000', length: 16 }),
      'memory',
    );
    expect(unmapped.rows[0]?.bytes).toBeNull();
    await expect(
      t.host.inspect(id, { kind: 'memory', space: 'virtual', address: '0', length: 16, cpu: 3 }),
    ).rejects.toThrow(/no CPU 3/);
  });

  it('disassembles around the PC as objdump does, and single-steps the paused CPU', async () => {
    const id = await bootDemo('step');
    await expect(t.host.step(id, 0)).rejects.toThrow(/is running/);
    await t.host.pause(id);
    const code = answer(await t.host.inspect(id, { kind: 'disassembly', cpu: 0, before: 4, after: 4 }), 'disassembly');
    const regs = answer(await t.host.inspect(id, 'registers'), 'registers');
    expect(code.pc).toBe(regs.cpus[0]!.pc);
    expect(code.lines.filter((l) => l.current).map((l) => l.address)).toEqual([code.pc]);

    const first = BigInt(`0x${code.lines[0]!.address}`);
    const last = BigInt(`0x${code.lines[code.lines.length - 1]!.address}`) + 4n;
    const dump = execFileSync(
      'aarch64-linux-gnu-objdump',
      ['-d', `--start-address=0x${first.toString(16)}`, `--stop-address=0x${last.toString(16)}`, DEMO_GUEST],
      { encoding: 'utf8' },
    );
    const reference = new Map(
      [...dump.matchAll(/^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(\S+)/gm)].map((m) => [BigInt(`0x${m[1]}`), m]),
    );
    for (const line of code.lines) {
      const ref = reference.get(BigInt(`0x${line.address}`));
      expect(ref, `objdump has no instruction at ${line.address}`).toBeDefined();
      expect(line.word).toBe(ref![2]);
      expect(line.text.split(/\s/)[0]).toBe(ref![3]);
    }

    const step = await t.host.step(id, 0);
    expect(step.from).toBe(code.pc);
    expect(step.cause).toBe('step');
    const after = answer(await t.host.inspect(id, 'registers'), 'registers').cpus[0]!;
    expect(after.pc).toBe(step.pc);
    expect(after.instructions).toBe(regs.cpus[0]!.instructions + 1);
    const next = BigInt(`0x${code.pc}`) + 4n;
    const current = code.lines.find((l) => l.current)!;
    if (!/^(b|bl|br|blr|ret|cbz|cbnz|tbz|tbnz|b\.\w+|eret)$/.test(current.text.split(/\s/)[0]!)) {
      expect(BigInt(`0x${step.pc}`)).toBe(next);
    }
    await expect(t.host.step(id, 1)).rejects.toThrow(/no CPU 1/);
    // Resumed after stepping, the guest still answers.
    await t.host.resume(id);
    await t.host.consoleInput(id, new TextEncoder().encode('echo alive\r'));
    const deadline = Date.now() + 10_000;
    while (!new TextDecoder().decode(t.host.consoleSnapshot(id).bytes).includes('\r\nalive')) {
      if (Date.now() > deadline) throw new Error('the guest stopped answering after a step');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('gathers trace records for the enabled patterns and delivers each record once', async () => {
    const id = await bootDemo('trace');
    const state = await t.host.configureTrace(id, ['pl011_*', '-pl011_can_receive']);
    const events = answer(state, 'trace-events');
    expect(events.patterns).toEqual(['pl011_*', '-pl011_can_receive']);
    const enabled = events.events.filter((e) => e.enabled).map((e) => e.name);
    expect(enabled.length).toBeGreaterThan(2);
    expect(enabled.every((n) => n.startsWith('pl011_') && n !== 'pl011_can_receive')).toBe(true);
    answer(await t.host.inspect(id, 'trace-records'), 'trace-records'); // start from empty

    await t.host.consoleInput(id, new TextEncoder().encode('ab'));
    await new Promise((r) => setTimeout(r, 300));
    const first = answer(await t.host.inspect(id, 'trace-records'), 'trace-records');
    const names = first.records.map((r) => r.name);
    expect(names).toContain('pl011_receive');
    expect(names).not.toContain('pl011_can_receive');
    // The guest echoes a and b: two transmit writes to DR (offset 0) carrying 0x61 and 0x62.
    const txWrites = first.records.filter((r) => r.name === 'pl011_write' && /^offset=0x0 /.test(r.args));
    expect(txWrites.map((r) => r.args)).toEqual(['offset=0x0 value=0x61', 'offset=0x0 value=0x62']);
    const times = first.records.map((r) => r.ns);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    await t.host.consoleInput(id, new TextEncoder().encode('c'));
    await new Promise((r) => setTimeout(r, 300));
    const second = answer(await t.host.inspect(id, 'trace-records'), 'trace-records');
    expect(second.records.length).toBeGreaterThan(0);
    expect(second.records[0]!.ns).toBeGreaterThan(times[times.length - 1]!);

    await t.host.configureTrace(id, []);
    answer(await t.host.inspect(id, 'trace-records'), 'trace-records');
    await t.host.consoleInput(id, new TextEncoder().encode('d'));
    await new Promise((r) => setTimeout(r, 300));
    expect(answer(await t.host.inspect(id, 'trace-records'), 'trace-records').records).toEqual([]);
  });

  it('samples performance: instructions grow while running; virtual time stands still while paused', async () => {
    const id = await bootDemo('perf');
    const sample = async () => answer(await t.host.inspect(id, 'performance'), 'performance').sample;
    const a = await sample();
    await new Promise((r) => setTimeout(r, 300));
    const b = await sample();
    expect(b.instructions).toBeGreaterThan(a.instructions);
    expect(b.virtualNs).toBeGreaterThan(a.virtualNs);
    expect(b.activeMs + b.idleMs).toBeGreaterThan(a.activeMs + a.idleMs);
    await t.host.pause(id);
    const c = await sample();
    await new Promise((r) => setTimeout(r, 200));
    const d = await sample();
    expect(c.paused && d.paused).toBe(true);
    expect(d.virtualNs).toBe(c.virtualNs);
    expect(d.instructions).toBe(c.instructions);
    expect(d.hostMs).toBeGreaterThan(c.hostMs + 150);
  });

  it('lists every device with its registers and VMState, and names interrupt sources', async () => {
    const id = await bootDemo('devices');
    const tree = answer(await t.host.inspect(id, 'devices'), 'devices');
    const withRegisters = tree.devices.filter((d) => d.hasRegisters).map((d) => d.path);
    expect(withRegisters).toEqual(['/machine/gic', '/machine/uart0', '/machine/rtc', '/machine/hpet']);
    for (const path of withRegisters) {
      const detail = answer(await t.host.inspect(id, { kind: 'device', path }), 'device').device;
      expect(detail.registerGroups.length).toBeGreaterThan(0);
      expect(detail.vmstate?.fields.length).toBeGreaterThan(0);
    }
    const hpet = answer(await t.host.inspect(id, { kind: 'device', path: '/machine/hpet' }), 'device').device;
    // HPET spec 1.0a 2.3.4: CLK_PERIOD in femtoseconds; 100 MHz is 10^7 fs.
    expect(register(hpet.registerGroups, 'CLK_PERIOD').value).toBe(10_000_000);
    expect(field(register(hpet.registerGroups, 'GCAP_ID'), 'VENDOR_ID')).toBe(0x8086);
    await expect(t.host.inspect(id, { kind: 'device', path: '/machine/nothing' })).rejects.toThrow(/no device/);
    const irqs = answer(await t.host.inspect(id, 'interrupts'), 'interrupts').interrupts;
    const uart = irqs.find((i) => i.irq === 33)!; // SPI 1 on virt
    expect(uart.source).toBe('/machine/uart0 (UARTINTR)');
    expect(uart.enabled).toBe(true);
  });

  it('powers off a paused machine', async () => {
    const id = await bootDemo('paused-off');
    await t.host.pause(id);
    expect(await t.host.powerOff(id)).toEqual({ state: 'stopped', reason: 'powered off' });
  });
});
