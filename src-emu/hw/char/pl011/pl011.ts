/**
 * ARM PrimeCell UART (PL011), as on QEMU's virt board at 0x0900_0000.
 *
 * The register logic is in ./state.ts; this shell alone drives the wiring: six interrupt outputs, the
 * receive-timeout and pacing timers, the "clk" clock input and the character backend.
 *
 * - Transmit never blocks the machine: characters wait in the TX FIFO (FR.TXFF when full) and leave as
 *   fast as the backend accepts them; after a short write the backend's writable() notification resumes
 *   them. With `baudPacing` they leave one frame time apart instead, at the programmed baud rate.
 * - Receive is flow-controlled: the backend offers at most canReceive() characters (free RX FIFO space,
 *   0 while the UART or its receiver is disabled or in loopback) and is asked again (acceptInput) as soon
 *   as the guest makes room. Nothing is dropped on either side.
 */
import { Clock } from '../../../core/clock';
import { CharFrontend } from '../../../core/chardev';
import type { CharEvent } from '../../../core/chardev';
import { IrqLine } from '../../../core/irq';
import { boolProp, chardevProp, defineProps, enumProp, SysBusDevice } from '../../../core/object';
import type { DeviceInit } from '../../../core/object';
import { Timer } from '../../../core/timer';
import { IRQ_OUTPUTS, PL011_IDS, PL011_MMIO_SIZE } from './registers';
import type { Pl011Model } from './registers';
import { Effect, Pl011State } from './state';
import type { Effects } from './state';
import { trace } from './trace';
import { PL011_VMSTATE } from './vmstate';

export const PL011_PROPS = defineProps({
  chardev: chardevProp({ doc: 'character backend of the serial line' }),
  revision: enumProp({
    values: ['r1p4', 'r1p5'],
    doc: 'r1p4: 16-entry FIFOs (QEMU layout); r1p5: 32-entry FIFOs and revision 3 in PeriphID2',
  }),
  variant: enumProp({ values: ['arm', 'luminary'], doc: "ID registers: ARM's, or Luminary Micro's (Stellaris)" }),
  migrateClk: boolProp({
    default: true,
    doc: "send the UARTCLK period in the 'pl011/clock' subsection (QEMU's migrate-clk)",
  }),
  baudPacing: boolProp({
    default: false,
    doc: 'transmit one character per frame time at the programmed baud rate instead of as fast as the backend takes',
  }),
});

/** Longest write handed to the backend at once: a whole FIFO. */
const MAX_CHUNK = 32;

export class Pl011 extends SysBusDevice<typeof PL011_PROPS> {
  static override readonly typeName = 'pl011';
  static override readonly props = PL011_PROPS;
  static override readonly vmstate = PL011_VMSTATE;

  private state: Pl011State;
  /** Outputs in QEMU's order: combined, RX, TX, RT, MS, E (see IRQ_OUTPUTS). */
  readonly irqLines: readonly IrqLine[] = IRQ_OUTPUTS.map((output) => new IrqLine(this, output.name));
  /** UARTCLK input; the board connects a source clock to it (24 MHz on virt). */
  readonly uartclk = new Clock(this, 'clk');
  /** The serial line; the board connects the backend named by the chardev property. */
  readonly chr = new CharFrontend();
  readonly mmio = this.initMmio('pl011', PL011_MMIO_SIZE, {
    read: (offset) => this.mmioRead(offset),
    write: (offset, _size, value) => this.mmioWrite(offset, value),
    // 32-bit registers; byte and halfword accesses (earlycon's writeb to DR) reach them widened.
    valid: { min: 1, max: 4 },
    impl: { min: 4, max: 4 },
  });

  private readonly rxTimeout = new Timer(this.clock, () => this.onRxTimeout());
  private readonly txPace = new Timer(this.clock, () => this.drainTx());
  /** Preallocated views of a FIFO-sized buffer, one per length, so transmitting allocates nothing. */
  private readonly txChunks: readonly Uint8Array[];
  private settling = false;
  /** Effects raised while settle() was already running (input delivered from acceptInput). */
  private pendingEffects = 0;
  /** What reset's enter phase asked for, carried out in the hold phase. */
  private resetEffects = 0;

  constructor(init: DeviceInit) {
    super(init);
    this.state = this.createState();
    const buffer = new Uint8Array(MAX_CHUNK);
    this.txChunks = Array.from({ length: MAX_CHUNK + 1 }, (_, n) => buffer.subarray(0, n));
    this.uartclk.onChange((clock) => this.settle(this.regs.setClockPeriod(clock.period)));
  }

  /** Register state and logic (everything migrated). */
  get regs(): Pl011State {
    return this.state;
  }

  private createState(): Pl011State {
    const state = new Pl011State(this.model, this);
    state.loadListener = () => this.resync();
    return state;
  }

  /** The ID and FIFO model chosen by the revision and variant properties. */
  get model(): Pl011Model {
    const model = this.props.variant === 'luminary' ? 'luminary' : this.props.revision;
    // An unknown value fails realize's property check; until then the device is built as the default.
    return Object.hasOwn(PL011_IDS, model) ? model : 'r1p4';
  }

  get migrateClock(): boolean {
    return this.props.migrateClk;
  }

  protected override onRealize(): void {
    if (this.props.variant === 'luminary' && this.props.revision !== 'r1p4') {
      throw this.error('the luminary variant is an r1p4 design (16-entry FIFOs)', 'revision');
    }
    if (this.regs.model !== this.model) {
      // Properties were set after construction: rebuild the state for the chosen model.
      this.state = this.createState();
    }
    this.regs.setClockPeriod(this.uartclk.period);
    this.chr.setHandlers({
      canReceive: () => this.canReceive(),
      receive: (bytes) => this.receive(bytes),
      event: (ev) => this.onEvent(ev),
      writable: () => this.drainTx(),
    });
    // The backend the chardev property names (a board may instead connect one to `chr` itself).
    const backend = this.chardevBackend('chardev');
    if (backend !== null) this.chr.connect(backend);
  }

  protected override onUnrealize(): void {
    this.chr.setHandlers(null);
    this.rxTimeout.del();
    this.txPace.del();
  }

  // ---- reset ----------------------------------------------------------------------------------------

  override resetEnter(): void {
    this.txPace.del();
    this.resetEffects = this.regs.reset();
  }

  override resetHold(): void {
    const effects = this.resetEffects;
    this.resetEffects = 0;
    this.settle(effects);
  }

  // ---- MMIO ----------------------------------------------------------------------------------------

  private mmioRead(offset: number): number {
    // Only a DR read needs the time (it restarts the receive timeout); FR polling stays cheap.
    const value = this.regs.read(offset, offset === 0 ? this.clock.now() : 0);
    trace.read(offset, value);
    const effects = this.regs.takeEffects();
    if (effects !== 0) this.settle(effects);
    return value;
  }

  private mmioWrite(offset: number, value: number): void {
    trace.write(offset, value);
    this.settle(this.regs.write(offset, value, this.clock.now()));
  }

  // ---- effects --------------------------------------------------------------------------------------

  /** Carries out what the register logic asked for, until it asks for nothing more. */
  private settle(effects: Effects): void {
    if (this.settling) {
      // Re-entered (the backend delivered input from acceptInput): the outer loop picks these up.
      this.pendingEffects |= effects;
      return;
    }
    this.settling = true;
    try {
      let next = effects;
      while (next !== 0) {
        this.apply(next);
        next = this.regs.takeEffects() | this.pendingEffects;
        this.pendingEffects = 0;
      }
    } finally {
      this.settling = false;
    }
  }

  private apply(effects: Effects): void {
    if ((effects & Effect.BREAK) !== 0) this.chr.sendBreak(this.regs.breakAsserted);
    if ((effects & Effect.BAUD) !== 0) this.traceBaud();
    if ((effects & Effect.TX) !== 0) this.drainTxNow();
    if ((effects & Effect.RT_TIMER) !== 0) this.syncRxTimeout();
    if ((effects & Effect.IRQ) !== 0) this.updateIrqs();
    if ((effects & Effect.RX_SPACE) !== 0 && this.regs.canReceive() > 0) this.chr.acceptInput();
  }

  private updateIrqs(): void {
    const lines = this.irqLines;
    for (let i = 0; i < lines.length; i++) {
      const level = this.regs.irqLevel(i);
      if (lines[i].level !== level) {
        trace.irq_state(i, level);
        lines[i].set(level);
      }
    }
  }

  private traceBaud(): void {
    const regs = this.regs;
    trace.baudrate(regs.baudRate(), this.uartclk.hz, regs.ibrd, regs.fbrd);
  }

  private syncRxTimeout(): void {
    if (this.regs.rtDeadline < 0) this.rxTimeout.del();
    else if (this.rxTimeout.expiresAt !== this.regs.rtDeadline) this.rxTimeout.modNs(this.regs.rtDeadline);
  }

  private onRxTimeout(): void {
    this.regs.rxTimeoutExpired(this.clock.now());
    this.settle(this.regs.takeEffects());
  }

  // ---- transmit -----------------------------------------------------------------------------------

  /** Timer and writable() entry point. */
  private drainTx(): void {
    this.drainTxNow();
    this.settle(this.regs.takeEffects());
  }

  /** Moves queued characters to the backend (or, in loopback, to the receiver) as far as allowed now. */
  private drainTxNow(): void {
    const regs = this.regs;
    if (!regs.txCanMove) return;
    const now = this.clock.now();
    if (this.props.baudPacing) {
      if (regs.txDeadline > now) {
        this.txPace.modNs(regs.txDeadline);
        return;
      }
      if (this.sendChars(1, now) === 0) return; // the backend's writable() resumes us
      regs.txDeadline = now + Math.ceil(regs.frameNs());
      if (regs.txCount > 0) this.txPace.modNs(regs.txDeadline);
      return;
    }
    this.sendChars(regs.txCount, now);
  }

  /** Sends up to `max` characters; returns how many left. */
  private sendChars(max: number, now: number): number {
    const regs = this.regs;
    if (regs.loopback) return regs.loopbackTransmit(max, now);
    const chunk = this.txChunks[regs.txPeek(this.txChunks[max])];
    const sent = this.chr.write(chunk);
    regs.txCommit(sent);
    return sent;
  }

  // ---- receive --------------------------------------------------------------------------------------

  private canReceive(): number {
    const result = this.regs.canReceive();
    trace.can_receive(this.regs.lcr, this.regs.readCount, result);
    return result;
  }

  private receive(bytes: Uint8Array): void {
    trace.receive(bytes.length);
    const now = this.clock.now();
    for (let i = 0; i < bytes.length; i++) this.regs.receive(bytes[i], 0, now);
    this.settle(this.regs.takeEffects());
  }

  private onEvent(ev: CharEvent): void {
    if (ev !== 'break') return;
    this.regs.receiveBreak(this.clock.now());
    this.settle(this.regs.takeEffects());
  }

  // ---- snapshots -----------------------------------------------------------------------------------

  /** Called by the VMState description after a load: validate, then follow the loaded state. */
  afterLoad(): string | undefined {
    const problem = this.regs.checkLoaded();
    if (problem !== undefined) return problem;
    this.regs.afterLoad(this.clock.now());
    return undefined;
  }

  /** Timers, lines and the backend follow the (loaded) register state. */
  private resync(): void {
    this.txPace.del();
    this.settle(Effect.RT_TIMER | Effect.IRQ | Effect.TX | Effect.RX_SPACE);
  }
}
