/*
 * RAM test over free memory (above the program, clear of the device tree): walking ones on the first 4 KiB
 * (every data bit alone, at every word), then address-in-address and its inverse over the whole region
 * (catches address lines that are stuck or shorted). Output names no timing, so it is the same every run.
 */
#include <stdbool.h>
#include <stdint.h>

#include "board.h"
#include "printf.h"
#include "selftest.h"
#include "system.h"

#define MiB (1UL << 20)
#define WALK_BYTES 4096U

static uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }

/* The lowest MiB-aligned region of `size` bytes above the program that does not overlap the device tree. */
static uint64_t free_region(uint64_t size) {
  uint64_t start = align_up((uintptr_t)__image_end, MiB);
  uint64_t dtb = system_info.dtb_address, dtb_end = dtb + system_info.fdt.size;
  if (system_info.fdt.valid && start < dtb_end && dtb < start + size) start = align_up(dtb_end, MiB);
  return start + size <= RAM_BASE + system_info.ram_mapped ? start : 0;
}

static bool report_mismatch(volatile uint64_t *at, uint64_t wrote, uint64_t read) {
  printf("  at 0x%lx: wrote 0x%016lx, read 0x%016lx\n", (uint64_t)(uintptr_t)at, wrote, read);
  return false;
}

static bool walking_ones(volatile uint64_t *base) {
  for (uint32_t i = 0; i < WALK_BYTES / 8; i++) {
    for (uint32_t bit = 0; bit < 64; bit++) {
      uint64_t pattern = 1ULL << bit;
      base[i] = pattern;
      uint64_t read = base[i];
      if (read != pattern) return report_mismatch(&base[i], pattern, read);
    }
  }
  return true;
}

static bool address_in_address(volatile uint64_t *base, uint64_t words, uint64_t invert) {
  for (uint64_t i = 0; i < words; i++) base[i] = (uint64_t)(uintptr_t)&base[i] ^ invert;
  for (uint64_t i = 0; i < words; i++) {
    uint64_t expected = (uint64_t)(uintptr_t)&base[i] ^ invert;
    uint64_t read = base[i];
    if (read != expected) return report_mismatch(&base[i], expected, read);
  }
  return true;
}

bool memtest(uint64_t mebibytes) {
  uint64_t size = mebibytes * MiB;
  uint64_t start = mebibytes == 0 ? 0 : free_region(size);
  if (start == 0) {
    printf("memtest: no %lu MiB region of free RAM (RAM %lu MiB)\n", mebibytes, system_info.ram_mapped / MiB);
    return false;
  }
  printf("memtest: %lu MiB at 0x%08lx-0x%08lx\n", mebibytes, start, start + size);
  volatile uint64_t *base = (volatile uint64_t *)(uintptr_t)start;
  bool ok = check(walking_ones(base), "walking ones (64 data bits, first 4 KiB)");
  ok &= check(address_in_address(base, size / 8, 0), "address in address");
  ok &= check(address_in_address(base, size / 8, ~0ULL), "inverted address in address");
  printf("memtest: %s\n", ok ? "PASS" : "FAIL");
  return ok;
}
