// An AssemblyScript WAGI hello: a CGI header block, then a greeting naming the request method and
// path from the CGI environment. Build: ../build.sh (asc + @assemblyscript/wasi-shim).
const env = process.env;
const method = env.has('REQUEST_METHOD') ? env.get('REQUEST_METHOD') : '?';
const path = env.has('PATH_INFO') ? env.get('PATH_INFO') : '';
process.stdout.write('Content-Type: text/plain\n\n');
process.stdout.write('Hello from AssemblyScript! ' + method + ' ' + path + '\n');
