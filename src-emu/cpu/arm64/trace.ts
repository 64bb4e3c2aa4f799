/**
 * Trace events of the AArch64 CPU (enable with `--trace 'arm64_*'`): exceptions and interrupts taken, MMU
 * faults raised, soft-TLB flushes.
 *
 * Call sites test the event's live `enabled` flag before computing arguments, so a disabled event costs one
 * property test on paths that are already slow (exception entry, faults, flushes), never on the fast path.
 */
import { hex, logger } from '../../core/log';
import { traceEvents, traceRegistry, type TraceEvent } from '../../core/trace';
import { EC } from './exception-hooks';
import type { CpuMemory } from './memory-access';

export const cpuTrace = traceEvents('arm64', {
  /** Synchronous exception taken: syndrome, preferred return address and the vector entered. */
  exception: { cpu: 'u32', esr: 'u32', elr: 'u64', vector: 'u64' },
  /** IRQ or FIQ taken at a block boundary. */
  interrupt: { cpu: 'u32', kind: 'str', elr: 'u64', vector: 'u64' },
  /** Instruction or data abort raised (translation, permission, alignment or external). */
  mmu_fault: { cpu: 'u32', va: 'u64', fsc: 'u32', access: 'str', pc: 'u64' },
  tlb_flush: { cpu: 'u32' },
  tlb_flush_page: { cpu: 'u32', va: 'u64' },
});

function live(name: string): TraceEvent {
  const event = traceRegistry.event(name);
  if (event === undefined) throw new Error(`trace event '${name}' is not declared`);
  return event;
}

/** The events' live state objects: `enabled` follows `--trace` patterns. */
export const CPU_TRACE = {
  exception: live('arm64_exception'),
  interrupt: live('arm64_interrupt'),
  mmuFault: live('arm64_mmu_fault'),
  tlbFlush: live('arm64_tlb_flush'),
  tlbFlushPage: live('arm64_tlb_flush_page'),
} as const;

/** A lo/hi register pair as a trace value: a number below 2^53, else a bigint (kernel addresses). */
export function u64(lo: number, hi: number): number | bigint {
  const high = hi >>> 0;
  if (high < 0x200000) return high * 0x1_0000_0000 + (lo >>> 0);
  return (BigInt(high) << 32n) | BigInt(lo >>> 0);
}

/** Fault status code (ESR ISS[5:0]) in words, as `-d mmu` prints it. */
export function faultName(fsc: number): string {
  const level = fsc & 3;
  switch (fsc & 0x3c) {
    case 0x00:
      return `address size fault level ${level}`;
    case 0x04:
      return `translation fault level ${level}`;
    case 0x08:
      return `access flag fault level ${level}`;
    case 0x0c:
      return `permission fault level ${level}`;
    case 0x14:
      return `external abort on walk level ${level}`;
    default:
      return fsc === 0x10 ? 'external abort' : fsc === 0x21 ? 'alignment fault' : `fault ${hex(fsc, 2)}`;
  }
}

/** An abort about to be raised: the `arm64_mmu_fault` trace event and the `-d mmu` log line. */
export function reportAbort(cpu: CpuMemory, ec: number, iss: number, farLo: number, farHi: number): void {
  // Only Cpu (which extends CpuMemory) is ever passed; it carries the vCPU index.
  const index = (cpu as CpuMemory & { readonly index?: number }).index ?? 0;
  const fetch = ec === EC.InsnAbortLower || ec === EC.InsnAbortSame || ec === EC.PcAlignment;
  const access = fetch ? 'exec' : (iss & (1 << 6)) !== 0 ? 'write' : 'read';
  const fsc = ec === EC.PcAlignment ? 0x21 : iss & 0x3f;
  const va = u64(farLo, farHi);
  const pc = u64(cpu.pcLo, cpu.pcHi);
  if (CPU_TRACE.mmuFault.enabled) cpuTrace.mmu_fault(index, va, fsc, access, pc);
  if (logger.enabled('mmu')) {
    const what = ec === EC.PcAlignment ? 'PC alignment fault' : faultName(fsc);
    logger.log('mmu', `cpu${index}`, `${what} on ${access} of va ${hex(va)} at pc ${hex(pc)} (EL${cpu.el})`);
  }
}
