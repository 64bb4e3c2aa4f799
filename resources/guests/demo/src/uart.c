/*
 * PL011 driver. Receive: the RX (FIFO half full) and RT (receive timeout) interrupts move the FIFO into a ring
 * that uart_getc() reads; when the ring is full the interrupts are masked and the characters wait in the FIFO
 * (flow control, nothing dropped). Transmit: characters go straight into the TX FIFO while it has room; when
 * it is full they queue in a ring and the TX interrupt refills the FIFO as it drains.
 */
#include "uart.h"

#include "arch.h"
#include "board.h"
#include "gic.h"
#include "pl011.h"
#include "ring.h"
#include "timer.h"

static struct ring rx_ring;
static struct ring tx_ring;
static bool irq_mode;
static bool rx_throttled;
static uint32_t rx_errors;

static uint32_t reg_read(uint32_t offset) { return mmio_read32(UART_BASE + offset); }
static void reg_write(uint32_t offset, uint32_t value) { mmio_write32(UART_BASE + offset, value); }
static void imsc_set(uint32_t bits) { reg_write(UART_IMSC, reg_read(UART_IMSC) | bits); }
static void imsc_clear(uint32_t bits) { reg_write(UART_IMSC, reg_read(UART_IMSC) & ~bits); }

void uart_drain_rx_fifo(void) {
  while (!(reg_read(UART_FR) & FR_RXFE)) {
    if (ring_full(&rx_ring)) {
      imsc_clear(INT_RX | INT_RT);
      rx_throttled = true;
      return;
    }
    uint32_t data = reg_read(UART_DR);
    if (data & DR_ERRORS) rx_errors++;
    ring_push(&rx_ring, (uint8_t)data);
  }
  reg_write(UART_ICR, INT_RT);
}

void uart_init(void) {
  reg_write(UART_CR, 0);
  /* Divisor 24 MHz / (16 * 115200) = 13.0208: IBRD 13, FBRD round(0.0208 * 64) = 1. */
  uint32_t divisor_x64 = (4U * UART_CLOCK_HZ + UART_BAUD / 2) / UART_BAUD;
  reg_write(UART_IBRD, divisor_x64 >> 6);
  reg_write(UART_FBRD, divisor_x64 & 0x3f);
  /* Input that arrived before now waits in the 1-entry holding register, and turning the FIFO on empties it
   * (QEMU does so whenever FEN changes): take it into the ring first, right before. */
  uart_drain_rx_fifo();
  reg_write(UART_LCR_H, LCR_H_WLEN_8 | LCR_H_FEN); /* after IBRD/FBRD: this write latches the divisors */
  reg_write(UART_IFLS, IFLS_RX_1_2 | IFLS_TX_1_8);
  reg_write(UART_IMSC, 0);
  reg_write(UART_ICR, INT_ALL);
  reg_write(UART_CR, CR_UARTEN | CR_TXE | CR_RXE);
}

static void tx_refill(void) {
  while (!ring_empty(&tx_ring) && !(reg_read(UART_FR) & FR_TXFF)) reg_write(UART_DR, ring_pop(&tx_ring));
  if (ring_empty(&tx_ring)) imsc_clear(INT_TX);
  reg_write(UART_ICR, INT_TX);
}

static void uart_irq(void) {
  uint32_t status = reg_read(UART_MIS);
  if (status & (INT_RX | INT_RT)) uart_drain_rx_fifo();
  if (status & INT_TX) tx_refill();
  if (status & INT_ERRORS) reg_write(UART_ICR, status & INT_ERRORS);
}

void uart_start_irq(void) {
  gic_enable_irq(UART_IRQ, uart_irq, GIC_LEVEL);
  imsc_set(INT_RX | INT_RT);
  irq_mode = true;
}

void uart_use_polling(void) { irq_mode = false; }

static void put_polled(uint8_t byte) {
  while (reg_read(UART_FR) & FR_TXFF) {
  }
  reg_write(UART_DR, byte);
}

void uart_putc(char c) {
  if (!irq_mode) {
    put_polled((uint8_t)c);
    return;
  }
  for (;;) {
    uint64_t daif = irq_save();
    if (ring_empty(&tx_ring) && !(reg_read(UART_FR) & FR_TXFF)) {
      reg_write(UART_DR, (uint8_t)c);
    } else if (!ring_full(&tx_ring)) {
      ring_push(&tx_ring, (uint8_t)c);
      imsc_set(INT_TX);
    } else if (daif & DAIF_IRQ_MASKED) {
      put_polled(ring_pop(&tx_ring)); /* the caller masked IRQs: no interrupt will drain the ring */
      continue;
    } else {
      sleep_then_restore(daif);
      continue;
    }
    irq_restore(daif);
    return;
  }
}

char uart_getc(void) {
  for (;;) {
    uint64_t daif = irq_save();
    if (!ring_empty(&rx_ring)) {
      char c = (char)ring_pop(&rx_ring);
      if (rx_throttled) {
        rx_throttled = false;
        imsc_set(INT_RX | INT_RT);
        uart_drain_rx_fifo();
      }
      irq_restore(daif);
      return c;
    }
    sleep_then_restore(daif);
  }
}

bool uart_flush(uint32_t timeout_ms) {
  uint64_t deadline = cntvct() + cntfrq() / 1000 * timeout_ms;
  for (;;) {
    uint64_t daif = irq_save();
    if (ring_empty(&tx_ring) || cntvct() > deadline) {
      irq_restore(daif);
      break;
    }
    if (daif & DAIF_IRQ_MASKED) put_polled(ring_pop(&tx_ring));
    else sleep_then_restore(daif); /* the tick wakes us to look at the deadline */
  }
  while ((reg_read(UART_FR) & (FR_TXFE | FR_BUSY)) != FR_TXFE)
    if (cntvct() > deadline) return false;
  return true;
}

uint32_t uart_rx_errors(void) { return rx_errors; }
