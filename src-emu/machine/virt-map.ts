/**
 * The virt board's memory map and interrupt numbers: QEMU's `-M virt` layout (hw/arm/virt.c base_memmap and
 * a15irqmap), plus the HPET that Orrery adds in a hole QEMU leaves free.
 */

export const VIRT_MAP = {
  gicDist: { base: 0x0800_0000, size: 0x1_0000 },
  gicCpu: { base: 0x0801_0000, size: 0x1_0000 },
  uart: { base: 0x0900_0000, size: 0x1000 },
  rtc: { base: 0x0901_0000, size: 0x1000 },
  gpio: { base: 0x0903_0000, size: 0x1000 },
  hpet: { base: 0x090c_0000, size: 0x400 },
  virtio: { base: 0x0a00_0000, size: 0x200 },
  ram: { base: 0x4000_0000 },
} as const;

export const VIRTIO_TRANSPORTS = 32;

/** SPI numbers (add 32 for the GIC interrupt ID). */
export const VIRT_IRQ = {
  uart: 1,
  rtc: 2,
  gpio: 7,
  virtio: 16,
} as const;

/**
 * HPET outputs wired to SPIs 10-14, a range QEMU's virt leaves unused: outputs 0-3 for the timers' routes,
 * 8 for timer 1 in legacy replacement mode.
 */
export const HPET_ROUTES: ReadonlyArray<{ readonly output: number; readonly spi: number }> = [
  { output: 0, spi: 10 },
  { output: 1, spi: 11 },
  { output: 2, spi: 12 },
  { output: 3, spi: 13 },
  { output: 8, spi: 14 },
];
/** INT_ROUTE_CAP advertising exactly the routed outputs. */
export const HPET_INTCAP = HPET_ROUTES.reduce((mask, r) => mask | (1 << r.output), 0);

/** PPI numbers of the generic timer outputs (interrupt ID = 16 + PPI). */
export const VIRT_PPI = {
  securePhysicalTimer: 13,
  physicalTimer: 14,
  virtualTimer: 11,
  hypervisorTimer: 10,
} as const;
