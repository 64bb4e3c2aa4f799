/**
 * Register snapshots of both sides in one comparable form: name -> value as fixed-width hex text.
 *
 * QEMU's aarch64 register numbering (gdb-xml/aarch64-core.xml and aarch64-fpu.xml): x0-x30 = 0-30, sp = 31,
 * pc = 32, cpsr = 33 (32 bits); v0-v31 = 34-65 (128 bits), fpsr = 66, fpcr = 67 (32 bits). The `g` packet
 * carries the core registers only; FP registers are read one by one with `p`.
 */
import type { Cpu } from '../../src-emu/cpu/arm64/cpu';

export type Snapshot = Map<string, string>;

export const CORE_REGISTER_BYTES = 31 * 8 + 8 + 8 + 4;
export const GDB_REG = { sp: 31, pc: 32, cpsr: 33, v0: 34, fpsr: 66, fpcr: 67 } as const;

/** Little-endian target bytes as big-endian hex text (most significant digit first). */
export function bytesToHex(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  let text = '';
  for (let i = offset + length - 1; i >= offset; i--) text += bytes[i].toString(16).padStart(2, '0');
  return text;
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

function hex64(lo: number, hi: number): string {
  return hex32(hi) + hex32(lo);
}

/** The PSTATE fields lockstep compares, from a CPSR/SPSR-layout value. */
function addPstate(into: Snapshot, cpsr: number): void {
  into.set('nzcv', ((cpsr >>> 28) & 0xf).toString(2).padStart(4, '0'));
  into.set('daif', ((cpsr >>> 6) & 0xf).toString(2).padStart(4, '0'));
  into.set('el', String((cpsr >>> 2) & 3));
  into.set('spsel', String(cpsr & 1));
}

export function snapshotFromGdb(block: Uint8Array): Snapshot {
  if (block.length < CORE_REGISTER_BYTES) {
    throw new Error(`g packet has ${block.length} bytes, expected at least ${CORE_REGISTER_BYTES}`);
  }
  const s: Snapshot = new Map();
  for (let n = 0; n < 31; n++) s.set(`x${n}`, bytesToHex(block, n * 8, 8));
  s.set('sp', bytesToHex(block, 31 * 8, 8));
  s.set('pc', bytesToHex(block, 32 * 8, 8));
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  addPstate(s, view.getUint32(33 * 8, true));
  return s;
}

export function snapshotFromOrrery(cpu: Cpu): Snapshot {
  const s: Snapshot = new Map();
  for (let n = 0; n < 31; n++) s.set(`x${n}`, hex64(cpu.x[2 * n], cpu.x[2 * n + 1]));
  s.set('sp', hex64(cpu.x[62], cpu.x[63]));
  s.set('pc', hex64(cpu.pcLo, cpu.pcHi));
  const cpsr = (cpu.getNzcv() | (cpu.daif << 6) | (cpu.el << 2) | cpu.spsel) >>> 0;
  addPstate(s, cpsr);
  return s;
}

/** Adds v0-v31, fpsr and fpcr of the Orrery CPU. */
export function addOrreryFp(into: Snapshot, cpu: Cpu): void {
  for (let n = 0; n < 32; n++) {
    into.set(`v${n}`, hex64(cpu.v32[4 * n + 2], cpu.v32[4 * n + 3]) + hex64(cpu.v32[4 * n], cpu.v32[4 * n + 1]));
  }
  into.set('fpsr', hex32(cpu.fpsr));
  into.set('fpcr', hex32(cpu.fpcr));
}

export interface RegisterDiff {
  readonly name: string;
  readonly qemu: string;
  readonly orrery: string;
}

export function diffSnapshots(qemu: Snapshot, orrery: Snapshot): RegisterDiff[] {
  const diffs: RegisterDiff[] = [];
  for (const [name, value] of qemu) {
    const other = orrery.get(name);
    if (other !== undefined && other !== value) diffs.push({ name, qemu: value, orrery: other });
  }
  return diffs;
}

/** Writes a 64-bit hex value into Orrery general register n (0-30). */
export function setOrreryX(cpu: Cpu, n: number, hexValue: string): void {
  const padded = hexValue.padStart(16, '0');
  cpu.x[2 * n] = parseInt(padded.slice(8), 16) | 0;
  cpu.x[2 * n + 1] = parseInt(padded.slice(0, 8), 16) | 0;
}
