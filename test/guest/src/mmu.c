/*
 * Stage 1 translation at EL1: 4 KB granule, 39-bit VAs from level 1. TTBR0 maps the device space and RAM
 * identically (RAM's first 2 MB by 4 KB pages, so single pages can be changed); TTBR1 maps RAM again at
 * 0xffffff8040000000. Then: translation, permission and access flag faults, execute-never, TLBI, AT, DC ZVA,
 * and unaligned accesses to Normal memory.
 */
#include "runtime.h"

#define DESC_TABLE 3ul
#define DESC_BLOCK 1ul
#define DESC_PAGE 3ul
#define ATTR_DEVICE (0ul << 2)
#define ATTR_NORMAL (1ul << 2)
#define AP_EL1_RO (2ul << 6)
#define SH_INNER (3ul << 8)
#define AF (1ul << 10)
#define PXN (1ul << 53)
#define UXN (1ul << 54)
#define NORMAL_PAGE (DESC_PAGE | ATTR_NORMAL | SH_INNER | AF)

#define HIGH_BASE 0xffffff8000000000ul
#define RAM_BASE 0x40000000ul
/* Test pages: the last five 4 KB pages of RAM's first 2 MB (above the program). */
#define TEST_VA 0x401f0000ul
#define PAGE_RO (TEST_VA + 0x0000)
#define PAGE_NO_AF (TEST_VA + 0x1000)
#define PAGE_INVALID (TEST_VA + 0x2000)
#define PAGE_REMAP (TEST_VA + 0x3000)
#define PAGE_PXN (TEST_VA + 0x4000)

typedef u64 table_t[512] __attribute__((aligned(4096)));
static table_t l1_low, l1_high, l2_ram, l3_ram;
static u64 data_a[512] __attribute__((aligned(4096)));
static u64 data_b[512] __attribute__((aligned(4096)));

static u64 l3_index(u64 va) { return (va >> 12) & 511; }

static void tlbi_page(u64 va) {
  __asm__ volatile("dsb ishst\n\ttlbi vae1, %0\n\tdsb ish\n\tisb" : : "r"(va >> 12) : "memory");
}

static void build_tables(void) {
  l1_low[0] = 0x00000000ul | DESC_BLOCK | ATTR_DEVICE | AF | PXN | UXN;
  l1_low[1] = (u64)l2_ram | DESC_TABLE;
  l2_ram[0] = (u64)l3_ram | DESC_TABLE;
  for (u64 i = 1; i < 512; i++) l2_ram[i] = (RAM_BASE + (i << 21)) | DESC_BLOCK | ATTR_NORMAL | SH_INNER | AF;
  for (u64 i = 0; i < 512; i++) l3_ram[i] = (RAM_BASE + (i << 12)) | NORMAL_PAGE;
  l3_ram[l3_index(PAGE_RO)] = (u64)data_a | NORMAL_PAGE | AP_EL1_RO;
  l3_ram[l3_index(PAGE_NO_AF)] = ((u64)data_a | NORMAL_PAGE) & ~AF;
  l3_ram[l3_index(PAGE_INVALID)] = 0;
  l3_ram[l3_index(PAGE_REMAP)] = (u64)data_a | NORMAL_PAGE;
  l1_high[1] = RAM_BASE | DESC_BLOCK | ATTR_NORMAL | SH_INNER | AF;
}

static void enable_mmu(void) {
  /* Attr0 Device-nGnRnE, Attr1 Normal write-back. */
  write_sysreg(mair_el1, 0xff00ul);
  /* T0SZ = T1SZ = 25, WBWA inner shareable walks, TG0 4 KB, TG1 4 KB (0b10), IPS 40 bits. */
  u64 tcr = 25ul | (1ul << 8) | (1ul << 10) | (3ul << 12) | (25ul << 16) | (1ul << 24) | (1ul << 26) | (3ul << 28) |
            (2ul << 30) | (2ul << 32);
  write_sysreg(tcr_el1, tcr);
  write_sysreg(ttbr0_el1, (u64)l1_low);
  write_sysreg(ttbr1_el1, (u64)l1_high);
  __asm__ volatile("dsb ish\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
  write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 1 | (1 << 2) | (1 << 12));
  isb();
  check_eq("mmu.enabled", read_sysreg(sctlr_el1) & 1, 1);
}

static u64 load64(u64 va) {
  u64 v;
  __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(va) : "memory");
  return v;
}

static void store64(u64 va, u64 v) { __asm__ volatile("str %1, [%0]" : : "r"(va), "r"(v) : "memory"); }

static void check_abort(const char *name, u64 want_esr, u64 want_far) {
  if (!exception_taken())
    fail(name, "no exception was taken");
  else if (last_exception.esr != want_esr || last_exception.far != want_far)
    fail(name, "esr=0x%lx far=0x%lx, want esr=0x%lx far=0x%lx", last_exception.esr, last_exception.far, want_esr,
         want_far);
  else
    pass(name);
}

static void high_mapping(void) {
  data_b[0] = 0x1111;
  check_eq("mmu.high_read", load64((u64)data_b - RAM_BASE + HIGH_BASE + RAM_BASE), 0x1111);
  store64((u64)&data_b[1] + HIGH_BASE, 0x2222);
  check_eq("mmu.high_write", data_b[1], 0x2222);
}

/* Called through its TTBR1 alias: returns the address it runs at. */
static NOINLINE u64 where_am_i(void) {
  u64 pc;
  __asm__ volatile("adr %0, ." : "=r"(pc));
  return pc;
}

static void high_execution(void) {
  u64 (*alias)(void) = (u64(*)(void))((u64)where_am_i + HIGH_BASE);
  u64 pc = alias();
  check_eq("mmu.high_execute", pc >> 32, 0xffffff80ul);
}

static void faults(void) {
  data_a[0] = 0xaaaa;
  check_eq("mmu.ro_read", load64(PAGE_RO), 0xaaaa);
  expect_exception();
  store64(PAGE_RO + 8, 1);
  /* Permission fault, level 3, write. */
  check_abort("mmu.ro_write_permission_fault", 0x9600004f, PAGE_RO + 8);
  expect_exception();
  load64(PAGE_NO_AF + 16);
  check_abort("mmu.access_flag_fault", 0x9600000b, PAGE_NO_AF + 16);
  l3_ram[l3_index(PAGE_NO_AF)] |= AF;
  tlbi_page(PAGE_NO_AF);
  check_eq("mmu.after_setting_af", load64(PAGE_NO_AF), 0xaaaa);
  expect_exception();
  load64(PAGE_INVALID + 0x10);
  check_abort("mmu.translation_fault_l3", 0x96000007, PAGE_INVALID + 0x10);
  expect_exception();
  load64(0x0000007000000000ul);
  check_abort("mmu.translation_fault_l1", 0x96000005, 0x0000007000000000ul);
}

static void tlb_maintenance(void) {
  data_a[8] = 1;
  data_b[8] = 2;
  check_eq("mmu.remap_before", load64(PAGE_REMAP + 64), 1);
  l3_ram[l3_index(PAGE_REMAP)] = (u64)data_b | NORMAL_PAGE;
  tlbi_page(PAGE_REMAP);
  check_eq("mmu.remap_after_tlbi_vae1", load64(PAGE_REMAP + 64), 2);
  l3_ram[l3_index(PAGE_REMAP)] = (u64)data_a | NORMAL_PAGE;
  __asm__ volatile("dsb ishst\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
  check_eq("mmu.remap_after_tlbi_vmalle1", load64(PAGE_REMAP + 64), 1);
}

static int insn_abort_hook(struct frame *f) {
  if (ESR_EC(f->esr) != 0x21) return 0;
  last_exception.esr = f->esr;
  last_exception.far = f->far;
  last_exception.elr = f->elr;
  last_exception.count++;
  f->elr = f->x[30];
  return 1;
}

static void execute_never(void) {
  /* The page holding where_am_i, mapped again with PXN: fetching from it at EL1 faults. */
  u64 code_page = (u64)where_am_i & ~0xffful;
  l3_ram[l3_index(PAGE_PXN)] = code_page | NORMAL_PAGE | PXN;
  tlbi_page(PAGE_PXN);
  u64 target = PAGE_PXN + ((u64)where_am_i & 0xfff);
  set_exception_hook(insn_abort_hook);
  last_exception.count = 0;
  __asm__ volatile("blr %0" : : "r"(target) : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
                   "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x30", "memory", "cc");
  set_exception_hook(0);
  if (last_exception.count == 1 && last_exception.esr == 0x8600000f && last_exception.far == target &&
      last_exception.elr == target)
    pass("mmu.pxn_instruction_abort");
  else
    fail("mmu.pxn_instruction_abort", "count=%u esr=0x%lx far=0x%lx elr=0x%lx, want esr=0x8600000f far=0x%lx",
         last_exception.count, last_exception.esr, last_exception.far, last_exception.elr, target);
}

static void address_translation(void) {
  u64 par;
  __asm__ volatile("at s1e1r, %1\n\tisb\n\tmrs %0, par_el1" : "=r"(par) : "r"(PAGE_REMAP + 0x123) : "memory");
  check_eq("mmu.at_s1e1r.pa", par & 0x000ffffffffff001ul, (u64)data_a);
  check_eq("mmu.at_s1e1r.attr", par >> 56, 0xff);
  __asm__ volatile("at s1e1w, %1\n\tisb\n\tmrs %0, par_el1" : "=r"(par) : "r"(PAGE_RO) : "memory");
  check_eq("mmu.at_s1e1w_ro.fault", par & 0x7f, 0x1f);
  __asm__ volatile("at s1e1r, %1\n\tisb\n\tmrs %0, par_el1" : "=r"(par) : "r"(PAGE_INVALID) : "memory");
  check_eq("mmu.at_s1e1r_invalid.fault", par & 0x7f, 0x0f);
}

static void normal_memory(void) {
  u8 *bytes = (u8 *)data_b;
  for (int i = 0; i < 256; i++) bytes[i] = 0xff;
  __asm__ volatile("dc zva, %0" : : "r"(bytes + 64 + 10) : "memory");
  check_eq("mmu.dc_zva.zeroed", data_b[8] | data_b[15], 0);
  check_eq("mmu.dc_zva.before", data_b[7], ~0ul);
  check_eq("mmu.dc_zva.after", data_b[16], ~0ul);
  for (int i = 0; i < 16; i++) bytes[i] = (u8)i;
  u64 v;
  __asm__ volatile("ldr %0, [%1, #3]" : "=r"(v) : "r"(bytes) : "memory");
  check_eq("mmu.unaligned_normal", v, 0x0a09080706050403ul);
}

void test_main(u64 dtb) {
  (void)dtb;
  build_tables();
  enable_mmu();
  high_mapping();
  high_execution();
  faults();
  tlb_maintenance();
  execute_never();
  address_translation();
  normal_memory();
}
