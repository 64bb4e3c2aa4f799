/* GICv2: distributor and CPU interface setup, per-interrupt handlers, IRQ dispatch. */
#ifndef GIC_H
#define GIC_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*irq_handler)(void);

#define GIC_LEVEL false
#define GIC_EDGE true

/* Every interrupt disabled, SPIs routed to CPU 0, both GIC parts enabled. */
void gic_init(void);
/* Installs the handler, sets priority, trigger (SPIs only) and target, then enables the interrupt. */
void gic_enable_irq(uint32_t id, irq_handler handler, bool edge);
void gic_disable_irq(uint32_t id);
uint32_t gic_irq_lines(void);
/* Called by the IRQ vector: acknowledges, dispatches and ends every pending interrupt. */
void irq_dispatch(void);

#endif
