/** The system instruction groups, for insn/index.ts. */
import type { InsnEntry } from '../encoding';
import { EXCEPTION_INSNS } from './insn-exception';
import { HINT_INSNS } from './insn-hint';
import { SYSOP_INSNS } from './insn-sysops';
import { SYSREG_INSNS } from './insn-sysreg';

export const SYSTEM_INSNS: InsnEntry[] = [...SYSREG_INSNS, ...HINT_INSNS, ...SYSOP_INSNS, ...EXCEPTION_INSNS];
