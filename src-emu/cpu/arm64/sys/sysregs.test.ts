import { afterEach, describe, expect, it } from 'vitest';
import { logger } from '../../../core/log';
import type { LogRecord } from '../../../core/log';
import { SLOT } from './regfile';
import { SysAccess, sysKey } from './sysreg-defs';
import { sysregTrapIss } from './sysregs';
import { testMachine } from './test-machine';

type Enc = [number, number, number, number, number];
const K = (...e: Enc) => sysKey(...e);

const R = {
  MIDR: K(3, 0, 0, 0, 0),
  MPIDR: K(3, 0, 0, 0, 5),
  REVIDR: K(3, 0, 0, 0, 6),
  ID_PFR0: K(3, 0, 0, 1, 0),
  MVFR0: K(3, 0, 0, 3, 0),
  PFR0: K(3, 0, 0, 4, 0),
  PFR1: K(3, 0, 0, 4, 1),
  DFR0: K(3, 0, 0, 5, 0),
  ISAR0: K(3, 0, 0, 6, 0),
  ISAR1: K(3, 0, 0, 6, 1),
  ISAR2: K(3, 0, 0, 6, 2),
  MMFR0: K(3, 0, 0, 7, 0),
  MMFR1: K(3, 0, 0, 7, 1),
  MMFR2: K(3, 0, 0, 7, 2),
  CCSIDR: K(3, 1, 0, 0, 0),
  CLIDR: K(3, 1, 0, 0, 1),
  CSSELR: K(3, 2, 0, 0, 0),
  CTR: K(3, 3, 0, 0, 1),
  DCZID: K(3, 3, 0, 0, 7),
  SCTLR: K(3, 0, 1, 0, 0),
  CPACR: K(3, 0, 1, 0, 2),
  TCR: K(3, 0, 2, 0, 2),
  TTBR0: K(3, 0, 2, 0, 0),
  SP_EL0: K(3, 0, 4, 1, 0),
  SP_EL1: K(3, 4, 4, 1, 0),
  SPSEL: K(3, 0, 4, 2, 0),
  CURRENTEL: K(3, 0, 4, 2, 2),
  DAIF: K(3, 3, 4, 2, 1),
  NZCV: K(3, 3, 4, 2, 0),
  FPCR: K(3, 3, 4, 4, 0),
  FPSR: K(3, 3, 4, 4, 1),
  TPIDR_EL0: K(3, 3, 13, 0, 2),
  TPIDRRO_EL0: K(3, 3, 13, 0, 3),
  CNTFRQ: K(3, 3, 14, 0, 0),
  CNTPCT: K(3, 3, 14, 0, 1),
  CNTVCT: K(3, 3, 14, 0, 2),
  CNTKCTL: K(3, 0, 14, 1, 0),
  CNTP_CTL: K(3, 3, 14, 2, 1),
  CNTV_CTL: K(3, 3, 14, 3, 1),
  CNTV_CVAL: K(3, 3, 14, 3, 2),
  OSLAR: K(2, 0, 1, 0, 4),
  OSLSR: K(2, 0, 1, 1, 4),
  PMCR: K(3, 3, 9, 12, 0),
  IMPDEF: K(3, 1, 15, 2, 0),
} as const;

function setup(options: { crc32?: boolean; affinity?: number } = {}) {
  const m = testMachine(options);
  const out = new Int32Array(2);
  const read = (key: number): number => {
    expect(m.regs.read(key, out)).toBe(SysAccess.Ok);
    return out[0] >>> 0;
  };
  const toEl0 = () => m.cpu.setElAndSpSel(0, 0);
  return { ...m, out, read, toEl0 };
}

const logged: LogRecord[] = [];
afterEach(() => {
  logger.setSink(null);
  logger.setMasks([]);
  logged.length = 0;
});

describe('identification registers (specs/cpu.md)', () => {
  it('identify a Cortex-A57 r1p0 with its MPIDR affinity', () => {
    const s = setup({ affinity: 3 });
    expect(s.read(R.MIDR)).toBe(0x411fd070);
    expect(s.read(R.MPIDR)).toBe(0x80000003);
    expect(s.read(R.REVIDR)).toBe(0);
  });

  it('advertise AArch64-only EL0/EL1 with FP and AdvSIMD, and nothing costly', () => {
    const s = setup();
    expect(s.read(R.PFR0)).toBe(0x11);
    expect(s.read(R.PFR1)).toBe(0);
    expect(s.read(R.ISAR0)).toBe(0);
    expect(s.read(R.ISAR1)).toBe(0);
    expect(s.read(R.MMFR1)).toBe(0);
    expect(s.read(R.MMFR2)).toBe(0);
    expect(setup({ crc32: true }).read(R.ISAR0)).toBe(0x10000);
  });

  it('describe a 40-bit PA, 16-bit ASIDs and only the 4 KB granule', () => {
    const mmfr0 = setup().read(R.MMFR0);
    expect(mmfr0 & 0xf).toBe(2); // PARange 40 bits
    expect((mmfr0 >>> 4) & 0xf).toBe(2); // ASIDBits 16
    expect((mmfr0 >>> 8) & 0xf).toBe(0); // BigEnd
    expect((mmfr0 >>> 20) & 0xf).toBe(0); // TGran16 not supported
    expect((mmfr0 >>> 24) & 0xf).toBe(0xf); // TGran64 not supported
    expect((mmfr0 >>> 28) & 0xf).toBe(0); // TGran4 supported
  });

  it('describe debug v8 without a PMU', () => {
    const dfr0 = setup().read(R.DFR0);
    expect(dfr0 & 0xf).toBe(6);
    expect((dfr0 >>> 8) & 0xf).toBe(0);
  });

  it('give the cache and counter identification values QEMU shows', () => {
    const s = setup();
    expect(s.read(R.CTR)).toBe(0x8444c004);
    expect(s.read(R.DCZID)).toBe(0x4);
    expect(s.read(R.CLIDR)).toBe(0x0a200023);
    expect(s.read(R.CNTFRQ)).toBe(62_500_000);
  });

  it('select CCSIDR by CSSELR (64-byte L1 data cache lines)', () => {
    const s = setup();
    expect(s.regs.write(R.CSSELR, 0, 0)).toBe(SysAccess.Ok);
    expect(s.read(R.CCSIDR) & 7).toBe(2); // LineSize: log2(16 words) - 2
    s.regs.write(R.CSSELR, 1, 0);
    expect(s.read(R.CCSIDR)).toBe(0x201fe012);
  });

  it('read AArch32 ID registers and the reserved ID space as zero at EL1, UNDEFINED at EL0', () => {
    const s = setup();
    expect(s.read(R.ID_PFR0)).toBe(0);
    expect(s.read(R.MVFR0)).toBe(0);
    expect(s.read(R.ISAR2)).toBe(0);
    expect(s.read(K(3, 0, 0, 7, 5))).toBe(0);
    s.toEl0();
    expect(s.regs.read(R.MIDR, s.out)).toBe(SysAccess.Undefined);
    expect(s.regs.read(R.ISAR2, s.out)).toBe(SysAccess.Undefined);
  });
});

describe('reset state (specs/cpu.md)', () => {
  it('enters at EL1h with MMU off, DAIF masked and FP disabled', () => {
    const s = setup();
    expect(s.read(R.SCTLR)).toBe(0x00c50838);
    expect(s.read(R.CURRENTEL)).toBe(4);
    expect(s.read(R.DAIF)).toBe(0x3c0);
    expect(s.read(R.SPSEL)).toBe(1);
    expect(s.read(R.CPACR)).toBe(0);
    expect(s.read(R.OSLSR)).toBe(0xa);
    expect(s.regs.read(R.FPCR, s.out)).toBe(SysAccess.FpTrap);
  });
});

describe('access rules', () => {
  it('make unknown encodings UNDEFINED and log them as unimplemented', () => {
    const s = setup();
    logger.setMasks(['unimp']);
    logger.setSink((r) => logged.push(r));
    expect(s.regs.read(R.IMPDEF, s.out)).toBe(SysAccess.Undefined);
    expect(logged.map((r) => r.message)).toEqual(['system register s3_1_c15_c2_0 is not implemented']);
  });

  it('make absent PMU registers and SP_EL1 UNDEFINED without an unimplemented report', () => {
    const s = setup();
    logger.setMasks(['unimp']);
    logger.setSink((r) => logged.push(r));
    expect(s.regs.read(R.PMCR, s.out)).toBe(SysAccess.Undefined);
    expect(s.regs.write(R.SP_EL1, 0, 0)).toBe(SysAccess.Undefined);
    expect(logged).toEqual([]);
  });

  it('reject MSR to read-only and MRS of write-only registers', () => {
    const s = setup();
    expect(s.regs.write(R.MIDR, 0, 0)).toBe(SysAccess.Undefined);
    expect(s.regs.read(R.OSLAR, s.out)).toBe(SysAccess.Undefined);
    expect(s.regs.write(R.OSLAR, 0, 0)).toBe(SysAccess.Ok);
    expect(s.read(R.OSLSR)).toBe(0x8); // OSLK cleared
  });

  it('keep EL1 registers from EL0', () => {
    const s = setup();
    s.toEl0();
    for (const key of [R.SCTLR, R.TCR, R.CURRENTEL, R.SPSEL, R.SP_EL0, R.CNTKCTL, R.CCSIDR]) {
      expect(s.regs.read(key, s.out)).toBe(SysAccess.Undefined);
    }
  });

  it('gate CTR_EL0 at EL0 by SCTLR_EL1.UCT and DAIF by SCTLR_EL1.UMA (trap, EC 0x18)', () => {
    const s = setup();
    const sctlr = s.read(R.SCTLR);
    s.toEl0();
    expect(s.regs.read(R.CTR, s.out)).toBe(SysAccess.Trap);
    expect(s.regs.write(R.DAIF, 0, 0)).toBe(SysAccess.Trap);
    s.cpu.setElAndSpSel(1, 1);
    s.regs.write(R.SCTLR, sctlr | (1 << 15) | (1 << 9), 0);
    s.toEl0();
    expect(s.regs.read(R.CTR, s.out)).toBe(SysAccess.Ok);
    expect(s.regs.write(R.DAIF, 0x80, 0)).toBe(SysAccess.Ok);
    expect(s.cpu.daif).toBe(0x2);
  });

  it('gate the counters and timers at EL0 by CNTKCTL_EL1', () => {
    const s = setup();
    const el0 = (kctl: number, key: number) => {
      s.cpu.setElAndSpSel(1, 1);
      s.regs.write(R.CNTKCTL, kctl, 0);
      s.toEl0();
      return s.regs.read(key, s.out);
    };
    expect(el0(0, R.CNTVCT)).toBe(SysAccess.Trap);
    expect(el0(2, R.CNTVCT)).toBe(SysAccess.Ok);
    expect(el0(2, R.CNTPCT)).toBe(SysAccess.Trap);
    expect(el0(1, R.CNTPCT)).toBe(SysAccess.Ok);
    expect(el0(0, R.CNTFRQ)).toBe(SysAccess.Trap);
    expect(el0(1, R.CNTFRQ)).toBe(SysAccess.Ok);
    expect(el0(2, R.CNTFRQ)).toBe(SysAccess.Ok);
    expect(el0(3, R.CNTV_CTL)).toBe(SysAccess.Trap);
    expect(el0(1 << 8, R.CNTV_CTL)).toBe(SysAccess.Ok);
    expect(el0(1 << 8, R.CNTP_CTL)).toBe(SysAccess.Trap);
    expect(el0(1 << 9, R.CNTP_CTL)).toBe(SysAccess.Ok);
  });

  it('let EL0 use NZCV and TPIDR_EL0, and only read TPIDRRO_EL0', () => {
    const s = setup();
    s.regs.write(R.TPIDRRO_EL0, 0x1234, 0x5678);
    s.toEl0();
    expect(s.regs.write(R.NZCV, 0x6000_0000, 0)).toBe(SysAccess.Ok);
    expect([s.cpu.n, s.cpu.z, s.cpu.c, s.cpu.v]).toEqual([0, 1, 1, 0]);
    expect(s.regs.write(R.TPIDR_EL0, 7, 8)).toBe(SysAccess.Ok);
    expect(s.regs.read(R.TPIDRRO_EL0, s.out)).toBe(SysAccess.Ok);
    expect([...s.out]).toEqual([0x1234, 0x5678]);
    expect(s.regs.write(R.TPIDRRO_EL0, 0, 0)).toBe(SysAccess.Undefined);
  });

  it('trap FPCR/FPSR per CPACR_EL1.FPEN (EC 0x07)', () => {
    const s = setup();
    const at = (fpen: number, el: number) => {
      s.cpu.setElAndSpSel(1, 1);
      s.regs.write(R.CPACR, fpen << 20, 0);
      if (el === 0) s.toEl0();
      return s.regs.read(R.FPSR, s.out);
    };
    expect(at(0, 1)).toBe(SysAccess.FpTrap);
    expect(at(2, 1)).toBe(SysAccess.FpTrap);
    expect(at(1, 1)).toBe(SysAccess.Ok);
    expect(at(1, 0)).toBe(SysAccess.FpTrap);
    expect(at(3, 0)).toBe(SysAccess.Ok);
  });

  it('report DC ZVA as prohibited at EL0 in DCZID_EL0.DZP until SCTLR_EL1.DZE is set', () => {
    const s = setup();
    const sctlr = s.read(R.SCTLR);
    s.toEl0();
    expect(s.read(R.DCZID)).toBe(0x14);
    s.cpu.setElAndSpSel(1, 1);
    expect(s.read(R.DCZID)).toBe(0x4);
    s.regs.write(R.SCTLR, sctlr | (1 << 14), 0);
    s.toEl0();
    expect(s.read(R.DCZID)).toBe(0x4);
  });

  it('allow SP_EL0 at EL1 only while SPSel = 1', () => {
    const s = setup();
    s.cpu.writeSpEl(0, 0x1000, 0);
    expect(s.read(R.SP_EL0)).toBe(0x1000);
    s.regs.write(R.SPSEL, 0, 0);
    expect(s.cpu.spsel).toBe(0);
    expect(s.regs.read(R.SP_EL0, s.out)).toBe(SysAccess.Undefined);
  });
});

describe('register side effects', () => {
  it('keep only the writable SCTLR_EL1 bits and follow SCTLR_EL1.A in the alignment mask', () => {
    const s = setup();
    s.regs.write(R.SCTLR, -1, -1);
    // v8.0 fields and RES1 bits; EE/E0E are RES0 without mixed-endian support.
    expect(s.read(R.SCTLR)).toBe(0x34dddbbf);
    expect(s.cpu.alignMask).toBe(-1);
    s.regs.write(R.SCTLR, 0x00c50838, 0);
    expect(s.cpu.alignMask).toBe(0);
  });

  it('flush the TLB when TCR_EL1 changes or the ASID in a TTBR changes', () => {
    const s = setup();
    const fill = () => s.cpu.tlb.fill(0, 0x1000, 0, s.ram.ram!, 0, 0x4000_0000);
    fill();
    s.regs.write(R.TCR, 25, 0);
    expect(s.cpu.tlb.pageLo[0]).not.toBe(0x1000);
    fill();
    s.regs.write(R.TTBR0, 0x4000_0000, 0); // base only: TLB kept (software must TLBI)
    expect(s.cpu.tlb.pageLo[0]).toBe(0x1000);
    s.regs.write(R.TTBR0, 0x4000_0000, 5 << 16);
    expect(s.cpu.tlb.pageLo[0]).not.toBe(0x1000);
    // With TCR_EL1.A1 the ASID lives in TTBR1: TTBR0's ASID field no longer matters.
    s.regs.write(R.TCR, 25 | (1 << 22), 0);
    fill();
    s.regs.write(R.TTBR0, 0x4000_0000, 6 << 16);
    expect(s.cpu.tlb.pageLo[0]).toBe(0x1000);
    s.regs.write(K(3, 0, 2, 0, 1), 0, 6 << 16); // TTBR1_EL1
    expect(s.cpu.tlb.pageLo[0]).not.toBe(0x1000);
  });

  it('drive the virtual timer output through CNTV_CVAL_EL0/CNTV_CTL_EL0', () => {
    const s = setup();
    s.regs.write(R.CNTV_CVAL, 100, 0);
    s.regs.write(R.CNTV_CTL, 1, 0);
    expect(s.levels.virt).toBe(false);
    s.clock.advanceTo(1600);
    s.clock.runDue();
    expect(s.levels.virt).toBe(true);
    expect(s.read(R.CNTV_CTL)).toBe(5);
  });
});

describe('MSR/MRS trap syndrome', () => {
  it('encodes Op0, Op2, Op1, CRn, Rt, CRm and direction as Linux esr.h expects', () => {
    // mrs x3, ctr_el0: Linux's ESR_ELx_SYS64_ISS_SYS_CTR_READ with Rt = 3.
    const word = 0xd5300000 | (R.CTR << 5) | 3;
    const linuxSysVal = (op0: number, op1: number, op2: number, crn: number, crm: number) =>
      (op0 << 20) | (op1 << 14) | (op2 << 17) | (crn << 10) | (crm << 1);
    expect(sysregTrapIss(word)).toBe(linuxSysVal(3, 3, 1, 0, 0) | (3 << 5) | 1);
    // msr cntv_ctl_el0, x9: a write (direction 0).
    const msr = 0xd5100000 | (R.CNTV_CTL << 5) | 9;
    expect(sysregTrapIss(msr)).toBe(linuxSysVal(3, 3, 1, 14, 3) | (9 << 5));
  });

  it('keeps the register file slots distinct', () => {
    const s = setup();
    s.regs.write(R.TPIDR_EL0, 1, 2);
    expect(s.file.lo(SLOT.TPIDR_EL0)).toBe(1);
    expect(s.file.hi(SLOT.TPIDR_EL0)).toBe(2);
  });
});
