/**
 * Guest memory and code as the inspector shows them: hex rows of physical or virtual memory, and the
 * disassembly around a vCPU's PC. Everything goes through the debugger's side-effect-free readers: MMIO is
 * never read (it shows as unreadable), and a virtual address that does not translate never faults the guest.
 */
import type { Cpu } from '../cpu/arm64/cpu';
import { disassemble } from '../cpu/arm64/decoder';
import { joinAddress, readPhysical, readVirtual, splitAddress } from '../debug/guest-memory';
import type { VirtMachine } from '../machine/virt';
import type { DisassemblyLine, InspectorAnswer } from '../../src-shared/api/inspector';

export const ROW_BYTES = 16;
const MASK64 = (1n << 64n) - 1n;

export function hex64(value: bigint): string {
  return (value & MASK64).toString(16).padStart(16, '0');
}

function toHex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}

/** Parses a user address ('0x4000_0000' is not accepted; the schema allows 1-16 hex digits with 0x). */
export function parseAddress(text: string): bigint {
  return BigInt(text.startsWith('0x') ? text : `0x${text}`) & MASK64;
}

function cpuAt(machine: VirtMachine, index: number): Cpu {
  const cpu = machine.cpus[index];
  if (cpu === undefined) throw new Error(`this machine has no CPU ${index} (it has ${machine.cpus.length})`);
  return cpu;
}

/** Reads `length` bytes from `address`, in rows of 16 aligned to 16; a row is null where it cannot be read. */
export function readMemoryRows(
  machine: VirtMachine,
  space: 'physical' | 'virtual',
  addressText: string,
  length: number,
  cpuIndex: number,
): InspectorAnswer<'memory'> {
  const start = parseAddress(addressText) & ~BigInt(ROW_BYTES - 1);
  const cpu = cpuAt(machine, cpuIndex);
  const rows: InspectorAnswer<'memory'>['rows'] = [];
  const count = Math.ceil(length / ROW_BYTES);
  for (let i = 0; i < count; i++) {
    const address = (start + BigInt(i * ROW_BYTES)) & MASK64;
    const bytes = space === 'physical' ? readPhysicalRow(machine, address) : readVirtual(cpu, address, ROW_BYTES);
    rows.push({ address: hex64(address), bytes: bytes === null ? null : toHex(bytes) });
  }
  return { kind: 'memory', space, cpu: cpuIndex, address: hex64(start), rows };
}

function readPhysicalRow(machine: VirtMachine, address: bigint): Uint8Array | null {
  if (address + BigInt(ROW_BYTES) > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return readPhysical(machine.addressSpace, Number(address), ROW_BYTES);
}

/** The instructions from `before` words ahead of the PC to `after` words past it. */
export function disassembleAroundPc(
  machine: VirtMachine,
  cpuIndex: number,
  before: number,
  after: number,
): InspectorAnswer<'disassembly'> {
  const cpu = cpuAt(machine, cpuIndex);
  const pc = joinAddress(cpu.pcLo, cpu.pcHi);
  const lines: DisassemblyLine[] = [];
  for (let i = -before; i <= after; i++) {
    const address = (pc + BigInt(i * 4)) & MASK64;
    const [lo, hi] = splitAddress(address);
    const word = cpu.peekInstruction(lo, hi);
    lines.push({
      address: hex64(address),
      word: word === null ? null : (word >>> 0).toString(16).padStart(8, '0'),
      text: word === null ? '(not readable)' : disassemble(word, lo, hi),
      current: i === 0,
    });
  }
  return { kind: 'disassembly', cpu: cpuIndex, pc: hex64(pc), lines };
}
