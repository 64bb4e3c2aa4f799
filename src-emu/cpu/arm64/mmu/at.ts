/**
 * AT S1E1R, S1E1W, S1E0R, S1E0W: a stage 1 translation run as a data access would be, with the outcome
 * written to PAR_EL1 (ARM ARM D13.2.102) instead of raising an exception.
 */
import { Access, FaultKind } from './types';
import type { AccessType, TranslationResult } from './types';
import { checkPermission } from './walk';
import type { Stage1Walker } from './walk';

export const PAR = {
  F: 1,
  /** Bit 11 is RES1 in the 64-bit PAR format. */
  RES1: 1 << 11,
  NS: 1 << 9,
  SH_SHIFT: 7,
  FST_SHIFT: 1,
} as const;

/** AT operations keyed by op2 of SYS #0, C7, C8, op2 (op1 = 0). */
export const AT_OPS: ReadonlyMap<number, { name: string; access: AccessType; el: number }> = new Map([
  [0, { name: 's1e1r', access: Access.Read, el: 1 }],
  [1, { name: 's1e1w', access: Access.Write, el: 1 }],
  [2, { name: 's1e0r', access: Access.Read, el: 0 }],
  [3, { name: 's1e0w', access: Access.Write, el: 0 }],
]);

/**
 * Runs an AT and writes PAR_EL1's value to out[0..1]. Returns false when the walk hit an external abort:
 * that is not reported in PAR but taken as a data abort (FSC from `result.fsc`, CM = 1), as QEMU does.
 */
export function addressTranslate(
  walker: Stage1Walker,
  vaLo: number,
  vaHi: number,
  access: AccessType,
  el: number,
  result: TranslationResult,
  out: Int32Array,
): boolean {
  const ok = walker.translate(vaLo, vaHi, result) && checkPermission(result, access, el);
  if (!ok) {
    if (result.fault === FaultKind.WalkExternal) return false;
    out[0] = PAR.RES1 | (result.fsc << PAR.FST_SHIFT) | PAR.F;
    out[1] = 0;
    return true;
  }
  const attr = result.attr;
  // Device and Normal Non-cacheable memory is reported Outer Shareable whatever the descriptor says.
  const sh = (attr & 0xf0) === 0 || attr === 0x44 ? 2 : result.shareability;
  const pa = result.pa;
  out[0] = (pa & 0xfffff000) | PAR.RES1 | PAR.NS | (sh << PAR.SH_SHIFT);
  out[1] = (Math.floor(pa / 4294967296) & 0xffff) | (attr << 24);
  return true;
}
