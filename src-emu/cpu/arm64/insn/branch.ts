/**
 * Branches: B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR, BLR, RET. Targets follow the PC contract in cpu.ts:
 * write pcLo/pcHi and set `jumped`.
 */
import type { Cpu } from '../cpu';
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { conditionHolds } from './alu';
import { CONDITION_NAMES, bits, pcTarget, rd, readSlot, regName, rn, signExtend } from './fields';

/** PC += offset (a signed byte offset well inside +-2^31). */
export function branchRelative(cpu: Cpu, offset: number): void {
  const sum = (cpu.pcLo >>> 0) + offset;
  cpu.pcLo = sum | 0;
  if (sum > 0xffffffff) cpu.pcHi = (cpu.pcHi + 1) | 0;
  else if (sum < 0) cpu.pcHi = (cpu.pcHi - 1) | 0;
  cpu.jumped = 1;
}

/** X30 = PC + 4. */
function link(cpu: Cpu): void {
  const lo = (cpu.pcLo + 4) | 0;
  cpu.x[60] = lo;
  cpu.x[61] = lo === 0 ? (cpu.pcHi + 1) | 0 : cpu.pcHi;
}

const imm26 = (w: number): number => signExtend(w & 0x3ffffff, 26) * 4;
const imm19 = (w: number): number => signExtend(bits(w, 5, 19), 19) * 4;
const imm14 = (w: number): number => signExtend(bits(w, 5, 14), 14) * 4;

const B = entry('B', '000101xx xxxxxxxx xxxxxxxx xxxxxxxx', {
  exec: (w) => {
    const offset = imm26(w);
    return (cpu) => branchRelative(cpu, offset);
  },
  disasm: (w, lo, hi) => `b\t${pcTarget(lo, hi, imm26(w))}`,
});

const BL = entry('BL', '100101xx xxxxxxxx xxxxxxxx xxxxxxxx', {
  exec: (w) => {
    const offset = imm26(w);
    return (cpu) => {
      link(cpu);
      branchRelative(cpu, offset);
    };
  },
  disasm: (w, lo, hi) => `bl\t${pcTarget(lo, hi, imm26(w))}`,
});

const B_COND = entry('B_cond', '01010100 xxxxxxxx xxxxxxxx xxx0xxxx', {
  exec: (w) => {
    const offset = imm19(w);
    const cond = w & 15;
    return (cpu) => {
      if (conditionHolds(cpu, cond)) branchRelative(cpu, offset);
    };
  },
  disasm: (w, lo, hi) => `b.${CONDITION_NAMES[w & 15]}\t${pcTarget(lo, hi, imm19(w))}`,
});

function compareBranchExec(w: number): ExecFn {
  const offset = imm19(w);
  const t = readSlot(rd(w));
  const nonZero = bits(w, 24, 1) === 1;
  const wide = w >>> 31 === 1;
  return (cpu) => {
    const x = cpu.x;
    const zero = (wide ? x[t] | x[t + 1] : x[t]) === 0;
    if (zero !== nonZero) branchRelative(cpu, offset);
  };
}

const CB = entry('CBZ_CBNZ', 'x011010x xxxxxxxx xxxxxxxx xxxxxxxx', {
  exec: compareBranchExec,
  disasm: (w, lo, hi) =>
    `${bits(w, 24, 1) ? 'cbnz' : 'cbz'}\t${regName(rd(w), w >>> 31)}, ${pcTarget(lo, hi, imm19(w))}`,
});

function testBranchExec(w: number): ExecFn {
  const offset = imm14(w);
  const bit = (bits(w, 31, 1) << 5) | bits(w, 19, 5);
  const slot = readSlot(rd(w)) + (bit >= 32 ? 1 : 0);
  const mask = 1 << (bit & 31);
  const nonZero = bits(w, 24, 1) === 1;
  return (cpu) => {
    if (((cpu.x[slot] & mask) !== 0) === nonZero) branchRelative(cpu, offset);
  };
}

const TB = entry('TBZ_TBNZ', 'x011011x xxxxxxxx xxxxxxxx xxxxxxxx', {
  exec: testBranchExec,
  disasm: (w, lo, hi) => {
    const bit = (bits(w, 31, 1) << 5) | bits(w, 19, 5);
    return `${bits(w, 24, 1) ? 'tbnz' : 'tbz'}\t${regName(rd(w), w >>> 31)}, #${bit}, ${pcTarget(lo, hi, imm14(w))}`;
  },
});

function registerBranch(name: string, opc: string, withLink: boolean): InsnEntry {
  return entry(name, `1101011 ${opc} 11111 000000 xxxxx 00000`, {
    exec: (w) => {
      const n = readSlot(rn(w));
      return (cpu) => {
        const lo = cpu.x[n];
        const hi = cpu.x[n + 1];
        if (withLink) link(cpu);
        cpu.pcLo = lo;
        cpu.pcHi = hi;
        cpu.jumped = 1;
      };
    },
    disasm: (w) => {
      const mnemonic = name.toLowerCase();
      if (name === 'RET' && rn(w) === 30) return 'ret';
      return `${mnemonic}\t${regName(rn(w), true)}`;
    },
  });
}

export const BRANCH: InsnEntry[] = [
  B,
  BL,
  B_COND,
  CB,
  TB,
  registerBranch('BR', '0000', false),
  registerBranch('BLR', '0001', true),
  registerBranch('RET', '0010', false),
];
