/**
 * Whole-machine snapshots on disk: save, read (with parent chains), verify and restore.
 *
 * Incremental RAM: a machine remembers its RAM baseline, the snapshot it last saved or restored. Saving
 * takes the RAM blocks' dirty pages (`takeDirty`, which also clears them, so tracking restarts at that
 * instant) and, in 'incremental' mode with the baseline's file still on disk, stores only those pages with a
 * parent reference. Restoring writes RAM behind the CPUs' back, then clears the dirty bits (the CPUs' soft
 * TLBs drop their direct-store entries on that, so the next store to each page is seen) and makes that
 * snapshot the baseline. Every slow-path write (CPU stores to clean pages, DMA through the address space,
 * image loading) marks its page dirty; nothing but snapshots may clear the dirty bits.
 *
 * Restore reads and checks everything first (container checksums, metadata, the parent chain, every RAM
 * chunk inflated, the machine configuration, the device stream through loadMachine's all-or-nothing load)
 * and writes RAM only after the devices loaded: on any error the machine runs on as it was.
 */
import { randomUUID, createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { RamBlock } from '../core/ramblock';
import type { VirtMachine } from '../machine/virt';
import {
  decodeContainer,
  encodeContainer,
  SECTION_TAGS,
  SNAPSHOT_MAGIC,
  SnapshotFormatError,
  writeFileAtomically,
  type Section,
  type WriteStepHook,
} from './container';
import { afterRamRestored, captureMachineState, restoreMachineState } from './machine-state';
import { encodeMetadata, MetadataError, parseMetadata, SNAPSHOT_KIND } from './metadata';
import type { DiskRef, MachineConfigRecord, SnapshotMetadata } from './metadata';
import { applyRamRecord, decodeRamBlock, encodeRamBlock, RamFormatError, type RamRecord } from './ram-pages';

/** Recorded in every snapshot; follows package.json's version. */
export const EMULATOR_VERSION = '0.1.0';
/** Parent chains longer than this are refused (and a cycle is caught by ids). */
const MAX_CHAIN = 256;

/** Why a snapshot cannot be read or restored; the message says what is wrong, and with which file. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

export interface SaveSnapshotOptions {
  readonly name: string;
  readonly description?: string;
  readonly config: MachineConfigRecord;
  /**
   * 'full' stores every non-zero page; 'incremental' stores the pages changed since the machine's RAM
   * baseline and refers to it as the parent (a full snapshot when there is no usable baseline).
   */
  readonly mode?: 'full' | 'incremental';
  readonly createdAt?: Date;
  readonly writeHook?: WriteStepHook;
  /** The disks' frozen overlays at this snapshot (recorded by the snapshot store). */
  readonly disks?: readonly DiskRef[];
}

interface Baseline {
  readonly id: string;
  readonly path: string;
}

const baselines = new WeakMap<RamBlock, Baseline>();

function ramBlocks(machine: VirtMachine): RamBlock[] {
  return [machine.ram.ram!];
}

/** The snapshot a machine's RAM dirty bits are relative to, or null (since boot). */
export function ramBaseline(machine: VirtMachine): Baseline | null {
  return baselines.get(ramBlocks(machine)[0]!) ?? null;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Checks that the caller's configuration record describes this machine. */
function checkRecordDescribes(config: MachineConfigRecord, machine: VirtMachine): void {
  const problem = machineMismatch(config, machine);
  if (problem !== null) throw new SnapshotError(`the configuration record does not describe this machine: ${problem}`);
}

/** Why a snapshot's machine differs from `machine` (null when they match). */
export function machineMismatch(config: MachineConfigRecord, machine: VirtMachine): string | null {
  const ramMiB = machine.ram.size / (1024 * 1024);
  if (config.memoryMiB !== ramMiB) {
    return `the snapshot's machine has ${config.memoryMiB} MiB of RAM, this machine has ${ramMiB} MiB`;
  }
  if (config.cpus !== machine.cpus.length) {
    return `the snapshot's machine has ${config.cpus} CPUs, this machine has ${machine.cpus.length}`;
  }
  if (config.clockMode !== machine.clock.mode) {
    return `the snapshot's machine keeps ${config.clockMode} time, this machine ${machine.clock.mode} time`;
  }
  return null;
}

async function usableBaseline(machine: VirtMachine, path: string): Promise<Baseline | null> {
  const baseline = ramBaseline(machine);
  if (baseline === null || resolve(baseline.path) === resolve(path)) return null;
  const metadata = await readMetadataOnly(baseline.path).catch(() => null);
  return metadata?.id === baseline.id ? baseline : null;
}

/**
 * Saves a paused machine (see pauseAtRoundBoundary) to `path` and returns the metadata written. The
 * machine must not run until the promise settles (its state and RAM are read after the parent lookup).
 */
export async function saveSnapshot(
  machine: VirtMachine,
  path: string,
  options: SaveSnapshotOptions,
): Promise<SnapshotMetadata> {
  checkRecordDescribes(options.config, machine);
  const parent = options.mode === 'incremental' ? await usableBaseline(machine, path) : null;
  const blocks = ramBlocks(machine);
  const devices = captureMachineState(machine);
  const dirty = blocks.map((block) => block.takeDirty());
  const metadata: SnapshotMetadata = {
    kind: SNAPSHOT_KIND,
    id: randomUUID(),
    name: options.name,
    description: options.description ?? '',
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    parent: parent === null ? null : { id: parent.id, file: relative(dirname(resolve(path)), resolve(parent.path)) },
    emulatorVersion: EMULATOR_VERSION,
    guestTimeNs: machine.clock.now(),
    machine: options.config,
    ram: blocks.map((block) => ({ name: block.name, size: block.size })),
    disks: options.disks ?? [],
  };
  try {
    const ram = blocks.map((block, i) =>
      parent === null ? encodeRamBlock(block, 'full') : encodeRamBlock(block, 'delta', dirty[i]),
    );
    const sections: Section[] = [
      { tag: SECTION_TAGS.meta, payload: encodeMetadata(metadata) },
      { tag: SECTION_TAGS.devices, payload: devices },
      ...ram.map((payload) => ({ tag: SECTION_TAGS.ram, payload })),
    ];
    await writeFileAtomically(path, encodeContainer(sections), options.writeHook);
  } catch (error) {
    // Keep the dirty pages: the baseline did not move, so the next incremental save still needs them.
    blocks.forEach((block, i) => dirty[i]!.forEach((page) => block.markDirty(page * 4096, 4096)));
    throw error;
  }
  for (const block of blocks) baselines.set(block, { id: metadata.id, path: resolve(path) });
  return metadata;
}

/** One verified file of a chain. */
export interface SnapshotFile {
  readonly path: string;
  readonly metadata: SnapshotMetadata;
  readonly deviceStream: Uint8Array;
  readonly ram: readonly RamRecord[];
  readonly bytes: number;
}

/** A snapshot with its parents (oldest first, the snapshot itself last) and its composed RAM images. */
export interface LoadedSnapshot {
  readonly file: SnapshotFile;
  readonly chain: readonly SnapshotFile[];
  readonly ramImages: ReadonlyMap<string, Uint8Array>;
}

function fail(path: string, error: unknown): never {
  if (error instanceof SnapshotError) throw error;
  const known =
    error instanceof SnapshotFormatError || error instanceof MetadataError || error instanceof RamFormatError;
  if (known) throw new SnapshotError(`${path}: ${error.message}`);
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') throw new SnapshotError(`${path}: no such file`);
  throw error;
}

/** Reads and checks one file completely (no parent). */
export async function readSnapshotFile(path: string): Promise<SnapshotFile> {
  try {
    const bytes = new Uint8Array(await readFile(path));
    const sections = decodeContainer(bytes);
    const metadata = parseMetadata(sections[0]!.payload);
    const ram = sections.slice(2).map((s) => decodeRamBlock(s.payload));
    const names = ram.map((r) => `${r.name}:${r.size}`).join(',');
    const declared = metadata.ram.map((r) => `${r.name}:${r.size}`).join(',');
    if (names !== declared)
      throw new SnapshotFormatError(`RAM sections (${names}) differ from the metadata's (${declared})`);
    if (metadata.parent === null && ram.some((r) => r.mode !== 'full')) {
      throw new SnapshotFormatError('a snapshot without a parent stores only the changed pages of its RAM');
    }
    return { path, metadata, deviceStream: sections[1]!.payload, ram, bytes: bytes.length };
  } catch (error) {
    fail(path, error);
  }
}

/** Reads the metadata of a file without reading its RAM (the META section's SHA-256 is checked). */
export async function readMetadataOnly(path: string): Promise<SnapshotMetadata> {
  const handle = await open(path, 'r');
  try {
    const header = new Uint8Array(16 + 44);
    await handle.read(header, 0, header.length, 0);
    const view = new DataView(header.buffer);
    if (String.fromCharCode(...header.subarray(0, 8)) !== SNAPSHOT_MAGIC) {
      throw new SnapshotFormatError('not an Orrery snapshot (no ORRSNAP header)');
    }
    const length = view.getUint32(20) * 0x1_0000_0000 + view.getUint32(24);
    if (String.fromCharCode(...header.subarray(16, 20)) !== SECTION_TAGS.meta || length > 1 << 24) {
      throw new SnapshotFormatError('the first section is not the metadata');
    }
    const payload = new Uint8Array(length);
    await handle.read(payload, 0, length, header.length);
    if (sha256Hex(payload) !== Buffer.from(header.subarray(28, 60)).toString('hex')) {
      throw new SnapshotFormatError('section "META" is damaged: its SHA-256 does not match');
    }
    return parseMetadata(payload);
  } catch (error) {
    fail(path, error);
  } finally {
    await handle.close();
  }
}

/** Reads a snapshot and its parents, checks the chain, and composes its RAM images. */
export async function readSnapshot(path: string): Promise<LoadedSnapshot> {
  const chain: SnapshotFile[] = [await readSnapshotFile(path)];
  const seen = new Set([chain[0]!.metadata.id]);
  for (let child = chain[0]!; child.metadata.parent !== null; child = chain[0]!) {
    const ref = child.metadata.parent;
    const parentPath = isAbsolute(ref.file) ? ref.file : resolve(dirname(child.path), ref.file);
    if (chain.length >= MAX_CHAIN) throw new SnapshotError(`${path}: the parent chain is longer than ${MAX_CHAIN}`);
    const parent = await readSnapshotFile(parentPath).catch((error: unknown) => {
      throw new SnapshotError(`${child.path}: its parent snapshot cannot be used: ${(error as Error).message}`);
    });
    if (parent.metadata.id !== ref.id) {
      throw new SnapshotError(
        `${child.path}: its parent ${parentPath} was replaced (id ${parent.metadata.id}, expected ${ref.id})`,
      );
    }
    if (seen.has(parent.metadata.id)) throw new SnapshotError(`${path}: the parent chain has a cycle`);
    seen.add(parent.metadata.id);
    const layout = (f: SnapshotFile) => f.metadata.ram.map((r) => `${r.name}:${r.size}`).join(',');
    if (layout(parent) !== layout(child)) {
      throw new SnapshotError(`${child.path}: its parent ${parentPath} has other RAM (${layout(parent)})`);
    }
    chain.unshift(parent);
  }
  const ramImages = new Map<string, Uint8Array>();
  for (const file of chain) {
    for (const record of file.ram) {
      let image = ramImages.get(record.name);
      if (image === undefined) ramImages.set(record.name, (image = new Uint8Array(record.size)));
      applyRamRecord(record, image);
    }
  }
  return { file: chain[chain.length - 1]!, chain, ramImages };
}

/**
 * Restores a snapshot into a machine that is not running (paused, or not started). Everything is read and
 * checked before the machine is touched; a refusal leaves it as it was.
 */
export async function restoreSnapshot(machine: VirtMachine, path: string): Promise<LoadedSnapshot> {
  const loaded = await readSnapshot(path);
  const { metadata } = loaded.file;
  const mismatch = machineMismatch(metadata.machine, machine);
  if (mismatch !== null) throw new SnapshotError(`${path}: cannot restore here: ${mismatch}`);
  const blocks = ramBlocks(machine);
  for (const block of blocks) {
    const image = loaded.ramImages.get(block.name);
    if (image === undefined || image.length !== block.size) {
      throw new SnapshotError(
        `${path}: cannot restore here: no RAM image for block '${block.name}' of ${block.size} bytes`,
      );
    }
  }
  try {
    restoreMachineState(machine, loaded.file.deviceStream);
  } catch (error) {
    throw new SnapshotError(`${path}: the device state does not load: ${(error as Error).message}`);
  }
  for (const block of blocks) {
    block.bytes.set(loaded.ramImages.get(block.name)!);
    block.clearDirty();
    baselines.set(block, { id: metadata.id, path: resolve(path) });
  }
  afterRamRestored(machine);
  return loaded;
}
