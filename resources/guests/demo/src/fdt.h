/* What the demo needs from the flattened device tree the boot loader passes in x0. */
#ifndef FDT_H
#define FDT_H

#include <stdbool.h>
#include <stdint.h>

#define FDT_MAX_HPET_IRQS 32U /* one per HPET interrupt output */

struct fdt_info {
  bool valid;
  uint32_t size; /* totalsize from the header */
  uint64_t ram_base;
  uint64_t ram_size;
  bool has_hpet;
  uint64_t hpet_base;
  /* The node's interrupts (<0 spi flags> entries): entry i is SPI hpet_spis[i] (a number, not a GIC ID),
   * wired to HPET output hpet_outputs[i]: N when interrupt-names calls it "outN", else i. */
  uint32_t hpet_spis[FDT_MAX_HPET_IRQS];
  uint32_t hpet_outputs[FDT_MAX_HPET_IRQS];
  uint32_t hpet_irq_count;
  uint32_t hpet_named_outputs; /* entries that interrupt-names named */
};

/* Reads /memory's first reg entry and the node compatible with "orrery,hpet". Returns false on a bad blob. */
bool fdt_parse(const void *blob, struct fdt_info *info);

#endif
