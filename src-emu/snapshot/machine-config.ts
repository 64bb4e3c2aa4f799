/**
 * The machine configuration a snapshot records, and building a machine from it again.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NullBackend, type CharBackend } from '../core/chardev';
import { VirtioRng } from '../hw/virtio/rng';
import { VirtMachine, type VirtConfig, type VirtConsolePort, type VirtDrive } from '../machine/virt';
import type { ConsolePortRecord, DiskRef, ImageRef, MachineConfigRecord } from './metadata';
import { readMetadataOnly, restoreSnapshot, sha256Hex, SnapshotError } from './snapshot';

export interface ImageInput {
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface RecordInputs {
  readonly kernel: ImageInput;
  readonly initrd?: ImageInput;
  readonly icountShift?: number;
}

const imageRef = (image: ImageInput): ImageRef => ({
  path: resolve(image.path),
  size: image.bytes.length,
  sha256: sha256Hex(image.bytes),
});

/** The record of a running machine built from `config`, whose kernel and initrd came from these files. */
export function machineConfigRecord(
  machine: VirtMachine,
  config: VirtConfig,
  inputs: RecordInputs,
): MachineConfigRecord {
  return {
    board: 'virt',
    memoryMiB: config.memoryMiB,
    cpus: config.cpus,
    clockMode: machine.clock.mode,
    icountShift: machine.clock.mode === 'deterministic' ? (inputs.icountShift ?? config.icountShift ?? 3) : null,
    append: config.append ?? null,
    noReboot: config.noReboot ?? false,
    kernel: imageRef(inputs.kernel),
    initrd: inputs.initrd ? imageRef(inputs.initrd) : null,
    dtb: Buffer.from(machine.dtb).toString('base64'),
    rng: machine.virtio.some((transport) => transport.device instanceof VirtioRng),
    consoles: consolePortsOf(machine),
  };
}

/** The machine's virtio-console ports as its device has them (console ports first). */
function consolePortsOf(machine: VirtMachine): ConsolePortRecord[] {
  const device = machine.virtioConsole;
  if (device === null) return [];
  const names = device.props.names.split(',');
  return device.ports.map((_, i) => ({ name: names[i] || null, console: i < device.props.consoles }));
}

/**
 * The record's console ports connected to `backends` (one per port, in the record's order); a machine is
 * rebuilt only with the ports it was saved with.
 */
function consolePortsFor(record: MachineConfigRecord, backends: readonly CharBackend[]): VirtConsolePort[] {
  if (backends.length !== record.consoles.length) {
    throw new SnapshotError(
      `the snapshot's machine has ${record.consoles.length} virtio console port(s); ${backends.length} were given`,
    );
  }
  return record.consoles.map((port, i) => ({
    backend: backends[i]!,
    console: port.console,
    ...(port.name !== null ? { name: port.name } : {}),
  }));
}

async function readImage(ref: ImageRef, what: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(ref.path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new SnapshotError(`the snapshot's ${what} ${ref.path} cannot be read (${code})`);
  }
  if (bytes.length !== ref.size || sha256Hex(bytes) !== ref.sha256) {
    throw new SnapshotError(
      `the snapshot's ${what} ${ref.path} has changed since the snapshot was taken ` +
        `(${bytes.length} bytes, SHA-256 ${sha256Hex(bytes).slice(0, 16)}…; expected ${ref.size} bytes, ` +
        `${ref.sha256.slice(0, 16)}…)`,
    );
  }
  return bytes;
}

/**
 * The VirtConfig that rebuilds a snapshot's machine; kernel and initrd are read and their hashes checked.
 * `consoles` are the backends of its virtio console ports, one per port the record lists.
 */
export async function virtConfigFromRecord(
  record: MachineConfigRecord,
  serial?: CharBackend,
  consoles: readonly CharBackend[] = [],
): Promise<VirtConfig> {
  const ports = consolePortsFor(record, consoles);
  const kernel = await readImage(record.kernel, 'kernel');
  const initrd = record.initrd === null ? undefined : await readImage(record.initrd, 'initrd');
  return {
    memoryMiB: record.memoryMiB,
    cpus: record.cpus,
    kernel,
    ...(initrd ? { initrd } : {}),
    ...(record.append !== null ? { append: record.append } : {}),
    dtb: new Uint8Array(Buffer.from(record.dtb, 'base64')),
    clockMode: record.clockMode,
    ...(record.icountShift !== null ? { icountShift: record.icountShift } : {}),
    ...(serial ? { serial } : {}),
    noReboot: record.noReboot,
    rng: record.rng,
    ...(ports.length > 0 ? { consoles: ports } : {}),
  };
}

/** Stands in for a disk in a layout machine: the device stream only needs the device to exist. */
const PLACEHOLDER_DISK = {
  size: 0,
  readOnly: true,
  capabilities: { discard: false },
  read: () => Promise.reject(new Error('placeholder disk')),
  write: () => Promise.reject(new Error('placeholder disk')),
  flush: () => Promise.resolve(),
  discard: () => Promise.resolve(),
  writeZeroes: () => Promise.reject(new Error('placeholder disk')),
};

/**
 * A machine with a snapshot's layout, only for reading its device stream (info, verify, diff): the kernel
 * is a placeholder raw image, so the files need not exist, and each of the snapshot's disks (metadata.disks)
 * is a placeholder virtio-blk drive. It is never run.
 */
export function layoutMachine(record: MachineConfigRecord, disks: readonly DiskRef[] = []): VirtMachine {
  return new VirtMachine({
    drives: disks.map(() => ({ backend: PLACEHOLDER_DISK })),
    memoryMiB: record.memoryMiB,
    cpus: record.cpus,
    rng: record.rng,
    consoles: consolePortsFor(
      record,
      record.consoles.map(() => new NullBackend()),
    ),
    kernel: new Uint8Array(4),
    dtb: new Uint8Array(Buffer.from(record.dtb, 'base64')),
    clockMode: record.clockMode,
    ...(record.icountShift !== null ? { icountShift: record.icountShift } : {}),
  });
}

/**
 * A machine rebuilt from a snapshot's record and restored; its kernel and initrd files are checked. A
 * snapshot of a machine with disks needs them again, in the same order, and one backend per virtio console
 * port (in the device's order: console ports first).
 */
export async function machineFromSnapshot(
  path: string,
  serial: CharBackend,
  drives: readonly VirtDrive[] = [],
  consoles: readonly CharBackend[] = [],
): Promise<VirtMachine> {
  const record = (await readMetadataOnly(path)).machine;
  const machine = new VirtMachine({ ...(await virtConfigFromRecord(record, serial, consoles)), drives });
  await restoreSnapshot(machine, path);
  return machine;
}
