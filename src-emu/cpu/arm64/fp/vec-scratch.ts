/**
 * A 128-bit scratch for vector FP results, so that an instruction whose destination is also a source
 * reads every source lane before any is overwritten.
 */
import type { Cpu } from '../cpu';

const scratchBuf = new ArrayBuffer(16);
export const tmp32 = new Int32Array(scratchBuf);

/** Copies the scratch to Vd: all 128 bits, or the low 64 with the high half cleared. */
export function commitTmp(cpu: Cpu, d: number, q: number): void {
  const v = cpu.v32;
  v[4 * d] = tmp32[0]!;
  v[4 * d + 1] = tmp32[1]!;
  v[4 * d + 2] = q === 1 ? tmp32[2]! : 0;
  v[4 * d + 3] = q === 1 ? tmp32[3]! : 0;
}
