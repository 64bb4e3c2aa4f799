/**
 * Exception generation and return: SVC, HVC (PSCI via the machine's handler, else UNDEFINED as without
 * EL2), SMC (UNDEFINED without EL3), BRK, HLT (UNDEFINED: halting debug is not enabled), DCPS1-3
 * (UNDEFINED outside Debug state) and ERET.
 */
import type { InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { systemOf } from './install';
import { EC, immIss } from './syndrome';

const imm16 = (w: number): number => (w >>> 5) & 0xffff;
const immText = (w: number): string => `#0x${imm16(w).toString(16)}`;

const SVC = entry('SVC', '11010100 000xxxxx xxxxxxxx xxx00001', {
  exec: (w) => {
    const iss = immIss(imm16(w));
    return (cpu) => cpu.raiseException(EC.Svc, iss, true);
  },
  disasm: (w) => `svc\t${immText(w)}`,
});

const HVC = entry('HVC', '11010100 000xxxxx xxxxxxxx xxx00010', {
  exec: (w) => {
    const imm = imm16(w);
    return (cpu) => {
      const handler = systemOf(cpu).exceptions.hvcHandler;
      if (cpu.el === 0 || handler === null || !handler(cpu, imm)) cpu.raiseUndefined();
    };
  },
  disasm: (w) => `hvc\t${immText(w)}`,
});

const SMC = entry('SMC', '11010100 000xxxxx xxxxxxxx xxx00011', {
  exec: () => (cpu) => cpu.raiseUndefined(),
  disasm: (w) => `smc\t${immText(w)}`,
});

const BRK = entry('BRK', '11010100 001xxxxx xxxxxxxx xxx00000', {
  exec: (w) => {
    const iss = immIss(imm16(w));
    return (cpu) => cpu.raiseException(EC.Brk, iss);
  },
  disasm: (w) => `brk\t${immText(w)}`,
});

const HLT = entry('HLT', '11010100 010xxxxx xxxxxxxx xxx00000', {
  exec: () => (cpu) => cpu.raiseUndefined(),
  disasm: (w) => `hlt\t${immText(w)}`,
});

const DCPS = entry('DCPS', '11010100 101xxxxx xxxxxxxx xxx000xx', {
  reserved: (w) => (w & 3) === 0,
  exec: () => (cpu) => cpu.raiseUndefined(),
  disasm: (w) => (imm16(w) === 0 ? `dcps${w & 3}` : `dcps${w & 3}\t${immText(w)}`),
});

const ERET = entry('ERET', '11010110 10011111 00000011 11100000', {
  exec: () => (cpu) => {
    if (cpu.el === 0) cpu.raiseUndefined();
    systemOf(cpu).exceptions.eret(cpu);
  },
  disasm: () => 'eret',
});

export const EXCEPTION_INSNS: InsnEntry[] = [SVC, HVC, SMC, BRK, HLT, DCPS, ERET];
