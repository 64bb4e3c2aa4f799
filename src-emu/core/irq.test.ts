import { describe, expect, it } from 'vitest';
import { GpioInputs, IrqLine, IrqSplitter, OrGate } from './irq';

function recorder() {
  const levels: boolean[] = [];
  return { levels, sink: (level: boolean) => levels.push(level) };
}

describe('IrqLine', () => {
  it('starts low and tells its sink about changes only', () => {
    const line = new IrqLine('/machine/uart0', 'irq');
    const { levels, sink } = recorder();
    line.connect(sink);
    expect(line.level).toBe(false);
    line.lower();
    line.raise();
    line.set(true);
    line.raise();
    line.set(false);
    line.lower();
    expect(levels).toEqual([true, false]);
  });

  it('delivers both edges of a pulse, even when already high, and ends low', () => {
    const line = new IrqLine('/machine/rtc', 'irq');
    const { levels, sink } = recorder();
    line.connect(sink);
    line.pulse();
    line.raise();
    line.pulse();
    expect(levels).toEqual([true, false, true, true, false]);
    expect(line.level).toBe(false);
  });

  it('drives objects with setLevel and names them in its description', () => {
    const line = new IrqLine('/machine/uart0', 'irq');
    const seen: boolean[] = [];
    line.connect({ path: '/machine/gic/spi[1]', setLevel: (level) => seen.push(level) });
    line.raise();
    expect(seen).toEqual([true]);
    expect(line.describe()).toEqual({ path: '/machine/uart0/irq', level: true, connections: ['/machine/gic/spi[1]'] });
  });

  it('keeps state without a sink and describes itself unconnected', () => {
    const line = new IrqLine('/machine/rtc', 'irq');
    line.raise();
    expect(line.describe()).toEqual({ path: '/machine/rtc/irq', level: true, connections: [] });
  });

  it('refuses a second sink and can be disconnected', () => {
    const line = new IrqLine('/machine/uart0', 'irq');
    const first = recorder();
    line.connect(first.sink);
    expect(() => line.connect(() => {})).toThrow(
      'IRQ line /machine/uart0/irq is already connected to (callback); use an IrqSplitter',
    );
    line.disconnect();
    const second = recorder();
    line.connect(second.sink);
    line.raise();
    expect(first.levels).toEqual([]);
    expect(second.levels).toEqual([true]);
  });

  it('reads its path from an owner object and registers with owners that list lines', () => {
    const adopted: unknown[] = [];
    const owner = { path: '/machine/a', adoptLine: (line: unknown) => adopted.push(line) };
    const line = new IrqLine(owner, 'irq');
    owner.path = '/machine/b';
    expect(line.path).toBe('/machine/b/irq');
    expect(adopted).toEqual([line]);
  });
});

describe('GpioInputs', () => {
  it('calls the handler with the line number and level for every input change', () => {
    const calls: Array<[number, boolean]> = [];
    const inputs = new GpioInputs('/machine/gic', 'spi', 4, (line, level) => calls.push([line, level]));
    const source = new IrqLine('/machine/uart0', 'irq');
    source.connect(inputs.line(2));
    source.raise();
    inputs.line(0).setLevel(true);
    source.lower();
    expect(calls).toEqual([
      [2, true],
      [0, true],
      [2, false],
    ]);
    expect(inputs.line(0).level).toBe(true);
    expect(inputs.line(2).path).toBe('/machine/gic/spi[2]');
    expect(inputs.describe().map((l) => [l.path, l.level])).toEqual([
      ['/machine/gic/spi[0]', true],
      ['/machine/gic/spi[1]', false],
      ['/machine/gic/spi[2]', false],
      ['/machine/gic/spi[3]', false],
    ]);
  });

  it('rejects bad line numbers and counts', () => {
    const inputs = new GpioInputs('/machine/gpio', 'in', 2, () => {});
    expect(() => inputs.line(2)).toThrow('GPIO inputs /machine/gpio/in: no line 2 (has 2)');
    expect(() => new GpioInputs('/machine/gpio', 'none', 0, () => {})).toThrow("GPIO inputs 'none': invalid count 0");
  });
});

describe('IrqSplitter', () => {
  it('fans one input out to every sink', () => {
    const a = recorder();
    const b = recorder();
    const splitter = new IrqSplitter('/machine/split0', [a.sink]);
    splitter.addOutput(b.sink);
    const source = new IrqLine('/machine/dev', 'irq');
    source.connect(splitter);
    source.raise();
    source.lower();
    expect(a.levels).toEqual([true, false]);
    expect(b.levels).toEqual([true, false]);
    expect(splitter.outputs.map((o) => o.path)).toEqual(['/machine/split0/out[0]', '/machine/split0/out[1]']);
    expect(source.describe().connections).toEqual(['/machine/split0']);
  });
});

describe('OrGate', () => {
  it('outputs the OR of its inputs and reports only output changes', () => {
    const gate = new OrGate('/machine/or0', 3);
    const { levels, sink } = recorder();
    gate.output.connect(sink);
    gate.input(0).setLevel(true);
    gate.input(2).setLevel(true);
    gate.input(0).setLevel(false);
    expect(gate.output.level).toBe(true);
    gate.input(2).setLevel(false);
    gate.input(2).setLevel(false);
    gate.input(1).setLevel(true);
    gate.input(1).setLevel(true);
    expect(levels).toEqual([true, false, true]);
  });
});
