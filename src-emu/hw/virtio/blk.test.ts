/** virtio-blk (virtio 1.2, 5.2) driven through virtio-mmio as Linux's virtio_blk driver does. */
import { afterEach, describe, expect, it } from 'vitest';
import { logger } from '../../core/log';
import { VirtioBlk } from './blk';
import type { VirtioBlockBackend } from './blk';
import { blkRig, T } from './blk-driver';
import { MemoryDisk } from './memory-disk';
import { VirtioStatus } from './spec';
import type { GuestHeap } from './test-driver';
import { makeRig, readable, reg, setReg, settle, writable } from './test-driver';

afterEach(() => logger.setSink(null));

const MiB = 1024 * 1024;
const OK = 0;
const IOERR = 1;
const UNSUPP = 2;

/** A disk that only has a size (configuration tests of sizes too large to hold in memory). */
function sizedDisk(size: number): VirtioBlockBackend {
  return {
    size,
    readOnly: false,
    capabilities: { discard: false },
    read: () => Promise.resolve(),
    write: () => Promise.resolve(),
    flush: () => Promise.resolve(),
    discard: () => Promise.resolve(),
    writeZeroes: () => Promise.resolve(),
  };
}

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('virtio-blk configuration and features', () => {
  it('offers the features QEMU 7.2 offers for a raw image (0x30006e54)', () => {
    const rig = makeRig((init) => {
      const blk = new VirtioBlk(init);
      blk.attachBackend(new MemoryDisk(MiB));
      return blk;
    });
    expect(reg(rig, 'DEVICE_ID')).toBe(2);
    // SEG_MAX, GEOMETRY, BLK_SIZE, FLUSH, TOPOLOGY, CONFIG_WCE, DISCARD, WRITE_ZEROES and the ring features.
    expect(reg(rig, 'DEVICE_FEATURES')).toBe(0x30006e54);
    expect(reg(rig, 'QUEUE_NUM_MAX')).toBe(1024);
    expect(rig.device.queue(0)!.size).toBe(256);
  });

  it('adds RO on a read-only disk (QEMU: 0x30006e74), and drops what the properties turn off', () => {
    const ro = blkRig(new MemoryDisk(MiB, true), {}, { features: [] });
    setReg(ro.rig, 'DEVICE_FEATURES_SEL', 0);
    expect(reg(ro.rig, 'DEVICE_FEATURES')).toBe(0x30006e74);
    const plain = blkRig(new MemoryDisk(MiB), { discard: false, writeZeroes: false }, { features: [] });
    setReg(plain.rig, 'DEVICE_FEATURES_SEL', 0);
    expect(reg(plain.rig, 'DEVICE_FEATURES')).toBe(0x30000e54);
  });

  it('reports the geometry QEMU guesses: 16 heads, 63 sectors, 2..16383 cylinders', () => {
    // QEMU 7.2 reads 0x3f100002 (1 MiB), 0x3f1000cb (100 MiB) and 0x3f103fff (20 GiB) at configuration offset 16.
    const geometry = (size: number) => {
      const rig = makeRig((init) => {
        const blk = new VirtioBlk(init);
        blk.attachBackend(sizedDisk(size));
        return blk;
      });
      return rig.bus.read(0x0a00_0110, 4);
    };
    expect([geometry(MiB), geometry(100 * MiB), geometry(20 * 1024 * MiB)]).toEqual([
      0x3f100002, 0x3f1000cb, 0x3f103fff,
    ]);
  });

  it('reports capacity in 512-byte sectors as a 64-bit field, seg_max = queue size - 2, blk_size', () => {
    const huge = sizedDisk(3 * 2 ** 40 + 300); // 3 TiB and part of a sector, which is not reported
    const rig = makeRig((init) => {
      const blk = new VirtioBlk({ ...init, props: { logicalBlockSize: 4096 } });
      blk.attachBackend(huge);
      return blk;
    });
    const config = (offset: number) => rig.bus.read(0x0a00_0100 + offset, 4);
    const sectors = (3 * 2 ** 40) / 512; // 0x1_8000_0000
    expect(config(0)).toBe(sectors % 2 ** 32);
    expect(config(4)).toBe(Math.floor(sectors / 2 ** 32));
    expect(config(12)).toBe(254);
    expect(config(20)).toBe(4096);
    expect(rig.bus.read(0x0a00_0100 + 34, 2)).toBe(1); // num_queues
    expect(config(44)).toBe(8); // discard_sector_alignment in sectors
  });

  it('has the configuration QEMU 7.2 shows for a 1 MiB raw image', () => {
    // 'xp' over QEMU's slot: capacity 0x800, seg_max 0xfe, blk_size 0x200, then from offset 32 the words
    // 0x00010001 (writeback 1, num_queues 1), 0x3fffff, 1, 1, 0x3fffff, 1; byte 56 is 1, byte 57 is past the end.
    const rig = makeRig((init) => {
      const blk = new VirtioBlk(init);
      blk.attachBackend(new MemoryDisk(MiB));
      return blk;
    });
    const word = (offset: number) => rig.bus.read(0x0a00_0100 + offset, 4);
    expect([word(0), word(4), word(12), word(20)]).toEqual([0x800, 0, 0xfe, 0x200]);
    expect([32, 36, 40, 44, 48, 52].map(word)).toEqual([0x00010001, 0x3fffff, 1, 1, 0x3fffff, 1]);
    expect(rig.bus.read(0x0a00_0100 + 56, 1)).toBe(1);
    expect(rig.bus.read(0x0a00_0100 + 57, 1)).toBe(0xff);
    expect(word(56)).toBe(0xffffffff);
  });

  it('realize fails without a backend and with a bad block size', () => {
    const rig = makeRig(null);
    const blk = new VirtioBlk({ path: rig.transport.childPath('d'), context: { clock: rig.clock } });
    expect(() => blk.realize()).toThrow(/no block backend attached/);
    const odd = new VirtioBlk({ path: '/d', context: { clock: rig.clock }, props: { logicalBlockSize: 1000 } });
    odd.attachBackend(new MemoryDisk(MiB));
    expect(() => odd.realize()).toThrow(/logicalBlockSize.*not a power of 2/);
  });
});

describe('virtio-blk requests', () => {
  it('writes then reads back, across several segments, with indirect descriptors', async () => {
    const disk = new MemoryDisk(MiB);
    const { rig, q, driver, heap } = blkRig(disk);
    driver.indirect = true;
    const data = pattern(3 * 4096, 7);
    const w = driver.write(8, data, 4096);
    await settle();
    expect(driver.status(w)).toBe(OK);
    expect(disk.bytes.subarray(8 * 512, 8 * 512 + data.length)).toEqual(data);
    const r = driver.read(8, data.length, 1024);
    await settle();
    expect(driver.status(r)).toBe(OK);
    expect(heap.get(r.data, data.length)).toEqual(data);
    // Used length: bytes written into device-writable buffers (1 status byte for a write).
    expect(q.collect()).toEqual([
      { id: w.head, len: 1 },
      { id: r.head, len: data.length + 1 },
    ]);
    expect(rig.irqLevels[0]).toBe(true);
  });

  it('completes asynchronously: the notify returns at once and the used ring fills when the backend is done', async () => {
    const disk = new MemoryDisk(MiB);
    disk.hold = true;
    const { rig, q, driver } = blkRig(disk);
    const r = driver.read(0, 512);
    expect(q.usedIdx).toBe(0);
    expect(rig.device.pendingRequests).toBe(1);
    expect(rig.irqLevels).toEqual([]);
    disk.release();
    await settle();
    expect(q.collect()).toEqual([{ id: r.head, len: 513 }]);
    expect(rig.device.pendingRequests).toBe(0);
    expect(rig.irqLevels).toEqual([true]);
  });

  it('requests complete in the order the backend finishes them', async () => {
    const disk = new MemoryDisk(MiB);
    disk.bytes.set(pattern(1024, 1));
    disk.hold = true;
    const { q, driver, heap } = blkRig(disk);
    const first = driver.read(0, 512);
    const second = driver.read(1, 512);
    disk.release(1);
    await settle();
    disk.release(0);
    await settle();
    expect(q.collect().map((u) => u.id)).toEqual([second.head, first.head]);
    expect(heap.get(second.data, 512)).toEqual(pattern(1024, 1).subarray(512));
  });

  it('CONFIG_WCE: with the write cache off, every write is flushed before it completes', async () => {
    const disk = new MemoryDisk(MiB);
    const { rig, driver } = blkRig(disk, {}, { features: [11] });
    expect(rig.bus.read(0x0a00_0100 + 32, 1)).toBe(1); // writeback, as Linux's cache_type shows
    rig.bus.write(0x0a00_0100 + 32, 1, 0);
    expect(rig.bus.read(0x0a00_0100 + 32, 1)).toBe(0);
    const w = driver.write(0, pattern(512, 4));
    await settle();
    expect(driver.status(w)).toBe(OK);
    expect(disk.log).toEqual(['write 0 512', 'flush 0 0']);
    setReg(rig, 'STATUS', 0);
    expect(rig.bus.read(0x0a00_0100 + 32, 1)).toBe(1);
  });

  it('the configuration is read-only apart from the write cache switch', () => {
    const { rig } = blkRig(new MemoryDisk(MiB), {}, { features: [] });
    rig.bus.write(0x0a00_0100, 4, 5);
    rig.bus.write(0x0a00_0100 + 32, 1, 0); // CONFIG_WCE not negotiated
    expect(rig.bus.read(0x0a00_0100, 4)).toBe(2048);
    expect(rig.bus.read(0x0a00_0100 + 32, 1)).toBe(1);
    expect(rig.errors.filter((e) => /read-only configuration/.test(e.message))).toHaveLength(2);
  });

  it('flush reaches the backend', async () => {
    const disk = new MemoryDisk(MiB);
    const { driver } = blkRig(disk);
    const f = driver.flush();
    await settle();
    expect(driver.status(f)).toBe(OK);
    expect(disk.log).toEqual(['flush 0 0']);
  });

  it('GET_ID returns the serial, zero-padded to 20 bytes, or cut to the buffer', async () => {
    const { driver, heap } = blkRig(new MemoryDisk(MiB), { serial: 'orrery-0' });
    const id = driver.getId();
    const short = driver.getId(4);
    await settle();
    expect(driver.status(id)).toBe(OK);
    expect([...heap.get(id.data, 20)]).toEqual([...new TextEncoder().encode('orrery-0'), ...new Array(12).fill(0)]);
    expect(new TextDecoder().decode(heap.get(short.data, 4))).toBe('orre');
  });

  it('discard and write-zeroes clear the range they name', async () => {
    const disk = new MemoryDisk(MiB);
    disk.bytes.fill(0xee);
    const { driver } = blkRig(disk);
    const d = driver.range(T.DISCARD, 2, 4);
    const z = driver.range(T.WRITE_ZEROES, 100, 1, 1);
    await settle();
    expect([driver.status(d), driver.status(z)]).toEqual([OK, OK]);
    expect(disk.log).toEqual(['discard 1024 2048', 'writeZeroes 51200 512']);
    expect(disk.bytes[1023]).toBe(0xee);
    expect(disk.bytes.subarray(1024, 3072).every((b) => b === 0)).toBe(true);
    expect(disk.bytes[3072]).toBe(0xee);
  });

  it('discard with the unmap flag, and discard or write-zeroes without the feature, are UNSUPP', async () => {
    const disk = new MemoryDisk(MiB);
    const plain = blkRig(disk, {}, { features: [] });
    const d = plain.driver.range(T.DISCARD, 0, 1);
    const z = plain.driver.range(T.WRITE_ZEROES, 0, 1);
    const full = blkRig(disk);
    const u = full.driver.range(T.DISCARD, 0, 1, 1);
    await settle();
    expect([plain.driver.status(d), plain.driver.status(z), full.driver.status(u)]).toEqual([UNSUPP, UNSUPP, UNSUPP]);
    expect(disk.log).toEqual([]);
  });

  it('out-of-range, partial-sector and unknown requests are refused without touching the disk', async () => {
    const disk = new MemoryDisk(MiB);
    const { driver } = blkRig(disk, { logicalBlockSize: 4096 });
    const beyond = driver.read(MiB / 512 - 8, 8192);
    const partial = driver.read(0, 100);
    const misaligned = driver.read(1, 4096);
    const unknown = driver.raw(99, 0, 16);
    const lifetime = driver.raw(10, 0, 16); // GET_LIFETIME: not offered
    await settle();
    expect([beyond, partial, misaligned].map((r) => driver.status(r))).toEqual([IOERR, IOERR, IOERR]);
    expect([driver.status(unknown), driver.status(lifetime)]).toEqual([UNSUPP, UNSUPP]);
    expect(disk.log).toEqual([]);
  });

  it('a read-only disk refuses writes with IOERR and keeps its data', async () => {
    const disk = new MemoryDisk(MiB);
    disk.bytes.fill(0x11);
    const { driver } = blkRig(disk, { readOnly: true });
    const w = driver.write(0, pattern(512, 3));
    const z = driver.range(T.WRITE_ZEROES, 0, 1);
    await settle();
    expect([driver.status(w), driver.status(z)]).toEqual([IOERR, IOERR]);
    expect(disk.bytes.every((b) => b === 0x11)).toBe(true);
  });

  it('a 320 MiB read is streamed through the host in 1 MiB pieces', async () => {
    const reads: number[] = [];
    const big = sizedDisk(2 ** 40);
    big.read = (_offset, dest) => {
      reads.push(dest.length);
      dest.fill(0x3c);
      return Promise.resolve();
    };
    const { q, heap } = blkRig(big);
    // 80 descriptors of 4 MiB over the same guest pages (aliasing is legal): 320 MiB of data in.
    const header = heap.put(new Uint8Array(16));
    const page = heap.alloc(4 * MiB, 4096);
    const status = heap.put(new Uint8Array([0xff]), 1);
    const data = Array.from({ length: 80 }, () => writable(page, 4 * MiB));
    q.add([readable(header, 16), ...data, writable(status, 1)], true);
    q.kick();
    for (let i = 0; i < 20 && heap.get(status, 1)[0] === 0xff; i++) await settle(50);
    expect(heap.get(status, 1)[0]).toBe(OK);
    expect(reads).toEqual(new Array(320).fill(MiB));
    expect(heap.get(page + 4 * MiB - 1, 1)[0]).toBe(0x3c);
  });

  it('at most 64 requests are taken at once; the rest wait on the ring and are taken as slots free', async () => {
    const disk = new MemoryDisk(MiB);
    disk.hold = true;
    const { rig, q, driver } = blkRig(disk);
    driver.indirect = true;
    const requests = Array.from({ length: 70 }, (_, i) => driver.read(i, 512));
    expect(rig.device.pendingRequests).toBe(64);
    expect(disk.heldCount).toBe(64);
    while (disk.heldCount > 0) {
      disk.release();
      await settle();
    }
    expect(q.collect()).toHaveLength(70);
    expect(requests.every((r) => driver.status(r) === OK)).toBe(true);
  });

  it('a backend failure is IOERR, logged, with the used length QEMU gives', async () => {
    const disk = new MemoryDisk(MiB);
    disk.failing.add('read');
    const { driver, rig, q } = blkRig(disk);
    const r = driver.read(0, 512);
    await settle();
    expect(driver.status(r)).toBe(IOERR);
    // QEMU reports every device-writable byte as used (its in_len), even for a failed request.
    expect(q.collect()).toEqual([{ id: r.head, len: 513 }]);
    expect(rig.errors.some((e) => /input\/output error/.test(e.message))).toBe(true);
  });

  it('a request without a whole header or without a status byte makes the device need a reset', () => {
    for (const build of [
      (h: GuestHeap) => [readable(h.alloc(8), 8), writable(h.alloc(1), 1)],
      (h: GuestHeap) => [readable(h.alloc(16), 16)],
    ]) {
      const { rig, q, heap } = blkRig(new MemoryDisk(MiB));
      q.add(build(heap));
      q.kick();
      expect(reg(rig, 'STATUS') & VirtioStatus.DEVICE_NEEDS_RESET).not.toBe(0);
      expect(rig.errors.some((e) => /^virtio-blk-device: request \d+ has no/.test(e.message))).toBe(true);
    }
  });

  it('a reset with requests in flight drops their completions: nothing reaches guest memory', async () => {
    const disk = new MemoryDisk(MiB);
    disk.bytes.fill(0x42);
    disk.hold = true;
    const { rig, q, driver, heap } = blkRig(disk);
    const r = driver.read(0, 512);
    setReg(rig, 'STATUS', 0);
    disk.release();
    await settle();
    expect(driver.status(r)).toBe(0xff);
    expect(heap.get(r.data, 512).every((b) => b === 0)).toBe(true);
    expect(q.usedIdx).toBe(0);
  });

  it('works over the legacy layout too', async () => {
    const disk = new MemoryDisk(MiB);
    disk.bytes.set(pattern(512, 9), 512);
    const { driver, heap } = blkRig(disk, {}, { legacy: true, features: [9] });
    const r = driver.read(1, 512);
    await settle();
    expect(driver.status(r)).toBe(OK);
    expect(heap.get(r.data, 512)).toEqual(pattern(512, 9));
  });
});
