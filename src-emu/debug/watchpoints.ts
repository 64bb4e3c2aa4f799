/**
 * Data watchpoints (gdb's Z2 write, Z3 read, Z4 access) on virtual address ranges. Installed as every
 * vCPU's `watch` hook (memory-access.ts) only while at least one is set: the vCPUs' TLBs are flushed and
 * accesses to a watched page are never cached again, so they all reach the slow path, which calls check().
 * Pages without watchpoints keep their fast path. A hit stops before the access (as QEMU's AArch64 stub
 * does, and as gdb expects on this architecture: it steps over the access itself).
 */
import type { Cpu } from '../cpu/arm64/cpu';
import { DEBUG_STOP } from '../cpu/arm64/exception-hooks';
import type { CpuMemory, WatchHook } from '../cpu/arm64/memory-access';
import { joinAddress } from './guest-memory';

export type WatchKind = 'write' | 'read' | 'access';

export interface Watchpoint {
  readonly address: bigint;
  readonly length: number;
  readonly kind: WatchKind;
}

/** Decides whether a hit stops the machine (the Debugger). */
export interface WatchHost {
  /** True: stop before the access (the host has requested the stop); `hitAddress` is inside the range. */
  watchpointHit(cpu: Cpu, watchpoint: Watchpoint, hitAddress: bigint): boolean;
}

interface Armed extends Watchpoint {
  /** Page numbers (address >> 12) the range touches. */
  readonly pages: readonly bigint[];
}

export class WatchpointTable implements WatchHook {
  private armed: Armed[] = [];

  constructor(
    private readonly cpus: readonly Cpu[],
    private readonly host: WatchHost,
  ) {}

  list(): Watchpoint[] {
    return this.armed.map(({ address, length, kind }) => ({ address, length, kind }));
  }

  insert(address: bigint, length: number, kind: WatchKind): boolean {
    if (length < 1 || length > 0x1000) return false;
    if (this.find(address, length, kind) >= 0) return true;
    const pages: bigint[] = [];
    for (let page = address >> 12n; page <= (address + BigInt(length) - 1n) >> 12n; page++) pages.push(page);
    this.armed.push({ address, length, kind, pages });
    this.install();
    return true;
  }

  remove(address: bigint, length: number, kind: WatchKind): boolean {
    const index = this.find(address, length, kind);
    if (index < 0) return false;
    this.armed.splice(index, 1);
    this.install();
    return true;
  }

  clear(): void {
    this.armed = [];
    this.install();
  }

  // --- WatchHook (slow path only) ------------------------------------------------------------------

  watchesPage(lo: number, hi: number): boolean {
    const page = joinAddress(lo, hi) >> 12n;
    for (const w of this.armed) if (w.pages.includes(page)) return true;
    return false;
  }

  check(cpu: CpuMemory, lo: number, hi: number, size: number, write: boolean): void {
    const start = joinAddress(lo, hi);
    const end = start + BigInt(size);
    for (const w of this.armed) {
      if (w.kind === (write ? 'read' : 'write')) continue;
      if (start >= w.address + BigInt(w.length) || end <= w.address) continue;
      const hit = start > w.address ? start : w.address;
      // Every vCPU's hook is this table, and only Cpu instances install it.
      if (this.host.watchpointHit(cpu as Cpu, w, hit)) throw DEBUG_STOP;
    }
  }

  private find(address: bigint, length: number, kind: WatchKind): number {
    return this.armed.findIndex((w) => w.address === address && w.length === length && w.kind === kind);
  }

  /** Hooks (or unhooks) every vCPU and drops cached translations so watched pages take the slow path. */
  private install(): void {
    const hook = this.armed.length > 0 ? this : null;
    for (const cpu of this.cpus) {
      cpu.watch = hook;
      cpu.tlb.flush();
    }
  }
}
