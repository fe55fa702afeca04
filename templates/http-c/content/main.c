// {{project-name}}: a WAGI handler. The request arrives as CGI: method, path and headers in the
// environment (REQUEST_METHOD, PATH_INFO, QUERY_STRING, HTTP_*), the body on stdin. The response
// is written to stdout: CGI headers, a blank line, then the body.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const char *method = getenv("REQUEST_METHOD");
  const char *path = getenv("PATH_INFO");
  printf("Content-Type: text/plain; charset=utf-8\n");
  printf("Status: 200\n\n");
  printf("Hello from {{project-name}}! %s %s\n", method ? method : "?", path && *path ? path : "/");
  return 0;
}
