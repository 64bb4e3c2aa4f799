/**
 * Command line: npx tsx test/lockstep/run.ts [--max-steps N] [--fp] [--history N] [--keep-going N] PROGRAM.elf
 * Exit status 0: no divergence; 1: divergence or step budget reached; 2: usage or setup error.
 */
import { formatResult, runLockstep } from './lockstep';

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: run.ts [--max-steps N] [--fp] [--history N] [--keep-going N] PROGRAM.elf\n`);
  process.exit(2);
}

function parseCount(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) usage(`${flag} needs a positive integer`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  let kernel: string | undefined;
  let maxSteps = 1_000_000;
  let historyLength = 16;
  let fp = false;
  let maxDivergences = 1;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--max-steps') maxSteps = parseCount(arg, argv[++i]);
    else if (arg === '--history') historyLength = parseCount(arg, argv[++i]);
    else if (arg === '--keep-going') maxDivergences = parseCount(arg, argv[++i]);
    else if (arg === '--fp') fp = true;
    else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
    else if (kernel === undefined) kernel = arg;
    else usage('only one program can be run');
  }
  if (kernel === undefined) usage('no program given');
  const result = await runLockstep({ kernel, maxSteps, fp, historyLength, maxDivergences });
  process.stdout.write(`${formatResult(result)}\n`);
  return result.outcome === 'completed' ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`lockstep: ${(error as Error).message}\n`);
    process.exit(2);
  },
);
