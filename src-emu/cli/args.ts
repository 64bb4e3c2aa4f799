/**
 * Command-line parsing that accepts both Orrery's GNU-style options (`--memory 256`, `--memory=256`) and
 * QEMU's single-dash spellings (`-m 256`, `-kernel Image`), so a QEMU user's command line works unchanged.
 */

export interface OptionSpec {
  /** Canonical long name without dashes, e.g. 'memory'. */
  readonly name: string;
  /** Other spellings with their dashes, e.g. ['-m']. */
  readonly aliases?: readonly string[];
  /** true: the option takes a value; false: a flag. */
  readonly value: boolean;
  /** May be given more than once (values collected in order). */
  readonly repeatable?: boolean;
  readonly help: string;
  /** Shown as `--name VALUE`. */
  readonly valueName?: string;
}

export interface ParsedArgs {
  readonly options: Map<string, string[]>;
  readonly flags: Set<string>;
  readonly positionals: string[];
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const bySpelling = new Map<string, OptionSpec>();
  for (const spec of specs) {
    bySpelling.set(`--${spec.name}`, spec);
    for (const alias of spec.aliases ?? []) bySpelling.set(alias, spec);
  }
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const spelling = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const spec = bySpelling.get(spelling);
    if (!spec) throw new UsageError(`unknown option '${spelling}' (see 'orrery help')`);
    if (!spec.value) {
      if (eq > 0 && arg.startsWith('--')) throw new UsageError(`option '${spelling}' takes no value`);
      flags.add(spec.name);
      continue;
    }
    let value: string | undefined;
    if (eq > 0 && arg.startsWith('--')) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined) throw new UsageError(`option '${spelling}' needs a value`);
    const list = options.get(spec.name) ?? [];
    if (list.length > 0 && !spec.repeatable) throw new UsageError(`option '${spelling}' given twice`);
    list.push(value);
    options.set(spec.name, list);
  }
  return { options, flags, positionals };
}

export function optionValue(args: ParsedArgs, name: string): string | undefined {
  return args.options.get(name)?.[0];
}

export function intOption(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const raw = optionValue(args, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not '${raw}'`);
  }
  return value;
}

export function formatHelp(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const spellings = [`--${s.name}${s.value ? ` ${s.valueName ?? 'VALUE'}` : ''}`, ...(s.aliases ?? [])].join(', ');
    return [spellings, s.help] as const;
  });
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return rows.map(([a, b]) => `  ${a.padEnd(width)}${b}`).join('\n');
}
