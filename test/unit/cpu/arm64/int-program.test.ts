// End to end: a bare-metal integer program (programs/int-selftest.S), built with binutils, runs on the Cpu
// over flat RAM until it spins at `done`; every result it stores is recomputed here in BigInt.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../../../src-emu/cpu/arm64/state';
import { getPc, makeMachine, read64, setPc } from './harness';
import { AS, LD, binutilsAvailable } from './objdump';
import { U64 } from './reference';

const LOAD_ADDRESS = 0x4008_0000;
const SOURCE = join(__dirname, 'programs', 'int-selftest.S');

function build(): { image: Uint8Array; results: number; done: number } {
  if (!binutilsAvailable()) throw new Error('aarch64-linux-gnu binutils are required to build the test program');
  const dir = mkdtempSync(join(tmpdir(), 'orrery-int-'));
  try {
    const obj = join(dir, 'p.o');
    const elf = join(dir, 'p.elf');
    const bin = join(dir, 'p.bin');
    execFileSync(AS, ['-march=armv8-a+crc', '-o', obj, SOURCE]);
    execFileSync(LD, ['-e', '_start', `-Ttext=0x${LOAD_ADDRESS.toString(16)}`, '-o', elf, obj]);
    execFileSync(AS.replace('-as', '-objcopy'), ['-O', 'binary', elf, bin]);
    const symbols = execFileSync(AS.replace('-as', '-nm'), [elf]).toString();
    const symbol = (name: string): number => {
      const match = new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(symbols);
      if (match === null) throw new Error(`no ${name} symbol`);
      return parseInt(match[1], 16);
    };
    return { image: new Uint8Array(readFileSync(bin)), results: symbol('results'), done: symbol('done') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The program's computation, step by step, in BigInt. */
function expected(): bigint[] {
  const u = (v: bigint): bigint => BigInt.asUintN(64, v);
  const s = (v: bigint, bits = 64): bigint => BigInt.asIntN(bits, v);
  let x = 0x9e3779b97f4a7c15n;
  const array: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    x = u(x ^ (x << 13n));
    x = u(x ^ (x >> 7n));
    x = u(x ^ (x << 17n));
    array.push(x);
  }
  array.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let h = 0n;
  let crc = 0xffffffffn;
  array.forEach((a, i) => {
    const t = (a / BigInt(i + 3)) ^ a;
    const hi = (a * h) >> 64n;
    h = u(u(h * 31n + t) + hi);
    for (let bit = 0n; bit < 64n; bit++) {
      const set = ((crc ^ (a >> bit)) & 1n) === 1n;
      crc >>= 1n;
      if (set) crc ^= 0x82f63b78n;
    }
  });
  const fib = (n: number): bigint => (n < 2 ? BigInt(n) : fib(n - 1) + fib(n - 2));
  let acc = 0n;
  for (const a of array) {
    const x4 = s(a) >> 5n;
    const x6 = x4 / -7n;
    const x10 = u((s(a) * x4) >> 64n);
    acc = u(acc + s(a & 0xffffffffn, 32) * s(u(x6) & 0xffffffffn, 32));
    const x11 = x6 >= 0n ? x10 : u(-x6);
    acc ^= u((x11 >> 11n) | (x11 << 53n));
  }
  let byteSum = 0n;
  const bytes = array.flatMap((a) => Array.from({ length: 8 }, (_, k) => (a >> BigInt(8 * k)) & 0xffn));
  for (let j = 63; j >= 0; j--) byteSum = u(byteSum + s(bytes[j], 8));
  return [h, crc, fib(20), acc, byteSum, 300n, ...bytes.slice(0, 64).reverse().slice(0, 8)];
}

describe('bare-metal integer program', () => {
  // Interpreted closures only, then every block compiled on its first run (block-compiler.ts).
  it.each([
    ['closures', { jit: { threshold: 0 } }],
    ['compiled blocks', { jit: { threshold: 1 } }],
  ])('runs to its final loop and stores the results BigInt predicts (%s)', (_name, options) => {
    const { image, results, done } = build();
    const m = makeMachine(16 << 20, options);
    m.bus.writeBytes(LOAD_ADDRESS, image);
    setPc(m.cpu, LOAD_ADDRESS);
    let total = 0;
    while (getPc(m.cpu) !== BigInt(done) && total < 5_000_000) total += m.cpu.run(10_000);
    expect(m.cpu.stopReason).toBe(StopReason.Budget);
    expect(getPc(m.cpu)).toBe(BigInt(done));
    const want = expected();
    const got = [0, 8, 16, 24, 32, 40].map((off) => read64(m, results + off));
    const copied = new Uint8Array(8);
    m.bus.readBytes(results + 64, copied);
    expect([...got, ...Array.from(copied, (b) => BigInt(b))].map((v) => v.toString(16))).toEqual(
      want.map((v) => (v & U64).toString(16)),
    );
  });
});
