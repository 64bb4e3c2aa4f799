/** Helpers shared by the system instruction groups. */
import type { Cpu } from '../cpu';
import { xName } from '../insn/fields';
import { EC, fpAccessIss } from './syndrome';
import { SysAccess } from './sysreg-defs';
import type { SysAccessValue } from './sysreg-defs';
import { sysregTrapIss } from './sysregs';

/** Raises the exception an access check asked for (never returns when `result` is not Ok). */
export function raiseAccess(cpu: Cpu, result: SysAccessValue, word: number): void {
  if (result === SysAccess.Undefined) cpu.raiseUndefined();
  else if (result === SysAccess.Trap) cpu.raiseException(EC.SysRegTrap, sysregTrapIss(word));
  else if (result === SysAccess.FpTrap) cpu.raiseException(EC.FpAccess, fpAccessIss());
}

/** SYS-space fields of a word: op1 (18:16), CRn (15:12), CRm (11:8), op2 (7:5), Rt (4:0). */
export const op1 = (w: number): number => (w >>> 16) & 7;
export const crn = (w: number): number => (w >>> 12) & 15;
export const crm = (w: number): number => (w >>> 8) & 15;
export const op2 = (w: number): number => (w >>> 5) & 7;
export const rt = (w: number): number => w & 31;

/** objdump's generic form of a SYS/SYSL word it has no name for. */
export function sysGeneric(w: number): string {
  const reg = rt(w) === 31 ? '' : `, ${xName(rt(w))}`;
  if (((w >>> 21) & 1) !== 0) return `sysl\t${xName(rt(w))}, #${op1(w)}, C${crn(w)}, C${crm(w)}, #${op2(w)}`;
  return `sys\t#${op1(w)}, C${crn(w)}, C${crm(w)}, #${op2(w)}${reg}`;
}
