/**
 * The built-in demo guest (resources/guests/demo) on the reference machine, QEMU's `-M virt`: the committed
 * demo.elf boots to its shell, every command answers as documented, and the binary is exactly what its
 * Makefile builds. QEMU has no HPET, so this covers the generic-timer path; Orrery's own boot covers the HPET.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSerialSession, type SessionResult } from '../support/serial-session';
import { requireTool } from '../support/tools';

const DEMO_DIR = fileURLToPath(new URL('../../resources/guests/demo', import.meta.url));
const DEMO_ELF = join(DEMO_DIR, 'demo.elf');
const RAM_MIB = 128;
const MACHINE = ['-M', 'virt', '-cpu', 'cortex-a57', '-m', String(RAM_MIB), '-nographic'];
const PROMPT = /demo> /;

function bootDemo(commands: readonly string[], finalCommand?: string): Promise<SessionResult> {
  return runSerialSession({
    command: requireTool('qemu-system-aarch64'),
    args: [...MACHINE, '-no-reboot', '-kernel', DEMO_ELF],
    prompt: PROMPT,
    commands,
    ...(finalCommand ? { finalCommand } : {}),
    timeoutMs: 30_000,
  });
}

/** QEMU's own device tree for the same machine: the guest must report its size and RAM. */
function qemuDtbSize(): number {
  const dir = mkdtempSync(join(tmpdir(), 'orrery-demo-dtb-'));
  try {
    const file = join(dir, 'virt.dtb');
    const args = MACHINE.map((arg) => (arg === 'virt' ? `virt,dumpdtb=${file}` : arg));
    execFileSync(requireTool('qemu-system-aarch64'), args, { stdio: 'pipe' });
    return statSync(file).size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** QEMU implements PL011 loopback (CR.LBE) from 8.0 on; older versions send the bytes out instead. */
function qemuHasPl011Loopback(): boolean {
  const version = execFileSync(requireTool('qemu-system-aarch64'), ['--version'], { encoding: 'utf8' });
  const match = /version (\d+)\./.exec(version);
  if (!match) throw new Error(`cannot read QEMU's version from: ${version}`);
  return Number(match[1]) >= 8;
}

const lines = (output: string): string[] => output.split('\n');
const seconds = (text: string): number => Number(text);

describe('demo guest on QEMU virt (reference)', () => {
  const commands = [
    'help',
    'echo hello   world',
    'uptime',
    'uart',
    'hpet',
    'memtest',
    'info',
    'frobnicate now',
    'ticks',
    'uptime',
    'note',
    'note hello   there',
    'note  ',
  ] as const;
  let session: SessionResult;
  /** What the guest printed for each time `command` was typed. */
  const outputsOf = (command: (typeof commands)[number]): string[] =>
    commands.flatMap((typed, i) => (typed === command ? [session.outputs[i] ?? ''] : []));
  const output = (command: (typeof commands)[number]): string => outputsOf(command)[0]!;

  beforeAll(async () => {
    session = await bootDemo(commands, 'poweroff');
  }, 60_000);

  it('prints the banner, names the generic timer (virt has no HPET) and prompts', () => {
    const boot = session.transcript.slice(0, session.transcript.indexOf('demo> '));
    expect(lines(boot)).toEqual([
      'Orrery demo guest 1.0 (AArch64, MMU on, GICv2, PL011 FIFO+IRQ, generic timer tick 100 Hz)',
      // QEMU's timer node lists the virtual timer as PPI 11, interrupt ID 16 + 11.
      'timer: no HPET in the device tree; tick on the generic virtual timer (INTID 27, PPI 11)',
      "Type 'help' for commands.",
      '',
    ]);
  });

  it('lists every command in help', () => {
    const names = lines(output('help')).map((line) => line.trim().split(' ')[0]);
    expect(names).toEqual([
      'help',
      'info',
      'uptime',
      'ticks',
      'echo',
      'note',
      'uart',
      'hpet',
      'memtest',
      'poweroff',
      'reset',
    ]);
  });

  it('keeps a note: empty at first, then the text given, and shows it again for a bare note', () => {
    expect(outputsOf('note')).toEqual(['note: (empty)']);
    expect(output('note hello   there')).toBe('');
    expect(output('note  ')).toBe('note: hello   there');
  });

  it('echoes its arguments and rejects unknown commands', () => {
    expect(output('echo hello   world')).toBe('hello   world');
    expect(output('frobnicate now')).toBe("unknown command: frobnicate (try 'help')");
  });

  it('reports uptime from the tick and from CNTVCT, both moving forward', () => {
    const pattern = /^uptime: (\d+\.\d\d) s \(tick\), (\d+\.\d\d) s \(CNTVCT\)$/;
    const [firstText, secondText] = outputsOf('uptime');
    const first = pattern.exec(firstText!);
    const second = pattern.exec(secondText!);
    expect(first, firstText).not.toBeNull();
    expect(second, secondText).not.toBeNull();
    // Ticks are counted from the same counter, so they can only lag it (by less than a period when on time).
    expect(seconds(first![1]!)).toBeLessThanOrEqual(seconds(first![2]!) + 0.01);
    expect(seconds(second![1]!)).toBeGreaterThanOrEqual(seconds(first![1]!));
    expect(seconds(second![2]!)).toBeGreaterThan(seconds(first![2]!));
    expect(output('ticks')).toMatch(/^ticks: \d+$/);
  });

  it('passes the UART self-test', () => {
    // On QEMU without loopback the probe byte (NUL) goes to the terminal.
    const result = lines(output('uart').replaceAll('\0', ''));
    expect(result[0]).toBe('PL011 at 0x09000000');
    expect(result).toContain('  PASS PeriphID/CellID: ARM PL011 PrimeCell');
    expect(result).toContain('  PASS IBRD 13, FBRD 1: 115200 baud from 24 MHz');
    expect(result).toContain('  PASS MIS = RIS & IMSC with no interrupts and with all enabled');
    if (qemuHasPl011Loopback()) {
      expect(result).toContain('  PASS loopback: 8 bytes written to DR read back in order without errors');
    } else {
      expect(result).toContain('  SKIP loopback: CR.LBE has no effect on this UART (QEMU 7.2 does not implement it)');
    }
    expect(result.filter((line) => line.includes('FAIL'))).toEqual([]);
    expect(result.at(-1)).toBe('uart: PASS');
  });

  it('says there is no HPET', () => {
    expect(output('hpet')).toBe('hpet: no HPET on this machine (the device tree has no "orrery,hpet" node)');
  });

  it('passes memtest over free RAM', () => {
    const result = lines(output('memtest'));
    expect(result[0]).toMatch(/^memtest: 2 MiB at 0x[0-9a-f]{8}-0x[0-9a-f]{8}$/);
    expect(result.slice(1)).toEqual([
      '  PASS walking ones (64 data bits, first 4 KiB)',
      '  PASS address in address',
      '  PASS inverted address in address',
      'memtest: PASS',
    ]);
  });

  it('reports the CPU, RAM and device tree QEMU gives it', () => {
    const info = Object.fromEntries(
      lines(output('info')).map((line) => [line.slice(0, 11).trim(), line.slice(11)] as const),
    );
    expect(info['MIDR_EL1']).toBe('0x411fd070'); // cortex-a57 r1p0 (specs/cpu.md)
    expect(info['MPIDR_EL1']).toBe('0x80000000');
    expect(info['CurrentEL']).toBe('EL1');
    const sctlr = Number.parseInt(info['SCTLR_EL1']!, 16);
    expect(sctlr & 0x1005).toBe(0x1005); // M, C and I: MMU and both caches on
    expect(info['RAM']).toBe(`${RAM_MIB} MiB at 0x40000000`);
    // QEMU places an ELF guest's device tree at the base of RAM.
    expect(info['DTB']).toBe(`0x40000000, ${qemuDtbSize()} bytes`);
    expect(info['tick']).toBe('100 Hz from the generic virtual timer (INTID 27, PPI 11)');
    expect(info['counter']).toBe('CNTVCT, 62500000 Hz');
  });

  it('powers off through PSCI, ending QEMU with status 0', () => {
    expect(session.transcript).toContain('powering off');
    expect(session.exitCode).toBe(0);
  });
});

describe('demo guest line editing on QEMU virt', () => {
  it('handles backspace, Ctrl-U and Ctrl-C', async () => {
    // After Ctrl-C the shell prompts again, and the newline that followed gives one more (empty) prompt.
    const session = await bootDemo(['echo abx\x7fc', 'junk\x15echo killed', 'echo lost\x03', 'poweroff']);
    expect(session.outputs).toEqual(['abc', 'killed', '', '']);
    expect(session.transcript).toContain('echo lost^C\ndemo> \ndemo> poweroff\npowering off');
    expect(session.exitCode).toBe(0);
  }, 60_000);
});

describe('demo guest binary', () => {
  let outDir: string;
  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), 'orrery-demo-build-'));
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('is byte-identical to a fresh build from its Makefile', () => {
    requireTool('aarch64-linux-gnu-gcc');
    execFileSync(requireTool('make'), ['-s', '-C', DEMO_DIR, `OUT=${outDir}`], { stdio: 'pipe' });
    const fresh = readFileSync(join(outDir, 'demo.elf'));
    const committed = readFileSync(DEMO_ELF);
    expect(fresh.length).toBe(committed.length);
    expect(fresh.equals(committed)).toBe(true);
  }, 120_000);

  it('is a small AArch64 ELF entered at RAM base + 2 MiB', () => {
    const elf = readFileSync(DEMO_ELF);
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(elf.readUInt16LE(18)).toBe(183); // EM_AARCH64
    expect(elf.readBigUInt64LE(24)).toBe(0x4020_0000n);
    expect(elf.length).toBeLessThan(64 * 1024);
  });
});
