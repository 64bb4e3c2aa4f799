/**
 * Debugging the Debian arm64 kernel on Orrery: the monitor and gdb-multiarch against `orrery run -S --gdb
 * --monitor`. Kernel symbol addresses come from /proc/kallsyms of the same kernel booted with `nokaslr` on
 * QEMU (the reference machine); memory the debugger reads is compared with the bytes of the Image file.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianGuest, debianSession } from '../support/guest';
import { requireTool } from '../support/tools';
import type { GuestFiles } from '../../src-emu/cli/guest/debian';
import { MonitorClient } from '../../src-emu/debug/testing/monitor-client';
import {
  gdbPortOf,
  monitorPortOf,
  runGdbBatch,
  startOrrery,
  type OrreryProcess,
} from '../../src-emu/debug/testing/orrery-process';

const SYMBOLS = ['_stext', '_etext', 'ktime_get'] as const;
type Symbol = (typeof SYMBOLS)[number];

async function kallsymsOnQemu(): Promise<Record<Symbol, bigint>> {
  const result = await debianSession({
    machine: 'qemu',
    append: 'console=ttyAMA0 quiet nokaslr',
    commands: [`grep -E ' (${SYMBOLS.join('|')})$' /proc/kallsyms`],
    timeoutMs: 150_000,
  });
  const found: Partial<Record<Symbol, bigint>> = {};
  for (const line of result.outputs[0]!.split('\n')) {
    const [address, , name] = line.trim().split(/\s+/);
    if (address && SYMBOLS.includes(name as Symbol)) found[name as Symbol] = BigInt('0x' + address);
  }
  for (const name of SYMBOLS) {
    if (found[name] === undefined) throw new Error(`kallsyms lacks ${name}:\n${result.transcript.slice(-1500)}`);
  }
  return found as Record<Symbol, bigint>;
}

const hex = (value: bigint) => '0x' + value.toString(16);

describe('debugging the Linux guest', () => {
  let guest: GuestFiles;
  let syms: Record<Symbol, bigint>;
  let image: Uint8Array;
  let orrery: OrreryProcess;
  let monitor: MonitorClient;

  /**
   * Bytes of the Image at the offset of a kernel virtual address. The Image starts at _text, and
   * arch/arm64/kernel/vmlinux.lds.S puts _stext (kallsyms has no _text) at the next SEGMENT_ALIGN (64 KiB)
   * boundary after the head text.
   */
  const imageBytes = (address: bigint, length: number) => {
    const offset = Number(address - (syms._stext - 0x10000n));
    return [...image.subarray(offset, offset + length)];
  };

  beforeAll(async () => {
    guest = await debianGuest();
    syms = await kallsymsOnQemu();
    image = new Uint8Array(readFileSync(guest.kernel));
    orrery = startOrrery([
      '-kernel',
      guest.kernel,
      '-initrd',
      guest.initrd,
      '-append',
      'console=ttyAMA0 nokaslr',
      '-m',
      '256',
      '-S',
      '--gdb',
      'tcp::0',
      '--monitor',
      'tcp:127.0.0.1:0',
      '-serial',
      'stdio',
      '--timeout',
      '900',
    ]);
    monitor = await MonitorClient.connect(await monitorPortOf(orrery));
  }, 240_000);

  afterAll(() => {
    monitor?.close();
    orrery?.kill();
  });

  it('monitor: shows the boot state, the memory map, the DTB, then the running kernel', async () => {
    // -S: stopped at reset. Linux boot protocol: x0 holds the DTB's physical address.
    const reset = await monitor.command('info registers');
    expect(reset).toMatch(/PSTATE=[0-9a-f]{8} [-NZCV]{4} EL1h/);
    const dtb = BigInt('0x' + /X00=([0-9a-f]{16})/.exec(reset)![1]!);
    expect(dtb).toBeGreaterThanOrEqual(0x4000_0000n);
    // Devicetree specification: the header starts with the big-endian magic 0xd00dfeed.
    expect(await monitor.command(`xp /4xb ${hex(dtb)}`)).toMatch(/: 0xd0 0x0d 0xfe 0xed/);
    expect(await monitor.command(`xp /1xw ${hex(dtb)}`)).toMatch(/: 0xedfe0dd0/);

    // QEMU virt's memory map (DESIGN.md section 4).
    const mtree = await monitor.command('info mtree');
    expect(mtree).toMatch(/0000000008000000-0000000008000fff \(prio 0, i\/o\): gic_dist/);
    expect(mtree).toMatch(/0000000009000000-0000000009000fff \(prio 0, i\/o\): pl011/);
    expect(mtree).toMatch(/0000000009010000-0000000009010fff \(prio 0, i\/o\): pl031/);
    expect(mtree).toMatch(/0000000040000000-000000004fffffff \(prio 0, ram\): ram/);
    expect(await monitor.command('info qtree')).toMatch(/dev: pl011, path \/machine\/uart0/);

    expect(await monitor.command('cont')).toBe('');
    // The console prints only once the kernel runs with the MMU on.
    await orrery.waitFor(/Booting Linux on physical CPU/, 300_000);
    await monitor.command('stop');
    const running = await monitor.command('info registers');
    expect(running).toMatch(/PSTATE=[0-9a-f]{8} [-NZCV]{4} EL1h/);
    const pc = BigInt('0x' + /PC=([0-9a-f]{16})/.exec(running)![1]!);
    expect(pc >= syms._stext && pc < syms._etext).toBe(true);

    // Virtual memory through the kernel's page tables matches the Image (past the function's two
    // patchable-entry NOPs, which ftrace rewrites at boot).
    const text = await monitor.command(`x /16xb ${hex(syms._stext + 8n)}`);
    const bytes = [...text.matchAll(/0x([0-9a-f]{2})\b/g)].map((m) => parseInt(m[1]!, 16));
    expect(bytes).toEqual(imageBytes(syms._stext + 8n, 16));
    expect(await monitor.command('info irq')).toMatch(/ 27 {2}ppi {2}0 +yes/); // the virtual timer PPI, enabled by Linux
    await monitor.command('cont');
  }, 400_000);

  it('gdb: breaks at a kernel function, steps, and reads kernel memory', async () => {
    const gdb = requireTool('gdb-multiarch');
    const port = await gdbPortOf(orrery);
    const out = await runGdbBatch(
      gdb,
      [
        `target remote 127.0.0.1:${port}`,
        `break *${hex(syms.ktime_get)}`,
        'continue',
        'echo @HIT\\n',
        'p/x $pc',
        'p/x $cpsr',
        'echo @STEP\\n',
        'stepi',
        'p/x $pc',
        'echo @MEM\\n',
        `x/16xb ${hex(syms._stext + 8n)}`,
        'echo @END\\n',
        'delete',
        'detach',
      ],
      300_000,
    );
    const section = (name: string) => out.split(`@${name}\n`)[1]!.split('\n@')[0]!;
    expect(out).toMatch(/Breakpoint 1, 0x0*[0-9a-f]+ in \?\? \(\)/);
    const hit = section('HIT');
    expect(hit).toContain(`= ${hex(syms.ktime_get)}`);
    const cpsr = BigInt(/= (0x[0-9a-f]+)/.exec(hit.split('\n')[1]!)![1]!);
    expect((cpsr >> 2n) & 3n).toBe(1n); // EL1
    const stepped = BigInt(/= (0x[0-9a-f]+)/.exec(section('STEP'))![1]!);
    expect(stepped).not.toBe(syms.ktime_get);
    const mem = [...section('MEM').matchAll(/\b0x([0-9a-f]{2})\b/g)].map((m) => parseInt(m[1]!, 16));
    expect(mem.slice(0, 16)).toEqual(imageBytes(syms._stext + 8n, 16));
    expect(out).toContain('[Inferior 1 (Remote target) detached]');
  }, 400_000);

  it('gdb protocol: Ctrl-C (0x03) stops the running kernel with SIGINT', async () => {
    const socket = connect(await gdbPortOf(orrery), '127.0.0.1');
    socket.setEncoding('latin1');
    let received = '';
    socket.on('data', (chunk: string) => (received += chunk));
    // Packet framing from the GDB manual: $payload#checksum, checksum = byte sum modulo 256.
    const send = (payload: string) => {
      const sum = [...payload].reduce((a, c) => (a + c.charCodeAt(0)) & 0xff, 0);
      socket.write(`$${payload}#${sum.toString(16).padStart(2, '0')}`);
    };
    const reply = async (pattern: RegExp) => {
      for (let i = 0; i < 200 && !pattern.test(received); i++) await new Promise((r) => setTimeout(r, 50));
      const match = pattern.exec(received);
      received = '';
      return match;
    };
    send('?');
    expect(await reply(/\$T05thread:01;#/)).not.toBeNull(); // attaching stopped the machine
    socket.write('+');
    send('c');
    await new Promise((r) => setTimeout(r, 500));
    socket.write('\x03');
    expect(await reply(/\$T02thread:01;#/)).not.toBeNull();
    socket.write('+');
    send('p20'); // pc
    const pc = await reply(/\$([0-9a-f]{16})#/);
    const bytes = pc![1]!.match(/../g)!.reverse().join('');
    const value = BigInt('0x' + bytes);
    expect(value >= syms._stext && value < syms._etext).toBe(true);
    socket.write('+');
    send('D');
    expect(await reply(/\$OK#/)).not.toBeNull();
    socket.destroy();
  }, 60_000);
});
