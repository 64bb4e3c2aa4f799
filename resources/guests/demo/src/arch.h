/* System registers, barriers, interrupt masking and MMIO accessors. */
#ifndef ARCH_H
#define ARCH_H

#include <stdint.h>

#define read_sysreg(reg)                                         \
  ({                                                             \
    uint64_t value_;                                             \
    __asm__ volatile("mrs %0, " #reg : "=r"(value_)::"memory"); \
    value_;                                                      \
  })
#define write_sysreg(reg, value) __asm__ volatile("msr " #reg ", %0" ::"r"((uint64_t)(value)) : "memory")

#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(option) __asm__ volatile("dsb " #option ::: "memory")
#define wfi() __asm__ volatile("wfi" ::: "memory")

static inline uint32_t mmio_read32(uintptr_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write32(uintptr_t addr, uint32_t value) { *(volatile uint32_t *)addr = value; }
static inline uint64_t mmio_read64(uintptr_t addr) { return *(volatile uint64_t *)addr; }
static inline void mmio_write64(uintptr_t addr, uint64_t value) { *(volatile uint64_t *)addr = value; }

#define DAIF_IRQ_MASKED (1U << 7)

/* Mask IRQs and return the previous DAIF so that nested callers restore exactly what they found. */
static inline uint64_t irq_save(void) {
  uint64_t daif = read_sysreg(daif);
  __asm__ volatile("msr daifset, #2" ::: "memory");
  return daif;
}
static inline void irq_restore(uint64_t daif) { write_sysreg(daif, daif); }
static inline void irq_unmask(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }

/*
 * Sleep until an interrupt is pending, then restore DAIF so that it is taken. Call with IRQs masked by
 * irq_save() after finding nothing to do: WFI wakes on a pending interrupt even while it is masked, so an
 * interrupt that arrives between the check and the WFI is not lost.
 */
static inline void sleep_then_restore(uint64_t daif) {
  wfi();
  irq_restore(daif);
  isb();
}

#endif
