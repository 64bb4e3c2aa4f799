/* See runtime.h. Built with -mgeneral-regs-only: the runtime never touches FP/SIMD registers. */
#include <stdarg.h>
#include "runtime.h"

#define UART_BASE 0x09000000ul
#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1u << 5)
#define UART_CR 0x30
/* UARTEN | TXE | RXE: a PL011 transmits only when enabled (QEMU's model does not check). */
#define UART_CR_ENABLE 0x301

static u32 passed;
static u32 failed;
static volatile u32 expecting;
static exception_hook hook;
volatile struct exception_record last_exception;

static inline u32 mmio_read32(u64 addr) { return *(volatile u32 *)addr; }
static inline void mmio_write32(u64 addr, u32 value) { *(volatile u32 *)addr = value; }

void putc(char c) {
  while (mmio_read32(UART_BASE + UART_FR) & UART_FR_TXFF) {
  }
  mmio_write32(UART_BASE + UART_DR, (u8)c);
}

void puts(const char *s) {
  while (*s) putc(*s++);
}

static void put_unsigned(u64 value, u32 base, int width, char pad) {
  char digits[24];
  int n = 0;
  do {
    u32 d = value % base;
    digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    value /= base;
  } while (value != 0);
  while (width-- > n) putc(pad);
  while (n > 0) putc(digits[--n]);
}

/* %[0][width][l|ll](d|u|x|s|c|p) and %%. */
static void vprintf(const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      putc(*fmt);
      continue;
    }
    fmt++;
    char pad = ' ';
    int width = 0;
    int is_long = 0;
    if (*fmt == '0') pad = '0';
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l') {
      is_long = 1;
      fmt++;
    }
    switch (*fmt) {
      case 'd': {
        i64 v = is_long ? va_arg(ap, i64) : va_arg(ap, i32);
        if (v < 0) {
          putc('-');
          v = -v;
        }
        put_unsigned((u64)v, 10, width, pad);
        break;
      }
      case 'u':
        put_unsigned(is_long ? va_arg(ap, u64) : va_arg(ap, u32), 10, width, pad);
        break;
      case 'x':
        put_unsigned(is_long ? va_arg(ap, u64) : va_arg(ap, u32), 16, width, pad);
        break;
      case 'p':
        puts("0x");
        put_unsigned((u64)va_arg(ap, void *), 16, 16, '0');
        break;
      case 's':
        puts(va_arg(ap, const char *));
        break;
      case 'c':
        putc((char)va_arg(ap, int));
        break;
      case '%':
        putc('%');
        break;
      default:
        putc('?');
        break;
    }
  }
}

void printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
}

void pass(const char *name) {
  passed++;
  puts("PASS ");
  puts(name);
  putc('\n');
}

void fail(const char *name, const char *fmt, ...) {
  va_list ap;
  failed++;
  printf("FAIL %s: ", name);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putc('\n');
}

void check_eq(const char *name, u64 got, u64 want) {
  if (got == want)
    pass(name);
  else
    fail(name, "got 0x%lx, want 0x%lx", got, want);
}

void check_true(const char *name, int ok) {
  if (ok)
    pass(name);
  else
    fail(name, "condition is false");
}

void info(const char *name, u64 value) { printf("INFO %s=0x%016lx\n", name, value); }

void *memset(void *dst, int c, unsigned long n) {
  u8 *d = dst;
  while (n--) *d++ = (u8)c;
  return dst;
}

void *memcpy(void *dst, const void *src, unsigned long n) {
  u8 *d = dst;
  const u8 *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

i64 psci_call(u64 fn, u64 a1, u64 a2, u64 a3) {
  register u64 x0 __asm__("x0") = fn;
  register u64 x1 __asm__("x1") = a1;
  register u64 x2 __asm__("x2") = a2;
  register u64 x3 __asm__("x3") = a3;
  __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
  return (i64)x0;
}

static void system_off(void) {
  psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
  for (;;) __asm__ volatile("wfe");
}

static void finish(void) {
  printf("DONE pass=%u fail=%u\n", passed, failed);
  system_off();
}

void expect_exception(void) {
  last_exception.count = 0;
  expecting = 1;
}

int exception_taken(void) {
  expecting = 0;
  return last_exception.count != 0;
}

void set_exception_hook(exception_hook h) { hook = h; }

static const char *const kind_names[16] = {
    "EL1t sync", "EL1t IRQ",  "EL1t FIQ",  "EL1t SError",  "EL1h sync",  "EL1h IRQ",  "EL1h FIQ",  "EL1h SError",
    "EL0 sync",  "EL0 IRQ",   "EL0 FIQ",   "EL0 SError",   "AArch32 sync", "AArch32 IRQ", "AArch32 FIQ", "AArch32 SError"};

/* SVC, HVC and SMC return to the next instruction already; everything else is skipped here. */
static int returns_past_insn(u64 esr) {
  u64 ec = ESR_EC(esr);
  return ec == 0x15 || ec == 0x16 || ec == 0x17;
}

void runtime_exception(struct frame *f) {
  u64 ec = ESR_EC(f->esr);
  if (f->kind == KIND_SYNC_LOWER && ec == 0x15 && (f->esr & 0xffff) == SVC_RETURN_TO_EL1) {
    extern char el0_returned[];
    f->elr = (u64)el0_returned;
    f->spsr = 0x3c5; /* EL1h, DAIF masked */
    return;
  }
  if (hook != 0 && hook(f)) return;
  if (expecting && (f->kind == KIND_SYNC_EL1H || f->kind == KIND_SYNC_LOWER)) {
    last_exception.esr = f->esr;
    last_exception.elr = f->elr;
    last_exception.far = f->far;
    last_exception.spsr = f->spsr;
    last_exception.kind = f->kind;
    last_exception.count++;
    expecting = 0;
    if (!returns_past_insn(f->esr)) f->elr += 4;
    return;
  }
  fail("unexpected_exception", "%s esr=0x%lx elr=0x%lx far=0x%lx spsr=0x%lx", kind_names[f->kind & 15], f->esr,
       f->elr, f->far, f->spsr);
  finish();
}

void runtime_main(u64 dtb) {
  mmio_write32(UART_BASE + UART_CR, UART_CR_ENABLE);
  test_main(dtb);
  finish();
}

/* Programs that start CPU 1 override this. */
__attribute__((weak)) void secondary_main(u64 context) {
  (void)context;
  fail("secondary_main", "CPU 1 was started but the program does not define secondary_main");
  for (;;) __asm__ volatile("wfe");
}
