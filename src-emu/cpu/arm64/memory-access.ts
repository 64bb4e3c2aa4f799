/**
 * Guest memory access from instruction closures, and the fault helpers they use.
 *
 * Loads and stores take a virtual address as int32 lo/hi:
 *   load8/load16(lo, hi)        -> zero-extended value
 *   load32(lo, hi)              -> the 32 bits as an int32 (use `>>> 0` for unsigned)
 *   load64(lo, hi)              -> bits 31..0 as int32; bits 63..32 are left in `cpu.loadHi`
 *   store8/16/32(lo, hi, value), store64(lo, hi, valueLo, valueHi)
 * They use the current `mmuIdx` (EL0 or EL1 permissions). Fast path: one soft-TLB tag compare and a DataView
 * access (any alignment inside the page). Slow path: alignment check (SCTLR.A via `alignMask`), page-crossing
 * accesses split into bytes, translation through `cpu.mmu`, then RAM (filling the TLB) or MMIO through the
 * AddressSpace. Faults raise the architectural exception (see raise* below) and never return.
 */
import { MemTx } from '../../core/memory';
import type { AddressSpace, RamRef } from '../../core/memory';
import type { RamBlock } from '../../core/ramblock';
import { CPU_EXCEPTION, EC, ExceptionRecord, FSC, stopOnException } from './exception-hooks';
import type { ExceptionModel } from './exception-hooks';
import { Access, identityMmu } from './mmu-hook';
import type { Mmu } from './mmu-hook';
import { ExclusiveMonitor } from './monitor';
import { CpuState } from './state';
import { PAGE_MASK, SoftTlb, TLB_BITS, TLB_MASK } from './tlb';
import { CPU_TRACE, reportAbort } from './trace';
import { logger } from '../../core/log';

/**
 * The debugger's watchpoints (src-emu/debug/watchpoints.ts). Consulted only on the slow path: the debugger
 * flushes the TLBs when it sets a watchpoint and data accesses to a watched page are never cached, so
 * they all come here while the fast path is unchanged. `null` (the default) when no watchpoint is set.
 */
export interface WatchHook {
  /** The virtual page of (lo, hi) holds a watched range. */
  watchesPage(lo: number, hi: number): boolean;
  /** Before a data access to a watched page: on a hit, requests a stop and throws DEBUG_STOP. */
  check(cpu: CpuMemory, lo: number, hi: number, size: number, write: boolean): void;
}

export class CpuMemory extends CpuState {
  readonly tlb = new SoftTlb();
  readonly monitor = new ExclusiveMonitor();
  /** The syndrome of the exception being raised (valid while exceptions.takeSync runs). */
  readonly pendingException = new ExceptionRecord();
  /** Address translation: identity until mmu/ installs its own (see mmu-hook.ts). */
  mmu: Mmu = identityMmu;
  /** Exception entry: a stopping placeholder until sys/ installs its own (see exception-hooks.ts). */
  exceptions: ExceptionModel = stopOnException;
  /** -1 when SCTLR_EL1.A = 1 (every misaligned access faults), else 0. Maintained by sys/. */
  alignMask = 0;
  /** Bits 63..32 of the last load64. */
  loadHi = 0;
  /** Debugger watchpoints, or null (see WatchHook). */
  watch: WatchHook | null = null;

  private readonly unsubscribers: Array<() => void> = [];
  private readonly subscribedBlocks = new Set<RamBlock>();
  private readonly pair = new Uint32Array(2);

  constructor(readonly bus: AddressSpace) {
    super();
    this.unsubscribers.push(bus.onMapChange(() => this.tlb.flush()));
  }

  /** Stops listening to the address space and RAM blocks (the vCPU is being destroyed). */
  detachMemory(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers.length = 0;
    this.subscribedBlocks.clear();
  }

  // --- fast paths ----------------------------------------------------------------------------------

  load8(lo: number, hi: number): number {
    const t = this.tlb;
    const i = (this.mmuIdx << TLB_BITS) | ((lo >>> 12) & TLB_MASK);
    if (t.readTag[i] === (lo & PAGE_MASK) && t.pageHi[i] === hi) return t.view[i].getUint8(t.base[i] + (lo & 0xfff));
    return this.slowRead(lo, hi, 1);
  }

  load16(lo: number, hi: number): number {
    const t = this.tlb;
    const i = (this.mmuIdx << TLB_BITS) | ((lo >>> 12) & TLB_MASK);
    const off = lo & 0xfff;
    if (t.readTag[i] === (lo & PAGE_MASK) && t.pageHi[i] === hi && off < 0xfff && (lo & 1 & this.alignMask) === 0) {
      return t.view[i].getUint16(t.base[i] + off, true);
    }
    return this.slowRead(lo, hi, 2);
  }

  load32(lo: number, hi: number): number {
    const t = this.tlb;
    const i = (this.mmuIdx << TLB_BITS) | ((lo >>> 12) & TLB_MASK);
    const off = lo & 0xfff;
    if (t.readTag[i] === (lo & PAGE_MASK) && t.pageHi[i] === hi && off <= 0xffc && (lo & 3 & this.alignMask) === 0) {
      return t.view[i].getInt32(t.base[i] + off, true);
    }
    return this.slowRead(lo, hi, 4);
  }

  load64(lo: number, hi: number): number {
    const t = this.tlb;
    const i = (this.mmuIdx << TLB_BITS) | ((lo >>> 12) & TLB_MASK);
    const off = lo & 0xfff;
    if (t.readTag[i] === (lo & PAGE_MASK) && t.pageHi[i] === hi && off <= 0xff8 && (lo & 7 & this.alignMask) === 0) {
      const view = t.view[i];
      const at = t.base[i] + off;
      this.loadHi = view.getInt32(at + 4, true);
      return view.getInt32(at, true);
    }
    return this.slowRead64(lo, hi);
  }

  store8(lo: number, hi: number, value: number): void {
    const t = this.tlb;
    const i = (this.mmuIdx << TLB_BITS) | ((lo >>> 12) & TLB_MASK);
    if (t.writeTag[i] === (lo & PAGE_MASK) && t.pageHi[i] === hi) t.view[i].setUint8(t.base[i] + (lo & 0xfff), value);
    else this.slowWrite(lo, hi, 1, value, 0);
  }

  store16(lo: number, hi: number, value: number): void {
    const t = this.tlb;
    const i = (this.mmuIdx << TLB_BITS) | ((lo >>> 12) & TLB_MASK);
    const off = lo & 0xfff;
    if (t.writeTag[i] === (lo & PAGE_MASK) && t.pageHi[i] === hi && off < 0xfff && (lo & 1 & this.alignMask) === 0) {
      t.view[i].setUint16(t.base[i] + off, value, true);
    } else this.slowWrite(lo, hi, 2, value, 0);
  }

  store32(lo: number, hi: number, value: number): void {
    const t = this.tlb;
    const i = (this.mmuIdx << TLB_BITS) | ((lo >>> 12) & TLB_MASK);
    const off = lo & 0xfff;
    if (t.writeTag[i] === (lo & PAGE_MASK) && t.pageHi[i] === hi && off <= 0xffc && (lo & 3 & this.alignMask) === 0) {
      t.view[i].setInt32(t.base[i] + off, value, true);
    } else this.slowWrite(lo, hi, 4, value, 0);
  }

  store64(lo: number, hi: number, valueLo: number, valueHi: number): void {
    const t = this.tlb;
    const i = (this.mmuIdx << TLB_BITS) | ((lo >>> 12) & TLB_MASK);
    const off = lo & 0xfff;
    if (t.writeTag[i] === (lo & PAGE_MASK) && t.pageHi[i] === hi && off <= 0xff8 && (lo & 7 & this.alignMask) === 0) {
      const view = t.view[i];
      const at = t.base[i] + off;
      view.setInt32(at, valueLo, true);
      view.setInt32(at + 4, valueHi, true);
    } else this.slowWrite(lo, hi, 8, valueLo, valueHi);
  }

  // --- slow paths ----------------------------------------------------------------------------------

  private slowRead(lo: number, hi: number, size: 1 | 2 | 4): number {
    if ((lo & (size - 1) & this.alignMask) !== 0) this.raiseAlignmentFault(lo, hi, false);
    if ((lo & 0xfff) + size > 0x1000) return this.readBytewise(lo, hi, size);
    const pa = this.translateData(lo, hi, Access.Read);
    const watched = this.watch !== null && this.watchCheck(lo, hi, size, false);
    const ref = this.bus.findRam(pa);
    if (ref !== null) {
      const i = watched ? -1 : this.fillFromRam(lo, hi, ref, pa);
      if (i >= 0) this.tlb.readTag[i] = lo & PAGE_MASK;
      const view = ref.block.view;
      if (size === 4) return view.getInt32(ref.offset, true);
      return size === 2 ? view.getUint16(ref.offset, true) : view.getUint8(ref.offset);
    }
    const value = this.bus.read(pa, size);
    if (this.bus.status !== MemTx.Ok) this.raiseExternalAbort(lo, hi, false);
    return size === 4 ? value | 0 : value;
  }

  private slowRead64(lo: number, hi: number): number {
    if ((lo & 7 & this.alignMask) !== 0) this.raiseAlignmentFault(lo, hi, false);
    if ((lo & 0xfff) > 0xff8) {
      const low = this.readBytewise(lo, hi, 4);
      const upLo = (lo + 4) | 0;
      this.loadHi = this.readBytewise(upLo, upLo >>> 0 < lo >>> 0 ? (hi + 1) | 0 : hi, 4);
      return low;
    }
    const pa = this.translateData(lo, hi, Access.Read);
    const watched = this.watch !== null && this.watchCheck(lo, hi, 8, false);
    const ref = this.bus.findRam(pa);
    if (ref !== null) {
      const i = watched ? -1 : this.fillFromRam(lo, hi, ref, pa);
      if (i >= 0) this.tlb.readTag[i] = lo & PAGE_MASK;
      this.loadHi = ref.block.view.getInt32(ref.offset + 4, true);
      return ref.block.view.getInt32(ref.offset, true);
    }
    this.bus.read64(pa, this.pair, 0);
    if (this.bus.status !== MemTx.Ok) this.raiseExternalAbort(lo, hi, false);
    this.loadHi = this.pair[1] | 0;
    return this.pair[0] | 0;
  }

  /** A load that crosses a page: byte by byte, each byte through the normal path. */
  private readBytewise(lo: number, hi: number, size: number): number {
    let value = 0;
    for (let k = 0; k < size; k++) {
      const byteLo = (lo + k) | 0;
      value |= this.load8(byteLo, byteLo >>> 0 < lo >>> 0 ? (hi + 1) | 0 : hi) << (8 * k);
    }
    return size === 4 ? value | 0 : value;
  }

  private slowWrite(lo: number, hi: number, size: 1 | 2 | 4 | 8, value: number, valueHi: number): void {
    if ((lo & (size - 1) & this.alignMask) !== 0) this.raiseAlignmentFault(lo, hi, true);
    if ((lo & 0xfff) + size > 0x1000) {
      this.writeBytewise(lo, hi, size, value, valueHi);
      return;
    }
    const pa = this.translateData(lo, hi, Access.Write);
    const watched = this.watch !== null && this.watchCheck(lo, hi, size, true);
    if (size === 8) this.bus.write64(pa, value, valueHi);
    else this.bus.write(pa, size, value);
    if (this.bus.status !== MemTx.Ok) this.raiseExternalAbort(lo, hi, true);
    // The write marked the page dirty and dropped any code in it: later stores can go direct.
    const ref = this.bus.findRam(pa);
    if (ref === null || ref.readonly || watched) return;
    const page = Math.floor(ref.offset / 4096);
    if (!ref.block.isDirty(page) || ref.block.hasCode(page)) return;
    const i = this.fillFromRam(lo, hi, ref, pa);
    if (i >= 0) this.tlb.writeTag[i] = lo & PAGE_MASK;
  }

  /** A store that crosses a page: both pages are translated first, so a fault leaves memory untouched. */
  private writeBytewise(lo: number, hi: number, size: number, value: number, valueHi: number): void {
    const endLo = (lo + size - 1) | 0;
    const endHi = endLo >>> 0 < lo >>> 0 ? (hi + 1) | 0 : hi;
    this.translateData(lo, hi, Access.Write);
    this.translateData(endLo, endHi, Access.Write);
    for (let k = 0; k < size; k++) {
      const byteLo = (lo + k) | 0;
      const byte = k < 4 ? value >>> (8 * k) : valueHi >>> (8 * (k - 4));
      this.store8(byteLo, byteLo >>> 0 < lo >>> 0 ? (hi + 1) | 0 : hi, byte & 0xff);
    }
  }

  /** True when the access is on a watched page (then it must not be cached); throws on a watchpoint hit. */
  private watchCheck(lo: number, hi: number, size: number, write: boolean): boolean {
    const watch = this.watch!;
    if (!watch.watchesPage(lo, hi)) return false;
    watch.check(this, lo, hi, size, write);
    return true;
  }

  /** Translates a data access under the current mmuIdx; raises the data abort on a fault. */
  translateData(lo: number, hi: number, kind: number): number {
    const access = kind | (this.mmuIdx === 0 ? Access.Unpriv : 0);
    const pa = this.mmu.translate(lo, hi, access);
    if (pa < 0) this.raiseDataAbort(lo, hi, -1 - pa, kind === Access.Write);
    return pa;
  }

  /**
   * Points the TLB entry for (lo, hi) under the current mmuIdx at the RAM page holding `pa`, when that
   * whole page is RAM of one range. Returns the entry index, or -1 when the page cannot be mapped directly.
   */
  protected fillFromRam(lo: number, hi: number, ref: RamRef, pa: number, mmuIdx = this.mmuIdx): number {
    const inPage = pa % 4096;
    const pagePa = pa - inPage;
    if (pagePa < ref.start || pagePa + 4096 > ref.start + ref.length) return -1;
    const block = ref.block;
    if (!this.subscribedBlocks.has(block)) {
      this.subscribedBlocks.add(block);
      this.unsubscribers.push(block.onDirtyCleared(() => this.tlb.dropWrites()));
    }
    const i = (mmuIdx << TLB_BITS) | ((lo >>> 12) & TLB_MASK);
    this.tlb.fill(i, lo, hi, block, ref.offset - inPage, pagePa);
    return i;
  }

  // --- faults --------------------------------------------------------------------------------------

  /** Raises a synchronous exception with IL = 1; `returnToNext` for SVC/HVC/SMC (ELR = next instruction). */
  raiseException(ec: number, iss: number, returnToNext = false): never {
    const r = this.pendingException;
    r.esr = ((ec << 26) | (1 << 25) | (iss & 0x1ffffff)) >>> 0;
    r.farValid = 0;
    r.returnLo = this.pcLo;
    r.returnHi = this.pcHi;
    if (returnToNext) {
      r.returnLo = (this.pcLo + 4) | 0;
      if (r.returnLo === 0) r.returnHi = (this.pcHi + 1) | 0;
    }
    throw CPU_EXCEPTION;
  }

  /** UNDEFINED instruction (EC 0). */
  raiseUndefined(): never {
    return this.raiseException(EC.Unknown, 0);
  }

  raiseDataAbort(lo: number, hi: number, fsc: number, write: boolean): never {
    return this.raiseAbort(this.el === 0 ? EC.DataAbortLower : EC.DataAbortSame, (write ? 1 << 6 : 0) | fsc, lo, hi);
  }

  raiseInsnAbort(lo: number, hi: number, fsc: number): never {
    return this.raiseAbort(this.el === 0 ? EC.InsnAbortLower : EC.InsnAbortSame, fsc, lo, hi);
  }

  raiseAlignmentFault(lo: number, hi: number, write: boolean): never {
    return this.raiseDataAbort(lo, hi, FSC.Alignment, write);
  }

  /** A data access to an unassigned or rejecting physical address (QEMU: ESR 0x96000010 at EL1). */
  raiseExternalAbort(lo: number, hi: number, write: boolean): never {
    return this.raiseDataAbort(lo, hi, FSC.SyncExternal, write);
  }

  /** Instruction fetch from a misaligned PC (after BR/RET to one); FAR is the PC. */
  raisePcAlignment(lo: number, hi: number): never {
    return this.raiseAbort(EC.PcAlignment, 0, lo, hi);
  }

  private raiseAbort(ec: number, iss: number, farLo: number, farHi: number): never {
    if (CPU_TRACE.mmuFault.enabled || logger.enabled('mmu')) reportAbort(this, ec, iss, farLo, farHi);
    const r = this.pendingException;
    r.esr = ((ec << 26) | (1 << 25) | iss) >>> 0;
    r.farValid = 1;
    r.farLo = farLo;
    r.farHi = farHi;
    r.returnLo = this.pcLo;
    r.returnHi = this.pcHi;
    throw CPU_EXCEPTION;
  }
}
