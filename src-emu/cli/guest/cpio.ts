/**
 * A writer for the "newc" cpio format (070701), the format the Linux kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Output is deterministic: fixed owner, times
 * and inode numbers, so the same inputs give the same bytes.
 */

export type CpioEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly type: 'file'; readonly path: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string }
  | {
      readonly type: 'chardev';
      readonly path: string;
      readonly major: number;
      readonly minor: number;
      readonly mode?: number;
    };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

function header(fields: {
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  rdevMajor: number;
  rdevMinor: number;
  nameSize: number;
}): string {
  return (
    '070701' +
    [
      fields.ino,
      fields.mode,
      0,
      0,
      fields.nlink,
      0,
      fields.size,
      0,
      0,
      fields.rdevMajor,
      fields.rdevMinor,
      fields.nameSize,
      0,
    ]
      .map(hex8)
      .join('')
  );
}

export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  let length = 0;
  const push = (bytes: Uint8Array): void => {
    chunks.push(bytes);
    length += bytes.length;
  };
  const pad4 = (): void => {
    if (length % 4 !== 0) push(new Uint8Array(4 - (length % 4)));
  };

  const emit = (ino: number, path: string, mode: number, nlink: number, body: Uint8Array, rdev = [0, 0]): void => {
    const name = encoder.encode(path + '\0');
    push(
      encoder.encode(
        header({
          ino,
          mode,
          nlink,
          size: body.length,
          rdevMajor: rdev[0]!,
          rdevMinor: rdev[1]!,
          nameSize: name.length,
        }),
      ),
    );
    push(name);
    pad4();
    push(body);
    pad4();
  };

  entries.forEach((entry, index) => {
    const path = entry.path.replace(/^\/+/, '');
    if (path.length === 0) throw new Error('cpio entries need a path below the root');
    const ino = index + 1;
    switch (entry.type) {
      case 'dir':
        emit(ino, path, S_IFDIR | (entry.mode ?? 0o755), 2, new Uint8Array(0));
        break;
      case 'file':
        emit(ino, path, S_IFREG | (entry.mode ?? 0o644), 1, entry.data);
        break;
      case 'symlink':
        emit(ino, path, S_IFLNK | 0o777, 1, encoder.encode(entry.target));
        break;
      case 'chardev':
        emit(ino, path, S_IFCHR | (entry.mode ?? 0o600), 1, new Uint8Array(0), [entry.major, entry.minor]);
        break;
      default: {
        const unknown: never = entry;
        throw new Error(`unknown cpio entry ${JSON.stringify(unknown)}`);
      }
    }
  });
  emit(0, TRAILER, 0, 1, new Uint8Array(0));

  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
