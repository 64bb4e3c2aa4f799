/**
 * The GIC driven through MMIO the way Linux's irq-gic driver drives it, on the virt board's addresses.
 * Expected behaviour comes from the GICv2 architecture specification (IHI 0048B chapter 3: interrupt
 * handling, prioritization, SGIs) and the register sequences of drivers/irqchip/irq-gic.c; register
 * sequences checked against QEMU itself are in gic.qemu.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { C, D, TestBoard } from './test-board';

let board: TestBoard | null = null;

function boot(props: Record<string, unknown> = {}, options: { eoiMode1?: boolean } = {}): TestBoard {
  board = new TestBoard(props);
  const b = board;
  b.linuxDistInit();
  for (let cpu = 0; cpu < b.gic.state.numCpu; cpu++) b.as(cpu, () => b.linuxCpuInit(options.eoiMode1));
  return b;
}

afterEach(() => {
  board?.dispose();
  board = null;
});

describe('Linux driver initialisation', () => {
  it('finds 288 interrupts and the CPU count in GICD_TYPER', () => {
    const b = boot({ numCpu: 4, numIrq: 288 });
    const typer = b.distRead(D.TYPER);
    // ITLinesNumber = 288 / 32 - 1, CPUNumber = 4 - 1 (IHI 0048B 4.3, GICD_TYPER)
    expect(typer & 0x1f).toBe(8);
    expect((typer >>> 5) & 7).toBe(3);
    expect((typer >>> 10) & 1).toBe(0); // no Security Extensions
  });

  it('leaves the distributor and every CPU interface enabled with PMR 0xf0', () => {
    const b = boot({ numCpu: 2 });
    expect(b.distRead(D.CTLR)).toBe(1);
    for (const cpu of [0, 1]) {
      expect(b.as(cpu, () => b.cpuRead(C.CTLR))).toBe(1);
      expect(b.as(cpu, () => b.cpuRead(C.PMR))).toBe(0xf0);
      expect(b.as(cpu, () => b.cpuRead(C.RPR))).toBe(0xff);
    }
    expect(b.irqs()).toEqual([false, false]);
  });

  it('gives each CPU its own bit in the banked ITARGETSR bytes (gic_get_cpumask)', () => {
    const b = boot({ numCpu: 4 });
    expect([0, 1, 2, 3].map((cpu) => b.as(cpu, () => b.linuxCpuMask()))).toEqual([1, 2, 4, 8]);
    // The SGI/PPI bytes read the same value in every lane and ignore writes.
    expect(b.as(2, () => b.distRead(D.ITARGETSR + 16))).toBe(0x04040404);
    b.as(2, () => b.distWrite(D.ITARGETSR + 16, 0x0f0f0f0f));
    expect(b.as(2, () => b.distRead(D.ITARGETSR + 16))).toBe(0x04040404);
  });

  it('routes every SPI to the booting CPU and programs priority 0xa0, level, disabled', () => {
    const b = boot({ numCpu: 2, numIrq: 96 });
    for (let id = 32; id < 96; id += 4) expect(b.distRead(D.ITARGETSR + id)).toBe(0x01010101);
    for (let id = 0; id < 96; id += 4) expect(b.distRead(D.IPRIORITYR + id)).toBe(0xa0a0a0a0);
    expect(b.distRead(D.ICFGR + 8)).toBe(0);
    expect(b.distRead(D.ISENABLER + 4)).toBe(0);
    // SGIs stay enabled, PPIs start disabled (gic_cpu_config).
    expect(b.distRead(D.ISENABLER)).toBe(0x0000ffff);
  });
});

describe('an SPI from raised line to EOI', () => {
  it('signals the target CPU, is acknowledged by GICC_IAR and ends with GICC_EOIR', () => {
    const b = boot({ numCpu: 2 });
    b.linuxUnmask(33);
    expect(b.distRead(D.ISENABLER + 4)).toBe(1 << 1);

    b.setSpi(33, true);
    expect(b.distRead(D.ISPENDR + 4)).toBe(1 << 1);
    expect(b.irqs()).toEqual([true, false]);
    expect(b.cpuRead(C.HPPIR)).toBe(33);

    expect(b.cpuRead(C.IAR)).toBe(33);
    // Active now (and still pending: the level line is high), so the output drops.
    expect(b.irqs()).toEqual([false, false]);
    expect(b.distRead(D.ISACTIVER + 4)).toBe(1 << 1);
    expect(b.distRead(D.ISPENDR + 4)).toBe(1 << 1);
    expect(b.cpuRead(C.RPR)).toBe(0xa0);

    b.setSpi(33, false); // the device handler cleared its interrupt
    b.cpuWrite(C.EOIR, 33);
    expect(b.distRead(D.ISACTIVER + 4)).toBe(0);
    expect(b.distRead(D.ISPENDR + 4)).toBe(0);
    expect(b.cpuRead(C.RPR)).toBe(0xff);
    expect(b.irqs()).toEqual([false, false]);
    expect(b.irqEdges[0]).toEqual([true, false]);
    expect(b.guestErrors()).toEqual([]);
  });

  it('signals again after EOI when the level line is still high', () => {
    const b = boot();
    b.linuxUnmask(40);
    b.setSpi(40, true);
    expect(b.cpuRead(C.IAR)).toBe(40);
    b.cpuWrite(C.EOIR, 40);
    expect(b.irq(0)).toBe(true);
    expect(b.cpuRead(C.IAR)).toBe(40);
  });

  it('handles a burst in gic_handle_irq order: highest priority first, then lowest ID', () => {
    const b = boot();
    for (const id of [50, 34, 60, 45]) b.linuxUnmask(id);
    b.distWrite(D.IPRIORITYR + 60, 0x90, 1);
    for (const id of [50, 34, 60, 45]) b.setSpi(id, true);
    const handled = b.linuxHandleIrqs((iar) => b.setSpi(iar, false));
    expect(handled).toEqual([60, 34, 45, 50]);
    expect(b.irq(0)).toBe(false);
  });

  it('does not signal a disabled interrupt, and signals it once enabled', () => {
    const b = boot();
    b.setSpi(70, true);
    expect(b.distRead(D.ISPENDR + 8)).toBe(1 << 6);
    expect(b.irq(0)).toBe(false);
    expect(b.cpuRead(C.IAR)).toBe(1023);
    b.linuxUnmask(70);
    expect(b.irq(0)).toBe(true);
    b.linuxMask(70);
    expect(b.irq(0)).toBe(false);
  });
});

describe('priorities, running priority and PMR', () => {
  it('lets a higher-priority interrupt preempt an active one and restores the running priority', () => {
    const b = boot();
    b.linuxUnmask(40);
    b.linuxUnmask(41);
    b.distWrite(D.IPRIORITYR + 41, 0x80, 1);
    b.setSpi(40, true);
    expect(b.cpuRead(C.IAR)).toBe(40);
    expect(b.cpuRead(C.RPR)).toBe(0xa0);

    b.setSpi(41, true);
    expect(b.irq(0)).toBe(true); // 0x80 is higher than the running 0xa0
    expect(b.cpuRead(C.IAR)).toBe(41);
    expect(b.cpuRead(C.RPR)).toBe(0x80);
    expect(b.distRead(D.ISACTIVER + 4)).toBe((1 << 8) | (1 << 9));

    b.setSpi(41, false);
    b.cpuWrite(C.EOIR, 41);
    expect(b.cpuRead(C.RPR)).toBe(0xa0);
    b.setSpi(40, false);
    b.cpuWrite(C.EOIR, 40);
    expect(b.cpuRead(C.RPR)).toBe(0xff);
  });

  it('does not preempt at equal or lower priority', () => {
    const b = boot();
    for (const id of [40, 41, 42]) b.linuxUnmask(id);
    b.distWrite(D.IPRIORITYR + 42, 0xc0, 1);
    b.setSpi(40, true);
    expect(b.cpuRead(C.IAR)).toBe(40);
    b.setSpi(41, true); // same priority 0xa0
    b.setSpi(42, true); // lower priority 0xc0
    expect(b.irq(0)).toBe(false);
    expect(b.cpuRead(C.IAR)).toBe(1023);
    expect(b.cpuRead(C.HPPIR)).toBe(41); // still reported as the best pending one
    b.cpuWrite(C.EOIR, 40);
    expect(b.irq(0)).toBe(true);
  });

  it('masks interrupts whose priority is not strictly higher than PMR', () => {
    const b = boot();
    b.linuxUnmask(40);
    b.cpuWrite(C.PMR, 0xa0);
    b.setSpi(40, true);
    expect(b.irq(0)).toBe(false);
    expect(b.cpuRead(C.HPPIR)).toBe(1023);
    expect(b.cpuRead(C.IAR)).toBe(1023);
    b.cpuWrite(C.PMR, 0xa8);
    expect(b.irq(0)).toBe(true);
    expect(b.cpuRead(C.IAR)).toBe(40);
  });

  it('compares group priorities: the binary point hides the subpriority from preemption', () => {
    const b = boot();
    b.cpuWrite(C.BPR, 2); // group priority is bits [7:3]
    b.linuxUnmask(40);
    b.linuxUnmask(41);
    b.linuxUnmask(42);
    b.distWrite(D.IPRIORITYR + 40, 0x84, 1);
    b.distWrite(D.IPRIORITYR + 41, 0x81, 1);
    b.distWrite(D.IPRIORITYR + 42, 0x78, 1);
    b.setSpi(40, true);
    expect(b.cpuRead(C.IAR)).toBe(40);
    expect(b.cpuRead(C.RPR)).toBe(0x80); // 0x84 & 0xf8
    b.setSpi(41, true); // 0x81 is in the same group as 0x84
    expect(b.irq(0)).toBe(false);
    b.setSpi(42, true); // 0x78 is a higher group
    expect(b.irq(0)).toBe(true);
    expect(b.cpuRead(C.IAR)).toBe(42);
  });

  it('records each active preemption level in GICC_APRn, priority >> 1', () => {
    const b = boot();
    b.linuxUnmask(40);
    b.linuxUnmask(41);
    b.distWrite(D.IPRIORITYR + 41, 0x20, 1);
    b.setSpi(40, true);
    b.cpuRead(C.IAR);
    b.setSpi(41, true);
    b.cpuRead(C.IAR);
    // 0xa0 >> 1 = 80: APR2 bit 16; 0x20 >> 1 = 16: APR0 bit 16.
    expect([0, 1, 2, 3].map((n) => b.cpuRead(C.APR0 + 4 * n))).toEqual([1 << 16, 0, 1 << 16, 0]);
    b.cpuWrite(C.EOIR, 41);
    expect([0, 1, 2, 3].map((n) => b.cpuRead(C.APR0 + 4 * n))).toEqual([0, 0, 1 << 16, 0]);
  });
});

describe('SGIs between CPUs', () => {
  it('delivers an IPI to the listed CPUs with the sender in GICC_IAR.CPUID', () => {
    const b = boot({ numCpu: 4 });
    b.as(1, () => b.linuxSendIpi(5, 0b1100));
    expect(b.irqs()).toEqual([false, false, true, true]);
    // Pending state per target and source: SPENDSGIR1 byte 1 (SGI 5), bit 1 (from CPU 1).
    expect(b.as(2, () => b.distRead(D.SPENDSGIR + 4))).toBe(0x0200);
    expect(b.as(0, () => b.distRead(D.SPENDSGIR + 4))).toBe(0);
    expect(b.as(2, () => b.distRead(D.ISPENDR))).toBe(1 << 5);

    expect(b.as(2, () => b.cpuRead(C.IAR))).toBe(5 | (1 << 10));
    expect(b.irqs()).toEqual([false, false, false, true]);
    expect(b.as(2, () => b.distRead(D.ISACTIVER))).toBe(1 << 5);
    expect(b.as(3, () => b.distRead(D.ISACTIVER))).toBe(0);
    b.as(2, () => b.cpuWrite(C.EOIR, 5 | (1 << 10)));
    expect(b.as(2, () => b.distRead(D.ISACTIVER))).toBe(0);

    expect(b.as(3, () => b.linuxHandleIrqs())).toEqual([5 | (1 << 10)]);
    expect(b.irqs()).toEqual([false, false, false, false]);
  });

  it('keeps one pending state per source CPU and serves the lowest source first', () => {
    const b = boot({ numCpu: 4 });
    b.as(3, () => b.linuxSendIpi(2, 0b0010));
    b.as(0, () => b.linuxSendIpi(2, 0b0010));
    expect(b.as(1, () => b.distRead(D.SPENDSGIR))).toBe(0b1001 << 16);
    expect(b.as(1, () => b.cpuRead(C.HPPIR))).toBe(2);
    expect(b.as(1, () => b.cpuRead(C.IAR))).toBe(2);
    // Still pending from CPU 3 while active: not signalled until EOI.
    expect(b.as(1, () => b.distRead(D.ISPENDR))).toBe(1 << 2);
    expect(b.irq(1)).toBe(false);
    b.as(1, () => b.cpuWrite(C.EOIR, 2));
    expect(b.irq(1)).toBe(true);
    expect(b.as(1, () => b.cpuRead(C.IAR))).toBe(2 | (3 << 10));
    b.as(1, () => b.cpuWrite(C.EOIR, 2 | (3 << 10)));
    expect(b.as(1, () => b.distRead(D.ISPENDR))).toBe(0);
  });

  it('applies the target list filters: all but self, and self', () => {
    const b = boot({ numCpu: 4 });
    b.as(2, () => b.distWrite(D.SGIR, (1 << 24) | 7));
    expect(b.irqs()).toEqual([true, true, false, true]);
    for (const cpu of [0, 1, 3]) expect(b.as(cpu, () => b.cpuRead(C.IAR))).toBe(7 | (2 << 10));
    b.as(1, () => b.distWrite(D.SGIR, (2 << 24) | (0xff << 16) | 9)); // the list is ignored
    expect(b.as(1, () => b.distRead(D.SPENDSGIR + 8))).toBe(0x0200);
    expect(b.as(0, () => b.distRead(D.SPENDSGIR + 8))).toBe(0);
  });

  it('ignores targets beyond the implemented CPUs and the reserved filter', () => {
    const b = boot({ numCpu: 2 });
    b.linuxSendIpi(1, 0xfc);
    expect(b.irqs()).toEqual([false, false]);
    b.distWrite(D.SGIR, (3 << 24) | (3 << 16) | 1);
    expect(b.irqs()).toEqual([false, false]);
    expect(b.guestErrors()).toEqual(['GICD_SGIR: reserved TargetListFilter 3 (value 0x3030001)']);
  });

  it('sets and clears SGI sources through SPENDSGIR and CPENDSGIR bytes', () => {
    const b = boot({ numCpu: 2 });
    b.as(1, () => b.distWrite(D.SPENDSGIR + 3, 0b11, 1)); // SGI 3 from CPUs 0 and 1
    expect(b.as(1, () => b.distRead(D.CPENDSGIR))).toBe(0x03000000);
    expect(b.irq(1)).toBe(true);
    b.as(1, () => b.distWrite(D.CPENDSGIR + 3, 0b01, 1));
    expect(b.as(1, () => b.cpuRead(C.IAR))).toBe(3 | (1 << 10));
    b.as(1, () => b.cpuWrite(C.EOIR, 3 | (1 << 10)));
    expect(b.as(1, () => b.distRead(D.SPENDSGIR))).toBe(0);
    expect(b.irq(1)).toBe(false);
  });

  it('cannot disable SGIs or change their pending state through ICENABLER/ISPENDR/ICPENDR', () => {
    const b = boot({ numCpu: 2 });
    b.distWrite(D.ICENABLER, 0xffffffff);
    expect(b.distRead(D.ISENABLER)).toBe(0x0000ffff);
    b.distWrite(D.ISPENDR, 0x0000ffff);
    expect(b.distRead(D.ISPENDR)).toBe(0);
    b.linuxSendIpi(4, 1);
    b.distWrite(D.ICPENDR, 0x0000ffff);
    expect(b.distRead(D.ISPENDR)).toBe(1 << 4);
    // SGIs are edge-triggered, fixed (GICD_ICFGR0 is read-only).
    b.distWrite(D.ICFGR, 0);
    expect(b.distRead(D.ICFGR)).toBe(0xaaaaaaaa);
  });
});

describe('PPIs are banked per CPU', () => {
  it('keeps enable, pending, priority and line state separate for each CPU', () => {
    const b = boot({ numCpu: 2 });
    b.as(0, () => b.linuxUnmask(27));
    b.as(0, () => b.distWrite(D.IPRIORITYR + 27, 0x40, 1));
    expect(b.as(0, () => b.distRead(D.ISENABLER))).toBe(0x0800ffff);
    expect(b.as(1, () => b.distRead(D.ISENABLER))).toBe(0x0000ffff);
    expect(b.as(1, () => b.distRead(D.IPRIORITYR + 24))).toBe(0xa0a0a0a0);
    expect(b.as(0, () => b.distRead(D.IPRIORITYR + 24))).toBe(0x40a0a0a0);

    b.setPpi(1, 27, true); // CPU 1's virtual timer: disabled on CPU 1
    expect(b.irqs()).toEqual([false, false]);
    expect(b.as(1, () => b.distRead(D.ISPENDR))).toBe(1 << 27);
    expect(b.as(0, () => b.distRead(D.ISPENDR))).toBe(0);

    b.setPpi(0, 27, true);
    expect(b.irqs()).toEqual([true, false]);
    expect(b.as(0, () => b.cpuRead(C.IAR))).toBe(27);
    expect(b.as(0, () => b.cpuRead(C.RPR))).toBe(0x40);
    expect(b.as(1, () => b.cpuRead(C.IAR))).toBe(1023);

    b.as(1, () => b.linuxUnmask(27));
    expect(b.irqs()).toEqual([false, true]);
    expect(b.as(1, () => b.cpuRead(C.IAR))).toBe(27);
    expect(b.as(0, () => b.distRead(D.ISACTIVER))).toBe(1 << 27);
    expect(b.as(1, () => b.distRead(D.ISACTIVER))).toBe(1 << 27);
    b.as(0, () => b.cpuWrite(C.EOIR, 27));
    expect(b.as(0, () => b.distRead(D.ISACTIVER))).toBe(0);
    expect(b.as(1, () => b.distRead(D.ISACTIVER))).toBe(1 << 27);
  });

  it('delivers the physical and virtual timer PPIs 30 and 27 of each CPU only to that CPU', () => {
    const b = boot({ numCpu: 3 });
    for (let cpu = 0; cpu < 3; cpu++) {
      b.as(cpu, () => {
        b.linuxUnmask(27);
        b.linuxUnmask(30);
      });
    }
    b.setPpi(2, 30, true);
    expect(b.irqs()).toEqual([false, false, true]);
    expect(b.as(2, () => b.cpuRead(C.IAR))).toBe(30);
    b.setPpi(1, 27, true);
    expect(b.irqs()).toEqual([false, true, false]);
    expect(b.as(1, () => b.cpuRead(C.IAR))).toBe(27);
  });

  it('keeps the group of each PPI banked', () => {
    const b = boot({ numCpu: 2 });
    b.as(1, () => b.distWrite(D.IGROUPR, 1 << 27));
    expect(b.as(1, () => b.distRead(D.IGROUPR))).toBe(1 << 27);
    expect(b.as(0, () => b.distRead(D.IGROUPR))).toBe(0);
  });
});

describe('level-sensitive and edge-triggered inputs', () => {
  it('a level interrupt is pending only while its line is high', () => {
    const b = boot();
    b.linuxUnmask(50);
    b.setSpi(50, true);
    expect(b.irq(0)).toBe(true);
    b.setSpi(50, false);
    expect(b.irq(0)).toBe(false);
    expect(b.distRead(D.ISPENDR + 4)).toBe(0);
    expect(b.cpuRead(C.IAR)).toBe(1023);
  });

  it('an edge interrupt latches on the rising edge and stays pending after the line drops', () => {
    const b = boot();
    b.linuxSetType(50, true);
    expect(b.distRead(D.ICFGR + 12)).toBe(2 << 4);
    b.linuxUnmask(50);
    b.setSpi(50, true);
    b.setSpi(50, false);
    expect(b.irq(0)).toBe(true);
    expect(b.cpuRead(C.IAR)).toBe(50);
    expect(b.distRead(D.ISPENDR + 4)).toBe(0);
  });

  it('an edge while active makes it active and pending, signalled again after EOI', () => {
    const b = boot();
    b.linuxSetType(50, true);
    b.linuxUnmask(50);
    b.gic.spiInput(50).setLevel(true);
    b.gic.spiInput(50).setLevel(false);
    expect(b.cpuRead(C.IAR)).toBe(50);
    b.setSpi(50, true);
    expect(b.distRead(D.ISPENDR + 4)).toBe(1 << 18);
    expect(b.distRead(D.ISACTIVER + 4)).toBe(1 << 18);
    expect(b.irq(0)).toBe(false);
    b.cpuWrite(C.EOIR, 50);
    expect(b.irq(0)).toBe(true);
    expect(b.cpuRead(C.IAR)).toBe(50);
    b.cpuWrite(C.EOIR, 50);
    expect(b.irq(0)).toBe(false);
  });

  it('a line held high is one edge, however often its source repeats the level', () => {
    const b = boot();
    b.linuxSetType(50, true);
    b.linuxUnmask(50);
    b.setSpi(50, true);
    expect(b.cpuRead(C.IAR)).toBe(50);
    b.setSpi(50, true);
    b.cpuWrite(C.EOIR, 50);
    expect(b.irq(0)).toBe(false);
  });

  it('ISPENDR makes a level interrupt pending without its line until acknowledged', () => {
    const b = boot();
    b.linuxUnmask(60);
    b.distWrite(D.ISPENDR + 4, 1 << 28);
    expect(b.irq(0)).toBe(true);
    expect(b.cpuRead(C.IAR)).toBe(60);
    expect(b.distRead(D.ISPENDR + 4)).toBe(0);
    b.cpuWrite(C.EOIR, 60);
    expect(b.irq(0)).toBe(false);
  });

  it('ISPENDR on a level interrupt survives the line dropping; ICPENDR clears it', () => {
    const b = boot();
    b.linuxUnmask(60);
    b.setSpi(60, true);
    b.distWrite(D.ISPENDR + 4, 1 << 28);
    b.setSpi(60, false);
    expect(b.irq(0)).toBe(true);
    b.distWrite(D.ICPENDR + 4, 1 << 28);
    expect(b.irq(0)).toBe(false);
  });

  it('ICPENDR cannot clear a level interrupt whose line is still high', () => {
    const b = boot();
    b.linuxUnmask(60);
    b.setSpi(60, true);
    b.distWrite(D.ICPENDR + 4, 1 << 28);
    expect(b.distRead(D.ISPENDR + 4)).toBe(1 << 28);
    expect(b.irq(0)).toBe(true);
  });
});

describe('SPI target routing', () => {
  it('signals every targeted CPU; the first to acknowledge takes it', () => {
    const b = boot({ numCpu: 4 });
    b.linuxUnmask(40);
    b.linuxSetAffinity(40, 0b0110);
    expect(b.distRead(D.ITARGETSR + 40, 1)).toBe(0b0110);
    b.setSpi(40, true);
    expect(b.irqs()).toEqual([false, true, true, false]);
    expect(b.as(2, () => b.cpuRead(C.IAR))).toBe(40);
    expect(b.irqs()).toEqual([false, false, false, false]);
    expect(b.as(1, () => b.cpuRead(C.IAR))).toBe(1023);
    b.setSpi(40, false);
    b.as(2, () => b.cpuWrite(C.EOIR, 40));
    expect(b.irqs()).toEqual([false, false, false, false]);
  });

  it('moves a pending interrupt when its affinity changes', () => {
    const b = boot({ numCpu: 4 });
    b.linuxUnmask(45);
    b.setSpi(45, true);
    expect(b.irqs()).toEqual([true, false, false, false]);
    b.linuxSetAffinity(45, 1 << 3);
    expect(b.irqs()).toEqual([false, false, false, true]);
    expect(b.as(3, () => b.cpuRead(C.IAR))).toBe(45);
  });

  it('drops target bits of CPUs that do not exist, and never signals an untargeted SPI', () => {
    const b = boot({ numCpu: 2 });
    b.linuxUnmask(40);
    b.linuxSetAffinity(40, 0xfc);
    expect(b.distRead(D.ITARGETSR + 40, 1)).toBe(0);
    b.setSpi(40, true);
    expect(b.irqs()).toEqual([false, false]);
    expect(b.distRead(D.ISPENDR + 4)).toBe(1 << 8);
  });

  it('routes every SPI to the only CPU of a uniprocessor GIC, whose ITARGETSR is RAZ/WI', () => {
    const b = boot({ numCpu: 1 });
    expect(b.distRead(D.ITARGETSR + 40)).toBe(0);
    b.distWrite(D.ITARGETSR + 40, 0);
    b.linuxUnmask(41);
    b.setSpi(41, true);
    expect(b.irq(0)).toBe(true);
  });
});

describe('spurious interrupts', () => {
  it('GICC_IAR reads 1023 with nothing pending, and EOI of 1023 is ignored quietly', () => {
    const b = boot();
    expect(b.cpuRead(C.IAR)).toBe(1023);
    expect(b.cpuRead(C.HPPIR)).toBe(1023);
    b.cpuWrite(C.EOIR, 1023);
    expect(b.guestErrors()).toEqual([]);
  });

  it('GICC_IAR reads 1023 while the CPU interface or the distributor is disabled', () => {
    const b = boot();
    b.linuxUnmask(40);
    b.setSpi(40, true);
    b.cpuWrite(C.CTLR, 0);
    expect(b.irq(0)).toBe(false);
    expect(b.cpuRead(C.IAR)).toBe(1023);
    b.cpuWrite(C.CTLR, 1);
    b.distWrite(D.CTLR, 0);
    expect(b.irq(0)).toBe(false);
    expect(b.cpuRead(C.IAR)).toBe(1023);
    b.distWrite(D.CTLR, 1);
    expect(b.cpuRead(C.IAR)).toBe(40);
  });

  it('the loser of a race for a shared SPI reads 1023', () => {
    const b = boot({ numCpu: 2 });
    b.linuxUnmask(40);
    b.linuxSetAffinity(40, 0b11);
    b.setSpi(40, true);
    expect(b.irqs()).toEqual([true, true]);
    expect(b.as(0, () => b.cpuRead(C.IAR))).toBe(40);
    expect(b.as(1, () => b.cpuRead(C.IAR))).toBe(1023);
  });
});

describe('EOImode 1: priority drop and deactivation split', () => {
  it('EOIR drops the running priority and GICC_DIR deactivates', () => {
    const b = boot({}, { eoiMode1: true });
    expect(b.cpuRead(C.CTLR)).toBe(0x201);
    b.linuxUnmask(40);
    b.setSpi(40, true);
    expect(b.cpuRead(C.IAR)).toBe(40);
    b.cpuWrite(C.EOIR, 40);
    expect(b.cpuRead(C.RPR)).toBe(0xff);
    expect(b.distRead(D.ISACTIVER + 4)).toBe(1 << 8);
    expect(b.irq(0)).toBe(false); // still active: not signalled again
    b.cpuWrite(C.DIR, 40);
    expect(b.distRead(D.ISACTIVER + 4)).toBe(0);
    expect(b.irq(0)).toBe(true); // the line is still high
  });

  it('lets another interrupt in between priority drop and deactivation', () => {
    const b = boot({}, { eoiMode1: true });
    b.linuxUnmask(40);
    b.linuxUnmask(41);
    b.setSpi(40, true);
    b.cpuRead(C.IAR);
    b.cpuWrite(C.EOIR, 40);
    b.setSpi(41, true); // same priority: can be taken once 40's priority is dropped
    expect(b.irq(0)).toBe(true);
    expect(b.cpuRead(C.IAR)).toBe(41);
  });

  it('ignores GICC_DIR in EOImode 0 and logs it', () => {
    const b = boot();
    b.linuxUnmask(40);
    b.setSpi(40, true);
    b.cpuRead(C.IAR);
    b.cpuWrite(C.DIR, 40);
    expect(b.distRead(D.ISACTIVER + 4)).toBe(1 << 8);
    expect(b.guestErrors()).toEqual(['GICC_DIR: written with GICC_CTLR.EOImode 0 (interrupt 40); ignored']);
  });
});

describe('interrupt groups and FIQ', () => {
  it('signals Group 0 as FIQ on the CPU whose FIQEn is set, Group 1 as IRQ', () => {
    const b = boot({ numCpu: 2 });
    b.distWrite(D.CTLR, 3);
    b.as(1, () => b.cpuWrite(C.CTLR, 0b1111)); // both groups, AckCtl, FIQEn
    b.linuxUnmask(40);
    b.linuxUnmask(41);
    b.linuxSetAffinity(40, 2);
    b.linuxSetAffinity(41, 2);
    b.distWrite(D.IGROUPR + 4, 1 << 9); // 41 is Group 1
    b.setSpi(40, true);
    expect([b.irq(1), b.fiq(1)]).toEqual([false, true]);
    expect(b.as(1, () => b.cpuRead(C.IAR))).toBe(40);
    expect(b.fiq(1)).toBe(false);
    b.distWrite(D.IPRIORITYR + 41, 0x10, 1);
    b.setSpi(41, true);
    expect([b.irq(1), b.fiq(1)]).toEqual([true, false]);
    expect(b.fiq(0)).toBe(false);
  });

  it('does not signal a group that GICD_CTLR leaves disabled', () => {
    const b = boot();
    b.cpuWrite(C.CTLR, 0b111);
    b.distWrite(D.IGROUPR + 4, 1 << 8);
    b.linuxUnmask(40);
    b.setSpi(40, true);
    expect(b.irq(0)).toBe(false); // GICD_CTLR = 1: Group 0 only
    b.distWrite(D.CTLR, 3);
    expect(b.irq(0)).toBe(true);
  });
});

describe('many interrupts', () => {
  it('picks the highest priority, then the lowest ID, across 992 interrupts and 8 CPUs', () => {
    const b = boot({ numCpu: 8, numIrq: 992 });
    const priorities = new Map<number, number>();
    let seed = 12345;
    for (let id = 32; id < 992; id++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const prio = (seed >>> 16) & 0xf0;
      priorities.set(id, prio);
      b.distWrite(D.IPRIORITYR + id, prio, 1);
      b.linuxSetAffinity(id, 1 << (id % 8));
      b.linuxUnmask(id);
      b.setSpi(id, true);
    }
    for (let cpu = 0; cpu < 8; cpu++) {
      const mine = [...priorities].filter(([id, prio]) => id % 8 === cpu && prio < 0xf0);
      mine.sort(([idA, a], [idB, bb]) => a - bb || idA - idB);
      const order = b.as(cpu, () => b.linuxHandleIrqs((iar) => b.setSpi(iar, false)));
      expect(order).toEqual(mine.map(([id]) => id));
    }
  });
});
