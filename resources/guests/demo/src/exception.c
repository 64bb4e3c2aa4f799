/* Reports an exception the demo never expects (a bug, or an emulator fault) and stops the CPU. */
#include <stdint.h>

#include "arch.h"
#include "printf.h"
#include "uart.h"

static const char *const vector_names[16] = {
    "sync (SP0)",   "IRQ (SP0)",    "FIQ (SP0)",    "SError (SP0)",  "sync",          "IRQ",
    "FIQ",          "SError",       "sync (EL0)",   "IRQ (EL0)",     "FIQ (EL0)",     "SError (EL0)",
    "sync (EL0/32)", "IRQ (EL0/32)", "FIQ (EL0/32)", "SError (EL0/32)",
};

void exception_report(uint64_t slot, uint64_t esr, uint64_t elr, uint64_t far) __attribute__((noreturn));

void exception_report(uint64_t slot, uint64_t esr, uint64_t elr, uint64_t far) {
  uart_use_polling();
  printf("\n*** unexpected exception: %s, ESR 0x%08lx (EC 0x%02lx), ELR 0x%lx, FAR 0x%lx\n",
         vector_names[slot & 15], esr, (esr >> 26) & 0x3f, elr, far);
  printf("*** stopped\n");
  for (;;) wfi();
}
