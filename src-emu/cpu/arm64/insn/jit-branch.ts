/** Compiled-block templates for branches (same semantics as branch.ts); each one ends its block. */
import type { JitCode, JitTemplate } from '../encoding';
import { JitKind } from '../encoding';
import { bits, rd, readSlot, rn, signExtend } from './fields';
import { code, condExpr, condFlags, jumpRelative } from './jit-util';

const branch = (src: string): JitCode => code(JitKind.Branch, src);

/** A PC-relative branch taken when `cond` holds. */
function direct(cond: string, offset: number, delta: number, reads = 0): JitCode {
  const jump = jumpRelative(offset, delta);
  return { kind: JitKind.Branch, src: cond === 'true' ? jump : `if (${cond}) ${jump}`, direct: { cond, delta }, reads };
}

/** X30 = address of the instruction at `offset` + 4. */
function link(offset: number): string {
  return `{ const l = ((b | ${offset}) + 4) | 0; x[60] = l; x[61] = l === 0 ? (cpu.pcHi + 1) | 0 : cpu.pcHi; }`;
}

const imm26 = (w: number): number => signExtend(w & 0x3ffffff, 26) * 4;
const imm19 = (w: number): number => signExtend(bits(w, 5, 19), 19) * 4;
const imm14 = (w: number): number => signExtend(bits(w, 5, 14), 14) * 4;

const b: JitTemplate = (w, offset) => direct('true', offset, imm26(w));
const bl: JitTemplate = (w, offset) => branch(`${link(offset)}\n${jumpRelative(offset, imm26(w))}`);
const bCond: JitTemplate = (w, offset) => direct(condExpr(w & 15), offset, imm19(w), condFlags(w & 15));

const compareBranch: JitTemplate = (w, offset) => {
  const t = readSlot(rd(w));
  const value = w >>> 31 === 1 ? `(x[${t}] | x[${t + 1}])` : `x[${t}]`;
  const test = bits(w, 24, 1) === 1 ? '!==' : '===';
  return direct(`${value} ${test} 0`, offset, imm19(w));
};

const testBranch: JitTemplate = (w, offset) => {
  const bit = (bits(w, 31, 1) << 5) | bits(w, 19, 5);
  const slot = readSlot(rd(w)) + (bit >= 32 ? 1 : 0);
  const test = bits(w, 24, 1) === 1 ? '!==' : '===';
  return direct(`(x[${slot}] & ${1 << (bit & 31)}) ${test} 0`, offset, imm14(w));
};

function registerBranch(withLink: boolean): JitTemplate {
  return (w, offset) => {
    const n = readSlot(rn(w));
    return branch(`{ const tL = x[${n}], tH = x[${n + 1}]; ${withLink ? link(offset) : ''}
cpu.pcLo = tL; cpu.pcHi = tH; cpu.jumped = 1; }`);
  };
}

export const JIT_BRANCH: ReadonlyArray<readonly [string, JitTemplate]> = [
  ['B', b],
  ['BL', bl],
  ['B_cond', bCond],
  ['CBZ_CBNZ', compareBranch],
  ['TBZ_TBNZ', testBranch],
  ['BR', registerBranch(false)],
  ['BLR', registerBranch(true)],
  ['RET', registerBranch(false)],
];
