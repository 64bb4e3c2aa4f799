/* A byte ring shared by one interrupt handler and the main loop (the producer and consumer never overlap). */
#ifndef RING_H
#define RING_H

#include <stdbool.h>
#include <stdint.h>

#define RING_SIZE 256U /* a power of two: indices wrap by masking */

struct ring {
  volatile uint32_t head; /* next slot to write */
  volatile uint32_t tail; /* next slot to read */
  uint8_t data[RING_SIZE];
};

static inline bool ring_empty(const struct ring *r) { return r->head == r->tail; }
static inline bool ring_full(const struct ring *r) { return r->head - r->tail == RING_SIZE; }
static inline uint32_t ring_count(const struct ring *r) { return r->head - r->tail; }

static inline void ring_push(struct ring *r, uint8_t byte) {
  r->data[r->head & (RING_SIZE - 1)] = byte;
  r->head = r->head + 1;
}

static inline uint8_t ring_pop(struct ring *r) {
  uint8_t byte = r->data[r->tail & (RING_SIZE - 1)];
  r->tail = r->tail + 1;
  return byte;
}

#endif
