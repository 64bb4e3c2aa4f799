/**
 * Snapshots of library VMs on the command line, through the same store the app uses (snapshot/store):
 *   orrery snapshot list|take|restore|delete|rename|diff|add-disk --vm DIR ...
 *   orrery run --vm DIR [--snapshot-on TEXT]
 *
 * A library VM is a folder with vm.json (the app's VM library keeps one per VM), its disks and snapshots.
 * `take` here snapshots the disks of a stopped VM (a running VM's machine state is snapshotted by the app,
 * or by `orrery run --vm DIR --snapshot-on TEXT`). `restore` prepares the branch: new overlays on the
 * snapshot's disks, and, when the snapshot holds machine state, a mark that makes the next
 * `orrery run --vm DIR` resume it; a run without that mark boots the VM afresh on its current disks.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { upgradeVmConfig, VmConfigSchema } from '../../src-shared/api/vm-config';
import type { VirtMachine } from '../machine/virt';
import { formatDiff, formatRuns } from '../snapshot/diff';
import type { MachineConfigRecord } from '../snapshot/metadata';
import { SnapshotError } from '../snapshot/snapshot';
import { SnapshotStore, type SnapshotInfo, type StoreDrives } from '../snapshot/store/store';
import { FolderLockedError } from '../snapshot/store/folder-lock';
import { TreeError } from '../snapshot/store/tree';
import { optionValue, parseArgs, UsageError, type OptionSpec } from './args';
import { parseSize } from './img';

export const VM_SNAPSHOT_USAGE = `  snapshot list --vm DIR  a library VM's snapshot tree, with sizes (--json for data)
  snapshot take --vm DIR NAME [--description TEXT]
                          snapshot a stopped VM's disks
  snapshot restore --vm DIR SNAP
                          branch from SNAP (id, id prefix or name); the next 'run --vm DIR' resumes it
  snapshot delete --vm DIR SNAP [--dry-run]
                          delete SNAP, keeping or merging what other snapshots use (says what it does)
  snapshot rename --vm DIR SNAP NAME
  snapshot diff --vm DIR A B
                          disk clusters (and device fields and RAM pages) that differ between two snapshots
  snapshot add-disk --vm DIR NAME (--size SIZE | --image FILE)
                          give the VM a disk: empty, or starting as a copy-on-write view of FILE`;

const VM_SNAPSHOT_OPTIONS: OptionSpec[] = [
  { name: 'vm', value: true, help: 'the VM folder', valueName: 'DIR' },
  { name: 'json', value: false, help: 'print JSON' },
  { name: 'description', value: true, help: 'take: a description', valueName: 'TEXT' },
  { name: 'dry-run', value: false, help: 'delete: only say what it would do' },
  { name: 'size', value: true, help: 'add-disk: size of a new empty disk', valueName: 'SIZE' },
  { name: 'image', value: true, help: 'add-disk: the image the disk starts as (never written)', valueName: 'FILE' },
];

/** `orrery snapshot ACTION --vm DIR ...` goes here rather than to the snapshot-file commands. */
export function isVmSnapshotCommand(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--vm' || arg.startsWith('--vm='));
}

/** A snapshot by id, unique id prefix (4+ characters) or unique name. */
export function findSnapshot(store: SnapshotStore, key: string): string {
  const exact = store.snapshots.find((s) => s.id === key);
  if (exact) return exact.id;
  const byName = store.snapshots.filter((s) => s.name === key);
  const byPrefix = key.length >= 4 ? store.snapshots.filter((s) => s.id.startsWith(key)) : [];
  const matches = [...new Set([...byName, ...byPrefix])];
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw new UsageError(`no snapshot '${key}' (see 'orrery snapshot list --vm DIR')`);
  throw new UsageError(`'${key}' names ${matches.length} snapshots: use the id`);
}

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

function treeLines(
  infos: readonly SnapshotInfo[],
  parent: string | null,
  depth: number,
  currentParent: string | null,
): string[] {
  const lines: string[] = [];
  for (const s of infos.filter((i) => i.parent === parent)) {
    const kind = s.hasMachineState ? 'machine + disks' : 'disks only';
    lines.push(
      `${'  '.repeat(depth)}${s.id.slice(0, 8)}  ${s.name}  (${s.createdAt}, ${kind}, state ${mib(s.stateBytes)}, disks ${mib(s.diskBytes)})`,
    );
    if (s.id === currentParent) lines.push(`${'  '.repeat(depth + 1)}* current state`);
    lines.push(...treeLines(infos, s.id, depth + 1, currentParent));
  }
  return lines;
}

async function listText(store: SnapshotStore, json: boolean): Promise<string> {
  const listing = await store.list();
  if (json) return JSON.stringify(listing, null, 2) + '\n';
  const lines = treeLines(listing.snapshots, null, 0, listing.current.parent);
  if (listing.current.parent === null) lines.unshift('* current state (no snapshot before it)');
  if (listing.current.resume !== null) lines.push(`the next run resumes ${listing.current.resume.slice(0, 8)}`);
  lines.push(`disks: ${store.diskNames.join(', ') || 'none'}; ${mib(listing.totalBytes)} in all`);
  return lines.join('\n') + '\n';
}

async function runAction(store: SnapshotStore, action: string, rest: string[], args: ReturnType<typeof parseArgs>) {
  const need = (n: number, usage: string) => {
    if (rest.length !== n) throw new UsageError(`snapshot ${action} --vm DIR ${usage}`);
  };
  switch (action) {
    case 'list':
      need(0, '');
      return listText(store, args.flags.has('json'));
    case 'take': {
      need(1, 'NAME');
      const description = optionValue(args, 'description');
      const s = await store.take({ name: rest[0]!, ...(description !== undefined ? { description } : {}) });
      return `took ${s.id} "${s.name}" (disks only)\n`;
    }
    case 'restore': {
      need(1, 'SNAP');
      const s = await store.restore(findSnapshot(store, rest[0]!));
      const next =
        store.current.resume !== null ? 'the next run --vm resumes it' : 'the next run --vm boots on its disks';
      return `restored "${s.name}": ${next}\n`;
    }
    case 'delete': {
      need(1, 'SNAP');
      const id = findSnapshot(store, rest[0]!);
      const plan = args.flags.has('dry-run') ? await store.explainDelete(id) : await store.delete(id);
      return `${plan.text}\n${args.flags.has('dry-run') ? '(dry run: nothing was changed)\n' : ''}`;
    }
    case 'rename': {
      need(2, 'SNAP NAME');
      const s = await store.rename(findSnapshot(store, rest[0]!), rest[1]!);
      return `renamed ${s.id.slice(0, 8)} to "${s.name}"\n`;
    }
    case 'diff':
      need(2, 'A B');
      return diffText(store, findSnapshot(store, rest[0]!), findSnapshot(store, rest[1]!), args.flags.has('json'));
    case 'add-disk':
      need(1, 'NAME (--size SIZE | --image FILE)');
      return addDisk(store, rest[0]!, optionValue(args, 'size'), optionValue(args, 'image'));
    default:
      throw new UsageError(`unknown snapshot action '${action}' (list, take, restore, delete, rename, diff, add-disk)`);
  }
}

async function diffText(store: SnapshotStore, a: string, b: string, json: boolean): Promise<string> {
  if (store.statePath(a) !== null && store.statePath(b) !== null) {
    const diff = await store.diff(a, b);
    return json ? JSON.stringify(diff, null, 2) + '\n' : formatDiff(diff);
  }
  const disks = await store.diffDisks(a, b);
  if (json) return JSON.stringify({ disks }, null, 2) + '\n';
  return disks
    .map(
      (d) =>
        `disk ${d.disk}: ${d.clusters.length} cluster(s) of ${d.clusterSize} bytes differ${d.clusters.length ? `: ${formatRuns(d.clusters)}` : ''}\n`,
    )
    .join('');
}

async function addDisk(store: SnapshotStore, name: string, size: string | undefined, image: string | undefined) {
  if ((size === undefined) === (image === undefined))
    throw new UsageError('add-disk takes --size SIZE or --image FILE');
  await store.addDisk(name, size !== undefined ? { size: parseSize(size) } : { image: image! });
  return `added disk ${name}\n`;
}

/** Store errors are user-facing messages (status 1). */
export function describeStoreError(error: unknown): string | null {
  const known = error instanceof SnapshotError || error instanceof FolderLockedError || error instanceof TreeError;
  return known ? (error as Error).message : null;
}

export async function vmSnapshotCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, VM_SNAPSHOT_OPTIONS);
  const dir = optionValue(args, 'vm');
  const [action, ...rest] = args.positionals;
  if (dir === undefined || action === undefined) throw new UsageError('snapshot ACTION --vm DIR ...');
  try {
    const store = await SnapshotStore.open(dir);
    try {
      process.stdout.write(await runAction(store, action, rest, args));
      return 0;
    } finally {
      await store.close();
    }
  } catch (error) {
    const message = describeStoreError(error);
    if (message === null) throw error;
    process.stderr.write(`orrery: ${message}\n`);
    return 1;
  }
}

// ---- orrery run --vm DIR ----------------------------------------------------------------------------------

export const VM_RUN_OPTION: OptionSpec = {
  name: 'vm',
  value: true,
  help: 'run a library VM folder: its vm.json, disks and snapshots (resumes a restored snapshot)',
  valueName: 'DIR',
};

/** The built-in demo guest (as run.ts finds it; not imported from there, which imports this module). */
const DEMO_GUEST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources', 'guests', 'demo', 'demo.elf');

/** Options a VM folder brings itself. */
const VM_OWN_OPTIONS = [
  'kernel',
  'initrd',
  'append',
  'dtb',
  'memory',
  'smp',
  'drive',
  'overlay',
  'restore',
  'snapshot-file',
];

export interface VmRun {
  /** Run options from vm.json, or `--restore FILE` when a restored snapshot is to be resumed. */
  readonly argv: string[];
  readonly drives: StoreDrives;
  /** Saves a snapshot of the running (paused) machine into the store. */
  take(machine: VirtMachine, config: MachineConfigRecord, name: string): Promise<string>;
  close(): Promise<void>;
}

async function vmJsonArguments(dir: string): Promise<string[]> {
  const path = join(dir, 'vm.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`${path} cannot be read: ${(error as Error).message}`);
  }
  let upgraded: unknown;
  try {
    upgraded = upgradeVmConfig(json, path);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const parsed = VmConfigSchema.safeParse(upgraded);
  if (!parsed.success) throw new UsageError(`${path} is not a valid VM configuration`);
  const { boot, memoryMiB, cpus } = parsed.data;
  const out = ['-m', String(memoryMiB), '-smp', String(cpus)];
  if (boot.kind === 'demo') return [...out, '-kernel', DEMO_GUEST];
  out.push('-kernel', boot.kernel);
  if (boot.initrd) out.push('-initrd', boot.initrd);
  if (boot.dtb) out.push('-dtb', boot.dtb);
  if (boot.append) out.push('-append', boot.append);
  return out;
}

/**
 * Opens a VM folder for `orrery run --vm DIR` (refusing options the folder brings itself): its store (held
 * until `close`), its disks, and the run options for its machine. A pending resume is consumed here: the
 * disks move on from it once the machine runs.
 */
export async function openVmRun(dir: string, given: ReturnType<typeof parseArgs>): Promise<VmRun> {
  const clash = VM_OWN_OPTIONS.find((name) => given.options.has(name) || given.flags.has(name));
  if (clash !== undefined) throw new UsageError(`--vm uses the VM folder's own configuration: drop --${clash}`);
  const machineArgs = await vmJsonArguments(dir);
  const store = await SnapshotStore.open(dir);
  try {
    const resume = await store.takeResume();
    const drives = await store.openDrives();
    return {
      argv: resume !== null ? ['--restore', resume] : machineArgs,
      drives,
      take: async (machine, config, name) => {
        const s = await store.take({ name, machine: { machine, config } });
        return s.id;
      },
      close: () => store.close(),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
