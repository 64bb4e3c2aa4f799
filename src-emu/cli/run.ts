/**
 * `orrery run`: boots a virt machine with its serial line on the terminal (or a socket, or a file), taking
 * QEMU's spellings of the usual options so a QEMU user's command line works unchanged.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CharBackend } from '../core/chardev';
import { logger } from '../core/log';
import { LineSink, traceRegistry } from '../core/trace';
import { attachDebugging, DebugSetupError, type DebugOptions } from '../debug/attach';
import { traceFileSink } from '../debug/trace-file';
import { BootError } from '../machine/boot';
import { orderConsolePorts, VirtConfigError, VirtMachine, type VirtConsolePort, type VirtDrive } from '../machine/virt';
import { intOption, optionValue, parseArgs, UsageError, type OptionSpec } from './args';
import { OutputWatch } from './output-watch';
import { openDrives, parseDrive } from './drives';
import {
  openCharBackend,
  openConsolePorts,
  parseChardev,
  parseConsoleDevice,
  type ChardevSpec,
  type ConsolePortSpec,
} from './consoles';
import { openVmRun, VM_RUN_OPTION, type VmRun } from './vm-snapshots';
import { machineFromSnapshot } from '../snapshot/machine-config';
import { describeSnapshotError, SNAPSHOT_RUN_OPTIONS, snapshotRunPlan, snapshotSession } from './snapshot-cli';

export const RUN_OPTIONS: OptionSpec[] = [
  {
    name: 'kernel',
    aliases: ['-kernel'],
    value: true,
    help: 'kernel: arm64 Image (gzip ok), ELF or raw',
    valueName: 'FILE',
  },
  { name: 'initrd', aliases: ['-initrd'], value: true, help: 'initial ramdisk', valueName: 'FILE' },
  { name: 'append', aliases: ['-append'], value: true, help: 'kernel command line', valueName: 'TEXT' },
  {
    name: 'dtb',
    aliases: ['-dtb'],
    value: true,
    help: 'use this device tree instead of the generated one',
    valueName: 'FILE',
  },
  {
    name: 'memory',
    aliases: ['-m'],
    value: true,
    help: 'RAM in MiB (default 128; QEMU suffixes M and G work)',
    valueName: 'SIZE',
  },
  { name: 'smp', aliases: ['-smp'], value: true, help: 'number of CPUs, 1-8 (default 1)', valueName: 'N' },
  {
    name: 'serial',
    aliases: ['-serial'],
    value: true,
    help: 'stdio (default), tcp:HOST:PORT, file:PATH or none',
    valueName: 'DEV',
  },
  {
    name: 'trace',
    aliases: ['-trace'],
    value: true,
    repeatable: true,
    help: 'enable trace events (glob, e.g. pl011_*)',
    valueName: 'PATTERN',
  },
  { name: 'trace-file', value: true, help: 'write trace events to FILE instead of stderr', valueName: 'FILE' },
  { name: 'log', aliases: ['-d'], value: true, help: 'log masks: guest_errors,unimp,int,mmu', valueName: 'MASKS' },
  { name: 'timeout', value: true, help: 'stop after this many seconds (exit status 3)', valueName: 'SECONDS' },
  { name: 'exit-on', value: true, help: 'exit 0 once the serial output contains TEXT', valueName: 'TEXT' },
  {
    name: 'icount',
    aliases: ['-icount'],
    value: true,
    help: 'deterministic time: 2^SHIFT ns per instruction',
    valueName: 'SHIFT',
  },
  { name: 'machine', aliases: ['-M'], value: true, help: 'board (only virt)', valueName: 'virt' },
  { name: 'cpu', aliases: ['-cpu'], value: true, help: 'CPU model (only cortex-a57)', valueName: 'MODEL' },
  {
    name: 'nographic',
    aliases: ['-nographic'],
    value: false,
    help: 'accepted for QEMU compatibility (Orrery has no display)',
  },
  {
    name: 'no-reboot',
    aliases: ['-no-reboot'],
    value: false,
    help: 'exit instead of resetting when the guest reboots',
  },
  {
    name: 'drive',
    aliases: ['-drive'],
    value: true,
    repeatable: true,
    help: 'virtio disk: file=PATH[,format=raw|qcow2][,readonly=on][,serial=S]',
    valueName: 'SPEC',
  },
  {
    name: 'overlay',
    value: false,
    help: 'run every drive on a throw-away qcow2 overlay (the images stay as they are)',
  },
  {
    name: 'device',
    aliases: ['-device'],
    value: true,
    repeatable: true,
    help: 'add a device: virtio-rng-device, virtconsole,chardev=ID, virtserialport,chardev=ID,name=N',
    valueName: 'DEV',
  },
  {
    name: 'chardev',
    aliases: ['-chardev'],
    value: true,
    repeatable: true,
    help: 'a virtio console port backend: stdio|null|file,path=P|socket,port=N,server=on,wait=off (with id=ID)',
    valueName: 'SPEC',
  },
  ...SNAPSHOT_RUN_OPTIONS,
  VM_RUN_OPTION,
  // Debugging (src-emu/debug): QEMU's -gdb, -s, -S and -monitor.
  { name: 'gdb', aliases: ['-gdb'], value: true, help: 'gdb stub on tcp::PORT or tcp:HOST:PORT', valueName: 'DEV' },
  { name: 'gdb-default', aliases: ['-s'], value: false, help: 'shorthand for --gdb tcp::1234' },
  { name: 'paused', aliases: ['-S'], value: false, help: 'start with the CPUs stopped (gdb c or monitor cont)' },
  { name: 'monitor', aliases: ['-monitor'], value: true, help: 'monitor on stdio or tcp:HOST:PORT', valueName: 'DEV' },
];

/** Exit statuses besides 0 (poweroff or --exit-on) and 2 (usage). */
export const EXIT = { error: 1, timeout: 3 } as const;

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEMO_GUEST = join(repoRoot, 'resources', 'guests', 'demo', 'demo.elf');

/** QEMU accepts -m 256, -m 256M, -m 1G. */
export function parseMemory(raw: string | undefined): number {
  if (raw === undefined) return 128;
  const match = /^(\d+)([MG]?)$/i.exec(raw.trim());
  if (!match) throw new UsageError(`memory size '${raw}' is not a number of MiB (e.g. 256, 256M, 1G)`);
  return Number(match[1]) * (match[2]!.toUpperCase() === 'G' ? 1024 : 1);
}

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the ${what} '${path}'${code === 'ENOENT' ? ': no such file' : `: ${code}`}`);
  }
}

/** The serial line's backend from QEMU's -serial spellings (stdio, tcp:HOST:PORT,server,nowait, file:PATH, none). */
async function serialBackend(
  spec: string,
  log: (line: string) => void,
): Promise<{ backend: CharBackend; interactive: boolean }> {
  const interactive = spec === 'stdio' || spec === 'mon:stdio';
  return { backend: await openCharBackend(serialChardev(spec), 'serial', log), interactive };
}

function serialChardev(spec: string): ChardevSpec {
  const id = 'serial';
  if (spec === 'stdio' || spec === 'mon:stdio') return { id, kind: 'stdio' };
  if (spec === 'none' || spec === 'null') return { id, kind: 'null' };
  if (spec.startsWith('file:')) return { id, kind: 'file', path: spec.slice(5) };
  const tcp = /^tcp:([^:]*):(\d+)(,server)?(,(no)?wait)?$/.exec(spec);
  if (tcp) return { id, kind: 'socket', host: tcp[1] || '127.0.0.1', port: Number(tcp[2]) };
  throw new UsageError(`unknown serial device '${spec}' (stdio, tcp:HOST:PORT, file:PATH or none)`);
}

function configureDiagnostics(args: ReturnType<typeof parseArgs>): { close(): void } | null {
  const masks = optionValue(args, 'log');
  if (masks !== undefined) {
    try {
      logger.setMasks(masks);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const patterns = args.options.get('trace') ?? [];
  if (patterns.length > 0) {
    traceRegistry.configure(patterns.flatMap((p) => p.split(',')));
    const file = optionValue(args, 'trace-file');
    const sink = file ? traceFileSink(file) : new LineSink();
    traceRegistry.addSink(sink);
    return sink instanceof LineSink ? null : sink;
  }
  return null;
}

function debugOptions(args: ReturnType<typeof parseArgs>): DebugOptions {
  const gdb = optionValue(args, 'gdb') ?? (args.flags.has('gdb-default') ? 'tcp::1234' : undefined);
  const monitor = optionValue(args, 'monitor');
  if (monitor === 'stdio' && (optionValue(args, 'serial') ?? 'stdio').endsWith('stdio')) {
    throw new UsageError('--monitor stdio needs the serial line elsewhere (e.g. -serial tcp::4444 or none)');
  }
  return {
    ...(gdb !== undefined ? { gdb } : {}),
    ...(monitor !== undefined ? { monitor } : {}),
    startPaused: args.flags.has('paused'),
    log: (line) => process.stderr.write(`orrery: ${line}\n`),
  };
}

function checkBoard(args: ReturnType<typeof parseArgs>): void {
  const board = optionValue(args, 'machine');
  if (board !== undefined && board.split(',')[0] !== 'virt')
    throw new UsageError(`unknown machine '${board}' (only virt)`);
  const cpu = optionValue(args, 'cpu');
  if (cpu !== undefined && cpu !== 'cortex-a57' && cpu !== 'max') {
    throw new UsageError(`unknown CPU model '${cpu}' (Orrery implements a cortex-a57-like ARMv8.0-A CPU)`);
  }
}

/** What `orrery run` was asked to do, checked before anything is opened. */
function planRun(args: ParsedRunArgs) {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  checkBoard(args);
  const snapshots = snapshotRunPlan(args);
  const kernelPath = optionValue(args, 'kernel') ?? DEMO_GUEST;
  if (!optionValue(args, 'kernel') && !snapshots.restore && !existsSync(DEMO_GUEST)) {
    throw new UsageError('no -kernel given and the built-in demo guest is missing from this installation');
  }
  const timeout = optionValue(args, 'timeout');
  const timeoutSeconds = timeout === undefined ? undefined : Number(timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) {
    throw new UsageError(`--timeout must be positive, not '${timeout}'`);
  }
  return {
    snapshots,
    kernelPath,
    initrdPath: optionValue(args, 'initrd'),
    dtbPath: optionValue(args, 'dtb'),
    append: optionValue(args, 'append'),
    icount: intOption(args, 'icount', 0, 10),
    timeoutSeconds,
    drives: (args.options.get('drive') ?? []).map(parseDrive),
    ...parseDevices(args.options.get('device') ?? []),
    chardevs: (args.options.get('chardev') ?? []).map(parseChardev),
    noReboot: args.flags.has('no-reboot'),
  };
}

type ParsedRunArgs = ReturnType<typeof parseArgs>;
type RunPlan = ReturnType<typeof planRun>;

/** `-device` values Orrery's virt can add. */
function parseDevices(values: readonly string[]): { rng: boolean; consolePorts: ConsolePortSpec[] } {
  let rng = false;
  const consolePorts: ConsolePortSpec[] = [];
  for (const value of values) {
    const name = value.split(',')[0];
    const port = parseConsoleDevice(value);
    if (port !== null) {
      if (port !== 'bus') consolePorts.push(port);
    } else if (name === 'virtio-rng-device' || name === 'virtio-rng') rng = true;
    else {
      throw new UsageError(
        `-device ${name}: not available (virtio-rng-device, virtio-serial-device, virtconsole, virtserialport; ` +
          'disks come with -drive)',
      );
    }
  }
  return { rng, consolePorts };
}

async function buildMachine(
  args: ParsedRunArgs,
  plan: RunPlan,
  serial: CharBackend,
  drives: VirtDrive[],
  consoles: VirtConsolePort[],
): Promise<VirtMachine> {
  if (plan.snapshots.restore) {
    // The snapshot's ports keep their roles and names; the command line gives each one its backend.
    const backends = orderConsolePorts(consoles).map((port) => port.backend);
    return machineFromSnapshot(plan.snapshots.restore, serial, drives, backends);
  }
  return new VirtMachine({
    memoryMiB: parseMemory(optionValue(args, 'memory')),
    cpus: intOption(args, 'smp', 1, 8) ?? 1,
    kernel: await readInput(plan.kernelPath, 'kernel'),
    ...(plan.initrdPath ? { initrd: await readInput(plan.initrdPath, 'initrd') } : {}),
    ...(plan.dtbPath ? { dtb: await readInput(plan.dtbPath, 'device tree') } : {}),
    ...(plan.append !== undefined ? { append: plan.append } : {}),
    ...(plan.icount !== undefined ? { clockMode: 'deterministic' as const, icountShift: plan.icount } : {}),
    serial,
    noReboot: plan.noReboot,
    drives,
    rng: plan.rng,
    consoles,
  });
}

export async function runCommand(argv: string[]): Promise<number> {
  const given = parseArgs(argv, RUN_OPTIONS);
  const vmDir = optionValue(given, 'vm');
  if (vmDir === undefined) return runParsed(given, null);
  const vm = await openVmRun(vmDir, given);
  try {
    return await runParsed(parseArgs([...argv, ...vm.argv], RUN_OPTIONS), vm);
  } finally {
    await vm.close();
  }
}

/** `orrery run` once its arguments are known (with --vm: completed from the VM folder, whose disks it uses). */
async function runParsed(args: ParsedRunArgs, vm: VmRun | null): Promise<number> {
  const plan = planRun(args);
  const debugging = debugOptions(args);
  const traceSink = configureDiagnostics(args);
  const cleanups: Array<() => unknown> = [() => traceSink?.close()];
  try {
    const serialSpec = optionValue(args, 'serial') ?? 'stdio';
    const log = (line: string) => process.stderr.write(`orrery: ${line}\n`);
    const { backend, interactive } = await serialBackend(serialSpec, log);
    cleanups.push(() => backend.close());
    const consoles = await openConsolePorts(plan.chardevs, plan.consolePorts, serialSpec.endsWith('stdio'), log);
    cleanups.push(() => consoles.close());
    const disks = vm?.drives ?? (await openDrives(plan.drives, args.flags.has('overlay')));
    cleanups.push(() => disks.close());
    const watch = new OutputWatch(optionValue(args, 'exit-on'));
    const machine = await buildMachine(args, plan, watch.wrap(backend), disks.drives, consoles.ports);
    traceRegistry.attachClock(machine.clock);
    watch.onMatch = () => machine.stop('exit-on');
    const session = await snapshotSession(
      machine,
      plan.snapshots,
      backend,
      {
        kernelPath: plan.kernelPath,
        initrdPath: plan.initrdPath,
        append: plan.append,
        icountShift: plan.icount,
        noReboot: plan.noReboot,
      },
      vm ? (paused, record, name) => vm.take(paused, record, name) : undefined,
    );
    const debug = await attachDebugging(machine, debugging);
    cleanups.push(() => debug.close());
    cleanups.push(interactive ? enterRawMode(() => machine.stop('quit')) : () => undefined);
    const { timeoutSeconds } = plan;
    if (timeoutSeconds !== undefined) {
      const timer = setTimeout(() => machine.stop('timeout'), timeoutSeconds * 1000);
      cleanups.push(() => clearTimeout(timer));
    }
    const reason = await session.run();
    if (reason === 'timeout') {
      process.stderr.write(`\norrery: stopped after ${timeoutSeconds} s (--timeout)\n`);
      return EXIT.timeout;
    }
    return 0;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    process.stdin.pause();
  }
}

/** Raw terminal for the guest's console; Ctrl-A x quits, as in QEMU. Returns the restore function. */
function enterRawMode(quit: () => void): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) return () => undefined;
  stdin.setRawMode(true);
  let escape = false;
  const onData = (chunk: Buffer): void => {
    for (const byte of chunk) {
      if (escape && byte === 0x78) quit(); // Ctrl-A x
      escape = byte === 0x01;
    }
  };
  stdin.on('data', onData);
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
  };
}

export function describeRunError(error: unknown): string | null {
  if (error instanceof BootError || error instanceof VirtConfigError || error instanceof DebugSetupError) {
    return error.message;
  }
  return describeSnapshotError(error);
}
