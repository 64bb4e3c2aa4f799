/**
 * Single-register loads and stores: LDR (literal, incl. LDRSW and PRFM literal), and the register forms
 * with unscaled immediate (LDUR/STUR/PRFUM), post-index, unprivileged (LDTR/STTR), pre-index, unsigned
 * offset and register offset, for every size and sign extension, integer and SIMD&FP (B/H/S/D/Q).
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { shlHi, shlLo } from '../int64';
import { EXTEND_NAMES } from './alu';
import { bits, pcTarget, rd, readSlot, regName, rm, rn, signExtend } from './fields';
import {
  KIND_SIZE,
  Kind,
  addHi,
  baseOffset,
  prefetchOp,
  singleKind,
  singleName,
  transfer,
  transferRegName,
  transferSlot,
} from './ldst-common';
import { extendHi, extendLo } from './operand';

const OFFSET = 0;
const PRE = 1;
const POST = 2;

/** Fields shared by the register forms: size 31..30, V 26, opc 23..22. */
function kindOf(w: number, prefetchAllowed: boolean): number {
  return singleKind(bits(w, 30, 2), bits(w, 26, 1), bits(w, 22, 2), prefetchAllowed);
}

function rtName(kind: number, w: number): string {
  return kind === Kind.Prefetch ? prefetchOp(rd(w)) : transferRegName(kind, rd(w));
}

/** Closure for base + imm addressing with optional writeback; `unpriv` uses EL0 permissions. */
function immediateExec(kind: number, w: number, imm: number, mode: number, unpriv: boolean): ExecFn {
  const t = transferSlot(kind, rd(w));
  const n = readSlot(rn(w), true);
  if (mode === OFFSET && !unpriv) {
    const fast = offsetAccess(kind, t, n, imm);
    if (fast !== null) return fast;
    return (cpu) => {
      const x = cpu.x;
      const bLo = x[n];
      transfer(cpu, kind, t, (bLo + imm) | 0, addHi(bLo, x[n + 1], imm));
    };
  }
  if (unpriv) {
    return (cpu) => {
      const x = cpu.x;
      const bLo = x[n];
      cpu.mmuIdx = 0;
      transfer(cpu, kind, t, (bLo + imm) | 0, addHi(bLo, x[n + 1], imm));
      cpu.mmuIdx = cpu.el;
    };
  }
  const post = mode === POST;
  return (cpu) => {
    const x = cpu.x;
    const bLo = x[n];
    const bHi = x[n + 1];
    const lo = (bLo + imm) | 0;
    const hi = addHi(bLo, bHi, imm);
    if (post) transfer(cpu, kind, t, bLo, bHi);
    else transfer(cpu, kind, t, lo, hi);
    x[n] = lo;
    x[n + 1] = hi;
  };
}

/** The commonest base + imm forms without the kind dispatch of `transfer`; null for the others. */
function offsetAccess(kind: number, t: number, n: number, imm: number): ExecFn | null {
  switch (kind) {
    case Kind.Ld64:
      return (cpu) => {
        const x = cpu.x;
        const bLo = x[n];
        const lo = cpu.load64((bLo + imm) | 0, addHi(bLo, x[n + 1], imm));
        x[t + 1] = cpu.loadHi;
        x[t] = lo;
      };
    case Kind.St64:
      return (cpu) => {
        const x = cpu.x;
        const bLo = x[n];
        cpu.store64((bLo + imm) | 0, addHi(bLo, x[n + 1], imm), x[t], x[t + 1]);
      };
    case Kind.Ld32:
      return (cpu) => {
        const x = cpu.x;
        const bLo = x[n];
        x[t] = cpu.load32((bLo + imm) | 0, addHi(bLo, x[n + 1], imm));
        x[t + 1] = 0;
      };
    case Kind.St32:
      return (cpu) => {
        const x = cpu.x;
        const bLo = x[n];
        cpu.store32((bLo + imm) | 0, addHi(bLo, x[n + 1], imm), x[t]);
      };
    case Kind.Ld8:
      return (cpu) => {
        const x = cpu.x;
        const bLo = x[n];
        x[t] = cpu.load8((bLo + imm) | 0, addHi(bLo, x[n + 1], imm));
        x[t + 1] = 0;
      };
    case Kind.St8:
      return (cpu) => {
        const x = cpu.x;
        const bLo = x[n];
        cpu.store8((bLo + imm) | 0, addHi(bLo, x[n + 1], imm), x[t]);
      };
    default:
      return null;
  }
}

function imm9(w: number): number {
  return signExtend(bits(w, 12, 9), 9);
}

/** One of the imm9 forms: bits 11..10 = 00 unscaled, 01 post, 10 unprivileged, 11 pre. */
function imm9Entry(name: string, form: number): InsnEntry {
  const op = ['00', '01', '10', '11'][form];
  const prefetchAllowed = form === 0;
  return entry(name, `xx111x00 xx0xxxxx xxxx${op}xx xxxxxxxx`, {
    reserved: (w) => {
      const kind = kindOf(w, prefetchAllowed);
      return kind < 0 || (form === 2 && bits(w, 26, 1) === 1);
    },
    exec: (w) => {
      const kind = kindOf(w, prefetchAllowed);
      const mode = form === 1 ? POST : form === 3 ? PRE : OFFSET;
      return immediateExec(kind, w, imm9(w), mode, form === 2);
    },
    disasm: (w) => {
      const kind = kindOf(w, prefetchAllowed);
      const mnemonic = singleName(kind, form === 0 ? 'u' : form === 2 ? 't' : '');
      const base = regName(rn(w), true, true);
      const imm = imm9(w);
      let address: string;
      if (form === 1) address = `[${base}], #${imm}`;
      else if (form === 3) address = `[${base}, #${imm}]!`;
      else address = baseOffset(rn(w), imm);
      return `${mnemonic}\t${rtName(kind, w)}, ${address}`;
    },
  });
}

const UNSIGNED_OFFSET = entry('LDST_uimm', 'xx111x01 xxxxxxxx xxxxxxxx xxxxxxxx', {
  reserved: (w) => kindOf(w, true) < 0,
  exec: (w) => {
    const kind = kindOf(w, true);
    return immediateExec(kind, w, bits(w, 10, 12) * KIND_SIZE[kind], OFFSET, false);
  },
  disasm: (w) => {
    const kind = kindOf(w, true);
    const scale = kind === Kind.Prefetch ? 8 : KIND_SIZE[kind];
    return `${singleName(kind, '')}\t${rtName(kind, w)}, ${baseOffset(rn(w), bits(w, 10, 12) * scale)}`;
  },
});

// --- register offset -----------------------------------------------------------------------------------

function registerOffsetExec(w: number): ExecFn {
  const kind = kindOf(w, true);
  const t = transferSlot(kind, rd(w));
  const n = readSlot(rn(w), true);
  const m = readSlot(rm(w));
  const option = bits(w, 13, 3);
  const s = bits(w, 12, 1) === 1 ? Math.log2(KIND_SIZE[kind]) : 0;
  return (cpu) => {
    const x = cpu.x;
    const mLo = x[m];
    const eLo = extendLo(option, mLo);
    const eHi = extendHi(option, mLo, x[m + 1]);
    const oLo = shlLo(eLo, eHi, s);
    const oHi = shlHi(eLo, eHi, s);
    const lo = (x[n] >>> 0) + (oLo >>> 0);
    transfer(cpu, kind, t, lo | 0, (x[n + 1] + oHi + (lo > 0xffffffff ? 1 : 0)) | 0);
  };
}

function registerOffsetDisasm(w: number): string {
  const kind = kindOf(w, true);
  const option = bits(w, 13, 3);
  const shifted = bits(w, 12, 1) === 1;
  const amount = kind === Kind.Prefetch ? 3 : Math.log2(KIND_SIZE[kind]);
  const index = regName(rm(w), (option & 1) === 1);
  let ext: string;
  if (option === 3) ext = shifted ? `, lsl #${amount}` : '';
  else ext = `, ${EXTEND_NAMES[option]}${shifted ? ` #${amount}` : ''}`;
  return `${singleName(kind, '')}\t${rtName(kind, w)}, [${regName(rn(w), true, true)}, ${index}${ext}]`;
}

const REGISTER_OFFSET = entry('LDST_reg', 'xx111x00 xx1xxxxx xxxx10xx xxxxxxxx', {
  reserved: (w) => kindOf(w, true) < 0 || bits(w, 14, 1) === 0,
  exec: registerOffsetExec,
  disasm: registerOffsetDisasm,
});

// --- literal -------------------------------------------------------------------------------------------

function literalKind(w: number): number {
  const opc = bits(w, 30, 2);
  if (bits(w, 26, 1) === 1) return opc === 3 ? -1 : [Kind.FLd32, Kind.FLd64, Kind.FLd128][opc];
  return [Kind.Ld32, Kind.Ld64, Kind.LdSw64, Kind.Prefetch][opc];
}

const literalOffset = (w: number): number => signExtend(bits(w, 5, 19), 19) * 4;

const LITERAL = entry('LDR_literal', 'xx011x00 xxxxxxxx xxxxxxxx xxxxxxxx', {
  reserved: (w) => literalKind(w) < 0,
  exec: (w) => {
    const kind = literalKind(w);
    const t = transferSlot(kind, rd(w));
    const offset = literalOffset(w);
    return (cpu) => transfer(cpu, kind, t, (cpu.pcLo + offset) | 0, addHi(cpu.pcLo, cpu.pcHi, offset));
  },
  disasm: (w, lo, hi) => {
    const kind = literalKind(w);
    const name = kind === Kind.Prefetch ? 'prfm' : kind === Kind.LdSw64 ? 'ldrsw' : 'ldr';
    return `${name}\t${rtName(kind, w)}, ${pcTarget(lo, hi, literalOffset(w))}`;
  },
});

export const LDST_SINGLE: InsnEntry[] = [
  imm9Entry('LDST_unscaled', 0),
  imm9Entry('LDST_post', 1),
  imm9Entry('LDST_unpriv', 2),
  imm9Entry('LDST_pre', 3),
  UNSIGNED_OFFSET,
  REGISTER_OFFSET,
  LITERAL,
];
