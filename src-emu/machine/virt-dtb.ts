/**
 * The device tree of Orrery's virt board: the same nodes, properties and phandle numbering QEMU's `-M virt`
 * emits for the devices we model (QEMU 7.2, GICv2), plus the HPET that Orrery adds.
 */
import { VIRT_IRQ, VIRT_MAP, VIRTIO_TRANSPORTS } from './virt-map';
import { cells, empty, encodeFdt, node, strings, u64Cells, type FdtNode } from './fdt';

export interface VirtDtbConfig {
  readonly ramSize: number;
  readonly cpus: number;
  readonly bootargs?: string;
  /** Physical start and end (exclusive) of the initrd, when one is loaded. */
  readonly initrd?: { readonly start: number; readonly end: number };
  /** 8 words for /chosen/rng-seed and 2 for kaslr-seed; random in realtime mode, fixed when deterministic. */
  readonly seed: Uint32Array;
  /** HPET outputs and the SPIs they are routed to; absent = no HPET node. */
  readonly hpet?: ReadonlyArray<{ readonly output: number; readonly spi: number }>;
}

// GIC interrupt specifier: <type number flags>, type 0 = SPI, 1 = PPI.
const GIC_SPI = 0;
const GIC_PPI = 1;
const IRQ_EDGE_RISING = 1;
const IRQ_LEVEL_HIGH = 4;

/** phandles in QEMU's allocation order: the APB clock, then the CPUs from the last one down, then the GIC. */
const PHANDLE_CLOCK = 0x8000;
const cpuPhandle = (i: number, count: number): number => 0x8001 + (count - 1 - i);
const gicPhandle = (cpus: number): number => 0x8001 + cpus;

const reg = (base: number, size: number): Uint8Array => cells(...u64Cells(base, size));
const hexName = (name: string, base: number): string => `${name}@${base.toString(16)}`;

export function virtDeviceTree(config: VirtDtbConfig): FdtNode {
  const gic = gicPhandle(config.cpus);
  const ppiCpuMask = ((1 << config.cpus) - 1) << 8;
  const primecell = (name: string, base: number, spi: number, compatible: string): FdtNode =>
    node(hexName(name, base), {
      compatible: strings(compatible, 'arm,primecell'),
      reg: reg(base, 0x1000),
      interrupts: cells(GIC_SPI, spi, IRQ_LEVEL_HIGH),
      clocks: cells(PHANDLE_CLOCK),
      'clock-names': strings('apb_pclk'),
    });

  const uart = primecell('pl011', VIRT_MAP.uart.base, VIRT_IRQ.uart, 'arm,pl011');
  uart.props.set('clocks', cells(PHANDLE_CLOCK, PHANDLE_CLOCK));
  uart.props.set('clock-names', strings('uartclk', 'apb_pclk'));

  const root = node(
    '',
    {
      'interrupt-parent': cells(gic),
      model: strings('linux,dummy-virt'),
      '#size-cells': cells(2),
      '#address-cells': cells(2),
      compatible: strings('linux,dummy-virt'),
    },
    [
      node('psci', {
        migrate: cells(0xc4000005),
        cpu_on: cells(0xc4000003),
        cpu_off: cells(0x84000002),
        cpu_suspend: cells(0xc4000001),
        method: strings('hvc'),
        compatible: strings('arm,psci-1.0', 'arm,psci-0.2', 'arm,psci'),
      }),
      node(hexName('memory', VIRT_MAP.ram.base), {
        reg: reg(VIRT_MAP.ram.base, config.ramSize),
        device_type: strings('memory'),
      }),
      ...virtioNodes(),
      primecell('pl031', VIRT_MAP.rtc.base, VIRT_IRQ.rtc, 'arm,pl031'),
      uart,
      ...(config.hpet ? [hpetNode(config.hpet)] : []),
      node(hexName('intc', VIRT_MAP.gicDist.base), {
        phandle: cells(gic),
        reg: cells(...u64Cells(VIRT_MAP.gicDist.base, 0x10000, VIRT_MAP.gicCpu.base, 0x10000)),
        compatible: strings('arm,cortex-a15-gic'),
        ranges: empty(),
        '#size-cells': cells(2),
        '#address-cells': cells(2),
        'interrupt-controller': empty(),
        '#interrupt-cells': cells(3),
      }),
      cpusNode(config.cpus),
      node('timer', {
        interrupts: cells(...[13, 14, 11, 10].flatMap((ppi) => [GIC_PPI, ppi, ppiCpuMask | IRQ_LEVEL_HIGH])),
        'always-on': empty(),
        compatible: strings('arm,armv8-timer', 'arm,armv7-timer'),
      }),
      node('apb-pclk', {
        phandle: cells(PHANDLE_CLOCK),
        'clock-output-names': strings('clk24mhz'),
        'clock-frequency': cells(24_000_000),
        '#clock-cells': cells(0),
        compatible: strings('fixed-clock'),
      }),
      chosenNode(config),
    ],
  );
  return root;
}

export function virtDtb(config: VirtDtbConfig): Uint8Array {
  return encodeFdt(virtDeviceTree(config));
}

function virtioNodes(): FdtNode[] {
  return Array.from({ length: VIRTIO_TRANSPORTS }, (_, i) => {
    const base = VIRT_MAP.virtio.base + i * VIRT_MAP.virtio.size;
    return node(hexName('virtio_mmio', base), {
      'dma-coherent': empty(),
      interrupts: cells(GIC_SPI, VIRT_IRQ.virtio + i, IRQ_EDGE_RISING),
      reg: reg(base, VIRT_MAP.virtio.size),
      compatible: strings('virtio,mmio'),
    });
  });
}

/** Orrery's own binding: an IA-PC HPET, 100 MHz, one interrupt per routed output (named outN). */
function hpetNode(routes: NonNullable<VirtDtbConfig['hpet']>): FdtNode {
  return node(hexName('hpet', VIRT_MAP.hpet.base), {
    compatible: strings('orrery,hpet'),
    reg: reg(VIRT_MAP.hpet.base, VIRT_MAP.hpet.size),
    interrupts: cells(...routes.flatMap((r) => [GIC_SPI, r.spi, IRQ_LEVEL_HIGH])),
    'interrupt-names': strings(...routes.map((r) => `out${r.output}`)),
    'clock-frequency': cells(100_000_000),
  });
}

function cpusNode(count: number): FdtNode {
  const cores = Array.from({ length: count }, (_, i) => node(`core${i}`, { cpu: cells(cpuPhandle(i, count)) }));
  const cpus = Array.from({ length: count }, (_, i) =>
    node(`cpu@${i}`, {
      phandle: cells(cpuPhandle(i, count)),
      reg: cells(i),
      ...(count > 1 ? { 'enable-method': strings('psci') } : {}),
      compatible: strings('arm,cortex-a57'),
      device_type: strings('cpu'),
    }),
  );
  return node('cpus', { '#size-cells': cells(0), '#address-cells': cells(1) }, [
    node('cpu-map', {}, [node('socket0', {}, [node('cluster0', {}, cores)])]),
    ...cpus,
  ]);
}

function chosenNode(config: VirtDtbConfig): FdtNode {
  const chosen = node('chosen', { 'stdout-path': strings(`/${hexName('pl011', VIRT_MAP.uart.base)}`) });
  if (config.bootargs) chosen.props.set('bootargs', strings(config.bootargs));
  if (config.initrd) {
    // One cell where the address fits, as QEMU writes it; Linux reads either width.
    const address = (a: number): Uint8Array => (a < 2 ** 32 ? cells(a) : cells(...u64Cells(a)));
    chosen.props.set('linux,initrd-end', address(config.initrd.end));
    chosen.props.set('linux,initrd-start', address(config.initrd.start));
  }
  chosen.props.set('rng-seed', cells(...config.seed.subarray(0, 8)));
  chosen.props.set('kaslr-seed', cells(...config.seed.subarray(8, 10)));
  return chosen;
}
