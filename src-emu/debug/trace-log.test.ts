/**
 * CPU trace events, the Chrome trace export and the `-d int,mmu` logs, through `orrery run` on the
 * bare-metal programs. Expected syndromes and addresses come from the programs' sources (test/guest/src/
 * mmu.c checks the same ESR/FAR values on QEMU) and the vector base from the ELF's symbol table.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUEST_BIN } from '../../test/guest/programs';
import { requireTool } from '../../test/support/tools';
import { startOrrery } from './testing/orrery-process';

function symbol(elf: string, name: string): number {
  const nm = execFileSync(requireTool('aarch64-linux-gnu-nm'), [elf], { encoding: 'utf8' });
  const line = nm.split('\n').find((l) => l.endsWith(` ${name}`));
  if (line === undefined) throw new Error(`${name} not in ${elf}`);
  return parseInt(line.split(' ')[0]!, 16);
}

/** mmu.c: the faults it provokes, with the ESR and FAR it checks (TEST_VA = 0x401f0000). */
const MMU_FAULTS = [
  { esr: 0x9600004f, far: 0x401f0008, log: /permission fault level 3 on write of va 0x401f0008/ },
  { esr: 0x9600000b, far: 0x401f1010, log: /access flag fault level 3 on read of va 0x401f1010/ },
  { esr: 0x96000007, far: 0x401f2010, log: /translation fault level 3 on read of va 0x401f2010/ },
];

interface ChromeEvent {
  name: string;
  ph: string;
  ts: number;
  pid: number;
  tid: number;
  args: Record<string, number | string | boolean>;
}

describe('CPU tracing and logs', () => {
  it('exports exceptions, MMU faults and TLB flushes as Chrome trace JSON and logs them under -d int,mmu', async () => {
    const elf = join(GUEST_BIN, 'mmu.elf');
    const file = join(mkdtempSync(join(tmpdir(), 'orrery-trace-')), 'trace.json');
    const orrery = startOrrery([
      '-kernel',
      elf,
      '--trace',
      'arm64_*',
      '--trace-file',
      file,
      '-d',
      'int,mmu',
      '-serial',
      'stdio',
      '--timeout',
      '60',
    ]);
    expect(await orrery.exited()).toBe(0);
    expect(orrery.stdout()).toMatch(/DONE pass=\d+ fail=0/);

    const trace = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: ChromeEvent[] };
    expect(trace.traceEvents.length).toBeGreaterThan(0);
    for (const event of trace.traceEvents) {
      expect(event.ph).toBe('i');
      expect(typeof event.name).toBe('string');
      expect(Number.isFinite(event.ts)).toBe(true);
      expect(typeof event.args).toBe('object');
    }
    const vectorSync = symbol(elf, 'vectors') + 0x200; // current EL with SP_ELx, synchronous
    const exceptions = trace.traceEvents.filter((e) => e.name === 'arm64_exception');
    const faults = trace.traceEvents.filter((e) => e.name === 'arm64_mmu_fault');
    const times = exceptions.map((e) => e.ts);
    expect(times).toEqual([...times].sort((a, b) => a - b)); // virtual time never goes back
    for (const expected of MMU_FAULTS) {
      expect(exceptions).toContainEqual(
        expect.objectContaining({ args: expect.objectContaining({ cpu: 0, esr: expected.esr, vector: vectorSync }) }),
      );
      expect(faults).toContainEqual(
        expect.objectContaining({ args: expect.objectContaining({ va: expected.far, fsc: expected.esr & 0x3f }) }),
      );
    }
    // mmu.c invalidates with TLBI after setting the access flag.
    expect(trace.traceEvents.some((e) => e.name === 'arm64_tlb_flush_page' || e.name === 'arm64_tlb_flush')).toBe(true);

    const log = orrery.stderr();
    for (const expected of MMU_FAULTS) {
      expect(log).toMatch(new RegExp(`^mmu: cpu0: ${expected.log.source} at pc 0x[0-9a-f]+ \\(EL1\\)$`, 'm'));
      expect(log).toMatch(
        new RegExp(
          `^int: cpu0: exception esr=0x${expected.esr.toString(16)} elr=0x[0-9a-f]+ vector=0x${vectorSync.toString(16)}$`,
          'm',
        ),
      );
    }
  }, 90_000);

  it('logs interrupts taken under -d int with the CPU, return address and IRQ vector', async () => {
    const elf = join(GUEST_BIN, 'timer.elf');
    const orrery = startOrrery(['-kernel', elf, '-d', 'int', '-serial', 'stdio', '--timeout', '60']);
    expect(await orrery.exited()).toBe(0);
    const vectors = symbol(elf, 'vectors');
    const irqs = [...orrery.stderr().matchAll(/^int: cpu0: IRQ from EL([01]) elr=0x[0-9a-f]+ vector=0x([0-9a-f]+)$/gm)];
    expect(irqs.length).toBeGreaterThan(0);
    for (const [, el, vector] of irqs) {
      // IRQ entries: current EL with SP_ELx at +0x280, from EL0 (lower, AArch64) at +0x480.
      expect(parseInt(vector!, 16)).toBe(vectors + (el === '1' ? 0x280 : 0x480));
    }
  }, 90_000);
});
