/**
 * PL031 driven as a guest drives it: 32-bit MMIO through an AddressSpace at the virt board's address.
 * Expected values come from the PL031 TRM (register map, ID values) and QEMU's model (CR reads 1,
 * migration layout).
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logger } from '../../core/log';
import type { LogRecord } from '../../core/log';
import { AddressSpace, MemTx, MemoryRegion } from '../../core/memory';
import { DeviceError, TypeRegistry, reset } from '../../core/object';
import { NS_PER_SECOND, VirtualClock } from '../../core/timer';
import { TraceRing, traceRegistry } from '../../core/trace';
import {
  VMStateError,
  clockEntry,
  describe as describeState,
  entry,
  loadMachine,
  saveMachine,
} from '../../core/vmstate';
import { PL031_REGS, Pl031 } from './pl031';
import qemuDump from './pl031.qemu-vmstate.json';

const BASE = 0x0901_0000;
const DR = BASE + 0x00;
const MR = BASE + 0x04;
const LR = BASE + 0x08;
const CR = BASE + 0x0c;
const IMSC = BASE + 0x10;
const RIS = BASE + 0x14;
const MIS = BASE + 0x18;
const ICR = BASE + 0x1c;

/** 2024-01-01T00:00:00Z */
const START = 1_704_067_200;

interface Board {
  clock: VirtualClock;
  rtc: Pl031;
  bus: AddressSpace;
  irqLevels: boolean[];
}

function makeBoard(options: { props?: Record<string, unknown>; clock?: VirtualClock } = {}): Board {
  const clock = options.clock ?? new VirtualClock({ mode: 'deterministic' });
  const rtc = new Pl031({ path: '/machine/rtc', context: { clock }, props: { startTime: START, ...options.props } });
  rtc.realize();
  const root = MemoryRegion.container('system', 2 ** 32);
  root.addSubregion(BASE, rtc.mmioRegion(0));
  const irqLevels: boolean[] = [];
  rtc.irqOutput(0).connect((level) => irqLevels.push(level));
  reset(rtc);
  return { clock, rtc, bus: new AddressSpace('memory', root), irqLevels };
}

let logs: LogRecord[] = [];
beforeEach(() => {
  logs = [];
  logger.setMasks('guest_errors');
  logger.setSink((record) => logs.push(record));
});
afterEach(() => {
  logger.setMasks([]);
  logger.setSink(null);
});

describe('PL031 registers', () => {
  it('reads the PrimeCell identification bytes', () => {
    const { bus } = makeBoard();
    const ids = Array.from({ length: 8 }, (_, i) => bus.read(BASE + 0xfe0 + 4 * i, 4));
    expect(ids).toEqual([0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
    // The register map declares the same values for the inspector.
    expect(
      PL031_REGS.list()
        .filter((r) => r.offset >= 0xfe0)
        .map((r) => r.reset),
    ).toEqual(ids);
  });

  it("has the reset values of QEMU's model", () => {
    const { bus, irqLevels } = makeBoard();
    expect([MR, LR, IMSC, RIS, MIS].map((a) => bus.read(a, 4))).toEqual([0, 0, 0, 0, 0]);
    expect(bus.read(CR, 4)).toBe(1); // the counter always runs
    expect(bus.read(DR, 4)).toBe(START);
    expect(irqLevels).toEqual([]); // the line starts low and stays low
    expect(logs).toEqual([]);
  });

  it('DR counts whole seconds of virtual time', () => {
    const { bus, clock } = makeBoard();
    clock.advanceTo(NS_PER_SECOND - 1);
    expect(bus.read(DR, 4)).toBe(START);
    clock.advanceTo(NS_PER_SECOND);
    expect(bus.read(DR, 4)).toBe(START + 1);
    clock.advanceTo(3600 * NS_PER_SECOND + 5);
    expect(bus.read(DR, 4)).toBe(START + 3600);
  });

  it('a write to LR sets the counter, which keeps counting from there', () => {
    const { bus, clock } = makeBoard();
    clock.advanceTo(2.5 * NS_PER_SECOND);
    bus.write(LR, 4, 1000);
    expect(bus.read(LR, 4)).toBe(1000);
    expect(bus.read(DR, 4)).toBe(1000);
    clock.advanceTo(3 * NS_PER_SECOND);
    expect(bus.read(DR, 4)).toBe(1001);
  });

  it('the counter wraps at 32 bits', () => {
    const { bus, clock } = makeBoard();
    bus.write(LR, 4, 0xffffffff);
    clock.advance(NS_PER_SECOND);
    expect(bus.read(DR, 4)).toBe(0);
  });

  it('MR and IMSC read back what was written (IMSC keeps only its one bit)', () => {
    const { bus } = makeBoard();
    bus.write(MR, 4, 0xdeadbeef);
    expect(bus.read(MR, 4)).toBe(0xdeadbeef);
    bus.write(IMSC, 4, 0xffffffff);
    expect(bus.read(IMSC, 4)).toBe(1);
  });

  it('ignores writes to CR', () => {
    const { bus } = makeBoard();
    bus.write(CR, 4, 0);
    expect(bus.read(CR, 4)).toBe(1);
    expect(logs).toEqual([]);
  });

  it('logs writes to read-only registers and leaves them unchanged', () => {
    const { bus } = makeBoard();
    for (const address of [DR, RIS, MIS]) bus.write(address, 4, 0x1234);
    expect(bus.read(DR, 4)).toBe(START);
    expect(bus.read(RIS, 4)).toBe(0);
    expect(logs.map((r) => r.message)).toEqual([
      'write to read-only register DR at 0x0',
      'write to read-only register RIS at 0x14',
      'write to read-only register MIS at 0x18',
    ]);
    expect(logs.every((r) => r.mask === 'guest_errors' && r.source === '/machine/rtc')).toBe(true);
  });

  it('logs reads of the write-only ICR, and bad offsets, reading 0', () => {
    const { bus } = makeBoard();
    expect(bus.read(ICR, 4)).toBe(0);
    expect(bus.read(BASE + 0x20, 4)).toBe(0);
    expect(bus.read(BASE + 0xfdc, 4)).toBe(0);
    bus.write(BASE + 0x800, 4, 1);
    bus.write(BASE + 0xfe0, 4, 1);
    expect(logs.map((r) => r.message)).toEqual([
      'read of write-only register ICR at 0x1c',
      'read at bad offset 0x20',
      'read at bad offset 0xfdc',
      'write at bad offset 0x800',
      'write to read-only ID register at 0xfe0',
    ]);
    expect(bus.read(BASE + 0xfe0, 4)).toBe(0x31);
  });

  it('rejects accesses that are not 32 bits wide', () => {
    const { bus } = makeBoard();
    expect(bus.read(DR, 1)).toBe(0);
    expect(bus.status).toBe(MemTx.AccessError);
    bus.write(MR, 2, 0xffff);
    expect(bus.read(MR, 4)).toBe(0);
    expect(logs.length).toBe(2);
  });
});

describe('PL031 alarm', () => {
  it('raises the interrupt when DR reaches MR, at that second of virtual time', () => {
    const { bus, clock, irqLevels } = makeBoard();
    clock.advanceTo(0.25 * NS_PER_SECOND);
    bus.write(IMSC, 4, 1);
    bus.write(MR, 4, START + 10);
    clock.runUntil(10 * NS_PER_SECOND - 1);
    expect(bus.read(RIS, 4)).toBe(0);
    expect(irqLevels).toEqual([]);
    clock.runUntil(10 * NS_PER_SECOND);
    expect(bus.read(DR, 4)).toBe(START + 10);
    expect(bus.read(RIS, 4)).toBe(1);
    expect(bus.read(MIS, 4)).toBe(1);
    expect(irqLevels).toEqual([true]);
  });

  it('writing ICR clears the interrupt', () => {
    const { bus, clock, irqLevels } = makeBoard();
    bus.write(IMSC, 4, 1);
    bus.write(MR, 4, START + 1);
    clock.runUntil(NS_PER_SECOND);
    bus.write(ICR, 4, 1);
    expect(bus.read(RIS, 4)).toBe(0);
    expect(bus.read(MIS, 4)).toBe(0);
    expect(irqLevels).toEqual([true, false]);
  });

  it('a masked alarm sets RIS but not MIS or the line; unmasking raises the line', () => {
    const { bus, clock, irqLevels } = makeBoard();
    bus.write(MR, 4, START + 2);
    clock.runUntil(2 * NS_PER_SECOND);
    expect(bus.read(RIS, 4)).toBe(1);
    expect(bus.read(MIS, 4)).toBe(0);
    expect(irqLevels).toEqual([]);
    bus.write(IMSC, 4, 1);
    expect(irqLevels).toEqual([true]);
    bus.write(IMSC, 4, 0);
    expect(irqLevels).toEqual([true, false]);
  });

  it('MR equal to DR fires at once; an MR in the past waits for the counter to wrap', () => {
    const { bus, rtc, irqLevels } = makeBoard();
    bus.write(IMSC, 4, 1);
    bus.write(MR, 4, START);
    expect(irqLevels).toEqual([true]);
    bus.write(ICR, 4, 1);
    bus.write(MR, 4, START - 1);
    expect(bus.read(RIS, 4)).toBe(0);
    expect(rtc.alarmDeadline).toBe(Number.MAX_SAFE_INTEGER); // 2^32 - 1 s away: clamped, never in practice
  });

  it('moving MR or LR re-arms the alarm', () => {
    const { bus, clock, rtc } = makeBoard();
    bus.write(MR, 4, START + 100);
    expect(rtc.alarmDeadline).toBe(100 * NS_PER_SECOND);
    bus.write(MR, 4, START + 5);
    expect(rtc.alarmDeadline).toBe(5 * NS_PER_SECOND);
    bus.write(LR, 4, START + 3); // now two seconds from the match
    expect(rtc.alarmDeadline).toBe(2 * NS_PER_SECOND);
    clock.runUntil(2 * NS_PER_SECOND);
    expect(bus.read(RIS, 4)).toBe(1);
  });

  it('reset cancels the alarm and lowers the line but keeps the time', () => {
    const { bus, clock, rtc, irqLevels } = makeBoard();
    bus.write(IMSC, 4, 1);
    bus.write(MR, 4, START + 1);
    clock.runUntil(NS_PER_SECOND);
    bus.write(MR, 4, START + 50);
    reset(rtc);
    expect(irqLevels).toEqual([true, false]);
    expect(rtc.alarmDeadline).toBe(-1);
    expect([MR, IMSC, RIS].map((a) => bus.read(a, 4))).toEqual([0, 0, 0]);
    expect(bus.read(DR, 4)).toBe(START + 1);
  });
});

/** Reads words of QEMU's virt machine through its monitor (`xp`), before any guest code runs. */
function qemuWords(address: number, count: number): number[] {
  const result = spawnSync(
    'qemu-system-aarch64',
    ['-M', 'virt', '-cpu', 'cortex-a57', '-S', '-display', 'none', '-serial', 'null', '-monitor', 'stdio'],
    { input: `xp /${count}wx 0x${address.toString(16)}\nquit\n`, encoding: 'utf8', timeout: 30_000 },
  );
  if (result.error) throw result.error;
  const words: number[] = [];
  for (const match of result.stdout.matchAll(/^[0-9a-f]{16}:((?: 0x[0-9a-f]{8})+)/gm)) {
    for (const word of match[1].trim().split(' ')) words.push(Number(word));
  }
  return words;
}

describe('PL031 against QEMU (qemu-system-aarch64 -M virt, read through its monitor)', () => {
  it('reads the same registers and IDs after reset', () => {
    const clock = new VirtualClock({ mode: 'realtime' });
    const { bus } = makeBoard({ clock });
    const qemuRegs = qemuWords(BASE, 8);
    const qemuIds = qemuWords(BASE + 0xfe0, 8);
    const ours = (base: number) => Array.from({ length: 8 }, (_, i) => bus.read(base + 4 * i, 4));
    const ourRegs = ours(BASE);
    expect(qemuRegs.length).toBe(8);
    // DR is the host's time on both sides: allow for the seconds QEMU took to start.
    expect(Math.abs(ourRegs[0] - qemuRegs[0])).toBeLessThanOrEqual(5);
    expect(ourRegs.slice(1)).toEqual(qemuRegs.slice(1));
    expect(ours(BASE + 0xfe0)).toEqual(qemuIds);
  });
});

describe('PL031 as a device type', () => {
  it('is created from a machine config through the type registry', () => {
    const types = new TypeRegistry();
    types.registerType(Pl031);
    const clock = new VirtualClock({ mode: 'deterministic' });
    const rtc = types.createDevice('pl031', '/machine/rtc', { startTime: '0x10', migrateTickOffset: 'off' }, { clock });
    expect(rtc).toBeInstanceOf(Pl031);
    expect(rtc.props).toEqual({ startTime: 0x10, migrateTickOffset: false });
    expect(rtc.describe().vmstate).toEqual({ name: 'pl031', version: 1 });
    expect(() => types.createDevice('pl031', '/machine/rtc2', { startTime: -1 }, { clock })).toThrow(DeviceError);
  });
});

describe('PL031 time source', () => {
  it('in realtime mode DR starts from the host wall clock', () => {
    const clock = new VirtualClock({ mode: 'realtime' });
    const before = Math.floor(Date.now() / 1000);
    const { bus } = makeBoard({ clock });
    const dr = bus.read(DR, 4);
    expect(dr).toBeGreaterThanOrEqual(before);
    expect(dr).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
  });

  it('in deterministic mode two machines read the same dates', () => {
    const a = makeBoard();
    const b = makeBoard();
    a.clock.advanceTo(12_345 * NS_PER_SECOND);
    b.clock.advanceTo(12_345 * NS_PER_SECOND);
    expect(a.bus.read(DR, 4)).toBe(b.bus.read(DR, 4));
  });
});

describe('PL031 tracing', () => {
  it('emits pl031_read, pl031_write and pl031_alarm when enabled', () => {
    const { bus, clock } = makeBoard();
    const ring = new TraceRing(64);
    traceRegistry.addSink(ring);
    traceRegistry.enable('pl031_read');
    traceRegistry.enable('pl031_write');
    traceRegistry.enable('pl031_alarm');
    try {
      bus.write(MR, 4, START + 1);
      bus.read(MR, 4);
      clock.runUntil(NS_PER_SECOND);
      expect(ring.drain().map((r) => [r.event.name, ...r.values])).toEqual([
        ['pl031_write', 0x4, START + 1],
        ['pl031_read', 0x4, START + 1],
        ['pl031_alarm'],
      ]);
    } finally {
      traceRegistry.removeSink(ring);
      traceRegistry.disable('pl031_*');
    }
  });
});

describe('PL031 VMState', () => {
  /** Saves the clock and RTC of one board and loads them into another. */
  function migrate(from: Board, to: Board): void {
    const bytes = saveMachine([clockEntry(from.clock), entry(Pl031.vmstate, from.rtc)]);
    loadMachine(bytes, [clockEntry(to.clock), entry(Pl031.vmstate, to.rtc)]);
  }

  it('does not raise the interrupt on load when DR already equals MR and no alarm was armed', () => {
    const source = makeBoard();
    source.bus.write(IMSC, 4, 1);
    // Reset state: MR = 0, no alarm armed; make DR read 0 by loading LR = 0.
    source.bus.write(LR, 4, 0);
    source.bus.write(ICR, 4, 1);
    expect(source.bus.read(RIS, 4)).toBe(0);
    const target = makeBoard();
    migrate(source, target);
    expect(target.bus.read(RIS, 4)).toBe(0);
    expect(target.irqLevels).toEqual([]);
  });

  it('restores registers, time and the pending alarm', () => {
    const source = makeBoard();
    source.bus.write(LR, 4, 5000);
    source.bus.write(IMSC, 4, 1);
    source.bus.write(MR, 4, 5030);
    source.clock.advanceTo(7.5 * NS_PER_SECOND);
    const target = makeBoard({ props: { startTime: 42 } });
    migrate(source, target);
    expect(target.bus.read(DR, 4)).toBe(5007);
    expect(target.bus.read(MR, 4)).toBe(5030);
    expect(target.bus.read(LR, 4)).toBe(5000);
    expect(target.bus.read(IMSC, 4)).toBe(1);
    expect(target.rtc.alarmDeadline).toBe(30 * NS_PER_SECOND);
    expect(describeState(Pl031.vmstate, target.rtc)).toEqual(describeState(Pl031.vmstate, source.rtc));
    target.clock.runUntil(30 * NS_PER_SECOND);
    expect(target.irqLevels).toEqual([true]);
  });

  it('restores a raised interrupt', () => {
    const source = makeBoard();
    source.bus.write(IMSC, 4, 1);
    source.bus.write(MR, 4, START + 1);
    source.clock.runUntil(NS_PER_SECOND);
    const target = makeBoard();
    migrate(source, target);
    expect(target.bus.read(MIS, 4)).toBe(1);
    expect(target.irqLevels).toEqual([true]);
  });

  it("has QEMU's layout: six u32 then the pl031/tick-offset subsection", () => {
    const { rtc, bus } = makeBoard();
    bus.write(MR, 4, 0x11223344);
    const bytes = saveMachine([entry(Pl031.vmstate, rtc)]);
    const section = [...bytes.subarray(8)];
    const name = [...'pl031'].map((c) => c.charCodeAt(0));
    const sub = [...'pl031/tick-offset'].map((c) => c.charCodeAt(0));
    const be = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    // prettier-ignore
    expect(section).toEqual([
      0x04, ...be(1), 5, ...name, ...be(0), ...be(1),
      ...be(START), ...be(0x11223344), ...be(0), ...be(0), ...be(0), ...be(0), // tick_offset_vmstate mr lr cr im is
      0x05, sub.length, ...sub, ...be(1), ...be(START),                         // subsection: tick_offset
      0x7e, ...be(1), 0x1f,
    ]);
  });

  it("matches QEMU's own description (qemu-system-aarch64 -dump-vmstate)", () => {
    const snake = (name: string) => name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
    const size = (type: string) => ({ u8: 1, u16: 2, u32: 4, u64: 8 })[type];
    const { rtc } = makeBoard();
    const ours = describeState(Pl031.vmstate, rtc);
    const qemu = qemuDump.pl031.Description;
    expect(Pl031.vmstate.version).toBe(qemu.version_id);
    expect(Pl031.vmstate.minimumVersion).toBe(qemu.minimum_version_id);
    const mainFields = ours.filter((f) => f.type !== 'subsection');
    expect(mainFields.map((f) => [snake(f.name), size(f.type)])).toEqual(qemu.Fields.map((f) => [f.field, f.size]));
    const [sub] = qemu.Subsections;
    const ourSub = ours.find((f) => f.type === 'subsection');
    expect(ourSub?.name).toBe(sub.name);
    expect(Pl031.vmstate.subsections[0].desc.version).toBe(sub.version_id);
    expect(ourSub?.children?.map((f) => [snake(f.name), size(f.type)])).toEqual(
      sub.Fields.map((f) => [f.field, f.size]),
    );
  });

  it('without migrate-tick-offset the subsection is left out and the main field is used', () => {
    const source = makeBoard({ props: { migrateTickOffset: false } });
    source.bus.write(LR, 4, 777);
    const bytes = saveMachine([clockEntry(source.clock), entry(Pl031.vmstate, source.rtc)]);
    expect(new TextDecoder().decode(bytes).includes('pl031/tick-offset')).toBe(false);
    const target = makeBoard();
    migrate(source, target);
    expect(target.bus.read(DR, 4)).toBe(777);
  });

  it('a failed load leaves the running RTC untouched', () => {
    const source = makeBoard();
    source.bus.write(MR, 4, START + 9);
    const bytes = saveMachine([entry(Pl031.vmstate, source.rtc)]);
    const target = makeBoard();
    target.bus.write(MR, 4, START + 3);
    expect(() => loadMachine(bytes.subarray(0, bytes.length - 3), [entry(Pl031.vmstate, target.rtc)])).toThrow(
      VMStateError,
    );
    expect(target.bus.read(MR, 4)).toBe(START + 3);
    expect(target.rtc.alarmDeadline).toBe(3 * NS_PER_SECOND);
  });
});
