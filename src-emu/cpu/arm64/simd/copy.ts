/**
 * AdvSIMD copy (0 Q op 01110000 imm5 0 imm4 1 Rn Rd): DUP (element, general), INS (element, general),
 * SMOV, UMOV, and the scalar DUP (element); plus FMOV between general registers and S/D registers or the
 * upper half of a V register (the only transfers of the FP/integer conversion space that are moves).
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { checkFpAccess } from '../exception-hooks';
import { bits, rd, readSlot, regName, rn, writeSlot } from '../insn/fields';
import { element, qBit, scalar, vec } from './names';

/** Element size index from imm5 (lowest set bit), or -1 when imm5<3:0> = 0. */
function imm5Size(w: number): number {
  const imm5 = bits(w, 16, 5);
  for (let s = 0; s < 4; s++) if (((imm5 >> s) & 1) !== 0) return s;
  return -1;
}

const imm5Index = (w: number): number => bits(w, 16, 5) >> (imm5Size(w) + 1);

/** Copies element `index` of Vn (size s) into every lane (lanes) of Vd, clearing bytes from `zero`. */
function dupElementExec(s: number, index: number, lanes: number, zero: number, d: number, n: number): ExecFn {
  const eb = 1 << s;
  const src = n * 16 + index * eb;
  const dst = d * 16;
  return (cpu) => {
    checkFpAccess(cpu);
    const v8 = cpu.v8;
    if (s === 0) {
      const x = v8[src];
      for (let i = 0; i < lanes; i++) v8[dst + i] = x;
    } else if (s === 1) {
      const x = cpu.v16[src >> 1];
      for (let i = 0; i < lanes; i++) cpu.v16[(dst >> 1) + i] = x;
    } else if (s === 2) {
      const x = cpu.v32[src >> 2];
      for (let i = 0; i < lanes; i++) cpu.v32[(dst >> 2) + i] = x;
    } else {
      const lo = cpu.v32[src >> 2];
      const hi = cpu.v32[(src >> 2) + 1];
      for (let i = 0; i < lanes; i++) {
        cpu.v32[(dst >> 2) + 2 * i] = lo;
        cpu.v32[(dst >> 2) + 2 * i + 1] = hi;
      }
    }
    if (zero < 16) cpu.v8.fill(0, dst + zero, dst + 16);
  };
}

const DUP_ELEMENT = entry('DUP_element', '0x001110000xxxxx000001xxxxxxxxxx', {
  reserved: (w) => imm5Size(w) < 0 || (imm5Size(w) === 3 && qBit(w) === 0),
  exec: (w) => {
    const s = imm5Size(w);
    const q = qBit(w);
    return dupElementExec(s, imm5Index(w), ((q + 1) * 8) >> s, q === 1 ? 16 : 8, rd(w), rn(w));
  },
  disasm: (w) => `dup\t${vec(rd(w), imm5Size(w), qBit(w))}, ${element(rn(w), imm5Size(w), imm5Index(w))}`,
});

const DUP_SCALAR = entry('DUP_element_scalar', '01011110000xxxxx000001xxxxxxxxxx', {
  reserved: (w) => imm5Size(w) < 0,
  exec: (w) => dupElementExec(imm5Size(w), imm5Index(w), 1, 1 << imm5Size(w), rd(w), rn(w)),
  disasm: (w) => `mov\t${scalar(rd(w), imm5Size(w))}, ${element(rn(w), imm5Size(w), imm5Index(w))}`,
});

const DUP_GENERAL = entry('DUP_general', '0x001110000xxxxx000011xxxxxxxxxx', {
  reserved: (w) => imm5Size(w) < 0 || (imm5Size(w) === 3 && qBit(w) === 0),
  exec: (w) => {
    const s = imm5Size(w);
    const q = qBit(w);
    const t = readSlot(rn(w));
    const d = rd(w);
    const words = q === 1 ? 4 : 2;
    return (cpu) => {
      checkFpAccess(cpu);
      const x = cpu.x[t];
      let lo = x;
      let hi = x;
      if (s === 0) lo = hi = (x & 0xff) * 0x01010101;
      else if (s === 1) lo = hi = (x & 0xffff) | (x << 16);
      else if (s === 3) hi = cpu.x[t + 1];
      const v = cpu.v32;
      for (let i = 0; i < words; i += 2) {
        v[d * 4 + i] = lo;
        v[d * 4 + i + 1] = hi;
      }
      if (words === 2) {
        v[d * 4 + 2] = 0;
        v[d * 4 + 3] = 0;
      }
    };
  },
  disasm: (w) => `dup\t${vec(rd(w), imm5Size(w), qBit(w))}, ${regName(rn(w), imm5Size(w) === 3)}`,
});

const INS_GENERAL = entry('INS_general', '01001110000xxxxx000111xxxxxxxxxx', {
  reserved: (w) => imm5Size(w) < 0,
  exec: (w) => {
    const s = imm5Size(w);
    const at = rd(w) * 16 + (imm5Index(w) << s);
    const t = readSlot(rn(w));
    return (cpu) => {
      checkFpAccess(cpu);
      const x = cpu.x[t];
      if (s === 0) cpu.v8[at] = x;
      else if (s === 1) cpu.v16[at >> 1] = x;
      else if (s === 2) cpu.v32[at >> 2] = x;
      else {
        cpu.v32[at >> 2] = x;
        cpu.v32[(at >> 2) + 1] = cpu.x[t + 1];
      }
    };
  },
  disasm: (w) => `mov\t${element(rd(w), imm5Size(w), imm5Index(w))}, ${regName(rn(w), imm5Size(w) === 3)}`,
});

const INS_ELEMENT = entry('INS_element', '01101110000xxxxx0xxxx1xxxxxxxxxx', {
  reserved: (w) => imm5Size(w) < 0,
  exec: (w) => {
    const s = imm5Size(w);
    const eb = 1 << s;
    const dst = rd(w) * 16 + imm5Index(w) * eb;
    const src = rn(w) * 16 + (bits(w, 11, 4) >> s) * eb;
    return (cpu) => {
      checkFpAccess(cpu);
      const v8 = cpu.v8;
      for (let i = 0; i < eb; i++) v8[dst + i] = v8[src + i];
    };
  },
  disasm: (w) => {
    const s = imm5Size(w);
    return `mov\t${element(rd(w), s, imm5Index(w))}, ${element(rn(w), s, bits(w, 11, 4) >> s)}`;
  },
});

/** UMOV/SMOV: element of Vn to a general register, zero- or sign-extended to 32 (Q = 0) or 64 bits. */
function moveToGeneralExec(w: number, signed: boolean): ExecFn {
  const s = imm5Size(w);
  const at = rn(w) * 16 + (imm5Index(w) << s);
  const t = writeSlot(rd(w));
  const wide = qBit(w) === 1;
  return (cpu) => {
    checkFpAccess(cpu);
    let lo: number;
    let hi = 0;
    if (s === 0) lo = signed ? (cpu.v8[at] << 24) >> 24 : cpu.v8[at];
    else if (s === 1) lo = signed ? (cpu.v16[at >> 1] << 16) >> 16 : cpu.v16[at >> 1];
    else {
      lo = cpu.v32[at >> 2];
      if (s === 3) hi = cpu.v32[(at >> 2) + 1];
    }
    if (signed && wide && s < 3) hi = lo >> 31;
    if (signed && !wide) hi = 0;
    cpu.x[t] = lo;
    cpu.x[t + 1] = hi;
  };
}

const UMOV = entry('UMOV', '0x001110000xxxxx001111xxxxxxxxxx', {
  reserved: (w) => {
    const s = imm5Size(w);
    return s < 0 || (qBit(w) === 1 ? s !== 3 : s === 3);
  },
  exec: (w) => moveToGeneralExec(w, false),
  disasm: (w) => {
    const s = imm5Size(w);
    const name = s >= 2 ? 'mov' : 'umov';
    return `${name}\t${regName(rd(w), s === 3)}, ${element(rn(w), s, imm5Index(w))}`;
  },
});

const SMOV = entry('SMOV', '0x001110000xxxxx001011xxxxxxxxxx', {
  reserved: (w) => {
    const s = imm5Size(w);
    return s < 0 || s === 3 || (qBit(w) === 0 && s === 2);
  },
  exec: (w) => moveToGeneralExec(w, true),
  disasm: (w) => `smov\t${regName(rd(w), qBit(w) === 1)}, ${element(rn(w), imm5Size(w), imm5Index(w))}`,
});

// --- FMOV (general) ----------------------------------------------------------------------------------

/** FMOV Wd, Sn / Xd, Dn / Xd, Vn.D[1]: `word` selects the 64-bit half (0 or 1), `wide` X vs W. */
function fmovToGeneral(name: string, bitsStr: string, wide: boolean, half: number, src: string): InsnEntry {
  return entry(name, bitsStr, {
    exec: (w) => {
      const at = rn(w) * 4 + half * 2;
      const t = writeSlot(rd(w));
      return (cpu) => {
        checkFpAccess(cpu);
        cpu.x[t] = cpu.v32[at];
        cpu.x[t + 1] = wide ? cpu.v32[at + 1] : 0;
      };
    },
    disasm: (w) => `fmov\t${regName(rd(w), wide)}, ${src.replace('#', String(rn(w)))}`,
  });
}

function fmovFromGeneral(name: string, bitsStr: string, wide: boolean, half: number, dst: string): InsnEntry {
  return entry(name, bitsStr, {
    exec: (w) => {
      const at = rd(w) * 4;
      const t = readSlot(rn(w));
      return (cpu) => {
        checkFpAccess(cpu);
        const v = cpu.v32;
        if (half === 1) {
          v[at + 2] = cpu.x[t];
          v[at + 3] = cpu.x[t + 1];
          return;
        }
        v[at] = cpu.x[t];
        v[at + 1] = wide ? cpu.x[t + 1] : 0;
        v[at + 2] = 0;
        v[at + 3] = 0;
      };
    },
    disasm: (w) => `fmov\t${dst.replace('#', String(rd(w)))}, ${regName(rn(w), wide)}`,
  });
}

export const SIMD_COPY: InsnEntry[] = [
  DUP_ELEMENT,
  DUP_SCALAR,
  DUP_GENERAL,
  INS_GENERAL,
  INS_ELEMENT,
  UMOV,
  SMOV,
  fmovToGeneral('FMOV_w_s', '0001111000100110000000xxxxxxxxxx', false, 0, 's#'),
  fmovToGeneral('FMOV_x_d', '1001111001100110000000xxxxxxxxxx', true, 0, 'd#'),
  fmovToGeneral('FMOV_x_vd1', '1001111010101110000000xxxxxxxxxx', true, 1, 'v#.d[1]'),
  fmovFromGeneral('FMOV_s_w', '0001111000100111000000xxxxxxxxxx', false, 0, 's#'),
  fmovFromGeneral('FMOV_d_x', '1001111001100111000000xxxxxxxxxx', true, 0, 'd#'),
  fmovFromGeneral('FMOV_vd1_x', '1001111010101111000000xxxxxxxxxx', true, 1, 'v#.d[1]'),
];
