/**
 * Direct kernel boot as QEMU's virt does it (hw/arm/boot.c): an arm64 Image (gzip accepted) at RAM base +
 * text_offset, an ELF at its physical addresses, or a raw binary at RAM base + 0x80000; the initrd at
 * RAM base + min(RAM/2, 128 MiB) (or after the kernel if that is higher), page aligned; the DTB at the next
 * 2 MiB boundary after the initrd. The boot CPU starts at EL1 with x0 = DTB address.
 *
 * Planning is pure: it returns what to write where, so the board (and tests) decide how to write it.
 */
import { gunzipSync } from 'node:zlib';

export class BootError extends Error {
  override name = 'BootError';
}

export type KernelFormat = 'arm64-image' | 'elf' | 'raw';

export interface Segment {
  readonly address: number;
  readonly data: Uint8Array;
  /** Bytes after data that must read as zero (ELF bss, Image's image_size beyond the file). */
  readonly zeroFill: number;
}

export interface BootPlan {
  readonly format: KernelFormat;
  readonly gzipped: boolean;
  readonly segments: Segment[];
  readonly entry: number;
  readonly initrd?: { readonly start: number; readonly end: number };
  readonly dtbAddress: number;
  /** Room the DTB may use before RAM ends (or before the ELF's lowest segment). */
  readonly dtbMaxSize: number;
  /**
   * Linux boot protocol (Image and raw): x0 = DTB address. An ELF is booted "bare-metal" as QEMU does it:
   * all registers zero and the DTB at the base of RAM when the ELF leaves room there.
   */
  readonly linuxProtocol: boolean;
}

export interface BootInput {
  readonly kernel: Uint8Array;
  readonly initrd?: Uint8Array;
  readonly ramBase: number;
  readonly ramSize: number;
}

const MiB = 1024 * 1024;
const PAGE = 4096;
const RAW_LOAD_OFFSET = 0x80000;
const IMAGE_MAGIC = 0x644d5241; // "ARM\x64" little-endian at offset 56
const EM_AARCH64 = 183;

const alignUp = (value: number, alignment: number): number => Math.ceil(value / alignment) * alignment;

function u64(view: DataView, offset: number): number {
  const value = view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 2 ** 32;
  if (value > Number.MAX_SAFE_INTEGER) throw new BootError('a 64-bit header field is beyond any supported address');
  return value;
}

export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

function gunzip(data: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(data));
  } catch (error) {
    throw new BootError(`the kernel is gzip-compressed but does not decompress: ${(error as Error).message}`);
  }
}

export function detectFormat(data: Uint8Array): KernelFormat {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length >= 64 && view.getUint32(56, true) === IMAGE_MAGIC) return 'arm64-image';
  if (data.length >= 4 && data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46) return 'elf';
  return 'raw';
}

interface LoadedKernel {
  readonly segments: Segment[];
  readonly entry: number;
  readonly highAddress: number;
}

/** arm64 Image: Documentation/arch/arm64/booting.rst, header at offset 0. */
function loadImage(data: Uint8Array, ramBase: number): LoadedKernel {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let textOffset = u64(view, 8);
  let imageSize = u64(view, 16);
  if (imageSize === 0) {
    // Kernels before 3.17 leave image_size 0 and expect text_offset 0x80000.
    textOffset = RAW_LOAD_OFFSET;
    imageSize = data.length;
  }
  const address = ramBase + textOffset;
  const segment = { address, data, zeroFill: Math.max(0, imageSize - data.length) };
  return { segments: [segment], entry: address, highAddress: address + Math.max(imageSize, data.length) };
}

function loadElf(data: Uint8Array): LoadedKernel {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 64 || data[4] !== 2) throw new BootError('only 64-bit ELF kernels are supported');
  if (data[5] !== 1) throw new BootError('the ELF kernel is big-endian; only little-endian is supported');
  const machine = view.getUint16(18, true);
  if (machine !== EM_AARCH64) throw new BootError(`the ELF kernel is for machine ${machine}, not AArch64 (183)`);
  const entry = u64(view, 24);
  const phoff = u64(view, 32);
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phoff + phnum * phentsize > data.length || phentsize < 56) throw new BootError('ELF program headers are damaged');
  const segments: Segment[] = [];
  let highAddress = 0;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (view.getUint32(ph, true) !== 1) continue; // PT_LOAD only
    const offset = u64(view, ph + 8);
    const paddr = u64(view, ph + 24);
    const filesz = u64(view, ph + 32);
    const memsz = u64(view, ph + 40);
    if (offset + filesz > data.length || memsz < filesz) throw new BootError(`ELF segment ${i} is damaged`);
    segments.push({ address: paddr, data: data.subarray(offset, offset + filesz), zeroFill: memsz - filesz });
    highAddress = Math.max(highAddress, paddr + memsz);
  }
  if (segments.length === 0) throw new BootError('the ELF kernel has no loadable segments');
  return { segments, entry, highAddress };
}

export function planBoot(input: BootInput): BootPlan {
  const { ramBase, ramSize } = input;
  const gzipped = isGzip(input.kernel);
  const kernel = gzipped ? gunzip(input.kernel) : input.kernel;
  if (kernel.length === 0) throw new BootError('the kernel file is empty');
  const format = detectFormat(kernel);
  const loaded =
    format === 'arm64-image'
      ? loadImage(kernel, ramBase)
      : format === 'elf'
        ? loadElf(kernel)
        : {
            segments: [{ address: ramBase + RAW_LOAD_OFFSET, data: kernel, zeroFill: 0 }],
            entry: ramBase + RAW_LOAD_OFFSET,
            highAddress: ramBase + RAW_LOAD_OFFSET + kernel.length,
          };
  const ramEnd = ramBase + ramSize;
  for (const s of loaded.segments) {
    if (s.address < ramBase || s.address + s.data.length + s.zeroFill > ramEnd) {
      throw new BootError(
        `the kernel needs memory at 0x${s.address.toString(16)}-0x${(s.address + s.data.length + s.zeroFill).toString(16)}, ` +
          `outside RAM 0x${ramBase.toString(16)}-0x${ramEnd.toString(16)} (give the VM more memory?)`,
      );
    }
  }

  const initrdStart = alignUp(Math.max(ramBase + Math.min(ramSize / 2, 128 * MiB), loaded.highAddress), PAGE);
  let initrd: BootPlan['initrd'];
  if (input.initrd) {
    initrd = { start: initrdStart, end: initrdStart + input.initrd.length };
    if (initrd.end > ramEnd) throw new BootError(`the initrd (${input.initrd.length} bytes) does not fit in RAM`);
    loaded.segments.push({ address: initrd.start, data: input.initrd, zeroFill: 0 });
  }
  const linuxProtocol = format !== 'elf';
  const lowest = Math.min(...loaded.segments.map((seg) => seg.address));
  if (!linuxProtocol && lowest > ramBase) {
    // QEMU's bare-metal placement (hw/arm/boot.c): DTB at the start of RAM, up to the ELF's lowest address.
    return {
      format,
      gzipped,
      segments: loaded.segments,
      entry: loaded.entry,
      ...(initrd ? { initrd } : {}),
      dtbAddress: ramBase,
      dtbMaxSize: Math.min(2 * MiB, lowest - ramBase),
      linuxProtocol,
    };
  }
  const dtbAddress = alignUp(initrd ? initrd.end : initrdStart, 2 * MiB);
  if (dtbAddress + PAGE > ramEnd) throw new BootError('no room left in RAM for the device tree');
  return {
    format,
    gzipped,
    segments: loaded.segments,
    entry: loaded.entry,
    ...(initrd ? { initrd } : {}),
    dtbAddress,
    dtbMaxSize: Math.min(2 * MiB, ramEnd - dtbAddress),
    linuxProtocol,
  };
}
