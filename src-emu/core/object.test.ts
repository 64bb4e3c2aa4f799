import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CharFrontend, NullBackend } from './chardev';
import { IrqLine } from './irq';
import { logger } from './log';
import type { LogRecord } from './log';
import { AddressSpace, MemoryRegion, MemTx } from './memory';
import {
  boolProp,
  chardevProp,
  defineProps,
  Device,
  DeviceContainer,
  DeviceError,
  enumProp,
  qtree,
  reset,
  stringProp,
  SysBusDevice,
  TypeRegistry,
  u32Prop,
} from './object';
import type { DeviceContext } from './object';
import { Timer, VirtualClock } from './timer';
import { loadMachine, saveMachine, u32, vmstate } from './vmstate';

const context: DeviceContext = { clock: new VirtualClock({ mode: 'deterministic' }) };

// --- a small device in the intended shape: a counter that raises its IRQ when it reaches a limit -------

const COUNTER_PROPS = defineProps({
  limit: u32Prop({ default: 10, min: 1, max: 1000, doc: 'count at which the IRQ rises' }),
  periodNs: u32Prop({ default: 100, doc: 'ns per count' }),
  enabled: boolProp({ default: true, doc: 'counting at reset' }),
  mode: enumProp({ values: ['up', 'down'], doc: 'direction' }),
  label: stringProp({ validate: (v) => (v.length > 8 ? `'${v}' is longer than 8 characters` : null) }),
  chardev: chardevProp({ doc: 'where counts are reported' }),
});

class Counter extends SysBusDevice<typeof COUNTER_PROPS> {
  static override readonly typeName = 'counter';
  static override readonly props = COUNTER_PROPS;

  count = 0;
  readonly irq = new IrqLine(this, 'irq');
  readonly tick = new Timer(this.clock, () => this.onTick());
  readonly regs = this.initMmio('counter', 0x100, {
    read: (offset) => (offset === 0 ? this.count : 0),
    write: (offset, _size, value) => this.write(offset, value),
    valid: { min: 4, max: 4 },
  });
  readonly phases: string[] = [];
  readonly serial = new CharFrontend();

  static override readonly vmstate = vmstate<Counter>('counter', { version: 2, fields: [u32('count')] });

  protected override onRealize(): void {
    if (this.props.mode === 'down' && !this.props.enabled) throw this.error('a stopped down-counter is useless');
    const backend = this.chardevBackend('chardev');
    if (backend !== null) this.serial.connect(backend);
  }

  override resetEnter(): void {
    this.phases.push('enter');
    this.count = 0;
  }

  override resetHold(): void {
    this.phases.push('hold');
    this.irq.lower();
  }

  override resetExit(): void {
    this.phases.push('exit');
    if (this.props.enabled) this.tick.modAfterNs(this.props.periodNs);
  }

  private write(offset: number, value: number): void {
    if (offset !== 0) this.log.guestError(`write to unknown offset 0x${offset.toString(16)}`);
    else this.count = value;
  }

  private onTick(): void {
    this.count++;
    this.irq.set(this.count >= this.props.limit);
    this.tick.modAfterNs(this.props.periodNs);
  }
}

const counterAt = (path: string, props: Record<string, unknown> = {}) => new Counter({ path, context, props });

let logged: LogRecord[] = [];
beforeEach(() => {
  logged = [];
  logger.setMasks(['guest_errors']);
  logger.setSink((r) => logged.push(r));
});
afterEach(() => {
  logger.setMasks([]);
  logger.setSink(null);
});

describe('properties', () => {
  it('start at their defaults, typed', () => {
    const dev = counterAt('/machine/counter');
    const limit: number = dev.props.limit;
    const mode: 'up' | 'down' = dev.props.mode;
    expect([limit, mode, dev.props.enabled, dev.props.label, dev.props.chardev]).toEqual([10, 'up', true, '', '']);
  });

  it('take config values, including strings from a command line', () => {
    const dev = counterAt('/machine/counter', { limit: '0x20', enabled: 'off', mode: 'down', chardev: 'serial0' });
    expect(dev.props.limit).toBe(32);
    expect(dev.props.enabled).toBe(false);
    expect(dev.props.mode).toBe('down');
    expect(dev.props.chardev).toBe('serial0');
  });

  it('accept the usual spellings of booleans and numbers', () => {
    const words: Array<[unknown, boolean]> = [
      ['on', true],
      ['yes', true],
      ['true', true],
      [true, true],
      ['off', false],
      ['no', false],
      ['false', false],
      [false, false],
    ];
    for (const [raw, value] of words) expect(counterAt('/machine/c', { enabled: raw }).props.enabled).toBe(value);
    expect(counterAt('/machine/c', { limit: ' 17 ' }).props.limit).toBe(17);
    expect(counterAt('/machine/c', { periodNs: 0xffffffff }).props.periodNs).toBe(0xffffffff);
    expect(() => counterAt('/machine/c', { periodNs: 2 ** 32 })).toThrow(
      "/machine/c: property 'periodNs': expected an unsigned 32-bit integer, got 4294967296",
    );
  });

  it('refuse unknown names and wrong types when set', () => {
    expect(() => counterAt('/machine/c', { limt: 3 })).toThrow(
      new DeviceError('/machine/c', "unknown property 'limt' (known: limit, periodNs, enabled, mode, label, chardev)"),
    );
    expect(() => counterAt('/machine/c', { limit: 'many' })).toThrow(
      "/machine/c: property 'limit': expected an unsigned 32-bit integer, got 'many'",
    );
    expect(() => counterAt('/machine/c', { limit: -1 })).toThrow(
      "/machine/c: property 'limit': expected an unsigned 32-bit integer, got -1",
    );
    expect(() => counterAt('/machine/c', { limit: 2.5 })).toThrow(
      "/machine/c: property 'limit': expected an unsigned 32-bit integer, got 2.5",
    );
    expect(() => counterAt('/machine/c', { enabled: 1 })).toThrow(
      "/machine/c: property 'enabled': expected on or off, got 1",
    );
    expect(() => counterAt('/machine/c', { chardev: 3 })).toThrow(
      "/machine/c: property 'chardev': expected a character backend id, got 3",
    );
  });

  it('are range-checked at realize, with errors naming the path and property', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ limit: 1001 }, "/machine/c: property 'limit': 1001 is outside 1..1000"],
      [{ limit: 0 }, "/machine/c: property 'limit': 0 is outside 1..1000"],
      [{ mode: 'sideways' }, "/machine/c: property 'mode': 'sideways' is not one of 'up', 'down'"],
      [{ label: 'much-too-long' }, "/machine/c: property 'label': 'much-too-long' is longer than 8 characters"],
    ];
    for (const [props, message] of cases) {
      const dev = counterAt('/machine/c', props);
      let error: unknown;
      try {
        dev.realize();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DeviceError);
      expect((error as DeviceError).message).toBe(message);
      expect(dev.realized).toBe(false);
    }
    const err = (() => {
      try {
        counterAt('/machine/hpet', { limit: 40000 }).realize();
      } catch (e) {
        return e as DeviceError;
      }
    })();
    expect([err?.path, err?.property]).toEqual(['/machine/hpet', 'limit']);
  });

  it('lets the device reject combinations in onRealize', () => {
    expect(() => counterAt('/machine/c', { mode: 'down', enabled: false }).realize()).toThrow(
      new DeviceError('/machine/c', 'a stopped down-counter is useless'),
    );
  });

  it('resolve chardev ids through the context at realize', () => {
    const serial0 = new NullBackend();
    const chardevs = new Map([['serial0', serial0]]);
    const dev = new Counter({ path: '/machine/c', context: { ...context, chardevs }, props: { chardev: 'serial0' } });
    dev.realize();
    expect(dev.serial.backend).toBe(serial0);
    expect(() => new Counter({ path: '/machine/d', context, props: { chardev: 'serial9' } }).realize()).toThrow(
      "/machine/d: property 'chardev': no character backend 'serial9'",
    );
    const unconnected = counterAt('/machine/e');
    unconnected.realize();
    expect(unconnected.serial.backend).toBeNull();
  });

  it('cannot change after realize, and a device realizes once', () => {
    const dev = counterAt('/machine/c');
    dev.setProp('limit', 5);
    dev.realize();
    expect(dev.realized).toBe(true);
    expect(() => dev.setProp('limit', 6)).toThrow("/machine/c: property 'limit': cannot be changed after realize");
    expect(() => dev.realize()).toThrow('/machine/c: already realized');
    dev.unrealize();
    expect(dev.realized).toBe(false);
  });

  it('schemas with a default that fails its own check are refused', () => {
    expect(() => defineProps({ timers: u32Prop({ default: 2, min: 3, max: 32 }) })).toThrow(
      "property 'timers': default 2 is outside 3..32",
    );
  });
});

describe('DeviceLog', () => {
  it('logs under the device path', () => {
    logger.setMasks(['guest_errors', 'unimp']);
    const dev = counterAt('/machine/c');
    dev.log.guestError('bad');
    dev.log.unimp('feature');
    expect(logged).toEqual([
      { mask: 'guest_errors', source: '/machine/c', message: 'bad' },
      { mask: 'unimp', source: '/machine/c', message: 'feature' },
    ]);
  });
});

describe('TypeRegistry', () => {
  it('creates registered types from a property map', () => {
    const registry = new TypeRegistry();
    registry.registerType(Counter);
    const dev = registry.createDevice('counter', '/machine/counter0', { limit: 3 }, context);
    expect(dev).toBeInstanceOf(Counter);
    expect((dev as Counter).props.limit).toBe(3);
    expect(registry.typeNames()).toEqual(['counter']);
  });

  it('refuses unknown types, duplicate names and classes without a typeName', () => {
    const registry = new TypeRegistry();
    registry.registerType(Counter);
    registry.registerType(Counter);
    expect(() => registry.createDevice('hpet', '/machine/hpet', {}, context)).toThrow(
      "/machine/hpet: unknown device type 'hpet' (known: counter)",
    );
    class Other extends Counter {
      static override readonly typeName = 'counter';
    }
    expect(() => registry.registerType(Other)).toThrow("device type 'counter' is already registered");
    class Nameless extends Device {}
    expect(() => registry.registerType(Nameless)).toThrow('device class Nameless does not declare a typeName');
  });

  it('reports unknown properties through createDevice', () => {
    const registry = new TypeRegistry();
    registry.registerType(DeviceContainer);
    expect(() => registry.createDevice('container', '/machine', { x: 1 }, context)).toThrow(
      "/machine: unknown property 'x' (it has none)",
    );
  });
});

describe('device tree and reset', () => {
  function tree() {
    const machine = new DeviceContainer({ path: '/machine', context });
    const a = counterAt('/machine/a');
    const b = counterAt('/machine/b');
    const sub = new DeviceContainer({ path: '/machine/sub', context });
    const c = counterAt('/machine/sub/c');
    machine.addChild(a);
    machine.addChild(sub);
    sub.addChild(c);
    machine.addChild(b);
    return { machine, a, b, c, sub };
  }

  it('links parents and children by name', () => {
    const { machine, a, c, sub } = tree();
    expect(machine.child('a')).toBe(a);
    expect(machine.child('c')).toBeUndefined();
    expect(sub.child('c')).toBe(c);
    expect(c.parent).toBe(sub);
    expect(machine.children().map((d) => d.name)).toEqual(['a', 'sub', 'b']);
    expect(() => machine.addChild(counterAt('/machine/sub/d'))).toThrow(
      '/machine/sub/d: cannot be a child of /machine',
    );
    expect(() => machine.addChild(counterAt('/machine/a'))).toThrow('/machine/a: a device with this path exists');
    expect(() => sub.addChild(c)).toThrow('/machine/sub/c: already has a parent');
    machine.removeChild(a);
    expect(a.parent).toBeNull();
    expect(() => new DeviceContainer({ path: 'machine', context })).toThrow("invalid device path 'machine'");
  });

  it('runs enter on every device, then hold, then exit; children before parents', () => {
    const { machine, a, b, c } = tree();
    const order: string[] = [];
    for (const dev of [a, b, c]) {
      const enter = dev.resetEnter.bind(dev);
      const hold = dev.resetHold.bind(dev);
      const exit = dev.resetExit.bind(dev);
      dev.resetEnter = () => (order.push(`enter ${dev.name}`), enter());
      dev.resetHold = () => (order.push(`hold ${dev.name}`), hold());
      dev.resetExit = () => (order.push(`exit ${dev.name}`), exit());
    }
    machine.resetEnter = () => order.push('enter machine');
    machine.resetHold = () => order.push('hold machine');
    machine.resetExit = () => order.push('exit machine');
    reset(machine);
    expect(order).toEqual([
      'enter a',
      'enter c',
      'enter b',
      'enter machine',
      'hold a',
      'hold c',
      'hold b',
      'hold machine',
      'exit a',
      'exit c',
      'exit b',
      'exit machine',
    ]);
  });

  it('resets device state and starts its timer on the context clock', () => {
    const clock = new VirtualClock({ mode: 'deterministic' });
    const dev = new Counter({ path: '/machine/c', context: { clock }, props: { limit: 2, periodNs: 10 } });
    const levels: boolean[] = [];
    dev.irq.connect((level) => levels.push(level));
    dev.count = 99;
    dev.realize();
    reset(dev);
    expect(dev.count).toBe(0);
    expect(dev.phases).toEqual(['enter', 'hold', 'exit']);
    clock.runUntil(15);
    expect(dev.count).toBe(1);
    expect(levels).toEqual([]);
    clock.runUntil(20);
    expect(dev.count).toBe(2);
    expect(levels).toEqual([true]);
  });
});

describe('SysBusDevice', () => {
  it('owns its MMIO regions and IRQ lines; the board maps and wires them', () => {
    const dev = counterAt('/machine/counter');
    expect(dev.mmioRegion(0)).toBe(dev.regs);
    expect(dev.irqOutput(0)).toBe(dev.irq);
    expect(() => dev.mmioRegion(1)).toThrow('/machine/counter: has no MMIO region 1');
    expect(() => dev.irqOutput(1)).toThrow('/machine/counter: has no IRQ 1');

    const root = MemoryRegion.container('system', 2 ** 32);
    root.addSubregion(0x0901_0000, dev.mmioRegion(0));
    const as = new AddressSpace('memory', root);
    as.write(0x0901_0000, 4, 7);
    expect(as.read(0x0901_0000, 4)).toBe(7);
    as.write(0x0901_0004, 4, 1);
    as.read(0x0901_0000, 1);
    expect(as.status).toBe(MemTx.AccessError);
    expect(logged.map((r) => `${r.source}: ${r.message}`)).toEqual([
      '/machine/counter: write to unknown offset 0x4',
      "/machine/counter: invalid read at 0x9010000 ('counter' + 0x0), size 1: size must be 4",
    ]);
  });

  it('describes itself for the inspector and info qtree', () => {
    const machine = new DeviceContainer({ path: '/machine', context });
    const dev = counterAt('/machine/rtc', { limit: 3, label: 'rtc' });
    machine.addChild(dev);
    const root = MemoryRegion.container('system', 2 ** 32);
    root.addSubregion(0x0901_0000, dev.regs);
    dev.irq.connect({ path: '/machine/gic/spi[2]', setLevel: () => {} });
    dev.irq.raise();

    const info = dev.describe();
    expect(info.type).toBe('counter');
    expect(info.props[0]).toEqual({
      name: 'limit',
      kind: 'u32',
      value: 3,
      default: 10,
      doc: 'count at which the IRQ rises',
      min: 1,
      max: 1000,
    });
    expect(info.props[3]).toEqual({
      name: 'mode',
      kind: 'enum',
      value: 'up',
      default: 'up',
      doc: 'direction',
      values: ['up', 'down'],
    });
    expect(info.mmio).toEqual([
      { name: 'counter', size: 0x100, mappedAt: { container: 'system', offset: 0x09010000 } },
    ]);
    expect(info.irqs).toEqual([{ path: '/machine/rtc/irq', level: true, connections: ['/machine/gic/spi[2]'] }]);
    expect(info.vmstate).toEqual({ name: 'counter', version: 2 });
    expect(machine.describe().children).toEqual(['/machine/rtc']);
    expect(machine.describe().vmstate).toBeNull();

    expect(qtree(machine)).toBe(
      [
        'dev: container, path /machine',
        '  dev: counter, path /machine/rtc',
        '    limit = 3 (0x3)',
        '    periodNs = 100 (0x64)',
        '    enabled = true',
        '    mode = "up"',
        '    label = "rtc"',
        '    chardev = ""',
        '    irq /machine/rtc/irq = high',
        '    mmio 0x9010000/0x100 counter',
        '',
      ].join('\n'),
    );
  });
});

describe('vmstateEntry', () => {
  it("defaults to the class's description paired with the device, under the given instance id", () => {
    const a = counterAt('/machine/a');
    a.count = 41;
    const section = a.vmstateEntry(2);
    expect(section).not.toBeNull();
    expect([section!.name, section!.instanceId, section!.target]).toEqual(['counter', 2, a]);
    const b = counterAt('/machine/b');
    loadMachine(saveMachine([section!]), [b.vmstateEntry(2)!]);
    expect(b.count).toBe(41);
  });

  it('is null for a device without a description', () => {
    expect(new DeviceContainer({ path: '/machine', context }).vmstateEntry()).toBeNull();
  });
});
