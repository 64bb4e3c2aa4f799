/**
 * GICv2 register maps, from the ARM Generic Interrupt Controller Architecture Specification v2.0 (IHI 0048B),
 * chapter 4: Table 4-1 (Distributor) and Table 4-2 (CPU interface). One declaration serves MMIO dispatch,
 * the tests and the inspector. Arrays of per-interrupt registers are declared by their first register and
 * described as blocks (`GICD_BLOCKS`), since each holds up to 1020 interrupts.
 *
 * Values that the specification leaves to the implementation follow what QEMU's arm_gic (revision 2,
 * without Security Extensions, as on QEMU's virt board) reports, read from QEMU 7.2.
 */
import { defineRegisters } from '../../../core/bits';

/** Distributor block size (QEMU's "gic_dist" region on virt). */
export const GICD_MMIO_SIZE = 0x1000;
/** CPU interface block size for a GICv2 (QEMU's "gic_cpu" region on virt: GICC_DIR lives at 0x1000). */
export const GICC_MMIO_SIZE = 0x2000;

/** Interrupt IDs with a fixed meaning (IHI 0048B 3.2). */
export const GIC_SPURIOUS = 1023;
/** What GICC_IAR returns when the highest-priority pending interrupt is Group 1 and AckCtl is 0. */
export const GIC_GROUP1_NOT_ACKNOWLEDGED = 1022;
export const GIC_NR_SGIS = 16;
/** SGIs and PPIs: banked per CPU interface. */
export const GIC_INTERNAL = 32;

export const GICD_REGS = defineRegisters({
  CTLR: {
    offset: 0x000,
    doc: 'distributor control (no Security Extensions: both group enables)',
    fields: { ENABLE_GRP0: 0, ENABLE_GRP1: 1 },
  },
  TYPER: {
    offset: 0x004,
    access: 'r',
    doc: 'interrupt controller type',
    fields: { IT_LINES_NUMBER: [4, 0], CPU_NUMBER: [7, 5], SECURITY_EXTN: 10, LSPI: [15, 11] },
  },
  IIDR: {
    offset: 0x008,
    access: 'r',
    reset: 0x43b,
    doc: 'implementer identification (ARM, as QEMU reports)',
    fields: { IMPLEMENTER: [11, 0], REVISION: [15, 12], VARIANT: [19, 16], PRODUCT_ID: [31, 24] },
  },
  IGROUPR0: { offset: 0x080, doc: 'interrupt group, 1 bit per interrupt (word 0 banked)' },
  ISENABLER0: { offset: 0x100, access: 'w1s', reset: 0xffff, doc: 'set-enable (SGIs always enabled)' },
  ICENABLER0: { offset: 0x180, access: 'w1c', reset: 0xffff, doc: 'clear-enable' },
  ISPENDR0: { offset: 0x200, access: 'w1s', doc: 'set-pending' },
  ICPENDR0: { offset: 0x280, access: 'w1c', doc: 'clear-pending' },
  ISACTIVER0: { offset: 0x300, access: 'w1s', doc: 'set-active' },
  ICACTIVER0: { offset: 0x380, access: 'w1c', doc: 'clear-active' },
  IPRIORITYR0: { offset: 0x400, doc: 'priority, 1 byte per interrupt, 8 bits implemented' },
  ITARGETSR0: { offset: 0x800, access: 'r', doc: 'CPU targets, 1 byte per interrupt (SGIs/PPIs: this CPU)' },
  ICFGR0: { offset: 0xc00, access: 'r', reset: 0xaaaaaaaa, doc: 'configuration, 2 bits per interrupt (SGIs: edge)' },
  SGIR: {
    offset: 0xf00,
    access: 'w',
    doc: 'software generated interrupt',
    fields: { SGIINTID: [3, 0], NSATT: 15, CPU_TARGET_LIST: [23, 16], TARGET_LIST_FILTER: [25, 24] },
  },
  CPENDSGIR0: { offset: 0xf10, access: 'w1c', doc: 'SGI clear-pending, 1 byte per SGI, 1 bit per source CPU' },
  SPENDSGIR0: { offset: 0xf20, access: 'w1s', doc: 'SGI set-pending, 1 byte per SGI, 1 bit per source CPU' },
  PIDR4: { offset: 0xfd0, access: 'r', reset: 0x04, width: 8, doc: 'peripheral ID 4' },
  PIDR0: { offset: 0xfe0, access: 'r', reset: 0x90, width: 8, doc: 'peripheral ID 0' },
  PIDR1: { offset: 0xfe4, access: 'r', reset: 0xb4, width: 8, doc: 'peripheral ID 1' },
  PIDR2: { offset: 0xfe8, access: 'r', reset: 0x2b, width: 8, doc: 'peripheral ID 2 (ArchRev 2: GICv2)' },
  PIDR3: { offset: 0xfec, access: 'r', reset: 0x00, width: 8, doc: 'peripheral ID 3' },
  CIDR0: { offset: 0xff0, access: 'r', reset: 0x0d, width: 8, doc: 'component ID 0' },
  CIDR1: { offset: 0xff4, access: 'r', reset: 0xf0, width: 8, doc: 'component ID 1' },
  CIDR2: { offset: 0xff8, access: 'r', reset: 0x05, width: 8, doc: 'component ID 2' },
  CIDR3: { offset: 0xffc, access: 'r', reset: 0xb1, width: 8, doc: 'component ID 3' },
});

/**
 * The ID registers at 0xfd0..0xffc, one byte per word: PIDR4-7, PIDR0-3, CIDR0-3 (QEMU's gic_id_gicv2).
 * PIDR5-7 read as zero.
 */
export const GICD_ID_BYTES: readonly number[] = [
  0x04, 0x00, 0x00, 0x00, 0x90, 0xb4, 0x2b, 0x00, 0x0d, 0xf0, 0x05, 0xb1,
];
export const GICD_ID_BASE = 0xfd0;

/** Blocks of per-interrupt registers: first offset, end (exclusive), bits per interrupt. */
export const GICD_BLOCKS = {
  IGROUPR: { start: 0x080, end: 0x100, bits: 1 },
  ISENABLER: { start: 0x100, end: 0x180, bits: 1 },
  ICENABLER: { start: 0x180, end: 0x200, bits: 1 },
  ISPENDR: { start: 0x200, end: 0x280, bits: 1 },
  ICPENDR: { start: 0x280, end: 0x300, bits: 1 },
  ISACTIVER: { start: 0x300, end: 0x380, bits: 1 },
  ICACTIVER: { start: 0x380, end: 0x400, bits: 1 },
  IPRIORITYR: { start: 0x400, end: 0x7fc, bits: 8 },
  ITARGETSR: { start: 0x800, end: 0xbfc, bits: 8 },
  ICFGR: { start: 0xc00, end: 0xd00, bits: 2 },
  CPENDSGIR: { start: 0xf10, end: 0xf20, bits: 8 },
  SPENDSGIR: { start: 0xf20, end: 0xf30, bits: 8 },
} as const;

export const GICC_REGS = defineRegisters({
  CTLR: {
    offset: 0x000,
    doc: 'CPU interface control (no Security Extensions: the Secure copy layout)',
    fields: { ENABLE_GRP0: 0, ENABLE_GRP1: 1, ACK_CTL: 2, FIQ_EN: 3, CBPR: 4, EOI_MODE: 9 },
  },
  PMR: { offset: 0x004, doc: 'priority mask (8 bits implemented)', fields: { PRIORITY: [7, 0] } },
  BPR: { offset: 0x008, doc: 'binary point (minimum 0)', fields: { BINARY_POINT: [2, 0] } },
  IAR: {
    offset: 0x00c,
    access: 'rc',
    reset: 0x3ff,
    doc: 'interrupt acknowledge',
    fields: { INTID: [9, 0], CPUID: [12, 10] },
  },
  EOIR: { offset: 0x010, access: 'w', doc: 'end of interrupt', fields: { INTID: [9, 0], CPUID: [12, 10] } },
  RPR: { offset: 0x014, access: 'r', reset: 0xff, doc: 'running priority', fields: { PRIORITY: [7, 0] } },
  HPPIR: {
    offset: 0x018,
    access: 'r',
    reset: 0x3ff,
    doc: 'highest priority pending interrupt',
    fields: { INTID: [9, 0], CPUID: [12, 10] },
  },
  ABPR: { offset: 0x01c, reset: 1, doc: 'aliased binary point, Group 1 (minimum 1)', fields: { BINARY_POINT: [2, 0] } },
  AIAR: { offset: 0x020, access: 'r', doc: 'aliased acknowledge: reads as zero, as QEMU 7.2' },
  AEOIR: { offset: 0x024, access: 'w', doc: 'aliased end of interrupt: ignored, as QEMU 7.2' },
  AHPPIR: { offset: 0x028, access: 'r', doc: 'aliased highest pending: reads as zero, as QEMU 7.2' },
  APR0: { offset: 0x0d0, doc: 'active priorities (Group 0): preemption levels 0-31' },
  APR1: { offset: 0x0d4, doc: 'active priorities: levels 32-63' },
  APR2: { offset: 0x0d8, doc: 'active priorities: levels 64-95' },
  APR3: { offset: 0x0dc, doc: 'active priorities: levels 96-127' },
  NSAPR0: { offset: 0x0e0, doc: 'active priorities (Group 1): levels 0-31' },
  NSAPR1: { offset: 0x0e4, doc: 'active priorities (Group 1): levels 32-63' },
  NSAPR2: { offset: 0x0e8, doc: 'active priorities (Group 1): levels 64-95' },
  NSAPR3: { offset: 0x0ec, doc: 'active priorities (Group 1): levels 96-127' },
  IIDR: {
    offset: 0x0fc,
    access: 'r',
    reset: 0x0002043b,
    doc: 'CPU interface identification (GICv2, ARM, as QEMU reports)',
    fields: { IMPLEMENTER: [11, 0], REVISION: [15, 12], ARCH_VERSION: [19, 16], PRODUCT_ID: [31, 20] },
  },
  DIR: {
    offset: 0x1000,
    access: 'w',
    doc: 'deactivate interrupt (EOImode 1)',
    fields: { INTID: [9, 0], CPUID: [12, 10] },
  },
});

/** GICC_CTLR bits that a write keeps (QEMU 7.2 reads back 0x21f after writing all ones). */
export const GICC_CTLR_WRITABLE = 0x21f;
/** GICD_CTLR bits that a write keeps. */
export const GICD_CTLR_WRITABLE = 0x3;
/** Four APRs of 32 preemption levels: 8 priority bits with a minimum binary point of 0 give 128 levels. */
export const GIC_NR_APRS = 4;
