/* GICv2 driver (ARM IHI 0048B): one CPU, every interrupt at the same priority, group 0 signalled as IRQ. */
#include "gic.h"

#include "arch.h"
#include "board.h"

#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_ICFGR 0xc00

#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_BPR 0x08
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10

#define IRQ_PRIORITY 0xa0U
#define PRIORITY_MASK 0xf0U /* lets IRQ_PRIORITY through */
#define SPURIOUS_ID 1020U
#define MAX_IRQS 256U

static irq_handler handlers[MAX_IRQS];
static uint32_t lines;

static uint32_t dist_read(uint32_t offset) { return mmio_read32(GICD_BASE + offset); }
static void dist_write(uint32_t offset, uint32_t value) { mmio_write32(GICD_BASE + offset, value); }

/* Priority and target registers hold one byte per interrupt; word accesses work on every GICv2. */
static void dist_write_byte(uint32_t base, uint32_t id, uint8_t value) {
  uint32_t offset = base + (id & ~3U);
  uint32_t shift = (id & 3U) * 8;
  dist_write(offset, (dist_read(offset) & ~(0xffU << shift)) | ((uint32_t)value << shift));
}

void gic_init(void) {
  dist_write(GICD_CTLR, 0);
  lines = ((dist_read(GICD_TYPER) & 0x1f) + 1) * 32;
  if (lines > MAX_IRQS) lines = MAX_IRQS;
  for (uint32_t id = 0; id < lines; id += 32) {
    dist_write(GICD_ICENABLER + id / 8, 0xffffffffU);
    dist_write(GICD_ICPENDR + id / 8, 0xffffffffU);
  }
  dist_write(GICD_CTLR, 1);
  mmio_write32(GICC_BASE + GICC_PMR, PRIORITY_MASK);
  mmio_write32(GICC_BASE + GICC_BPR, 0);
  mmio_write32(GICC_BASE + GICC_CTLR, 1);
}

uint32_t gic_irq_lines(void) { return lines; }

void gic_enable_irq(uint32_t id, irq_handler handler, bool edge) {
  if (id >= lines) return;
  handlers[id] = handler;
  dist_write_byte(GICD_IPRIORITYR, id, IRQ_PRIORITY);
  if (id >= 32) {
    dist_write_byte(GICD_ITARGETSR, id, 1); /* CPU 0 */
    uint32_t offset = GICD_ICFGR + (id / 16) * 4;
    uint32_t bit = 2U << ((id % 16) * 2);
    dist_write(offset, edge ? dist_read(offset) | bit : dist_read(offset) & ~bit);
  }
  dist_write(GICD_ISENABLER + (id / 32) * 4, 1U << (id % 32));
}

void gic_disable_irq(uint32_t id) {
  if (id >= lines) return;
  dist_write(GICD_ICENABLER + (id / 32) * 4, 1U << (id % 32));
}

void irq_dispatch(void) {
  for (;;) {
    uint32_t iar = mmio_read32(GICC_BASE + GICC_IAR);
    uint32_t id = iar & 0x3ffU;
    if (id >= SPURIOUS_ID) return;
    if (id < MAX_IRQS && handlers[id]) handlers[id]();
    mmio_write32(GICC_BASE + GICC_EOIR, iar);
  }
}
