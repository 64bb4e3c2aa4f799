/**
 * A small physical memory for MMU tests: RAM at one base, bus error elsewhere, plus a page-table builder.
 * Mirrors the read64/status contract of the core AddressSpace.
 */
import type { DescriptorReader } from './walk';

export class TestRam implements DescriptorReader {
  status = 0;
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private next: number;

  constructor(
    readonly base: number,
    size: number,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.next = base;
  }

  read64(pa: number, out: Uint32Array, index: number): void {
    const off = pa - this.base;
    if (off < 0 || off + 8 > this.bytes.length) {
      this.status = 1;
      return;
    }
    this.status = 0;
    out[index] = this.view.getUint32(off, true);
    out[index + 1] = this.view.getUint32(off + 4, true);
  }

  write64(pa: number, lo: number, hi: number): void {
    this.view.setUint32(pa - this.base, lo >>> 0, true);
    this.view.setUint32(pa - this.base + 4, hi >>> 0, true);
  }

  /** A fresh zeroed (all invalid) 4 KB table. */
  allocTable(): number {
    const pa = this.next;
    this.next += 4096;
    return pa;
  }

  /** Writes a 64-bit descriptor given as a bigint (test convenience only) at table[index]. */
  setEntry(table: number, index: number, desc: bigint): void {
    this.write64(table + index * 8, Number(desc & 0xffffffffn), Number((desc >> 32n) & 0xffffffffn));
  }
}

/** Descriptor bits (4 KB granule) for building tables in tests. */
export const D = {
  TABLE: 3n,
  PAGE: 3n,
  BLOCK: 1n,
  AF: 1n << 10n,
  NG: 1n << 11n,
  AP_EL0: 1n << 6n,
  AP_RO: 1n << 7n,
  PXN: 1n << 53n,
  UXN: 1n << 54n,
  PXN_TABLE: 1n << 59n,
  UXN_TABLE: 1n << 60n,
  AP_TABLE_NO_EL0: 1n << 61n,
  AP_TABLE_RO: 1n << 62n,
  attrIndx: (n: number) => BigInt(n) << 2n,
  sh: (n: number) => BigInt(n) << 8n,
} as const;

/** lo/hi halves of a 64-bit test value. */
export function split(v: bigint): [number, number] {
  return [Number(v & 0xffffffffn) | 0, Number((v >> 32n) & 0xffffffffn) | 0];
}
