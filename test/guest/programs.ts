/**
 * The bare-metal test programs (sources in src/, binaries in bin/) and what each run must show. Shared by
 * the QEMU and Orrery suite tests and the lockstep test.
 */
import { join } from 'node:path';

export const GUEST_DIR = join(import.meta.dirname, '.');
export const GUEST_BIN = join(GUEST_DIR, 'bin');

export type MachineKind = 'qemu' | 'orrery';

/** An INFO value's expectation: `(value & mask) === expected` (mask defaults to all bits). */
export interface InfoExpectation {
  readonly expected: bigint;
  readonly mask?: bigint;
  /** Where the value comes from. */
  readonly source: string;
}

export interface GuestProgram {
  readonly name: string;
  readonly cpus: number;
  /** No interrupts, timers or second CPU: QEMU and Orrery must agree instruction by instruction. */
  readonly lockstep: boolean;
  /** Instructions the whole run takes on QEMU (rounded up), the lockstep budget. */
  readonly lockstepSteps: number;
  /** Compare FP/SIMD registers in lockstep. */
  readonly lockstepFp: boolean;
  readonly info: Readonly<Record<string, Readonly<Record<MachineKind, InfoExpectation>>>>;
}

const QEMU_A57 = 'specs/cpu.md, QEMU cortex-a57 column';
const ORRERY = 'specs/cpu.md, Orrery column';

/** ID registers whose values specs/cpu.md sets apart for QEMU's cortex-a57 and Orrery. */
const ID_REGISTERS: GuestProgram['info'] = {
  id_aa64pfr0_el1: {
    qemu: { expected: 0x22n, source: QEMU_A57 },
    orrery: { expected: 0x11n, source: `${ORRERY}: EL0/EL1 AArch64 only, FP and AdvSIMD implemented, no GIC sysregs` },
  },
  id_aa64isar0_el1: {
    qemu: { expected: 0x11120n, source: QEMU_A57 },
    orrery: { expected: 0x10000n, source: `${ORRERY}: CRC32 only (the integer decoder implements it)` },
  },
  id_aa64mmfr0_el1: {
    qemu: { expected: 0x1124n, source: QEMU_A57 },
    // PARange (3:0) is left to fit the RAM map; ASIDBits 16, BigEnd 0, TGran16 no, TGran64 no, TGran4 yes.
    orrery: { expected: 0x0f000020n, mask: 0xfffffff0n, source: ORRERY },
  },
  id_aa64dfr0_el1: {
    qemu: { expected: 0x10305106n, source: QEMU_A57 },
    // DebugVer (3:0) = 6 (v8), PMUVer (11:8) = 0: no PMU is modelled.
    orrery: { expected: 0x006n, mask: 0xf0fn, source: ORRERY },
  },
};

export const GUEST_PROGRAMS: readonly GuestProgram[] = [
  { name: 'alu', cpus: 1, lockstep: true, lockstepSteps: 15_000, lockstepFp: false, info: {} },
  { name: 'ldst', cpus: 1, lockstep: true, lockstepSteps: 12_000, lockstepFp: false, info: {} },
  { name: 'branch', cpus: 1, lockstep: true, lockstepSteps: 12_000, lockstepFp: false, info: {} },
  { name: 'sysreg', cpus: 1, lockstep: true, lockstepSteps: 11_000, lockstepFp: false, info: ID_REGISTERS },
  { name: 'exceptions', cpus: 1, lockstep: true, lockstepSteps: 12_000, lockstepFp: false, info: {} },
  { name: 'mmu', cpus: 1, lockstep: true, lockstepSteps: 20_000, lockstepFp: false, info: {} },
  { name: 'fp', cpus: 1, lockstep: true, lockstepSteps: 12_000, lockstepFp: true, info: {} },
  { name: 'timer', cpus: 1, lockstep: false, lockstepSteps: 0, lockstepFp: false, info: {} },
  { name: 'smp', cpus: 2, lockstep: false, lockstepSteps: 0, lockstepFp: false, info: {} },
];

export function programPath(program: GuestProgram): string {
  return join(GUEST_BIN, `${program.name}.elf`);
}
