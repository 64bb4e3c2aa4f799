/* The console: PL011 UART0 with FIFOs, interrupt-driven receive and transmit through software rings. */
#ifndef UART_H
#define UART_H

#include <stdbool.h>
#include <stdint.h>

/* 115200 8N1 from the 24 MHz clock, FIFOs on, interrupts off: output is polled until uart_start_irq(). */
void uart_init(void);
/* Enables the UART's SPI and its RX/RT interrupts; output goes through the TX ring from now on. */
void uart_start_irq(void);
/* Back to polled output (used when reporting a fatal exception). */
void uart_use_polling(void);

void uart_putc(char c);
/* Blocks (sleeping in WFI) until a character has been received. */
char uart_getc(void);
/* Waits until every queued character has left the transmitter, or the timeout passes (a stalled console
 * must not hang the caller); returns whether it drained. */
bool uart_flush(uint32_t timeout_ms);

/* For the self-test: moves whatever sits in the RX FIFO into the software ring. */
void uart_drain_rx_fifo(void);
uint32_t uart_rx_errors(void);

#endif
