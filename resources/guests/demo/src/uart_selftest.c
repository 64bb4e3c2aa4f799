/*
 * UART self-test: identification, line settings, loopback (CR.LBE: bytes written to DR come back through the
 * RX FIFO, with FR and RIS telling the FIFO levels on the way) and the masked interrupt status. Runs with IRQs
 * masked so the receive handler does not take the looped-back bytes, after the console output has drained.
 */
#include <stdint.h>

#include "arch.h"
#include "board.h"
#include "pl011.h"
#include "printf.h"
#include "selftest.h"
#include "timer.h"
#include "uart.h"

#define LOOP_BYTES 8U /* half the 16-entry FIFO: reaches the RX trigger level IFLS sets */
#define TIMEOUT_MS 100U
#define FLUSH_TIMEOUT_MS 500U

static const uint8_t pattern[LOOP_BYTES] = {0x55, 0xaa, 0x00, 0xff, 0x0f, 0xf0, 'O', 'K'};

static uint32_t reg(uint32_t offset) { return mmio_read32(UART_BASE + offset); }
static void set_reg(uint32_t offset, uint32_t value) { mmio_write32(UART_BASE + offset, value); }

static bool ids_match(void) {
  static const uint8_t cell[4] = {0x0d, 0xf0, 0x05, 0xb1};
  bool ok = (reg(UART_PERIPH_ID0) & 0xff) == 0x11 && (reg(UART_PERIPH_ID0 + 4) & 0xff) == 0x10 &&
            (reg(UART_PERIPH_ID0 + 8) & 0x0f) == 0x04;
  for (uint32_t i = 0; i < 4; i++) ok = ok && (reg(UART_CELL_ID0 + 4 * i) & 0xff) == cell[i];
  return ok;
}

/* Waits until the RX FIFO holds at least one byte. */
static bool wait_rx_not_empty(void) {
  uint64_t deadline = cntvct() + cntfrq() / 1000 * TIMEOUT_MS;
  while (reg(UART_FR) & FR_RXFE)
    if (cntvct() > deadline) return false;
  return true;
}

static void send(const uint8_t *bytes, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) set_reg(UART_DR, bytes[i]);
}

/*
 * One NUL byte first: it comes back if CR.LBE works. A UART without loopback (QEMU before 8.0) sends it to
 * the terminal instead, where a NUL shows nothing, and the pattern is not sent at all.
 */
static bool loopback_works(void) {
  static const uint8_t probe = 0;
  send(&probe, 1);
  return wait_rx_not_empty() && reg(UART_DR) == probe;
}

/* Measured with CR.LBE set, when nothing may be printed (it would loop back), and reported afterwards. */
struct loopback_result {
  bool idle_flags, works, rx_raised, data_ok, empty_after, rx_cleared;
};

static void run_loopback(struct loopback_result *r) {
  uint32_t received[LOOP_BYTES];
  r->idle_flags = (reg(UART_FR) & (FR_RXFE | FR_TXFE)) == (FR_RXFE | FR_TXFE);
  r->works = loopback_works();
  if (!r->works) return;
  send(pattern, LOOP_BYTES);
  uint64_t deadline = cntvct() + cntfrq() / 1000 * TIMEOUT_MS;
  while (!(reg(UART_RIS) & INT_RX) && cntvct() <= deadline) {
  }
  r->rx_raised = (reg(UART_RIS) & INT_RX) != 0;
  for (uint32_t i = 0; i < LOOP_BYTES; i++) received[i] = wait_rx_not_empty() ? reg(UART_DR) : 0xffffffffU;
  r->empty_after = (reg(UART_FR) & (FR_RXFE | FR_RXFF)) == FR_RXFE;
  r->rx_cleared = (reg(UART_RIS) & INT_RX) == 0;
  r->data_ok = true;
  for (uint32_t i = 0; i < LOOP_BYTES; i++) r->data_ok = r->data_ok && received[i] == pattern[i];
}

static bool report_loopback(const struct loopback_result *r) {
  bool ok = check(r->idle_flags, "FR: RXFE and TXFE set when idle");
  if (!r->works) {
    printf("  SKIP loopback: CR.LBE has no effect on this UART (QEMU 7.2 does not implement it)\n");
    return ok;
  }
  ok &= check(r->rx_raised, "RIS.RX raised when the RX FIFO reached its trigger level");
  ok &= check(r->data_ok, "loopback: 8 bytes written to DR read back in order without errors");
  ok &= check(r->empty_after, "FR: RXFE set and RXFF clear after reading them");
  ok &= check(r->rx_cleared, "RIS.RX cleared once the RX FIFO drained");
  return ok;
}

/* MIS must be RIS masked by IMSC, whatever is raised: checked with no interrupt enabled and with all. */
static bool masked_status_ok(void) {
  set_reg(UART_IMSC, 0);
  bool none = reg(UART_MIS) == 0;
  set_reg(UART_IMSC, INT_ALL);
  bool all = reg(UART_MIS) == (reg(UART_RIS) & INT_ALL);
  return none && all;
}

/* Runs with IRQs masked and the console drained; the UART's mask and control registers are restored after. */
static bool run_register_tests(void) {
  struct loopback_result result = {0};
  uint32_t saved_imsc = reg(UART_IMSC);
  uint32_t saved_cr = reg(UART_CR);
  set_reg(UART_IMSC, 0);
  set_reg(UART_CR, saved_cr | CR_LBE);
  run_loopback(&result);
  set_reg(UART_CR, saved_cr);
  bool status_ok = masked_status_ok();
  set_reg(UART_ICR, INT_RX | INT_RT | INT_TX);
  set_reg(UART_IMSC, saved_imsc);
  bool ok = report_loopback(&result);
  return check(status_ok, "MIS = RIS & IMSC with no interrupts and with all enabled") && ok;
}

bool uart_selftest(void) {
  printf("PL011 at 0x%08lx\n", UART_BASE);
  bool ok = check(ids_match(), "PeriphID/CellID: ARM PL011 PrimeCell");
  ok &= check(reg(UART_IBRD) == 13 && reg(UART_FBRD) == 1, "IBRD 13, FBRD 1: 115200 baud from 24 MHz");
  ok &= check(reg(UART_LCR_H) == (LCR_H_WLEN_8 | LCR_H_FEN), "LCR_H: 8N1, FIFOs enabled");
  if (!uart_flush(FLUSH_TIMEOUT_MS)) {
    printf("  FAIL console output did not drain within %u ms: loopback not run\nuart: FAIL\n", FLUSH_TIMEOUT_MS);
    return false;
  }
  uint64_t daif = irq_save();
  uart_drain_rx_fifo(); /* typed-ahead input goes to the ring, not into the loopback data */
  ok &= run_register_tests();
  irq_restore(daif);
  printf("uart: %s\n", ok ? "PASS" : "FAIL");
  return ok;
}
