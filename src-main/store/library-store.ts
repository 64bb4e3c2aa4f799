/**
 * The VM library on disk: one folder per VM under <store>/vms/<id>/, holding vm.json (and later disks,
 * snapshots and console logs). A damaged vm.json makes that one VM show as broken; the others still load.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { NewVm, VmConfig } from '../../src-shared/api/vm-config';
import { NewVmSchema, VM_CONFIG_VERSION, VmConfigSchema } from '../../src-shared/api/vm-config';
import type { VmSummary } from '../../src-shared/api/contract';
import { writeFileAtomic } from './atomic-file';

const CONFIG_FILE = 'vm.json';

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
    const parsed = VmConfigSchema.safeParse(json);
    if (!parsed.success) throw new Error(`${path}: ${z.prettifyError(parsed.error)}`);
    if (parsed.data.id !== id) throw new Error(`${path} names VM '${parsed.data.id}' but lives in folder '${id}'`);
    return parsed.data;
  }

  async create(input: NewVm, now = new Date()): Promise<VmConfig> {
    const fields = NewVmSchema.parse(input);
    const id = await this.freeId(fields.name);
    const config: VmConfig = { version: VM_CONFIG_VERSION, id, createdAt: now.toISOString(), ...fields };
    await mkdir(this.vmDir(id), { recursive: true });
    await this.write(config);
    return config;
  }

  async write(config: VmConfig): Promise<void> {
    const valid = VmConfigSchema.parse(config);
    await writeFileAtomic(join(this.vmDir(valid.id), CONFIG_FILE), JSON.stringify(valid, null, 2) + '\n');
  }

  async remove(id: string): Promise<void> {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new Error(`no VM '${id}'`);
    await rm(this.vmDir(id), { recursive: true, force: false });
  }

  private async summarize(id: string): Promise<VmSummary> {
    try {
      const config = await this.read(id);
      return { id, name: config.name, state: 'stopped', config };
    } catch (error) {
      return { id, name: id, state: 'broken', problem: error instanceof Error ? error.message : String(error) };
    }
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
