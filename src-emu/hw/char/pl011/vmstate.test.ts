// The PL011's migration format: QEMU's "pl011" v2 layout (checked against QEMU itself), Orrery's
// subsections, postLoad checks, and a snapshot taken mid-transfer that completes identically when restored.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Timer } from '../../../core/timer';
import {
  clockEntry,
  describe as describeState,
  entry,
  loadMachine,
  saveMachine,
  VMStateError,
} from '../../../core/vmstate';
import type { Field, VMStateDescription } from '../../../core/vmstate';
import { Pl011 } from './pl011';
import { LinuxDriver, makeBoard, R } from './test-harness';
import type { Board } from './test-harness';

// ---------------------------------------------------------------------------------------------------------
// QEMU's own description

interface QemuField {
  readonly field: string;
  readonly size: number;
  readonly Description?: QemuDescription;
}
interface QemuDescription {
  readonly name: string;
  readonly version_id: number;
  readonly minimum_version_id: number;
  readonly Fields: readonly QemuField[];
  readonly Subsections?: readonly QemuDescription[];
}

function findQemu(): string | null {
  try {
    return execFileSync('which', ['qemu-system-aarch64'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function qemuPl011Description(binary: string): QemuDescription {
  const dir = mkdtempSync(join(tmpdir(), 'pl011-vmstate-'));
  try {
    const file = join(dir, 'vmstate.json');
    execFileSync(binary, ['-M', 'virt', '-dump-vmstate', file], { stdio: 'ignore', timeout: 60_000 });
    const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { Description: QemuDescription }>;
    return all['pl011'].Description;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

const WIRE_SIZE: Record<string, number> = {
  u8: 1,
  i8: 1,
  bool: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  u64: 8,
  i64: 8,
  i64num: 8,
  f64: 8,
};

interface FlatField {
  readonly name: string;
  readonly size: number;
  readonly struct?: FlatDescription;
}
interface FlatDescription {
  readonly name: string;
  readonly version: number;
  readonly minimumVersion: number;
  readonly fields: FlatField[];
  readonly subsections: FlatDescription[];
}

/**
 * Our description as QEMU's dump shows it: the `regs` wrapper structs are inline (they put nothing on the
 * wire), names in QEMU's snake case, arrays by element size as QEMU reports them.
 */
function flatten(desc: VMStateDescription<never>): FlatDescription {
  const fields: FlatField[] = [];
  const walk = (list: readonly Field<never>[]) => {
    for (const f of list) {
      if (f.kind === 'struct' && f.key === 'regs') walk(f.desc.fields as readonly Field<never>[]);
      else if (f.kind === 'struct')
        fields.push({ name: snake(f.key), size: 0, struct: flatten(f.desc as VMStateDescription<never>) });
      else if (f.kind === 'unused') fields.push({ name: 'unused', size: f.length });
      else if (f.kind === 'scalar' || f.kind === 'array') fields.push({ name: snake(f.key), size: WIRE_SIZE[f.wire] });
      else throw new Error(`unexpected field kind ${f.kind}`);
    }
  };
  walk(desc.fields as readonly Field<never>[]);
  const subsections = desc.subsections.map((s) => {
    const flat = flatten(s.desc as VMStateDescription<never>);
    return { ...flat, name: s.name };
  });
  // Subsections of the inline `regs` structs belong to the section (clock/muldiv stays with its struct).
  return { name: desc.name, version: desc.version, minimumVersion: desc.minimumVersion, fields, subsections };
}

function qemuFlat(desc: QemuDescription): FlatDescription {
  return {
    name: desc.name,
    version: desc.version_id,
    minimumVersion: desc.minimum_version_id,
    fields: desc.Fields.map((f) =>
      f.Description ? { name: f.field, size: 0, struct: qemuFlat(f.Description) } : { name: f.field, size: f.size },
    ),
    subsections: (desc.Subsections ?? []).map(qemuFlat),
  };
}

const qemu = findQemu();

describe('QEMU compatibility of the "pl011" description', () => {
  // Without QEMU a developer machine skips this; CI must have it, so there a missing QEMU fails.
  it.skipIf(qemu === null && !process.env.CI)('matches qemu-system-aarch64 -dump-vmstate field for field', () => {
    if (qemu === null) throw new Error('qemu-system-aarch64 is required in CI (Debian package qemu-system-arm)');
    const theirs = qemuFlat(qemuPl011Description(qemu));
    const ours = flatten(Pl011.vmstate as VMStateDescription<never>);
    expect(ours.name).toBe(theirs.name);
    expect(ours.version).toBe(theirs.version);
    expect(ours.minimumVersion).toBe(theirs.minimumVersion);
    // QEMU 7.2 still names the 4 unused bytes 'readbuff' (later versions: VMSTATE_UNUSED); both are padding.
    expect(['readbuff', 'unused']).toContain(theirs.fields[0].name);
    const rename = (f: FlatField, i: number) => (i === 0 ? { ...f, name: 'unused' } : f);
    expect(ours.fields).toEqual(theirs.fields.map(rename));
    // QEMU's subsections appear in ours with the same content; Orrery's own are unknown to QEMU.
    for (const sub of theirs.subsections) {
      const mine = ours.subsections.find((s) => s.name === sub.name);
      expect(mine, sub.name).toBeDefined();
      expect(mine?.version).toBe(sub.version);
      expect(mine?.minimumVersion).toBe(sub.minimumVersion);
      expect(
        mine?.fields.map((f) => [f.name, f.struct?.fields, f.struct?.subsections.map((s) => [s.name, s.fields])]),
      ).toEqual(
        sub.fields.map((f) => [f.name, f.struct?.fields, f.struct?.subsections.map((s) => [s.name, s.fields])]),
      );
    }
    const orrery = ours.subsections.map((s) => s.name).filter((n) => !theirs.subsections.some((s) => s.name === n));
    expect(orrery.sort()).toEqual(['pl011/fifo32', 'pl011/rx-timeout', 'pl011/tx-fifo']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// A stream in QEMU's section layout, written by hand from QEMU's format (savevm.c / vmstate.c): big-endian
// fields in declaration order, subsections as 0x05 + name + version, the section framed by 0x04 ... 0x7e,
// inside Orrery's container header.

interface QemuFields {
  flags: number;
  lcr: number;
  rsr: number;
  cr: number;
  dmacr: number;
  intEnabled: number;
  intLevel: number;
  readFifo: number[];
  ilpr: number;
  ibrd: number;
  fbrd: number;
  ifl: number;
  readPos: number;
  readCount: number;
  readTrigger: number;
}

const RESET_FIELDS: QemuFields = {
  flags: 0x90,
  lcr: 0,
  rsr: 0,
  cr: 0x300,
  dmacr: 0,
  intEnabled: 0,
  intLevel: 0,
  readFifo: new Array<number>(16).fill(0),
  ilpr: 0,
  ibrd: 0,
  fbrd: 0,
  ifl: 0x12,
  readPos: 0,
  readCount: 0,
  readTrigger: 1,
};

/** UARTCLK 24 MHz in QEMU's clock units (2^-32 ns), as CLOCK_PERIOD_FROM_HZ computes it. */
const PERIOD_24MHZ = Math.floor((1e9 * 2 ** 32) / 24e6);

function qemuStream(f: QemuFields, options: { clockPeriod?: number; version?: number } = {}): Uint8Array {
  const bytes: number[] = [];
  const u8 = (v: number) => bytes.push(v & 0xff);
  const u32 = (v: number) => [24, 16, 8, 0].forEach((s) => u8(v >>> s));
  const u64 = (v: number) => {
    u32(Math.floor(v / 2 ** 32));
    u32(v >>> 0);
  };
  const name = (s: string) => {
    u8(s.length);
    for (const c of s) u8(c.charCodeAt(0));
  };
  u32(0x4f52564d); // Orrery's container: 'ORVM', format 1
  u32(1);
  u8(0x04); // QEMU_VM_SECTION_FULL
  u32(1);
  name('pl011');
  u32(0);
  u32(options.version ?? 2);
  u32(0); // the unused word
  for (const v of [f.flags, f.lcr, f.rsr, f.cr, f.dmacr, f.intEnabled, f.intLevel]) u32(v);
  for (const v of f.readFifo) u32(v);
  for (const v of [f.ilpr, f.ibrd, f.fbrd, f.ifl, f.readPos, f.readCount, f.readTrigger]) u32(v);
  if (options.clockPeriod !== undefined) {
    u8(0x05); // QEMU_VM_SUBSECTION
    name('pl011/clock');
    u32(1);
    u64(options.clockPeriod);
  }
  u8(0x7e); // QEMU_VM_SECTION_FOOTER
  u32(1);
  u8(0x1f); // QEMU_VM_EOF
  return new Uint8Array(bytes);
}

const uartEntry = (b: Board) => entry(Pl011.vmstate, b.uart);

describe('QEMU section layout', () => {
  it('a quiescent r1p4 UART writes exactly QEMU layout (with pl011/clock)', () => {
    const b = makeBoard();
    const ours = saveMachine([uartEntry(b)]);
    const expected = qemuStream({ ...RESET_FIELDS }, { clockPeriod: PERIOD_24MHZ });
    expect([...ours]).toEqual([...expected]);
  });

  it('without migrateClk the clock subsection is left out', () => {
    const b = makeBoard({ props: { migrateClk: false } });
    expect([...saveMachine([uartEntry(b)])]).toEqual([...qemuStream({ ...RESET_FIELDS })]);
  });

  it('a QEMU-layout stream loads: registers, FIFO contents across the wrap, and a fresh receive timeout', () => {
    const b = makeBoard();
    const fifo = new Array<number>(16).fill(0);
    fifo[14] = 0x61;
    fifo[15] = 0x62;
    fifo[0] = 0x63 | 0x400;
    const stream = qemuStream(
      {
        ...RESET_FIELDS,
        flags: 0x40, // QEMU's flags as saved: only what it models; ours are recomputed
        lcr: 0x70,
        cr: 0x301,
        intEnabled: 0x50,
        intLevel: 0x200,
        readFifo: fifo,
        ibrd: 13,
        fbrd: 1,
        readPos: 14,
        readCount: 3,
        readTrigger: 1,
      },
      { clockPeriod: PERIOD_24MHZ },
    );
    b.clock.runUntil(5_000_000);
    loadMachine(stream, [uartEntry(b)]);
    expect(b.read(R.CR)).toBe(0x301);
    expect(b.read(R.LCR_H)).toBe(0x70);
    expect(b.read(R.IMSC)).toBe(0x50);
    expect(b.read(R.RIS) & 0x200).toBe(0x200);
    expect(b.read(R.FR) & 0xf8).toBe(0x80); // RX FIFO not empty, TX FIFO empty
    expect(b.uart.regs.readTrigger).toBe(8); // recomputed from IFLS, not QEMU's fixed 1
    // The three characters below the trigger level get a timeout 32 bit periods after the load.
    const bitNs = (16 * (833 / 64) * 1e9) / 24e6;
    expect(Math.abs(b.uart.regs.rtDeadline - (5_000_000 + 32 * bitNs))).toBeLessThan(2);
    b.clock.runUntil(6_000_000);
    expect(b.uart.irqLines[3].level).toBe(true);
    expect([b.read(R.DR), b.read(R.DR), b.read(R.DR)]).toEqual([0x61, 0x62, 0x463]);
  });

  it('refuses versions outside 2..2', () => {
    const b = makeBoard();
    expect(() => loadMachine(qemuStream({ ...RESET_FIELDS }, { version: 1 }), [uartEntry(b)])).toThrow(
      /older than minimum/,
    );
    expect(() => loadMachine(qemuStream({ ...RESET_FIELDS }, { version: 3 }), [uartEntry(b)])).toThrow(
      /newer than supported/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// A stream written by QEMU itself: a few instructions program its PL011, then `migrate` saves the machine.

/**
 * The guest program (encodings checked with aarch64-linux-gnu-objdump):
 *   movz x0, #0x0900, lsl #16; IBRD=13; FBRD=1; LCR_H=0x70; IFLS=0x0a; IMSC=0x50; CR=0x301; DR='E'; b .
 */
const GUEST_PROGRAM = [
  0xd2a12000, 0x528001a1, 0xb9002401, 0x52800021, 0xb9002801, 0x52800e01, 0xb9002c01, 0x52800141, 0xb9003401,
  0x52800a01, 0xb9003801, 0x52806021, 0xb9003001, 0x528008a1, 0xb9000001, 0x14000000,
];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fileText(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

/** Polls until `ready()` holds; fails after `limitMs`. */
async function until(ready: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  for (let waited = 0; !ready(); waited += 50) {
    if (waited > limitMs) throw new Error(`QEMU: timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Runs the program on QEMU's virt board, migrates to a file and returns QEMU's whole stream. */
async function qemuMigrationStream(binary: string): Promise<{ stream: Uint8Array; serial: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pl011-migrate-'));
  try {
    const program = join(dir, 'program.bin');
    writeFileSync(program, new Uint8Array(new Uint32Array(GUEST_PROGRAM).buffer));
    const stream = join(dir, 'stream.bin');
    const serial = join(dir, 'serial.txt');
    const args = ['-M', 'virt', '-cpu', 'cortex-a57', '-m', '64', '-display', 'none', '-monitor', 'stdio'];
    args.push('-serial', `file:${serial}`);
    args.push('-device', `loader,file=${program},addr=0x41000000,force-raw=on`);
    args.push('-device', 'loader,addr=0x41000000,cpu-num=0');
    const qemuProcess = spawn(binary, args, { stdio: ['pipe', 'ignore', 'ignore'] });
    qemuProcess.stdin.on('error', () => {}); // a QEMU that died is reported below, not as EPIPE
    let running = true;
    const exited = new Promise<void>((resolve) =>
      qemuProcess.on('exit', () => {
        running = false;
        resolve();
      }),
    );
    try {
      // The program's last store is the 'E' on the serial line: then its registers are all written.
      await until(() => fileText(serial) === 'E' || !running, 'the guest program');
      if (!running) throw new Error('QEMU exited before the guest program ran');
      qemuProcess.stdin.write('stop\n');
      // HMP's migrate holds the monitor until the stream is complete; quit follows it.
      qemuProcess.stdin.write(`migrate "exec:cat > ${stream}"\n`);
      qemuProcess.stdin.write('quit\n');
      await exited;
    } finally {
      if (running) qemuProcess.kill();
    }
    // The stream's writer (cat) may finish just after QEMU: wait until the file stops growing.
    let size = -1;
    await until(() => {
      const now = fileText(stream).length;
      const stable = now > 0 && now === size;
      size = now;
      return stable;
    }, 'the migration stream');
    return { stream: new Uint8Array(readFileSync(stream)), serial: fileText(serial) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** QEMU's "pl011" section, from its SECTION_FULL byte through its footer, framed as an Orrery stream. */
function extractPl011Section(qemuStream: Uint8Array): Uint8Array {
  const text = Buffer.from(qemuStream);
  const name = text.indexOf(Buffer.from('\x05pl011\x00\x00\x00\x00\x00\x00\x00\x02', 'latin1'));
  expect(name).toBeGreaterThan(5);
  const start = name - 5;
  expect(qemuStream[start]).toBe(0x04);
  const id = qemuStream.subarray(start + 1, start + 5);
  const footer = text.indexOf(Buffer.from([0x7e, ...id]), name);
  expect(footer).toBeGreaterThan(name);
  const section = qemuStream.slice(start, footer + 5);
  // Orrery's container numbers its sections from 1; QEMU's id for the UART depends on the board.
  section.set([0, 0, 0, 1], 1);
  section.set([0, 0, 0, 1], section.length - 4);
  const framed = new Uint8Array(8 + section.length + 1);
  framed.set([0x4f, 0x52, 0x56, 0x4d, 0, 0, 0, 1]);
  framed.set(section, 8);
  framed[framed.length - 1] = 0x1f;
  return framed;
}

describe('a migration stream written by QEMU', () => {
  it.skipIf(qemu === null && !process.env.CI)(
    'loads into Orrery, and Orrery writes it back byte for byte',
    async () => {
      if (qemu === null) throw new Error('qemu-system-aarch64 is required in CI (Debian package qemu-system-arm)');
      const { stream, serial } = await qemuMigrationStream(qemu);
      expect(serial).toBe('E');
      const section = extractPl011Section(stream);
      const b = makeBoard();
      loadMachine(section, [uartEntry(b)]);
      expect(b.read(R.IBRD)).toBe(13);
      expect(b.read(R.FBRD)).toBe(1);
      expect(b.read(R.LCR_H)).toBe(0x70);
      expect(b.read(R.IFLS)).toBe(0x0a);
      expect(b.read(R.IMSC)).toBe(0x50);
      expect(b.read(R.CR)).toBe(0x301);
      expect(b.read(R.FR)).toBe(0x90);
      // Saved again: identical, except read_trigger, which Orrery derives from IFLS (1/4 of 16) where QEMU
      // keeps 1. The clock period travels as QEMU sent it.
      const again = saveMachine([uartEntry(b)]);
      const triggerAt = 8 + 1 + 4 + 6 + 4 + 4 + 4 + 7 * 4 + 16 * 4 + 4 * 4 + 2 * 4;
      expect(again.length).toBe(section.length);
      expect([...again.subarray(triggerAt, triggerAt + 4)]).toEqual([0, 0, 0, 4]);
      expect([...section.subarray(triggerAt, triggerAt + 4)]).toEqual([0, 0, 0, 1]);
      const withQemuTrigger = again.slice();
      withQemuTrigger.set([0, 0, 0, 1], triggerAt);
      expect([...withQemuTrigger]).toEqual([...section]);
    },
    30_000,
  );
});

describe('postLoad checks', () => {
  const rejects = (fields: Partial<QemuFields>, pattern: RegExp) => {
    const b = makeBoard();
    b.write(R.CR, 0x301);
    b.write(R.IBRD, 7);
    expect(() => loadMachine(qemuStream({ ...RESET_FIELDS, ...fields }), [uartEntry(b)])).toThrow(VMStateError);
    expect(() => loadMachine(qemuStream({ ...RESET_FIELDS, ...fields }), [uartEntry(b)])).toThrow(pattern);
    // The running device is untouched.
    expect(b.read(R.CR)).toBe(0x301);
    expect(b.read(R.IBRD)).toBe(7);
  };

  it('rejects read_pos outside the FIFO', () => rejects({ readPos: 16, lcr: 0x10 }, /read_pos 16/));
  it('rejects read_count above the FIFO depth', () => rejects({ readCount: 17, lcr: 0x10 }, /read_count 17/));
  it('rejects a negative read_count', () => rejects({ readCount: -1 >>> 0, lcr: 0x10 }, /read_count -1/));
  it('rejects more than one entry with the FIFO off', () => rejects({ readCount: 2, lcr: 0 }, /read_count 2/));

  it('an r1p4 UART refuses an r1p5 snapshot holding more than 16 characters', () => {
    const big = makeBoard({ props: { revision: 'r1p5' } });
    big.write(R.LCR_H, 0x70);
    big.write(R.CR, 0x301);
    big.line.type('x'.repeat(20));
    const stream = saveMachine([uartEntry(big)]);
    const small = makeBoard();
    expect(() => loadMachine(stream, [uartEntry(small)])).toThrow(/read_count 20 exceeds the RX FIFO depth 16/);
  });
});

describe('round trips', () => {
  it('an r1p5 UART with a full 32-entry FIFO and a wrapped TX FIFO restores exactly', () => {
    const a = makeBoard({ props: { revision: 'r1p5' } });
    a.write(R.LCR_H, 0x70);
    a.write(R.CR, 0x301);
    a.write(R.IMSC, 0x7ff);
    a.line.type(Array.from({ length: 40 }, (_, i) => 0x30 + i).join(','));
    for (let i = 0; i < 10; i++) a.read(R.DR);
    a.line.room = 0;
    for (let i = 0; i < 20; i++) a.write(R.DR, 0x41 + i);
    const stream = saveMachine([clockEntry(a.clock), uartEntry(a)]);
    const b = makeBoard({ props: { revision: 'r1p5' } });
    b.line.room = 0;
    loadMachine(stream, [clockEntry(b.clock), uartEntry(b)]);
    expect(describeState(Pl011.vmstate, b.uart)).toEqual(describeState(Pl011.vmstate, a.uart));
    expect(b.uart.irqLines.map((l) => l.level)).toEqual(a.uart.irqLines.map((l) => l.level));
    const drain = (x: Board) => Array.from({ length: 32 }, () => x.read(R.DR));
    expect(drain(b)).toEqual(drain(a));
    a.line.grant(100);
    b.line.grant(100);
    expect(b.line.output).toEqual(a.line.output);
    expect(b.line.output).toHaveLength(20);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Snapshot mid-transfer

describe('snapshot taken mid-transfer', () => {
  it('restores into a fresh device and completes identically: same bytes out, same interrupts at the same ns', () => {
    const props = { baudPacing: true };
    const a = makeBoard({ props });
    new LinuxDriver(a).startup();
    a.write(R.IMSC, 0x7f0); // RX, TX, RT and the error interrupts
    const t0 = a.clock.now();
    for (let i = 0; i < 16; i++) a.write(R.DR, 0x40 + i); // paced: one leaves now, fifteen wait
    a.line.type('xyz'); // below the RX trigger level: only the timeout will tell
    a.clock.runUntil(t0 + 150_000);
    const regs = a.uart.regs;
    expect(regs.txCount).toBeGreaterThan(0);
    expect(regs.readCount).toBe(3);
    expect(regs.rtDeadline).toBeGreaterThan(a.clock.now());

    const snapshotNs = a.clock.now();
    const stream = saveMachine([clockEntry(a.clock), uartEntry(a)]);
    const outAt = a.line.output.length;
    const irqAt = a.irqEvents.length;
    const end = snapshotNs + 3_000_000;
    // A guest timer that reads DR on both machines at the same virtual time.
    const reader = (board: Board, got: number[]) => {
      const t = new Timer(board.clock, () => got.push(board.read(R.DR)));
      t.modNs(snapshotNs + 500_000);
    };
    const gotA: number[] = [];
    reader(a, gotA);
    a.clock.runUntil(end);

    const b = makeBoard({ props });
    loadMachine(stream, [clockEntry(b.clock), uartEntry(b)]);
    expect(b.clock.now()).toBe(snapshotNs);
    const irqAtLoad = b.irqEvents.length;
    const gotB: number[] = [];
    reader(b, gotB);
    b.clock.runUntil(end);

    expect(b.line.output).toEqual(a.line.output.slice(outAt));
    expect(b.line.outputTimes).toEqual(a.line.outputTimes.slice(outAt));
    expect(b.irqEvents.slice(irqAtLoad)).toEqual(a.irqEvents.slice(irqAt));
    expect(gotB).toEqual(gotA);
    expect(gotA).toEqual([0x78]);
    // What happened is what should: all sixteen characters out, RT raised 32 bit periods after 'z'.
    expect(String.fromCharCode(...a.line.output)).toBe('@ABCDEFGHIJKLMNO');
    const bitNs = (16 * (833 / 64) * 1e9) / 24e6;
    const rt = a.irqEvents.find((e) => e.line === 3 && e.level);
    expect(Math.abs((rt?.ns ?? 0) - (t0 + 32 * bitNs))).toBeLessThan(2);
    expect(b.irqEvents.some((e) => e.line === 3 && e.level && e.ns === rt?.ns)).toBe(true);
  });
});
