/**
 * `orrery img create|info|check`: the qcow2/raw basics of `qemu-img`, with the same argument order
 * (`create -f qcow2 [-b BACKING -F FMT] FILE [SIZE]`, `info FILE`, `check FILE`).
 */
import { BlockError, checkImage, createImage, imageInfo, type ImageFormat, type ImageInfo } from '../block';
import { optionValue, parseArgs, UsageError, type OptionSpec } from './args';

export const IMG_OPTIONS: OptionSpec[] = [
  { name: 'format', aliases: ['-f'], value: true, help: 'image format: qcow2 (default) or raw', valueName: 'FMT' },
  { name: 'backing', aliases: ['-b'], value: true, help: 'create: backing file of a qcow2 overlay', valueName: 'FILE' },
  {
    name: 'backing-format',
    aliases: ['-F'],
    value: true,
    help: 'create: format of the backing file',
    valueName: 'FMT',
  },
  {
    name: 'cluster-size',
    value: true,
    help: 'create: qcow2 cluster size in bytes (default 65536)',
    valueName: 'BYTES',
  },
  { name: 'json', aliases: ['--output=json'], value: false, help: 'info, check: print JSON' },
];

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** qemu-img sizes: bytes, or a number with K, M, G or T. */
export function parseSize(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMGT]?)B?$/i.exec(raw.trim());
  if (!match) throw new UsageError(`size '${raw}' is not a size (e.g. 10G, 512M, 1048576)`);
  const size = Math.round(Number(match[1]) * UNITS[match[2]!.toUpperCase()]!);
  if (size <= 0 || size % 512 !== 0) throw new UsageError(`size '${raw}' must be a positive multiple of 512 bytes`);
  return size;
}

function format(raw: string | undefined, fallback: ImageFormat): ImageFormat {
  const value = raw ?? fallback;
  if (value !== 'qcow2' && value !== 'raw') throw new UsageError(`unknown image format '${value}' (qcow2 or raw)`);
  return value;
}

function describe(info: ImageInfo, indent = ''): string {
  const lines = [
    `${indent}image: ${info.filename}`,
    `${indent}file format: ${info.format}`,
    `${indent}virtual size: ${info.virtualSize} bytes`,
    `${indent}disk size: ${info.actualSize} bytes`,
  ];
  if (info.clusterSize !== undefined) lines.push(`${indent}cluster_size: ${info.clusterSize}`);
  if (info.qcow2) {
    lines.push(`${indent}compat: ${info.qcow2.compat}`, `${indent}refcount bits: ${info.qcow2.refcountBits}`);
    if (info.qcow2.dirty) lines.push(`${indent}dirty: yes (run 'qemu-img check -r all')`);
    if (info.qcow2.corrupt) lines.push(`${indent}corrupt: yes`);
  }
  if (info.backingFilename !== undefined) {
    lines.push(`${indent}backing file: ${info.backingFilename} (actual path: ${info.fullBackingFilename})`);
  }
  if (info.backing) lines.push('', describe(info.backing, indent));
  return lines.join('\n');
}

export async function imgCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, IMG_OPTIONS);
  const [action, file, sizeText] = args.positionals;
  if (!file) throw new UsageError('img needs an action and a file: img create|info|check FILE');
  const json = args.flags.has('json');
  try {
    switch (action) {
      case 'create': {
        const backing = optionValue(args, 'backing');
        const clusterSize = optionValue(args, 'cluster-size');
        await createImage(file, {
          format: format(optionValue(args, 'format'), 'qcow2'),
          ...(sizeText !== undefined ? { size: parseSize(sizeText) } : {}),
          ...(clusterSize !== undefined ? { clusterSize: parseSize(clusterSize) } : {}),
          ...(backing
            ? { backing: { path: backing, format: format(optionValue(args, 'backing-format'), 'qcow2') } }
            : {}),
        });
        process.stdout.write(`Formatting '${file}'\n`);
        return 0;
      }
      case 'info': {
        const info = await imageInfo(file);
        process.stdout.write((json ? JSON.stringify(info, null, 2) : describe(info)) + '\n');
        return 0;
      }
      case 'check': {
        const result = await checkImage(file);
        if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else {
          for (const problem of result.corruptions) process.stdout.write(`ERROR ${problem}\n`);
          if (result.leakedClusters > 0)
            process.stdout.write(`${result.leakedClusters} leaked clusters were found on the image.\n`);
          if (result.corruptions.length === 0 && result.leakedClusters === 0)
            process.stdout.write('No errors were found on the image.\n');
          process.stdout.write(`${result.allocatedClusters} allocated clusters\n`);
        }
        // qemu-img check: 2 = corruptions, 3 = leaks only.
        return result.corruptions.length > 0 ? 2 : result.leakedClusters > 0 ? 3 : 0;
      }
      default:
        throw new UsageError(`unknown img action '${action}' (create, info or check)`);
    }
  } catch (error) {
    if (error instanceof BlockError) {
      process.stderr.write(`orrery: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
