// Bench row "start-up": the smallest useful command, for start-to-exit time.
#include <stdio.h>

int main(void) {
  puts("hello");
  return 0;
}
