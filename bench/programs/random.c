// Bench row "random_get": fills MIB mebibytes from random_get in 64 KiB calls.
// usage: random MIB. Prints the byte count as the check, and the hot loop's time.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wasi/api.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint8_t buf[64 * 1024];

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: random MIB\n"); return 2; }
  long chunks = atol(argv[1]) * 16;
  unsigned ones = 0;
  double t0 = now_ms();
  for (long i = 0; i < chunks; i++) {
    if (__wasi_random_get(buf, sizeof buf) != 0) { fprintf(stderr, "random_get failed\n"); return 1; }
    ones += buf[i % sizeof buf] & 1;
  }
  double t1 = now_ms();
  printf("check %lld\nelapsed_ms %.3f\n", (long long)chunks * (long long)sizeof buf, t1 - t0);
  return ones > (unsigned)chunks; // never: keeps the loop's reads alive
}
