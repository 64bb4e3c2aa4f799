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

export const ENCODING_GROUPS: ReadonlyArray<ReadonlyArray<InsnEntry>> = [
  DP_IMM,
  DP_REG,
  DP_REG_MISC,
  BRANCH,
  LDST_SINGLE,
  LDST_PAIR,
  LDST_EXCL,
  // fp/: FP and AdvSIMD groups
  SYSTEM_INSNS,
];
