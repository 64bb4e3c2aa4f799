/**
 * The built-in demo guest on Orrery through the real CLI (`orrery run` with no kernel boots it): the HPET
 * path QEMU cannot exercise, the UART's loopback, and a clean poweroff.
 */
import { describe, expect, it } from 'vitest';
import { runSerialSession } from '../support/serial-session';

describe('demo guest on Orrery', () => {
  it('boots by default, passes its HPET and UART self-tests and powers off', async () => {
    const result = await runSerialSession({
      command: process.execPath,
      args: ['bin/orrery.mjs', 'run', '-nographic', '-m', '128'],
      prompt: /demo> /,
      commands: ['echo hello from orrery', 'hpet', 'uart', 'info'],
      finalCommand: 'poweroff',
      timeoutMs: 60_000,
    });
    expect(result.transcript).toContain(
      'Orrery demo guest 1.0 (AArch64, MMU on, GICv2, PL011 FIFO+IRQ, HPET tick 100 Hz)',
    );
    const [echo, hpet, uart, info] = result.outputs;
    expect(echo).toBe('hello from orrery');
    expect(hpet).toMatch(/hpet: PASS/);
    expect(hpet).not.toMatch(/FAIL/);
    expect(uart).toMatch(/PASS loopback/);
    expect(uart).toMatch(/uart: PASS/);
    expect(info).toMatch(/MIDR_EL1\s+0x411fd070/);
    expect(result.exitCode).toBe(0);
  }, 90_000);
});
