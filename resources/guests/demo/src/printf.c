/* A small printf: enough for registers, sizes and messages, nothing that needs FP or a heap. */
#include "printf.h"

#include <stdbool.h>
#include <stdint.h>

#include "uart.h"

struct spec {
  bool zero_pad;
  bool left_align;
  bool is_long;
  unsigned width;
};

static int emit(char c) {
  if (c == '\n') uart_putc('\r');
  uart_putc(c);
  return 1;
}

static int pad(unsigned count, char fill) {
  for (unsigned i = 0; i < count; i++) emit(fill);
  return (int)count;
}

static int emit_field(const char *text, unsigned length, const struct spec *spec, bool negative) {
  unsigned total = length + (negative ? 1 : 0);
  unsigned padding = spec->width > total ? spec->width - total : 0;
  int written = 0;
  if (!spec->left_align && !spec->zero_pad) written += pad(padding, ' ');
  if (negative) written += emit('-');
  if (!spec->left_align && spec->zero_pad) written += pad(padding, '0');
  for (unsigned i = 0; i < length; i++) written += emit(text[i]);
  if (spec->left_align) written += pad(padding, ' ');
  return written;
}

static int emit_number(uint64_t value, unsigned base, bool negative, const struct spec *spec) {
  char digits[20];
  unsigned length = 0;
  do {
    unsigned digit = (unsigned)(value % base);
    digits[sizeof digits - 1 - length++] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
    value /= base;
  } while (value != 0);
  return emit_field(&digits[sizeof digits - length], length, spec, negative);
}

static const char *parse_spec(const char *p, struct spec *spec) {
  *spec = (struct spec){0};
  for (;; p++) {
    if (*p == '0') spec->zero_pad = true;
    else if (*p == '-') spec->left_align = true;
    else break;
  }
  while (*p >= '0' && *p <= '9') spec->width = spec->width * 10 + (unsigned)(*p++ - '0');
  while (*p == 'l') {
    spec->is_long = true;
    p++;
  }
  return p;
}

static int convert(char conversion, const struct spec *spec, va_list *args) {
  switch (conversion) {
    case 'd': {
      int64_t value = spec->is_long ? va_arg(*args, int64_t) : va_arg(*args, int);
      uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
      return emit_number(magnitude, 10, value < 0, spec);
    }
    case 'u':
    case 'x': {
      uint64_t value = spec->is_long ? va_arg(*args, uint64_t) : va_arg(*args, unsigned);
      return emit_number(value, conversion == 'x' ? 16 : 10, false, spec);
    }
    case 'p': {
      struct spec hex = {.zero_pad = true, .width = 16};
      return emit('0') + emit('x') + emit_number((uintptr_t)va_arg(*args, void *), 16, false, &hex);
    }
    case 's': {
      const char *text = va_arg(*args, const char *);
      unsigned length = 0;
      while (text[length] != '\0') length++;
      struct spec plain = *spec;
      plain.zero_pad = false;
      return emit_field(text, length, &plain, false);
    }
    case 'c':
      return emit((char)va_arg(*args, int));
    case '%':
      return emit('%');
    default:
      return emit('%') + (conversion ? emit(conversion) : 0);
  }
}

int vprintf(const char *format, va_list args) {
  int written = 0;
  va_list copy;
  va_copy(copy, args);
  for (const char *p = format; *p != '\0'; p++) {
    if (*p != '%') {
      written += emit(*p);
      continue;
    }
    struct spec spec;
    p = parse_spec(p + 1, &spec);
    if (*p == '\0') break;
    written += convert(*p, &spec, &copy);
  }
  va_end(copy);
  return written;
}

int printf(const char *format, ...) {
  va_list args;
  va_start(args, format);
  int written = vprintf(format, args);
  va_end(args);
  return written;
}

void puts_raw(const char *text) {
  while (*text != '\0') uart_putc(*text++);
}
