/**
 * ARM PrimeCell Real Time Clock (PL031), as on QEMU's virt board at 0x0901_0000.
 *
 * Reference: ARM PrimeCell Real Time Clock (PL031) Technical Reference Manual, ARM DDI 0224, chapter 3
 * (register summary 3.2, descriptions 3.3). Behaviour and migration format follow QEMU's hw/rtc/pl031.c,
 * which is the oracle for guests: the counter always runs (CR reads 1 and writes to it are ignored).
 *
 * Time: DR = tickOffset + whole seconds of virtual time. tickOffset is fixed at realize from the host's
 * wall clock (realtime mode) or the `startTime` property (deterministic mode, so a replay reads the same
 * dates), and moved by guest writes to LR. The alarm fires when DR reaches MR: exactly at that second
 * boundary of virtual time (QEMU arms it `MR - DR` seconds after the write instead, up to 1 s late).
 */
import { hex } from '../../core/log';
import { defineRegisters } from '../../core/bits';
import { IrqLine } from '../../core/irq';
import { boolProp, defineProps, SysBusDevice, u32Prop } from '../../core/object';
import { NS_PER_SECOND, Timer } from '../../core/timer';
import { traceEvents } from '../../core/trace';
import { subsection, timer, u32, vmstate } from '../../core/vmstate';

// ---- registers (TRM 3.2) -------------------------------------------------------------------------

export const PL031_REGS = defineRegisters({
  DR: { offset: 0x00, access: 'r', doc: 'RTCDR: current time, seconds' },
  MR: { offset: 0x04, access: 'rw', doc: 'RTCMR: match (alarm) value' },
  LR: { offset: 0x08, access: 'rw', doc: 'RTCLR: load value (sets the counter)' },
  CR: { offset: 0x0c, access: 'rw', reset: 1, doc: 'RTCCR: control (always started here)', fields: { START: 0 } },
  IMSC: { offset: 0x10, access: 'rw', doc: 'RTCIMSC: interrupt mask set/clear', fields: { RTCIMSC: 0 } },
  RIS: { offset: 0x14, access: 'r', doc: 'RTCRIS: raw interrupt status', fields: { RTCRIS: 0 } },
  MIS: { offset: 0x18, access: 'r', doc: 'RTCMIS: masked interrupt status', fields: { RTCMIS: 0 } },
  ICR: { offset: 0x1c, access: 'w', doc: 'RTCICR: interrupt clear', fields: { RTCICR: 0 } },
  PERIPH_ID0: { offset: 0xfe0, access: 'r', reset: 0x31, doc: 'RTCPeriphID0: part number 0x031 (low)' },
  PERIPH_ID1: { offset: 0xfe4, access: 'r', reset: 0x10, doc: 'RTCPeriphID1: part number (high), designer' },
  PERIPH_ID2: { offset: 0xfe8, access: 'r', reset: 0x14, doc: 'RTCPeriphID2: revision 1, designer ARM' },
  PERIPH_ID3: { offset: 0xfec, access: 'r', reset: 0x00, doc: 'RTCPeriphID3: configuration' },
  PCELL_ID0: { offset: 0xff0, access: 'r', reset: 0x0d, doc: 'RTCPCellID0' },
  PCELL_ID1: { offset: 0xff4, access: 'r', reset: 0xf0, doc: 'RTCPCellID1' },
  PCELL_ID2: { offset: 0xff8, access: 'r', reset: 0x05, doc: 'RTCPCellID2' },
  PCELL_ID3: { offset: 0xffc, access: 'r', reset: 0xb1, doc: 'RTCPCellID3' },
});

const REGION_SIZE = 0x1000;
const ID_BASE = PL031_REGS.PERIPH_ID0.offset;
const ID_BYTES = [0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1] as const;
const IRQ_BIT = 1;

type Pl031Register = 'DR' | 'MR' | 'LR' | 'CR' | 'IMSC' | 'RIS' | 'MIS' | 'ICR';
type Decoded =
  | { readonly kind: 'register'; readonly name: Pl031Register }
  | { readonly kind: 'id'; readonly index: number }
  | { readonly kind: 'unknown' };

const BY_OFFSET: ReadonlyMap<number, Pl031Register> = new Map(
  (['DR', 'MR', 'LR', 'CR', 'IMSC', 'RIS', 'MIS', 'ICR'] as const).map((name) => [PL031_REGS[name].offset, name]),
);
const UNKNOWN: Decoded = { kind: 'unknown' };
const DECODED_REGISTERS = new Map(
  [...BY_OFFSET].map(([offset, name]) => [offset, { kind: 'register', name } as const]),
);
const DECODED_IDS = ID_BYTES.map((_, index) => ({ kind: 'id', index }) as const);

function decode(offset: number): Decoded {
  if (offset >= ID_BASE && offset < REGION_SIZE) return DECODED_IDS[(offset - ID_BASE) >> 2];
  return DECODED_REGISTERS.get(offset) ?? UNKNOWN;
}

// ---- trace events and properties ----------------------------------------------------------------

const trace = traceEvents('pl031', {
  read: { offset: 'u32', value: 'u32' },
  write: { offset: 'u32', value: 'u32' },
  alarm: {},
  set_alarm: { ticks: 'u32' },
  irq_state: { level: 'bool' },
});

export const PL031_PROPS = defineProps({
  migrateTickOffset: boolProp({
    default: true,
    doc: "send tick_offset in its 'pl031/tick-offset' subsection (QEMU's migrate-tick-offset)",
  }),
  startTime: u32Prop({
    default: 0,
    doc: 'RTC seconds since 1970 at virtual time 0 in deterministic mode (0: 1970-01-01); realtime mode reads the host',
  }),
});

// ---- the device ------------------------------------------------------------------------------------

export class Pl031 extends SysBusDevice<typeof PL031_PROPS> {
  static override readonly typeName = 'pl031';
  static override readonly props = PL031_PROPS;

  /** DR minus whole seconds of virtual time (u32 arithmetic). */
  tickOffset = 0;
  /** tickOffset as QEMU's main section carries it (relative to its vm clock: equal here, one clock). */
  tickOffsetVmstate = 0;
  /** Set while loading when the tick-offset subsection arrived. */
  tickOffsetMigrated = false;
  mr = 0;
  lr = 0;
  /** Migrated for QEMU's layout; the counter always runs, as in QEMU. */
  cr = 0;
  im = 0;
  is = 0;

  /** Set while loading when Orrery's alarm subsection arrived. */
  alarmMigrated = false;

  readonly irq = new IrqLine(this, 'irq');
  /** Armed only by guest writes to MR and LR: not derivable from the registers, so it is migrated. */
  readonly alarm = new Timer(this.clock, () => this.onAlarm());
  readonly regs = this.initMmio('pl031', REGION_SIZE, {
    read: (offset) => this.read(offset),
    write: (offset, _size, value) => this.write(offset, value),
    valid: { min: 4, max: 4 },
  });

  static override readonly vmstate = vmstate<Pl031>('pl031', {
    version: 1,
    minimumVersion: 1,
    fields: [u32('tickOffsetVmstate'), u32('mr'), u32('lr'), u32('cr'), u32('im'), u32('is')],
    subsections: [
      subsection('pl031/tick-offset', (s) => s.props.migrateTickOffset, [u32('tickOffset')], {
        postLoad: (s) => {
          s.tickOffsetMigrated = true;
        },
      }),
      // Orrery's own: whether and when the alarm is armed, sent only when re-arming from MR on load (what
      // QEMU does, and what a stream without it gets) would give something else, e.g. after reset.
      subsection('pl031/alarm', (s) => !s.alarmFollowsMr(), [timer('alarm')], {
        postLoad: (s) => {
          s.alarmMigrated = true;
        },
      }),
    ],
    preSave: (s) => {
      s.tickOffsetVmstate = s.tickOffset;
    },
    preLoad: (s) => {
      s.tickOffsetMigrated = false;
      s.alarmMigrated = false;
    },
    postLoad: (s) => {
      // An older stream (no subsection) carries the offset only in the main section.
      if (!s.tickOffsetMigrated) s.tickOffset = s.tickOffsetVmstate;
      if (!s.alarmMigrated) s.armAlarm();
      s.updateIrq();
    },
  });

  protected override onRealize(): void {
    const start = this.clock.mode === 'deterministic' ? this.props.startTime : Math.floor(Date.now() / 1000);
    this.tickOffset = (start - this.elapsedSeconds()) >>> 0;
  }

  override resetEnter(): void {
    this.mr = this.lr = this.im = this.is = 0;
    this.alarm.del();
  }

  override resetHold(): void {
    this.updateIrq();
  }

  /** The value DR reads now. */
  count(): number {
    return (this.tickOffset + this.elapsedSeconds()) >>> 0;
  }

  private elapsedSeconds(): number {
    return Math.floor(this.clock.now() / NS_PER_SECOND);
  }

  private read(offset: number): number {
    const value = this.readRegister(offset);
    trace.read(offset, value);
    return value;
  }

  private readRegister(offset: number): number {
    const target = decode(offset);
    switch (target.kind) {
      case 'id':
        return ID_BYTES[target.index];
      case 'unknown':
        this.log.guestError(`read at bad offset ${hex(offset)}`);
        return 0;
      case 'register':
        break;
      default:
        return unreachable(target);
    }
    switch (target.name) {
      case 'DR':
        return this.count();
      case 'MR':
        return this.mr;
      case 'LR':
        return this.lr;
      case 'CR':
        return 1; // always started
      case 'IMSC':
        return this.im;
      case 'RIS':
        return this.is;
      case 'MIS':
        return this.is & this.im;
      case 'ICR':
        this.log.guestError(`read of write-only register ICR at ${hex(offset)}`);
        return 0;
      default:
        return unreachable(target.name);
    }
  }

  private write(offset: number, value: number): void {
    trace.write(offset, value);
    const target = decode(offset);
    if (target.kind !== 'register') {
      this.log.guestError(
        target.kind === 'id'
          ? `write to read-only ID register at ${hex(offset)}`
          : `write at bad offset ${hex(offset)}`,
      );
      return;
    }
    switch (target.name) {
      case 'LR':
        this.lr = value;
        this.tickOffset = (this.tickOffset + value - this.count()) >>> 0;
        this.armAlarm();
        return;
      case 'MR':
        this.mr = value;
        this.armAlarm();
        return;
      case 'IMSC':
        this.im = value & IRQ_BIT;
        this.updateIrq();
        return;
      case 'ICR':
        this.is &= ~value;
        this.updateIrq();
        return;
      case 'CR':
        return; // the counter always runs
      case 'DR':
      case 'RIS':
      case 'MIS':
        this.log.guestError(`write to read-only register ${target.name} at ${hex(offset)}`);
        return;
      default:
        unreachable(target.name);
    }
  }

  /** Whether re-arming from MR, as a load without the alarm subsection does, reproduces the alarm exactly. */
  private alarmFollowsMr(): boolean {
    const ticks = (this.mr - this.count()) >>> 0;
    if (ticks === 0) return false; // re-arming would fire at once
    // As Timer.modNs stores it (clamped to 2^53 ns).
    return this.alarm.expiresAt === Math.min(Number.MAX_SAFE_INTEGER, (this.elapsedSeconds() + ticks) * NS_PER_SECOND);
  }

  /** Arms the alarm for the second at which DR reaches MR (now, if it already reads MR). */
  private armAlarm(): void {
    const ticks = (this.mr - this.count()) >>> 0; // wraps like the 32-bit counter
    trace.set_alarm(ticks);
    if (ticks === 0) {
      this.alarm.del();
      this.onAlarm();
      return;
    }
    this.alarm.modNs((this.elapsedSeconds() + ticks) * NS_PER_SECOND);
  }

  private onAlarm(): void {
    this.is = IRQ_BIT;
    trace.alarm();
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = (this.is & this.im) !== 0;
    trace.irq_state(level);
    this.irq.set(level);
  }

  /** When the alarm fires (virtual ns), or -1: for the inspector and tests. */
  get alarmDeadline(): number {
    return this.alarm.expiresAt;
  }
}

function unreachable(value: never): never {
  throw new Error(`pl031: unhandled case ${String(value)}`);
}
