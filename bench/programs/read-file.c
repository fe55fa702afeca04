// Bench row "fd_read": reads a whole file in 64 KiB read()s (one fd_read each).
// usage: read-file PATH. Prints the byte count and a checksum as the check, and the hot loop's time.
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static unsigned char buf[64 * 1024];

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: read-file PATH\n"); return 2; }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { perror(argv[1]); return 1; }
  long long total = 0;
  unsigned sum = 0;
  double t0 = now_ms();
  for (;;) {
    ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0) { perror("read"); return 1; }
    if (got == 0) break;
    total += got;
    sum = sum * 31 + buf[0] + buf[got - 1];
  }
  double t1 = now_ms();
  close(fd);
  printf("check %lld:%u\nelapsed_ms %.3f\n", total, sum, t1 - t0);
  return 0;
}
