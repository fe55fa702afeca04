// A WAGI guest that serves a file from its read-only `files` mount: PATH_INFO names the file under
// /assets (default /assets/x.txt). Missing files become a CGI `Status: 404`.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const char *info = getenv("PATH_INFO");
  char path[512];
  snprintf(path, sizeof path, "/assets%s", info && info[0] && strcmp(info, "/") ? info : "/x.txt");
  FILE *f = fopen(path, "rb");
  if (!f) {
    printf("Status: 404 Not Found\nContent-Type: text/plain\n\nno such asset: %s\n", path);
    return 0;
  }
  printf("Content-Type: text/plain\n\n");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
  fclose(f);
  return 0;
}
