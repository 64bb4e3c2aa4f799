/**
 * MRS, MSR (register) and MSR (immediate): system register moves and PSTATE field writes.
 * The register is resolved at decode time; the access rules are checked on every execution because they
 * depend on the EL and on control registers.
 */
import type { Cpu } from '../cpu';
import type { ExecFn, InsnEntry } from '../encoding';
import { entry } from '../encoding';
import { readSlot, writeSlot, xName } from '../insn/fields';
import { raiseAccess, crm, op1, op2 } from './insn-common';
import { systemOf } from './install';
import { SLOT } from './regfile';
import { SysAccess, genericName } from './sysreg-defs';
import type { SysRegDef } from './sysreg-defs';
import { lookupSysReg } from './sysregs';
import { SCTLR } from '../mmu/regime';

const sysregName = (w: number): string => lookupSysReg((w >>> 5) & 0xffff)?.name ?? genericName((w >>> 5) & 0xffff);

function unknownRegister(word: number): ExecFn {
  return (cpu: Cpu) => {
    systemOf(cpu).regs.resolve((word >>> 5) & 0xffff); // logs the unimplemented register
    cpu.raiseUndefined();
  };
}

const MRS = entry('MRS', '11010101 0011xxxx xxxxxxxx xxxxxxxx', {
  exec: (w) => {
    const def: SysRegDef | null = lookupSysReg((w >>> 5) & 0xffff);
    if (def === null) return unknownRegister(w);
    const d = writeSlot(w & 31);
    return (cpu) => {
      const regs = systemOf(cpu).regs;
      const result = regs.check(def, true);
      if (result !== SysAccess.Ok) raiseAccess(cpu, result, w);
      const pair = regs.pair;
      def.read(regs, pair);
      cpu.x[d] = pair[0];
      cpu.x[d + 1] = pair[1];
    };
  },
  disasm: (w) => `mrs\t${xName(w & 31)}, ${sysregName(w)}`,
});

const MSR_REG = entry('MSR_reg', '11010101 0001xxxx xxxxxxxx xxxxxxxx', {
  exec: (w) => {
    const def: SysRegDef | null = lookupSysReg((w >>> 5) & 0xffff);
    if (def === null) return unknownRegister(w);
    const s = readSlot(w & 31);
    return (cpu) => {
      const regs = systemOf(cpu).regs;
      const result = regs.check(def, false);
      if (result !== SysAccess.Ok) raiseAccess(cpu, result, w);
      def.write(regs, cpu.x[s], cpu.x[s + 1]);
      // Translation, interrupt masks, timers or SP may have changed: refetch and recheck interrupts.
      cpu.endBlockAfterThis();
    };
  },
  disasm: (w) => `msr\t${sysregName(w)}, ${xName(w & 31)}`,
});

/** PSTATE fields MSR (immediate) may write in ARMv8.0: SPSel, DAIFSet, DAIFClr (PAN and UAO are absent). */
const PSTATE_FIELD = { SPSel: 0x05, DAIFSet: 0x1e, DAIFClr: 0x1f } as const;
const pstateField = (w: number): number => (op1(w) << 3) | op2(w);

const MSR_IMM = entry('MSR_imm', '11010101 00000xxx 0100xxxx xxx11111', {
  reserved: (w) => {
    const f = pstateField(w);
    return f !== PSTATE_FIELD.SPSel && f !== PSTATE_FIELD.DAIFSet && f !== PSTATE_FIELD.DAIFClr;
  },
  exec: (w) => {
    const field = pstateField(w);
    const imm = crm(w);
    if (field === PSTATE_FIELD.SPSel) {
      return (cpu) => {
        if (cpu.el === 0) cpu.raiseUndefined();
        cpu.setElAndSpSel(cpu.el, imm & 1);
        cpu.endBlockAfterThis();
      };
    }
    const set = field === PSTATE_FIELD.DAIFSet;
    return (cpu) => {
      if (cpu.el === 0 && (systemOf(cpu).regs.file.lo(SLOT.SCTLR_EL1) & SCTLR.UMA) === 0) {
        raiseAccess(cpu, SysAccess.Trap, w);
      }
      cpu.daif = set ? cpu.daif | imm : cpu.daif & ~imm;
      cpu.endBlockAfterThis();
    };
  },
  disasm: (w) => {
    const f = pstateField(w);
    // binutils encodes only #0 and #1 for SPSel and shows other CRm values in the generic form.
    if (f === PSTATE_FIELD.SPSel && crm(w) > 1) return `msr\ts0_0_c4_c${crm(w)}_5, xzr`;
    const name = f === PSTATE_FIELD.SPSel ? 'spsel' : f === PSTATE_FIELD.DAIFSet ? 'daifset' : 'daifclr';
    return `msr\t${name}, #0x${crm(w).toString(16)}`;
  },
});

export const SYSREG_INSNS: InsnEntry[] = [MRS, MSR_REG, MSR_IMM];
