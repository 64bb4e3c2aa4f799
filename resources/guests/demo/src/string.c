/* memset and memcpy: the compiler emits calls to them for struct copies and zeroing, even freestanding. */
#include <stddef.h>
#include <stdint.h>

void *memset(void *destination, int value, size_t count);
void *memcpy(void *destination, const void *source, size_t count);

void *memset(void *destination, int value, size_t count) {
  uint8_t *d = destination;
  while (count--) *d++ = (uint8_t)value;
  return destination;
}

void *memcpy(void *destination, const void *source, size_t count) {
  uint8_t *d = destination;
  const uint8_t *s = source;
  while (count--) *d++ = *s++;
  return destination;
}
