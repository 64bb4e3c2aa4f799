/**
 * AdvSIMD vector x indexed element (0 Q U 01111 size L M Rm opcode H 0 Rn Rd) and the scalar forms
 * (01 U 11111 ...), integer: MUL, MLA, MLS, SQDMULH, SQRDMULH, and the long SMULL/UMULL, SMLAL/UMLAL,
 * SMLSL/UMLSL, SQDMULL, SQDMLAL, SQDMLSL. size 1: index H:L:M with Vm in v0-v15; size 2: index H:L.
 * The floating-point opcodes belong to fp/.
 */
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { checkFpAccess } from '../exception-hooks';
import { bits, rd, rn } from '../insn/fields';
import { finish } from './lanes';
import { doublingMulHigh } from './elem-ops';
import type { LongKind } from './three-diff';
import { LONG, longExec } from './three-diff';
import { bitString, element, qBit, scalar, sizeField, vec } from './names';

function indexOf(w: number): number {
  const h = bits(w, 11, 1);
  const l = bits(w, 21, 1);
  return sizeField(w) === 1 ? (h << 2) | (l << 1) | bits(w, 20, 1) : (h << 1) | l;
}

const mReg = (w: number): number => (sizeField(w) === 1 ? bits(w, 16, 4) : bits(w, 16, 5));

const badSize = (w: number): boolean => sizeField(w) === 0 || sizeField(w) === 3;

/** Vd[i] = op(Vn[i], Vm[index], Vd[i]) over 16- or 32-bit signed elements. */
function sameExec(
  e: number,
  lanes: number,
  zero: number,
  d: number,
  n: number,
  m: number,
  index: number,
  op: (a: number, b: number, d: number) => number,
): ExecFn {
  if (e === 16) {
    return (cpu) => {
      checkFpAccess(cpu);
      const v = cpu.v16;
      const b = (v[m * 8 + index] << 16) >> 16;
      for (let i = 0; i < lanes; i++) {
        v[d * 8 + i] = op((v[n * 8 + i] << 16) >> 16, b, (v[d * 8 + i] << 16) >> 16);
      }
      finish(cpu, d, zero);
    };
  }
  return (cpu) => {
    checkFpAccess(cpu);
    const v = cpu.v32;
    const b = v[m * 4 + index];
    for (let i = 0; i < lanes; i++) v[d * 4 + i] = op(v[n * 4 + i], b, v[d * 4 + i]);
    finish(cpu, d, zero);
  };
}

interface SameKind {
  name: string;
  u: number;
  opcode: number;
  scalar: boolean;
  make: (e: number) => (a: number, b: number, d: number) => number;
}

const SAME: SameKind[] = [
  { name: 'mla', u: 1, opcode: 0, scalar: false, make: () => (a, b, d) => d + Math.imul(a, b) },
  { name: 'mls', u: 1, opcode: 4, scalar: false, make: () => (a, b, d) => d - Math.imul(a, b) },
  { name: 'mul', u: 0, opcode: 8, scalar: false, make: () => (a, b) => Math.imul(a, b) },
  { name: 'sqdmulh', u: 0, opcode: 12, scalar: true, make: (e) => doublingMulHigh(e, false) },
  { name: 'sqrdmulh', u: 0, opcode: 13, scalar: true, make: (e) => doublingMulHigh(e, true) },
];

const vecPattern = (u: number, opcode: number): string =>
  `0x${u}01111xxxxxxxx${bitString(opcode, 4)}x0${'x'.repeat(10)}`;
const scalarPattern = (u: number, opcode: number): string =>
  `01${u}11111xxxxxxxx${bitString(opcode, 4)}x0${'x'.repeat(10)}`;

function sameEntries(k: SameKind): InsnEntry[] {
  const list = [
    entry(`${k.name.toUpperCase()}_elem`, vecPattern(k.u, k.opcode), {
      reserved: badSize,
      exec: (w) => {
        const e = 8 << sizeField(w);
        const q = qBit(w);
        return sameExec(e, (q === 1 ? 128 : 64) / e, q === 1 ? 16 : 8, rd(w), rn(w), mReg(w), indexOf(w), k.make(e));
      },
      disasm: (w) => {
        const s = sizeField(w);
        const q = qBit(w);
        return `${k.name}\t${vec(rd(w), s, q)}, ${vec(rn(w), s, q)}, ${element(mReg(w), s, indexOf(w))}`;
      },
    }),
  ];
  if (k.scalar) {
    list.push(
      entry(`${k.name.toUpperCase()}_elem_scalar`, scalarPattern(k.u, k.opcode), {
        reserved: badSize,
        exec: (w) => {
          const e = 8 << sizeField(w);
          return sameExec(e, 1, e >> 3, rd(w), rn(w), mReg(w), indexOf(w), k.make(e));
        },
        disasm: (w) => {
          const s = sizeField(w);
          return `${k.name}\t${scalar(rd(w), s)}, ${scalar(rn(w), s)}, ${element(mReg(w), s, indexOf(w))}`;
        },
      }),
    );
  }
  return list;
}

function longEntries(kind: LongKind, u: number, opcode: number, withScalar: boolean): InsnEntry[] {
  const list = [
    entry(`${kind.name.toUpperCase()}_elem`, vecPattern(u, opcode), {
      reserved: badSize,
      exec: (w) => {
        const e = 8 << sizeField(w);
        const lanes = 64 / e;
        return longExec(kind, e, lanes, qBit(w) * lanes, indexOf(w), 16, rd(w), rn(w), mReg(w));
      },
      disasm: (w) => {
        const s = sizeField(w);
        const q = qBit(w);
        const name = `${kind.name}${q === 1 ? '2' : ''}`;
        return `${name}\t${vec(rd(w), s + 1, 1)}, ${vec(rn(w), s, q)}, ${element(mReg(w), s, indexOf(w))}`;
      },
    }),
  ];
  if (withScalar) {
    list.push(
      entry(`${kind.name.toUpperCase()}_elem_scalar`, scalarPattern(u, opcode), {
        reserved: badSize,
        exec: (w) => longExec(kind, 8 << sizeField(w), 1, 0, indexOf(w), 2 << sizeField(w), rd(w), rn(w), mReg(w)),
        disasm: (w) => {
          const s = sizeField(w);
          return `${kind.name}\t${scalar(rd(w), s + 1)}, ${scalar(rn(w), s)}, ${element(mReg(w), s, indexOf(w))}`;
        },
      }),
    );
  }
  return list;
}

export const SIMD_BY_ELEMENT: InsnEntry[] = [
  ...SAME.flatMap(sameEntries),
  ...longEntries(LONG.smlal, 0, 2, false),
  ...longEntries(LONG.umlal, 1, 2, false),
  ...longEntries(LONG.sqdmlal, 0, 3, true),
  ...longEntries(LONG.smlsl, 0, 6, false),
  ...longEntries(LONG.umlsl, 1, 6, false),
  ...longEntries(LONG.sqdmlsl, 0, 7, true),
  ...longEntries(LONG.smull, 0, 10, false),
  ...longEntries(LONG.umull, 1, 10, false),
  ...longEntries(LONG.sqdmull, 0, 11, true),
];
