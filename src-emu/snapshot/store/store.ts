/**
 * The snapshot store of one VM folder (layout.ts): disks as chains of qcow2 overlays, machine states as
 * snapshot files, and the tree that ties them together (tree.ts). The command line and the app use it alike.
 *
 * Crash safety: tree.json is the commit point. Every operation first creates what the new tree will name
 * (overlays, state files, rewritten files that stay valid under the old tree too), then replaces tree.json
 * atomically, then removes what only the old tree named. Whatever a killed process leaves behind is either
 * named by the tree on disk, or not named and removed by the clean-up that opening the store runs
 * (`compact`): unreferenced leaf overlays and state files are deleted, and an unreferenced overlay with one
 * child is merged into it (overlay-merge.ts: its ordering keeps the child correct at every step).
 *
 * Live disks: `openDrives` gives a machine its disks through SwitchableBackends. While such a machine exists,
 * `take`, `restore` and `delete` must be called with it not running (paused at a round boundary, see
 * machine-state.ts pauseAtRoundBoundary): they drain the disks' requests and switch overlays under it.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createQcow2, openImage, probeFormat, type BlockBackend, type CacheMode, type ImageFormat } from '../../block';
import type { VirtDrive, VirtMachine } from '../../machine/virt';
import { diffSnapshots, type DiskDiff, type SnapshotDiff } from '../diff';
import { DIFF_CLUSTER, diffDiskImages, overlayDiskDiffer } from '../disk-diff';
import type { MachineConfigRecord, SnapshotMetadata } from '../metadata';
import { ramBaseline, readMetadataOnly, readSnapshot, restoreSnapshot, saveSnapshot, SnapshotError } from '../snapshot';
import { planDelete, referencedOverlays, type DeletePlan } from './delete-plan';
import { clearOwnLock, lockFolder, type FolderLock } from './folder-lock';
import { DISK_NAME, ROOT_IMAGE, STATE_FILE, StoreLayout, uniqueName } from './layout';
import { mergeIntoChild } from './overlay-merge';
import { checkReferenced, nextCompactStep, readDiskGraph, type DiskGraph } from './overlay-graph';
import { rebaseSnapshotFile } from './ram-rebase';
import { SwitchableBackend } from './switchable-backend';
import { emptyTree, readTree, writeTree, type Tree, type TreeSnapshot } from './tree';

/** RAM chains longer than this start again with a full snapshot (restore reads the whole chain). */
export const DEFAULT_MAX_RAM_CHAIN = 8;

export class StoreError extends SnapshotError {
  override name = 'StoreError';
}

export type DiskSource = { readonly size: number } | { readonly image: string; readonly format?: ImageFormat };

export interface TakeOptions {
  readonly name: string;
  readonly description?: string;
  /** The running VM's machine (paused) and its configuration record; omitted for a stopped VM (disk only). */
  readonly machine?: { readonly machine: VirtMachine; readonly config: MachineConfigRecord };
  /** RAM stored against the machine's last snapshot (default) or in full. */
  readonly mode?: 'full' | 'incremental';
  readonly createdAt?: Date;
}

export interface SnapshotInfo {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly parent: string | null;
  readonly children: readonly string[];
  /** The current state continues from this snapshot. */
  readonly isCurrentParent: boolean;
  readonly hasMachineState: boolean;
  readonly guestTimeNs: number | null;
  /** Size of the machine state file. */
  readonly stateBytes: number;
  /** Space the overlays frozen at this snapshot occupy. */
  readonly diskBytes: number;
}

export interface SnapshotListing {
  readonly snapshots: readonly SnapshotInfo[];
  readonly current: { readonly parent: string | null; readonly resume: string | null; readonly diskBytes: number };
  /** Every file of the folder's disks and snapshots. */
  readonly totalBytes: number;
}

/** A machine's disks from the store: `drives` for VirtConfig, the same backends typed for I/O. */
export interface StoreDrives {
  readonly drives: VirtDrive[];
  readonly backends: readonly SwitchableBackend[];
  /** Flushes and closes the disks. */
  close(): Promise<void>;
}

interface LiveDisk {
  readonly name: string;
  readonly switchable: SwitchableBackend;
}

async function fileBytes(path: string): Promise<number> {
  const st = await stat(path).catch(() => null);
  return st === null ? 0 : st.blocks * 512;
}

export class SnapshotStore {
  private live: LiveDisk[] | null = null;
  private cache: CacheMode = 'writeback';
  private closed = false;

  private constructor(
    readonly layout: StoreLayout,
    private tree: Tree,
    private readonly lock: FolderLock,
    readonly maxRamChain: number,
  ) {}

  /** Opens (creating when needed) the store of a VM folder, and finishes what a killed process left. */
  static async open(vmDir: string, options: { maxRamChain?: number } = {}): Promise<SnapshotStore> {
    const layout = new StoreLayout(resolve(vmDir));
    await mkdir(layout.snapshotsDir, { recursive: true });
    await mkdir(layout.disksDir, { recursive: true });
    const lock = await lockFolder(layout.lockPath, `VM folder ${layout.vmDir}`);
    try {
      let tree = await readTree(layout.treePath);
      if (tree === null) await writeTree(layout.treePath, (tree = emptyTree()));
      const store = new SnapshotStore(layout, tree, lock, options.maxRamChain ?? DEFAULT_MAX_RAM_CHAIN);
      await store.compact();
      return store;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  get snapshots(): readonly TreeSnapshot[] {
    return this.tree.snapshots;
  }

  get current(): Tree['current'] {
    return this.tree.current;
  }

  get diskNames(): string[] {
    return this.tree.disks.map((d) => d.name);
  }

  /** The overlay the current state writes, per disk (absolute paths). */
  currentImage(disk: string): string {
    return this.layout.diskFile(disk, this.requireCurrent(disk));
  }

  /** The overlay frozen at a snapshot (absolute path). */
  snapshotImage(id: string, disk: string): string {
    return this.layout.diskFile(disk, this.find(id).disks[disk]!);
  }

  /** The machine state file of a snapshot, or null for a disk-only one. */
  statePath(id: string): string | null {
    const file = this.find(id).stateFile;
    return file === null ? null : this.layout.stateFile(file);
  }

  // ---- disks ------------------------------------------------------------------------------------------

  /**
   * Adds a disk: a new empty one of `size` bytes, or one whose contents start as `image` (which is only read,
   * never written). Only while the VM has no snapshots and no machine uses the store's disks.
   */
  async addDisk(name: string, source: DiskSource): Promise<void> {
    this.checkOpen();
    if (!DISK_NAME.test(name)) throw new StoreError(`disk name '${name}': use a-z, 0-9, '-' and '_' (at most 20)`);
    if (this.tree.disks.some((d) => d.name === name)) throw new StoreError(`disk '${name}' exists already`);
    if (this.tree.snapshots.length > 0) throw new StoreError('disks are added before the first snapshot');
    if (this.live !== null) throw new StoreError('disks are added while no machine uses them');
    const dir = this.layout.diskDir(name);
    await rm(dir, { recursive: true, force: true }); // left by an addDisk that did not commit
    await mkdir(dir, { recursive: true });
    const root = this.layout.diskFile(name, ROOT_IMAGE);
    if ('size' in source) await createQcow2(root, { size: source.size });
    else {
      const image = resolve(source.image);
      const format = source.format ?? (await probeFormat(image));
      await createQcow2(root, { backing: { path: image, format } });
    }
    const active = await this.createOverlay(name, ROOT_IMAGE);
    await this.commit({
      ...this.tree,
      disks: [...this.tree.disks, { name, root: ROOT_IMAGE }],
      current: { ...this.tree.current, disks: { ...this.tree.current.disks, [name]: active } },
    });
  }

  /**
   * The disks for a machine, in the tree's order, on the current overlays. Snapshots taken and restored
   * through this store switch them to new overlays; `close` flushes and closes them.
   */
  async openDrives(options: { cache?: CacheMode } = {}): Promise<StoreDrives> {
    this.checkOpen();
    if (this.live !== null) throw new StoreError('the disks are already open for a machine');
    this.cache = options.cache ?? 'writeback';
    const live: LiveDisk[] = [];
    try {
      for (const { name } of this.tree.disks) {
        live.push({ name, switchable: new SwitchableBackend(await this.openOverlay(name, this.requireCurrent(name))) });
      }
    } catch (error) {
      await Promise.allSettled(live.map((d) => d.switchable.close()));
      throw error;
    }
    this.live = live;
    const drives = live.map((d) => ({ backend: d.switchable, serial: d.name }));
    return { drives, backends: live.map((d) => d.switchable), close: () => this.closeDrives() };
  }

  private async closeDrives(): Promise<void> {
    const live = this.live ?? [];
    this.live = null;
    await Promise.allSettled(live.map((d) => d.switchable.close()));
  }

  // ---- take ---------------------------------------------------------------------------------------------

  /**
   * Takes a snapshot: the current overlays are frozen and new ones started on them; with a machine, its state
   * is saved too (RAM incremental against its last snapshot where the chain allows).
   * Order: drain and flush the disks; save the state file; create and open the new overlays; commit the
   * tree; switch the live disks. A crash before the commit leaves the old tree and unnamed files (removed at
   * the next open); after it, the new snapshot.
   */
  async take(options: TakeOptions): Promise<TreeSnapshot> {
    this.checkOpen();
    const name = checkSnapshotName(options.name);
    const machine = options.machine;
    this.checkMachineUsesDisks(machine !== undefined);
    await this.drainLive(true);
    let id: string = randomUUID();
    let stateFile: string | null = null;
    const created: string[] = [];
    const opened: BlockBackend[] = [];
    try {
      let guestTimeNs: number | null = null;
      if (machine !== undefined) {
        stateFile = uniqueName('s', '.orrsnap');
        created.push(this.layout.stateFile(stateFile));
        const meta = await saveSnapshot(machine.machine, this.layout.stateFile(stateFile), {
          name,
          ...(options.description !== undefined ? { description: options.description } : {}),
          config: machine.config,
          mode: await this.ramMode(machine.machine, options.mode ?? 'incremental'),
          disks: this.tree.disks.map((d) => ({
            id: d.name,
            image: this.layout.diskRefFromSnapshots(d.name, this.requireCurrent(d.name)),
          })),
          ...(options.createdAt !== undefined ? { createdAt: options.createdAt } : {}),
        });
        id = meta.id;
        guestTimeNs = meta.guestTimeNs;
      }
      const next: Record<string, string> = {};
      for (const { name: disk } of this.tree.disks) {
        next[disk] = await this.createOverlay(disk, this.requireCurrent(disk));
        created.push(this.layout.diskFile(disk, next[disk]));
        if (this.live !== null) opened.push(await this.openOverlay(disk, next[disk]));
      }
      const snapshot: TreeSnapshot = {
        id,
        name,
        description: options.description ?? '',
        createdAt: (options.createdAt ?? new Date()).toISOString(),
        parent: this.tree.current.parent,
        stateFile,
        disks: { ...this.tree.current.disks },
        guestTimeNs,
      };
      await this.commit({
        ...this.tree,
        snapshots: [...this.tree.snapshots, snapshot],
        current: { parent: id, disks: next, resume: null },
      });
      await this.switchLive(opened);
      return snapshot;
    } catch (error) {
      await Promise.allSettled(opened.map((b) => b.close()));
      if (!this.tree.snapshots.some((s) => s.id === id)) {
        await Promise.allSettled(created.map((path) => unlink(path)));
      }
      throw error;
    }
  }

  /** 'incremental' unless the machine's RAM chain is already `maxRamChain` files long. */
  private async ramMode(machine: VirtMachine, wanted: 'full' | 'incremental'): Promise<'full' | 'incremental'> {
    if (wanted === 'full') return 'full';
    const baseline = ramBaseline(machine);
    // RAM is stored only against this folder's own snapshots, so that the folder stands alone.
    const ownFile = this.tree.snapshots.some(
      (s) => s.stateFile !== null && resolve(this.layout.stateFile(s.stateFile)) === resolve(baseline?.path ?? ''),
    );
    if (baseline === null || !ownFile) return 'full';
    let depth = 0;
    for (let path: string | null = baseline.path; path !== null && depth < this.maxRamChain; depth++) {
      const meta: SnapshotMetadata | null = await readMetadataOnly(path).catch(() => null);
      if (meta === null) return 'incremental'; // saveSnapshot falls back to full itself
      const parent: string | null = meta.parent?.file ?? null;
      path = parent === null ? null : isAbsolute(parent) ? parent : resolve(dirname(path), parent);
    }
    return depth >= this.maxRamChain ? 'full' : 'incremental';
  }

  // ---- restore ------------------------------------------------------------------------------------------

  /**
   * Restores a snapshot: new overlays start on its frozen ones (a branch; the current state's own overlays
   * go unless a snapshot still uses them). With `machine` (not running), its state is loaded now and the
   * live disks switch; without, the branch is prepared and `current.resume` names the snapshot for the next
   * start (`takeResume`). The snapshot file is read and checked before anything changes.
   */
  async restore(id: string, machine?: VirtMachine): Promise<TreeSnapshot> {
    this.checkOpen();
    const snapshot = this.find(id);
    this.checkMachineUsesDisks(machine !== undefined);
    const statePath = snapshot.stateFile === null ? null : this.layout.stateFile(snapshot.stateFile);
    if (machine !== undefined && statePath === null) {
      throw new StoreError(`snapshot “${snapshot.name}” holds disks only (taken with the VM stopped): stop the VM`);
    }
    if (machine === undefined && statePath !== null) await readSnapshot(statePath);
    const next: Record<string, string> = {};
    const opened: BlockBackend[] = [];
    try {
      for (const { name: disk } of this.tree.disks) {
        next[disk] = await this.createOverlay(disk, snapshot.disks[disk]!);
        if (this.live !== null) opened.push(await this.openOverlay(disk, next[disk]));
      }
      await this.drainLive(false);
      if (machine !== undefined) await restoreSnapshot(machine, statePath!);
    } catch (error) {
      await Promise.allSettled(opened.map((b) => b.close()));
      await Promise.allSettled(Object.entries(next).map(([disk, file]) => unlink(this.layout.diskFile(disk, file))));
      throw error;
    }
    await this.commit({
      ...this.tree,
      current: { parent: id, disks: next, resume: machine === undefined && statePath !== null ? id : null },
    });
    await this.switchLive(opened);
    await this.compact();
    return snapshot;
  }

  /** The snapshot state file the next start resumes (clearing the mark: disks move on from here), or null. */
  async takeResume(): Promise<string | null> {
    this.checkOpen();
    const id = this.tree.current.resume;
    if (id === null) return null;
    await this.commit({ ...this.tree, current: { ...this.tree.current, resume: null } });
    return this.statePath(id);
  }

  // ---- delete, rename -----------------------------------------------------------------------------------

  /** What deleting a snapshot would keep, merge and rewrite, with the text to show; changes nothing. */
  async explainDelete(id: string): Promise<DeletePlan> {
    this.checkOpen();
    const snapshot = this.find(id);
    const graphs = await this.readGraphs();
    const sizes = new Map<string, number>();
    for (const [disk, graph] of graphs) {
      for (const file of graph.nodes.keys())
        sizes.set(`${disk}/${file}`, await fileBytes(this.layout.diskFile(disk, file)));
    }
    const statePath = this.statePath(id);
    return planDelete({
      tree: this.tree,
      snapshot,
      graphs,
      overlayBytes: (disk, file) => sizes.get(`${disk}/${file}`) ?? 0,
      stateBytes: statePath === null ? 0 : await fileBytes(statePath),
      ramChildren: await this.ramChildren(snapshot),
    });
  }

  /**
   * Deletes a snapshot without losing data another snapshot or the current state needs. Order: rewrite the
   * snapshots whose RAM is stored against it (valid under either tree); commit the tree without it; then
   * compact: its overlay is merged into its only child, removed when nothing builds on it, or kept for
   * several branches; its state file goes. With live disks, the machine must not be running.
   */
  async delete(id: string): Promise<DeletePlan> {
    const plan = await this.explainDelete(id);
    const snapshot = plan.snapshot;
    for (const child of plan.ramRebased) {
      await rebaseSnapshotFile(this.statePath(child.id)!, child.to === null ? null : this.statePath(child.to));
    }
    const reparent = (parent: string | null) => (parent === id ? snapshot.parent : parent);
    const { current } = this.tree;
    await this.commit({
      ...this.tree,
      snapshots: this.tree.snapshots.filter((s) => s.id !== id).map((s) => ({ ...s, parent: reparent(s.parent) })),
      current: { ...current, parent: reparent(current.parent), resume: current.resume === id ? null : current.resume },
    });
    await this.compact();
    return plan;
  }

  async rename(id: string, name: string, description?: string): Promise<TreeSnapshot> {
    this.checkOpen();
    this.find(id);
    const checked = checkSnapshotName(name);
    const snapshots = this.tree.snapshots.map((s) =>
      s.id === id ? { ...s, name: checked, ...(description !== undefined ? { description } : {}) } : s,
    );
    await this.commit({ ...this.tree, snapshots });
    return this.find(id);
  }

  // ---- list, diff ---------------------------------------------------------------------------------------

  async list(): Promise<SnapshotListing> {
    this.checkOpen();
    const diskBytes = async (disks: Readonly<Record<string, string>>) => {
      let total = 0;
      for (const [disk, file] of Object.entries(disks)) total += await fileBytes(this.layout.diskFile(disk, file));
      return total;
    };
    const snapshots: SnapshotInfo[] = [];
    for (const s of this.tree.snapshots) {
      const statePath = this.statePath(s.id);
      snapshots.push({
        id: s.id,
        name: s.name,
        description: s.description,
        createdAt: s.createdAt,
        parent: s.parent,
        children: this.tree.snapshots.filter((c) => c.parent === s.id).map((c) => c.id),
        isCurrentParent: this.tree.current.parent === s.id,
        hasMachineState: s.stateFile !== null,
        guestTimeNs: s.guestTimeNs,
        stateBytes: statePath === null ? 0 : await fileBytes(statePath),
        diskBytes: await diskBytes(s.disks),
      });
    }
    let totalBytes = 0;
    for (const dir of [this.layout.snapshotsDir, ...this.diskNames.map((d) => this.layout.diskDir(d))]) {
      for (const file of await readdir(dir)) totalBytes += await fileBytes(resolve(dir, file));
    }
    const { parent, resume } = this.tree.current;
    return { snapshots, current: { parent, resume, diskBytes: await diskBytes(this.tree.current.disks) }, totalBytes };
  }

  /** Disk clusters (64 KiB) that differ between two snapshots. */
  async diffDisks(a: string, b: string): Promise<DiskDiff[]> {
    this.checkOpen();
    const out: DiskDiff[] = [];
    for (const disk of this.diskNames) {
      const clusters = await diffDiskImages(this.snapshotImage(a, disk), this.snapshotImage(b, disk));
      out.push({ disk, clusterSize: DIFF_CLUSTER, clusters });
    }
    return out;
  }

  /** Devices, RAM and disks that differ between two snapshots with machine state. */
  async diff(a: string, b: string): Promise<SnapshotDiff> {
    this.checkOpen();
    const [pathA, pathB] = [this.statePath(a), this.statePath(b)];
    if (pathA === null || pathB === null) throw new StoreError('both snapshots need machine state (see diffDisks)');
    return diffSnapshots(pathA, pathB, overlayDiskDiffer(this.layout.snapshotsDir));
  }

  /** Closes the live disks (if any) and releases the folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.closeDrives();
    this.closed = true;
    await this.lock.release();
  }

  // ---- internals ----------------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new StoreError(`${this.layout.vmDir}: the snapshot store is closed`);
  }

  /** A machine and the live disks go together: the disks a snapshot freezes must be the machine's. */
  private checkMachineUsesDisks(withMachine: boolean): void {
    if (this.live !== null && !withMachine) {
      throw new StoreError('the VM is running: this needs its paused machine');
    }
    if (this.live === null && withMachine && this.tree.disks.length > 0) {
      throw new StoreError("the machine's disks are not this store's: build it with openDrives()");
    }
  }

  private find(id: string): TreeSnapshot {
    const snapshot = this.tree.snapshots.find((s) => s.id === id);
    if (snapshot === undefined) throw new StoreError(`no snapshot ${id} in ${this.layout.vmDir}`);
    return snapshot;
  }

  private requireCurrent(disk: string): string {
    const file = this.tree.current.disks[disk];
    if (file === undefined) throw new StoreError(`no disk '${disk}' in ${this.layout.vmDir}`);
    return file;
  }

  private async commit(tree: Tree): Promise<void> {
    await writeTree(this.layout.treePath, tree);
    this.tree = tree;
  }

  /** A new overlay backing onto `backing` (a file of the same disk folder); returns its file name. */
  private async createOverlay(disk: string, backing: string): Promise<string> {
    const file = uniqueName('ov', '.qcow2');
    await createQcow2(this.layout.diskFile(disk, file), { backing: { path: backing, format: 'qcow2' } });
    return file;
  }

  private openOverlay(disk: string, file: string): Promise<BlockBackend> {
    return openImage(this.layout.diskFile(disk, file), { format: 'qcow2', cache: this.cache });
  }

  /** Waits for the live disks' requests; with `flush`, makes their writes durable. */
  private async drainLive(flush: boolean): Promise<void> {
    for (const disk of this.live ?? []) {
      await disk.switchable.drain();
      if (flush) await disk.switchable.current.flush();
    }
  }

  /** Points the live disks at the opened backends (same order) and closes the ones they replace. */
  private async switchLive(opened: readonly BlockBackend[]): Promise<void> {
    if (this.live === null) return;
    const previous = this.live.map((disk, i) => disk.switchable.swap(opened[i]!));
    await Promise.allSettled(previous.map((b) => b.close()));
  }

  private async readGraphs(): Promise<Map<string, DiskGraph>> {
    const graphs = new Map<string, DiskGraph>();
    for (const disk of this.tree.disks)
      graphs.set(disk.name, await readDiskGraph(this.layout.diskDir(disk.name), disk.root));
    return graphs;
  }

  /** Snapshots whose state file stores RAM against `snapshot`'s, with the RAM parent they move to. */
  private async ramChildren(snapshot: TreeSnapshot): Promise<{ id: string; to: string | null }[]> {
    if (snapshot.stateFile === null) return [];
    const own = await readMetadataOnly(this.layout.stateFile(snapshot.stateFile));
    const to = own.parent === null ? null : (this.tree.snapshots.find((s) => s.id === own.parent!.id)?.id ?? null);
    const out: { id: string; to: string | null }[] = [];
    for (const s of this.tree.snapshots) {
      if (s.stateFile === null || s.id === snapshot.id) continue;
      const meta = await readMetadataOnly(this.layout.stateFile(s.stateFile));
      if (meta.parent?.id === snapshot.id) out.push({ id: s.id, to });
    }
    return out;
  }

  /**
   * Removes what the tree no longer names: unreferenced overlays (merged into their only child, or deleted
   * when nothing builds on them) and state files. Live disks are closed around merges and reopened.
   */
  private async compact(): Promise<void> {
    for (const disk of this.tree.disks) {
      const referenced = referencedOverlays(this.tree, disk.name, null);
      let graph = await readDiskGraph(this.layout.diskDir(disk.name), disk.root);
      checkReferenced(graph, referenced);
      if (nextCompactStep(graph, referenced) === null) continue;
      const liveDisk = this.live?.find((d) => d.name === disk.name);
      if (liveDisk !== undefined) {
        await liveDisk.switchable.drain();
        await liveDisk.switchable.current.close();
      }
      try {
        for (let step = nextCompactStep(graph, referenced); step !== null; step = nextCompactStep(graph, referenced)) {
          if (step.kind === 'merge') {
            await mergeIntoChild(
              this.layout.diskFile(disk.name, step.parent),
              this.layout.diskFile(disk.name, step.child),
            );
            await unlink(this.layout.diskFile(disk.name, step.parent));
          } else await unlink(this.layout.diskFile(disk.name, step.file));
          graph = await readDiskGraph(this.layout.diskDir(disk.name), disk.root);
        }
      } finally {
        if (liveDisk !== undefined) {
          liveDisk.switchable.swap(await this.openOverlay(disk.name, this.requireCurrent(disk.name)));
        }
      }
    }
    await this.removeUnnamedStateFiles();
  }

  private async removeUnnamedStateFiles(): Promise<void> {
    const named = new Set(this.tree.snapshots.map((s) => s.stateFile));
    for (const file of await readdir(this.layout.snapshotsDir)) {
      // Temporary files of atomic writes cut short (tree.json, state files): nobody else writes here.
      const stale = (STATE_FILE.test(file) && !named.has(file)) || /^\..+\.tmp$/.test(file);
      if (stale) await unlink(this.layout.stateFile(file)).catch(() => undefined);
    }
  }
}

/**
 * A VM folder's snapshot tree read without opening the store (no lock, no clean-up): for showing the
 * snapshots of a VM whose store another process or thread holds. Null when the folder has none.
 */
export function peekSnapshotTree(vmDir: string): Promise<Tree | null> {
  return readTree(new StoreLayout(resolve(vmDir)).treePath);
}

/**
 * Frees a VM folder whose store was held by a thread of this process that ended without closing it (the
 * next open finishes whatever that thread left half done).
 */
export function releaseAbandonedStore(vmDir: string): Promise<void> {
  return clearOwnLock(new StoreLayout(resolve(vmDir)).lockPath);
}

function checkSnapshotName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 120) throw new StoreError('a snapshot name is 1 to 120 characters');
  return trimmed;
}
