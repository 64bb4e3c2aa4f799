/**
 * What a stage 1 translation produces: a reusable result object (no allocation per walk) holding either a
 * mapping (physical address, permissions for both ELs, attributes, ASID tag, page size) or a fault with the
 * fault status code the ESR and PAR need.
 */

/** Permission bits of a mapping, both exception levels at once so a TLB entry can serve either. */
export const Perm = {
  R1: 1,
  W1: 2,
  X1: 4,
  R0: 8,
  W0: 16,
  X0: 32,
  ALL: 63,
} as const;

/** Kind of memory access being translated. */
export const Access = { Read: 0, Write: 1, Exec: 2 } as const;
export type AccessType = (typeof Access)[keyof typeof Access];

export const FaultKind = {
  None: 0,
  AddressSize: 1,
  Translation: 2,
  AccessFlag: 3,
  Permission: 4,
  /** The descriptor read itself failed (nothing at that physical address). */
  WalkExternal: 5,
  /** Not a translation fault: an access to a physical address where nothing answers. */
  External: 6,
  Alignment: 7,
} as const;
export type FaultKindValue = (typeof FaultKind)[keyof typeof FaultKind];

/** The (D|I)FSC encodings of the ARM ARM (ESR_ELx ISS[5:0], PAR_EL1.FST). */
export const FSC = {
  ADDRESS_SIZE: 0x00, // + level
  TRANSLATION: 0x04, // + level
  ACCESS_FLAG: 0x08, // + level
  PERMISSION: 0x0c, // + level
  EXTERNAL: 0x10,
  WALK_EXTERNAL: 0x14, // + level
  ALIGNMENT: 0x21,
} as const;

/** The fault status code for a fault kind at a level. */
export function faultStatusCode(kind: number, level: number): number {
  switch (kind) {
    case FaultKind.AddressSize:
      return FSC.ADDRESS_SIZE + level;
    case FaultKind.Translation:
      return FSC.TRANSLATION + level;
    case FaultKind.AccessFlag:
      return FSC.ACCESS_FLAG + level;
    case FaultKind.Permission:
      return FSC.PERMISSION + level;
    case FaultKind.WalkExternal:
      return FSC.WALK_EXTERNAL + level;
    case FaultKind.External:
      return FSC.EXTERNAL;
    case FaultKind.Alignment:
      return FSC.ALIGNMENT;
    default:
      return 0;
  }
}

/** MAIR attribute byte used while the MMU is off for data accesses: Device-nGnRnE. */
export const ATTR_DEVICE_NGNRNE = 0x00;
/** Normal, inner/outer write-back: what instruction fetches see while the MMU is off. */
export const ATTR_NORMAL_WB = 0xff;

/** One translation's outcome; the walker overwrites every field on each call. */
export class TranslationResult {
  /** Physical address of the translated byte (JS number, up to 48 bits). */
  pa = 0;
  /** log2 of the mapping's size: 12 for a 4 KB page, 21 for a 2 MB block, 30 for 1 GB. */
  pageSizeLog2 = 12;
  /** Perm bits allowed by the descriptors, SCTLR_EL1.WXN and the implicit EL0-writable => PXN rule. */
  perms = 0;
  /** MAIR_EL1 attribute byte selected by AttrIndx (carried, not acted on). */
  attr = 0;
  /** AttrIndx, SH and NS as in the descriptor. */
  attrIndx = 0;
  shareability = 0;
  /** nG clear: the entry matches every ASID. */
  global = true;
  /** ASID tag of a non-global entry (8 or 16 bits per TCR_EL1.AS). */
  asid = 0;
  /** Level of the final descriptor (or of the fault). */
  level = 0;
  /** True when SCTLR_EL1.M is clear (flat mapping; data is Device-nGnRnE, fetches are Normal). */
  mmuOff = false;
  /** FaultKind.None on success. */
  fault: FaultKindValue = FaultKind.None;

  /** The FSC for ESR_EL1 / PAR_EL1 when `fault` is set. */
  get fsc(): number {
    return faultStatusCode(this.fault, this.level);
  }

  /** True when the fault happened while reading a descriptor (ESR's "on translation table walk" forms). */
  get faultOnWalk(): boolean {
    return this.fault === FaultKind.WalkExternal;
  }

  setFault(kind: FaultKindValue, level: number): false {
    this.fault = kind;
    this.level = level;
    this.perms = 0;
    return false;
  }
}

/** The one Perm bit an access needs at an exception level. */
export function permissionFor(access: AccessType, el: number): number {
  const base = access === Access.Read ? Perm.R1 : access === Access.Write ? Perm.W1 : Perm.X1;
  return el === 0 ? base << 3 : base;
}
