/**
 * The Cpu's translation hook (mmu-hook.ts) backed by the stage 1 walker: MMU off is the flat map, MMU on is
 * a walk plus a permission check for the access, and every success is reported to the TLB policy before
 * the Cpu caches it.
 */
import { Access as HookAccess } from '../mmu-hook';
import type { Mmu } from '../mmu-hook';
import type { TlbPolicy } from './tlb-policy';
import { TranslationResult } from './types';
import type { AccessType } from './types';
import { checkPermission } from './walk';
import type { Stage1Walker } from './walk';

export class Stage1Mmu implements Mmu {
  /** The last translation (for tracing and the inspector); overwritten by every call. */
  readonly last = new TranslationResult();

  constructor(
    readonly walker: Stage1Walker,
    private readonly policy: TlbPolicy,
  ) {}

  /** Physical address, or -1 - FSC on a fault (mmu-hook.ts contract). */
  translate(vaLo: number, vaHi: number, access: number): number {
    const out = this.last;
    if (!this.walker.translate(vaLo, vaHi, out)) return -1 - out.fsc;
    const el = (access & HookAccess.Unpriv) !== 0 ? 0 : 1;
    if (!checkPermission(out, (access & 3) as AccessType, el)) return -1 - out.fsc;
    this.policy.noteTranslation(vaLo, vaHi, out.pageSizeLog2);
    return out.pa;
  }
}
