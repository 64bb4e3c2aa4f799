/* The shell's commands: a table of name, help text and handler, and the handlers that are not self-tests. */
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "board.h"
#include "printf.h"
#include "psci.h"
#include "selftest.h"
#include "shell.h"
#include "system.h"
#include "timer.h"
#include "uart.h"

#define MEMTEST_DEFAULT_MIB 2U
#define MEMTEST_MAX_MIB 1024U
#define HELP_COLUMN 18U
#define FLUSH_TIMEOUT_MS 500U
/* A shell line holds at most 127 characters, so any note argument fits. */
#define NOTE_CAPACITY 128U

struct command {
  const char *name;
  const char *usage;
  const char *help;
  void (*run)(const char *args);
};

static void cmd_help(const char *args);

bool check(bool ok, const char *what) {
  printf("  %s %s\n", ok ? "PASS" : "FAIL", what);
  return ok;
}

static void print_seconds(uint64_t count, uint64_t hz) {
  uint64_t hundredths = count * 100 / hz;
  printf("%lu.%02lu s", hundredths / 100, hundredths % 100);
}

static void cmd_uptime(const char *args) {
  (void)args;
  printf("uptime: ");
  print_seconds(tick_count(), TICK_HZ);
  printf(" (tick), ");
  print_seconds(uptime_counter(), uptime_counter_hz());
  printf(" (%s)\n", uptime_counter_name());
}

static void cmd_echo(const char *args) { printf("%s\n", args); }

/* A piece of guest memory that a snapshot captures: what `note` shows is what the last `note TEXT` stored. */
static char note_text[NOTE_CAPACITY];

static void cmd_note(const char *args) {
  if (*args == '\0') {
    printf("note: %s\n", note_text[0] != '\0' ? note_text : "(empty)");
    return;
  }
  unsigned length = 0;
  for (; args[length] != '\0' && length < NOTE_CAPACITY - 1; length++) note_text[length] = args[length];
  note_text[length] = '\0';
}

static void cmd_ticks(const char *args) {
  (void)args;
  printf("ticks: %lu\n", tick_count());
}
static void cmd_hpet(const char *args) {
  (void)args;
  hpet_selftest();
}
static void cmd_uart(const char *args) {
  (void)args;
  uart_selftest();
}

static bool parse_decimal(const char *text, uint64_t *value) {
  *value = 0;
  if (*text == '\0') return false;
  for (; *text >= '0' && *text <= '9'; text++) {
    *value = *value * 10 + (uint64_t)(*text - '0');
    if (*value > MEMTEST_MAX_MIB) return false;
  }
  while (*text == ' ') text++;
  return *text == '\0';
}

static void cmd_memtest(const char *args) {
  uint64_t mebibytes = MEMTEST_DEFAULT_MIB;
  if (*args != '\0' && (!parse_decimal(args, &mebibytes) || mebibytes == 0)) {
    printf("usage: memtest [MiB], 1 to %u\n", MEMTEST_MAX_MIB);
    return;
  }
  memtest(mebibytes);
}

static void cmd_info(const char *args) {
  (void)args;
  printf("MIDR_EL1   0x%08lx\n", read_sysreg(midr_el1));
  printf("MPIDR_EL1  0x%08lx\n", read_sysreg(mpidr_el1));
  printf("CurrentEL  EL%lu\n", (read_sysreg(currentel) >> 2) & 3);
  printf("SCTLR_EL1  0x%08lx\n", read_sysreg(sctlr_el1));
  printf("RAM        %lu MiB at 0x%08lx", system_info.ram_size >> 20, RAM_BASE);
  if (system_info.ram_mapped != system_info.ram_size) printf(" (%lu MiB mapped)", system_info.ram_mapped >> 20);
  printf("\nDTB        0x%08lx, %u bytes%s\n", (uint64_t)system_info.dtb_address, system_info.fdt.size,
         system_info.fdt.valid ? "" : " (not a valid device tree)");
  printf("tick       %u Hz from the ", TICK_HZ);
  tick_print_source();
  printf("\ncounter    %s, %lu Hz\n", uptime_counter_name(), uptime_counter_hz());
}

static void power(uint32_t function, const char *what) {
  printf("%s\n", what);
  uart_flush(FLUSH_TIMEOUT_MS);
  int64_t error = psci_call(function);
  printf("PSCI call 0x%08x failed: %ld\n", function, error);
}

static void cmd_poweroff(const char *args) {
  (void)args;
  power(PSCI_SYSTEM_OFF, "powering off");
}
static void cmd_reset(const char *args) {
  (void)args;
  power(PSCI_SYSTEM_RESET, "resetting");
}

static const struct command commands[] = {
    {"help", "", "list the commands", cmd_help},
    {"info", "", "CPU identification, RAM, device tree and timer", cmd_info},
    {"uptime", "", "time since boot, from the tick and from the counter", cmd_uptime},
    {"ticks", "", "number of timer ticks since boot", cmd_ticks},
    {"echo", " ARGS", "print ARGS", cmd_echo},
    {"note", " [TEXT]", "remember TEXT, or print what was remembered", cmd_note},
    {"uart", "", "PL011 self-test (loopback, FIFO flags, interrupt status)", cmd_uart},
    {"hpet", "", "HPET self-test (counter, one-shot comparator interrupt)", cmd_hpet},
    {"memtest", " [MiB]", "walking ones and address-in-address over free RAM (default 2 MiB)", cmd_memtest},
    {"poweroff", "", "PSCI SYSTEM_OFF", cmd_poweroff},
    {"reset", "", "PSCI SYSTEM_RESET", cmd_reset},
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void cmd_help(const char *args) {
  (void)args;
  for (unsigned i = 0; i < COMMAND_COUNT; i++) {
    unsigned width = (unsigned)printf("  %s%s", commands[i].name, commands[i].usage);
    while (width++ < HELP_COLUMN) uart_putc(' ');
    printf("%s\n", commands[i].help);
  }
}

static bool same_word(const char *a, const char *b) {
  while (*a != '\0' && *a == *b) a++, b++;
  return *a == *b;
}

void run_command(char *line) {
  while (*line == ' ') line++;
  if (*line == '\0') return;
  char *args = line;
  while (*args != '\0' && *args != ' ') args++;
  if (*args != '\0') *args++ = '\0';
  while (*args == ' ') args++;
  for (unsigned i = 0; i < COMMAND_COUNT; i++) {
    if (same_word(commands[i].name, line)) {
      commands[i].run(args);
      return;
    }
  }
  printf("unknown command: %s (try 'help')\n", line);
}
