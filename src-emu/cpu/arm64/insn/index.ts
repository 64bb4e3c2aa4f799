/**
 * The encoding table: every group of entries the decoder knows. To add a group, export an
 * `InsnEntry[]` from its own file and add one import and one array element here. Order matters only
 * between entries with equally specific masks (see encoding.ts).
 */
import type { InsnEntry } from '../encoding';
import { DP_IMM } from './dp-imm';
import { DP_REG } from './dp-reg';
import { DP_REG_MISC } from './dp-reg-misc';
import { BRANCH } from './branch';
import { LDST_SINGLE } from './ldst-single';
import { LDST_PAIR } from './ldst-pair';
import { LDST_EXCL } from './ldst-exclusive';
import { SYSTEM_INSNS } from '../sys/insn';
import { SIMD_GROUPS } from '../simd/index';
import { FP_ENCODING_GROUPS } from '../fp/index';

export const ENCODING_GROUPS: ReadonlyArray<ReadonlyArray<InsnEntry>> = [
  DP_IMM,
  DP_REG,
  DP_REG_MISC,
  BRANCH,
  LDST_SINGLE,
  LDST_PAIR,
  LDST_EXCL,
  // fp/: FP arithmetic, compares, conversions and rounding (scalar and vector), FMOV immediate/register
  // simd/: AdvSIMD integer, bitwise, permutes, moves between registers (INS/DUP/UMOV/SMOV/FMOV general),
  //        MOVI/MVNI/ORR/BIC immediate, and the structure loads/stores LD1-LD4/ST1-ST4/LDnR
  ...SIMD_GROUPS,
  ...FP_ENCODING_GROUPS,
  SYSTEM_INSNS,
];
