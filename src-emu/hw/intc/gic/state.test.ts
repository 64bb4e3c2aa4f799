/**
 * GicState on its own, without MMIO or lines: the rules of IHI 0048B chapter 3 as plain method calls, and
 * the invariants the device relies on.
 */
import { describe, expect, it } from 'vitest';
import { GIC_IDLE_PRIORITY, GicState } from './state';

class Log {
  readonly messages: string[] = [];
  guestError(message: string): void {
    this.messages.push(message);
  }
}

/** A GIC with the distributor and every CPU interface enabled, PMR open, SPIs `ids` enabled. */
function enabledState(numCpu: number, numIrq: number, ids: number[] = []): { s: GicState; log: Log } {
  const log = new Log();
  const s = new GicState(numCpu, numIrq, log);
  s.ctlr = 1;
  for (let cpu = 0; cpu < numCpu; cpu++) {
    s.cpuCtlr[cpu] = 1;
    s.priorityMask[cpu] = 0xff;
  }
  for (const id of ids) s.enabled[s.wordIndex(0, id)] |= 1 << (id & 31);
  s.update();
  return { s, log };
}

describe('GicState construction', () => {
  it.each([
    [0, 64],
    [9, 64],
    [1, 48],
    [1, 1024],
    [1.5, 64],
  ])('refuses %d CPUs with %d interrupts', (numCpu, numIrq) => {
    expect(() => new GicState(numCpu, numIrq, new Log())).toThrow(/GIC: /);
  });

  it('starts idle: running priority 0x100, nothing pending, outputs low, ABPR 1', () => {
    const s = new GicState(2, 64, new Log());
    expect(Array.from(s.runningPriority.subarray(0, 2))).toEqual([GIC_IDLE_PRIORITY, GIC_IDLE_PRIORITY]);
    expect(Array.from(s.currentPending.subarray(0, 2))).toEqual([1023, 1023]);
    expect(Array.from(s.abpr.subarray(0, 2))).toEqual([1, 1]);
    expect(Array.from(s.irqOut.subarray(0, 2))).toEqual([0, 0]);
    expect(s.cpuMask).toBe(3);
  });
});

describe('GicState inputs', () => {
  it('hears only changes of a line, so a repeated high level is one edge', () => {
    const { s } = enabledState(1, 64, [40]);
    s.edgeTrigger[1] |= 1 << 8;
    s.setInput(0, 40, true);
    expect(s.acknowledge(0)).toBe(40);
    s.setInput(0, 40, true);
    s.endOfInterrupt(0, 40);
    expect(s.irqOut[0]).toBe(0);
    s.setInput(0, 40, false);
    s.setInput(0, 40, true);
    expect(s.irqOut[0]).toBe(1);
  });

  it('keeps PPI lines per CPU and SPI lines shared', () => {
    const s = new GicState(2, 64, new Log());
    s.setInput(1, 27, true);
    s.setInput(0, 40, true);
    expect([s.testBit(s.level, 0, 27), s.testBit(s.level, 1, 27)]).toEqual([false, true]);
    expect([s.testBit(s.level, 0, 40), s.testBit(s.level, 1, 40)]).toEqual([true, true]);
  });
});

describe('GicState priorities', () => {
  it('derives the group priority from BPR for Group 0 and ABPR - 1 for Group 1 unless CBPR', () => {
    const s = new GicState(1, 64, new Log());
    s.setPriority(0, 40, 0xb7);
    s.bpr[0] = 2; // mask 0xf8
    s.abpr[0] = 5; // Group 1 binary point 4: mask 0xe0
    expect(s.groupPriority(0, 40)).toBe(0xb0);
    s.group[s.wordIndex(0, 40)] |= 1 << 8;
    expect(s.groupPriority(0, 40)).toBe(0xa0);
    s.cpuCtlr[0] |= 1 << 4; // CBPR: Group 1 uses BPR too
    expect(s.groupPriority(0, 40)).toBe(0xb0);
  });

  it('reads the running priority from the lowest set APR bit of either group', () => {
    const s = new GicState(2, 64, new Log());
    s.apr[4 + 2] = 1 << 5; // CPU 1, APR2: level 69
    expect(s.priorityFromAprs(1)).toBe(69 << 1);
    s.nsapr[4 + 1] = 1 << 31; // CPU 1, NSAPR1: level 63
    expect(s.priorityFromAprs(1)).toBe(63 << 1);
    expect(s.priorityFromAprs(0)).toBe(GIC_IDLE_PRIORITY);
  });

  it('nests three activations and unwinds them in order', () => {
    const { s } = enabledState(1, 64, [40, 41, 42]);
    s.setPriority(0, 40, 0xc0);
    s.setPriority(0, 41, 0x80);
    s.setPriority(0, 42, 0x40);
    const running: number[] = [];
    for (const id of [40, 41, 42]) {
      s.setInput(0, id, true);
      expect(s.acknowledge(0)).toBe(id);
      running.push(s.runningPriority[0]);
    }
    for (const id of [42, 41, 40]) {
      s.setInput(0, id, false);
      s.endOfInterrupt(0, id);
      running.push(s.runningPriority[0]);
    }
    expect(running).toEqual([0xc0, 0x80, 0x40, 0x80, 0xc0, GIC_IDLE_PRIORITY]);
  });
});

describe('GicState SGIs', () => {
  it('keeps the SGI pending bit equal to "some source is pending"', () => {
    const s = new GicState(4, 64, new Log());
    s.sendSgi(2, (0b1001 << 16) | 11);
    expect([s.testBit(s.pending, 0, 11), s.testBit(s.pending, 3, 11), s.testBit(s.pending, 1, 11)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(s.sgiSources(3, 11)).toBe(1 << 2);
    s.setSgiSources(3, 11, 0);
    expect(s.testBit(s.pending, 3, 11)).toBe(false);
  });

  it('restores invariants a damaged snapshot could break', () => {
    const s = new GicState(2, 64, new Log());
    s.enabled[1] = 0;
    s.edgeTrigger[0] = 0;
    s.sgiPending[4 * 8 + 1] = 0b10; // SGI 4 pending on CPU 1 from CPU 1, but no pending bit
    s.abpr[0] = 0;
    s.irqTarget[40] = 0xff;
    s.normalizeAfterLoad();
    expect(s.enabled[1] & 0xffff).toBe(0xffff);
    expect(s.isEdgeTriggered(4)).toBe(true);
    expect(s.testBit(s.pending, 1, 4)).toBe(true);
    expect(s.abpr[0]).toBe(1);
    expect(s.irqTarget[40]).toBe(3);
  });
});

describe('GicState outputs', () => {
  it('reports the best candidate in currentPending even when it cannot preempt', () => {
    const { s } = enabledState(1, 64, [40, 41]);
    s.setInput(0, 40, true);
    s.acknowledge(0);
    s.setInput(0, 41, true);
    expect(s.currentPending[0]).toBe(41);
    expect(s.irqOut[0]).toBe(0);
    expect(s.acknowledge(0)).toBe(1023);
  });

  it('never signals with the CPU interface disabled, whatever is pending', () => {
    const { s } = enabledState(2, 64, [40]);
    s.setTarget(40, 3);
    s.cpuCtlr[1] = 0;
    s.setInput(0, 40, true);
    expect([s.irqOut[0], s.irqOut[1]]).toEqual([1, 0]);
    expect(s.currentPending[1]).toBe(1023);
  });
});
