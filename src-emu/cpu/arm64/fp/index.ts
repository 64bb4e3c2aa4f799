/**
 * Every FP encoding group (scalar and vector floating point), registered in the CPU's table
 * (insn/index.ts) with one spread. AdvSIMD integer, moves and structure loads/stores live in ../simd.
 */
import type { InsnEntry } from '../encoding';
import { FP_SCALAR } from './insn-fp-scalar';
import { FP_CONVERT } from './insn-fp-convert';
import { SIMD_FP } from './insn-simd-fp';

export const FP_ENCODING_GROUPS: ReadonlyArray<ReadonlyArray<InsnEntry>> = [FP_SCALAR, FP_CONVERT, SIMD_FP];
