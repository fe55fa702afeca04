// {{project-name}}: a WAGI handler in AssemblyScript. The request arrives as CGI: method, path and
// headers in the environment (REQUEST_METHOD, PATH_INFO, QUERY_STRING, HTTP_*), the body on stdin.
// The response is written to stdout: CGI headers, a blank line, then the body.
const env = process.env;
const method = env.has('REQUEST_METHOD') ? env.get('REQUEST_METHOD') : '?';
const path = env.has('PATH_INFO') && env.get('PATH_INFO') != '' ? env.get('PATH_INFO') : '/';
process.stdout.write('Content-Type: text/plain; charset=utf-8\n');
process.stdout.write('Status: 200\n\n');
process.stdout.write('Hello from {{project-name}}! ' + method + ' ' + path + '\n');
