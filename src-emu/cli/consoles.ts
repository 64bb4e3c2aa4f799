/**
 * `-chardev` and the virtio console's `-device` values for `orrery run`, in QEMU's spellings:
 *
 *   -chardev socket,id=c0,host=127.0.0.1,port=4555,server=on,wait=off -device virtconsole,chardev=c0
 *   -chardev file,id=log,path=agent.log -device virtserialport,chardev=log,name=org.example.log
 *
 * `-device virtio-serial-device` (QEMU needs it before its ports) is accepted; the ports alone imply it.
 * Console ports become hvc0, hvc1... in the guest, in the order given.
 */
import { FileBackend, NullBackend, StdioBackend, TcpServerBackend, type CharBackend } from '../core/chardev';
import type { VirtConsolePort } from '../machine/virt';
import { UsageError } from './args';

export type ChardevSpec =
  | { readonly id: string; readonly kind: 'stdio' | 'null' }
  | { readonly id: string; readonly kind: 'file'; readonly path: string }
  | { readonly id: string; readonly kind: 'socket'; readonly host: string; readonly port: number };

export interface ConsolePortSpec {
  readonly chardev: string;
  readonly name?: string;
  /** virtconsole (true) or virtserialport (false). */
  readonly console: boolean;
}

const ON = new Set(['on', 'yes', 'true']);

/** QEMU's option syntax: a first bare word, then key=value (or bare flags); `,,` is a literal comma. */
function splitOptions(text: string): { head: string; fields: Map<string, string> } {
  const parts = text
    .replace(/,,/g, '\0')
    .split(',')
    .map((p) => p.replace(/\0/g, ','));
  const fields = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0) fields.set(part, 'on');
    else fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return { head: parts[0]!, fields };
}

function checkKeys(what: string, fields: Map<string, string>, known: readonly string[]): void {
  for (const key of fields.keys()) if (!known.includes(key)) throw new UsageError(`${what}: unknown option '${key}'`);
}

/** One `-chardev` value: stdio, null, file,path=P or socket,host=H,port=N,server=on,wait=off; each with id=. */
export function parseChardev(text: string): ChardevSpec {
  const { head: kind, fields } = splitOptions(text);
  const id = fields.get('id');
  if (!id) throw new UsageError(`-chardev ${kind} needs id=NAME`);
  const what = `-chardev ${kind}`;
  switch (kind) {
    case 'stdio':
    case 'null':
      checkKeys(what, fields, ['id', 'mux', 'signal']);
      return { id, kind };
    case 'file': {
      checkKeys(what, fields, ['id', 'path']);
      const path = fields.get('path');
      if (!path) throw new UsageError('-chardev file needs path=FILE');
      return { id, kind, path };
    }
    case 'socket': {
      checkKeys(what, fields, ['id', 'host', 'port', 'server', 'wait', 'nowait', 'telnet', 'nodelay']);
      const port = Number(fields.get('port'));
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError('-chardev socket needs port=N (0 picks a free one)');
      }
      if (!ON.has(fields.get('server') ?? 'off')) {
        throw new UsageError('-chardev socket: only server=on (Orrery listens; connect your client to it)');
      }
      if (ON.has(fields.get('telnet') ?? 'off')) throw new UsageError('-chardev socket: telnet=on is not available');
      return { id, kind, host: fields.get('host') || '127.0.0.1', port };
    }
    default:
      throw new UsageError(`-chardev ${kind}: not available (stdio, null, file or socket)`);
  }
}

/**
 * A virtio console `-device` value as a port, `'bus'` for virtio-serial-device itself, or null when the
 * value is not a virtio console device.
 */
export function parseConsoleDevice(text: string): ConsolePortSpec | 'bus' | null {
  const { head, fields } = splitOptions(text);
  if (head === 'virtio-serial-device' || head === 'virtio-serial') {
    checkKeys(`-device ${head}`, fields, ['id', 'max_ports']);
    return 'bus';
  }
  if (head !== 'virtconsole' && head !== 'virtserialport') return null;
  checkKeys(`-device ${head}`, fields, ['chardev', 'name', 'id', 'bus', 'nr']);
  const chardev = fields.get('chardev');
  if (!chardev) throw new UsageError(`-device ${head} needs chardev=ID (a -chardev's id)`);
  const name = fields.get('name');
  if (head === 'virtserialport' && !name) throw new UsageError('-device virtserialport needs name=NAME');
  return { chardev, console: head === 'virtconsole', ...(name ? { name } : {}) };
}

export interface OpenConsoles {
  readonly ports: VirtConsolePort[];
  close(): Promise<void>;
}

/** Opens the chardevs the ports use and pairs them up; `serialOnStdio` keeps stdio for the serial line. */
export async function openConsolePorts(
  chardevs: readonly ChardevSpec[],
  ports: readonly ConsolePortSpec[],
  serialOnStdio: boolean,
  log: (line: string) => void,
): Promise<OpenConsoles> {
  const byId = new Map<string, ChardevSpec>();
  for (const spec of chardevs) {
    if (byId.has(spec.id)) throw new UsageError(`-chardev id=${spec.id} is given twice`);
    byId.set(spec.id, spec);
  }
  const opened: CharBackend[] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(opened.map((b) => b.close()));
  };
  const used = new Set<string>();
  try {
    const result: VirtConsolePort[] = [];
    for (const port of ports) {
      const spec = byId.get(port.chardev);
      if (spec === undefined) throw new UsageError(`no -chardev with id=${port.chardev}`);
      if (used.has(spec.id)) throw new UsageError(`-chardev ${spec.id} is used by two devices`);
      used.add(spec.id);
      if (spec.kind === 'stdio' && serialOnStdio) {
        throw new UsageError(`-chardev stdio (${spec.id}) needs the serial line elsewhere (e.g. -serial none)`);
      }
      const backend = await openCharBackend(spec, `chardev ${spec.id}`, log);
      opened.push(backend);
      result.push({ backend, console: port.console, ...(port.name ? { name: port.name } : {}) });
    }
    return { ports: result, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Opens a character device; `what` names it in the line logged for a TCP server's port ('serial',
 * 'chardev c0').
 */
export async function openCharBackend(
  spec: ChardevSpec,
  what: string,
  log: (line: string) => void,
): Promise<CharBackend> {
  switch (spec.kind) {
    case 'stdio':
      return new StdioBackend();
    case 'null':
      return new NullBackend();
    case 'file':
      return new FileBackend(spec.path);
    case 'socket': {
      const backend = new TcpServerBackend({ host: spec.host, port: spec.port });
      const port = await backend.listen();
      log(`${what} on tcp ${spec.host}:${port}`);
      return backend;
    }
    default: {
      const never: never = spec;
      throw new Error(`unhandled chardev ${JSON.stringify(never)}`);
    }
  }
}
