/**
 * Reads a test program's serial output (`PASS name`, `FAIL name: details`, `INFO name=0x...`,
 * `DONE pass=N fail=M`) and lists everything wrong with it for one machine.
 */
import type { GuestProgram, MachineKind } from './programs';

export interface GuestOutput {
  readonly passed: string[];
  readonly failed: string[];
  readonly info: Map<string, bigint>;
  readonly done: { readonly pass: number; readonly fail: number } | null;
  /** Lines that are none of the above. */
  readonly other: string[];
}

export function parseGuestOutput(text: string): GuestOutput {
  const out: GuestOutput = { passed: [], failed: [], info: new Map(), done: null, other: [] };
  let done: GuestOutput['done'] = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^PASS (\S+)$/.exec(line)) !== null) out.passed.push(m[1]);
    else if ((m = /^FAIL (\S+): (.*)$/.exec(line)) !== null) out.failed.push(`${m[1]}: ${m[2]}`);
    else if ((m = /^INFO (\S+)=0x([0-9a-f]+)$/.exec(line)) !== null) out.info.set(m[1], BigInt(`0x${m[2]}`));
    else if ((m = /^DONE pass=(\d+) fail=(\d+)$/.exec(line)) !== null)
      done = { pass: Number(m[1]), fail: Number(m[2]) };
    else out.other.push(line);
  }
  return { ...out, done };
}

/** Problems with a run's output; empty when the program passed on `machine`. */
export function guestOutputProblems(program: GuestProgram, machine: MachineKind, text: string): string[] {
  const out = parseGuestOutput(text);
  const problems: string[] = out.failed.map((f) => `FAIL ${f}`);
  if (out.done === null) problems.push('no DONE line: the program did not finish');
  else {
    if (out.done.fail !== 0) problems.push(`DONE reports ${out.done.fail} failures`);
    if (out.done.pass !== out.passed.length)
      problems.push(`DONE pass=${out.done.pass} but ${out.passed.length} PASS lines`);
    if (out.done.pass === 0) problems.push('no checks passed');
  }
  const duplicates = out.passed.filter((name, i) => out.passed.indexOf(name) !== i);
  if (duplicates.length > 0) problems.push(`duplicate check names: ${duplicates.join(', ')}`);
  for (const [name, byMachine] of Object.entries(program.info)) {
    const expectation = byMachine[machine];
    const value = out.info.get(name);
    if (value === undefined) {
      problems.push(`INFO ${name} missing`);
      continue;
    }
    const mask = expectation.mask ?? ~0n;
    if ((value & mask) !== expectation.expected) {
      problems.push(
        `INFO ${name}=0x${value.toString(16)}: expected 0x${expectation.expected.toString(16)}` +
          (expectation.mask !== undefined ? ` under mask 0x${mask.toString(16)}` : '') +
          ` (${expectation.source})`,
      );
    }
  }
  for (const name of out.info.keys()) {
    if (!(name in program.info)) problems.push(`INFO ${name} has no expectation`);
  }
  for (const line of out.other) problems.push(`unexpected output: ${line}`);
  return problems;
}
