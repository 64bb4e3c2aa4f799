/** Runs one test program on Orrery's virt board (as `orrery run -kernel X.elf` would) and returns its serial output. */
import { readFileSync } from 'node:fs';
import { RingBackend } from '../../src-emu/core/chardev';
import { createVirtMachine } from '../../src-emu/machine/virt';
import { programPath, type GuestProgram } from './programs';

export interface OrreryRun {
  readonly output: string;
  /** Why the machine stopped: 'poweroff' after PSCI SYSTEM_OFF, 'timeout' when it ran out of time. */
  readonly reason: string;
}

export async function runOnOrrery(program: GuestProgram, timeoutMs = 30_000): Promise<OrreryRun> {
  const serial = new RingBackend(1 << 20);
  const machine = createVirtMachine({
    kernel: new Uint8Array(readFileSync(programPath(program))),
    memoryMiB: 128,
    cpus: program.cpus,
    serial,
    noReboot: true,
    seed: new Uint32Array(10),
  });
  const timer = setTimeout(() => machine.stop('timeout'), timeoutMs);
  try {
    const reason = await machine.run();
    return { output: serial.outputText(), reason };
  } finally {
    clearTimeout(timer);
  }
}
