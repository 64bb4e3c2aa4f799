import { describe, expect, it } from 'vitest';
import { formatHelp, intOption, optionValue, parseArgs, UsageError, type OptionSpec } from './args';

const specs: OptionSpec[] = [
  { name: 'kernel', aliases: ['-kernel'], value: true, help: 'kernel image' },
  { name: 'memory', aliases: ['-m'], value: true, help: 'RAM in MiB', valueName: 'MiB' },
  { name: 'nographic', aliases: ['-nographic'], value: false, help: 'no display' },
  { name: 'drive', aliases: ['-drive'], value: true, repeatable: true, help: 'disk' },
];

describe('parseArgs', () => {
  it('accepts QEMU spellings and GNU spellings alike', () => {
    const qemu = parseArgs(['-kernel', 'Image', '-m', '256', '-nographic'], specs);
    const gnu = parseArgs(['--kernel=Image', '--memory', '256', '--nographic'], specs);
    for (const args of [qemu, gnu]) {
      expect(optionValue(args, 'kernel')).toBe('Image');
      expect(intOption(args, 'memory', 16, 4096)).toBe(256);
      expect(args.flags.has('nographic')).toBe(true);
    }
  });

  it('collects repeatable options and positionals', () => {
    const args = parseArgs(['run', '-drive', 'a', '--drive', 'b', '--', '-x'], specs);
    expect(args.options.get('drive')).toEqual(['a', 'b']);
    expect(args.positionals).toEqual(['run', '-x']);
  });

  it('rejects unknown options, missing values, repeats and bad numbers clearly', () => {
    expect(() => parseArgs(['-bogus'], specs)).toThrow(new UsageError("unknown option '-bogus' (see 'orrery help')"));
    expect(() => parseArgs(['-m'], specs)).toThrow("option '-m' needs a value");
    expect(() => parseArgs(['-m', '1', '-m', '2'], specs)).toThrow("option '-m' given twice");
    expect(() => parseArgs(['--nographic=1'], specs)).toThrow('takes no value');
    expect(() => intOption(parseArgs(['-m', 'lots'], specs), 'memory', 16, 4096)).toThrow(
      "--memory must be a whole number from 16 to 4096, not 'lots'",
    );
  });

  it('formats help with every spelling', () => {
    expect(formatHelp(specs)).toContain('--memory MiB, -m');
  });
});
