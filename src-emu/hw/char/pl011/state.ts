/**
 * The PL011's programmer-visible state and the rules that change it, with no wiring: no IRQ lines, timers
 * or character backend. Every operation records what the device shell must do next as `Effect` bits
 * (`write()` returns them; after other operations the shell calls `takeEffects()`).
 *
 * Time enters only as arguments (`nowNs`), so the logic is deterministic and a snapshot of this object is
 * the whole device: the receive-timeout and transmit-pacing deadlines are state here, the shell's timers
 * merely follow them.
 *
 * Field names follow QEMU's VMState for the PL011 (read_fifo -> readFifo, ...), see ./vmstate.ts.
 */
import { hex, logger } from '../../../core/log';
import {
  CR,
  DR_BE,
  DR_OE,
  DR_PE,
  DR_FE,
  FR,
  INT,
  INT_ALL,
  IRQ_OUTPUTS,
  LCR_H,
  PL011_CELL_ID,
  PL011_IDS,
  PL011_REGS,
  decodeOffset,
} from './registers';
import type { Pl011Model, Pl011Register } from './registers';

/** What the shell must do after an operation (bit flags). */
export const Effect = {
  /** Interrupt status or mask changed: recompute the six outputs. */
  IRQ: 1 << 0,
  /** The TX FIFO gained data or may move again: drain it. */
  TX: 1 << 1,
  /** canReceive() may have grown: ask the backend for held input. */
  RX_SPACE: 1 << 2,
  /** rtDeadline changed: re-arm or cancel the receive-timeout timer. */
  RT_TIMER: 1 << 3,
  /** LCR_H.BRK changed: assert or release the break on the backend. */
  BREAK: 1 << 4,
  /** The baud rate changed (trace it; re-time pacing and the timeout). */
  BAUD: 1 << 5,
} as const;
export type Effects = number;

/** Modem status bits of FR (CTS, DSR, DCD, RI). */
const FR_MODEM = FR.CTS | FR.DSR | FR.DCD | FR.RI;
/** Trigger level numerators in eighths for IFLS values 0..4 (TRM, UARTIFLS). */
const LEVEL_EIGHTHS = [1, 2, 4, 6, 7] as const;
/** Receive timeout: 32 bit periods without a new character (TRM, UARTRTINTR). */
const RT_BIT_PERIODS = 32;
/** Timing used while the baud rate is not programmed (IBRD/FBRD zero or no clock): 115200 baud. */
const FALLBACK_BIT_NS = 1e9 / 115200;
const TWO_34 = 2 ** 34;

/** Who owns the state, for log messages (the device path is settled at realize). */
export interface StateOwner {
  readonly path: string;
}

/** QEMU's migrated Clock (period in 2^-32 ns; multiplier/divider of a derived clock). */
export interface MigratedClock {
  period: number;
  multiplier: number;
  divider: number;
}

export class Pl011State {
  // ---- registers (QEMU's field names) ----
  lcr = 0;
  rsr = 0;
  cr = PL011_REGS.CR.reset;
  dmacr = 0;
  /** IMSC. */
  intEnabled = 0;
  /** RIS. */
  intLevel = 0;
  ilpr = 0;
  ibrd = 0;
  fbrd = 0;
  /** IFLS. */
  ifl = PL011_REGS.IFLS.reset;

  // ---- RX FIFO: entries are DR values (data 7:0, FE 8, PE 9, BE 10, OE 11), a ring of `capacity` ----
  /** Storage for up to 32 entries; QEMU's stream carries the first 16 (readFifo), Orrery's the rest. */
  private readonly rxStore = new Uint32Array(32);
  readonly readFifo = this.rxStore.subarray(0, 16);
  readonly readFifoHigh = this.rxStore.subarray(16, 32);
  readPos = 0;
  readCount = 0;
  /** Current RX trigger level in entries (QEMU migrates it; here it is recomputed from IFLS/LCR_H). */
  readTrigger = 1;

  // ---- TX FIFO (Orrery: QEMU transmits synchronously and has none) ----
  readonly txFifo = new Uint8Array(32);
  txPos = 0;
  txCount = 0;

  /** External modem inputs as FR bits (CTS, DSR, DCD, RI); loopback replaces them with CR outputs. */
  modemInputs = 0;
  /** Virtual ns when the receive timeout fires, or -1. */
  rtDeadline = -1;
  /** Set while loading when the stream carried rtDeadline (QEMU's streams do not). */
  rtMigrated = false;
  /** Virtual ns before which a paced transmitter sends nothing more, or -1. */
  txDeadline = -1;
  /** UARTCLK as last seen (QEMU's "clk" in the pl011/clock subsection). */
  readonly clk: MigratedClock = { period: 0, multiplier: 1, divider: 1 };

  /** The shell re-syncs its lines and timers after a snapshot load (see vmstate.ts). */
  loadListener: (() => void) | null = null;

  private pending = 0;
  /** FIFO depth of this model with FEN set (16 or 32). */
  readonly capacity: number;
  private readonly periphId: readonly number[];

  constructor(
    readonly model: Pl011Model,
    private readonly owner: StateOwner,
  ) {
    this.capacity = PL011_IDS[model].fifoDepth;
    this.periphId = PL011_IDS[model].periphId;
  }

  // ---------------------------------------------------------------------------------------------------
  // Derived values

  get fifoEnabled(): boolean {
    return (this.lcr & LCR_H.FEN) !== 0;
  }

  /** Entries each FIFO holds now: the model's depth, or 1 (a holding register) with FEN clear. */
  get depth(): number {
    return this.fifoEnabled ? this.capacity : 1;
  }

  get loopback(): boolean {
    return (this.cr & CR.LBE) !== 0;
  }

  get breakAsserted(): boolean {
    return (this.lcr & LCR_H.BRK) !== 0;
  }

  /** FR, computed from the FIFOs and the modem lines. */
  get flags(): number {
    let fr = this.modemStatus();
    if (this.readCount === 0) fr |= FR.RXFE;
    if (this.readCount >= this.depth) fr |= FR.RXFF;
    if (this.txCount === 0) fr |= FR.TXFE;
    if (this.txCount >= this.depth) fr |= FR.TXFF;
    if (this.txCount > 0) fr |= FR.BUSY;
    return fr;
  }

  /** Loading FR keeps only what is not derived: the external modem inputs. */
  set flags(value: number) {
    this.modemInputs = value & FR_MODEM;
  }

  /** RX trigger level in entries: RX interrupt when the FIFO holds at least this many. */
  rxTriggerLevel(): number {
    return this.fifoEnabled ? this.levelEntries((this.ifl >>> 3) & 7) : 1;
  }

  /** TX trigger level in entries: TX interrupt when the FIFO holds at most this many. */
  txTriggerLevel(): number {
    return this.fifoEnabled ? this.levelEntries(this.ifl & 7) : 0;
  }

  private levelEntries(select: number): number {
    // Reserved selections (5..7) behave as 1/2 full.
    const eighths = select < LEVEL_EIGHTHS.length ? LEVEL_EIGHTHS[select] : 4;
    return (this.capacity * eighths) >>> 3;
  }

  /** Baud divisor in 1/64 units: 64 * IBRD + FBRD (0: not programmed). */
  get divisor(): number {
    return this.ibrd * 64 + this.fbrd;
  }

  /** Baud rate as QEMU reports it (UARTCLK Hz * 4 / divisor, integer), 0 when unknown. */
  baudRate(): number {
    if (this.divisor === 0 || this.clk.period === 0) return 0;
    const hz = Math.floor((1e9 * 2 ** 32) / this.clk.period);
    return Math.floor(hz / this.divisor) * 4;
  }

  /** One bit period in ns: 16 UARTCLK periods times the divisor (TRM, baud rate divisor). */
  bitNs(): number {
    if (this.divisor === 0 || this.clk.period === 0) return FALLBACK_BIT_NS;
    return (this.divisor * this.clk.period) / TWO_34;
  }

  /** One character frame in ns: start bit, data bits, parity, stop bits. */
  frameNs(): number {
    const dataBits = 5 + ((this.lcr & LCR_H.WLEN) >>> 5);
    const parity = (this.lcr & LCR_H.PEN) !== 0 ? 1 : 0;
    const stop = (this.lcr & LCR_H.STP2) !== 0 ? 2 : 1;
    return (1 + dataBits + parity + stop) * this.bitNs();
  }

  rxTimeoutNs(): number {
    return Math.ceil(RT_BIT_PERIODS * this.bitNs());
  }

  /** Level of interrupt output `index` (0 combined, 1 RX, 2 TX, 3 RT, 4 MS, 5 E). */
  irqLevel(index: number): boolean {
    return (this.intLevel & this.intEnabled & IRQ_OUTPUTS[index].mask) !== 0;
  }

  // ---------------------------------------------------------------------------------------------------
  // Effects

  /** The effects accumulated since the last call, cleared. */
  takeEffects(): Effects {
    const effects = this.pending;
    this.pending = 0;
    return effects;
  }

  // ---------------------------------------------------------------------------------------------------
  // Reset

  /** Reset values (TRM, register descriptions): CR 0x300, IFLS 0x12, FIFOs empty, everything else 0. */
  reset(): Effects {
    const hadBreak = this.breakAsserted;
    const oldBaud = this.baudRate();
    this.lcr = 0;
    this.rsr = 0;
    this.cr = PL011_REGS.CR.reset;
    this.dmacr = 0;
    this.intEnabled = 0;
    this.intLevel = 0;
    this.ilpr = 0;
    this.ibrd = 0;
    this.fbrd = 0;
    this.ifl = PL011_REGS.IFLS.reset;
    this.rxStore.fill(0);
    this.readPos = 0;
    this.readCount = 0;
    this.txFifo.fill(0);
    this.txPos = 0;
    this.txCount = 0;
    this.rtDeadline = -1;
    this.txDeadline = -1;
    this.readTrigger = this.rxTriggerLevel();
    this.pending |= Effect.IRQ | Effect.RX_SPACE | Effect.RT_TIMER | Effect.TX;
    if (hadBreak) this.pending |= Effect.BREAK;
    if (oldBaud !== this.baudRate()) this.pending |= Effect.BAUD;
    return this.takeEffects();
  }

  // ---------------------------------------------------------------------------------------------------
  // MMIO

  /** A 32-bit register read; side effects (DR pops an entry) are left in takeEffects(). */
  read(offset: number, nowNs: number): number {
    const decoded = decodeOffset(offset);
    switch (decoded.kind) {
      case 'register':
        return this.readRegister(decoded.name, nowNs);
      case 'id':
        return decoded.index < 4 ? this.periphId[decoded.index] : PL011_CELL_ID[decoded.index - 4];
      case 'unknown':
        this.guestError(offset, 'read of an undefined offset');
        return 0;
      default:
        return unreachable(decoded);
    }
  }

  private readRegister(name: Pl011Register, nowNs: number): number {
    switch (name) {
      case 'DR':
        return this.readData(nowNs);
      case 'RSR':
        return this.rsr;
      case 'FR':
        return this.flags;
      case 'ILPR':
        return this.ilpr;
      case 'IBRD':
        return this.ibrd;
      case 'FBRD':
        return this.fbrd;
      case 'LCR_H':
        return this.lcr;
      case 'CR':
        return this.cr;
      case 'IFLS':
        return this.ifl;
      case 'IMSC':
        return this.intEnabled;
      case 'RIS':
        return this.intLevel;
      case 'MIS':
        return this.intLevel & this.intEnabled;
      case 'ICR': // write-only, reads as zero
        return 0;
      case 'DMACR':
        return this.dmacr;
      default:
        return unreachable(name);
    }
  }

  /** A register's value without side effects (DR shows the oldest entry without popping it): the inspector. */
  peek(offset: number): number {
    const decoded = decodeOffset(offset);
    if (decoded.kind === 'unknown') return 0;
    if (decoded.kind === 'register' && decoded.name === 'DR') {
      return this.readCount === 0 ? 0 : this.rxStore[this.readPos];
    }
    return this.read(offset, 0);
  }

  /** A 32-bit register write; returns the effects. */
  write(offset: number, value: number, nowNs: number): Effects {
    const decoded = decodeOffset(offset);
    switch (decoded.kind) {
      case 'register':
        this.writeRegister(decoded.name, value, nowNs);
        break;
      case 'id':
        this.guestError(offset, `write of ${hex(value >>> 0)} to read-only register ${decoded.name}`);
        break;
      case 'unknown':
        this.guestError(offset, `write of ${hex(value >>> 0)} to an undefined offset`);
        break;
      default:
        unreachable(decoded);
    }
    return this.takeEffects();
  }

  private writeRegister(name: Pl011Register, value: number, nowNs: number): void {
    switch (name) {
      case 'DR':
        return this.writeData(value & 0xff);
      case 'RSR': // ECR: any write clears the error status
        this.rsr = 0;
        return;
      case 'ILPR':
        this.ilpr = value & 0xff;
        return;
      case 'IBRD':
        return this.setDivisor(value & 0xffff, this.fbrd);
      case 'FBRD':
        return this.setDivisor(this.ibrd, value & 0x3f);
      case 'LCR_H':
        return this.writeLineControl(value & 0xff, nowNs);
      case 'CR':
        return this.writeControl(value & 0xffff);
      case 'IFLS':
        return this.writeFifoLevels(value & 0x3f);
      case 'IMSC':
        this.intEnabled = value & INT_ALL;
        this.pending |= Effect.IRQ;
        return;
      case 'ICR':
        this.intLevel &= ~value & INT_ALL;
        this.pending |= Effect.IRQ;
        return;
      case 'DMACR':
        return this.writeDmaControl(value & 7);
      case 'FR':
      case 'RIS':
      case 'MIS':
        this.guestError(PL011_REGS[name].offset, `write of ${hex(value >>> 0)} to read-only register ${name}`);
        return;
      default:
        unreachable(name);
    }
  }

  private guestError(offset: number, message: string): void {
    logger.guestError(this.owner.path, `pl011 offset ${hex(offset, 3)}: ${message}`);
  }

  // ---------------------------------------------------------------------------------------------------
  // Receive path

  /** How many characters the receiver takes now (0 while disabled or in loopback: input waits). */
  canReceive(): number {
    if ((this.cr & (CR.UARTEN | CR.RXE)) !== (CR.UARTEN | CR.RXE) || this.loopback) return 0;
    return this.depth - this.readCount;
  }

  /** A character from the line, with DR error bits (FE/PE/BE) as the backend reports them. */
  receive(byte: number, errors: number, nowNs: number): void {
    this.pushRx((byte & 0xff) | (errors & (DR_FE | DR_PE | DR_BE)), nowNs);
  }

  /** A break on the line: one zero character with BE (TRM, UARTDR). Ignored while the receiver is cut off. */
  receiveBreak(nowNs: number): void {
    if ((this.cr & (CR.UARTEN | CR.RXE)) !== (CR.UARTEN | CR.RXE) || this.loopback) return;
    this.pushRx(DR_BE, nowNs);
  }

  private pushRx(entry: number, nowNs: number): void {
    if (this.readCount >= this.depth) {
      // Overrun: the FIFO keeps its contents; the newest entry carries OE (TRM, UARTDR).
      const newest = (this.readPos + this.readCount - 1) % this.capacity;
      this.rxStore[newest] |= DR_OE;
      this.raise(INT.OE);
      return;
    }
    this.rxStore[(this.readPos + this.readCount) % this.capacity] = entry;
    this.readCount++;
    // DR's FE, PE, BE (bits 8..10) raise the interrupts of the same names (RIS bits 7..9).
    const errors = (entry >>> 1) & (INT.FE | INT.PE | INT.BE);
    if (errors !== 0) this.raise(errors);
    this.updateRxLevel();
    this.restartRxTimeout(nowNs);
  }

  private readData(nowNs: number): number {
    if (this.readCount === 0) return 0;
    const entry = this.rxStore[this.readPos];
    this.readPos = (this.readPos + 1) % this.capacity;
    this.readCount--;
    this.rsr = (entry >>> 8) & 0xf;
    // Reading DR clears the timeout; whatever stays behind starts a new one.
    this.intLevel &= ~INT.RT;
    if (this.readCount === 0) this.cancelRxTimeout();
    else this.restartRxTimeout(nowNs);
    this.updateRxLevel();
    this.pending |= Effect.RX_SPACE | Effect.IRQ;
    return entry;
  }

  /** The timeout timer fired: raise RT if characters are still waiting. */
  rxTimeoutExpired(nowNs: number): void {
    if (this.rtDeadline < 0 || nowNs < this.rtDeadline) return;
    this.rtDeadline = -1;
    if (this.readCount > 0) this.raise(INT.RT);
  }

  private restartRxTimeout(nowNs: number): void {
    this.rtDeadline = nowNs + this.rxTimeoutNs();
    this.pending |= Effect.RT_TIMER;
  }

  private cancelRxTimeout(): void {
    if (this.rtDeadline < 0) return;
    this.rtDeadline = -1;
    this.pending |= Effect.RT_TIMER;
  }

  private updateRxLevel(): void {
    this.setLevelBit(INT.RX, this.readCount >= this.rxTriggerLevel());
  }

  // ---------------------------------------------------------------------------------------------------
  // Transmit path

  private writeData(byte: number): void {
    if ((this.cr & CR.UARTEN) === 0) this.guestError(0, 'DR written while the UART is disabled (CR.UARTEN=0)');
    else if ((this.cr & CR.TXE) === 0) this.guestError(0, 'DR written while the transmitter is disabled (CR.TXE=0)');
    if (this.txCount >= this.depth) {
      this.guestError(0, `DR written while the TX FIFO is full (FR.TXFF): ${hex(byte)} lost`);
      return;
    }
    this.txFifo[(this.txPos + this.txCount) % this.capacity] = byte;
    this.txCount++;
    this.updateTxLevel();
    this.pending |= Effect.TX;
  }

  /** Whether queued characters may leave now (a break holds the line). */
  get txCanMove(): boolean {
    return this.txCount > 0 && !this.breakAsserted;
  }

  /** Copies up to `into.length` queued characters, oldest first, without removing them. */
  txPeek(into: Uint8Array): number {
    const count = Math.min(into.length, this.txCount);
    for (let i = 0; i < count; i++) into[i] = this.txFifo[(this.txPos + i) % this.capacity];
    return count;
  }

  /** `count` characters left the transmitter. */
  txCommit(count: number): void {
    const n = Math.min(count, this.txCount);
    if (n === 0) return;
    this.txPos = (this.txPos + n) % this.capacity;
    this.txCount -= n;
    this.updateTxLevel();
  }

  /** Loopback: moves up to `max` transmitted characters into the receiver (TRM, loopback). */
  loopbackTransmit(max: number, nowNs: number): number {
    const n = Math.min(max, this.txCount);
    for (let i = 0; i < n; i++) this.pushRx(this.txFifo[(this.txPos + i) % this.capacity], nowNs);
    this.txCommit(n);
    return n;
  }

  private updateTxLevel(): void {
    this.setLevelBit(INT.TX, this.txCount <= this.txTriggerLevel());
  }

  // ---------------------------------------------------------------------------------------------------
  // Control registers

  private writeLineControl(value: number, nowNs: number): void {
    const changed = this.lcr ^ value;
    this.lcr = value;
    if ((changed & LCR_H.FEN) !== 0) this.flushFifos();
    if ((changed & LCR_H.BRK) !== 0) {
      this.pending |= Effect.BREAK | Effect.TX;
      // In loopback the break reaches our own receiver (TRM, loopback).
      if ((value & LCR_H.BRK) !== 0 && this.loopback) this.pushRx(DR_BE, nowNs);
    }
    // On hardware IBRD/FBRD take effect with the next LCR_H write (TRM, UARTLCR_H); here they apply at
    // once, like QEMU, and the rate is reported again now.
    this.pending |= Effect.BAUD;
    this.recomputeTriggers();
  }

  /** Toggling FEN empties both FIFOs (TRM, UARTLCR_H). */
  private flushFifos(): void {
    this.readPos = 0;
    this.readCount = 0;
    this.txPos = 0;
    this.txCount = 0;
    this.txDeadline = -1;
    this.cancelRxTimeout();
    this.pending |= Effect.RX_SPACE;
  }

  private writeControl(value: number): void {
    const before = this.modemStatus();
    const changed = this.cr ^ value;
    this.cr = value;
    this.raiseModemChanges(before ^ this.modemStatus());
    if ((changed & (CR.UARTEN | CR.RXE | CR.LBE)) !== 0) this.pending |= Effect.RX_SPACE;
    if ((changed & (CR.UARTEN | CR.TXE | CR.LBE)) !== 0) this.pending |= Effect.TX;
  }

  private writeFifoLevels(value: number): void {
    if ((value & 7) > 4 || ((value >>> 3) & 7) > 4) {
      this.guestError(0x34, `reserved trigger level in IFLS ${hex(value)} (treated as 1/2 full)`);
    }
    this.ifl = value;
    this.recomputeTriggers();
  }

  private recomputeTriggers(): void {
    this.readTrigger = this.rxTriggerLevel();
    this.updateRxLevel();
    this.updateTxLevel();
  }

  private setDivisor(ibrd: number, fbrd: number): void {
    this.ibrd = ibrd;
    this.fbrd = fbrd;
    this.pending |= Effect.BAUD;
  }

  private writeDmaControl(value: number): void {
    this.dmacr = value;
    if ((value & 3) !== 0) {
      logger.unimp(this.owner.path, `pl011: DMA requested (DMACR=${hex(value)}); no DMA controller is connected`);
    }
  }

  /** UARTCLK changed (period in 2^-32 ns; 0 = stopped). */
  setClockPeriod(period: number): Effects {
    if (period !== this.clk.period) {
      this.clk.period = period;
      this.pending |= Effect.BAUD;
    }
    return this.takeEffects();
  }

  // ---------------------------------------------------------------------------------------------------
  // Modem lines

  /** FR's modem bits: loopback maps OUT2->RI, OUT1->DCD, RTS->CTS, DTR->DSR (TRM, loopback). */
  modemStatus(): number {
    if (!this.loopback) return this.modemInputs;
    const cr = this.cr;
    return (
      ((cr & CR.RTS) !== 0 ? FR.CTS : 0) |
      ((cr & CR.DTR) !== 0 ? FR.DSR : 0) |
      ((cr & CR.OUT1) !== 0 ? FR.DCD : 0) |
      ((cr & CR.OUT2) !== 0 ? FR.RI : 0)
    );
  }

  /** The external modem inputs changed (FR bit layout). */
  setModemInputs(bits: number): Effects {
    const before = this.modemStatus();
    this.modemInputs = bits & FR_MODEM;
    this.raiseModemChanges(before ^ this.modemStatus());
    return this.takeEffects();
  }

  private raiseModemChanges(delta: number): void {
    let ints = 0;
    if ((delta & FR.CTS) !== 0) ints |= INT.CTS;
    if ((delta & FR.DSR) !== 0) ints |= INT.DSR;
    if ((delta & FR.DCD) !== 0) ints |= INT.DCD;
    if ((delta & FR.RI) !== 0) ints |= INT.RI;
    if (ints !== 0) this.raise(ints);
  }

  // ---------------------------------------------------------------------------------------------------
  // Interrupt bits

  private raise(bits: number): void {
    this.intLevel |= bits;
    this.pending |= Effect.IRQ;
  }

  private setLevelBit(bit: number, on: boolean): void {
    const next = on ? this.intLevel | bit : this.intLevel & ~bit;
    if (next !== this.intLevel) {
      this.intLevel = next;
      this.pending |= Effect.IRQ;
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Snapshot support

  /** Checks loaded positions and counts; returns a message when they cannot belong to this device. */
  checkLoaded(): string | undefined {
    if (!Number.isInteger(this.readPos) || this.readPos < 0 || this.readPos >= this.capacity) {
      return `read_pos ${this.readPos} is outside the ${this.capacity}-entry RX FIFO`;
    }
    if (!Number.isInteger(this.readCount) || this.readCount < 0 || this.readCount > this.depth) {
      return `read_count ${this.readCount} exceeds the RX FIFO depth ${this.depth}`;
    }
    if (!Number.isInteger(this.txPos) || this.txPos < 0 || this.txPos >= this.capacity) {
      return `TX FIFO position ${this.txPos} is outside the ${this.capacity}-entry TX FIFO`;
    }
    if (!Number.isInteger(this.txCount) || this.txCount < 0 || this.txCount > this.depth) {
      return `TX FIFO count ${this.txCount} exceeds the TX FIFO depth ${this.depth}`;
    }
    return undefined;
  }

  /**
   * After a load: derived values are recomputed rather than trusted (QEMU streams fix read_trigger at 1),
   * and characters loaded without timeout state get a fresh timeout, so the guest hears of them.
   */
  afterLoad(nowNs: number): void {
    if (this.loopback) this.modemInputs = 0;
    this.readTrigger = this.rxTriggerLevel();
    if (!this.rtMigrated && this.readCount > 0 && this.rtDeadline < 0) this.rtDeadline = nowNs + this.rxTimeoutNs();
    this.pending = 0;
    this.loadListener?.();
  }
}

function unreachable(value: never): never {
  throw new Error(`pl011: unhandled case ${JSON.stringify(value)}`);
}
