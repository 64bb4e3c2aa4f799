/**
 * Arithmetic shared by integer closures: AddWithCarry with and without flags, logical flags, conditions,
 * and the register-operand shifts/extends. `d` is a write slot index (insn/fields.ts).
 */
import type { Cpu } from '../cpu';

/** x[d] = a + b + cin (64-bit), no flags. Operands are read by the caller, so d may alias a source. */
export function adc64(cpu: Cpu, d: number, aLo: number, aHi: number, bLo: number, bHi: number, cin: number): void {
  const lo = (aLo >>> 0) + (bLo >>> 0) + cin;
  const x = cpu.x;
  x[d] = lo | 0;
  x[d + 1] = (aHi + bHi + (lo > 0xffffffff ? 1 : 0)) | 0;
}

/** x[d] = a + b + cin (64-bit), setting NZCV as AddWithCarry. */
export function adcs64(cpu: Cpu, d: number, aLo: number, aHi: number, bLo: number, bHi: number, cin: number): void {
  const lo = (aLo >>> 0) + (bLo >>> 0) + cin;
  const hiSum = (aHi >>> 0) + (bHi >>> 0) + (lo > 0xffffffff ? 1 : 0);
  const rLo = lo | 0;
  const rHi = hiSum | 0;
  const x = cpu.x;
  x[d] = rLo;
  x[d + 1] = rHi;
  cpu.n = rHi >>> 31;
  cpu.z = (rLo | rHi) === 0 ? 1 : 0;
  cpu.c = hiSum > 0xffffffff ? 1 : 0;
  cpu.v = (~(aHi ^ bHi) & (aHi ^ rHi)) >>> 31;
}

/** W result: x[d] = a + b + cin, hi word zeroed. */
export function adc32(cpu: Cpu, d: number, a: number, b: number, cin: number): void {
  const x = cpu.x;
  x[d] = (a + b + cin) | 0;
  x[d + 1] = 0;
}

export function adcs32(cpu: Cpu, d: number, a: number, b: number, cin: number): void {
  const sum = (a >>> 0) + (b >>> 0) + cin;
  const r = sum | 0;
  const x = cpu.x;
  x[d] = r;
  x[d + 1] = 0;
  cpu.n = r >>> 31;
  cpu.z = r === 0 ? 1 : 0;
  cpu.c = sum > 0xffffffff ? 1 : 0;
  cpu.v = (~(a ^ b) & (a ^ r)) >>> 31;
}

/** Flags of a logical result (ANDS, BICS): N and Z from the result, C = V = 0. */
export function logicFlags64(cpu: Cpu, lo: number, hi: number): void {
  cpu.n = hi >>> 31;
  cpu.z = (lo | hi) === 0 ? 1 : 0;
  cpu.c = 0;
  cpu.v = 0;
}

export function logicFlags32(cpu: Cpu, r: number): void {
  cpu.n = r >>> 31;
  cpu.z = r === 0 ? 1 : 0;
  cpu.c = 0;
  cpu.v = 0;
}

/** ConditionHolds (ARM ARM): cond is the 4-bit field. */
export function conditionHolds(cpu: Cpu, cond: number): boolean {
  let result: boolean;
  switch (cond >>> 1) {
    case 0:
      result = cpu.z === 1;
      break;
    case 1:
      result = cpu.c === 1;
      break;
    case 2:
      result = cpu.n === 1;
      break;
    case 3:
      result = cpu.v === 1;
      break;
    case 4:
      result = cpu.c === 1 && cpu.z === 0;
      break;
    case 5:
      result = cpu.n === cpu.v;
      break;
    case 6:
      result = cpu.n === cpu.v && cpu.z === 0;
      break;
    default:
      return true;
  }
  return (cond & 1) === 1 ? !result : result;
}

/** Shift types in register operands (bits 23..22). */
export const SHIFT_NAMES = ['lsl', 'lsr', 'asr', 'ror'] as const;

/** Extend types (option field) as objdump names them. */
export const EXTEND_NAMES = ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx'] as const;
