/**
 * The compiled-block templates by encoding-entry name (see JitTemplate in encoding.ts). Entries without a
 * template (system, SIMD&FP, exclusives, ...) run their closure from inside the compiled block.
 */
import type { JitCode, JitTemplate } from '../encoding';
import { JitKind } from '../encoding';
import { JIT_BRANCH } from './jit-branch';
import { JIT_DP } from './jit-dp';
import { JIT_MEM } from './jit-mem';

const NOTHING: JitCode = { kind: JitKind.Plain, src: '' };

/**
 * Hints and barriers that sys/insn-hint.ts executes as NOPs (BTI and PACIASP/AUTIASP open and close most
 * kernel functions). WFE, WFI, SEV and SEVL (hints 2..5) keep their closures; keep this list in step with
 * HINT_EXEC there.
 */
const hint: JitTemplate = (w) => {
  const op = (w >>> 5) & 0x7f;
  return op >= 2 && op <= 5 ? null : NOTHING;
};

export const JIT_TEMPLATES: ReadonlyMap<string, JitTemplate> = new Map([
  ...JIT_DP,
  ...JIT_BRANCH,
  ...JIT_MEM,
  ['HINT', hint],
  ['DMB', () => NOTHING],
  ['DSB', () => NOTHING],
]);
