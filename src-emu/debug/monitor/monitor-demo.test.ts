/** The monitor's commands on the built-in demo guest, after it has booted to its prompt. */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RingBackend } from '../../core/chardev';
import { DEMO_GUEST } from '../../cli/run';
import { OutputWatch } from '../../cli/output-watch';
import { VirtMachine } from '../../machine/virt';
import { Debugger } from '../debugger';
import { Monitor } from './commands';

let machine: VirtMachine;
let monitor: Monitor;

beforeAll(async () => {
  const serial = new RingBackend(1 << 16);
  const watch = new OutputWatch('demo> ');
  machine = new VirtMachine({
    memoryMiB: 64,
    cpus: 1,
    kernel: new Uint8Array(readFileSync(DEMO_GUEST)),
    serial: watch.wrap(serial),
  });
  watch.onMatch = () => machine.stop('prompt');
  const timeout = setTimeout(() => machine.stop('timeout'), 30_000);
  expect(await machine.run()).toBe('prompt');
  clearTimeout(timeout);
  monitor = new Monitor(machine, new Debugger(machine));
});

const run = (line: string) => monitor.execute(line).output;

describe('monitor on the demo guest', () => {
  it('lists the device tree and the memory map at the virt addresses', () => {
    const qtree = run('info qtree');
    for (const device of ['gic', 'uart0', 'rtc', 'hpet']) expect(qtree).toContain(device);
    const mtree = run('info mtree');
    expect(mtree).toMatch(/0*90c0000-0*90c03ff.*hpet/);
    expect(mtree).toMatch(/0*9000000-0*9000fff.*pl011/);
    expect(mtree).toMatch(/0*40000000-0*43ffffff.*ram/);
  });

  it('shows the CPU at EL1 with the MMU on, as the demo set it up', () => {
    const registers = run('info registers');
    expect(registers).toMatch(/EL1h/);
    expect(registers).toMatch(/PC\s*=?\s*0*402/i); // the demo is linked at 0x4020_0000
  });

  it('reads the device tree QEMU-style at the base of RAM (bare-metal boot protocol)', () => {
    expect(run('xp /4xb 0x40000000')).toMatch(/^0*40000000:\s+0xd0\s+0x0d\s+0xfe\s+0xed/m);
  });

  it("shows the UART's and the HPET tick's interrupts enabled in the GIC", () => {
    const irq = run('info irq');
    // UART0 is SPI 1 (interrupt 33), the HPET's output 0 is SPI 10 (interrupt 42).
    expect(irq).toMatch(/^\s*33\s+spi\s+-\s+yes\s/m);
    expect(irq).toMatch(/^\s*42\s+spi\s+-\s+yes\s/m);
  });
});
