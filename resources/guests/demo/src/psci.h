/* PSCI calls through HVC (the conduit QEMU's and Orrery's virt boards give an EL1 guest). */
#ifndef PSCI_H
#define PSCI_H

#include <stdint.h>

#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U

/* Returns only if the call failed: the PSCI error code. */
int64_t psci_call(uint32_t function);

#endif
