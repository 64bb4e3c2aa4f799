/**
 * TLB maintenance policy: what each TLBI must invalidate (ARM ARM C5.5 / D5.10), and how that maps onto the
 * Cpu's soft TLB, which caches 4 KB pieces of translations without ASID tags.
 *
 * Architecturally a stage 1 entry is tagged with an ASID unless it is global (nG = 0), and a block entry
 * covers its whole block. The soft TLB keeps neither, so this policy over-invalidates safely:
 * - ASID-scoped operations, and every change of the ASID in use, drop everything;
 * - a VA-scoped operation drops that 4 KB page, or everything when the VA lies inside a range where a
 *   block translation was cached, or when a tagged (TBI) address was cached (its entry is keyed by the
 *   tagged VA, which the operand cannot name).
 * IS ("inner shareable") forms apply to every CPU in `domain`.
 */

/** What the Cpu offers (Cpu.tlbFlush / Cpu.tlbFlushPage). */
export interface TlbTarget {
  tlbFlush(): void;
  tlbFlushPage(vaLo: number, vaHi: number): void;
}

/** Scope of an invalidation, independent of how a TLB stores entries. */
export const TlbiScope = {
  /** Every EL1&0 entry (VMALLE1). */
  All: 0,
  /** Non-global entries of one ASID (ASIDE1). */
  Asid: 1,
  /** Entries for a VA: global ones, and non-global ones of one ASID (VAE1, VALE1). */
  VaAsid: 2,
  /** Entries for a VA whatever their ASID (VAAE1, VAALE1). */
  VaAllAsids: 3,
} as const;
export type TlbiScopeValue = (typeof TlbiScope)[keyof typeof TlbiScope];

export interface TlbiOp {
  readonly name: string;
  readonly scope: TlbiScopeValue;
  /** The "L" forms: only last-level (page/block) entries need to go. */
  readonly lastLevel: boolean;
  /** The "IS" forms: broadcast to the inner shareable domain. */
  readonly broadcast: boolean;
}

/** TLBI operations of the EL1&0 regime keyed by (CRm << 3 | op2) of SYS #0, C8, CRm, op2. */
export const TLBI_OPS: ReadonlyMap<number, TlbiOp> = new Map(
  (
    [
      [3, 0, 'vmalle1is', TlbiScope.All, false],
      [3, 1, 'vae1is', TlbiScope.VaAsid, false],
      [3, 2, 'aside1is', TlbiScope.Asid, false],
      [3, 3, 'vaae1is', TlbiScope.VaAllAsids, false],
      [3, 5, 'vale1is', TlbiScope.VaAsid, true],
      [3, 7, 'vaale1is', TlbiScope.VaAllAsids, true],
      [7, 0, 'vmalle1', TlbiScope.All, false],
      [7, 1, 'vae1', TlbiScope.VaAsid, false],
      [7, 2, 'aside1', TlbiScope.Asid, false],
      [7, 3, 'vaae1', TlbiScope.VaAllAsids, false],
      [7, 5, 'vale1', TlbiScope.VaAsid, true],
      [7, 7, 'vaale1', TlbiScope.VaAllAsids, true],
    ] as const
  ).map(([crm, op2, name, scope, lastLevel]) => [(crm << 3) | op2, { name, scope, lastLevel, broadcast: crm === 3 }]),
);

/** VA named by a TLBI operand: Xt[43:0] is VA[55:12]; VA[63:56] repeat VA[55]. Writes out[0..1]. */
export function tlbiVa(xtLo: number, xtHi: number, out: Int32Array): void {
  out[0] = xtLo << 12;
  out[1] = (((xtHi << 12) | (xtLo >>> 20)) << 8) >> 8;
}

/** ASID named by a TLBI operand: Xt[63:48]. */
export function tlbiAsid(xtHi: number): number {
  return xtHi >>> 16;
}

const TWO_POW_20 = 1048576;

/** VA bits [63:12] as an exact JS number (52 bits). */
function pageNumber(vaLo: number, vaHi: number): number {
  return (vaHi >>> 0) * TWO_POW_20 + (vaLo >>> 12);
}

/** Remembers which page-number span of one VA half holds cached block translations. */
class BlockSpan {
  min = Infinity;
  max = -Infinity;

  add(first: number, last: number): void {
    if (first < this.min) this.min = first;
    if (last > this.max) this.max = last;
  }

  covers(page: number): boolean {
    return page >= this.min && page <= this.max;
  }

  clear(): void {
    this.min = Infinity;
    this.max = -Infinity;
  }
}

export class TlbPolicy {
  /** CPUs that IS operations reach (the board sets it to every vCPU's policy); includes this one. */
  domain: readonly TlbPolicy[] = [this];
  private readonly lowerBlocks = new BlockSpan();
  private readonly upperBlocks = new BlockSpan();
  private taggedCached = false;
  private readonly va = new Int32Array(2);

  constructor(private readonly target: TlbTarget) {}

  /**
   * Called for every successful translation the soft TLB may cache: records block mappings and tagged VAs
   * so later VA-scoped invalidations stay correct.
   */
  noteTranslation(vaLo: number, vaHi: number, pageSizeLog2: number): void {
    if (vaHi >> 24 !== (vaHi << 8) >> 31) this.taggedCached = true;
    if (pageSizeLog2 <= 12) return;
    const pages = 2 ** (pageSizeLog2 - 12);
    const page = pageNumber(vaLo, vaHi & 0x00ffffff);
    const first = page - (page % pages);
    ((vaHi & (1 << 23)) !== 0 ? this.upperBlocks : this.lowerBlocks).add(first, first + pages - 1);
  }

  /** Executes a TLBI (from tlbiOp) with operand Xt on this CPU, or on the whole domain for IS forms. */
  tlbi(op: TlbiOp, xtLo: number, xtHi: number): void {
    if (op.scope === TlbiScope.All || op.scope === TlbiScope.Asid) {
      if (op.broadcast) for (const p of this.domain) p.flushAll();
      else this.flushAll();
      return;
    }
    tlbiVa(xtLo, xtHi, this.va);
    if (op.broadcast) for (const p of this.domain) p.flushVa(this.va[0], this.va[1]);
    else this.flushVa(this.va[0], this.va[1]);
  }

  flushAll(): void {
    this.lowerBlocks.clear();
    this.upperBlocks.clear();
    this.taggedCached = false;
    this.target.tlbFlush();
  }

  /** Drops what translates the page of a (canonical) VA, for every ASID. */
  flushVa(vaLo: number, vaHi: number): void {
    const blocks = (vaHi & (1 << 23)) !== 0 ? this.upperBlocks : this.lowerBlocks;
    if (this.taggedCached || blocks.covers(pageNumber(vaLo, vaHi & 0x00ffffff))) this.flushAll();
    else this.target.tlbFlushPage(vaLo & ~0xfff, vaHi);
  }

  /** SCTLR_EL1 written: any change to a bit that shapes translation or permission drops everything. */
  onSctlrWrite(oldValue: number, newValue: number): void {
    // M, A, WXN, EE, E0E and the cacheability bits: cheap to be broad, SCTLR writes are rare.
    if (oldValue !== newValue) this.flushAll();
  }

  /** TCR_EL1 written: a changed TxSZ, TG, TBI, EPD, A1 or AS invalidates cached translations. */
  onTcrWrite(oldLo: number, oldHi: number, newLo: number, newHi: number): void {
    if (oldLo !== newLo || oldHi !== newHi) this.flushAll();
  }

  /**
   * TTBRn_EL1 written: the soft TLB has no ASID tags, so a changed ASID drops everything, when this TTBR
   * is the one holding the ASID (`holdsAsid`: TTBR1 if TCR_EL1.A1, else TTBR0). A new table base alone
   * needs no flush: the architecture requires software to invalidate stale entries itself.
   */
  onTtbrWrite(oldHi: number, newHi: number, holdsAsid: boolean): void {
    if (holdsAsid && (oldHi ^ newHi) >>> 16 !== 0) this.flushAll();
  }
}
