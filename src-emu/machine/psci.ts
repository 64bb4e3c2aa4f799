/**
 * PSCI 1.1 answered by the machine on HVC, as QEMU's virt does (the DTB says method = "hvc"). Function IDs
 * and return codes from ARM DEN 0022 (Power State Coordination Interface); SMC Calling Convention: function
 * ID in w0, arguments in x1..x3, result in x0.
 */

export const PSCI_FN = {
  version: 0x8400_0000,
  cpuSuspend32: 0x8400_0001,
  cpuSuspend64: 0xc400_0001,
  cpuOff: 0x8400_0002,
  cpuOn32: 0x8400_0003,
  cpuOn64: 0xc400_0003,
  affinityInfo32: 0x8400_0004,
  affinityInfo64: 0xc400_0004,
  migrateInfoType: 0x8400_0006,
  systemOff: 0x8400_0008,
  systemReset: 0x8400_0009,
  features: 0x8400_000a,
} as const;

export const PSCI_RET = {
  success: 0,
  notSupported: -1,
  invalidParameters: -2,
  denied: -3,
  alreadyOn: -4,
  onPending: -5,
} as const;

/** PSCI 1.1 */
const PSCI_VERSION = 0x0001_0001;
/** "Trusted OS not present or does not require migration" */
const MIGRATE_INFO_TYPE_NOT_REQUIRED = 2;

export type CpuPower = 'on' | 'off' | 'pending';

/** What PSCI needs from the machine. Addresses are 64-bit as lo/hi pairs. */
export interface PsciHost {
  readonly cpuCount: number;
  power(cpu: number): CpuPower;
  /** Starts `cpu` at EL1 at the entry point with x0 = context. */
  powerOn(cpu: number, entryLo: number, entryHi: number, contextLo: number, contextHi: number): void;
  powerOff(cpu: number): void;
  /** The calling CPU may sleep until an interrupt (CPU_SUSPEND treated as a standby state). */
  suspend(cpu: number): void;
  systemOff(): void;
  systemReset(): void;
}

/** The registers of the calling CPU, as x0..x3 lo/hi pairs (the CPU's `x` array layout). */
export interface PsciRegisters {
  readonly x: Int32Array;
}

const SUPPORTED = new Set<number>(Object.values(PSCI_FN));

/** The CPU index an MPIDR affinity value names on virt (Aff0 = index, cluster 0), or -1. Bits 31:24 must be 0. */
function cpuFromMpidr(lo: number, hi: number, count: number): number {
  if (hi !== 0 || (lo & 0xffff_ff00) !== 0) return -1;
  const aff0 = lo & 0xff;
  return aff0 < count ? aff0 : -1;
}

/** Writes the call's result to x0 (sign-extended to 64 bits); returns true: the call was handled. */
function reply(regs: PsciRegisters, value: number): true {
  regs.x[0] = value | 0;
  regs.x[1] = value < 0 ? -1 : 0;
  return true;
}

/** Handles one PSCI call (any HVC, as QEMU's virt treats them) from `caller`; x0 gets the result. */
export function handlePsci(host: PsciHost, caller: number, regs: PsciRegisters): boolean {
  const fn = regs.x[0]! >>> 0;
  const x1lo = regs.x[2]!;
  const x1hi = regs.x[3]!;
  const is32 = (fn & 0x4000_0000) === 0;
  // SMC32 calls take 32-bit arguments: ignore the upper halves.
  const arg = (i: number): [number, number] => [regs.x[2 * i]!, is32 ? 0 : regs.x[2 * i + 1]!];
  switch (fn) {
    case PSCI_FN.version:
      return reply(regs, PSCI_VERSION);
    case PSCI_FN.cpuSuspend32:
    case PSCI_FN.cpuSuspend64:
      host.suspend(caller);
      return reply(regs, PSCI_RET.success);
    case PSCI_FN.cpuOff:
      host.powerOff(caller);
      return reply(regs, PSCI_RET.success);
    case PSCI_FN.cpuOn32:
    case PSCI_FN.cpuOn64: {
      const [targetLo, targetHi] = arg(1);
      const target = cpuFromMpidr(targetLo, targetHi, host.cpuCount);
      if (target < 0) return reply(regs, PSCI_RET.invalidParameters);
      const state = host.power(target);
      if (state !== 'off') return reply(regs, state === 'on' ? PSCI_RET.alreadyOn : PSCI_RET.onPending);
      const [entryLo, entryHi] = arg(2);
      const [ctxLo, ctxHi] = arg(3);
      host.powerOn(target, entryLo, entryHi, ctxLo, ctxHi);
      return reply(regs, PSCI_RET.success);
    }
    case PSCI_FN.affinityInfo32:
    case PSCI_FN.affinityInfo64: {
      const target = cpuFromMpidr(x1lo, is32 ? 0 : x1hi, host.cpuCount);
      const level = regs.x[4]!;
      if (target < 0 || level !== 0) return reply(regs, PSCI_RET.invalidParameters);
      const state = host.power(target);
      return reply(regs, state === 'on' ? 0 : state === 'off' ? 1 : 2);
    }
    case PSCI_FN.migrateInfoType:
      return reply(regs, MIGRATE_INFO_TYPE_NOT_REQUIRED);
    case PSCI_FN.systemOff:
      host.systemOff();
      return reply(regs, PSCI_RET.success);
    case PSCI_FN.systemReset:
      host.systemReset();
      return reply(regs, PSCI_RET.success);
    case PSCI_FN.features:
      return reply(regs, SUPPORTED.has(x1lo >>> 0) ? PSCI_RET.success : PSCI_RET.notSupported);
    default:
      // QEMU treats every HVC on a PSCI-over-HVC board as a PSCI call: anything else is NOT_SUPPORTED.
      return reply(regs, PSCI_RET.notSupported);
  }
}
