/**
 * vCPU registers in GDB's AArch64 numbering (features org.gnu.gdb.aarch64.core and .fpu, the order of the
 * target description in gdbstub/target-xml.ts): x0..x30 = 0..30, sp 31, pc 32, cpsr 33 (32 bits),
 * v0..v31 = 34..65 (128 bits), fpsr 66, fpcr 67. Values are little-endian byte arrays, as the remote
 * protocol carries them. Shared by the gdb stub and the monitor.
 */
import type { Cpu } from '../cpu/arm64/cpu';
import { packPstate } from '../cpu/arm64/sys/pstate';
import { systemOf } from '../cpu/arm64/sys/install';

export const GDB_REG = { X0: 0, SP: 31, PC: 32, CPSR: 33, V0: 34, FPSR: 66, FPCR: 67, COUNT: 68 } as const;

/** Size in bytes of register n, or 0 if there is no such register. */
export function registerSize(n: number): number {
  if (n < 0 || n >= GDB_REG.COUNT) return 0;
  if (n <= GDB_REG.PC) return 8;
  if (n >= GDB_REG.V0 && n < GDB_REG.FPSR) return 16;
  return 4;
}

function put32(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = (value >>> 24) & 0xff;
}

function get32(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24) | 0;
}

/** Register n of `cpu` as little-endian bytes (empty for an unknown number). */
export function readRegister(cpu: Cpu, n: number): Uint8Array {
  const out = new Uint8Array(registerSize(n));
  if (n <= GDB_REG.SP && n >= 0) {
    put32(out, 0, cpu.x[2 * n]!);
    put32(out, 4, cpu.x[2 * n + 1]!);
  } else if (n === GDB_REG.PC) {
    put32(out, 0, cpu.pcLo);
    put32(out, 4, cpu.pcHi);
  } else if (n === GDB_REG.CPSR) {
    put32(out, 0, packPstate(cpu));
  } else if (n >= GDB_REG.V0 && n < GDB_REG.FPSR) {
    const at = (n - GDB_REG.V0) * 16;
    out.set(cpu.v8.subarray(at, at + 16));
  } else if (n === GDB_REG.FPSR) {
    put32(out, 0, cpu.fpsr);
  } else if (n === GDB_REG.FPCR) {
    put32(out, 0, cpu.fpcr);
  }
  return out;
}

/** Writes register n from little-endian bytes; false for an unknown number or a wrong size. */
export function writeRegister(cpu: Cpu, n: number, bytes: Uint8Array): boolean {
  if (registerSize(n) === 0 || bytes.length !== registerSize(n)) return false;
  if (n <= GDB_REG.SP) {
    cpu.x[2 * n] = get32(bytes, 0);
    cpu.x[2 * n + 1] = get32(bytes, 4);
  } else if (n === GDB_REG.PC) {
    cpu.pcLo = get32(bytes, 0);
    cpu.pcHi = get32(bytes, 4);
  } else if (n === GDB_REG.CPSR) {
    writePstate(cpu, get32(bytes, 0));
  } else if (n >= GDB_REG.V0 && n < GDB_REG.FPSR) {
    cpu.v8.set(bytes, (n - GDB_REG.V0) * 16);
  } else if (n === GDB_REG.FPSR) {
    cpu.fpsr = get32(bytes, 0) >>> 0;
  } else {
    cpu.fpcr = get32(bytes, 0) >>> 0;
  }
  return true;
}

/**
 * Sets PSTATE from an SPSR-format value: NZCV, DAIF, EL and SPSel (EL0 or EL1 only; other modes keep the
 * current EL). The SP bank and FP trap state follow, as on an exception return.
 */
export function writePstate(cpu: Cpu, value: number): void {
  cpu.setNzcv(value >>> 0);
  cpu.daif = (value >>> 6) & 0xf;
  const mode = value & 0xf;
  const el = mode >>> 2;
  if ((value & 0x10) === 0 && el <= 1 && (mode & 2) === 0) {
    cpu.setElAndSpSel(el, el === 0 ? 0 : mode & 1);
    systemOf(cpu).regs.updateFpAccess();
  }
}

/** Register n as an unsigned 64-bit value (for x, sp, pc, cpsr, fpsr, fpcr). */
export function registerValue(cpu: Cpu, n: number): bigint {
  const bytes = readRegister(cpu, n);
  let value = 0n;
  for (let i = Math.min(bytes.length, 8) - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}
