// A WAGI (CGI over WASI) hello: prints a CGI header block, then the request's CGI variables
// and its body (read from stdin). Build: see ../build.sh.
#include <stdio.h>
#include <stdlib.h>

static const char *const vars[] = {
  "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_NAME", "SERVER_PORT",
  "SERVER_PROTOCOL", "CONTENT_TYPE", "CONTENT_LENGTH", "X_MATCHED_ROUTE", "X_FULL_URL",
  "REMOTE_ADDR", "HTTP_USER_AGENT", "GREETING" /* from the component's environment */,
};

int main(int argc, char **argv) {
  printf("Content-Type: text/plain; charset=utf-8\n\n");
  printf("Hello from WAGI!\n");
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = getenv(vars[i]);
    if (v) printf("%s=%s\n", vars[i], v);
  }
  char buf[4096];
  size_t n, total = 0;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
    if (total == 0) printf("body:\n");
    fwrite(buf, 1, n, stdout);
    total += n;
  }
  return 0;
}
