// Bench row "path_open": N x (open + close + stat) of one file: path_open, fd_close, path_filestat_get.
// usage: path-ops PATH N. Prints the summed sizes as the check, and the hot loop's time.
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
  if (argc != 3) { fprintf(stderr, "usage: path-ops PATH N\n"); return 2; }
  long n = atol(argv[2]);
  long long sizes = 0;
  double t0 = now_ms();
  for (long i = 0; i < n; i++) {
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { perror("open"); return 1; }
    if (close(fd) != 0) { perror("close"); return 1; }
    struct stat st;
    if (stat(argv[1], &st) != 0) { perror("stat"); return 1; }
    sizes += st.st_size;
  }
  double t1 = now_ms();
  printf("check %lld\nelapsed_ms %.3f\n", sizes, t1 - t0);
  return 0;
}
