/**
 * A process that saves snapshots of one machine to one path, over and over, for the crash-safety test
 * (atomic-write.test.ts kills it). Usage: save-loop.fixture.ts PATH [KILL_STEP KILL_ON_SAVE]
 * Prints "saved N" after each save completes. With KILL_STEP, save number KILL_ON_SAVE kills the process
 * with SIGKILL at that write step.
 */
import { randomFillSync } from 'node:crypto';
import { PAGE_SIZE } from '../core/ramblock';
import type { WriteStepHook } from './container';
import { saveSnapshot } from './snapshot';
import { programMachine } from './test-machine';

const [path, killStep, killOnSave] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: save-loop.fixture.ts PATH [KILL_STEP KILL_ON_SAVE]');

const m = programMachine('mmu', 1, 64);
const ram = m.machine.ram.ram!;
// Incompressible contents in half of RAM make each file large enough for a kill to land mid-write.
randomFillSync(ram.bytes, 0, ram.size / 2);

for (let n = 1; ; n++) {
  let pieces = 0;
  const hook: WriteStepHook = (step) => {
    if (step === 'wrote-piece') pieces++;
    const here = step === killStep || (killStep === 'wrote-piece-3' && step === 'wrote-piece' && pieces === 3);
    if (here && n === Number(killOnSave)) process.kill(process.pid, 'SIGKILL');
  };
  await saveSnapshot(m.machine, path, { name: `save ${n}`, config: m.record, writeHook: hook });
  process.stdout.write(`saved ${n}\n`);
  randomFillSync(ram.bytes, (n % 1000) * PAGE_SIZE, PAGE_SIZE);
}
