/**
 * Building blocks of the system register table: the register key, access rules and the definition type.
 *
 * A register is named by (op0, op1, CRn, CRm, op2); its key is those fields packed as in bits [20:5] of
 * MRS/MSR (register): op0 << 14 | op1 << 11 | CRn << 7 | CRm << 3 | op2, so `(word >>> 5) & 0xffff` of
 * an MRS/MSR word is its key.
 */
import type { SystemRegisters } from './sysregs';

export function sysKey(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

/** Generic name of a key as objdump prints an unnamed register: s3_0_c15_c2_0. */
export function genericName(key: number): string {
  return `s${key >>> 14}_${(key >>> 11) & 7}_c${(key >>> 7) & 15}_c${(key >>> 3) & 15}_${key & 7}`;
}

/** Outcome of an access check. */
export const SysAccess = {
  Ok: 0,
  /** UNDEFINED: exception with EC 0x00. */
  Undefined: 1,
  /** Trapped to EL1 as an MSR/MRS trap: EC 0x18. */
  Trap: 2,
  /** FP/AdvSIMD access trap (CPACR_EL1.FPEN): EC 0x07. */
  FpTrap: 3,
} as const;
export type SysAccessValue = (typeof SysAccess)[keyof typeof SysAccess];

/** Who may access a register from EL0, and under which control. */
export const El0 = {
  None: 0,
  /** Same access as EL1. */
  Allowed: 1,
  /** Read only at EL0 (TPIDRRO_EL0, DCZID_EL0). */
  ReadOnly: 2,
  /** SCTLR_EL1.UCT (CTR_EL0). */
  Uct: 3,
  /** SCTLR_EL1.UMA (DAIF). */
  Uma: 4,
  /** CNTKCTL_EL1.EL0PCTEN (CNTPCT_EL0). */
  Pct: 5,
  /** CNTKCTL_EL1.EL0VCTEN (CNTVCT_EL0). */
  Vct: 6,
  /** Either EL0PCTEN or EL0VCTEN (CNTFRQ_EL0). */
  PctOrVct: 7,
  /** CNTKCTL_EL1.EL0PTEN (CNTP_*). */
  PTimer: 8,
  /** CNTKCTL_EL1.EL0VTEN (CNTV_*). */
  VTimer: 9,
} as const;
export type El0Rule = (typeof El0)[keyof typeof El0];

/** Access at EL1: read/write, read-only, write-only, or UNDEFINED (architected but absent, e.g. PMU). */
export type El1Access = 'rw' | 'ro' | 'wo' | 'undef';

export type SysRead = (s: SystemRegisters, out: Int32Array) => void;
export type SysWrite = (s: SystemRegisters, lo: number, hi: number) => void;

export interface SysRegDef {
  /** Lower-case name as binutils prints it in `mrs`/`msr`. */
  readonly name: string;
  readonly key: number;
  readonly el1: El1Access;
  readonly el0: El0Rule;
  /** Gated by CPACR_EL1.FPEN (FPCR, FPSR). */
  readonly fp: boolean;
  /** UNDEFINED at EL1 while PSTATE.SPSel = 0 (SP_EL0 is then the current SP). */
  readonly needsSpSel1: boolean;
  readonly read: SysRead;
  readonly write: SysWrite;
}

const noRead: SysRead = (_s, out) => {
  out[0] = 0;
  out[1] = 0;
};
const noWrite: SysWrite = () => {};

export interface DefOptions {
  readonly el0?: El0Rule;
  readonly fp?: boolean;
  readonly needsSpSel1?: boolean;
  readonly read?: SysRead;
  readonly write?: SysWrite;
}

export function def(
  name: string,
  enc: readonly [number, number, number, number, number],
  el1: El1Access,
  options: DefOptions = {},
): SysRegDef {
  return {
    name,
    key: sysKey(...enc),
    el1,
    el0: options.el0 ?? El0.None,
    fp: options.fp ?? false,
    needsSpSel1: options.needsSpSel1 ?? false,
    read: options.read ?? noRead,
    write: options.write ?? noWrite,
  };
}

/** A read-only register with a fixed value. */
export function constant(
  name: string,
  enc: readonly [number, number, number, number, number],
  lo: number,
  hi = 0,
  el0: El0Rule = El0.None,
): SysRegDef {
  return def(name, enc, 'ro', {
    el0,
    read: (_s, out) => {
      out[0] = lo;
      out[1] = hi;
    },
  });
}

/** A plain stored register: reads return the slot, writes keep the bits in the masks. */
export function stored(
  name: string,
  enc: readonly [number, number, number, number, number],
  slot: number,
  maskLo: number,
  maskHi: number,
  options: Omit<DefOptions, 'read' | 'write'> & { readonly after?: SysWrite; readonly el1?: El1Access } = {},
): SysRegDef {
  const after = options.after;
  return def(name, enc, options.el1 ?? 'rw', {
    ...options,
    read: (s, out) => {
      out[0] = s.file.v[slot * 2];
      out[1] = s.file.v[slot * 2 + 1];
    },
    write: (s, lo, hi) => {
      const v = s.file.v;
      const oldLo = v[slot * 2];
      const oldHi = v[slot * 2 + 1];
      v[slot * 2] = lo & maskLo;
      v[slot * 2 + 1] = hi & maskHi;
      if (after !== undefined) after(s, oldLo, oldHi);
    },
  });
}
