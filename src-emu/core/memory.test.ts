import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logger } from './log';
import type { LogRecord } from './log';
import { AddressSpace, MemoryRegion, MemTx, mmioOps } from './memory';
import type { MmioOpsInit } from './memory';

let logged: LogRecord[] = [];

beforeEach(() => {
  logged = [];
  logger.setMasks(['guest_errors']);
  logger.setSink((record) => logged.push(record));
});

afterEach(() => {
  logger.setMasks([]);
  logger.setSink(null);
});

type Call = [op: 'read' | 'write', offset: number, size: number, value?: number];

/** A device that records every callback and answers reads from a function of (offset, size). */
function recordingDevice(init: Omit<MmioOpsInit, 'read' | 'write'>, answer: (offset: number, size: number) => number) {
  const calls: Call[] = [];
  const region = MemoryRegion.mmio(
    'dev',
    0x100,
    {
      ...init,
      read: (offset, size) => {
        calls.push(['read', offset, size]);
        return answer(offset, size);
      },
      write: (offset, size, value) => {
        calls.push(['write', offset, size, value]);
      },
    },
    '/machine/dev',
  );
  const root = MemoryRegion.container('system', 2 ** 40);
  root.addSubregion(0x9000_0000, region);
  return { calls, region, as: new AddressSpace('memory', root) };
}

describe('MMIO size adjustment', () => {
  it('splits an 8-byte read into two 4-byte reads, low half first', () => {
    const { calls, as } = recordingDevice({ valid: { min: 4, max: 8 } }, (offset) => 0x1000 + offset);
    const out = new Uint32Array(2);
    as.read64(0x9000_0010, out, 0);
    expect(calls).toEqual([
      ['read', 0x10, 4],
      ['read', 0x14, 4],
    ]);
    expect([...out]).toEqual([0x1010, 0x1014]);
    expect(as.status).toBe(MemTx.Ok);
  });

  it('splits an 8-byte write into two 4-byte writes, low half first', () => {
    const { calls, as } = recordingDevice({ valid: { min: 4, max: 8 } }, () => 0);
    as.write64(0x9000_0008, 0xdeadbeef, 0x01234567);
    expect(calls).toEqual([
      ['write', 0x08, 4, 0xdeadbeef],
      ['write', 0x0c, 4, 0x01234567],
    ]);
  });

  it('splits a 4-byte read for a byte-wide device and assembles the bytes little-endian', () => {
    const { calls, as } = recordingDevice({ impl: { min: 1, max: 1 } }, (offset) => 0xa0 + offset);
    expect(as.read(0x9000_0004, 4)).toBe(0xa7a6a5a4);
    expect(calls).toEqual([
      ['read', 4, 1],
      ['read', 5, 1],
      ['read', 6, 1],
      ['read', 7, 1],
    ]);
  });

  it('splits a 4-byte write for a 16-bit device', () => {
    const { calls, as } = recordingDevice({ impl: { min: 2, max: 2 } }, () => 0);
    as.write(0x9000_0020, 4, 0x11223344);
    expect(calls).toEqual([
      ['write', 0x20, 2, 0x3344],
      ['write', 0x22, 2, 0x1122],
    ]);
  });

  it('widens a byte read to the implemented size and extracts the addressed lane', () => {
    const { calls, as } = recordingDevice({ impl: { min: 4, max: 4 } }, () => 0x44332211);
    expect(as.read(0x9000_0002, 1)).toBe(0x33);
    expect(as.read(0x9000_0006, 2)).toBe(0x4433);
    expect(calls).toEqual([
      ['read', 0, 4],
      ['read', 4, 4],
    ]);
  });

  it('widens a byte write by shifting the value into its lane', () => {
    const { calls, as } = recordingDevice({ impl: { min: 4, max: 4 } }, () => 0xffffffff);
    as.write(0x9000_0003, 1, 0xab);
    as.write(0x9000_0012, 2, 0x1234);
    expect(calls).toEqual([
      ['write', 0, 4, 0xab000000],
      ['write', 0x10, 4, 0x12340000],
    ]);
  });

  it('widens an unaligned access that crosses an implemented-size boundary into two calls', () => {
    const { calls, as } = recordingDevice({ valid: { unaligned: true }, impl: { min: 4, max: 4 } }, (offset) =>
      offset === 0 ? 0x44332211 : 0x88776655,
    );
    expect(as.read(0x9000_0003, 2)).toBe(0x5544);
    expect(calls).toEqual([
      ['read', 0, 4],
      ['read', 4, 4],
    ]);
  });

  it('masks bits a device returns above the access size', () => {
    const { as } = recordingDevice({}, () => 0x12345678);
    expect(as.read(0x9000_0000, 1)).toBe(0x78);
    expect(as.read(0x9000_0000, 2)).toBe(0x5678);
    expect(as.read(0x9000_0000, 4)).toBe(0x12345678);
  });

  it('returns 32-bit values unsigned', () => {
    const { as } = recordingDevice({}, () => -1);
    expect(as.read(0x9000_0000, 4)).toBe(0xffffffff);
  });
});

describe('MMIO endianness', () => {
  it('byte-swaps a big-endian device so the guest sees its bytes in address order', () => {
    // Register bytes 11 22 33 44 at offsets 0..3: a little-endian load of them is 0x44332211.
    const { calls, as } = recordingDevice({ endian: 'big' }, () => 0x11223344);
    expect(as.read(0x9000_0000, 4)).toBe(0x44332211);
    as.write(0x9000_0000, 4, 0x44332211);
    expect(calls[1]).toEqual(['write', 0, 4, 0x11223344]);
    as.write(0x9000_0000, 2, 0xbbaa);
    expect(calls[2]).toEqual(['write', 0, 2, 0xaabb]);
  });

  it('takes a big-endian lane from the most significant end when widening', () => {
    const { calls, as } = recordingDevice({ endian: 'big', impl: { min: 4, max: 4 } }, () => 0x11223344);
    expect(as.read(0x9000_0000, 1)).toBe(0x11);
    expect(as.read(0x9000_0003, 1)).toBe(0x44);
    as.write(0x9000_0001, 1, 0xcd);
    expect(calls[2]).toEqual(['write', 0, 4, 0x00cd0000]);
  });

  it('keeps byte order across the halves of a split big-endian access', () => {
    // Device bytes at offsets 0..7 are 00 01 .. 07.
    const { as } = recordingDevice({ endian: 'big', valid: { max: 8 } }, (offset) =>
      offset === 0 ? 0x00010203 : 0x04050607,
    );
    const out = new Uint32Array(2);
    as.read64(0x9000_0000, out, 0);
    expect([...out]).toEqual([0x03020100, 0x07060504]);

    const { as: as16 } = recordingDevice({ endian: 'big', impl: { min: 2, max: 2 } }, (offset) =>
      offset === 0 ? 0x1122 : 0x3344,
    );
    expect(as16.read(0x9000_0000, 4)).toBe(0x44332211);
  });
});

describe('MMIO access rules', () => {
  it('rejects sizes outside valid: reads 0, no callback, AccessError, guest error', () => {
    const { calls, as } = recordingDevice({ valid: { min: 4, max: 4 } }, () => 0x55);
    expect(as.read(0x9000_0004, 1)).toBe(0);
    expect(as.status).toBe(MemTx.AccessError);
    as.write(0x9000_0004, 2, 0x1234);
    expect(as.status).toBe(MemTx.AccessError);
    const out = new Uint32Array([7, 7]);
    as.read64(0x9000_0000, out, 0);
    expect([...out]).toEqual([0, 0]);
    expect(calls).toEqual([]);
    expect(logged).toEqual([
      {
        mask: 'guest_errors',
        source: '/machine/dev',
        message: "invalid read at 0x90000004 ('dev' + 0x4), size 1: size must be 4",
      },
      {
        mask: 'guest_errors',
        source: '/machine/dev',
        message: "invalid write at 0x90000004 ('dev' + 0x4), size 2: size must be 4",
      },
      {
        mask: 'guest_errors',
        source: '/machine/dev',
        message: "invalid read at 0x90000000 ('dev' + 0x0), size 8: size must be 4",
      },
    ]);
  });

  it('rejects unaligned accesses unless the device allows them', () => {
    const strict = recordingDevice({}, () => 1);
    expect(strict.as.read(0x9000_0001, 2)).toBe(0);
    expect(strict.as.status).toBe(MemTx.AccessError);
    expect(strict.calls).toEqual([]);
    expect(logged[0].message).toBe("invalid read at 0x90000001 ('dev' + 0x1), size 2: unaligned");

    const relaxed = recordingDevice({ valid: { unaligned: true } }, () => 0xbeef);
    expect(relaxed.as.read(0x9000_0001, 2)).toBe(0xbeef);
    expect(relaxed.as.status).toBe(MemTx.Ok);
    expect(relaxed.calls).toEqual([['read', 1, 2]]);
  });

  it('sets status back to Ok on the next good access', () => {
    const { as } = recordingDevice({ valid: { min: 4, max: 4 } }, () => 9);
    as.read(0x9000_0000, 1);
    expect(as.status).toBe(MemTx.AccessError);
    expect(as.read(0x9000_0000, 4)).toBe(9);
    expect(as.status).toBe(MemTx.Ok);
  });

  it('validates declarations', () => {
    expect(() => mmioOps({ valid: { min: 4, max: 2 } })).toThrow('MMIO ops: valid.min 4 is larger than valid.max 2');
    expect(() => mmioOps({ valid: { min: 3 as 4 } })).toThrow('MMIO ops: valid.min must be 1, 2, 4 or 8 (got 3)');
    expect(() => mmioOps({ impl: { max: 8 as 4 } })).toThrow('MMIO ops: impl.max must be at most 4 (got 8)');
  });

  it('defaults: valid 1..4 aligned, impl = valid clamped to 4, little-endian', () => {
    const ops = mmioOps({ valid: { min: 2, max: 8 } });
    expect(ops.valid).toEqual({ min: 2, max: 8, unaligned: false });
    expect(ops.impl).toEqual({ min: 2, max: 4 });
    expect(ops.endian).toBe('little');
    expect(mmioOps({}).valid).toEqual({ min: 1, max: 4, unaligned: false });
  });
});

function filledRam(name: string, size: number, seed: number): MemoryRegion {
  const region = MemoryRegion.ram(name, size);
  region.ram!.bytes.forEach((_, i, bytes) => (bytes[i] = (seed + i) & 0xff));
  return region;
}

describe('RAM accesses', () => {
  it('reads and writes little-endian at any alignment', () => {
    const root = MemoryRegion.container('system', 2 ** 32);
    const ram = MemoryRegion.ram('ram', 0x2000);
    root.addSubregion(0x4000_0000, ram);
    const as = new AddressSpace('memory', root);
    as.write(0x4000_0001, 4, 0x44332211);
    expect([...ram.ram!.bytes.subarray(0, 6)]).toEqual([0, 0x11, 0x22, 0x33, 0x44, 0]);
    expect(as.read(0x4000_0002, 2)).toBe(0x3322);
    expect(as.read(0x4000_0001, 4)).toBe(0x44332211);
    as.write64(0x4000_0010, 0x03020100, 0x07060504);
    expect([...ram.ram!.bytes.subarray(0x10, 0x18)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const out = new Uint32Array(3);
    as.read64(0x4000_0010, out, 1);
    expect([...out]).toEqual([0, 0x03020100, 0x07060504]);
    expect(as.read(0x4000_0010, 4)).toBe(0x03020100);
    as.write(0x4000_0020, 4, 0xffffffff);
    expect(as.read(0x4000_0020, 4)).toBe(0xffffffff);
  });

  it('discards writes to ROM but still reads it', () => {
    const root = MemoryRegion.container('system', 2 ** 32);
    const rom = MemoryRegion.rom('flash', 0x1000);
    rom.ram!.bytes[0] = 0x5a;
    root.addSubregion(0, rom);
    const as = new AddressSpace('memory', root);
    as.write(0, 1, 0xff);
    as.write64(0, 0xffffffff, 0xffffffff);
    expect(as.status).toBe(MemTx.Ok);
    expect(as.read(0, 1)).toBe(0x5a);
    expect(rom.ram!.isDirty(0)).toBe(false);
    expect(logged.map((r) => r.message)).toEqual([
      "write to read-only 'flash' at 0x0 (size 1) ignored",
      "write to read-only 'flash' at 0x0 (size 8) ignored",
    ]);
  });

  it('splits an access that straddles the end of RAM into bytes and reports the failing part', () => {
    const root = MemoryRegion.container('system', 2 ** 32);
    root.addSubregion(0x1000, filledRam('ram', 0x1000, 0x10));
    const as = new AddressSpace('memory', root);
    // Last two RAM bytes are (0x10 + 0xffe) & 0xff = 0x0e and 0x0f; the next two are unassigned.
    expect(as.read(0x1ffe, 4)).toBe(0x0f0e);
    expect(as.status).toBe(MemTx.DecodeError);
    as.write(0x1ffe, 4, 0xaabbccdd);
    expect(as.status).toBe(MemTx.DecodeError);
    expect(as.read(0x1ffe, 2)).toBe(0xccdd);
    expect(as.status).toBe(MemTx.Ok);
  });
});

describe('RAM regions', () => {
  it('map only their own size of a page-rounded block', () => {
    const root = MemoryRegion.container('system', 0x10000);
    const ram = MemoryRegion.ram('odd', 0x1800);
    root.addSubregion(0, ram);
    const as = new AddressSpace('memory', root);
    expect(ram.ram!.size).toBe(0x2000);
    expect(as.flatView()).toEqual([{ start: 0, end: 0x1800, region: 'odd', kind: 'ram', offset: 0 }]);
    expect(as.read(0x1800, 1)).toBe(0);
    expect(as.status).toBe(MemTx.DecodeError);
  });

  it('can share one block between regions, and list the blocks mapped', () => {
    const root = MemoryRegion.container('system', 0x100000);
    const low = MemoryRegion.ram('low', 0x1000);
    const mirror = MemoryRegion.ram('mirror', 0x1000, { block: low.ram!, readonly: true });
    root.addSubregion(0x8000, low);
    root.addSubregion(0x2000, mirror);
    const other = MemoryRegion.ram('other', 0x1000);
    root.addSubregion(0x4000, other);
    const as = new AddressSpace('memory', root);
    as.write(0x8010, 1, 0x42);
    expect(as.read(0x2010, 1)).toBe(0x42);
    expect(as.ramBlocks()).toEqual([low.ram, other.ram]);
    expect(() => MemoryRegion.ram('big', 0x2000, { block: low.ram! })).toThrow(
      "memory region 'big': RAM block 'low' is too small",
    );
  });

  it('treat a NaN address as unassigned', () => {
    const root = MemoryRegion.container('system', 0x10000);
    root.addSubregion(0, MemoryRegion.ram('ram', 0x10000));
    const as = new AddressSpace('memory', root);
    expect(as.read(Number.NaN, 4)).toBe(0);
    expect(as.status).toBe(MemTx.DecodeError);
    expect(as.findRam(Number.NaN)).toBeNull();
  });
});

describe('unassigned addresses', () => {
  it('read as zero with DecodeError and a guest error naming the address', () => {
    const as = new AddressSpace('memory', MemoryRegion.container('system', 2 ** 32));
    expect(as.read(0x1234_5678, 4)).toBe(0);
    expect(as.status).toBe(MemTx.DecodeError);
    const out = new Uint32Array([1, 1]);
    as.read64(0x800, out, 0);
    expect([...out]).toEqual([0, 0]);
    as.write(0x10, 2, 0xbeef);
    expect(as.status).toBe(MemTx.DecodeError);
    as.write64(0x20, 0x2, 0x1);
    expect(logged).toEqual([
      { mask: 'guest_errors', source: 'memory', message: 'unassigned read at 0x12345678 (size 4)' },
      { mask: 'guest_errors', source: 'memory', message: 'unassigned read at 0x800 (size 8)' },
      { mask: 'guest_errors', source: 'memory', message: 'unassigned write at 0x10 (size 2, value 0xbeef)' },
      {
        mask: 'guest_errors',
        source: 'memory',
        message: 'unassigned write at 0x20 (size 8, value 0x0000000100000002)',
      },
    ]);
  });

  it('are silent when guest_errors logging is off', () => {
    logger.setMasks([]);
    const as = new AddressSpace('memory', MemoryRegion.container('system', 0x1000));
    as.read(0x2000, 4);
    expect(as.status).toBe(MemTx.DecodeError);
    expect(logged).toEqual([]);
  });
});

describe('containers', () => {
  function overlapping(mmioPriority: number) {
    const root = MemoryRegion.container('system', 0x10000);
    root.addSubregion(0, filledRam('ram', 0x10000, 0), 0);
    const mmio = MemoryRegion.mmio('dev', 0x1000, { read: () => 0xd0d0d0d0 });
    root.addSubregion(0x1000, mmio, mmioPriority);
    return { root, mmio, as: new AddressSpace('memory', root) };
  }

  it('shows the higher-priority child where children overlap', () => {
    const { as } = overlapping(1);
    expect(as.read(0x1000, 4)).toBe(0xd0d0d0d0);
    expect(as.read(0x1ffc, 4)).toBe(0xd0d0d0d0);
    expect(as.read(0x2000, 1)).toBe(0x00);
    expect(as.read(0x0fff, 1)).toBe(0xff);
    expect(as.flatView()).toEqual([
      { start: 0, end: 0x1000, region: 'ram', kind: 'ram', offset: 0 },
      { start: 0x1000, end: 0x2000, region: 'dev', kind: 'mmio', offset: 0 },
      { start: 0x2000, end: 0x10000, region: 'ram', kind: 'ram', offset: 0x2000 },
    ]);
  });

  it('hides a lower-priority child under another', () => {
    const { as } = overlapping(-1);
    expect(as.read(0x1000, 1)).toBe(0x00);
    expect(as.flatView()).toEqual([{ start: 0, end: 0x10000, region: 'ram', kind: 'ram', offset: 0 }]);
  });

  it('shows the later-added child at equal priority', () => {
    const root = MemoryRegion.container('system', 0x1000);
    root.addSubregion(0, MemoryRegion.mmio('first', 0x100, { read: () => 1 }));
    root.addSubregion(0x80, MemoryRegion.mmio('second', 0x100, { read: () => 2 }));
    const as = new AddressSpace('memory', root);
    expect(as.read(0x7c, 4)).toBe(1);
    expect(as.read(0x80, 4)).toBe(2);
    expect(as.read(0x17c, 4)).toBe(2);
    expect(as.flatView().map((e) => [e.region, e.start, e.end])).toEqual([
      ['first', 0, 0x80],
      ['second', 0x80, 0x180],
    ]);
  });

  it('clips children to the container and nests containers', () => {
    const root = MemoryRegion.container('system', 0x10000);
    const bus = MemoryRegion.container('bus', 0x100);
    root.addSubregion(0x8000, bus);
    bus.addSubregion(0xc0, MemoryRegion.mmio('wide', 0x100, { read: (offset) => offset }));
    const as = new AddressSpace('memory', root);
    expect(as.read(0x80c4, 4)).toBe(4);
    expect(as.flatView()).toEqual([{ start: 0x80c0, end: 0x8100, region: 'wide', kind: 'mmio', offset: 0 }]);
  });

  it('re-flattens when children are added, removed, moved or disabled, and tells listeners', () => {
    const { root, mmio, as } = overlapping(1);
    let changes = 0;
    as.onMapChange(() => changes++);
    expect(as.read(0x1000, 1)).toBe(0xd0);
    mmio.enabled = false;
    expect(as.read(0x1000, 1)).toBe(0x00);
    mmio.enabled = false;
    expect(changes).toBe(1);
    mmio.enabled = true;
    expect(as.read(0x1000, 1)).toBe(0xd0);
    root.moveSubregion(mmio, 0x3000);
    expect(as.read(0x1000, 1)).toBe(0x00);
    expect(as.read(0x3000, 1)).toBe(0xd0);
    root.removeSubregion(mmio);
    expect(as.read(0x3000, 1)).toBe(0x00);
    expect(mmio.container).toBeNull();
    expect(changes).toBe(4);
  });

  it('stops telling listeners after they unsubscribe or the space is disposed', () => {
    const { mmio, as } = overlapping(1);
    let changes = 0;
    const unsubscribe = as.onMapChange(() => changes++);
    mmio.enabled = false;
    unsubscribe();
    mmio.enabled = true;
    expect(changes).toBe(1);
    as.onMapChange(() => changes++);
    as.dispose();
    mmio.enabled = false;
    expect(changes).toBe(1);
  });

  it('re-flattens when a nested container changes', () => {
    const root = MemoryRegion.container('system', 0x10000);
    const bus = MemoryRegion.container('bus', 0x1000);
    root.addSubregion(0x4000, bus);
    const as = new AddressSpace('memory', root);
    expect(as.read(0x4000, 4)).toBe(0);
    expect(as.status).toBe(MemTx.DecodeError);
    bus.addSubregion(0, MemoryRegion.mmio('late', 0x10, { read: () => 7 }));
    expect(as.read(0x4000, 4)).toBe(7);
  });

  it('rejects configuration mistakes', () => {
    const root = MemoryRegion.container('system', 0x10000);
    const inner = MemoryRegion.container('inner', 0x100);
    const ram = MemoryRegion.ram('ram', 0x100);
    root.addSubregion(0, inner);
    expect(() => root.addSubregion(0x100, inner)).toThrow("memory region 'inner' is already mapped in 'system'");
    expect(() => inner.addSubregion(0, root)).toThrow("memory region 'system' cannot be mapped inside itself");
    expect(() => inner.addSubregion(0, MemoryRegion.alias('loop', root, 0, 0x10))).toThrow(
      "memory region 'loop' cannot be mapped inside itself",
    );
    expect(() => ram.addSubregion(0, MemoryRegion.ram('x', 0x10))).toThrow("memory region 'ram' is not a container");
    expect(() => root.removeSubregion(ram)).toThrow("memory region 'ram' is not mapped in 'system'");
    expect(() => MemoryRegion.alias('bad', ram, 0x80, 0x100)).toThrow("alias 'bad': 0x80+0x100 is outside 'ram'");
    expect(() => MemoryRegion.container('empty', 0)).toThrow("memory region 'empty': size must be positive (got 0)");
  });
});

describe('aliases', () => {
  it('map a window of the target at another address', () => {
    const root = MemoryRegion.container('system', 0x10000);
    const ram = filledRam('ram', 0x1000, 0);
    root.addSubregion(0, ram);
    const window = MemoryRegion.alias('window', ram, 0x100, 0x100);
    root.addSubregion(0x8000, window);
    const as = new AddressSpace('memory', root);
    expect(as.read(0x8000, 1)).toBe(0x00); // ram[0x100]
    expect(as.read(0x8004, 4)).toBe(0x07060504);
    expect(as.read(0x8100, 1)).toBe(0);
    expect(as.status).toBe(MemTx.DecodeError);

    as.write(0x8010, 1, 0xee);
    expect(ram.ram!.bytes[0x110]).toBe(0xee);
    expect(as.read(0x110, 1)).toBe(0xee);
    expect(ram.ram!.isDirty(0)).toBe(true);

    window.setAliasOffset(0x200);
    expect(as.read(0x8004, 1)).toBe(0x04);
    expect(as.flatView()[1]).toEqual({ start: 0x8000, end: 0x8100, region: 'ram', kind: 'ram', offset: 0x200 });
  });

  it('pass MMIO offsets relative to the target region', () => {
    const dev = MemoryRegion.mmio('dev', 0x1000, { read: (offset) => offset });
    const root = MemoryRegion.container('system', 0x10000);
    root.addSubregion(0x2000, MemoryRegion.alias('dev-high', dev, 0x800));
    const as = new AddressSpace('memory', root);
    expect(as.read(0x2010, 4)).toBe(0x810);
  });

  it('follow changes inside their target', () => {
    const bus = MemoryRegion.container('bus', 0x1000);
    const root = MemoryRegion.container('system', 0x10000);
    root.addSubregion(0x4000, MemoryRegion.alias('bus-window', bus, 0));
    const as = new AddressSpace('memory', root);
    expect(as.read(0x4000, 4)).toBe(0);
    bus.addSubregion(0, MemoryRegion.mmio('dev', 0x10, { read: () => 3 }));
    expect(as.read(0x4000, 4)).toBe(3);
  });
});

describe('findRam', () => {
  it('describes the contiguous RAM range around an address without allocating', () => {
    const root = MemoryRegion.container('system', 2 ** 36);
    const ram = MemoryRegion.ram('ram', 0x10000);
    root.addSubregion(0x4000_0000, ram);
    root.addSubregion(0x4000_8000, MemoryRegion.mmio('hole', 0x1000, {}), 1);
    root.addSubregion(0, MemoryRegion.rom('rom', 0x1000));
    const as = new AddressSpace('memory', root);

    const low = as.findRam(0x4000_1234)!;
    expect(low).toEqual({ block: ram.ram, offset: 0x1234, start: 0x4000_0000, length: 0x8000, readonly: false });
    const high = as.findRam(0x4000_9000);
    expect(high).toBe(low);
    expect(high).toEqual({ block: ram.ram, offset: 0x9000, start: 0x4000_9000, length: 0x7000, readonly: false });
    expect(as.findRam(0x10)!.readonly).toBe(true);
    expect(as.findRam(0x4000_8000)).toBeNull();
    expect(as.findRam(0x3fff_ffff)).toBeNull();
  });

  it('handles addresses above 4 GiB exactly', () => {
    const root = MemoryRegion.container('system', 2 ** 48);
    root.addSubregion(0x1_0000_0000, MemoryRegion.ram('high', 0x1000));
    const as = new AddressSpace('memory', root);
    as.write(0x1_0000_0ffc, 4, 0xcafef00d);
    expect(as.read(0x1_0000_0ffc, 4)).toBe(0xcafef00d);
    expect(as.findRam(0x1_0000_0ffc)!.offset).toBe(0xffc);
    expect(as.read(0xffc, 4)).toBe(0);
    expect(as.status).toBe(MemTx.DecodeError);
  });
});

describe('dirty and code tracking through the address space', () => {
  function ramSpace() {
    const root = MemoryRegion.container('system', 0x100000);
    const ram = MemoryRegion.ram('ram', 0x10000);
    root.addSubregion(0x10000, ram);
    return { block: ram.ram!, as: new AddressSpace('memory', root) };
  }

  it('marks the pages written dirty', () => {
    const { block, as } = ramSpace();
    as.write(0x12000, 1, 1);
    as.write64(0x13ffc, 1, 2); // straddles pages 3 and 4
    expect(block.takeDirty()).toEqual([2, 3, 4]);
    expect(block.takeDirty()).toEqual([]);
  });

  it('tells code-write listeners once per decoded page written', () => {
    const { block, as } = ramSpace();
    const pages: number[] = [];
    block.onCodeWrite((page) => pages.push(page));
    block.markCode(5);
    as.write(0x14000, 4, 0); // page 4: no code
    as.write(0x15010, 2, 0);
    as.write(0x15020, 2, 0); // page 5 no longer holds code
    expect(pages).toEqual([5]);
    expect(block.hasCode(5)).toBe(false);
    block.markCode(6);
    expect(as.writeBytes(0x15ff0, new Uint8Array(0x20))).toBe(MemTx.Ok);
    expect(pages).toEqual([5, 6]);
  });

  it('does not mark pages for reads', () => {
    const { block, as } = ramSpace();
    as.read(0x12000, 4);
    as.readBytes(0x12000, new Uint8Array(0x3000));
    expect(block.takeDirty()).toEqual([]);
  });
});

describe('DMA helpers', () => {
  function dmaSpace() {
    const root = MemoryRegion.container('system', 0x100000);
    const low = filledRam('low', 0x1000, 0);
    const high = filledRam('high', 0x1000, 0x80);
    root.addSubregion(0x1000, low);
    root.addSubregion(0x2000, high); // adjacent: one DMA may span both
    root.addSubregion(0x3000, MemoryRegion.mmio('dev', 0x1000, {}));
    root.addSubregion(0x5000, MemoryRegion.rom('rom', 0x1000));
    return { low, high, as: new AddressSpace('memory', root) };
  }

  it('copy within RAM, across adjacent RAM regions', () => {
    const { high, as } = dmaSpace();
    const dest = new Uint8Array(4);
    expect(as.readBytes(0x1ffe, dest)).toBe(MemTx.Ok);
    expect([...dest]).toEqual([0xfe, 0xff, 0x80, 0x81]);
    expect(as.writeBytes(0x2ffc, new Uint8Array([1, 2, 3, 4]))).toBe(MemTx.Ok);
    expect([...high.ram!.bytes.subarray(0xffc)]).toEqual([1, 2, 3, 4]);
    expect(high.ram!.takeDirty()).toEqual([0]);
    expect(as.readBytes(0x1000, new Uint8Array(0))).toBe(MemTx.Ok);
  });

  it('refuse ranges that leave RAM, touching nothing', () => {
    const { high, as } = dmaSpace();
    const dest = new Uint8Array(8).fill(0x77);
    expect(as.readBytes(0x2ffc, dest)).toBe(MemTx.AccessError);
    expect([...dest]).toEqual(new Array(8).fill(0x77));
    expect(as.writeBytes(0x2ffc, new Uint8Array(8))).toBe(MemTx.AccessError);
    expect(high.ram!.bytes[0xffc]).toBe((0x80 + 0xffc) & 0xff);
    expect(high.ram!.takeDirty()).toEqual([]);
    expect(as.readBytes(0x800, new Uint8Array(0x1000))).toBe(MemTx.DecodeError);
    expect(as.writeBytes(0x5000, new Uint8Array(4))).toBe(MemTx.AccessError);
    expect(as.readBytes(0x5000, new Uint8Array(4))).toBe(MemTx.Ok);
    expect(as.readBytes(-4, new Uint8Array(4))).toBe(MemTx.DecodeError);
    expect(as.readBytes(2 ** 53 - 2, new Uint8Array(4))).toBe(MemTx.DecodeError);
    expect(logged.map((r) => r.message)).toEqual([
      "DMA read of 8 bytes at 0x2ffc: 0x3000 is MMIO ('dev')",
      "DMA write of 8 bytes at 0x2ffc: 0x3000 is MMIO ('dev')",
      'DMA read of 4096 bytes at 0x800: 0x800 is unassigned',
      "DMA write of 4 bytes at 0x5000: 0x5000 is read-only ('rom')",
      'DMA read of 4 bytes at -4: invalid address',
      'DMA read of 4 bytes at 9007199254740990: invalid address',
    ]);
  });
});

describe('mtree', () => {
  it('prints the region tree like QEMU info mtree', () => {
    const root = MemoryRegion.container('system', 2 ** 32);
    const ram = MemoryRegion.ram('mach-virt.ram', 0x4000_0000);
    root.addSubregion(0x4000_0000, ram);
    root.addSubregion(0x0900_0000, MemoryRegion.mmio('pl011', 0x1000, {}));
    const bus = MemoryRegion.container('virtio-bus', 0x400);
    root.addSubregion(0x0a00_0000, bus);
    bus.addSubregion(0x200, MemoryRegion.mmio('virtio-mmio.1', 0x200, {}));
    bus.addSubregion(0, MemoryRegion.mmio('virtio-mmio.0', 0x200, {}));
    root.addSubregion(0, MemoryRegion.rom('boot.rom', 0x1000));
    const lowAlias = MemoryRegion.alias('ram-low', ram, 0x1000, 0x1000);
    lowAlias.enabled = false;
    root.addSubregion(0, lowAlias, 2);
    const as = new AddressSpace('memory', root);
    expect(as.mtree()).toBe(
      [
        'address-space: memory',
        '  0000000000000000-00000000ffffffff (prio 0, container): system',
        '    0000000000000000-0000000000000fff (prio 2, ram): alias ram-low @mach-virt.ram 0000000000001000-0000000000001fff [disabled]',
        '    0000000000000000-0000000000000fff (prio 0, rom): boot.rom',
        '    0000000009000000-0000000009000fff (prio 0, i/o): pl011',
        '    000000000a000000-000000000a0003ff (prio 0, container): virtio-bus',
        '      000000000a000000-000000000a0001ff (prio 0, i/o): virtio-mmio.0',
        '      000000000a000200-000000000a0003ff (prio 0, i/o): virtio-mmio.1',
        '    0000000040000000-000000007fffffff (prio 0, ram): mach-virt.ram',
        '',
      ].join('\n'),
    );
  });
});
