/**
 * The device object model, after QEMU's QOM and qdev.
 *
 * A device class declares a static `typeName`, a property schema (`props`) and optionally a VMState
 * description (`vmstate`). Its constructor builds every field; `realize()` checks the property values and
 * connects backends (and may fail with a DeviceError); reset runs in three phases over the device tree.
 *
 * Devices receive what they need from outside through a DeviceContext (the virtual clock), the board
 * (IRQ sinks, memory regions mapped into the address space) and property values; never from globals.
 *
 *   const HPET_PROPS = defineProps({ timers: u32Prop({ default: 3, min: 3, max: 32, doc: '...' }) });
 *   export class Hpet extends SysBusDevice<typeof HPET_PROPS> {
 *     static override readonly typeName = 'hpet';
 *     static override readonly props = HPET_PROPS;
 *     ...  this.props.timers is a number
 *   }
 */

import { hex, logger } from './log';
import { MemoryRegion } from './memory';
import type { MmioOps, MmioOpsInit } from './memory';
import { IrqLine } from './irq';
import type { GpioInputs, LineInfo } from './irq';
import { checkProp, parseProp } from './props';
import type { PropKind, PropSchema, PropValues } from './props';
import type { CharBackend } from './chardev';
import type { VirtualClock } from './timer';
import { entry } from './vmstate';
import type { SectionEntry, VMStateDescription } from './vmstate';

export { defineProps, u32Prop, boolProp, stringProp, enumProp, chardevProp } from './props';
export type { PropSchema, PropSpec, PropValues } from './props';

/** A configuration mistake about one device: the message starts with its path. */
export class DeviceError extends Error {
  constructor(
    readonly path: string,
    detail: string,
    /** The property at fault, if any. */
    readonly property: string | null = null,
  ) {
    super(`${path}: ${property === null ? '' : `property '${property}': `}${detail}`);
    this.name = 'DeviceError';
  }
}

/** What the code creating a device hands to it. */
export interface DeviceContext {
  /** The machine's virtual clock, for the device's timers. */
  readonly clock: VirtualClock;
  /** Character backends by id: what chardev properties name. */
  readonly chardevs?: ReadonlyMap<string, CharBackend>;
}

export interface DeviceInit {
  /** Absolute path such as `/machine/uart0`; the last component is the device's name. */
  readonly path: string;
  readonly context: DeviceContext;
  /** Property values from the machine config; missing ones take their defaults. */
  readonly props?: Readonly<Record<string, unknown>>;
}

export interface DeviceClass<D extends Device = Device> {
  new (init: DeviceInit): D;
  readonly typeName: string;
  readonly props: PropSchema;
  // `never`: a description of any device's state type fits (its callbacks only take that device).
  readonly vmstate?: VMStateDescription<never>;
}

export interface PropInfo {
  readonly name: string;
  readonly kind: PropKind;
  readonly value: unknown;
  readonly default: unknown;
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
}

export interface MmioInfo {
  readonly name: string;
  readonly size: number;
  /** Where the region is mapped: its container's name and the offset in it, or null. */
  readonly mappedAt: { readonly container: string; readonly offset: number } | null;
}

export interface DeviceInfo {
  readonly type: string;
  readonly path: string;
  readonly realized: boolean;
  readonly props: readonly PropInfo[];
  readonly mmio: readonly MmioInfo[];
  readonly irqs: readonly LineInfo[];
  readonly gpioInputs: readonly LineInfo[];
  /** Name and version of the state description, when the class has one. */
  readonly vmstate: { readonly name: string; readonly version: number } | null;
  readonly children: readonly string[];
}

/** Guest-error and unimplemented-feature logging under the device's path. */
export class DeviceLog {
  constructor(private readonly device: { readonly path: string }) {}

  guestError(message: string): void {
    logger.guestError(this.device.path, message);
  }

  unimp(message: string): void {
    logger.unimp(this.device.path, message);
  }
}

const PATH_PATTERN = /^(\/[A-Za-z0-9_.\-[\]]+)+$/;

export class Device<P extends PropSchema = PropSchema> {
  static readonly typeName: string = 'device';
  static readonly props: PropSchema = {};
  static readonly vmstate?: VMStateDescription<never>;

  readonly path: string;
  readonly name: string;
  readonly context: DeviceContext;
  /** Property values: defaults and config values of the right type; range-checked by realize(). */
  readonly props: PropValues<P>;
  readonly log: DeviceLog;
  /** Output lines created with this device as owner, in creation order (QEMU's sysbus IRQs / GPIO outs). */
  readonly irqs: IrqLine[] = [];
  readonly gpioInputs: GpioInputs[] = [];
  private parentDevice: Device | null = null;
  private readonly childMap = new Map<string, Device>();
  private isRealized = false;

  constructor(init: DeviceInit) {
    if (!PATH_PATTERN.test(init.path)) throw new Error(`invalid device path '${init.path}'`);
    this.path = init.path;
    this.name = init.path.slice(init.path.lastIndexOf('/') + 1);
    this.context = init.context;
    this.log = new DeviceLog(this);
    const values: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(this.schema)) values[name] = spec.default;
    this.props = values as PropValues<P>;
    for (const [name, raw] of Object.entries(init.props ?? {})) this.setProp(name, raw);
  }

  /** The device's class (for its static declarations). */
  get deviceClass(): DeviceClass {
    return this.constructor as DeviceClass;
  }

  get typeName(): string {
    return this.deviceClass.typeName;
  }

  private get schema(): PropSchema {
    return this.deviceClass.props;
  }

  /** The virtual clock, for `new Timer(this.clock, ...)`. */
  get clock(): VirtualClock {
    return this.context.clock;
  }

  get realized(): boolean {
    return this.isRealized;
  }

  /** Sets a property from a config value; unknown names and wrong types fail at once, ranges at realize. */
  setProp(name: string, raw: unknown): void {
    if (this.isRealized) throw new DeviceError(this.path, 'cannot be changed after realize', name);
    const spec = Object.hasOwn(this.schema, name) ? this.schema[name] : undefined;
    if (spec === undefined) {
      const known = Object.keys(this.schema);
      const list = known.length === 0 ? 'it has none' : `known: ${known.join(', ')}`;
      throw new DeviceError(this.path, `unknown property '${name}' (${list})`);
    }
    const parsed = parseProp(spec, raw);
    if (!parsed.ok) throw new DeviceError(this.path, parsed.expected, name);
    (this.props as Record<string, unknown>)[name] = parsed.value;
  }

  /** Checks every property value, then lets the device connect its backends (`onRealize`). */
  realize(): void {
    if (this.isRealized) throw new DeviceError(this.path, 'already realized');
    for (const [name, spec] of Object.entries(this.schema)) {
      const value = (this.props as Record<string, unknown>)[name];
      const problem = checkProp(spec, value);
      if (problem !== null) throw new DeviceError(this.path, problem, name);
      if (spec.kind === 'chardev' && value !== '' && this.context.chardevs?.get(value as string) === undefined) {
        throw new DeviceError(this.path, `no character backend '${String(value)}'`, name);
      }
    }
    this.onRealize();
    this.isRealized = true;
  }

  /** The backend a chardev property names, or null when it is empty (checked by realize). */
  protected chardevBackend(property: Extract<keyof P, string>): CharBackend | null {
    const id = (this.props as Record<string, unknown>)[property];
    return typeof id === 'string' && id !== '' ? (this.context.chardevs?.get(id) ?? null) : null;
  }

  unrealize(): void {
    if (!this.isRealized) return;
    this.onUnrealize();
    this.isRealized = false;
  }

  /** Device-specific realize: validate combinations, connect backends. Throw DeviceError to fail. */
  protected onRealize(): void {}

  protected onUnrealize(): void {}

  /** A DeviceError about this device (and optionally one property), for onRealize to throw. */
  protected error(detail: string, property: string | null = null): DeviceError {
    return new DeviceError(this.path, detail, property);
  }

  // --- reset (QEMU's Resettable): see `reset()` for the order --------------------------------------

  /** Reset phase 1: put state to reset values; no side effects on other objects (no IRQ changes). */
  resetEnter(): void {}

  /** Reset phase 2: effects that need every device in reset already (e.g. setting IRQ lines). */
  resetHold(): void {}

  /** Reset phase 3: leave reset; may start activity. */
  resetExit(): void {}

  // --- tree ---------------------------------------------------------------------------------------

  get parent(): Device | null {
    return this.parentDevice;
  }

  /** Adopts `child`, whose path must be this path plus one component. */
  addChild(child: Device): void {
    if (child.path !== `${this.path}/${child.name}`) {
      throw new DeviceError(child.path, `cannot be a child of ${this.path}`);
    }
    if (child.parentDevice !== null) throw new DeviceError(child.path, `already has a parent`);
    if (this.childMap.has(child.name)) throw new DeviceError(child.path, 'a device with this path exists');
    this.childMap.set(child.name, child);
    child.parentDevice = this;
  }

  removeChild(child: Device): void {
    if (this.childMap.get(child.name) !== child) throw new DeviceError(child.path, `not a child of ${this.path}`);
    this.childMap.delete(child.name);
    child.parentDevice = null;
  }

  child(name: string): Device | undefined {
    return this.childMap.get(name);
  }

  children(): Device[] {
    return [...this.childMap.values()];
  }

  /** @internal Lines created with this device as owner register here (see irq.ts LineOwner). */
  adoptLine(line: IrqLine | GpioInputs): void {
    if (line instanceof IrqLine) this.irqs.push(line);
    else this.gpioInputs.push(line);
  }

  // --- migration ----------------------------------------------------------------------------------

  /**
   * This device's section of a machine snapshot (saveMachine / loadMachine), or null when the class has no
   * VMState. The default pairs the class's `vmstate` with the device itself; a device whose section layout
   * depends on its configuration, or that presents its state through a view object, overrides it (the HPET
   * does both). `instanceId` tells apart several devices of one type.
   */
  vmstateEntry(instanceId = 0): SectionEntry | null {
    const desc = this.deviceClass.vmstate;
    return desc === undefined ? null : entry(desc as VMStateDescription<this>, this, instanceId);
  }

  // --- introspection ------------------------------------------------------------------------------

  /** Memory regions to show; SysBusDevice lists its MMIO regions. */
  protected regions(): readonly MemoryRegion[] {
    return [];
  }

  describe(): DeviceInfo {
    const vmstate = this.deviceClass.vmstate;
    return {
      type: this.typeName,
      path: this.path,
      realized: this.isRealized,
      props: Object.entries(this.schema).map(([name, spec]) => ({
        name,
        kind: spec.kind,
        value: (this.props as Record<string, unknown>)[name],
        default: spec.default,
        doc: spec.doc,
        ...(spec.min === undefined ? {} : { min: spec.min }),
        ...(spec.max === undefined ? {} : { max: spec.max }),
        ...(spec.values === undefined ? {} : { values: spec.values }),
      })),
      mmio: this.regions().map(describeRegion),
      irqs: this.irqs.map((line) => line.describe()),
      gpioInputs: this.gpioInputs.flatMap((group) => group.describe()),
      vmstate: vmstate === undefined ? null : { name: vmstate.name, version: vmstate.version },
      children: this.children().map((c) => c.path),
    };
  }
}

function describeRegion(region: MemoryRegion): MmioInfo {
  const container = region.container;
  const entry = container?.subregions().find((c) => c.region === region);
  return {
    name: region.name,
    size: region.size,
    mappedAt: container && entry ? { container: container.name, offset: entry.offset } : null,
  };
}

/** A device with MMIO regions and IRQ outputs that the board maps and wires (QEMU's SysBusDevice). */
export class SysBusDevice<P extends PropSchema = PropSchema> extends Device<P> {
  static override readonly typeName: string = 'sys-bus-device';
  readonly mmioRegions: MemoryRegion[] = [];

  /** Creates an MMIO region owned by this device (guest errors in it are logged under its path). */
  protected initMmio(name: string, size: number, ops: MmioOps | MmioOpsInit): MemoryRegion {
    const region = MemoryRegion.mmio(name, size, ops, this.path);
    this.mmioRegions.push(region);
    return region;
  }

  /** The n-th MMIO region (sysbus_mmio_get_region), for the board to map. */
  mmioRegion(index: number): MemoryRegion {
    const region = this.mmioRegions[index];
    if (region === undefined) throw new DeviceError(this.path, `has no MMIO region ${index}`);
    return region;
  }

  /** The n-th IRQ output (sysbus_connect_irq's index), for the board to connect. */
  irqOutput(index: number): IrqLine {
    const line = this.irqs[index];
    if (line === undefined) throw new DeviceError(this.path, `has no IRQ ${index}`);
    return line;
  }

  protected override regions(): readonly MemoryRegion[] {
    return this.mmioRegions;
  }
}

/** A plain node of the device tree, such as `/machine`. */
export class DeviceContainer extends Device {
  static override readonly typeName: string = 'container';
}

/**
 * Resets a device tree in QEMU's three phases: every device enters reset, then every device runs its hold
 * phase, then every device exits. Within a phase children go before their parent (as QEMU's Resettable).
 */
export function reset(root: Device): void {
  const order: Device[] = [];
  const visit = (device: Device) => {
    for (const child of device.children()) visit(child);
    order.push(device);
  };
  visit(root);
  for (const device of order) device.resetEnter();
  for (const device of order) device.resetHold();
  for (const device of order) device.resetExit();
}

/** Device types by name, for creating devices from a machine config (QEMU's type registry + -device). */
export class TypeRegistry {
  private readonly types = new Map<string, DeviceClass>();

  registerType(cls: DeviceClass): void {
    if (!Object.hasOwn(cls, 'typeName')) throw new Error(`device class ${cls.name} does not declare a typeName`);
    const existing = this.types.get(cls.typeName);
    if (existing !== undefined && existing !== cls)
      throw new Error(`device type '${cls.typeName}' is already registered`);
    this.types.set(cls.typeName, cls);
  }

  has(typeName: string): boolean {
    return this.types.has(typeName);
  }

  typeNames(): string[] {
    return [...this.types.keys()].sort();
  }

  get(typeName: string): DeviceClass | undefined {
    return this.types.get(typeName);
  }

  /** Creates (does not realize) a device of a registered type from config values. */
  createDevice(
    typeName: string,
    path: string,
    props: Readonly<Record<string, unknown>>,
    context: DeviceContext,
  ): Device {
    const cls = this.types.get(typeName);
    if (cls === undefined) {
      throw new DeviceError(path, `unknown device type '${typeName}' (known: ${this.typeNames().join(', ')})`);
    }
    return new cls({ path, context, props });
  }
}

/** `info qtree`-style text of a device tree. */
export function qtree(root: Device): string {
  const lines: string[] = [];
  const visit = (device: Device, depth: number) => {
    const pad = '  '.repeat(depth);
    const info = device.describe();
    lines.push(`${pad}dev: ${info.type}, path ${info.path}`);
    for (const prop of info.props) lines.push(`${pad}  ${prop.name} = ${formatValue(prop.value)}`);
    for (const line of info.irqs) lines.push(`${pad}  irq ${line.path} = ${line.level ? 'high' : 'low'}`);
    for (const region of info.mmio) {
      const at = region.mappedAt === null ? 'unmapped' : hex(region.mappedAt.offset);
      lines.push(`${pad}  mmio ${at}/${hex(region.size)} ${region.name}`);
    }
    for (const child of device.children()) visit(child, depth + 1);
  };
  visit(root, 0);
  return lines.join('\n') + '\n';
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'number') return `${value} (${hex(value)})`;
  return String(value);
}
