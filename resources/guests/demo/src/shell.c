/*
 * Line editing: printable characters are echoed and stored, backspace/DEL erases one, Ctrl-U erases the line,
 * Ctrl-C abandons it. CR, LF or CR LF ends a line (terminals send CR, pipes LF). Escape sequences (arrow
 * keys) are swallowed rather than inserted as text.
 */
#include "shell.h"

#include <stdbool.h>

#include "printf.h"
#include "uart.h"

#define LINE_CAPACITY 128U
#define CTRL_C 0x03
#define CTRL_U 0x15
#define BACKSPACE 0x08
#define ESCAPE 0x1b
#define DELETE 0x7f

enum input_state { INPUT_TEXT, INPUT_ESCAPE, INPUT_SEQUENCE };

static bool previous_was_cr;
static enum input_state state = INPUT_TEXT;

/* Returns true while the character belongs to an escape sequence (ESC [ ... final, or ESC O final). */
static bool swallow_escape(char c) {
  if (state == INPUT_ESCAPE) {
    state = (c == '[' || c == 'O') ? INPUT_SEQUENCE : INPUT_TEXT;
    return true;
  }
  if (state == INPUT_SEQUENCE) {
    if (c >= 0x40 && c <= 0x7e) state = INPUT_TEXT;
    return true;
  }
  if (c == ESCAPE) {
    state = INPUT_ESCAPE;
    return true;
  }
  return false;
}

static void erase(unsigned *length, unsigned count) {
  for (; count > 0 && *length > 0; count--, (*length)--) puts_raw("\b \b");
}

/* Fills line; returns false when the line was cancelled with Ctrl-C. */
static bool read_line(char *line) {
  unsigned length = 0;
  for (;;) {
    char c = uart_getc();
    bool lf_after_cr = c == '\n' && previous_was_cr;
    previous_was_cr = c == '\r';
    if (lf_after_cr || swallow_escape(c)) continue;
    if (c == '\r' || c == '\n') {
      puts_raw("\r\n");
      line[length] = '\0';
      return true;
    }
    if (c == CTRL_C) {
      puts_raw("^C\r\n");
      return false;
    }
    if (c == BACKSPACE || c == DELETE) erase(&length, 1);
    else if (c == CTRL_U) erase(&length, length);
    else if (c >= 0x20 && c < 0x7f && length < LINE_CAPACITY - 1) {
      line[length++] = c;
      uart_putc(c);
    }
  }
}

void shell_run(void) {
  char line[LINE_CAPACITY];
  for (;;) {
    puts_raw(SHELL_PROMPT);
    if (read_line(line)) run_command(line);
  }
}
