/*
 * The freestanding runtime of the bare-metal test programs: PL011 output, a small printf, check helpers
 * that print `PASS name` / `FAIL name: details`, expected-exception handling, PSCI calls, system registers.
 *
 * A program defines `void test_main(unsigned long dtb)`; the runtime prints `DONE pass=N fail=M` after it
 * returns and powers the machine off (PSCI SYSTEM_OFF).
 */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#include "frame.h"

typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef int i32;
typedef unsigned short u16;
typedef unsigned char u8;

#define NOINLINE __attribute__((noinline))

#define read_sysreg(name)                                                                                    \
  ({                                                                                                         \
    u64 v_;                                                                                                  \
    __asm__ volatile("mrs %0, " #name : "=r"(v_));                                                           \
    v_;                                                                                                      \
  })
#define write_sysreg(name, value) __asm__ volatile("msr " #name ", %0" ::"r"((u64)(value)) : "memory")
#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb_sy() __asm__ volatile("dsb sy" ::: "memory")

/* Output (polled PL011 at 0x0900_0000). */
void putc(char c);
void puts(const char *s);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Results. Names are `program.check`, no spaces. */
void pass(const char *name);
void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void check_eq(const char *name, u64 got, u64 want);
void check_true(const char *name, int ok);
/* A value the test compares per machine (e.g. ID registers that differ between QEMU and Orrery). */
void info(const char *name, u64 value);

/* Exceptions. Frame as built by the vectors. */
struct frame {
  u64 x[31];
  u64 elr, spsr, esr, far;
  u64 kind;
};
_Static_assert(sizeof(struct frame) == FRAME_SIZE, "frame layout");

/* Vector kinds: group * 4 + type (group 0 EL1t, 1 EL1h, 2 lower AArch64, 3 lower AArch32; type 0 sync, 1 IRQ, 2 FIQ, 3 SError). */
#define KIND_SYNC_EL1H 4
#define KIND_IRQ_EL1H 5
#define KIND_SYNC_LOWER 8
#define KIND_IRQ_LOWER 9

/* What the last expected exception looked like. */
struct exception_record {
  u64 esr, elr, far, spsr, kind;
  u32 count;
};
extern volatile struct exception_record last_exception;

/*
 * The next synchronous exception is expected: it is recorded in last_exception and execution resumes after
 * the faulting instruction (SVC/HVC already return there).
 */
void expect_exception(void);
/* True when an expected exception was taken since expect_exception(); clears the expectation. */
int exception_taken(void);

/* A hook sees every exception first; returning 1 means handled (it may edit the frame). */
typedef int (*exception_hook)(struct frame *f);
void set_exception_hook(exception_hook hook);

/* Runs fn(arg) at EL0 on the given stack; returns fn's result. */
u64 run_at_el0(u64 (*fn)(u64), u64 arg, u64 sp_el0);

/* PSCI over HVC (SMC calling convention). */
i64 psci_call(u64 fn, u64 a1, u64 a2, u64 a3);
#define PSCI_VERSION 0x84000000ul
#define PSCI_CPU_OFF 0x84000002ul
#define PSCI_CPU_ON 0xc4000003ul
#define PSCI_AFFINITY_INFO 0xc4000004ul
#define PSCI_SYSTEM_OFF 0x84000008ul
#define PSCI_FEATURES 0x8400000aul

/* Entry of a CPU started with PSCI CPU_ON (start.S); context = that CPU's stack top. */
void secondary_entry(void);
/* Programs that start CPU 1 define it. */
void secondary_main(u64 context);

void *memset(void *dst, int c, unsigned long n);
void *memcpy(void *dst, const void *src, unsigned long n);

void test_main(u64 dtb);

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)

#endif
