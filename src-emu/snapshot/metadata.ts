/**
 * A snapshot's metadata (the 'META' section, JSON): who it is, where it comes from, and the machine it
 * needs.
 *
 * Kernel and initrd are referenced by path, size and SHA-256, not embedded: they are tens of MB (the Debian
 * kernel is 27 MB) and would be repeated in every snapshot of a chain, while the guest already holds its
 * loaded copy in RAM. They are needed again only to build the machine and when the guest reboots, and a
 * restore refuses files whose hash changed (QEMU's savevm likewise needs the same -kernel). The device tree
 * is small and is embedded: a restored machine resets with exactly the tree it booted with (its random seed
 * included), so a reboot after restore behaves as in the original run.
 */
import type { ClockMode } from '../core/timer';

export const SNAPSHOT_KIND = 'orrery-snapshot';

export interface ImageRef {
  readonly path: string;
  readonly size: number;
  /** Lower-case hex. */
  readonly sha256: string;
}

/** Everything needed to build the machine a snapshot restores into. */
export interface MachineConfigRecord {
  readonly board: 'virt';
  readonly memoryMiB: number;
  readonly cpus: number;
  readonly clockMode: ClockMode;
  /** Deterministic mode's 2^shift ns per instruction; null in realtime mode. */
  readonly icountShift: number | null;
  readonly append: string | null;
  readonly noReboot: boolean;
  readonly kernel: ImageRef;
  readonly initrd: ImageRef | null;
  /** The device tree the machine booted with, base64. */
  readonly dtb: string;
  /** A virtio-rng device is plugged (after the disks); absent in files from before it was recorded. */
  readonly rng: boolean;
  /** The virtio-console device's ports in device order (consoles first); empty: no device. */
  readonly consoles: readonly ConsolePortRecord[];
}

export interface ConsolePortRecord {
  /** The name the guest reads, or null. */
  readonly name: string | null;
  /** A console (hvcN) rather than a plain serial port. */
  readonly console: boolean;
}

export interface ParentRef {
  readonly id: string;
  /** The parent's file, relative to this snapshot's folder. */
  readonly file: string;
}

/** Disks' state at the snapshot (an extension point: qcow2 overlays, filled in by the block layer). */
export interface DiskRef {
  readonly id: string;
  /** The frozen overlay holding the disk as it was at this snapshot. */
  readonly image: string;
}

export interface SnapshotMetadata {
  readonly kind: typeof SNAPSHOT_KIND;
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly parent: ParentRef | null;
  readonly emulatorVersion: string;
  /** Virtual time of the machine at the snapshot, ns. */
  readonly guestTimeNs: number;
  readonly machine: MachineConfigRecord;
  readonly ram: readonly { readonly name: string; readonly size: number }[];
  readonly disks: readonly DiskRef[];
}

export class MetadataError extends Error {
  override name = 'MetadataError';
}

type Json = Record<string, unknown>;

function need<T>(ok: boolean, value: unknown, what: string): T {
  if (!ok) throw new MetadataError(`metadata: ${what} is missing or invalid`);
  return value as T;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (o: Json, key: string): string => need(typeof o[key] === 'string', o[key], key);
const int = (o: Json, key: string, min: number): number =>
  need(Number.isSafeInteger(o[key]) && (o[key] as number) >= min, o[key], key);

function imageRef(value: unknown, what: string): ImageRef {
  const o = need<Json>(isObject(value), value, what);
  const sha = str(o, 'sha256');
  need(/^[0-9a-f]{64}$/.test(sha), sha, `${what}.sha256`);
  return { path: str(o, 'path'), size: int(o, 'size', 0), sha256: sha };
}

function consolePorts(value: unknown): ConsolePortRecord[] {
  return need<unknown[]>(Array.isArray(value), value, 'machine.consoles').map((port, i) => {
    const o = need<Json>(isObject(port), port, `machine.consoles[${i}]`);
    return {
      name: o.name === null ? null : str(o, 'name'),
      console: need<boolean>(typeof o.console === 'boolean', o.console, `machine.consoles[${i}].console`),
    };
  });
}

function machineRecord(value: unknown): MachineConfigRecord {
  const o = need<Json>(isObject(value), value, 'machine');
  need(o.board === 'virt', o.board, 'machine.board (only virt)');
  const clockMode = need<ClockMode>(
    o.clockMode === 'realtime' || o.clockMode === 'deterministic',
    o.clockMode,
    'machine.clockMode',
  );
  return {
    board: 'virt',
    memoryMiB: int(o, 'memoryMiB', 1),
    cpus: int(o, 'cpus', 1),
    clockMode,
    icountShift: o.icountShift === null ? null : int(o, 'icountShift', 0),
    append: o.append === null ? null : str(o, 'append'),
    noReboot: need<boolean>(typeof o.noReboot === 'boolean', o.noReboot, 'machine.noReboot'),
    kernel: imageRef(o.kernel, 'machine.kernel'),
    initrd: o.initrd === null ? null : imageRef(o.initrd, 'machine.initrd'),
    dtb: str(o, 'dtb'),
    rng: o.rng === undefined ? false : need<boolean>(typeof o.rng === 'boolean', o.rng, 'machine.rng'),
    consoles: o.consoles === undefined ? [] : consolePorts(o.consoles),
  };
}

/** Parses and checks the 'META' section. */
export function parseMetadata(bytes: Uint8Array): SnapshotMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new MetadataError(`metadata is not JSON: ${(error as Error).message}`);
  }
  const o = need<Json>(isObject(raw), raw, 'the metadata object');
  need(o.kind === SNAPSHOT_KIND, o.kind, 'kind');
  const parent = o.parent === null ? null : need<Json>(isObject(o.parent), o.parent, 'parent');
  const ram = need<unknown[]>(Array.isArray(o.ram), o.ram, 'ram').map((block, i) => {
    const b = need<Json>(isObject(block), block, `ram[${i}]`);
    return { name: str(b, 'name'), size: int(b, 'size', 1) };
  });
  const disks = need<unknown[]>(Array.isArray(o.disks), o.disks, 'disks').map((disk, i) => {
    const d = need<Json>(isObject(disk), disk, `disks[${i}]`);
    return { id: str(d, 'id'), image: str(d, 'image') };
  });
  return {
    kind: SNAPSHOT_KIND,
    id: str(o, 'id'),
    name: str(o, 'name'),
    description: str(o, 'description'),
    createdAt: str(o, 'createdAt'),
    parent: parent === null ? null : { id: str(parent, 'id'), file: str(parent, 'file') },
    emulatorVersion: str(o, 'emulatorVersion'),
    guestTimeNs: int(o, 'guestTimeNs', 0),
    machine: machineRecord(o.machine),
    ram,
    disks,
  };
}

export function encodeMetadata(metadata: SnapshotMetadata): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(metadata, null, 2));
}
