/** A board's row of virtio-mmio slots, as QEMU's virt lays them out and fills them. */
import { afterEach, describe, expect, it } from 'vitest';
import { logger } from '../../core/log';
import { AddressSpace, MemoryRegion } from '../../core/memory';
import { DeviceContainer, reset } from '../../core/object';
import { VirtualClock } from '../../core/timer';
import { VirtioBlk } from './blk';
import { MemoryDisk } from './memory-disk';
import { VirtioRng } from './rng';
import { createVirtioMmioTransports, nextFreeTransport, plugVirtioDevice } from './transports';

afterEach(() => logger.setSink(null));

function board() {
  const clock = new VirtualClock({ mode: 'deterministic' });
  const context = { clock };
  const system = MemoryRegion.container('system', 2 ** 40);
  system.addSubregion(0x4000_0000, MemoryRegion.ram('ram', 0x10_0000));
  const bus = new AddressSpace('memory', system);
  const root = new DeviceContainer({ path: '/machine', context });
  const raised: number[] = [];
  const transports = createVirtioMmioTransports({
    parent: root,
    context,
    container: system,
    dma: bus,
    base: 0x0a00_0000,
    stride: 0x200,
    count: 32,
    irq: (n) => (level: boolean) => {
      if (level) raised.push(16 + n);
    },
  });
  return { root, bus, transports, raised };
}

describe('virtio-mmio slots', () => {
  it('maps 32 transports 0x200 apart from 0x0a000000, each answering magic and DeviceID 0 while empty', () => {
    const { root, bus, transports } = board();
    for (const t of transports) t.realize();
    reset(root);
    expect(transports.map((t) => t.path)[31]).toBe('/machine/virtio-mmio[31]');
    for (let n = 0; n < 32; n++) {
      expect(bus.read(0x0a00_0000 + n * 0x200, 4)).toBe(0x74726976);
      expect(bus.read(0x0a00_0000 + n * 0x200 + 8, 4)).toBe(0);
    }
    expect(bus.read(0x0a00_4000, 4)).toBe(0); // past the last window: unassigned
  });

  it('fills slots from the top as QEMU does: the first device gets 0x0a003e00 on SPI 47', () => {
    const { root, bus, transports, raised } = board();
    const first = nextFreeTransport(transports)!;
    const rng = plugVirtioDevice(first, VirtioRng, 'rng');
    const second = nextFreeTransport(transports)!;
    const blk = plugVirtioDevice(second, VirtioBlk, 'disk', { serial: 'x' });
    blk.attachBackend(new MemoryDisk(4096));
    for (const t of transports) t.realize();
    reset(root);
    expect(first).toBe(transports[31]);
    expect(second).toBe(transports[30]);
    expect(rng.path).toBe('/machine/virtio-mmio[31]/rng');
    expect(rng.realized && blk.realized).toBe(true);
    expect(bus.read(0x0a00_3e08, 4)).toBe(4);
    expect(bus.read(0x0a00_3c08, 4)).toBe(2);
    // Transport n drives SPI 16 + n (virt's interrupt map; the DTB says the same).
    first.irq.raise();
    second.irq.raise();
    expect(raised).toEqual([47, 46]);
    expect(() => plugVirtioDevice(first, VirtioRng, 'again')).toThrow(/before realize/);
  });

  it('a full row has no free slot', () => {
    const { transports } = board();
    transports.forEach((t, n) => plugVirtioDevice(t, VirtioRng, `rng${n}`));
    expect(nextFreeTransport(transports)).toBeNull();
  });
});
