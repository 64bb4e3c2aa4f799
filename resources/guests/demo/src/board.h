/* The virt board as the demo uses it: fixed addresses, interrupt IDs and the tick rate. */
#ifndef BOARD_H
#define BOARD_H

#define GICD_BASE 0x08000000UL
#define GICC_BASE 0x08010000UL
#define UART_BASE 0x09000000UL
#define RAM_BASE 0x40000000UL

/* Device window mapped device-nGnRE: GIC, UART, RTC, GPIO, HPET and the virtio-mmio transports. */
#define DEVICE_START 0x08000000UL
#define DEVICE_END 0x0a200000UL

/* GIC interrupt IDs: SPI n is ID 32 + n, PPI n is ID 16 + n. */
#define SPI_ID(n) (32U + (n))
#define UART_IRQ SPI_ID(1)
#define VTIMER_IRQ 27U

#define UART_CLOCK_HZ 24000000U
#define UART_BAUD 115200U
#define TICK_HZ 100U

#endif
