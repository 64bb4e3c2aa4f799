/**
 * AdvSIMD integer data processing, permutes, register moves, modified immediates and the structure
 * loads/stores: the groups this folder adds to the encoding table (insn/index.ts).
 */
import type { InsnEntry } from '../encoding';
import { SIMD_BY_ELEMENT } from './by-element';
import { SIMD_COPY } from './copy';
import { SIMD_LDST_STRUCT } from './ldst-struct';
import { SIMD_MOD_IMM } from './mod-imm';
import { SIMD_PERMUTE } from './permute';
import { SIMD_SHIFT_IMM } from './shift-imm';
import { SIMD_THREE_SAME } from './three-same';
import { SIMD_THREE_DIFF } from './three-diff';
import { SIMD_TWO_MISC } from './two-misc';

export const SIMD_GROUPS: ReadonlyArray<ReadonlyArray<InsnEntry>> = [
  SIMD_THREE_SAME,
  SIMD_TWO_MISC,
  SIMD_SHIFT_IMM,
  SIMD_COPY,
  SIMD_MOD_IMM,
  SIMD_PERMUTE,
  SIMD_LDST_STRUCT,
  SIMD_THREE_DIFF,
  SIMD_BY_ELEMENT,
];
