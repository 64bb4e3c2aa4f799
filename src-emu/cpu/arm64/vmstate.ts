/**
 * Snapshot description of a vCPU's core state: X0..X30 by name, SP_EL0, SP_EL1, PC, NZCV, DAIF, SPSel, EL,
 * the SIMD&FP registers and FPCR/FPSR. System registers and timers are in sys/vmstate.ts. Interrupt lines
 * are re-driven by the interrupt controller's own state; decoded code, the TLB and the exclusive monitor
 * are caches and are dropped on load.
 */
import { arrayOf, struct, u32, u64, vmstate } from '../../core/vmstate';
import type { Field } from '../../core/vmstate';
import type { Cpu } from './cpu';

const X_NAMES = Array.from({ length: 31 }, (_, n) => `x${n}`);
const TWO_POW_32 = 4294967296n;

const toBig = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const loOf = (v: bigint): number => Number(v & 0xffffffffn) | 0;
const hiOf = (v: bigint): number => Number((v / TWO_POW_32) & 0xffffffffn) | 0;

/** Named view of a Cpu's core state for VMState (filled by preSave, applied by postLoad). */
export class CpuCoreState {
  regs: Record<string, bigint> = Object.fromEntries(X_NAMES.map((n) => [n, 0n]));
  spEl0 = 0n;
  spEl1 = 0n;
  pc = 0n;
  nzcv = 0;
  daif = 0;
  spsel = 0;
  el = 0;
  /** V0..V31 as 128 little-endian words (V0 bits 31..0 first). */
  vregs = new Int32Array(128);
  fpcr = 0;
  fpsr = 0;

  constructor(readonly cpu: Cpu) {}

  capture(): void {
    const cpu = this.cpu;
    X_NAMES.forEach((name, n) => (this.regs[name] = toBig(cpu.x[2 * n], cpu.x[2 * n + 1])));
    const sp = new Int32Array(2);
    cpu.readSpEl(0, sp);
    this.spEl0 = toBig(sp[0], sp[1]);
    cpu.readSpEl(1, sp);
    this.spEl1 = toBig(sp[0], sp[1]);
    this.pc = toBig(cpu.pcLo, cpu.pcHi);
    this.nzcv = cpu.getNzcv();
    this.daif = cpu.daif;
    this.spsel = cpu.spsel;
    this.el = cpu.el;
    this.vregs.set(cpu.v32);
    this.fpcr = cpu.fpcr >>> 0;
    this.fpsr = cpu.fpsr >>> 0;
  }

  apply(): void {
    const cpu = this.cpu;
    X_NAMES.forEach((name, n) => {
      cpu.x[2 * n] = loOf(this.regs[name]);
      cpu.x[2 * n + 1] = hiOf(this.regs[name]);
    });
    cpu.setElAndSpSel(this.el, this.spsel);
    cpu.writeSpEl(0, loOf(this.spEl0), hiOf(this.spEl0));
    cpu.writeSpEl(1, loOf(this.spEl1), hiOf(this.spEl1));
    cpu.pcLo = loOf(this.pc);
    cpu.pcHi = hiOf(this.pc);
    cpu.setNzcv(this.nzcv);
    cpu.daif = this.daif & 0xf;
    cpu.v32.set(this.vregs);
    cpu.fpcr = this.fpcr | 0;
    cpu.fpsr = this.fpsr | 0;
    cpu.monitor.clear();
    cpu.tlbFlush();
    cpu.codeCache.clear();
  }
}

const REGS_DESC = vmstate<Record<string, bigint>>('arm64-xregs', {
  version: 1,
  fields: X_NAMES.map((name): Field<Record<string, bigint>> => u64(name)),
});

export const CPU_CORE_VMSTATE = vmstate<CpuCoreState>('arm64-cpu', {
  version: 1,
  fields: [
    struct<CpuCoreState, Record<string, bigint>>('regs', REGS_DESC),
    u64('spEl0'),
    u64('spEl1'),
    u64('pc'),
    u32('nzcv'),
    u32('daif'),
    u32('spsel'),
    u32('el'),
    arrayOf('vregs', 'u32', 128),
    u32('fpcr'),
    u32('fpsr'),
  ],
  validate: (s) => {
    if (s.el !== undefined && s.el > 1) return `EL${s.el} is not implemented (AArch64 EL0 and EL1 only)`;
    if (s.spsel !== undefined && s.spsel > 1) return `SPSel ${s.spsel} is not 0 or 1`;
    if (s.nzcv !== undefined && (s.nzcv & 0x0fffffff) !== 0) return `NZCV 0x${s.nzcv.toString(16)} has bits below 28`;
  },
  preSave: (s) => s.capture(),
  postLoad: (s) => s.apply(),
});
