/**
 * Guest memory as a debugger sees it: virtual addresses through a vCPU's translation (without faulting
 * the guest), physical addresses through the address space. Only RAM and ROM are read: a debugger read
 * must never have a device side effect (popping a UART FIFO), so MMIO reads as inaccessible. Writes go
 * through the address space, so dirty tracking and decoded-code invalidation see them.
 */
import type { AddressSpace } from '../core/memory';
import type { Cpu } from '../cpu/arm64/cpu';
import { Access } from '../cpu/arm64/mmu-hook';

const PAGE = 4096;
const MASK64 = (1n << 64n) - 1n;

/** A 64-bit address as the lo/hi int32 pair the CPU uses. */
export function splitAddress(address: bigint): [lo: number, hi: number] {
  const a = address & MASK64;
  return [Number(a & 0xffffffffn) | 0, Number(a >> 32n) | 0];
}

export function joinAddress(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * Physical address of a virtual one for `cpu` (its current translation regime, EL1 permissions: mapped
 * is enough, as QEMU's debug accesses), or -1 when unmapped. Translation never raises an exception.
 */
export function debugTranslate(cpu: Cpu, address: bigint): number {
  const [lo, hi] = splitAddress(address);
  const pa = cpu.mmu.translate(lo, hi, Access.Read);
  return pa < 0 ? -1 : pa;
}

/** Reads physical RAM/ROM; null if any byte is elsewhere. */
export function readPhysical(bus: AddressSpace, pa: number, length: number): Uint8Array | null {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const ref = bus.findRam(pa + done);
    if (ref === null) return null;
    const n = Math.min(length - done, ref.start + ref.length - (pa + done));
    out.set(ref.block.bytes.subarray(ref.offset, ref.offset + n), done);
    done += n;
  }
  return out;
}

/** Writes physical RAM (not ROM, not MMIO); false if any byte cannot be written (nothing is written then). */
export function writePhysical(bus: AddressSpace, pa: number, data: Uint8Array): boolean {
  for (let i = 0; i < data.length;) {
    const ref = bus.findRam(pa + i);
    if (ref === null || ref.readonly) return false;
    i += Math.min(data.length - i, ref.start + ref.length - (pa + i));
  }
  for (let i = 0; i < data.length; i++) bus.write(pa + i, 1, data[i]!);
  return true;
}

/** Reads virtual memory page by page; null if any page is unmapped or not RAM. */
export function readVirtual(cpu: Cpu, address: bigint, length: number): Uint8Array | null {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const va = address + BigInt(done);
    const pa = debugTranslate(cpu, va);
    if (pa < 0) return null;
    const n = Math.min(length - done, PAGE - Number(va & 0xfffn));
    const bytes = readPhysical(cpu.bus, pa, n);
    if (bytes === null) return null;
    out.set(bytes, done);
    done += n;
  }
  return out;
}

/** Writes virtual memory (ignoring write permission, as a debugger does); false if any page fails. */
export function writeVirtual(cpu: Cpu, address: bigint, data: Uint8Array): boolean {
  const pieces: Array<{ pa: number; bytes: Uint8Array }> = [];
  let done = 0;
  while (done < data.length) {
    const va = address + BigInt(done);
    const pa = debugTranslate(cpu, va);
    if (pa < 0) return false;
    const n = Math.min(data.length - done, PAGE - Number(va & 0xfffn));
    pieces.push({ pa, bytes: data.subarray(done, done + n) });
    done += n;
  }
  return pieces.every((piece) => writePhysical(cpu.bus, piece.pa, piece.bytes));
}
