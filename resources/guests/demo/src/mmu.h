/* Identity-mapped translation for EL1 and the MMU/cache switch. */
#ifndef MMU_H
#define MMU_H

#include <stdint.h>

/* Largest RAM the 32-bit VA space maps (RAM starts at 1 GiB). */
#define MMU_RAM_LIMIT (3ULL << 30)

/* Maps RAM [RAM_BASE, RAM_BASE + ram_size) normal write-back and the device window device-nGnRE, then turns
 * the MMU and both caches on. Returns the RAM size actually mapped. */
uint64_t mmu_enable(uint64_t ram_size);

#endif
