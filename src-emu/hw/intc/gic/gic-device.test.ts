/**
 * The GIC as a device: registers and access sizes, guest errors, configuration checks, migration, the
 * inspector's views and trace events. Register facts from IHI 0048B chapter 4; QEMU's names and values
 * from QEMU 7.2 (`qemu-system-aarch64 -M virt -dump-vmstate`, and the transcripts in qemu-oracle/).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceError, TypeRegistry } from '../../../core/object';
import { VirtualClock } from '../../../core/timer';
import { TraceRing, traceRegistry } from '../../../core/trace';
import { VMStateError, describe as describeState, entry, loadMachine, saveMachine } from '../../../core/vmstate';
import { Gic } from './gic';
import { GICC_REGS, GICD_REGS } from './registers';
import { C, D, GICC, TestBoard } from './test-board';

let board: TestBoard | null = null;

function makeBoard(props: Record<string, unknown> = {}): TestBoard {
  board = new TestBoard(props);
  return board;
}

afterEach(() => {
  board?.dispose();
  board = null;
});

function newGic(props: Record<string, unknown>): Gic {
  return new Gic({ path: '/machine/gic', context: { clock: new VirtualClock({ mode: 'deterministic' }) }, props });
}

describe('configuration', () => {
  it('accepts 1 to 8 CPUs and multiples of 32 interrupts up to 992', () => {
    for (const [numCpu, numIrq] of [
      [1, 32],
      [8, 992],
      [2, 288],
    ]) {
      const gic = newGic({ numCpu, numIrq });
      gic.realize();
      expect(gic.state.words).toBe(numIrq / 32);
    }
  });

  it.each([
    [{ numIrq: 300 }, 'numIrq', '300 is not a multiple of 32'],
    [{ numIrq: 1024 }, 'numIrq', '1024 is outside 32..992'],
    [{ numIrq: 16 }, 'numIrq', '16 is outside 32..992'],
    [{ numCpu: 9 }, 'numCpu', '9 is outside 1..8'],
    [{ numCpu: 0 }, 'numCpu', '0 is outside 1..8'],
  ])('refuses %o at realize with a DeviceError naming the property', (props, property, detail) => {
    const gic = newGic(props);
    let error: unknown = null;
    try {
      gic.realize();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DeviceError);
    expect((error as DeviceError).property).toBe(property);
    expect((error as DeviceError).message).toContain(detail);
    expect((error as DeviceError).message).toContain('/machine/gic');
  });

  it('refuses a size changed after creation, since it sizes the lines', () => {
    const gic = newGic({ numIrq: 64 });
    gic.setProp('numIrq', 96);
    expect(() => gic.realize()).toThrow(/property 'numIrq': must be given when the device is created/);
  });

  it('is created by type name from a machine config', () => {
    const registry = new TypeRegistry();
    registry.registerType(Gic);
    const gic = registry.createDevice(
      'arm_gic',
      '/machine/gic',
      { numCpu: '2', numIrq: '0x60' },
      {
        clock: new VirtualClock({ mode: 'deterministic' }),
      },
    ) as Gic;
    gic.realize();
    expect([gic.state.numCpu, gic.state.numIrq]).toEqual([2, 96]);
  });

  it("exposes QEMU's sysbus layout: regions 0/1 and IRQ outputs then FIQ outputs", () => {
    const gic = newGic({ numCpu: 2 });
    expect([gic.mmioRegion(0).name, gic.mmioRegion(0).size]).toEqual(['gic_dist', 0x1000]);
    expect([gic.mmioRegion(1).name, gic.mmioRegion(1).size]).toEqual(['gic_cpu', 0x2000]);
    expect([0, 1, 2, 3].map((n) => gic.irqOutput(n).name)).toEqual(['irq0', 'irq1', 'fiq0', 'fiq1']);
    expect(gic.spiInput(287).path).toBe('/machine/gic/spi[255]');
    expect(gic.ppiInput(1, 27).path).toBe('/machine/gic/ppi1[11]');
    expect(() => gic.spiInput(288)).toThrow(/no line 256/);
    expect(() => gic.ppiInput(0, 32)).toThrow(/not a PPI/);
    expect(() => gic.ppiInput(2, 27)).toThrow(/no CPU interface 2/);
  });
});

describe('distributor registers', () => {
  it('reads the reset state: disabled, SGIs enabled and edge-triggered, all else zero', () => {
    const b = makeBoard({ numCpu: 2, numIrq: 64 });
    expect(b.distRead(D.CTLR)).toBe(0);
    expect(b.distRead(D.TYPER)).toBe(0x21);
    expect(b.distRead(D.IIDR)).toBe(0x43b);
    expect(b.distRead(D.ISENABLER)).toBe(0xffff);
    expect(b.distRead(D.ICFGR)).toBe(0xaaaaaaaa);
    for (const offset of [D.IGROUPR, D.ISPENDR, D.ISACTIVER, D.ICFGR + 4, D.IPRIORITYR + 32, D.ITARGETSR + 32]) {
      expect(b.distRead(offset)).toBe(0);
    }
  });

  it('reads the CoreLink ID registers as the register map declares them', () => {
    const b = makeBoard();
    for (const name of ['PIDR0', 'PIDR1', 'PIDR2', 'PIDR3', 'PIDR4', 'CIDR0', 'CIDR1', 'CIDR2', 'CIDR3'] as const) {
      expect(b.distRead(GICD_REGS[name].offset)).toBe(GICD_REGS[name].reset);
    }
    // PIDR2.ArchRev (bits [7:4]) is 2: a GICv2.
    expect(b.distRead(GICD_REGS.PIDR2.offset) >>> 4).toBe(2);
    expect([0xfd4, 0xfd8, 0xfdc].map((o) => b.distRead(o))).toEqual([0, 0, 0]);
  });

  it('keeps only the two group enables of GICD_CTLR', () => {
    const b = makeBoard();
    b.distWrite(D.CTLR, 0xffffffff);
    expect(b.distRead(D.CTLR)).toBe(3);
  });

  it('gives byte and halfword access to the bit arrays', () => {
    const b = makeBoard();
    b.distWrite(D.ISENABLER + 5, 0x81, 1); // interrupts 40 and 47
    expect(b.distRead(D.ISENABLER + 4)).toBe(0x8100);
    expect(b.distRead(D.ISENABLER + 5, 1)).toBe(0x81);
    b.distWrite(D.ICENABLER + 4, 0x0100, 2);
    expect(b.distRead(D.ISENABLER + 4)).toBe(0x8000);
    b.distWrite(D.IGROUPR + 6, 0xff, 1);
    b.distWrite(D.IGROUPR + 4, 0x00ff, 2); // a partial write leaves the other bytes
    expect(b.distRead(D.IGROUPR + 4)).toBe(0x00ff00ff);
  });

  it('gives byte, halfword and word access to IPRIORITYR with 8 bits implemented', () => {
    const b = makeBoard();
    b.distWrite(D.IPRIORITYR + 40, 0x11223344);
    b.distWrite(D.IPRIORITYR + 41, 0xff, 1);
    expect(b.distRead(D.IPRIORITYR + 40)).toBe(0x1122ff44);
    b.distWrite(D.IPRIORITYR + 42, 0x0507, 2);
    expect(b.distRead(D.IPRIORITYR + 40)).toBe(0x0507ff44);
    expect(b.distRead(D.IPRIORITYR + 43, 1)).toBe(0x05);
    expect(b.distRead(D.IPRIORITYR + 42, 2)).toBe(0x0507);
  });

  it('writes ICFGR configuration bits of PPIs and SPIs; the low bit of each field reads as zero', () => {
    const b = makeBoard();
    b.distWrite(D.ICFGR + 4, 0xffffffff);
    expect(b.distRead(D.ICFGR + 4)).toBe(0xaaaaaaaa);
    b.distWrite(D.ICFGR + 8, 0x80, 1); // interrupt 35 edge
    expect(b.distRead(D.ICFGR + 8)).toBe(0x80);
    expect(b.gic.state.isEdgeTriggered(35)).toBe(true);
    expect(b.gic.state.isEdgeTriggered(34)).toBe(false);
  });

  it('reads interrupts beyond num-irq as zero and ignores writes to them', () => {
    const b = makeBoard({ numIrq: 64 });
    b.distWrite(D.ISENABLER + 8, 0xffffffff);
    b.distWrite(D.IPRIORITYR + 64, 0xffffffff);
    b.distWrite(D.ICFGR + 16, 0xffffffff);
    expect([D.ISENABLER + 8, D.IPRIORITYR + 64, D.ICFGR + 16].map((o) => b.distRead(o))).toEqual([0, 0, 0]);
    expect(b.guestErrors()).toEqual([]);
  });

  it('sets and clears active state through ISACTIVER and ICACTIVER', () => {
    const b = makeBoard();
    b.distWrite(D.ISACTIVER + 4, 0x5);
    expect(b.distRead(D.ICACTIVER + 4)).toBe(0x5);
    b.distWrite(D.ICACTIVER + 4, 0x1);
    expect(b.distRead(D.ISACTIVER + 4)).toBe(0x4);
  });

  it('reads NSACR as zero without Security Extensions', () => {
    const b = makeBoard();
    b.distWrite(0xe08, 0xffffffff);
    expect(b.distRead(0xe08)).toBe(0);
    expect(b.guestErrors()).toEqual([]);
  });
});

describe('CPU interface registers', () => {
  it('reads the reset state and GICC_IIDR of a GICv2', () => {
    const b = makeBoard();
    expect([C.CTLR, C.PMR, C.BPR, C.ABPR, C.RPR, C.HPPIR].map((o) => b.cpuRead(o))).toEqual([0, 0, 0, 1, 0xff, 1023]);
    const iidr = b.cpuRead(C.IIDR);
    expect(iidr).toBe(GICC_REGS.IIDR.reset);
    expect(GICC_REGS.IIDR.get(iidr, 'ARCH_VERSION')).toBe(2);
    expect(GICC_REGS.IIDR.get(iidr, 'IMPLEMENTER')).toBe(0x43b);
  });

  it('keeps the implemented bits of CTLR, PMR, BPR and ABPR', () => {
    const b = makeBoard();
    b.cpuWrite(C.CTLR, 0xffffffff);
    b.cpuWrite(C.PMR, 0xffffffff);
    b.cpuWrite(C.BPR, 0xffffffff);
    b.cpuWrite(C.ABPR, 0);
    expect([C.CTLR, C.PMR, C.BPR, C.ABPR].map((o) => b.cpuRead(o))).toEqual([0x21f, 0xff, 7, 1]);
  });

  it('banks the CPU interface per CPU', () => {
    const b = makeBoard({ numCpu: 2 });
    b.as(1, () => b.cpuWrite(C.PMR, 0x80));
    expect([0, 1].map((cpu) => b.as(cpu, () => b.cpuRead(C.PMR)))).toEqual([0, 0x80]);
  });

  it('reads the aliased Group 1 registers as zero and ignores AEOIR', () => {
    const b = makeBoard();
    b.cpuWrite(0x24, 40);
    expect([0x20, 0x28].map((o) => b.cpuRead(o))).toEqual([0, 0]);
    expect(b.guestErrors()).toEqual([]);
  });

  it('moves the running priority with a write to the active priority registers', () => {
    const b = makeBoard();
    b.cpuWrite(C.APR0 + 4, 1 << 8); // preemption level 40: priority 0x50
    expect(b.cpuRead(C.RPR)).toBe(0x50);
    b.cpuWrite(C.NSAPR0, 1 << 3); // level 3: priority 0x06
    expect(b.cpuRead(C.RPR)).toBe(0x06);
    b.cpuWrite(C.NSAPR0, 0);
    b.cpuWrite(C.APR0 + 4, 0);
    expect(b.cpuRead(C.RPR)).toBe(0xff);
  });
});

describe('guest errors', () => {
  it('logs reads and writes of reserved distributor offsets and reads them as zero', () => {
    const b = makeBoard();
    expect(b.distRead(0x010)).toBe(0);
    expect(b.distRead(0xd00)).toBe(0);
    b.distWrite(0xf30, 1);
    expect(b.guestErrors()).toEqual([
      'distributor read of reserved offset 0x10',
      'distributor read of reserved offset 0xd00',
      'distributor write to reserved offset 0xf30 (value 0x1)',
    ]);
  });

  it('logs writes to read-only distributor registers and leaves them unchanged', () => {
    const b = makeBoard();
    b.distWrite(D.TYPER, 0);
    b.distWrite(0xfe8, 0);
    expect(b.distRead(D.TYPER)).toBe(8);
    expect(b.distRead(0xfe8)).toBe(0x2b);
    expect(b.guestErrors()).toEqual([
      'distributor write to read-only offset 0x4 (value 0x0)',
      'distributor write to read-only offset 0xfe8 (value 0x0)',
    ]);
  });

  it('logs sub-word writes to GICD_CTLR and GICD_SGIR, and reads of GICD_SGIR', () => {
    const b = makeBoard();
    b.distWrite(D.CTLR, 1, 1);
    b.distWrite(D.SGIR, 1, 2);
    expect(b.distRead(D.SGIR)).toBe(0);
    expect(b.distRead(D.CTLR)).toBe(0);
    expect(b.distRead(D.ISPENDR)).toBe(0);
    expect(b.guestErrors()).toEqual([
      'GICD_CTLR: 1-byte write at 0x0 (word writes only)',
      'GICD_SGIR: 2-byte write at 0xf00 (word writes only)',
      'GICD_SGIR is write-only (read at 0xf00)',
    ]);
  });

  it('logs reserved and write-only CPU interface offsets and writes to read-only ones', () => {
    const b = makeBoard();
    expect(b.cpuRead(0x30)).toBe(0);
    expect(b.cpuRead(C.EOIR)).toBe(0);
    expect(b.cpuRead(C.DIR)).toBe(0);
    b.cpuWrite(C.RPR, 0);
    b.cpuWrite(0x1004, 0);
    expect(b.guestErrors()).toEqual([
      'CPU interface read of reserved offset 0x30',
      'CPU interface register at 0x10 is write-only',
      'CPU interface register at 0x1000 is write-only',
      'CPU interface register at 0x14 is read-only (value 0x0)',
      'CPU interface write to reserved offset 0x1004 (value 0x0)',
    ]);
  });

  it('refuses byte accesses to the CPU interface in the memory layer', () => {
    const b = makeBoard();
    b.bus.write(GICC + C.PMR, 1, 0x80);
    expect(b.cpuRead(C.PMR)).toBe(0);
    expect(b.guestErrors().length).toBe(1);
  });

  it('logs EOI of an unimplemented interrupt, EOI with nothing active, and EOI of an inactive one', () => {
    const b = makeBoard({ numIrq: 64 });
    b.cpuWrite(C.EOIR, 100);
    b.cpuWrite(C.EOIR, 40);
    b.cpuWrite(C.APR0, 1); // something active at priority 0
    b.cpuWrite(C.EOIR, 40);
    expect(b.cpuRead(C.RPR)).toBe(0xff);
    expect(b.guestErrors()).toEqual([
      'GICC_EOIR: interrupt 100 is not implemented',
      'GICC_EOIR: EOI of interrupt 40 on CPU 0 with no active interrupt',
      'deactivation of interrupt 40 on CPU 0, which is not active',
    ]);
  });

  it('treats an out-of-range CPU from the selector as CPU 0', () => {
    const b = makeBoard({ numCpu: 2 });
    b.as(7, () => b.cpuWrite(C.PMR, 0x40));
    expect(b.as(0, () => b.cpuRead(C.PMR))).toBe(0x40);
  });
});

describe('reset', () => {
  it('returns registers to reset values but keeps input line levels', () => {
    const b = makeBoard();
    b.distWrite(D.CTLR, 1);
    b.cpuWrite(C.CTLR, 1);
    b.cpuWrite(C.PMR, 0xff);
    b.distWrite(D.ISENABLER + 4, 1 << 8);
    b.setSpi(40, true);
    expect(b.cpuRead(C.IAR)).toBe(40);
    b.gic.resetEnter();
    b.gic.resetHold();
    expect(b.irq(0)).toBe(false);
    expect([C.CTLR, C.PMR, C.RPR].map((o) => b.cpuRead(o))).toEqual([0, 0, 0xff]);
    expect(b.distRead(D.ISACTIVER + 4)).toBe(0);
    // The device still drives its line: pending again as soon as the guest enables it.
    expect(b.distRead(D.ISPENDR + 4)).toBe(1 << 8);
  });
});

/** Puts a 2-CPU GIC into a state that touches every migrated field. */
function busyBoard(): TestBoard {
  const b = makeBoard({ numCpu: 2, numIrq: 96 });
  b.linuxDistInit();
  b.as(0, () => b.linuxCpuInit());
  b.as(1, () => b.linuxCpuInit(true));
  b.distWrite(D.CTLR, 3);
  b.as(1, () => b.cpuWrite(C.CTLR, 0x21f));
  b.as(1, () => b.cpuWrite(C.BPR, 3));
  b.as(1, () => b.cpuWrite(C.ABPR, 4));
  b.distWrite(D.IGROUPR + 8, 1 << 3);
  b.linuxSetType(70, true);
  b.linuxSetAffinity(70, 2);
  b.linuxSetAffinity(65, 3);
  b.distWrite(D.IPRIORITYR + 65, 0x30, 1);
  for (const id of [65, 67, 70]) b.linuxUnmask(id);
  b.as(1, () => b.linuxUnmask(27));
  b.setSpi(65, true);
  b.setSpi(67, true);
  b.setPpi(1, 27, true);
  b.as(0, () => b.linuxSendIpi(6, 0b10));
  b.as(1, () => b.linuxSendIpi(6, 0b10));
  expect(b.as(1, () => b.cpuRead(C.IAR))).toBe(65);
  expect(b.as(1, () => b.cpuRead(C.IAR))).toBe(1023); // preempting needs more than 0x30
  b.setSpi(70, true);
  b.setSpi(70, false);
  return b;
}

/** Every register a guest can read without side effects, per CPU. */
function registerSnapshot(b: TestBoard): number[] {
  const values: number[] = [];
  for (let cpu = 0; cpu < b.gic.state.numCpu; cpu++) {
    b.as(cpu, () => {
      for (let offset = 0; offset < 0xc20; offset += 4) values.push(b.distRead(offset));
      for (let offset = 0xf10; offset < 0xf30; offset += 4) values.push(b.distRead(offset));
      for (const offset of [C.CTLR, C.PMR, C.BPR, C.ABPR, C.RPR, C.HPPIR]) values.push(b.cpuRead(offset));
      for (let offset = C.APR0; offset < 0xf0; offset += 4) values.push(b.cpuRead(offset));
    });
  }
  return values;
}

describe('VMState', () => {
  it('round-trips the full state into a fresh GIC', () => {
    const a = busyBoard();
    const before = registerSnapshot(a);
    const views = [a.gic.interrupts(), a.gic.cpuInterfaces()];
    const outputs = [a.irqs(), [a.fiq(0), a.fiq(1)]];
    const stream = saveMachine([entry(Gic.vmstate, a.gic)]);
    a.dispose();

    const b = makeBoard({ numCpu: 2, numIrq: 96 });
    loadMachine(stream, [entry(Gic.vmstate, b.gic)]);
    expect(registerSnapshot(b)).toEqual(before);
    expect([b.gic.interrupts(), b.gic.cpuInterfaces()]).toEqual(views);
    expect([b.irqs(), [b.fiq(0), b.fiq(1)]]).toEqual(outputs);
    // Behaviour continues where it left off: CPU 0's best is Group 1 (67) while its AckCtl is 0; CPU 1
    // drops the priority of 65 (EOImode 1) and then takes SGI 6, lowest source first.
    expect(b.as(0, () => b.cpuRead(C.IAR))).toBe(1022);
    b.as(1, () => b.cpuWrite(C.EOIR, 65));
    expect(b.fiq(1)).toBe(true);
    expect(b.as(1, () => b.cpuRead(C.IAR))).toBe(6);
    expect(b.as(1, () => b.distRead(D.SPENDSGIR + 4))).toBe(0x00020000);
  });

  it('refuses a stream from a GIC of another size and leaves the device as it was', () => {
    const a = busyBoard();
    const stream = saveMachine([entry(Gic.vmstate, a.gic)]);
    a.dispose();
    const b = makeBoard({ numCpu: 4, numIrq: 96 });
    b.distWrite(D.CTLR, 1);
    const before = registerSnapshot(b);
    expect(() => loadMachine(stream, [entry(Gic.vmstate, b.gic)])).toThrow(VMStateError);
    expect(registerSnapshot(b)).toEqual(before);
  });

  it('refuses a stream whose running priority is out of range', () => {
    const b = makeBoard();
    b.gic.state.runningPriority[0] = 0x1ff;
    const stream = saveMachine([entry(Gic.vmstate, b.gic)]);
    b.gic.state.runningPriority[0] = 0x100;
    expect(() => loadMachine(stream, [entry(Gic.vmstate, b.gic)])).toThrow(/runningPriority\[0\] 511 is above 256/);
  });

  it("names its fields after QEMU's arm_gic (version 12) where they mean the same", () => {
    const b = makeBoard();
    const names = new Set(describeState(Gic.vmstate, b.gic).flatMap((f) => fieldNames(f)));
    // From `qemu-system-aarch64 -M virt -dump-vmstate`: the arm_gic fields, in camelCase.
    const qemu = ['ctlr', 'cpu_ctlr', 'irq_target', 'priority1', 'priority2', 'sgi_pending', 'priority_mask'];
    qemu.push('running_priority', 'current_pending', 'bpr', 'abpr', 'apr', 'nsapr');
    // irq_state's members, as bitmaps.
    qemu.push('enabled', 'pending', 'active', 'level', 'edge_trigger', 'group');
    for (const name of qemu)
      expect(names).toContain(`state.${name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())}`);
  });
});

function fieldNames(field: { name: string; children?: readonly unknown[] }): string[] {
  const children = (field.children ?? []) as { name: string; children?: readonly unknown[] }[];
  return [field.name, ...children.flatMap((child) => fieldNames(child).map((n) => `${field.name}.${n}`))];
}

describe('inspector views', () => {
  it('shows each interrupt with its state, SGIs and PPIs per CPU', () => {
    const b = busyBoard();
    const rows = b.gic.interrupts();
    expect(rows.length).toBe(2 * 32 + 64);
    expect(rows.find((r) => r.irq === 65)).toEqual({
      irq: 65,
      kind: 'spi',
      cpu: null,
      enabled: true,
      pending: true,
      active: true,
      priority: 0x30,
      group: 0,
      targets: 3,
      trigger: 'level',
      line: true,
      sgiSources: 0,
    });
    const sgi = rows.find((r) => r.irq === 6 && r.cpu === 1);
    expect([sgi?.kind, sgi?.pending, sgi?.sgiSources, sgi?.targets]).toEqual(['sgi', true, 0b11, 2]);
    const timer = rows.find((r) => r.irq === 27 && r.cpu === 1);
    expect([timer?.kind, timer?.enabled, timer?.line]).toEqual(['ppi', true, true]);
    expect(rows.find((r) => r.irq === 27 && r.cpu === 0)?.enabled).toBe(false);
    const edge = rows.find((r) => r.irq === 70);
    expect([edge?.trigger, edge?.pending, edge?.line, edge?.targets]).toEqual(['edge', true, false, 2]);
    expect(rows.find((r) => r.irq === 67)?.group).toBe(1);
  });

  it('shows each CPU interface with its priorities and outputs, without side effects', () => {
    const b = busyBoard();
    const cpus = b.gic.cpuInterfaces();
    expect(cpus[1]).toMatchObject({ cpu: 1, ctlr: 0x21f, priorityMask: 0xf0, binaryPoint: 3, runningPriority: 0x30 });
    expect(cpus[0]).toMatchObject({ cpu: 0, runningPriority: 0x100, highestPending: 67, irq: false, fiq: false });
    expect(b.gic.cpuInterfaces()).toEqual(cpus);
    expect(b.distRead(D.ISACTIVER + 8)).toBe(1 << 1);
  });
});

describe('trace events', () => {
  it('records set_irq, acknowledge, eoi and output changes when enabled', () => {
    const b = makeBoard();
    const ring = new TraceRing(64);
    traceRegistry.addSink(ring);
    traceRegistry.configure('gic_set_irq,gic_acknowledge,gic_eoi,gic_update_set_irq');
    try {
      b.distWrite(D.CTLR, 1);
      b.cpuWrite(C.CTLR, 1);
      b.cpuWrite(C.PMR, 0xff);
      b.distWrite(D.ISENABLER + 4, 1 << 8);
      b.setSpi(40, true);
      b.cpuRead(C.IAR);
      b.cpuWrite(C.EOIR, 40);
    } finally {
      traceRegistry.configure('');
      traceRegistry.removeSink(ring);
    }
    const events = ring.snapshot().map((r) => `${r.event.name}(${r.values.join(',')})`);
    expect(events).toEqual([
      'gic_set_irq(40,true,-1)',
      'gic_update_set_irq(0,irq,true)',
      'gic_acknowledge(0,40)',
      'gic_update_set_irq(0,irq,false)',
      'gic_eoi(0,40,256)',
      'gic_update_set_irq(0,irq,true)',
    ]);
  });
});
