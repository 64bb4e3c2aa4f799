/* Formatted console output: a small printf over uart_putc. */
#ifndef PRINTF_H
#define PRINTF_H

#include <stdarg.h>

/*
 * Conversions: %d %u %x %s %c %p %%; flags '0' and '-', a decimal width, and the 'l' length (all integers are
 * 64-bit with 'l', 32-bit without). Newlines become CR LF.
 */
int printf(const char *format, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *format, va_list args);
void puts_raw(const char *text);

#endif
