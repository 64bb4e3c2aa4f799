/**
 * `--drive`/`-drive` for `orrery run`: QEMU's `file=PATH,format=raw|qcow2,if=virtio[,readonly=on][,serial=S]`,
 * opened before the machine is built, and `--overlay`: every drive runs on a throw-away qcow2 overlay so
 * the image itself is never written.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createQcow2, openImage, probeFormat, type BlockBackend, type ImageFormat } from '../block';
import type { VirtDrive } from '../machine/virt';
import { UsageError } from './args';

export interface DriveSpec {
  readonly file: string;
  readonly format?: ImageFormat;
  readonly readOnly: boolean;
  readonly serial?: string;
}

const ON = new Set(['on', 'yes', 'true', '1']);
const OFF = new Set(['off', 'no', 'false', '0']);

/** Parses one `-drive` value; QEMU's option syntax (a `,,` is a literal comma in the file name). */
export function parseDrive(text: string): DriveSpec {
  const parts = text
    .replace(/,,/g, '\0')
    .split(',')
    .map((p) => p.replace(/\0/g, ','));
  const fields = new Map<string, string>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`-drive: '${part}' is not key=value (in '${text}')`);
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const known = new Set(['file', 'format', 'if', 'readonly', 'serial', 'media', 'cache']);
  for (const key of fields.keys()) if (!known.has(key)) throw new UsageError(`-drive: unknown option '${key}'`);
  const file = fields.get('file');
  if (!file) throw new UsageError(`-drive needs file=PATH (in '${text}')`);
  const iface = fields.get('if') ?? 'virtio';
  if (iface !== 'virtio') throw new UsageError(`-drive: if=${iface} is not available on virt (use if=virtio)`);
  if (fields.has('media') && fields.get('media') !== 'disk') throw new UsageError('-drive: only media=disk');
  const format = fields.get('format');
  if (format !== undefined && format !== 'raw' && format !== 'qcow2') {
    throw new UsageError(`-drive: format=${format} is not supported (raw or qcow2)`);
  }
  const readonly = fields.get('readonly') ?? 'off';
  if (!ON.has(readonly) && !OFF.has(readonly)) throw new UsageError(`-drive: readonly=${readonly} is not on or off`);
  const serial = fields.get('serial');
  return {
    file,
    ...(format ? { format } : {}),
    readOnly: ON.has(readonly),
    ...(serial !== undefined ? { serial } : {}),
  };
}

export interface OpenDrives {
  readonly drives: VirtDrive[];
  /** Flushes and closes every image and removes throw-away overlays. */
  close(): Promise<void>;
}

/** Opens the drives (on throw-away overlays with `overlay`); a failure closes what was already open. */
export async function openDrives(specs: readonly DriveSpec[], overlay: boolean): Promise<OpenDrives> {
  const backends: BlockBackend[] = [];
  const overlayDir = overlay && specs.length > 0 ? await mkdtemp(join(tmpdir(), 'orrery-overlay-')) : null;
  const close = async (): Promise<void> => {
    await Promise.allSettled(backends.map((b) => b.close()));
    if (overlayDir) await rm(overlayDir, { recursive: true, force: true });
  };
  try {
    const drives: VirtDrive[] = [];
    for (const [i, spec] of specs.entries()) {
      let path = spec.file;
      let format = spec.format;
      if (overlayDir) {
        path = join(overlayDir, `${i}-${basename(spec.file)}.qcow2`);
        const backingFormat = spec.format ?? (await probeFormat(spec.file));
        await createQcow2(path, { backing: { path: resolve(spec.file), format: backingFormat } });
        format = 'qcow2';
      }
      const backend = await openImage(path, { readOnly: spec.readOnly, ...(format ? { format } : {}) });
      backends.push(backend);
      drives.push({ backend, readOnly: spec.readOnly, ...(spec.serial !== undefined ? { serial: spec.serial } : {}) });
    }
    return { drives, close };
  } catch (error) {
    await close();
    throw error;
  }
}
