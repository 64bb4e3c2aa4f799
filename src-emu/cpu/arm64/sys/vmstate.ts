/**
 * Snapshot description of a vCPU's system layer: every stored system register by name (64-bit), CNTFRQ,
 * the WFE event register, and both generic timers (CTL, CVAL; ISTATUS, output levels and deadlines are
 * re-derived on load). PSTATE, SPs and FPCR/FPSR belong to the Cpu's own description.
 */
import { arrayOf, struct, u32, u64, vmstate } from '../../../core/vmstate';
import type { Field } from '../../../core/vmstate';
import type { CpuSystem } from './install';
import { SLOT } from './regfile';
import type { SlotName } from './regfile';

const SLOT_NAMES = Object.keys(SLOT) as SlotName[];
const TWO_POW_32 = 4294967296n;

const toBig = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const loOf = (v: bigint): number => Number(v & 0xffffffffn) | 0;
const hiOf = (v: bigint): number => Number((v / TWO_POW_32) & 0xffffffffn) | 0;

/** Named view of a CpuSystem's state for VMState (filled by preSave, applied by postLoad). */
export class CpuSystemState {
  regs = Object.fromEntries(SLOT_NAMES.map((n) => [n, 0n])) as Record<SlotName, bigint>;
  cntfrq = 0;
  eventRegister = 0;
  /** Physical timer first, then virtual. */
  timerCtl = [0, 0];
  timerCval = [0n, 0n];

  constructor(readonly system: CpuSystem) {}

  capture(): void {
    const s = this.system;
    for (const name of SLOT_NAMES) this.regs[name] = toBig(s.regs.file.lo(SLOT[name]), s.regs.file.hi(SLOT[name]));
    this.cntfrq = s.regs.cntfrq >>> 0;
    this.eventRegister = s.eventRegister;
    s.timer.save().forEach((t, i) => {
      this.timerCtl[i] = t.ctl;
      this.timerCval[i] = toBig(t.cvalLo, t.cvalHi);
    });
  }

  apply(): void {
    const s = this.system;
    for (const name of SLOT_NAMES) s.regs.file.set(SLOT[name], loOf(this.regs[name]), hiOf(this.regs[name]));
    s.regs.cntfrq = this.cntfrq | 0;
    s.eventRegister = this.eventRegister & 1;
    s.regs.afterRestore();
    s.timer.restore(
      this.timerCtl.map((ctl, i) => ({ ctl, cvalLo: loOf(this.timerCval[i]), cvalHi: hiOf(this.timerCval[i]) })),
    );
  }
}

const REGS_DESC = vmstate<Record<SlotName, bigint>>('arm64-sysregs', {
  version: 1,
  fields: SLOT_NAMES.map((name): Field<Record<SlotName, bigint>> => u64(name)),
});

export const CPU_SYSTEM_VMSTATE = vmstate<CpuSystemState>('arm64-system', {
  version: 1,
  fields: [
    // A named struct, so the inspector and snapshot diffs show register names.
    struct<CpuSystemState, Record<SlotName, bigint>>('regs', REGS_DESC),
    u32('cntfrq'),
    u32('eventRegister'),
    arrayOf('timerCtl', 'u32', 2),
    arrayOf('timerCval', 'u64', 2),
  ],
  preSave: (s) => s.capture(),
  postLoad: (s) => s.apply(),
});
