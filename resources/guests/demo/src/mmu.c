/*
 * Translation tables: 4 KB granule, 32-bit virtual addresses (T0SZ = 32) so the walk starts at level 1;
 * four level-2 tables of 2 MB blocks cover the 4 GB identity map. Unmapped blocks stay invalid, so a stray
 * access faults instead of reading garbage. (ARM ARM D5: VMSAv8-64 translation.)
 */
#include "mmu.h"

#include "arch.h"
#include "board.h"

#define ENTRIES 512
#define BLOCK_SIZE (2ULL << 20)

#define DESC_BLOCK 1ULL
#define DESC_TABLE 3ULL
#define DESC_ATTR(index) ((uint64_t)(index) << 2)
#define DESC_SH_INNER (3ULL << 8)
#define DESC_AF (1ULL << 10)
#define DESC_PXN (1ULL << 53)
#define DESC_UXN (1ULL << 54)

#define ATTR_DEVICE 0 /* MAIR attribute 0: device-nGnRE */
#define ATTR_NORMAL 1 /* MAIR attribute 1: normal, inner and outer write-back non-transient */
#define MAIR_VALUE ((0x04ULL << (8 * ATTR_DEVICE)) | (0xffULL << (8 * ATTR_NORMAL)))

#define TCR_T0SZ(bits) (64ULL - (bits))
#define TCR_IRGN0_WBWA (1ULL << 8)
#define TCR_ORGN0_WBWA (1ULL << 10)
#define TCR_SH0_INNER (3ULL << 12)
#define TCR_TG0_4K (0ULL << 14)
#define TCR_EPD1 (1ULL << 23) /* no TTBR1 walks: nothing lives in the upper half */
#define TCR_IPS_4G (0ULL << 32)
#define TCR_VALUE \
  (TCR_T0SZ(32) | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_TG0_4K | TCR_EPD1 | TCR_IPS_4G)

#define SCTLR_M (1ULL << 0)
#define SCTLR_A (1ULL << 1)
#define SCTLR_C (1ULL << 2)
#define SCTLR_I (1ULL << 12)
#define SCTLR_WXN (1ULL << 19)

static uint64_t level1[ENTRIES] __attribute__((aligned(4096)));
static uint64_t level2[4][ENTRIES] __attribute__((aligned(4096)));

static void map_blocks(uint64_t start, uint64_t end, uint64_t attributes) {
  for (uint64_t address = start; address < end; address += BLOCK_SIZE) {
    uint64_t index = address / BLOCK_SIZE;
    level2[index / ENTRIES][index % ENTRIES] = address | attributes | DESC_AF | DESC_BLOCK;
  }
}

uint64_t mmu_enable(uint64_t ram_size) {
  if (ram_size > MMU_RAM_LIMIT) ram_size = MMU_RAM_LIMIT;
  ram_size &= ~(BLOCK_SIZE - 1);
  for (int i = 0; i < 4; i++) level1[i] = (uint64_t)(uintptr_t)level2[i] | DESC_TABLE;
  map_blocks(DEVICE_START, DEVICE_END, DESC_ATTR(ATTR_DEVICE) | DESC_PXN | DESC_UXN);
  map_blocks(RAM_BASE, RAM_BASE + ram_size, DESC_ATTR(ATTR_NORMAL) | DESC_SH_INNER);
  dsb(ish);

  write_sysreg(mair_el1, MAIR_VALUE);
  write_sysreg(tcr_el1, TCR_VALUE);
  write_sysreg(ttbr0_el1, (uintptr_t)level1);
  isb();
  __asm__ volatile("tlbi vmalle1\n\tic iallu" ::: "memory");
  dsb(nsh);
  isb();
  uint64_t sctlr = read_sysreg(sctlr_el1);
  sctlr = (sctlr | SCTLR_M | SCTLR_C | SCTLR_I) & ~(SCTLR_A | SCTLR_WXN);
  write_sysreg(sctlr_el1, sctlr);
  isb();
  return ram_size;
}
