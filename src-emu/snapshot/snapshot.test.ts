/**
 * Snapshot files: what they record, refusing damaged or foreign files without touching the machine,
 * incremental chains against full snapshots, and diffs.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../core/ramblock';
import { VIRT_MAP } from '../machine/virt-map';
import { decodeContainer, encodeContainer, SECTION_TAGS, type Section } from './container';
import { diffSnapshots, formatDiff } from './diff';
import { virtConfigFromRecord } from './machine-config';
import { parseMetadata, encodeMetadata } from './metadata';
import { decodeRamBlock } from './ram-pages';
import { ramBaseline, readSnapshot, restoreSnapshot, saveSnapshot, SnapshotError } from './snapshot';
import {
  armEvents,
  GUEST_BIN,
  liveSectionViews,
  programMachine,
  runToStop,
  stateDifference,
  type TestMachine,
} from './test-machine';

const folder = mkdtempSync(join(tmpdir(), 'orrery-snapshots-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const MEMORY_MIB = 32;

/** mmu.elf paused at `at` ns of virtual time (its whole run takes about 145 µs). */
async function pausedAt(at: number, cpus = 1, memoryMiB = MEMORY_MIB, program = cpus > 1 ? 'smp' : 'mmu') {
  const m = programMachine(program, cpus, memoryMiB);
  armEvents(m.machine, [at], [at]);
  expect(await runToStop(m.machine)).toBe(`event@${at}`);
  return m;
}

function nonZeroPages(bytes: Uint8Array): number {
  let count = 0;
  for (let at = 0; at < bytes.length; at += PAGE_SIZE) {
    if (bytes.subarray(at, at + PAGE_SIZE).some((b) => b !== 0)) count++;
  }
  return count;
}

/** The machine's whole observable state, to check that a refused restore changed nothing. */
function fingerprint(m: TestMachine): string {
  const hash = createHash('sha256').update(m.machine.ram.ram!.bytes);
  return JSON.stringify([liveSectionViews(m.machine), hash.digest('hex'), m.machine.clock.armedCount]);
}

let good: string;
let goodBytes: Uint8Array;
let source: TestMachine;

beforeAll(async () => {
  source = await pausedAt(60_000);
  good = join(folder, 'good.orrsnap');
  await saveSnapshot(source.machine, good, {
    name: 'mmu at 60 µs',
    description: 'a test snapshot',
    config: source.record,
    createdAt: new Date('2026-01-02T03:04:05Z'),
  });
  goodBytes = new Uint8Array(readFileSync(good));
});

describe('a saved snapshot', () => {
  it('records its metadata, the machine configuration and the kernel by hash', async () => {
    const loaded = await readSnapshot(good);
    const meta = loaded.file.metadata;
    const kernel = readFileSync(join(GUEST_BIN, 'mmu.elf'));
    expect(meta).toMatchObject({
      kind: 'orrery-snapshot',
      name: 'mmu at 60 µs',
      description: 'a test snapshot',
      createdAt: '2026-01-02T03:04:05.000Z',
      parent: null,
      guestTimeNs: 60_000,
      ram: [{ name: 'ram', size: MEMORY_MIB * 1024 * 1024 }],
      machine: { board: 'virt', memoryMiB: MEMORY_MIB, cpus: 1, clockMode: 'deterministic', icountShift: 3 },
    });
    expect(meta.machine.kernel).toEqual({
      path: join(GUEST_BIN, 'mmu.elf'),
      size: kernel.length,
      sha256: createHash('sha256').update(kernel).digest('hex'),
    });
    expect(Buffer.from(meta.machine.dtb, 'base64')).toEqual(Buffer.from(source.machine.dtb));
    expect(meta.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('stores only the non-zero pages, deflated', () => {
    const sections = decodeContainer(goodBytes);
    expect(sections.map((s) => s.tag)).toEqual(['META', 'DEVS', 'RAM ']);
    const record = decodeRamBlock(sections[2]!.payload);
    const stored = record.kinds.filter((k) => k === 2).length;
    expect(stored).toBe(nonZeroPages(source.machine.ram.ram!.bytes));
    expect(stored).toBeLessThan(64);
    expect(goodBytes.length).toBeLessThan(stored * PAGE_SIZE);
  });

  it('restores into a fresh machine built from its own record', async () => {
    const loaded = await readSnapshot(good);
    const config = await virtConfigFromRecord(loaded.file.metadata.machine);
    expect(config.memoryMiB).toBe(MEMORY_MIB);
    const fresh = programMachine('mmu', 1, MEMORY_MIB);
    await restoreSnapshot(fresh.machine, good);
    expect(stateDifference(source.machine, fresh.machine)).toMatchObject({ ramPages: [] });
    expect(ramBaseline(fresh.machine)?.id).toBe(loaded.file.metadata.id);
  });
});

describe('a damaged or foreign snapshot is refused and the machine runs on as it was', () => {
  let target: TestMachine;
  let before: string;
  const damaged = join(folder, 'damaged.orrsnap');

  beforeAll(async () => {
    target = await pausedAt(90_000);
    before = fingerprint(target);
  });

  async function refused(bytes: Uint8Array, into: TestMachine = target): Promise<string> {
    writeFileSync(damaged, bytes);
    const error = await restoreSnapshot(into.machine, damaged).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SnapshotError);
    if (into === target) expect(fingerprint(target)).toBe(before);
    return (error as Error).message;
  }

  function rebuilt(edit: (sections: Section[]) => Section[]): Uint8Array {
    return Buffer.concat(encodeContainer(edit(decodeContainer(goodBytes))));
  }

  it('truncated anywhere', async () => {
    for (const length of [0, 7, 20, 100, goodBytes.length >> 1, goodBytes.length - 45, goodBytes.length - 1]) {
      expect(await refused(goodBytes.subarray(0, length))).toMatch(/not an Orrery snapshot|truncated/);
    }
  });

  it('a flipped byte anywhere (headers, each section, the trailer)', async () => {
    const positions = new Set<number>([0, 8, 11, 15, 16, 20, 30, 60, goodBytes.length - 1, goodBytes.length - 40]);
    for (let i = 0; i < 40; i++) positions.add(Math.floor((i * 7919 * 104729) % goodBytes.length));
    for (const at of positions) {
      const bytes = goodBytes.slice();
      bytes[at]! ^= 0x10;
      expect(await refused(bytes)).toMatch(
        /damaged|truncated|not an Orrery snapshot|unknown section|format version|trailer|garbage|does not/,
      );
    }
  });

  it('a damaged section is named', async () => {
    const bytes = goodBytes.slice();
    bytes[bytes.length - 100]! ^= 1; // inside the RAM section's payload
    expect(await refused(bytes)).toContain(`section "RAM " (#3) is damaged: its SHA-256 does not match`);
  });

  it('sections in the wrong order, an unknown section, a missing RAM section', async () => {
    expect(await refused(rebuilt(([meta, devs, ram]) => [devs!, meta!, ram!]))).toContain(
      'the first section is "DEVS", not "META"',
    );
    expect(await refused(rebuilt((s) => [...s, { tag: 'DISK', payload: new Uint8Array(3) }]))).toContain(
      'unknown section "DISK"',
    );
    expect(await refused(rebuilt((s) => s.slice(0, 2)))).toContain('no "RAM " section');
  });

  it('a newer format version', async () => {
    const bytes = goodBytes.slice();
    bytes[11] = 2;
    expect(await refused(bytes)).toContain('snapshot format version 2 is newer than this Orrery reads (1)');
  });

  it('metadata that is not what it claims', async () => {
    const withMeta = (edit: (meta: Record<string, unknown>) => void) =>
      rebuilt(([meta, ...rest]) => {
        const json = JSON.parse(new TextDecoder().decode(meta!.payload)) as Record<string, unknown>;
        edit(json);
        return [{ tag: SECTION_TAGS.meta, payload: new TextEncoder().encode(JSON.stringify(json)) }, ...rest];
      });
    expect(await refused(withMeta((m) => delete m.machine))).toContain('metadata: machine is missing or invalid');
    expect(await refused(withMeta((m) => (m.ram = [{ name: 'ram', size: 4096 }])))).toContain(
      'differ from the metadata',
    );
  });

  it('another RAM size or CPU count than the machine it is restored into', async () => {
    const small = await pausedAt(30_000, 1, 16);
    const smallFile = join(folder, 'small.orrsnap');
    await saveSnapshot(small.machine, smallFile, { name: 'small', config: small.record });
    expect(await refused(new Uint8Array(readFileSync(smallFile)))).toContain(
      `the snapshot's machine has 16 MiB of RAM, this machine has ${MEMORY_MIB} MiB`,
    );
    const smp = await pausedAt(30_000, 2, MEMORY_MIB);
    const smpFile = join(folder, 'smp.orrsnap');
    await saveSnapshot(smp.machine, smpFile, { name: 'smp', config: smp.record });
    expect(await refused(new Uint8Array(readFileSync(smpFile)))).toContain(
      "the snapshot's machine has 2 CPUs, this machine has 1",
    );
  });

  it('a device stream from another machine inside a well-formed file', async () => {
    const smp = await pausedAt(30_000, 2, MEMORY_MIB);
    const smpFile = join(folder, 'smp-devices.orrsnap');
    await saveSnapshot(smp.machine, smpFile, { name: 'smp', config: smp.record });
    const foreign = decodeContainer(new Uint8Array(readFileSync(smpFile)))[1]!;
    const message = await refused(rebuilt(([meta, , ram]) => [meta!, foreign, ram!]));
    expect(message).toContain("the device state does not load: section 'arm64-cpu' instance 1: unknown section");
  });

  it('a kernel file that changed since the snapshot', async () => {
    const kernelCopy = join(folder, 'kernel-copy.elf');
    writeFileSync(kernelCopy, readFileSync(join(GUEST_BIN, 'mmu.elf')));
    const meta = parseMetadata(decodeContainer(goodBytes)[0]!.payload);
    const record = { ...meta.machine, kernel: { ...meta.machine.kernel, path: kernelCopy } };
    await expect(virtConfigFromRecord(record)).resolves.toMatchObject({ memoryMiB: MEMORY_MIB });
    writeFileSync(kernelCopy, Buffer.concat([readFileSync(kernelCopy), Buffer.from([0])]));
    await expect(virtConfigFromRecord(record)).rejects.toThrow(
      `the snapshot's kernel ${kernelCopy} has changed since the snapshot was taken`,
    );
  });

  it('after all of that the machine still finishes its program', async () => {
    const expected = programMachine('mmu', 1, MEMORY_MIB);
    await runToStop(expected.machine);
    expect(await runToStop(target.machine)).toBe('poweroff');
    expect(target.serial.outputText()).toBe(expected.serial.outputText());
  });
});

describe('incremental snapshots', () => {
  const POINTS = [20_000, 40_000, 60_000, 80_000, 100_000, 120_000];

  it('a chain of depth 5 restores the same machine as full snapshots taken at the same points', async () => {
    // Two machines in lockstep (deterministic): one saves incrementally, the other saves full snapshots.
    const incremental = programMachine('mmu', 1, MEMORY_MIB);
    const full = programMachine('mmu', 1, MEMORY_MIB);
    armEvents(incremental.machine, POINTS, POINTS);
    armEvents(full.machine, POINTS, POINTS);
    const chain: string[] = [];
    for (const [i, at] of POINTS.entries()) {
      expect(await runToStop(incremental.machine)).toBe(`event@${at}`);
      expect(await runToStop(full.machine)).toBe(`event@${at}`);
      const incPath = join(folder, `inc-${i}.orrsnap`);
      const fullPath = join(folder, `full-${i}.orrsnap`);
      const meta = await saveSnapshot(incremental.machine, incPath, {
        name: `inc ${i}`,
        config: incremental.record,
        mode: 'incremental',
      });
      await saveSnapshot(full.machine, fullPath, { name: `full ${i}`, config: full.record });
      expect(meta.parent?.file).toBe(i === 0 ? undefined : `inc-${i - 1}.orrsnap`);
      chain.push(incPath);

      const composed = await readSnapshot(incPath);
      const whole = await readSnapshot(fullPath);
      expect(composed.chain.length).toBe(i + 1);
      // Stores through the soft TLB's direct path (the stack, the test's data) must reach the dirty bitmap:
      // a missed page would leave the composed image behind the full one.
      expect(Buffer.compare(composed.ramImages.get('ram')!, whole.ramImages.get('ram')!)).toBe(0);
      const stored = (path: string) =>
        decodeRamBlock(decodeContainer(new Uint8Array(readFileSync(path)))[2]!.payload).kinds.filter((k) => k === 2)
          .length;
      if (i > 0) expect(stored(incPath)).toBeLessThan(stored(fullPath) / 2);
    }

    const fromChain = programMachine('mmu', 1, MEMORY_MIB);
    const fromFull = programMachine('mmu', 1, MEMORY_MIB);
    await restoreSnapshot(fromChain.machine, chain[5]!);
    await restoreSnapshot(fromFull.machine, join(folder, 'full-5.orrsnap'));
    expect(stateDifference(fromChain.machine, fromFull.machine)).toMatchObject({ sections: [], ramPages: [] });
    expect(await runToStop(fromChain.machine)).toBe('poweroff');
    expect(await runToStop(fromFull.machine)).toBe('poweroff');
    expect(fromChain.serial.outputText()).toBe(fromFull.serial.outputText());
  });

  it('records pages that became zero since the parent', async () => {
    const m = await pausedAt(50_000);
    const base = join(folder, 'zero-base.orrsnap');
    await saveSnapshot(m.machine, base, { name: 'base', config: m.record });
    const page = 1000;
    const address = VIRT_MAP.ram.base + page * PAGE_SIZE;
    m.machine.addressSpace.write(address, 4, 0x12345678);
    const middle = join(folder, 'zero-middle.orrsnap');
    await saveSnapshot(m.machine, middle, { name: 'middle', config: m.record, mode: 'incremental' });
    m.machine.addressSpace.write(address, 4, 0);
    const last = join(folder, 'zero-last.orrsnap');
    await saveSnapshot(m.machine, last, { name: 'last', config: m.record, mode: 'incremental' });
    const record = decodeRamBlock(decodeContainer(new Uint8Array(readFileSync(last)))[2]!.payload);
    expect(record.mode).toBe('delta');
    expect(record.kinds[page]).toBe(1);
    expect((await readSnapshot(middle)).ramImages.get('ram')![page * PAGE_SIZE]).toBe(0x78);
    expect((await readSnapshot(last)).ramImages.get('ram')![page * PAGE_SIZE]).toBe(0);
  });

  it('refuses a chain whose parent was replaced or removed', async () => {
    const m = await pausedAt(50_000);
    const parent = join(folder, 'p.orrsnap');
    const child = join(folder, 'c.orrsnap');
    await saveSnapshot(m.machine, parent, { name: 'p', config: m.record });
    await saveSnapshot(m.machine, child, { name: 'c', config: m.record, mode: 'incremental' });
    const other = await pausedAt(50_000);
    await saveSnapshot(other.machine, parent, { name: 'another p', config: other.record });
    await expect(readSnapshot(child)).rejects.toThrow(/its parent .*p\.orrsnap was replaced/);
    rmSync(parent);
    await expect(readSnapshot(child)).rejects.toThrow(/its parent snapshot cannot be used: .*no such file/);
  });

  it('falls back to a full snapshot when the baseline file is gone or is the file being written', async () => {
    const m = await pausedAt(50_000);
    const path = join(folder, 'self.orrsnap');
    await saveSnapshot(m.machine, path, { name: 'one', config: m.record });
    const again = await saveSnapshot(m.machine, path, { name: 'two', config: m.record, mode: 'incremental' });
    expect(again.parent).toBeNull();
  });
});

describe('diff', () => {
  it('lists exactly the RAM pages and device fields changed between two snapshots', async () => {
    const m = await pausedAt(70_000);
    const a = join(folder, 'diff-a.orrsnap');
    const b = join(folder, 'diff-b.orrsnap');
    await saveSnapshot(m.machine, a, { name: 'a', config: m.record });
    for (const page of [3000, 3001, 5000]) m.machine.addressSpace.write(VIRT_MAP.ram.base + page * PAGE_SIZE + 8, 4, 1);
    m.machine.addressSpace.write(VIRT_MAP.rtc.base + 0x04, 4, 1234); // PL031 RTCMR
    await saveSnapshot(m.machine, b, { name: 'b', config: m.record });

    const diff = await diffSnapshots(a, b);
    expect(diff.config).toEqual([]);
    expect(diff.ram).toEqual([{ block: 'ram', pages: [3000, 3001, 5000] }]);
    // Writing MR also arms the alarm: before, DR read MR with no alarm (carried in the pl031/alarm
    // subsection); after, the alarm follows MR, so the subsection is no longer sent.
    expect(diff.sections).toEqual([{ section: 'pl031', instanceId: 0, fields: ['mr', 'pl031/alarm'] }]);
    expect(diff.disks).toEqual([]);
    expect(formatDiff(diff)).toContain('RAM ram: 3 page(s) of 4 KiB differ: 3000-3001, 5000');
    expect(formatDiff(diff)).toContain('section pl031 instance 0: 2 field(s)\n  mr');
    expect(formatDiff(await diffSnapshots(a, a))).toContain('no differences');
  });

  it('shows the CPU and clock fields that moved while the guest ran', async () => {
    const m = await pausedAt(10_000);
    const a = join(folder, 'run-a.orrsnap');
    const b = join(folder, 'run-b.orrsnap');
    await saveSnapshot(m.machine, a, { name: 'a', config: m.record });
    armEvents(m.machine, [40_000], [40_000]);
    await runToStop(m.machine);
    await saveSnapshot(m.machine, b, { name: 'b', config: m.record });
    const diff = await diffSnapshots(a, b);
    expect(diff.guestTimeNs).toEqual([10_000, 40_000]);
    const fields = (section: string) => diff.sections.find((s) => s.section === section)?.fields ?? [];
    expect(fields('virtual-clock')).toEqual(['ns']);
    expect(fields('arm64-cpu')).toContain('pc');
  });

  it('reports configuration differences instead of comparing devices of different machines', async () => {
    const small = await pausedAt(30_000, 1, 16);
    const smallFile = join(folder, 'diff-small.orrsnap');
    await saveSnapshot(small.machine, smallFile, { name: 'small', config: small.record });
    const diff = await diffSnapshots(good, smallFile);
    expect(diff.config).toContain('memoryMiB');
    expect(diff.sections).toEqual([]);
    expect(formatDiff(diff)).toContain('device state not compared');
  });
});

describe('metadata', () => {
  it('round-trips through JSON', async () => {
    const meta = (await readSnapshot(good)).file.metadata;
    expect(parseMetadata(encodeMetadata(meta))).toEqual(meta);
  });
});
