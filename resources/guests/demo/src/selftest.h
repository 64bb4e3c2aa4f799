/* The device self-tests behind the shell's uart, hpet and memtest commands. Each prints PASS/FAIL lines. */
#ifndef SELFTEST_H
#define SELFTEST_H

#include <stdbool.h>
#include <stdint.h>

/* Prints "  PASS what" or "  FAIL what" and returns ok. */
bool check(bool ok, const char *what);

bool uart_selftest(void);
bool hpet_selftest(void);
bool memtest(uint64_t mebibytes);

#endif
