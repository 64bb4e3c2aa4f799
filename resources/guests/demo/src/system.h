/* Facts gathered at boot that the commands report. */
#ifndef SYSTEM_H
#define SYSTEM_H

#include <stdint.h>

#include "fdt.h"

struct system_info {
  uintptr_t dtb_address;
  struct fdt_info fdt;
  uint64_t ram_size;   /* from the device tree, or the fallback when it has none */
  uint64_t ram_mapped; /* what the page tables map (RAM above 4 GB is left out) */
};

extern struct system_info system_info;

/* First and last byte (exclusive) of the loaded program, its stack and page tables (from the linker). */
extern char __image_start[];
extern char __image_end[];

#endif
