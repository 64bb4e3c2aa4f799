/* Boot sequence: console, device tree, MMU, GIC, tick, interrupts on, banner, shell. */
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "board.h"
#include "fdt.h"
#include "gic.h"
#include "hpet.h"
#include "mmu.h"
#include "printf.h"
#include "shell.h"
#include "system.h"
#include "timer.h"
#include "uart.h"

#define FALLBACK_RAM_SIZE (64ULL << 20) /* QEMU's and Orrery's smallest useful virt RAM */

struct system_info system_info;

void main(uintptr_t dtb) __attribute__((noreturn));

/*
 * Linux-style boots pass the DTB in x0; QEMU starts an ELF with x0 = 0 and the DTB at the base of RAM.
 * The DTB is read before the MMU is on, so only addresses in RAM are trusted (anything else may abort).
 */
static bool try_device_tree(uintptr_t dtb) {
  bool in_ram = dtb >= RAM_BASE && dtb < RAM_BASE + MMU_RAM_LIMIT;
  if (!in_ram || !fdt_parse((const void *)dtb, &system_info.fdt)) return false;
  system_info.dtb_address = dtb;
  return true;
}

static void read_device_tree(uintptr_t x0) {
  system_info.dtb_address = x0;
  bool ok = try_device_tree(x0) || try_device_tree(RAM_BASE);
  bool ram_ok = ok && system_info.fdt.ram_base == RAM_BASE && system_info.fdt.ram_size != 0;
  system_info.ram_size = ram_ok ? system_info.fdt.ram_size : FALLBACK_RAM_SIZE;
}

static void print_banner(void) {
  printf("Orrery demo guest 1.0 (AArch64, MMU on, GICv2, PL011 FIFO+IRQ, %s tick %u Hz)\n",
         tick_uses_hpet() ? "HPET" : "generic timer", TICK_HZ);
  if (!system_info.fdt.valid)
    printf("warning: no device tree at x0 = 0x%lx; assuming %lu MiB of RAM\n", (uint64_t)system_info.dtb_address,
           system_info.ram_size >> 20);
  printf("timer: ");
  if (tick_uses_hpet()) printf("HPET at 0x%08lx, tick on ", (uint64_t)hpet_base());
  else if (system_info.fdt.has_hpet) printf("the device tree's HPET is not usable; tick on the ");
  else printf("no HPET in the device tree; tick on the ");
  tick_print_source();
  printf("\n");
  printf("Type 'help' for commands.\n");
}

void main(uintptr_t dtb) {
  uart_init();
  read_device_tree(dtb);
  system_info.ram_mapped = mmu_enable(system_info.ram_size);
  gic_init();
  hpet_probe(&system_info.fdt);
  tick_start();
  uart_start_irq();
  irq_unmask();
  print_banner();
  shell_run();
}
