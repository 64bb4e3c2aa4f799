/* The interactive shell: line editing on the console, then command dispatch. */
#ifndef SHELL_H
#define SHELL_H

#define SHELL_PROMPT "demo> "

/* Reads and runs commands forever. */
void shell_run(void) __attribute__((noreturn));
/* Runs one command line (first word: command, the rest: its arguments). */
void run_command(char *line);

#endif
