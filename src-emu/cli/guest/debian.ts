/**
 * Builds the ready-to-boot Debian arm64 guest from Debian's own packages: the cloud kernel (a raw arm64
 * Image with PL011, GIC, PL031 and PSCI built in) and an initramfs of our own around busybox-static, whose
 * init mounts proc, sys and dev and starts a shell on the console.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { writeCpio, type CpioEntry } from './cpio';

const run = promisify(execFile);

export const DEBIAN_GUEST = 'debian-arm64';
const KERNEL_METAPACKAGE = 'linux-image-cloud-arm64:arm64';
const BUSYBOX_PACKAGE = 'busybox-static:arm64';

export interface GuestFiles {
  readonly kernel: string;
  readonly initrd: string;
  readonly manifest: GuestManifest;
}

/** Bumped whenever the initramfs changes, so caches built by an older Orrery are rebuilt. */
export const GUEST_LAYOUT = 2;

export interface GuestManifest {
  readonly guest: string;
  readonly layout: number;
  readonly kernelPackage: string;
  readonly kernelRelease: string;
  readonly busyboxVersion: string;
  readonly builtAt: string;
}

export class GuestFetchError extends Error {
  override name = 'GuestFetchError';
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ORRERY_CACHE) return env.ORRERY_CACHE;
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'orrery');
}

/** The init of our initramfs: everything a shell on the serial console needs. */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
hostname orrery
load_virtio() {
  for m in virtio_ring virtio virtio_mmio virtio_blk virtio_console virtio-rng; do
    insmod /lib/modules/virtio/$m.ko || echo "init: could not load $m"
  done
}
# The virtio drivers are modules in Debian's cloud kernel: load them when a virtio-mmio slot holds a device
# (DeviceID at +8 of each of virt's 32 slots), so boots without virtio devices do not pay for them.
slot=0
while [ $slot -lt 32 ]; do
  if [ "$(devmem $((0x0a000008 + slot * 0x200)) 32 2>/dev/null)" != "0x00000000" ]; then load_virtio; break; fi
  slot=$((slot + 1))
done
echo "Orrery Debian guest: $(uname -sr)"
cd /root
exec setsid cttyhack /bin/sh -l
`;

/** The virtio modules the init may load, as paths below lib/modules/<release>/kernel/. */
export const VIRTIO_MODULES = [
  'drivers/virtio/virtio_ring.ko',
  'drivers/virtio/virtio.ko',
  'drivers/virtio/virtio_mmio.ko',
  'drivers/block/virtio_blk.ko',
  'drivers/char/virtio_console.ko',
  'drivers/char/hw_random/virtio-rng.ko',
];

export function initramfsEntries(busybox: Uint8Array, extra: readonly CpioEntry[] = []): CpioEntry[] {
  const dirs = ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'mnt'];
  dirs.push('lib', 'lib/modules', 'lib/modules/virtio');
  return [
    ...dirs.map((path): CpioEntry => ({ type: 'dir', path, mode: path === 'tmp' ? 0o1777 : 0o755 })),
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { type: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'file', path: 'init', data: new TextEncoder().encode(INIT_SCRIPT), mode: 0o755 },
    { type: 'file', path: 'etc/profile', data: new TextEncoder().encode("PS1='\\h:\\w\\$ '\nexport PS1\n") },
    ...extra,
  ];
}

type Log = (line: string) => void;

async function tool(command: string, args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new GuestFetchError(
        `'${command}' is not available: building the ${DEBIAN_GUEST} guest needs Debian's apt and dpkg. ` +
          'On other systems, pass your own kernel and initramfs with -kernel and -initrd.',
      );
    }
    throw new GuestFetchError(`${command} ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

async function ensureArm64Packages(log: Log): Promise<void> {
  await tool('apt-get', ['--version']);
  const foreign = await tool('dpkg', ['--print-foreign-architectures']);
  const isRoot = process.getuid?.() === 0;
  if (!foreign.split('\n').includes('arm64')) {
    if (!isRoot) {
      throw new GuestFetchError(
        "Debian's arm64 package lists are not enabled. Run once: " +
          'sudo dpkg --add-architecture arm64 && sudo apt-get update',
      );
    }
    log('enabling the arm64 package architecture');
    await tool('dpkg', ['--add-architecture', 'arm64']);
    await tool('apt-get', ['update', '-qq']);
  }
}

/** The current kernel package, resolved through the metapackage (ABI numbers change with updates). */
async function resolveKernelPackage(log: Log): Promise<string> {
  const resolve = async (): Promise<string | undefined> => {
    const out = await tool('apt-cache', ['depends', KERNEL_METAPACKAGE]).catch(() => '');
    return /Depends: (linux-image-[\w.+-]+-cloud-arm64)(?::arm64)?/.exec(out)?.[1];
  };
  let name = await resolve();
  if (!name && process.getuid?.() === 0) {
    log('refreshing package lists');
    await tool('apt-get', ['update', '-qq']);
    name = await resolve();
  }
  if (!name) throw new GuestFetchError(`cannot resolve ${KERNEL_METAPACKAGE}: run 'apt-get update' and try again`);
  return name;
}

async function unpack(deb: string, into: string): Promise<void> {
  await mkdir(into, { recursive: true });
  await tool('dpkg-deb', ['-x', deb, into]);
}

export async function fetchDebianGuest(
  cacheDir: string,
  options: { refresh?: boolean; log?: Log } = {},
): Promise<GuestFiles> {
  const log = options.log ?? (() => undefined);
  const dir = join(cacheDir, 'guests', DEBIAN_GUEST);
  const files = {
    kernel: join(dir, 'Image'),
    initrd: join(dir, 'initramfs.cpio.gz'),
    manifest: join(dir, 'manifest.json'),
  };
  if (!options.refresh && [files.kernel, files.initrd, files.manifest].every((f) => existsSync(f))) {
    const manifest = JSON.parse(await readFile(files.manifest, 'utf8')) as GuestManifest;
    if (manifest.layout === GUEST_LAYOUT) return { ...files, manifest };
    log('the cached guest was built by another version: rebuilding');
  }

  await ensureArm64Packages(log);
  const kernelPackage = await resolveKernelPackage(log);
  const work = await mkdtemp(join(tmpdir(), 'orrery-guest-'));
  try {
    log(`downloading ${kernelPackage} and ${BUSYBOX_PACKAGE}`);
    await tool('apt-get', ['download', '-qq', `${kernelPackage}:arm64`, BUSYBOX_PACKAGE], work);
    const debs = (await readdir(work)).filter((f) => f.endsWith('.deb'));
    const kernelDeb = debs.find((f) => f.startsWith('linux-image-'));
    const busyboxDeb = debs.find((f) => f.startsWith('busybox-static'));
    if (!kernelDeb || !busyboxDeb)
      throw new GuestFetchError(`apt-get download produced ${debs.join(', ') || 'nothing'}`);
    await unpack(join(work, kernelDeb), join(work, 'kernel'));
    await unpack(join(work, busyboxDeb), join(work, 'busybox'));

    const vmlinuz = (await readdir(join(work, 'kernel', 'boot'))).find((f) => f.startsWith('vmlinuz-'));
    if (!vmlinuz) throw new GuestFetchError(`${kernelDeb} has no boot/vmlinuz-*`);
    const kernelRelease = vmlinuz.slice('vmlinuz-'.length);
    const busybox = new Uint8Array(await readFile(join(work, 'busybox', 'bin', 'busybox')));

    log('writing the initramfs');
    await mkdir(dir, { recursive: true });
    await copyFile(join(work, 'kernel', 'boot', vmlinuz), files.kernel);
    const modules = await Promise.all(
      VIRTIO_MODULES.map(async (path): Promise<CpioEntry> => ({
        type: 'file',
        path: `lib/modules/virtio/${path.slice(path.lastIndexOf('/') + 1)}`,
        data: new Uint8Array(await readFile(join(work, 'kernel', 'lib', 'modules', kernelRelease, 'kernel', path))),
      })),
    );
    await writeFile(files.initrd, gzipSync(writeCpio(initramfsEntries(busybox, modules)), { level: 9 }));
    const manifest: GuestManifest = {
      guest: DEBIAN_GUEST,
      layout: GUEST_LAYOUT,
      kernelPackage,
      kernelRelease,
      busyboxVersion: /busybox-static_([^_]+)_/.exec(decodeURIComponent(busyboxDeb))?.[1] ?? 'unknown',
      builtAt: new Date().toISOString(),
    };
    await writeFile(files.manifest, JSON.stringify(manifest, null, 2) + '\n');
    return { ...files, manifest };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
