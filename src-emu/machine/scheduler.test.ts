import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RingBackend } from '../core/chardev';
import { Timer, VirtualClock } from '../core/timer';
import { Scheduler } from './scheduler';
import { createVirtMachine } from './virt';
import { GUEST_PROGRAMS, programPath } from '../../test/guest/programs';
import { guestOutputProblems, parseGuestOutput } from '../../test/guest/results';

const timerProgram = GUEST_PROGRAMS.find((p) => p.name === 'timer')!;

/** Runs test/guest/bin/timer.elf with virtual time counted from instructions (--icount). */
async function runTimerUnderIcount(): Promise<string> {
  const serial = new RingBackend(1 << 20);
  const machine = createVirtMachine({
    kernel: new Uint8Array(readFileSync(programPath(timerProgram))),
    memoryMiB: 128,
    cpus: timerProgram.cpus,
    serial,
    noReboot: true,
    seed: new Uint32Array(10),
    clockMode: 'deterministic',
  });
  const timeout = setTimeout(() => machine.stop('timeout'), 30_000);
  try {
    expect(await machine.run()).toBe('poweroff');
  } finally {
    clearTimeout(timeout);
  }
  return serial.outputText();
}

describe('Scheduler in deterministic mode', () => {
  it('lets the guest see the counter move within a quantum (timer.elf passes under icount)', async () => {
    const output = await runTimerUnderIcount();
    expect(guestOutputProblems(timerProgram, 'orrery', output)).toEqual([]);
    expect(parseGuestOutput(output).passed).toContain('timer.cntvct_advances');
  });

  it('gives identical runs identical counter readings', async () => {
    const [first, second] = [await runTimerUnderIcount(), await runTimerUnderIcount()];
    expect(second).toBe(first);
  });
});

describe('Scheduler and timers waiting for host work', () => {
  it('awaits the host with virtual time frozen, finishes the pass, then applies a stop', async () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    const scheduler = new Scheduler(clock, []);
    let release = () => {};
    let done = false;
    const host = new Promise<void>((resolve) => (release = resolve)).then(() => (done = true));
    const fired: [string, number][] = [];
    new Timer(
      clock,
      () => fired.push(['gated', clock.now()]),
      () => (done ? null : host),
    ).modNs(1_000);
    new Timer(clock, () => fired.push(['after', clock.now()])).modNs(1_000);
    const run = scheduler.run();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect([clock.now(), fired, clock.hostWork !== null]).toEqual([1_000, [], true]);
    scheduler.stop('user'); // a stop while waiting: the pass is finished first
    release();
    expect(await run).toBe('user');
    expect(fired).toEqual([
      ['gated', 1_000],
      ['after', 1_000],
    ]);
    expect(clock.hostWork).toBeNull();
  });
});
