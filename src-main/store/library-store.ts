/**
 * The VM library on disk: one folder per VM under <store>/vms/<id>/, holding vm.json, its created disks
 * (disks/), and later snapshots and console logs. A damaged vm.json makes that one VM show as broken; the
 * others still load.
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { NewVm, VmConfig, VmSettings } from '../../src-shared/api/vm-config';
import {
  NewVmSchema,
  upgradeVmConfig,
  VM_CONFIG_VERSION,
  VmConfigSchema,
  VmSettingsSchema,
} from '../../src-shared/api/vm-config';
import type { VmSummary } from '../../src-shared/api/contract';
import { peekSnapshotTree } from '../../src-emu/snapshot/store/store';
import { writeFileAtomic } from './atomic-file';
import { checkAttachedDisks, provideDisks } from './vm-disks';

const CONFIG_FILE = 'vm.json';
/** Where a deleted VM's kept files go, one folder per deletion (outside vms/, so it is not listed as a VM). */
const KEPT_DIR = 'kept';

export interface RemoveResult {
  /** Names of the files kept, sorted; empty when nothing was kept. */
  readonly kept: string[];
  readonly keptIn: string | null;
}

export class LibraryStore {
  constructor(readonly root: string) {}

  private get vmsDir(): string {
    return join(this.root, 'vms');
  }

  vmDir(id: string): string {
    return join(this.vmsDir, id);
  }

  async list(): Promise<VmSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.vmsDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const summaries = await Promise.all(names.filter((n) => !n.startsWith('.')).map((id) => this.summarize(id)));
    return summaries.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Reads one VM's config; throws with a message that says what is wrong with the file. */
  async read(id: string): Promise<VmConfig> {
    const path = join(this.vmDir(id), CONFIG_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${path} is missing`);
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${path} is not valid JSON`);
    }
    const version = (json as { version?: unknown } | null)?.version;
    if (typeof version === 'number' && version > VM_CONFIG_VERSION) {
      throw new Error(`${path} was written by a newer Orrery (config version ${version})`);
    }
    const parsed = VmConfigSchema.safeParse(upgradeVmConfig(json, path));
    if (!parsed.success) throw new Error(`${path}: ${z.prettifyError(parsed.error)}`);
    if (parsed.data.id !== id) throw new Error(`${path} names VM '${parsed.data.id}' but lives in folder '${id}'`);
    return parsed.data;
  }

  async create(input: NewVm, now = new Date()): Promise<VmConfig> {
    const { disks: requests = [], ...fields } = NewVmSchema.parse(input);
    await checkAttachedDisks(requests);
    const id = await this.freeId(fields.name);
    const dir = this.vmDir(id);
    await mkdir(dir, { recursive: true });
    try {
      const disks = await provideDisks(dir, requests);
      const config: VmConfig = {
        version: VM_CONFIG_VERSION,
        id,
        createdAt: now.toISOString(),
        ...fields,
        ...(disks.length > 0 ? { disks } : {}),
      };
      await this.write(config);
      return config;
    } catch (error) {
      // A half-made VM would list as broken: take away what was made.
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async write(config: VmConfig): Promise<void> {
    const valid = VmConfigSchema.parse(config);
    await writeFileAtomic(join(this.vmDir(valid.id), CONFIG_FILE), JSON.stringify(valid, null, 2) + '\n');
  }

  /** Changes a VM's settings (validated by the wizard's schema); id and times stay. */
  async update(id: string, settings: VmSettings): Promise<VmConfig> {
    const fields = VmSettingsSchema.parse(settings);
    const config = await this.read(id);
    const updated: VmConfig = { ...config, ...fields };
    await this.write(updated);
    return updated;
  }

  /**
   * Deletes a VM. With `keepFiles`, only vm.json goes: the folder's other files (console log, later disks)
   * move to <store>/kept/<id>-<time>/ and are listed in the result. Without, the folder goes entirely.
   */
  async remove(id: string, options: { keepFiles?: boolean } = {}, now = new Date()): Promise<RemoveResult> {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new Error(`no VM '${id}'`);
    const dir = this.vmDir(id);
    if (!options.keepFiles) {
      await rm(dir, { recursive: true, force: false });
      return { kept: [], keptIn: null };
    }
    const kept = (await readdir(dir)).filter((name) => name !== CONFIG_FILE).sort();
    await rm(join(dir, CONFIG_FILE), { force: true });
    if (kept.length === 0) {
      await rm(dir, { recursive: true });
      return { kept: [], keptIn: null };
    }
    const stamp = now.toISOString().replace(/[:.]/g, '-');
    const keptIn = join(this.root, KEPT_DIR, `${id}-${stamp}`);
    await mkdir(join(this.root, KEPT_DIR), { recursive: true });
    await rename(dir, keptIn);
    return { kept, keptIn };
  }

  /** A VM as the library lists it while stopped: its config and the saved state its next start resumes. */
  async summarize(id: string): Promise<VmSummary> {
    try {
      const config = await this.read(id);
      const resumes = await this.resumedSnapshotName(id);
      return { id, name: config.name, state: 'stopped', config, ...(resumes !== null ? { resumes } : {}) };
    } catch (error) {
      return { id, name: id, state: 'broken', problem: error instanceof Error ? error.message : String(error) };
    }
  }

  /** The snapshot the VM's next start resumes, by name; null when it boots afresh (or the tree is unreadable). */
  private async resumedSnapshotName(id: string): Promise<string | null> {
    const tree = await peekSnapshotTree(this.vmDir(id)).catch(() => null);
    const resume = tree?.current.resume ?? null;
    return resume === null ? null : (tree!.snapshots.find((s) => s.id === resume)?.name ?? resume);
  }

  /** A folder name derived from the VM's name, unique in the library. */
  private async freeId(name: string): Promise<string> {
    const base =
      name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 40) || 'vm';
    const taken = new Set(await readdir(this.vmsDir).catch(() => [] as string[]));
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }
}
