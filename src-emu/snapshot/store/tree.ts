/**
 * tree.json: the snapshot tree of one VM folder, and the commit point of every store operation. It is
 * replaced atomically (temporary file, fsync, rename, folder fsync): a crash leaves the old tree or the new
 * one. It records which overlay each snapshot froze and which overlays the current state writes; how the
 * overlays back onto each other is read from the images themselves (their qcow2 headers), never stored
 * twice.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomically } from '../container';

export const TREE_FORMAT = 'orrery-snapshot-tree';
export const TREE_VERSION = 1;

export interface TreeDisk {
  /** Folder name under disks/ and the disk's id in snapshot metadata. */
  readonly name: string;
  /** The qcow2 image at the bottom of the disk's chain, in its folder: never written, never merged. */
  readonly root: string;
}

export interface TreeSnapshot {
  /** The snapshot's id (its metadata id when it has a machine state file). */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** ISO 8601. */
  readonly createdAt: string;
  /** The snapshot this one was taken after (its parent in the tree), or null. */
  readonly parent: string | null;
  /** The machine state file in snapshots/, or null for a disk-only snapshot (taken with the VM stopped). */
  readonly stateFile: string | null;
  /** Disk name to the overlay file (in disks/<name>/) frozen at this snapshot. */
  readonly disks: Readonly<Record<string, string>>;
  readonly guestTimeNs: number | null;
}

export interface TreeCurrent {
  /** The snapshot the current state continues from, or null (never snapshotted or restored). */
  readonly parent: string | null;
  /** Disk name to the overlay the machine writes. */
  readonly disks: Readonly<Record<string, string>>;
  /** A snapshot whose machine state the next run resumes (set by a restore without a machine). */
  readonly resume: string | null;
}

export interface Tree {
  readonly format: typeof TREE_FORMAT;
  readonly version: typeof TREE_VERSION;
  readonly disks: readonly TreeDisk[];
  readonly snapshots: readonly TreeSnapshot[];
  readonly current: TreeCurrent;
}

export class TreeError extends Error {
  override name = 'TreeError';
}

export function emptyTree(): Tree {
  return {
    format: TREE_FORMAT,
    version: TREE_VERSION,
    disks: [],
    snapshots: [],
    current: { parent: null, disks: {}, resume: null },
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** File names the store creates: no folders, nothing hidden. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function need<T>(ok: boolean, value: unknown, what: string, path: string): T {
  if (!ok) throw new TreeError(`${path}: ${what} is missing or invalid`);
  return value as T;
}

function fileName(value: unknown, what: string, path: string): string {
  return need<string>(typeof value === 'string' && FILE_NAME.test(value), value, what, path);
}

function diskMap(value: unknown, what: string, path: string): Record<string, string> {
  const o = need<Json>(isObject(value), value, what, path);
  const out: Record<string, string> = {};
  for (const [disk, file] of Object.entries(o)) out[disk] = fileName(file, `${what}.${disk}`, path);
  return out;
}

function nullableString(o: Json, key: string, what: string, path: string): string | null {
  return o[key] === null ? null : need<string>(typeof o[key] === 'string', o[key], what, path);
}

function parseSnapshot(value: unknown, i: number, path: string): TreeSnapshot {
  const what = `snapshots[${i}]`;
  const o = need<Json>(isObject(value), value, what, path);
  const str = (key: string) => need<string>(typeof o[key] === 'string', o[key], `${what}.${key}`, path);
  const time = o.guestTimeNs;
  return {
    id: str('id'),
    name: str('name'),
    description: str('description'),
    createdAt: str('createdAt'),
    parent: nullableString(o, 'parent', `${what}.parent`, path),
    stateFile: o.stateFile === null ? null : fileName(o.stateFile, `${what}.stateFile`, path),
    disks: diskMap(o.disks, `${what}.disks`, path),
    guestTimeNs: time === null ? null : need<number>(Number.isSafeInteger(time), time, `${what}.guestTimeNs`, path),
  };
}

/** Checks references: unique ids, parents that exist, every disk named everywhere. */
function checkReferences(tree: Tree, path: string): void {
  const ids = new Set<string>();
  for (const s of tree.snapshots) {
    if (ids.has(s.id)) throw new TreeError(`${path}: snapshot id ${s.id} appears twice`);
    ids.add(s.id);
  }
  const names = tree.disks.map((d) => d.name).sort();
  const sameDisks = (m: Readonly<Record<string, string>>) => Object.keys(m).sort().join('/') === names.join('/');
  for (const s of tree.snapshots) {
    if (s.parent !== null && !ids.has(s.parent))
      throw new TreeError(`${path}: ${s.id}'s parent ${s.parent} is missing`);
    if (!sameDisks(s.disks)) throw new TreeError(`${path}: snapshot ${s.id} does not name every disk`);
  }
  const { current } = tree;
  if (current.parent !== null && !ids.has(current.parent)) {
    throw new TreeError(`${path}: the current state's parent ${current.parent} is missing`);
  }
  if (current.resume !== null && !ids.has(current.resume)) {
    throw new TreeError(`${path}: the snapshot to resume, ${current.resume}, is missing`);
  }
  if (!sameDisks(current.disks)) throw new TreeError(`${path}: the current state does not name every disk`);
}

export function parseTree(text: string, path: string): Tree {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new TreeError(`${path} is not JSON: ${(error as Error).message}`);
  }
  const o = need<Json>(isObject(raw), raw, 'the tree object', path);
  need(o.format === TREE_FORMAT, o.format, 'format', path);
  if (typeof o.version === 'number' && o.version > TREE_VERSION) {
    throw new TreeError(`${path} was written by a newer Orrery (tree version ${o.version})`);
  }
  need(o.version === TREE_VERSION, o.version, 'version', path);
  const disks = need<unknown[]>(Array.isArray(o.disks), o.disks, 'disks', path).map((d, i) => {
    const disk = need<Json>(isObject(d), d, `disks[${i}]`, path);
    return { name: fileName(disk.name, `disks[${i}].name`, path), root: fileName(disk.root, `disks[${i}].root`, path) };
  });
  const snapshots = need<unknown[]>(Array.isArray(o.snapshots), o.snapshots, 'snapshots', path).map((s, i) =>
    parseSnapshot(s, i, path),
  );
  const c = need<Json>(isObject(o.current), o.current, 'current', path);
  const tree: Tree = {
    format: TREE_FORMAT,
    version: TREE_VERSION,
    disks,
    snapshots,
    current: {
      parent: nullableString(c, 'parent', 'current.parent', path),
      disks: diskMap(c.disks, 'current.disks', path),
      resume: nullableString(c, 'resume', 'current.resume', path),
    },
  };
  checkReferences(tree, path);
  return tree;
}

/** The tree in `path`, or null when the file does not exist. */
export async function readTree(path: string): Promise<Tree | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return parseTree(text, path);
}

/** Replaces tree.json atomically; the commit point of every operation. */
export async function writeTree(path: string, tree: Tree): Promise<void> {
  checkReferences(tree, path);
  await writeFileAtomically(path, [new TextEncoder().encode(JSON.stringify(tree, null, 2) + '\n')]);
}
