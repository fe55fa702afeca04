// A guest that allocates memory until allocation fails: under the component's memory cap it sees
// failed grows (malloc returns NULL), reports how far it got, then traps on purpose (abort) so
// a runaway guest's request ends as a 500 while the server keeps serving.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Chains the blocks so the optimizer cannot drop the allocations.
static void *volatile last;

int main(void) {
  size_t mib = 0;
  for (;;) {
    char *p = malloc(1 << 20);
    if (!p) break;
    memset(p, 1, 1 << 20);
    *(void **)p = last;
    last = p;
    mib++;
  }
  fprintf(stderr, "allocation failed after %zu MiB\n", mib);
  const char *mode = getenv("QUERY_STRING");
  if (mode && strcmp(mode, "report") == 0) {
    printf("Content-Type: text/plain\n\nallocated %zu MiB before malloc failed\n", mib);
    return 0;
  }
  abort();
}
