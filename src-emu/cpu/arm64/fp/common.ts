/**
 * What every FP/AdvSIMD entry file shares: the FP status bridge between the CPU's FPCR/FPSR fields and
 * the arithmetic library, and register and arrangement names as objdump prints them.
 */
import type { Cpu } from '../cpu';
import { FpStatus } from './softfloat/status';

/**
 * One FpStatus serves every CPU of the worker: vCPUs run one at a time, and each FP instruction loads
 * FPCR/FPSR into it first (fpEnter) and stores FPSR back after (fpLeave).
 */
const SHARED_STATUS = new FpStatus();

export function fpEnter(cpu: Cpu): FpStatus {
  SHARED_STATUS.fpcr = cpu.fpcr;
  SHARED_STATUS.fpsr = cpu.fpsr;
  return SHARED_STATUS;
}

export function fpLeave(cpu: Cpu, st: FpStatus): void {
  cpu.fpsr = st.fpsr;
}

/** Arrangement suffixes by size (0..3) and Q. */
export const ARRANGEMENT = [
  ['8b', '16b'],
  ['4h', '8h'],
  ['2s', '4s'],
  ['1d', '2d'],
] as const;

/** Element letters by size. */
export const ELEMENT = ['b', 'h', 's', 'd', 'q'] as const;

/** `v3.16b` */
export function vecName(r: number, size: number, q: number): string {
  return `v${r}.${ARRANGEMENT[size]![q]}`;
}

/** Scalar SIMD&FP register name by size: b0 h0 s0 d0 q0. */
export function scalarName(r: number, size: number): string {
  return `${ELEMENT[size]}${r}`;
}
