/*
 * A small flattened-device-tree walker (devicetree specification v0.4, chapter 5): it visits the structure
 * block's tokens once, tracking depth, and picks out the few properties the demo needs. Multi-byte values are
 * big-endian and read byte by byte, so it works with the MMU (and alignment checking) in any state.
 */
#include "fdt.h"

#include <stddef.h>

#define FDT_MAGIC 0xd00dfeedU
#define FDT_BEGIN_NODE 1U
#define FDT_END_NODE 2U
#define FDT_PROP 3U
#define FDT_NOP 4U
#define FDT_END 9U
#define FDT_MAX_SIZE (2U << 20)

struct walker {
  const uint8_t *blob;
  uint32_t struct_offset, struct_end, strings_offset, strings_size;
  uint32_t address_cells, size_cells; /* the root's, which apply to its children's reg */
};

/* Per depth-1 node: which kind of node the walker is inside. */
enum node_kind { NODE_OTHER, NODE_MEMORY, NODE_HPET };

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static bool str_equal(const char *a, const char *b) {
  while (*a != '\0' && *a == *b) a++, b++;
  return *a == *b;
}

static bool str_starts(const char *text, const char *prefix) {
  while (*prefix != '\0')
    if (*text++ != *prefix++) return false;
  return true;
}

static uint32_t str_length(const char *text, uint32_t limit) {
  uint32_t n = 0;
  while (n < limit && text[n] != '\0') n++;
  return n;
}

/* A stringlist property (e.g. compatible) contains `wanted` as one of its strings. */
static bool stringlist_has(const uint8_t *value, uint32_t length, const char *wanted) {
  for (uint32_t at = 0; at < length;) {
    const char *entry = (const char *)value + at;
    uint32_t n = str_length(entry, length - at);
    if (at + n < length && str_equal(entry, wanted)) return true;
    at += n + 1;
  }
  return false;
}

/* Reads `cells` big-endian cells as one number (1 or 2 cells fit in 64 bits). */
static uint64_t read_cells(const uint8_t *p, uint32_t cells) {
  uint64_t value = 0;
  for (uint32_t i = 0; i < cells; i++) value = (value << 32) | be32(p + 4 * i);
  return value;
}

/* "outN" -> N; anything else -> -1. */
static int output_number(const char *name, uint32_t length) {
  if (length < 4 || !str_starts(name, "out")) return -1;
  int number = 0;
  for (uint32_t i = 3; i < length; i++) {
    if (name[i] < '0' || name[i] > '9' || number > 31) return -1;
    number = number * 10 + (name[i] - '0');
  }
  return number <= 31 ? number : -1;
}

static void take_hpet_interrupt_names(const uint8_t *value, uint32_t length, struct fdt_info *info) {
  uint32_t index = 0;
  for (uint32_t at = 0; at < length && index < FDT_MAX_HPET_IRQS; index++) {
    const char *name = (const char *)value + at;
    uint32_t n = str_length(name, length - at);
    int output = output_number(name, n);
    if (output < 0) break;
    info->hpet_outputs[index] = (uint32_t)output;
    at += n + 1;
  }
  info->hpet_named_outputs = index;
}

static void take_hpet_interrupts(const uint8_t *value, uint32_t length, struct fdt_info *info) {
  info->hpet_irq_count = 0;
  for (uint32_t at = 0; at + 12 <= length && info->hpet_irq_count < FDT_MAX_HPET_IRQS; at += 12) {
    if (be32(value + at) != 0) continue; /* only SPIs make sense for a memory-mapped device */
    info->hpet_spis[info->hpet_irq_count++] = be32(value + at + 4);
  }
}

static void take_property(struct walker *w, uint32_t depth, enum node_kind kind, const char *name,
                          const uint8_t *value, uint32_t length, struct fdt_info *info) {
  if (depth == 1) {
    if (str_equal(name, "#address-cells") && length == 4) w->address_cells = be32(value);
    if (str_equal(name, "#size-cells") && length == 4) w->size_cells = be32(value);
    return;
  }
  if (depth != 2) return;
  uint32_t reg_bytes = 4 * (w->address_cells + w->size_cells);
  bool reg_ok = str_equal(name, "reg") && w->address_cells <= 2 && w->size_cells <= 2 && length >= reg_bytes;
  if (kind == NODE_MEMORY && reg_ok && info->ram_size == 0) {
    info->ram_base = read_cells(value, w->address_cells);
    info->ram_size = read_cells(value + 4 * w->address_cells, w->size_cells);
  } else if (kind == NODE_HPET && reg_ok) {
    info->hpet_base = read_cells(value, w->address_cells);
  } else if (kind == NODE_HPET && str_equal(name, "interrupts")) {
    take_hpet_interrupts(value, length, info);
  } else if (kind == NODE_HPET && str_equal(name, "interrupt-names")) {
    take_hpet_interrupt_names(value, length, info);
  }
}

/* A depth-1 node is an HPET if its compatible lists "orrery,hpet"; compatible comes before use, so look ahead. */
static enum node_kind classify_node(const struct walker *w, const char *name, uint32_t offset) {
  if (str_starts(name, "memory")) return NODE_MEMORY;
  while (offset + 12 <= w->struct_end && be32(w->blob + offset) == FDT_PROP) {
    uint32_t length = be32(w->blob + offset + 4);
    uint32_t name_offset = be32(w->blob + offset + 8);
    const uint8_t *value = w->blob + offset + 12;
    if (offset + 12 + length > w->struct_end || name_offset >= w->strings_size) break;
    const char *prop = (const char *)w->blob + w->strings_offset + name_offset;
    if (str_equal(prop, "compatible")) return stringlist_has(value, length, "orrery,hpet") ? NODE_HPET : NODE_OTHER;
    offset += 12 + ((length + 3) & ~3U);
  }
  return NODE_OTHER;
}

static bool walk(struct walker *w, struct fdt_info *info) {
  uint32_t offset = w->struct_offset;
  uint32_t depth = 0;
  enum node_kind kind = NODE_OTHER;
  while (offset + 4 <= w->struct_end) {
    uint32_t token = be32(w->blob + offset);
    offset += 4;
    if (token == FDT_BEGIN_NODE) {
      const char *name = (const char *)w->blob + offset;
      uint32_t n = str_length(name, w->struct_end - offset);
      offset += (n + 4) & ~3U;
      depth++;
      if (depth == 2) kind = classify_node(w, name, offset);
    } else if (token == FDT_END_NODE) {
      if (depth == 0) return false;
      depth--;
      if (depth == 1) kind = NODE_OTHER;
    } else if (token == FDT_PROP) {
      if (offset + 8 > w->struct_end) return false;
      uint32_t length = be32(w->blob + offset);
      uint32_t name_offset = be32(w->blob + offset + 4);
      if (offset + 8 + length > w->struct_end || name_offset >= w->strings_size) return false;
      const char *name = (const char *)w->blob + w->strings_offset + name_offset;
      take_property(w, depth, kind, name, w->blob + offset + 8, length, info);
      offset += 8 + ((length + 3) & ~3U);
    } else if (token == FDT_END) {
      return depth == 0;
    } else if (token != FDT_NOP) {
      return false;
    }
  }
  return false;
}

bool fdt_parse(const void *blob, struct fdt_info *info) {
  *info = (struct fdt_info){0};
  const uint8_t *p = blob;
  if (p == NULL || ((uintptr_t)p & 7) != 0 || be32(p) != FDT_MAGIC) return false;
  uint32_t total = be32(p + 4);
  struct walker w = {
      .blob = p,
      .struct_offset = be32(p + 8),
      .strings_offset = be32(p + 12),
      .strings_size = be32(p + 32),
      .address_cells = 2,
      .size_cells = 1,
  };
  w.struct_end = w.struct_offset + be32(p + 36);
  if (total > FDT_MAX_SIZE || w.struct_end > total || w.strings_offset + w.strings_size > total) return false;
  if (be32(p + 20) < 17) return false; /* version 17 carries size_dt_struct */
  info->size = total;
  info->valid = walk(&w, info);
  info->has_hpet = info->valid && info->hpet_base != 0;
  /* Unnamed (or not all named): the entries are outputs 0, 1, 2... in order. */
  if (info->hpet_named_outputs < info->hpet_irq_count)
    for (uint32_t i = 0; i < info->hpet_irq_count; i++) info->hpet_outputs[i] = i;
  return info->valid;
}
