/**
 * AdvSIMD permutes: ZIP1/2, UZP1/2, TRN1/2 (0 Q 001110 size 0 Rm 0 opcode 10 Rn Rd), EXT
 * (0 Q 101110 00 0 Rm 0 imm4 0 Rn Rd) and TBL/TBX (0 Q 001110 00 0 Rm 0 len op 00 Rn Rd). The fixed
 * permutations become byte tables at decode time (lanes.ts bytePermute).
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { checkFpAccess } from '../exception-hooks';
import { bits, rd, rm, rn } from '../insn/fields';
import { PERMUTE_ZERO, bytePermute } from './lanes';
import { arrangement, bitString, qBit, registerList, sizeField, vec } from './names';

/** Byte table placing, for each destination lane, source lane `src(i)` of the Vn:Vm concatenation. */
function laneTable(size: number, q: number, src: (i: number, lanes: number) => number): Uint8Array {
  const t = new Uint8Array(16).fill(PERMUTE_ZERO);
  const eb = 1 << size;
  const lanes = (q === 1 ? 16 : 8) / eb;
  for (let i = 0; i < lanes; i++) {
    const j = src(i, lanes);
    // Lanes 0..lanes-1 are Vn's, the next ones Vm's (which starts at byte 16).
    const byte = j < lanes ? j * eb : 16 + (j - lanes) * eb;
    for (let b = 0; b < eb; b++) t[i * eb + b] = byte + b;
  }
  return t;
}

const PERMUTES: Array<{ name: string; opcode: number; src: (i: number, lanes: number) => number }> = [
  { name: 'uzp1', opcode: 1, src: (i) => 2 * i },
  { name: 'trn1', opcode: 2, src: (i, l) => (i & 1 ? l + i - 1 : i) },
  { name: 'zip1', opcode: 3, src: (i, l) => (i & 1 ? l + (i >> 1) : i >> 1) },
  { name: 'uzp2', opcode: 5, src: (i) => 2 * i + 1 },
  { name: 'trn2', opcode: 6, src: (i, l) => (i & 1 ? l + i : i + 1) },
  { name: 'zip2', opcode: 7, src: (i, l) => (i & 1 ? l + l / 2 + (i >> 1) : l / 2 + (i >> 1)) },
];

function permuteEntry(p: (typeof PERMUTES)[number]): InsnEntry {
  return entry(`${p.name.toUpperCase()}`, `0x001110xx0xxxxx0${bitString(p.opcode, 3)}10${'x'.repeat(10)}`, {
    reserved: (w) => sizeField(w) === 3 && qBit(w) === 0,
    exec: (w) => bytePermute(rd(w), rn(w), rm(w), laneTable(sizeField(w), qBit(w), p.src)),
    disasm: (w) => {
      const s = sizeField(w);
      const q = qBit(w);
      return `${p.name}\t${vec(rd(w), s, q)}, ${vec(rn(w), s, q)}, ${vec(rm(w), s, q)}`;
    },
  });
}

const EXT = entry('EXT', '0x101110000xxxxx0xxxx0xxxxxxxxxx', {
  reserved: (w) => qBit(w) === 0 && bits(w, 14, 1) === 1,
  exec: (w) => {
    const imm = bits(w, 11, 4);
    const q = qBit(w);
    const t = new Uint8Array(16).fill(PERMUTE_ZERO);
    const bytes = q === 1 ? 16 : 8;
    for (let i = 0; i < bytes; i++) {
      const j = imm + i;
      t[i] = j < bytes ? j : 16 + j - bytes;
    }
    return bytePermute(rd(w), rn(w), rm(w), t);
  },
  disasm: (w) => {
    const q = qBit(w);
    return `ext\t${vec(rd(w), 0, q)}, ${vec(rn(w), 0, q)}, ${vec(rm(w), 0, q)}, #${bits(w, 11, 4)}`;
  },
});

/** The lookup table (up to four registers), copied before Vd is written. */
const table = new Uint8Array(64);
const table32 = new Int32Array(table.buffer);

function tableLookupExec(w: number, extend: boolean): ExecFn {
  const regs = bits(w, 13, 2) + 1;
  const first = rn(w);
  const bytes = qBit(w) === 1 ? 16 : 8;
  const d = rd(w) * 16;
  const m = rm(w) * 16;
  const limit = regs * 16;
  return (cpu) => {
    checkFpAccess(cpu);
    const v32 = cpu.v32;
    for (let r = 0; r < regs; r++) {
      const from = ((first + r) & 31) * 4;
      table32[r * 4] = v32[from];
      table32[r * 4 + 1] = v32[from + 1];
      table32[r * 4 + 2] = v32[from + 2];
      table32[r * 4 + 3] = v32[from + 3];
    }
    // Index i is read before Vd byte i is written, so Vd = Vm is safe.
    const v = cpu.v8;
    for (let i = 0; i < bytes; i++) {
      const idx = v[m + i];
      if (idx < limit) v[d + i] = table[idx];
      else if (!extend) v[d + i] = 0;
    }
    if (bytes === 8) {
      v32[(d >> 2) + 2] = 0;
      v32[(d >> 2) + 3] = 0;
    }
  };
}

function tableEntry(name: string, op: number): InsnEntry {
  return entry(name.toUpperCase(), `0x001110000xxxxx0xx${op}00${'x'.repeat(10)}`, {
    exec: (w) => tableLookupExec(w, op === 1),
    disasm: (w) => {
      const arr = arrangement(0, qBit(w));
      const list = registerList(rn(w), bits(w, 13, 2) + 1, '16b');
      return `${name}\tv${rd(w)}.${arr}, ${list}, v${rm(w)}.${arr}`;
    },
  });
}

export const SIMD_PERMUTE: InsnEntry[] = [
  ...PERMUTES.map(permuteEntry),
  EXT,
  tableEntry('tbl', 0),
  tableEntry('tbx', 1),
];
