// Bench row "fd_write": N small write()s (16 bytes each, one fd_write each) to a new file.
// usage: fd-write PATH N. Prints the file size as the check and the hot loop's time.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: fd-write PATH N\n"); return 2; }
  long n = atol(argv[2]);
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) { perror(argv[1]); return 1; }
  static const char line[16] = "0123456789abcde\n";
  double t0 = now_ms();
  for (long i = 0; i < n; i++) {
    if (write(fd, line, sizeof line) != (ssize_t)sizeof line) { perror("write"); return 1; }
  }
  double t1 = now_ms();
  struct stat st;
  if (fstat(fd, &st) != 0) { perror("fstat"); return 1; }
  close(fd);
  printf("check %lld\nelapsed_ms %.3f\n", (long long)st.st_size, t1 - t0);
  return 0;
}
