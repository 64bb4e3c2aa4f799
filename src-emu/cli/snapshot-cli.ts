/**
 * Snapshots on the command line:
 *   orrery run ... --snapshot-on TEXT --snapshot-file PATH [--snapshot-incremental] [--exit-after-snapshot]
 *   orrery run --restore PATH [-serial ...] [--timeout ...]
 *   orrery snapshot info|verify FILE...     orrery snapshot diff [--json] A B
 */
import { readFile } from 'node:fs/promises';
import type { CharBackend } from '../core/chardev';
import type { VirtConfig, VirtMachine } from '../machine/virt';
import { diffSnapshots, formatDiff, sectionViews } from '../snapshot/diff';
import { layoutMachine, machineConfigRecord } from '../snapshot/machine-config';
import { pauseAtRoundBoundary } from '../snapshot/machine-state';
import type { ImageRef, MachineConfigRecord } from '../snapshot/metadata';
import { readMetadataOnly, readSnapshot, saveSnapshot, sha256Hex, SnapshotError } from '../snapshot/snapshot';
import { optionValue, parseArgs, UsageError, type OptionSpec, type ParsedArgs } from './args';
import { OutputWatch } from './output-watch';
import { isVmSnapshotCommand, VM_SNAPSHOT_USAGE, vmSnapshotCommand } from './vm-snapshots';

export const SNAPSHOT_RUN_OPTIONS: OptionSpec[] = [
  {
    name: 'snapshot-on',
    value: true,
    help: 'save a snapshot when the serial output first contains TEXT',
    valueName: 'TEXT',
  },
  { name: 'snapshot-file', value: true, help: 'where --snapshot-on saves', valueName: 'PATH' },
  {
    name: 'snapshot-incremental',
    value: false,
    help: 'store only RAM pages changed since the restored snapshot (--restore)',
  },
  { name: 'exit-after-snapshot', value: false, help: 'exit 0 once the snapshot is saved' },
  {
    name: 'restore',
    value: true,
    help: 'resume a snapshot on its own machine configuration (kernel files must be unchanged)',
    valueName: 'PATH',
  },
];

/** Run options that describe the machine, which a restored snapshot brings itself. */
const MACHINE_OPTIONS = ['kernel', 'initrd', 'append', 'dtb', 'memory', 'smp', 'icount', 'no-reboot'];

export interface SnapshotRunPlan {
  readonly onText: string | undefined;
  readonly file: string | undefined;
  readonly incremental: boolean;
  readonly exitAfter: boolean;
  readonly restore: string | undefined;
}

export function snapshotRunPlan(args: ParsedArgs): SnapshotRunPlan {
  const plan: SnapshotRunPlan = {
    onText: optionValue(args, 'snapshot-on'),
    file: optionValue(args, 'snapshot-file'),
    incremental: args.flags.has('snapshot-incremental'),
    exitAfter: args.flags.has('exit-after-snapshot'),
    restore: optionValue(args, 'restore'),
  };
  // A VM folder (--vm) keeps its snapshots itself.
  if (!args.options.has('vm') && (plan.onText === undefined) !== (plan.file === undefined)) {
    throw new UsageError('--snapshot-on TEXT and --snapshot-file PATH go together');
  }
  if (plan.onText === '') throw new UsageError('--snapshot-on needs a non-empty text');
  if (plan.exitAfter && plan.onText === undefined) throw new UsageError('--exit-after-snapshot needs --snapshot-on');
  if (plan.restore !== undefined) {
    const clash = MACHINE_OPTIONS.find((name) => args.options.has(name) || args.flags.has(name));
    if (clash !== undefined) {
      throw new UsageError(`--restore uses the snapshot's own machine configuration: drop --${clash}`);
    }
  }
  return plan;
}

/** What `orrery run` built its machine from, for the snapshot's configuration record. */
export interface RunInputs {
  readonly kernelPath: string;
  readonly initrdPath: string | undefined;
  readonly append: string | undefined;
  readonly icountShift: number | undefined;
  readonly noReboot: boolean;
}

async function recordFor(machine: VirtMachine, plan: SnapshotRunPlan, inputs: RunInputs): Promise<MachineConfigRecord> {
  if (plan.restore !== undefined) return (await readMetadataOnly(plan.restore)).machine;
  const image = async (path: string) => ({ path, bytes: new Uint8Array(await readFile(path)) });
  const config: VirtConfig = {
    memoryMiB: machine.ram.size / (1024 * 1024),
    cpus: machine.cpus.length,
    kernel: new Uint8Array(0),
    ...(inputs.append !== undefined ? { append: inputs.append } : {}),
    ...(inputs.icountShift !== undefined ? { icountShift: inputs.icountShift } : {}),
    noReboot: inputs.noReboot,
  };
  return machineConfigRecord(machine, config, {
    kernel: await image(inputs.kernelPath),
    ...(inputs.initrdPath !== undefined ? { initrd: await image(inputs.initrdPath) } : {}),
  });
}

/** Saves a snapshot of the paused machine somewhere else than --snapshot-file (a VM folder's store). */
export type SnapshotSaver = (machine: VirtMachine, record: MachineConfigRecord, name: string) => Promise<string>;

/**
 * Snapshots for one `orrery run`: watches the serial output (the backend is wrapped now, before the guest
 * writes anything) and returns the run function that replaces `machine.run()`.
 */
export async function snapshotSession(
  machine: VirtMachine,
  plan: SnapshotRunPlan,
  backend: CharBackend,
  inputs: RunInputs,
  saver?: SnapshotSaver,
): Promise<{ run: () => Promise<string> }> {
  if (plan.onText === undefined) return { run: () => machine.run() };
  const watch = new OutputWatch(plan.onText);
  watch.wrap(backend);
  const record = await recordFor(machine, plan, inputs);
  return { run: () => runWithSnapshots(machine, plan, watch, record, saver) };
}

/**
 * Runs the machine; when the watched text appears it pauses at the next scheduler round, saves, and either
 * resolves 'snapshot' (--exit-after-snapshot) or runs on. Other stop reasons pass through.
 */
export async function runWithSnapshots(
  machine: VirtMachine,
  plan: SnapshotRunPlan,
  watch: OutputWatch,
  record: MachineConfigRecord,
  saver?: SnapshotSaver,
): Promise<string> {
  let pausing: { del(): void } | null = null;
  watch.onMatch = () => (pausing = pauseAtRoundBoundary(machine, 'snapshot'));
  let saved = false;
  for (;;) {
    const reason = await machine.run();
    // Set by the watch's callback (the compiler cannot see that): a pause that lost to another stop.
    (pausing as { del(): void } | null)?.del();
    if (reason !== 'snapshot' || (plan.file === undefined && saver === undefined)) {
      const missed = `the machine stopped (${reason}) before the snapshot${watch.seen ? ' could be taken' : ' text appeared'}`;
      if (plan.exitAfter && !saved) throw new SnapshotError(missed);
      if (watch.seen && !saved) process.stderr.write(`\norrery: ${missed}\n`);
      return reason;
    }
    if (saver !== undefined) {
      const where = await saver(machine, record, `on "${plan.onText}"`);
      process.stderr.write(
        `\norrery: snapshot ${where} taken at guest time ${(machine.clock.now() / 1e9).toFixed(6)} s\n`,
      );
    } else {
      const meta = await saveSnapshot(machine, plan.file!, {
        name: `on "${plan.onText}"`,
        description: `saved when the serial output first contained ${JSON.stringify(plan.onText)}`,
        config: record,
        mode: plan.incremental ? 'incremental' : 'full',
      });
      process.stderr.write(
        `\norrery: snapshot saved to ${plan.file} at guest time ${(meta.guestTimeNs / 1e9).toFixed(6)} s\n`,
      );
    }
    saved = true;
    if (plan.exitAfter) return 'snapshot';
    machine.scheduler.clearStop();
  }
}

// ---- orrery snapshot ------------------------------------------------------------------------------------

const SNAPSHOT_OPTIONS: OptionSpec[] = [{ name: 'json', value: false, help: 'print the result as JSON' }];

export const SNAPSHOT_USAGE = `  snapshot info FILE...   what a snapshot holds: metadata, parent chain, machine, RAM, device sections
  snapshot verify FILE... check every checksum, the parent chain, the device state and the kernel files
  snapshot diff A B       device fields and RAM pages that differ between two snapshots (--json for data)
${VM_SNAPSHOT_USAGE}`;

async function imageStatus(ref: ImageRef): Promise<string> {
  const bytes = await readFile(ref.path).catch(() => null);
  if (bytes === null) return 'missing';
  return bytes.length === ref.size && sha256Hex(bytes) === ref.sha256 ? 'unchanged' : 'CHANGED';
}

async function imageLine(what: string, ref: ImageRef | null): Promise<string> {
  if (ref === null) return `${what}: none`;
  return `${what}: ${ref.path} (${ref.size} bytes, sha256 ${ref.sha256.slice(0, 16)}…, ${await imageStatus(ref)})`;
}

async function infoText(path: string): Promise<string> {
  const loaded = await readSnapshot(path);
  const { metadata: meta } = loaded.file;
  const m = meta.machine;
  const lines = [
    `${path}: ${loaded.file.bytes} bytes`,
    `  name: ${meta.name}${meta.description ? ` (${meta.description})` : ''}`,
    `  id: ${meta.id}, created ${meta.createdAt}, Orrery ${meta.emulatorVersion}`,
    `  parent chain: ${loaded.chain.length === 1 ? 'none (full snapshot)' : loaded.chain.map((f) => f.path).join(' <- ')}`,
    `  guest time: ${(meta.guestTimeNs / 1e9).toFixed(9)} s`,
    `  machine: ${m.board}, ${m.memoryMiB} MiB, ${m.cpus} CPU(s), ${m.clockMode} time` +
      `${m.icountShift === null ? '' : ` (icount ${m.icountShift})`}${m.append === null ? '' : `, append ${JSON.stringify(m.append)}`}`,
    `  ${await imageLine('kernel', m.kernel)}`,
    `  ${await imageLine('initrd', m.initrd)}`,
  ];
  for (const record of loaded.file.ram) {
    let stored = 0;
    let zero = 0;
    for (const kind of record.kinds) {
      if (kind === 2) stored++;
      else if (kind === 1) zero++;
    }
    lines.push(
      `  RAM ${record.name}: ${record.size / 4096} pages, ${record.mode}: ${stored} stored` +
        `${record.mode === 'delta' ? `, ${zero} zeroed, the rest from the parent` : ', the rest zero'}`,
    );
  }
  const views = sectionViews(loaded, layoutMachine(m, meta.disks));
  lines.push(`  device sections: ${views.map((v) => `${v.section}[${v.instanceId}] v${v.version}`).join(', ')}`);
  return lines.join('\n') + '\n';
}

async function verifyOne(path: string): Promise<string> {
  const loaded = await readSnapshot(path);
  sectionViews(loaded, layoutMachine(loaded.file.metadata.machine, loaded.file.metadata.disks));
  const m = loaded.file.metadata.machine;
  for (const [what, ref] of [
    ['kernel', m.kernel],
    ['initrd', m.initrd],
  ] as const) {
    if (ref !== null && (await imageStatus(ref)) !== 'unchanged') {
      throw new SnapshotError(`${path}: the ${what} ${ref.path} is ${await imageStatus(ref)}: it cannot be restored`);
    }
  }
  return `${path}: ok (${loaded.chain.length} file(s) in its chain, every checksum and section verified)\n`;
}

export async function snapshotCommand(argv: string[]): Promise<number> {
  if (isVmSnapshotCommand(argv)) return vmSnapshotCommand(argv);
  const args = parseArgs(argv, SNAPSHOT_OPTIONS);
  const [action, ...files] = args.positionals;
  if (files.length === 0) throw new UsageError(`snapshot ${action ?? 'info|verify|diff'} needs FILE arguments`);
  try {
    switch (action) {
      case 'info':
        for (const file of files) process.stdout.write(await infoText(file));
        return 0;
      case 'verify':
        for (const file of files) process.stdout.write(await verifyOne(file));
        return 0;
      case 'diff': {
        if (files.length !== 2) throw new UsageError('snapshot diff takes two files');
        const diff = await diffSnapshots(files[0]!, files[1]!);
        process.stdout.write(args.flags.has('json') ? JSON.stringify(diff, null, 2) + '\n' : formatDiff(diff));
        return 0;
      }
      default:
        throw new UsageError(`unknown snapshot action '${action ?? ''}' (info, verify, diff)`);
    }
  } catch (error) {
    if (error instanceof SnapshotError) {
      process.stderr.write(`orrery: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** For `describeRunError`: snapshot errors are user-facing messages. */
export function describeSnapshotError(error: unknown): string | null {
  return error instanceof SnapshotError ? error.message : null;
}
