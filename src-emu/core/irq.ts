/**
 * Interrupt and GPIO wiring, after QEMU's qemu_irq and qdev GPIOs.
 *
 * A device owns output lines (`IrqLine`) and input lines (`GpioInputs`). The board connects each output to
 * one sink: another device's input, a splitter fanning it out, an OR gate, or a plain callback. A device
 * only ever sets its own lines; it never sees what they are connected to.
 */

/** Anything that accepts a level: a device input, a splitter, a gate, or an adapter the board writes. */
export interface IrqSinkObject {
  setLevel(level: boolean): void;
  /** Named in the interrupt view when present. */
  readonly path?: string;
}

export type IrqSink = IrqSinkObject | ((level: boolean) => void);

/**
 * Who owns a line: a path string, or an object with a path (read when needed, so a device may be renamed
 * before realize). An owner that can list its lines gets them through `adoptLine`.
 */
export type LineOwner = string | { readonly path: string; adoptLine?(line: IrqLine | GpioInputs): void };

export interface LineInfo {
  readonly path: string;
  readonly level: boolean;
  /** What the line drives (outputs) or what drives it, by name where known. */
  readonly connections: readonly string[];
}

function ownerPath(owner: LineOwner): string {
  return typeof owner === 'string' ? owner : owner.path;
}

function sinkName(sink: IrqSink): string {
  return typeof sink === 'function' ? '(callback)' : (sink.path ?? '(unnamed sink)');
}

function ignoreLevel(): void {}

/** A level-sensitive output. Sinks hear about changes only (and both edges of a pulse). */
export class IrqLine {
  private current = false;
  private target: (level: boolean) => void = ignoreLevel;
  private targetSink: IrqSink | null = null;

  constructor(
    private readonly owner: LineOwner,
    readonly name: string,
  ) {
    if (typeof owner !== 'string') owner.adoptLine?.(this);
  }

  get path(): string {
    return `${ownerPath(this.owner)}/${this.name}`;
  }

  get level(): boolean {
    return this.current;
  }

  get sink(): IrqSink | null {
    return this.targetSink;
  }

  /**
   * Connects the line to its one sink (use IrqSplitter to drive several). The sink is not told the current
   * level: wiring happens before reset, which sets every line.
   */
  connect(sink: IrqSink): void {
    if (this.targetSink !== null) {
      throw new Error(`IRQ line ${this.path} is already connected to ${sinkName(this.targetSink)}; use an IrqSplitter`);
    }
    this.targetSink = sink;
    this.target = typeof sink === 'function' ? sink : (level) => sink.setLevel(level);
  }

  disconnect(): void {
    this.targetSink = null;
    this.target = ignoreLevel;
  }

  set(level: boolean): void {
    if (level === this.current) return;
    this.current = level;
    this.target(level);
  }

  raise(): void {
    this.set(true);
  }

  lower(): void {
    this.set(false);
  }

  /** A raise then a lower, both delivered even if the line was already high; the line ends low. */
  pulse(): void {
    this.current = true;
    this.target(true);
    this.current = false;
    this.target(false);
  }

  describe(): LineInfo {
    return {
      path: this.path,
      level: this.current,
      connections: this.targetSink === null ? [] : [sinkName(this.targetSink)],
    };
  }
}

/** One input line of a GpioInputs group; the sink an IrqLine connects to. */
export class GpioIn implements IrqSinkObject {
  private current = false;

  constructor(
    private readonly group: GpioInputs,
    readonly index: number,
  ) {}

  get path(): string {
    return `${this.group.path}[${this.index}]`;
  }

  get level(): boolean {
    return this.current;
  }

  /** Every call reaches the handler (sources already filter repeats; edge-triggered inputs need pulses). */
  setLevel(level: boolean): void {
    this.current = level;
    this.group.handler(this.index, level);
  }
}

/** A device's named group of N input lines sharing one handler. */
export class GpioInputs {
  readonly lines: readonly GpioIn[];

  constructor(
    private readonly owner: LineOwner,
    readonly name: string,
    readonly count: number,
    readonly handler: (line: number, level: boolean) => void,
  ) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`GPIO inputs '${name}': invalid count ${count}`);
    this.lines = Array.from({ length: count }, (_, i) => new GpioIn(this, i));
    if (typeof owner !== 'string') owner.adoptLine?.(this);
  }

  get path(): string {
    return `${ownerPath(this.owner)}/${this.name}`;
  }

  line(index: number): GpioIn {
    const line = this.lines[index];
    if (line === undefined) throw new Error(`GPIO inputs ${this.path}: no line ${index} (has ${this.count})`);
    return line;
  }

  describe(): LineInfo[] {
    return this.lines.map((line) => ({ path: line.path, level: line.level, connections: [] }));
  }
}

/** One input driving several sinks (QEMU's TYPE_SPLIT_IRQ). */
export class IrqSplitter implements IrqSinkObject {
  readonly outputs: IrqLine[];

  constructor(
    readonly path: string,
    sinks: readonly IrqSink[] = [],
  ) {
    this.outputs = [];
    for (const sink of sinks) this.addOutput(sink);
  }

  addOutput(sink: IrqSink): IrqLine {
    const line = new IrqLine(this.path, `out[${this.outputs.length}]`);
    line.connect(sink);
    this.outputs.push(line);
    return line;
  }

  get level(): boolean {
    return this.outputs.length > 0 && this.outputs[0].level;
  }

  setLevel(level: boolean): void {
    for (const output of this.outputs) output.set(level);
  }
}

/** N inputs, one output: the OR of the inputs (QEMU's TYPE_OR_IRQ). */
export class OrGate {
  readonly output: IrqLine;
  readonly inputs: GpioInputs;
  private readonly levels: Uint8Array;
  private high = 0;

  constructor(
    readonly path: string,
    inputCount: number,
  ) {
    this.levels = new Uint8Array(inputCount);
    this.output = new IrqLine(path, 'out');
    this.inputs = new GpioInputs(path, 'in', inputCount, (line, level) => this.setInput(line, level));
  }

  input(index: number): GpioIn {
    return this.inputs.line(index);
  }

  private setInput(line: number, level: boolean): void {
    const value = level ? 1 : 0;
    if (this.levels[line] === value) return;
    this.levels[line] = value;
    this.high += level ? 1 : -1;
    this.output.set(this.high > 0);
  }
}
