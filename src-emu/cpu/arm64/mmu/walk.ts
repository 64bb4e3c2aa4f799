/**
 * VMSAv8-64 stage 1 translation for the EL1&0 regime (ARM ARM D5.2, pseudocode
 * AArch64.TranslationTableWalk / AArch64.FirstStageTranslate), ARMv8.0: no hardware AF/dirty update,
 * no PAN, no 52-bit addresses.
 *
 * Virtual addresses arrive as lo/hi int32 halves; physical addresses are JS numbers (below 2^48).
 * The walk is access-type independent: it computes the permissions of both ELs, and `checkPermission`
 * turns a result into a permission fault for one access, so a TLB can cache one entry for every access.
 */
import type { SysRegFile } from '../sys/regfile';
import { SLOT } from '../sys/regfile';
import { GRANULE_4K, granuleFromTg0, granuleFromTg1, levelShift, startLevel } from './granule';
import type { Granule } from './granule';
import { SCTLR, TCR_HI, TCR_LO, clampTxsz, currentAsid, isUpperRange, paBitsFromRange } from './regime';
import { ATTR_DEVICE_NGNRNE, FaultKind, Perm, permissionFor } from './types';
import type { AccessType, TranslationResult } from './types';
import { logger } from '../../../core/log';

/** How the walker reads descriptors: the core AddressSpace satisfies this (status 0 = MemTx.Ok). */
export interface DescriptorReader {
  /** Reads 64 bits little-endian at `pa` into out[index] (bits 31:0) and out[index + 1] (bits 63:32). */
  read64(pa: number, out: Uint32Array, index: number): void;
  /** Outcome of the last access: 0 ok, anything else a bus error. */
  readonly status: number;
}

const TWO_POW_32 = 4294967296;

/** Bits [from, to] (inclusive, 0..63) of a lo/hi pair are all 0 (ones = false) or all 1 (ones = true). */
export function bitsAllEqual(lo: number, hi: number, from: number, to: number, ones: boolean): boolean {
  if (from > to) return true;
  const want = ones ? -1 : 0;
  if (from < 32) {
    const top = to < 32 ? to : 31;
    const mask = maskBits(from, top);
    if ((lo & mask) !== (want & mask)) return false;
  }
  if (to >= 32) {
    const mask = maskBits(from < 32 ? 0 : from - 32, to - 32);
    if ((hi & mask) !== (want & mask)) return false;
  }
  return true;
}

/** An int32 with bits [from, to] set (0 <= from <= to <= 31). */
function maskBits(from: number, to: number): number {
  const upper = to === 31 ? -1 : (1 << (to + 1)) - 1;
  return upper & ~((1 << from) - 1);
}

/** Bits [shift, shift + width) of a lo/hi pair (width <= 31). */
function field(lo: number, hi: number, shift: number, width: number): number {
  const mask = (1 << width) - 1;
  if (shift >= 32) return (hi >>> (shift - 32)) & mask;
  if (shift + width <= 32) return (lo >>> shift) & mask;
  return ((lo >>> shift) | (hi << (32 - shift))) & mask;
}

/** Address bits [47, shift] of (aLo, aHi) joined with bits [shift-1, 0] of (bLo, bHi), as a number. */
function join(aLo: number, aHi: number, bLo: number, bHi: number, shift: number): number {
  let lo: number;
  let hi: number;
  if (shift >= 32) {
    const m = (1 << (shift - 32)) - 1;
    lo = bLo;
    hi = (aHi & ~m) | (bHi & m);
  } else {
    const m = (1 << shift) - 1;
    lo = (aLo & ~m) | (bLo & m);
    hi = aHi;
  }
  return (hi & 0xffff) * TWO_POW_32 + (lo >>> 0);
}

/** True when address bits [47, paBits] of a descriptor are zero. */
function fitsPa(hi: number, paBits: number): boolean {
  return (hi & 0xffff & ~((1 << (paBits - 32)) - 1)) === 0;
}

export class Stage1Walker {
  private readonly buf = new Uint32Array(2);
  private readonly paRangeBits: number;

  /**
   * @param regs the CPU's system register values (SCTLR, TCR, TTBR0/1, MAIR)
   * @param mem where descriptors are read
   * @param paRange ID_AA64MMFR0_EL1.PARange of this CPU (2 = 40 bits)
   */
  constructor(
    private readonly regs: SysRegFile,
    private readonly mem: DescriptorReader,
    paRange: number,
  ) {
    this.paRangeBits = paBitsFromRange(paRange);
  }

  /** Translates a VA for the EL1&0 regime. Returns true on success; on false, `out.fault` says why. */
  translate(vaLo: number, vaHi: number, out: TranslationResult): boolean {
    const sctlr = this.regs.v[SLOT.SCTLR_EL1 * 2];
    out.fault = FaultKind.None;
    if ((sctlr & SCTLR.M) === 0) return this.flat(vaLo, vaHi, out);
    out.mmuOff = false;
    const v = this.regs.v;
    const tcrLo = v[SLOT.TCR_EL1 * 2];
    const tcrHi = v[SLOT.TCR_EL1 * 2 + 1];
    const upper = isUpperRange(vaHi);
    const txsz = clampTxsz(upper ? (tcrLo >>> TCR_LO.T1SZ_SHIFT) & 0x3f : tcrLo & TCR_LO.T0SZ_MASK);
    const inputBits = 64 - txsz;
    const tbi = (tcrHi & (upper ? TCR_HI.TBI1 : TCR_HI.TBI0)) !== 0;
    // Every bit between the top of the input range and the (tag-excluded) top must match VA[55].
    if (!bitsAllEqual(vaLo, vaHi, inputBits, tbi ? 55 : 63, upper)) {
      return out.setFault(FaultKind.Translation, 0);
    }
    if ((tcrLo & (upper ? TCR_LO.EPD1 : TCR_LO.EPD0)) !== 0) return out.setFault(FaultKind.Translation, 0);
    const granule = this.granule(upper, tcrLo);
    const ttbr = upper ? SLOT.TTBR1_EL1 : SLOT.TTBR0_EL1;
    const ips = paBitsFromRange(tcrHi & TCR_HI.IPS_MASK);
    const paBits = ips < this.paRangeBits ? ips : this.paRangeBits;
    const baseLo = v[ttbr * 2];
    const baseHi = v[ttbr * 2 + 1];
    if (!fitsPa(baseHi, paBits)) return out.setFault(FaultKind.AddressSize, 0);
    const level = startLevel(granule, inputBits);
    // BADDR's low bits below the first table's size are treated as zero.
    const tableBytesLog2 = inputBits - levelShift(granule, level) + 3;
    const base = join(baseLo, baseHi, 0, 0, tableBytesLog2);
    out.asid = currentAsid(tcrLo, tcrHi, v[SLOT.TTBR0_EL1 * 2 + 1], v[SLOT.TTBR1_EL1 * 2 + 1]);
    return this.walkFrom(granule, level, base, inputBits, paBits, vaLo, vaHi, sctlr, out);
  }

  /** Same as translate, then a permission check for one access at `el`. */
  translateAccess(vaLo: number, vaHi: number, access: AccessType, el: number, out: TranslationResult): boolean {
    return this.translate(vaLo, vaHi, out) && checkPermission(out, access, el);
  }

  private walkFrom(
    g: Granule,
    firstLevel: number,
    firstBase: number,
    inputBits: number,
    paBits: number,
    vaLo: number,
    vaHi: number,
    sctlr: number,
    out: TranslationResult,
  ): boolean {
    let base = firstBase;
    let tableAttrs = 0; // bits 63:59 of every table descriptor on the way, ORed (as hi >>> 27)
    const buf = this.buf;
    for (let level = firstLevel; level <= 3; level++) {
      const shift = levelShift(g, level);
      const width = level === firstLevel ? inputBits - shift : g.stride;
      const descPa = base + field(vaLo, vaHi, shift, width) * 8;
      this.mem.read64(descPa, buf, 0);
      if (this.mem.status !== 0) return out.setFault(FaultKind.WalkExternal, level);
      const lo = buf[0] | 0;
      const hi = buf[1] | 0;
      const type = lo & 3;
      if ((type & 1) === 0) return out.setFault(FaultKind.Translation, level);
      const isTable = type === 3 && level < 3;
      if (!isTable) {
        const validBlock = type === 3 || (g.blockLevels & (1 << level)) !== 0;
        if (!validBlock) return out.setFault(FaultKind.Translation, level);
        return this.finish(lo, hi, level, shift, paBits, vaLo, vaHi, tableAttrs, sctlr, out);
      }
      if (!fitsPa(hi, paBits)) return out.setFault(FaultKind.AddressSize, level);
      tableAttrs |= hi >>> 27;
      base = join(lo, hi, 0, 0, g.pageBits);
    }
    return out.setFault(FaultKind.Translation, 3); // not reached: level 3 always ends the loop
  }

  /** Turns a page or block descriptor into the result (address size, AF, permissions, attributes). */
  private finish(
    lo: number,
    hi: number,
    level: number,
    shift: number,
    paBits: number,
    vaLo: number,
    vaHi: number,
    tableAttrs: number,
    sctlr: number,
    out: TranslationResult,
  ): boolean {
    if (!fitsPa(hi, paBits)) return out.setFault(FaultKind.AddressSize, level);
    if ((lo & (1 << 10)) === 0) return out.setFault(FaultKind.AccessFlag, level);
    out.level = level;
    out.pageSizeLog2 = shift;
    out.pa = join(lo, hi, vaLo, vaHi, shift);
    out.perms = stage1Permissions(lo, hi, tableAttrs, (sctlr & SCTLR.WXN) !== 0);
    out.attrIndx = (lo >>> 2) & 7;
    out.shareability = (lo >>> 8) & 3;
    out.global = (lo & (1 << 11)) === 0;
    const mairSlot = SLOT.MAIR_EL1 * 2 + (out.attrIndx >> 2);
    out.attr = (this.regs.v[mairSlot] >>> ((out.attrIndx & 3) * 8)) & 0xff;
    return true;
  }

  /** SCTLR_EL1.M = 0: VA = PA, checked against the implemented PA size (AArch64.TranslateAddressS1Off). */
  private flat(vaLo: number, vaHi: number, out: TranslationResult): boolean {
    out.mmuOff = true;
    const tcrHi = this.regs.v[SLOT.TCR_EL1 * 2 + 1];
    const tbi = (tcrHi & (isUpperRange(vaHi) ? TCR_HI.TBI1 : TCR_HI.TBI0)) !== 0;
    if (!bitsAllEqual(vaLo, vaHi, this.paRangeBits, tbi ? 55 : 63, false)) {
      return out.setFault(FaultKind.AddressSize, 0);
    }
    out.pa = (vaHi & 0xffff) * TWO_POW_32 + (vaLo >>> 0);
    out.level = 0;
    out.pageSizeLog2 = 12;
    out.perms = Perm.ALL;
    out.attr = ATTR_DEVICE_NGNRNE;
    out.attrIndx = 0;
    out.shareability = 0;
    out.global = true;
    out.asid = 0;
    return true;
  }

  private granule(upper: boolean, tcrLo: number): Granule {
    const tg = upper ? tcrLo >>> TCR_LO.TG1_SHIFT : (tcrLo >>> TCR_LO.TG0_SHIFT) & 3;
    const g = upper ? granuleFromTg1(tg) : granuleFromTg0(tg);
    if (g !== null) return g;
    logger.unimp('cpu', `TCR_EL1.TG${upper ? 1 : 0}=${tg}: only the 4KB granule is implemented`);
    return GRANULE_4K;
  }
}

/**
 * Stage 1 EL1&0 permissions of a final descriptor (ARM ARM D5.4): AP[2:1] with APTable, UXN/PXN with
 * UXNTable/PXNTable, SCTLR_EL1.WXN, and the rule that EL1 never executes what EL0 can write.
 * `tableAttrs` holds descriptor bits 63:59 (NSTable, APTable[1:0], UXNTable, PXNTable) ORed over the walk.
 */
export function stage1Permissions(lo: number, hi: number, tableAttrs: number, wxn: boolean): number {
  let ap = (lo >>> 6) & 3; // AP[2:1]: bit 1 = read-only, bit 0 = EL0 access
  if ((tableAttrs & 4) !== 0) ap &= ~1; // APTable[0]: no EL0 access below
  if ((tableAttrs & 8) !== 0) ap |= 2; // APTable[1]: no writes below
  const el0 = (ap & 1) !== 0;
  const readOnly = (ap & 2) !== 0;
  let perms = Perm.R1;
  if (!readOnly) perms |= Perm.W1;
  if (el0) perms |= readOnly ? Perm.R0 : Perm.R0 | Perm.W0;
  const uxn = ((hi >>> 22) & 1) !== 0 || (tableAttrs & 2) !== 0;
  const pxn = ((hi >>> 21) & 1) !== 0 || (tableAttrs & 1) !== 0;
  if (!uxn && !(wxn && (perms & Perm.W0) !== 0)) perms |= Perm.X0;
  if (!pxn && (perms & Perm.W0) === 0 && !(wxn && (perms & Perm.W1) !== 0)) perms |= Perm.X1;
  return perms;
}

/** Turns a successful translation into a permission fault when `access` at `el` is not allowed. */
export function checkPermission(out: TranslationResult, access: AccessType, el: number): boolean {
  if ((out.perms & permissionFor(access, el)) !== 0) return true;
  out.fault = FaultKind.Permission;
  return false;
}
