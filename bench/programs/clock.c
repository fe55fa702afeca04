// Bench row "clock_time_get": N clock_gettime(CLOCK_MONOTONIC) calls (one clock_time_get each).
// usage: clock N. Prints whether time never went backwards as the check, and the hot loop's time.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: clock N\n"); return 2; }
  long n = atol(argv[1]);
  long long last = 0, backwards = 0;
  double t0 = now_ms();
  for (long i = 0; i < n; i++) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
    if (ns < last) backwards++;
    last = ns;
  }
  double t1 = now_ms();
  printf("check %ld:%lld\nelapsed_ms %.3f\n", n, backwards, t1 - t0);
  return 0;
}
