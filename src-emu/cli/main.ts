/**
 * `orrery`: the headless command line. Subcommands: run (boot a machine with serial on the terminal), dtb
 * (write the generated device tree), guest fetch (build a ready guest from Debian packages), help.
 */
import { writeFile } from 'node:fs/promises';
import { formatHelp, intOption, optionValue, parseArgs, UsageError, type OptionSpec } from './args';
import { DEBIAN_GUEST, defaultCacheDir, fetchDebianGuest, GuestFetchError } from './guest/debian';
import { virtDtb } from '../machine/virt-dtb';
import { describeRunError, RUN_OPTIONS, runCommand } from './run';
import { snapshotCommand, SNAPSHOT_USAGE } from './snapshot-cli';
import { IMG_OPTIONS, imgCommand } from './img';

const DTB_OPTIONS: OptionSpec[] = [
  { name: 'out', aliases: ['-o'], value: true, help: 'file to write', valueName: 'FILE' },
  { name: 'memory', aliases: ['-m'], value: true, help: 'RAM size in MiB (default 128)', valueName: 'MiB' },
  { name: 'smp', aliases: ['-smp'], value: true, help: 'number of CPUs (default 1)', valueName: 'N' },
  { name: 'append', aliases: ['-append'], value: true, help: 'kernel command line', valueName: 'TEXT' },
];

const GUEST_OPTIONS: OptionSpec[] = [
  { name: 'refresh', value: false, help: 'rebuild even if the cache holds the guest' },
  { name: 'cache', value: true, help: 'cache folder (default $ORRERY_CACHE or ~/.cache/orrery)', valueName: 'DIR' },
];

const USAGE = `usage: orrery <command> [options]

commands:
  run [options]       boot a virt machine, serial on this terminal (no -kernel: the built-in demo guest)
  dtb --out FILE      write the virt board's device tree
${SNAPSHOT_USAGE}
  img create [-f qcow2|raw] [-b BACKING -F FMT] FILE [SIZE]
                      create a disk image (a qcow2 overlay when -b is given)
  img info FILE       describe an image and its backing chain
  img check FILE      check a qcow2 image's consistency (exit 2: corrupt, 3: leaked clusters)
  guest fetch ${DEBIAN_GUEST}
                      build the Debian arm64 guest (cloud kernel + busybox initramfs) from Debian packages
  help                this text

run options:
${formatHelp(RUN_OPTIONS)}

dtb options:
${formatHelp(DTB_OPTIONS)}

img options:
${formatHelp(IMG_OPTIONS)}

guest options:
${formatHelp(GUEST_OPTIONS)}
`;

async function dtbCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, DTB_OPTIONS);
  const out = optionValue(args, 'out');
  if (!out) throw new UsageError('dtb needs --out FILE');
  const memory = intOption(args, 'memory', 16, 16384) ?? 128;
  const cpus = intOption(args, 'smp', 1, 8) ?? 1;
  const bootargs = optionValue(args, 'append');
  const seed = crypto.getRandomValues(new Uint32Array(10));
  await writeFile(out, virtDtb({ ramSize: memory * 1024 * 1024, cpus, seed, ...(bootargs ? { bootargs } : {}) }));
  return 0;
}

async function guestCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, GUEST_OPTIONS);
  const [action, name] = args.positionals;
  if (action !== 'fetch')
    throw new UsageError(`unknown guest action '${action ?? ''}' (try: guest fetch ${DEBIAN_GUEST})`);
  if (name !== DEBIAN_GUEST) throw new UsageError(`unknown guest '${name ?? ''}' (known: ${DEBIAN_GUEST})`);
  const guest = await fetchDebianGuest(optionValue(args, 'cache') ?? defaultCacheDir(), {
    refresh: args.flags.has('refresh'),
    log: (line) => process.stderr.write(`orrery: ${line}\n`),
  });
  process.stdout.write(
    `${guest.manifest.kernelPackage} with busybox ${guest.manifest.busyboxVersion}\n` +
      `kernel: ${guest.kernel}\ninitrd: ${guest.initrd}\n` +
      `boot it: orrery run -kernel ${guest.kernel} -initrd ${guest.initrd} -append "console=ttyAMA0" -nographic\n`,
  );
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case 'dtb':
        return await dtbCommand(rest);
      case 'snapshot':
        return await snapshotCommand(rest);
      case 'img':
        return await imgCommand(rest);
      case 'guest':
        return await guestCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`orrery: ${error.message}\n`);
      return 2;
    }
    const runError = describeRunError(error);
    if (runError !== null) {
      process.stderr.write(`orrery: ${runError}\n`);
      return 1;
    }
    if (error instanceof GuestFetchError) {
      process.stderr.write(`orrery: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
