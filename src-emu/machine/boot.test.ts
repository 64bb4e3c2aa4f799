import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../../test/support/tools';
import { BootError, planBoot } from './boot';
import { decodeFdt, findNode, readCells } from './fdt';

const dir = mkdtempSync(join(tmpdir(), 'orrery-boot-'));
const RAM = 0x4000_0000;
const MiB = 1024 * 1024;

/** A file with an arm64 Image header (Documentation/arch/arm64/booting.rst). */
function fakeImage(textOffset: number, imageSize: number, length = 64 * 1024): Uint8Array {
  const data = new Uint8Array(length);
  const view = new DataView(data.buffer);
  view.setUint32(0, 0x14000000, true); // b .
  view.setUint32(8, textOffset, true);
  view.setUint32(16, imageSize, true);
  view.setUint32(56, 0x644d5241, true);
  return data;
}

/** Where QEMU 7.2 puts the initrd for the same kernel, RAM size and initrd (read from its DTB). */
function qemuInitrdStart(kernel: Uint8Array, ramMiB: number, initrdBytes: number): number {
  const kernelFile = join(dir, 'k');
  const initrdFile = join(dir, 'i');
  const dtbFile = join(dir, 'd.dtb');
  writeFileSync(kernelFile, kernel);
  writeFileSync(initrdFile, new Uint8Array(initrdBytes));
  execFileSync(
    requireTool('qemu-system-aarch64'),
    [
      '-M',
      `virt,dumpdtb=${dtbFile}`,
      '-cpu',
      'cortex-a57',
      '-m',
      String(ramMiB),
      '-nographic',
      '-kernel',
      kernelFile,
      '-initrd',
      initrdFile,
    ],
    { stdio: 'pipe' },
  );
  const chosen = findNode(decodeFdt(new Uint8Array(readFileSync(dtbFile))).root, '/chosen')!;
  return readCells(chosen.props.get('linux,initrd-start')!).reduce((v, c) => v * 2 ** 32 + c, 0);
}

describe('planBoot', () => {
  it('loads an arm64 Image at RAM base + text_offset and enters there', () => {
    const plan = planBoot({ kernel: fakeImage(0x80000, 8 * MiB), ramBase: RAM, ramSize: 256 * MiB });
    expect(plan.format).toBe('arm64-image');
    expect(plan.linuxProtocol).toBe(true);
    expect(plan.entry).toBe(0x4008_0000);
    expect(plan.segments[0]).toMatchObject({ address: 0x4008_0000, zeroFill: 8 * MiB - 64 * 1024 });
  });

  it('places initrd and DTB where QEMU does (specs/cpu.md: DTB 0x48000000, or 0x48200000 after 1 MB)', () => {
    const kernel = fakeImage(0x80000, 8 * MiB);
    expect(planBoot({ kernel, ramBase: RAM, ramSize: 256 * MiB }).dtbAddress).toBe(0x4800_0000);
    const withInitrd = planBoot({ kernel, initrd: new Uint8Array(MiB), ramBase: RAM, ramSize: 256 * MiB });
    expect(withInitrd.initrd).toEqual({ start: 0x4800_0000, end: 0x4810_0000 });
    expect(withInitrd.dtbAddress).toBe(0x4820_0000);
  });

  it('matches QEMU initrd placement for small RAM and for a kernel larger than the default slot', () => {
    const small = fakeImage(0x80000, 4 * MiB);
    expect(
      planBoot({ kernel: small, initrd: new Uint8Array(5000), ramBase: RAM, ramSize: 64 * MiB }).initrd?.start,
    ).toBe(qemuInitrdStart(small, 64, 5000));
    const big = fakeImage(0x200000, 40 * MiB);
    expect(planBoot({ kernel: big, initrd: new Uint8Array(5000), ramBase: RAM, ramSize: 64 * MiB }).initrd?.start).toBe(
      qemuInitrdStart(big, 64, 5000),
    );
  });

  it('accepts a gzip-compressed Image', () => {
    const plan = planBoot({ kernel: gzipSync(fakeImage(0x80000, MiB)), ramBase: RAM, ramSize: 64 * MiB });
    expect(plan).toMatchObject({ format: 'arm64-image', gzipped: true, entry: 0x4008_0000 });
  });

  it('treats image_size 0 as an old kernel expecting text_offset 0x80000', () => {
    expect(planBoot({ kernel: fakeImage(0x1234, 0), ramBase: RAM, ramSize: 64 * MiB }).entry).toBe(0x4008_0000);
  });

  it('loads an ELF built by the cross toolchain at its physical addresses', () => {
    const source = join(dir, 'entry.S');
    const object = join(dir, 'entry.o');
    const elf = join(dir, 'entry.elf');
    writeFileSync(
      source,
      '.text\n.global _start\n_start: nop\n b _start\n.data\n.word 0x11223344\n.bss\n.space 8192\n',
    );
    execFileSync(requireTool('aarch64-linux-gnu-as'), ['-o', object, source]);
    execFileSync(requireTool('aarch64-linux-gnu-ld'), [
      '-Ttext=0x40100000',
      '-Tdata=0x40200000',
      '-e',
      '_start',
      '-o',
      elf,
      object,
    ]);
    const plan = planBoot({ kernel: new Uint8Array(readFileSync(elf)), ramBase: RAM, ramSize: 64 * MiB });
    expect(plan.format).toBe('elf');
    expect(plan.entry).toBe(0x4010_0000);
    // Bare-metal protocol, as QEMU: DTB at the base of RAM, below the ELF; x0 is not the DTB.
    expect(plan).toMatchObject({ linuxProtocol: false, dtbAddress: RAM });
    expect(plan.dtbMaxSize).toBe(Math.min(2 * MiB, Math.min(...plan.segments.map((s) => s.address)) - RAM));
    const word = (address: number): number => {
      const s = plan.segments.find((seg) => seg.address <= address && address + 4 <= seg.address + seg.data.length)!;
      return new DataView(s.data.buffer, s.data.byteOffset).getUint32(address - s.address, true);
    };
    expect(word(0x4010_0000)).toBe(0xd503201f); // nop
    expect(word(0x4020_0000)).toBe(0x11223344);
    const data = plan.segments.find((s) => s.address === 0x4020_0000)!;
    expect(data.zeroFill).toBeGreaterThanOrEqual(8192);
  });

  it('loads a raw binary at RAM base + 0x80000', () => {
    const plan = planBoot({ kernel: new Uint8Array([1, 2, 3, 4]), ramBase: RAM, ramSize: 64 * MiB });
    expect(plan).toMatchObject({ format: 'raw', entry: 0x4008_0000 });
  });

  it('refuses kernels and initrds that do not fit, and damaged files, with clear messages', () => {
    expect(() => planBoot({ kernel: fakeImage(0x80000, 100 * MiB), ramBase: RAM, ramSize: 64 * MiB })).toThrow(
      /outside RAM .*more memory/,
    );
    expect(() =>
      planBoot({ kernel: fakeImage(0x80000, MiB), initrd: new Uint8Array(40 * MiB), ramBase: RAM, ramSize: 64 * MiB }),
    ).toThrow(/initrd .* does not fit/);
    expect(() =>
      planBoot({ kernel: new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2]), ramBase: RAM, ramSize: 64 * MiB }),
    ).toThrow(BootError);
    expect(() => planBoot({ kernel: new Uint8Array(0), ramBase: RAM, ramSize: 64 * MiB })).toThrow(/empty/);
    const x86Elf = new Uint8Array(64);
    x86Elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
    new DataView(x86Elf.buffer).setUint16(18, 62, true);
    expect(() => planBoot({ kernel: x86Elf, ramBase: RAM, ramSize: 64 * MiB })).toThrow(/machine 62, not AArch64/);
  });
});
