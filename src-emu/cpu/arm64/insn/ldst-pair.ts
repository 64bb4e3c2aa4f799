/**
 * Load/store pair: LDP/STP (W, X, S, D, Q), LDPSW, and LDNP/STNP, with signed offset, pre-index and
 * post-index addressing.
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { bits, ra, rd, readSlot, regName, rn, signExtend } from './fields';
import { KIND_SIZE, Kind, addHi, transfer, transferRegName, transferSlot } from './ldst-common';

/** Kind from opc (31..30), V (26), L (22) and the addressing type (25..23), or -1. */
function pairKind(w: number): number {
  const opc = bits(w, 30, 2);
  const load = bits(w, 22, 1) === 1;
  if (opc === 3) return -1;
  if (bits(w, 26, 1) === 1) return (load ? Kind.FLd32 : Kind.FSt32) + opc;
  if (opc === 1) return load && bits(w, 23, 3) !== 0 ? Kind.LdSw64 : -1;
  return opc === 0 ? (load ? Kind.Ld32 : Kind.St32) : load ? Kind.Ld64 : Kind.St64;
}

const NAMES = ['', 'post', 'offset', 'pre'] as const;

/** binutils refuses LDPSW with Rt == Rt2, or with writeback to one of them (UNPREDICTABLE cases). */
function ldpswUnpredictable(w: number): boolean {
  if (pairKind(w) !== Kind.LdSw64) return false;
  if (rd(w) === ra(w)) return true;
  const writeback = bits(w, 23, 2) === 1 || bits(w, 23, 2) === 3;
  return writeback && rn(w) !== 31 && (rn(w) === rd(w) || rn(w) === ra(w));
}

function offsetOf(w: number, kind: number): number {
  return signExtend(bits(w, 15, 7), 7) * KIND_SIZE[kind];
}

function pairExec(w: number, mode: number): ExecFn {
  const kind = pairKind(w);
  const size = KIND_SIZE[kind];
  const t1 = transferSlot(kind, rd(w));
  const t2 = transferSlot(kind, ra(w));
  const n = readSlot(rn(w), true);
  const imm = offsetOf(w, kind);
  const writeback = mode === 1 || mode === 3;
  const post = mode === 1;
  if (kind === Kind.Ld64 || kind === Kind.St64) return pair64(kind === Kind.Ld64, t1, t2, n, imm, post, writeback);
  return (cpu) => {
    const x = cpu.x;
    const bLo = x[n];
    const bHi = x[n + 1];
    const lo = (bLo + imm) | 0;
    const hi = addHi(bLo, bHi, imm);
    const aLo = post ? bLo : lo;
    const aHi = post ? bHi : hi;
    transfer(cpu, kind, t1, aLo, aHi);
    transfer(cpu, kind, t2, (aLo + size) | 0, addHi(aLo, aHi, size));
    if (writeback) {
      x[n] = lo;
      x[n + 1] = hi;
    }
  };
}

/** LDP/STP of X registers (stack frames, copies) without the kind dispatch of `transfer`. */
function pair64(load: boolean, t1: number, t2: number, n: number, imm: number, post: boolean, wb: boolean): ExecFn {
  if (load) {
    return (cpu) => {
      const x = cpu.x;
      const bLo = x[n];
      const bHi = x[n + 1];
      const lo = (bLo + imm) | 0;
      const hi = addHi(bLo, bHi, imm);
      const aLo = post ? bLo : lo;
      const aHi = post ? bHi : hi;
      // Same order as `transfer`: a fault on the second half leaves the first loaded.
      x[t1] = cpu.load64(aLo, aHi);
      x[t1 + 1] = cpu.loadHi;
      const second = cpu.load64((aLo + 8) | 0, addHi(aLo, aHi, 8));
      x[t2 + 1] = cpu.loadHi;
      x[t2] = second;
      if (wb) {
        x[n] = lo;
        x[n + 1] = hi;
      }
    };
  }
  return (cpu) => {
    const x = cpu.x;
    const bLo = x[n];
    const bHi = x[n + 1];
    const lo = (bLo + imm) | 0;
    const hi = addHi(bLo, bHi, imm);
    const aLo = post ? bLo : lo;
    const aHi = post ? bHi : hi;
    cpu.store64(aLo, aHi, x[t1], x[t1 + 1]);
    cpu.store64((aLo + 8) | 0, addHi(aLo, aHi, 8), x[t2], x[t2 + 1]);
    if (wb) {
      x[n] = lo;
      x[n + 1] = hi;
    }
  };
}

function pairDisasm(w: number, mode: number): string {
  const kind = pairKind(w);
  const load = bits(w, 22, 1) === 1;
  const name = mode === 0 ? (load ? 'ldnp' : 'stnp') : kind === Kind.LdSw64 ? 'ldpsw' : load ? 'ldp' : 'stp';
  const imm = offsetOf(w, kind);
  const base = regName(rn(w), true, true);
  let address: string;
  if (mode === 1) address = `[${base}], #${imm}`;
  else if (mode === 3) address = `[${base}, #${imm}]!`;
  else address = imm === 0 ? `[${base}]` : `[${base}, #${imm}]`;
  return `${name}\t${transferRegName(kind, rd(w))}, ${transferRegName(kind, ra(w))}, ${address}`;
}

function pairEntry(mode: number): InsnEntry {
  const type = mode.toString(2).padStart(3, '0');
  return entry(`LDST_pair_${NAMES[mode] || 'nt'}`, `xx101x${type.slice(0, 2)} ${type[2]}xxxxxxx xxxxxxxx xxxxxxxx`, {
    reserved: (w) => pairKind(w) < 0 || ldpswUnpredictable(w),
    exec: (w) => pairExec(w, mode),
    disasm: (w) => pairDisasm(w, mode),
  });
}

export const LDST_PAIR: InsnEntry[] = [pairEntry(0), pairEntry(1), pairEntry(2), pairEntry(3)];
