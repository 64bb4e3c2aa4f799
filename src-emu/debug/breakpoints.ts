/**
 * Breakpoints without run-loop cost: a breakpoint replaces the decoded closure of its instruction's slot in
 * the shared code cache (DecodedPage.traps, re-installed whenever the page is invalidated). Code without
 * breakpoints runs exactly as before; the trap closure runs only for the breakpointed word.
 *
 * Breakpoints are set by virtual address, translated once when inserted (QEMU's gdb stub also resolves a
 * breakpoint against the current mapping). The trap compares the executing PC with the virtual
 * addresses set on that physical word, so the same page reached through another mapping runs normally.
 * Software (Z0) and hardware (Z1) breakpoints share the mechanism: there is no memory patching either way.
 */
import type { Cpu } from '../cpu/arm64/cpu';
import { decodeOnFirstRun, type DecodedPage } from '../cpu/arm64/code-cache';
import type { ExecFn } from '../cpu/arm64/encoding';
import { DEBUG_STOP } from '../cpu/arm64/exception-hooks';
import { debugTranslate, joinAddress } from './guest-memory';

/** Decides whether a trap stops the machine (the Debugger); called only from trap closures. */
export interface BreakpointHost {
  /** True: the vCPU stops before the instruction (the host has requested the stop). */
  breakpointHit(cpu: Cpu, address: bigint): boolean;
}

interface Slot {
  readonly page: DecodedPage;
  readonly index: number;
  /** Virtual addresses with a breakpoint on this physical word. */
  readonly addresses: Set<bigint>;
  /** The original instruction, decoded from `word`. */
  word: number;
  original: ExecFn | null;
}

export class BreakpointTable {
  private readonly byAddress = new Map<bigint, Slot>();

  constructor(private readonly host: BreakpointHost) {}

  get size(): number {
    return this.byAddress.size;
  }

  addresses(): bigint[] {
    return [...this.byAddress.keys()];
  }

  has(address: bigint): boolean {
    return this.byAddress.has(address);
  }

  /** Sets a breakpoint at a virtual address as `cpu` translates it; false when it is not mapped RAM. */
  insert(cpu: Cpu, address: bigint): boolean {
    if (this.byAddress.has(address)) return true;
    if ((address & 3n) !== 0n) return false;
    const pa = debugTranslate(cpu, address);
    const ref = pa < 0 ? null : cpu.bus.findRam(pa);
    if (ref === null) return false;
    const page = cpu.codeCache.page(ref.block, Math.floor(ref.offset / 4096));
    const index = (ref.offset & 0xfff) >>> 2;
    const traps = (page.traps ??= new Map());
    let slot = this.slotAt(page, index);
    if (slot === null) {
      slot = { page, index, addresses: new Set(), word: 0, original: null };
      traps.set(index, this.trapFor(slot, cpu));
      page.fns[index] = traps.get(index)!;
    }
    slot.addresses.add(address);
    this.byAddress.set(address, slot);
    return true;
  }

  remove(address: bigint): boolean {
    const slot = this.byAddress.get(address);
    if (slot === undefined) return false;
    this.byAddress.delete(address);
    slot.addresses.delete(address);
    if (slot.addresses.size === 0) {
      const traps = slot.page.traps!;
      traps.delete(slot.index);
      if (traps.size === 0) slot.page.traps = null;
      slot.page.fns[slot.index] = decodeOnFirstRun;
    }
    return true;
  }

  clear(): void {
    for (const address of [...this.byAddress.keys()]) this.remove(address);
  }

  private slotAt(page: DecodedPage, index: number): Slot | null {
    for (const slot of this.byAddress.values()) if (slot.page === page && slot.index === index) return slot;
    return null;
  }

  private trapFor(slot: Slot, owner: Cpu): ExecFn {
    const host = this.host;
    const decoder = owner.decoder;
    return (cpu: Cpu) => {
      const pc = joinAddress(cpu.pcLo, cpu.pcHi);
      if (slot.addresses.has(pc) && host.breakpointHit(cpu, pc)) throw DEBUG_STOP;
      // Re-decode when the guest rewrote the word (the page reset put this trap back).
      const word = slot.page.block.view.getInt32(slot.page.offset + slot.index * 4, true);
      if (slot.original === null || slot.word !== word) {
        slot.word = word;
        slot.original = decoder.lookup(word).exec(word);
      }
      slot.original(cpu);
    };
  }
}
