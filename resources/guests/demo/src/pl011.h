/* PL011 register offsets and bits (ARM PrimeCell UART TRM, section 3.3). */
#ifndef PL011_H
#define PL011_H

#define UART_DR 0x000
#define UART_RSR 0x004
#define UART_FR 0x018
#define UART_IBRD 0x024
#define UART_FBRD 0x028
#define UART_LCR_H 0x02c
#define UART_CR 0x030
#define UART_IFLS 0x034
#define UART_IMSC 0x038
#define UART_RIS 0x03c
#define UART_MIS 0x040
#define UART_ICR 0x044
#define UART_PERIPH_ID0 0xfe0
#define UART_CELL_ID0 0xff0

#define DR_ERRORS 0xf00U /* FE, PE, BE, OE of the received character */

#define FR_BUSY (1U << 3)
#define FR_RXFE (1U << 4)
#define FR_TXFF (1U << 5)
#define FR_RXFF (1U << 6)
#define FR_TXFE (1U << 7)

#define LCR_H_FEN (1U << 4)
#define LCR_H_WLEN_8 (3U << 5)

#define CR_UARTEN (1U << 0)
#define CR_LBE (1U << 7)
#define CR_TXE (1U << 8)
#define CR_RXE (1U << 9)

#define IFLS_TX_1_8 (0U << 0)
#define IFLS_RX_1_2 (2U << 3)

#define INT_RX (1U << 4)
#define INT_TX (1U << 5)
#define INT_RT (1U << 6)
#define INT_ERRORS (0xfU << 7) /* FE, PE, BE, OE */
#define INT_ALL 0x7ffU

#endif
