/**
 * AdvSIMD structure loads and stores: LD1-LD4/ST1-ST4 multiple structures (0 Q 0011000 L 000000 opcode
 * size Rn Rt; post-index 0 Q 0011001 L 0 Rm ...), single structure to one lane and LD1R-LD4R
 * (0 Q 0011010 L R 00000 opcode S size Rn Rt; post-index 0 Q 0011011 L R Rm ...). Post-index with
 * Rm = 31 adds the number of bytes transferred, otherwise Xm.
 */
import type { Cpu } from '../cpu';
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { checkFpAccess } from '../exception-hooks';
import { bits, rd, readSlot, regName, rm, rn } from '../insn/fields';
import { addHi } from '../insn/ldst-common';
import { arrangement, qBit, registerList } from './names';

/** Element size of the structure forms: bits 11..10. */
const sizeField = (w: number): number => bits(w, 10, 2);

const isLoad = (w: number): boolean => bits(w, 22, 1) === 1;
const isPost = (w: number): boolean => bits(w, 23, 1) === 1;

/** Moves element i (size index s) of Vt to or from memory at lo/hi. */
function moveElement(cpu: Cpu, load: boolean, t: number, i: number, s: number, lo: number, hi: number): void {
  const at = t * 16 + (i << s);
  if (s === 0) {
    if (load) cpu.v8[at] = cpu.load8(lo, hi);
    else cpu.store8(lo, hi, cpu.v8[at]);
  } else if (s === 1) {
    if (load) cpu.v16[at >> 1] = cpu.load16(lo, hi);
    else cpu.store16(lo, hi, cpu.v16[at >> 1]);
  } else if (s === 2) {
    if (load) cpu.v32[at >> 2] = cpu.load32(lo, hi);
    else cpu.store32(lo, hi, cpu.v32[at >> 2]);
  } else if (load) {
    cpu.v32[at >> 2] = cpu.load64(lo, hi);
    cpu.v32[(at >> 2) + 1] = cpu.loadHi;
  } else {
    cpu.store64(lo, hi, cpu.v32[at >> 2], cpu.v32[(at >> 2) + 1]);
  }
}

/** Post-index writeback: base += imm (Rm = 31) or Xm. */
function writeback(cpu: Cpu, n: number, m: number, imm: number, bLo: number, bHi: number): void {
  const x = cpu.x;
  if (m < 0) {
    x[n] = (bLo + imm) | 0;
    x[n + 1] = addHi(bLo, bHi, imm);
    return;
  }
  const lo = (bLo >>> 0) + (x[m] >>> 0);
  x[n] = lo | 0;
  x[n + 1] = (bHi + x[m + 1] + (lo > 0xffffffff ? 1 : 0)) | 0;
}

/** The post-index register slot, or -1 for the immediate form / no writeback. */
const postSlot = (w: number): number => (isPost(w) && rm(w) !== 31 ? readSlot(rm(w)) : -1);

function postText(w: number, imm: number): string {
  if (!isPost(w)) return '';
  return rm(w) === 31 ? `, #${imm}` : `, ${regName(rm(w), true)}`;
}

// --- multiple structures -------------------------------------------------------------------------------

/** opcode -> [registers, structure elements]; undefined = unallocated. */
const MULTIPLE: Record<number, [number, number] | undefined> = {
  0: [4, 4],
  2: [4, 1],
  4: [3, 3],
  6: [3, 1],
  7: [1, 1],
  8: [2, 2],
  10: [2, 1],
};

function multipleShape(w: number): [number, number] | undefined {
  const shape = MULTIPLE[bits(w, 12, 4)];
  if (shape === undefined) return undefined;
  if (shape[1] > 1 && sizeField(w) === 3 && qBit(w) === 0) return undefined;
  return shape;
}

function multipleExec(w: number): ExecFn {
  const [regs, selem] = multipleShape(w)!;
  const load = isLoad(w);
  const post = isPost(w);
  const s = sizeField(w);
  const first = rd(w);
  const n = readSlot(rn(w), true);
  const m = postSlot(w);
  const bytesPerReg = qBit(w) === 1 ? 16 : 8;
  const total = regs * bytesPerReg;
  const elements = bytesPerReg >> s;
  return (cpu) => {
    checkFpAccess(cpu);
    const bLo = cpu.x[n];
    const bHi = cpu.x[n + 1];
    let off = 0;
    if (selem === 1 && (s === 3 || cpu.alignMask === 0)) {
      // Consecutive whole registers: element order is byte order, so move 8 bytes at a time (with SCTLR.A
      // set, only 64-bit elements may, since alignment is checked per element).
      for (let r = 0; r < regs; r++) {
        const t = ((first + r) & 31) * 4;
        for (let c = 0; c < bytesPerReg; c += 8) {
          const lo = (bLo + off) | 0;
          const hi = addHi(bLo, bHi, off);
          if (load) {
            cpu.v32[t + (c >> 2)] = cpu.load64(lo, hi);
            cpu.v32[t + (c >> 2) + 1] = cpu.loadHi;
          } else {
            cpu.store64(lo, hi, cpu.v32[t + (c >> 2)], cpu.v32[t + (c >> 2) + 1]);
          }
          off += 8;
        }
      }
    } else {
      // Structure e of `rpt` register groups: LD1 with several registers repeats one-element structures.
      const rpt = regs / selem;
      for (let g = 0; g < rpt; g++) {
        for (let e = 0; e < elements; e++) {
          for (let r = 0; r < selem; r++) {
            moveElement(cpu, load, (first + g + r) & 31, e, s, (bLo + off) | 0, addHi(bLo, bHi, off));
            off += 1 << s;
          }
        }
      }
    }
    if (load && bytesPerReg === 8) {
      for (let r = 0; r < regs; r++) {
        const t = ((first + r) & 31) * 4;
        cpu.v32[t + 2] = 0;
        cpu.v32[t + 3] = 0;
      }
    }
    if (post) writeback(cpu, n, m, total, bLo, bHi);
  };
}

function multipleDisasm(w: number): string {
  const [regs, selem] = multipleShape(w)!;
  const name = `${isLoad(w) ? 'ld' : 'st'}${selem}`;
  const list = registerList(rd(w), regs, arrangement(sizeField(w), qBit(w)));
  return `${name}\t${list}, [${regName(rn(w), true, true)}]${postText(w, regs * (qBit(w) === 1 ? 16 : 8))}`;
}

const multiple = {
  reserved: (w: number) => multipleShape(w) === undefined,
  exec: multipleExec,
  disasm: multipleDisasm,
};

// --- single structure and replicate --------------------------------------------------------------------

interface SingleShape {
  selem: number;
  /** Element size index. */
  s: number;
  /** Lane index, or -1 for the replicating LDnR forms. */
  index: number;
}

function singleShape(w: number): SingleShape | undefined {
  const opcode = bits(w, 13, 3);
  const S = bits(w, 12, 1);
  const size = sizeField(w);
  const q = qBit(w);
  const selem = (((opcode & 1) << 1) | bits(w, 21, 1)) + 1;
  switch (opcode >> 1) {
    case 0:
      return { selem, s: 0, index: (q << 3) | (S << 2) | size };
    case 1:
      return (size & 1) === 1 ? undefined : { selem, s: 1, index: (q << 2) | (S << 1) | (size >> 1) };
    case 2:
      if (size === 0) return { selem, s: 2, index: (q << 1) | S };
      if (size === 1 && S === 0) return { selem, s: 3, index: q };
      return undefined;
    default:
      return isLoad(w) && S === 0 ? { selem, s: size, index: -1 } : undefined;
  }
}

function singleExec(w: number): ExecFn {
  const { selem, s, index } = singleShape(w)!;
  const load = isLoad(w);
  const post = isPost(w);
  const first = rd(w);
  const n = readSlot(rn(w), true);
  const m = postSlot(w);
  const eb = 1 << s;
  const lanes = (qBit(w) === 1 ? 16 : 8) >> s;
  return (cpu) => {
    checkFpAccess(cpu);
    const bLo = cpu.x[n];
    const bHi = cpu.x[n + 1];
    for (let r = 0; r < selem; r++) {
      const t = (first + r) & 31;
      const lo = (bLo + r * eb) | 0;
      const hi = addHi(bLo, bHi, r * eb);
      if (index >= 0) {
        moveElement(cpu, load, t, index, s, lo, hi);
        continue;
      }
      moveElement(cpu, true, t, 0, s, lo, hi);
      const v8 = cpu.v8;
      for (let i = eb; i < 16; i++) v8[t * 16 + i] = i < lanes * eb ? v8[t * 16 + (i % eb)] : 0;
    }
    if (post) writeback(cpu, n, m, selem * eb, bLo, bHi);
  };
}

function singleDisasm(w: number): string {
  const { selem, s, index } = singleShape(w)!;
  const base = `[${regName(rn(w), true, true)}]${postText(w, selem << s)}`;
  if (index < 0) return `ld${selem}r\t${registerList(rd(w), selem, arrangement(s, qBit(w)))}, ${base}`;
  const name = `${isLoad(w) ? 'ld' : 'st'}${selem}`;
  return `${name}\t${registerList(rd(w), selem, 'bhsd'[s])}[${index}], ${base}`;
}

const single = { reserved: (w: number) => singleShape(w) === undefined, exec: singleExec, disasm: singleDisasm };

export const SIMD_LDST_STRUCT: InsnEntry[] = [
  entry('LDST_multiple', '0x0011000x000000xxxxxxxxxxxxxxxx', multiple),
  entry('LDST_multiple_post', '0x0011001x0xxxxxxxxxxxxxxxxxxxxx', multiple),
  entry('LDST_single', '0x0011010xx00000xxxxxxxxxxxxxxxx', single),
  entry('LDST_single_post', '0x0011011xxxxxxxxxxxxxxxxxxxxxxx', single),
];
