/**
 * Randomised differential test: one random sequence of reads, writes, zeroes, discards and flushes goes to
 * a qcow2 image and to an in-memory disk; every read must agree, and afterwards `qemu-img check` must find
 * the image clean and `qemu-img compare` equal to a raw image of the in-memory disk. Some steps issue
 * several non-overlapping requests at once to exercise the request lock.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createQcow2 } from '../image-tools';
import { openImage } from '../open-image';
import type { BlockBackend } from '../types';
import { pattern, qemuCheck, qemuCompare, qemuImg, rng, scratchDir } from '../testing/qemu';

const dir = scratchDir('diff');

/** The reference disk: a buffer, with discard defined as the block layer documents it. */
class MemoryDisk {
  constructor(
    readonly bytes: Uint8Array,
    private readonly cs: number,
    private readonly discardZeroes: boolean,
  ) {}

  write(offset: number, data: Uint8Array): void {
    this.bytes.set(data, offset);
  }

  zero(offset: number, length: number): void {
    this.bytes.fill(0, offset, offset + length);
  }

  /** Whole clusters read as zeroes afterwards (the last, partial one counts when the range reaches the end). */
  discard(offset: number, length: number): void {
    if (!this.discardZeroes) return;
    const end = offset + length;
    const first = Math.ceil(offset / this.cs) * this.cs;
    const last = end === this.bytes.length ? end : Math.floor(end / this.cs) * this.cs;
    if (last > first) this.bytes.fill(0, first, last);
  }
}

type Op = { kind: 'read' | 'write' | 'zero' | 'discard'; offset: number; length: number; seed: number };

function randomOp(next: (n: number) => number, lo: number, hi: number, cs: number, seed: number): Op {
  const kinds = ['read', 'read', 'write', 'write', 'write', 'zero', 'discard'] as const;
  const kind = kinds[next(kinds.length)]!;
  const span = hi - lo;
  const maxLength = Math.min(span, next(4) === 0 ? 4 * cs : cs + 1024);
  const length = 1 + next(maxLength);
  const aligned = next(3) === 0;
  let offset = lo + next(span - length + 1);
  if (aligned) offset = Math.min(hi - length, Math.floor(offset / 512) * 512);
  return { kind, offset: Math.max(lo, offset), length, seed };
}

async function apply(disk: BlockBackend, model: MemoryDisk, op: Op): Promise<void> {
  switch (op.kind) {
    case 'read': {
      const got = new Uint8Array(op.length);
      await disk.read(op.offset, got);
      const want = model.bytes.subarray(op.offset, op.offset + op.length);
      if (!Buffer.from(got).equals(Buffer.from(want))) {
        throw new Error(`read [${op.offset}, +${op.length}) differs from the reference (op seed ${op.seed})`);
      }
      return;
    }
    case 'write': {
      const data = pattern(op.length, op.seed);
      model.write(op.offset, data);
      return disk.write(op.offset, data);
    }
    case 'zero':
      model.zero(op.offset, op.length);
      return disk.writeZeroes(op.offset, op.length);
    case 'discard':
      model.discard(op.offset, op.length);
      return disk.discard(op.offset, op.length);
  }
}

async function runSequence(path: string, model: MemoryDisk, cs: number, seed: number, steps: number) {
  const next = rng(seed);
  let disk = await openImage(path);
  const size = model.bytes.length;
  for (let step = 0; step < steps; step++) {
    const roll = next(20);
    if (roll === 0) {
      await disk.flush();
    } else if (roll === 1) {
      await disk.close();
      disk = await openImage(path);
    } else if (roll < 5) {
      // Four requests at once, each in its own quarter of the disk (quarters are cluster-aligned).
      const quarter = Math.floor(size / 4 / cs) * cs;
      const ops = [0, 1, 2, 3].map((q) =>
        randomOp(next, q * quarter, q === 3 ? size : (q + 1) * quarter, cs, seed * 10_000 + step * 4 + q),
      );
      await Promise.all(ops.map((op) => apply(disk, model, op)));
    } else {
      await apply(disk, model, randomOp(next, 0, size, cs, seed * 10_000 + step * 4));
    }
  }
  const all = new Uint8Array(size);
  await disk.read(0, all);
  expect(Buffer.from(all).equals(Buffer.from(model.bytes))).toBe(true);
  await disk.close();
}

function expectSameAsRaw(path: string, model: MemoryDisk, label: string): void {
  const raw = join(dir, `${label}.raw`);
  writeFileSync(raw, model.bytes);
  const check = qemuCheck(path);
  expect(check.status, check.output).toBe(0);
  const compare = qemuCompare(path, raw, '-F', 'raw');
  expect(compare.status, compare.output).toBe(0);
}

describe('qcow2 differential test against an in-memory disk', () => {
  for (const [cs, seed] of [
    [512, 1],
    [4096, 2],
    [65536, 3],
  ] as const) {
    it(`${cs}-byte clusters, no backing file (seed ${seed})`, async () => {
      const path = join(dir, `plain-${cs}.qcow2`);
      const size = 64 * cs + 1536;
      await createQcow2(path, { size, clusterSize: cs });
      const model = new MemoryDisk(new Uint8Array(size), cs, true);
      await runSequence(path, model, cs, seed, 400);
      expectSameAsRaw(path, model, `plain-${cs}`);
    });
  }

  it('4096-byte clusters over a raw backing file (seed 4)', async () => {
    const cs = 4096;
    const size = 48 * cs;
    const base = join(dir, 'base.raw');
    const top = join(dir, 'overlay.qcow2');
    const baseBytes = pattern(size - 5 * cs, 99); // shorter than the overlay: the tail reads as zeroes
    writeFileSync(base, baseBytes);
    await createQcow2(top, { size, clusterSize: cs, backing: { path: 'base.raw', format: 'raw' } });
    const initial = new Uint8Array(size);
    initial.set(baseBytes);
    const model = new MemoryDisk(initial, cs, true);
    await runSequence(top, model, cs, 4, 400);
    expectSameAsRaw(top, model, 'overlay');
  });

  it('version 2 image from qemu-img, with a backing file (no zero clusters)', async () => {
    const cs = 65536;
    const size = 24 * cs;
    const base = join(dir, 'base-v2.raw');
    const top = join(dir, 'overlay-v2.qcow2');
    const baseBytes = pattern(size, 98);
    writeFileSync(base, baseBytes);
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', '-b', base, '-F', 'raw', top);
    // Discard cannot make clusters read as zeroes in version 2 over a backing file: it is a no-op there.
    const model = new MemoryDisk(baseBytes.slice(), cs, false);
    await runSequence(top, model, cs, 5, 300);
    expectSameAsRaw(top, model, 'overlay-v2');
  });
});
