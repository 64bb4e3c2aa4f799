/**
 * The gdb stub driven by Debian's gdb-multiarch in batch mode against `orrery run -S --gdb` with the
 * bare-metal test programs. Expected values come from the programs' sources (test/guest/src, runtime),
 * from their symbol tables (nm) and from objdump, never from the stub itself.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { requireTool } from '../../../test/support/tools';
import { GUEST_BIN } from '../../../test/guest/programs';
import { gdbPortOf, runGdbBatch, startOrrery, type OrreryProcess } from '../testing/orrery-process';

function symbols(elf: string): Map<string, bigint> {
  const nm = execFileSync(requireTool('aarch64-linux-gnu-nm'), [elf], { encoding: 'utf8' });
  const map = new Map<string, bigint>();
  for (const line of nm.split('\n')) {
    const [address, , name] = line.trim().split(/\s+/);
    if (address && name) map.set(name, BigInt('0x' + address));
  }
  return map;
}

/** objdump's mnemonics for the instructions at [start, start + 4 * count). */
function objdumpMnemonics(elf: string, start: bigint, count: number): string[] {
  const text = execFileSync(
    requireTool('aarch64-linux-gnu-objdump'),
    [
      '-d',
      elf,
      `--start-address=0x${start.toString(16)}`,
      `--stop-address=0x${(start + BigInt(4 * count)).toString(16)}`,
    ],
    { encoding: 'utf8' },
  );
  return [...text.matchAll(/^\s+[0-9a-f]+:\s+[0-9a-f]{8}\s+(\S+)/gm)].map((m) => m[1]!);
}

/** objdump's line for the instruction at `address`. */
function objdumpLine(elf: string, address: bigint): string {
  const text = execFileSync(
    requireTool('aarch64-linux-gnu-objdump'),
    ['-d', elf, `--start-address=0x${address.toString(16)}`, `--stop-address=0x${(address + 4n).toString(16)}`],
    { encoding: 'utf8' },
  );
  return text.trim().split('\n').pop()!;
}

const hex = (value: bigint) => '0x' + value.toString(16);

describe('gdb stub with gdb-multiarch on bare-metal programs', () => {
  let orrery: OrreryProcess | null = null;
  afterEach(() => orrery?.kill());

  it('breaks, reads and writes registers, steps, disassembles, watches and detaches', async () => {
    const gdb = requireTool('gdb-multiarch');
    const elf = `${GUEST_BIN}/alu.elf`;
    const sym = symbols(elf);
    const checkEq = sym.get('check_eq')!;
    const passFn = sym.get('pass')!;
    orrery = startOrrery(['-kernel', elf, '-S', '--gdb', 'tcp::0', '-serial', 'stdio', '--timeout', '120']);
    const port = await gdbPortOf(orrery);

    const out = await runGdbBatch(gdb, [
      `file ${elf}`,
      `target remote 127.0.0.1:${port}`,
      'echo @START\\n',
      'p/x $pc',
      'echo @BREAK\\n',
      'break *check_eq',
      'continue',
      // First call (alu.c add_sub): check_eq("alu.adds_overflow.result", r, 0x8000000000000000).
      'p/x $x1',
      'p/x $x2',
      'p/x $pc',
      'p/x $x30',
      'echo @DISASM\\n',
      'x/4i $pc',
      'echo @STEPI\\n',
      'stepi',
      'p/x $pc',
      'echo @SETREG\\n',
      // check_eq+4 is `cmp x1, x2`: a changed x1 makes this check fail in the guest's own output.
      'set $x1 = 0x1234',
      'p/x $x1',
      'echo @WATCH\\n',
      'delete 1',
      'watch *(unsigned int *)&passed',
      'continue',
      'p (unsigned int)passed',
      'p/x $pc',
      'echo @STEP\\n',
      'step',
      'p/x $pc',
      'echo @THREADS\\n',
      'info threads',
      'p/x $fpcr',
      'echo @DETACH\\n',
      'detach',
    ]);
    const section = (name: string) => out.split(`@${name}\n`)[1]!.split('\n@')[0]!;

    expect(section('START')).toContain(hex(sym.get('_start')!)); // -S: stopped at the ELF entry
    const atBreak = section('BREAK');
    expect(atBreak).toMatch(new RegExp(`Breakpoint 1, ${hex(checkEq).replace('0x', '0x0*')} in check_eq`));
    const values = [...atBreak.matchAll(/^\$\d+ = (0x[0-9a-f]+)/gm)].map((m) => BigInt(m[1]!));
    expect(values.slice(0, 3)).toEqual([0x8000000000000000n, 0x8000000000000000n, checkEq]);
    const returnAddress = values[3]!;

    const disasm = [...section('DISASM').matchAll(/:\s+(\S+)\s/g)].map((m) => m[1]!);
    expect(disasm).toEqual(objdumpMnemonics(elf, checkEq, 4));

    expect(section('STEPI')).toContain(`= ${hex(checkEq + 4n)}`);
    expect(section('SETREG')).toContain('= 0x1234');

    const watch = section('WATCH');
    expect(watch).toMatch(/Hardware watchpoint 2: \*\(unsigned int \*\)&passed/);
    // The first check now fails; the second (adds_overflow.nzcv) passes: pass() takes passed from 0 to 1.
    expect(watch).toMatch(/Old value = 0\s+New value = 1/);
    expect(watch).toMatch(/= 1\n/);
    const watchPc = BigInt(/= (0x[0-9a-f]+)\n?$/.exec(watch.trim())![1]!);
    expect(watchPc >= passFn && watchPc < passFn + 0x40n).toBe(true);

    // `step` without line information runs to the end of pass(); check_eq tail-calls pass (objdump), so it
    // lands just after the caller's `bl check_eq`, in test_main like the first call's return address.
    const step = section('STEP');
    expect(step).toContain('Single stepping until exit from function pass');
    expect(step).toContain('in test_main ()');
    const stepPc = BigInt(/= (0x[0-9a-f]+)/.exec(step)![1]!);
    expect(objdumpLine(elf, stepPc - 4n)).toMatch(/\bbl\s+[0-9a-f]+ <check_eq>/);
    expect(objdumpLine(elf, returnAddress - 4n)).toMatch(/\bbl\s+[0-9a-f]+ <check_eq>/);

    expect(section('THREADS')).toMatch(/\* 1\s+Thread 1 \(CPU#0 \[running\]\)/);
    expect(section('DETACH')).toContain('detached');

    // After detach the program runs to its end: the changed register failed exactly one check.
    expect(await orrery.exited()).toBe(0);
    expect(orrery.stdout()).toContain('FAIL alu.adds_overflow.result');
    expect(orrery.stdout()).toMatch(/DONE pass=\d+ fail=1/);
  }, 120_000);

  it('shows each vCPU as a thread and reports which one hit a breakpoint', async () => {
    const gdb = requireTool('gdb-multiarch');
    const elf = `${GUEST_BIN}/smp.elf`;
    const secondary = symbols(elf).get('secondary_main')!;
    orrery = startOrrery([
      '-kernel',
      elf,
      '-smp',
      '2',
      '-S',
      '--gdb',
      'tcp::0',
      '-serial',
      'stdio',
      '--timeout',
      '120',
    ]);
    const port = await gdbPortOf(orrery);
    const out = await runGdbBatch(gdb, [
      `file ${elf}`,
      `target remote 127.0.0.1:${port}`,
      'info threads',
      'break *secondary_main',
      'continue',
      'echo @HIT\\n',
      'thread',
      'p/x $pc',
      'info threads',
      'kill',
    ]);
    const before = out.split('Breakpoint 1 at')[0]!;
    expect(before).toMatch(/Thread 1 \(CPU#0 \[running\]\)/);
    expect(before).toMatch(/Thread 2 \(CPU#1 \[halted \]\)/);
    const hit = out.split('@HIT\n')[1]!;
    // The secondary CPU (PSCI CPU_ON from CPU 0) is the one that runs secondary_main.
    expect(out).toMatch(/Switching to Thread 2/);
    expect(hit).toMatch(/Current thread is 2/);
    expect(hit).toContain(`= ${hex(secondary)}`);
    expect(hit).toMatch(/Thread 2 \(CPU#1 \[running\]\)/);
    // `kill` ends the emulator.
    expect(await orrery.exited()).toBe(0);
  }, 120_000);
});
