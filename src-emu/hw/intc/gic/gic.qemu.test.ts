/**
 * Replays register transcripts recorded on QEMU 7.2's virt board (see qemu-oracle/: a bare-metal probe
 * that runs a table of MMIO operations on one or more CPUs and prints every read) against this GIC, mapped
 * at the same addresses, and expects every read to match what QEMU returned, except the few listed in
 * DIVERGENCES, where this model follows the architecture specification instead (and those reads are
 * checked against the specification's value).
 *
 * The harness stands in for the two other devices the probe uses, as QEMU behaves:
 * - CNTV_CTL_EL0 (with CNTV_CVAL_EL0 = 0) drives PPI 27: high while enabled and not masked.
 * - The PL011 raises INTID 33 whenever it transmits a byte (writes to UARTDR, including the probe printing
 *   each result) while UARTIMSC.TXIM is set; UARTICR clears it.
 * ISR_EL1 reads are the reading CPU's GIC outputs: 0x80 for IRQ, 0x40 for FIQ.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AddressSpace, MemoryRegion } from '../../../core/memory';
import { reset } from '../../../core/object';
import { VirtualClock } from '../../../core/timer';
import { Gic } from './gic';

const GICD_BASE = 0x0800_0000;
const GICC_BASE = 0x0801_0000;
const UART_BASE = 0x0900_0000;
const UART_IMSC = UART_BASE + 0x38;
const UART_ICR = UART_BASE + 0x44;
const TXIM = 1 << 5;

interface Divergence {
  /** The transcript line, without QEMU's value. */
  readonly op: string;
  readonly ours: number;
  readonly why: string;
}

/** Reads where this model deliberately differs from QEMU 7.2, by transcript and line number. */
const DIVERGENCES: Readonly<Record<string, Divergence>> = {
  'smp.txt:24': {
    op: 'R 0x08000820',
    ours: 0x0f0f0f0f,
    why: 'ITARGETSR bits of unimplemented CPU interfaces are RAZ/WI (IHI 0048B 4.3); QEMU keeps all 8',
  },
  'smp.txt:26': { op: 'R 0x08000820', ours: 0x0f060f0f, why: 'as above' },
  'smp.txt:60': {
    op: '@3 R 0x08010018',
    ours: 0x405,
    why: 'GICC_HPPIR.CPUID gives the source of a pending SGI, as GICC_IAR does (IHI 0048B 4.4); QEMU leaves it 0',
  },
};

class ProbeMachine {
  readonly gic: Gic;
  /** The CPU making the current operation. */
  cpu = 0;
  private readonly bus: AddressSpace;
  private uartTxRaised = false;
  private uartTxEnabled = false;

  constructor(numCpu: number) {
    const clock = new VirtualClock({ mode: 'deterministic' });
    this.gic = new Gic({ path: '/machine/gic', context: { clock }, props: { numCpu } });
    this.gic.realize();
    this.gic.connectCpuSelector(() => this.cpu);
    const root = MemoryRegion.container('system', 2 ** 32);
    root.addSubregion(GICD_BASE, this.gic.mmioRegion(0));
    root.addSubregion(GICC_BASE, this.gic.mmioRegion(1));
    this.bus = new AddressSpace('memory', root);
    reset(this.gic);
  }

  write(address: number, size: 1 | 4, value: number): void {
    if (address >= UART_BASE) this.uartWrite(address, value);
    else this.bus.write(address, size, value);
  }

  read(address: number, size: 1 | 4): number {
    const value = this.bus.read(address, size);
    this.printed();
    return value;
  }

  isr(): number {
    const fiq = this.gic.irqOutput(this.gic.state.numCpu + this.cpu);
    const value = (this.gic.irqOutput(this.cpu).level ? 0x80 : 0) | (fiq.level ? 0x40 : 0);
    this.printed();
    return value;
  }

  setVirtualTimerControl(ctl: number): void {
    this.gic.ppiInput(this.cpu, 27).setLevel((ctl & 3) === 1);
  }

  private uartWrite(address: number, value: number): void {
    if (address === UART_BASE) this.uartTxRaised = true;
    else if (address === UART_IMSC) this.uartTxEnabled = (value & TXIM) !== 0;
    else if (address === UART_ICR && (value & TXIM) !== 0) this.uartTxRaised = false;
    this.updateUartLine();
  }

  /** The probe printed a result: the UART transmitted bytes. */
  private printed(): void {
    this.uartTxRaised = true;
    this.updateUartLine();
  }

  private updateUartLine(): void {
    const line = this.gic.spiInput(33);
    const level = this.uartTxRaised && this.uartTxEnabled;
    if (line.level !== level) line.setLevel(level);
  }
}

/** Replays one transcript; returns a description of every read that differs from QEMU's. */
function replay(name: string, numCpu = 1): { reads: number; mismatches: string[] } {
  const text = readFileSync(fileURLToPath(new URL(`./qemu-oracle/${name}`, import.meta.url)), 'utf8');
  const machine = new ProbeMachine(numCpu);
  const mismatches: string[] = [];
  let reads = 0;
  text.split('\n').forEach((raw, index) => {
    const [op, qemuValue] = raw.split('#')[0].split('->');
    const words = op.trim().split(/\s+/);
    if (words[0] === '') return;
    machine.cpu = words[0].startsWith('@') ? Number(words.shift()?.slice(1)) : 0;
    const address = Number(words[1]);
    const value = Number(words[2]);
    let actual: number;
    switch (words[0]) {
      case 'W':
        machine.write(address, 4, value);
        return;
      case 'WB':
        machine.write(address, 1, value);
        return;
      case 'CTL':
        machine.setVirtualTimerControl(address);
        return;
      case 'CVAL':
        if (address !== 0) throw new Error(`${name}:${index + 1}: the harness models CNTV_CVAL_EL0 = 0 only`);
        return;
      case 'R':
        actual = machine.read(address, 4);
        break;
      case 'RB':
        actual = machine.read(address, 1);
        break;
      case 'ISR':
        actual = machine.isr();
        break;
      default:
        throw new Error(`${name}:${index + 1}: unknown operation '${words[0]}'`);
    }
    reads++;
    const where = `${name}:${index + 1}`;
    const divergence = DIVERGENCES[where];
    if (divergence !== undefined && divergence.op !== op.trim()) {
      throw new Error(`${where}: the divergence list expects '${divergence.op}' here, found '${op.trim()}'`);
    }
    const expected = divergence?.ours ?? Number(qemuValue);
    if (actual !== expected) {
      mismatches.push(`${where}: ${op.trim()} -> QEMU ${qemuValue.trim()}, here 0x${actual.toString(16)}`);
    }
  });
  return { reads, mismatches };
}

describe('GIC against QEMU 7.2 transcripts', () => {
  it('has the reset values and writable bits QEMU shows', () => {
    const { reads, mismatches } = replay('registers.txt');
    expect(mismatches).toEqual([]);
    expect(reads).toBe(20);
  });

  it('handles a level SPI, a PPI and SGIs to self as QEMU does', () => {
    const { reads, mismatches } = replay('spi-ppi-sgi.txt');
    expect(mismatches).toEqual([]);
    expect(reads).toBe(47);
  });

  it('applies PMR, ISPENDR, edge configuration, EOImode 1 and preemption as QEMU does', () => {
    const { reads, mismatches } = replay('priorities.txt');
    expect(mismatches).toEqual([]);
    expect(reads).toBe(70);
  });

  it('handles running priority with BPR 3, groups, AckCtl and FIQEn as QEMU does', () => {
    const { reads, mismatches } = replay('groups.txt');
    expect(mismatches).toEqual([]);
    expect(reads).toBe(38);
  });

  it('routes SPIs, SGIs between four CPUs and banked registers as QEMU does', () => {
    const { reads, mismatches } = replay('smp.txt', 4);
    expect(mismatches).toEqual([]);
    expect(reads).toBe(80);
  });

  it('lists only divergences whose QEMU value really differs from ours', () => {
    const text = readFileSync(fileURLToPath(new URL('./qemu-oracle/smp.txt', import.meta.url)), 'utf8').split('\n');
    for (const [where, divergence] of Object.entries(DIVERGENCES)) {
      const line = text[Number(where.split(':')[1]) - 1];
      expect(Number(line.split('->')[1])).not.toBe(divergence.ours);
    }
  });
});
