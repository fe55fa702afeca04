/**
 * Who caused a failure: the guest (bad Wasm, a trap, a guest-chosen bad value), the host
 * (wasmlet or the machine: I/O error, bug), or the user (bad CLI flag, bad manifest).
 */
export type Blame = 'guest' | 'host' | 'user';

/** The statuses `wasmlet serve` answers itself when an error ends an invocation. */
export type ErrorHttpStatus = 400 | 413 | 500 | 502 | 503 | 504;

/**
 * The exit statuses of a `wasmlet` command that fails with an error: 1 trap, 2 usage error,
 * 124 timeout, 125 could not run (the shell conventions of coreutils `timeout`/`env`; see
 * `cli/exit-codes.ts`).
 */
export type ErrorExitStatus = 1 | 2 | 124 | 125;

/** What the registry says about one {@link WasmletErrorCode}. */
export interface ErrorCodeInfo {
  /** What went wrong, in one line. */
  readonly meaning: string;
  /** The status `wasmlet serve` answers when this error ends a request (before the head is sent). */
  readonly httpStatus: ErrorHttpStatus;
  /** The exit status of `wasmlet run` / `wasmlet serve` when the command fails with this error. */
  readonly exitStatus: ErrorExitStatus;
}

/**
 * Every code a {@link WasmletError} can carry, with its meaning, HTTP status and exit status: the
 * one registry the CLI's exit codes and the HTTP trigger's statuses are read from (each entry must
 * give both, so the mappings are exhaustive by construction). Codes are stable across releases.
 * Codes follow undici's `UND_ERR_*` / Fastify's `FST_ERR_*`.
 */
export const ERROR_CODES = {
  // Running a guest.
  WASMLET_ERR_TRAP: { meaning: 'the guest trapped (unreachable, out-of-bounds access, stack exhaustion, ...)', httpStatus: 500, exitStatus: 1 },
  WASMLET_ERR_TIMEOUT: { meaning: 'the invocation passed its wall-clock deadline (counted from submission): the guest was stopped, or never started', httpStatus: 504, exitStatus: 124 },
  WASMLET_ERR_PREEMPT_UNSUPPORTED: { meaning: 'the module cannot be made preemptible in-process: it uses an encoding the preemption rewriter does not walk (GC, an unknown opcode), or is already rewritten', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_MEMORY_LIMIT: { meaning: 'a linear memory starts larger than the memory cap', httpStatus: 500, exitStatus: 125 },
  // The binary.
  WASMLET_ERR_NOT_WASM: { meaning: 'the bytes are not a WebAssembly binary (no `\\0asm` magic, or empty)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_TRUNCATED: { meaning: 'the binary ends in the middle of its header or a section', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_INVALID_WASM: { meaning: 'the module is malformed or fails validation', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_UNKNOWN_IMPORT: { meaning: 'the module imports something the WASI preview1 host does not provide (or of another kind)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_LINK: { meaning: 'V8 refused to link the imports (e.g. a function signature mismatch)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_NO_START: { meaning: 'the module exports no `_start` function: it is not a WASI command', httpStatus: 500, exitStatus: 125 },
  /** @deprecated the same as `WASMLET_ERR_NO_START`; still thrown by `host/wasi/p1` until it is renamed there. */
  WASMLET_ERR_NO_EXPORT: { meaning: 'the module exports no function of the requested name (`invoke`, a WAGI entrypoint)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_WASI_NO_MEMORY: { meaning: 'the module exports no `memory`, which every WASI module must', httpStatus: 500, exitStatus: 125 },
  // Components.
  WASMLET_ERR_COMPONENT_INVALID: { meaning: 'jco cannot transpile the component (not a WASI 0.2 component, or malformed)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_COMPONENT_CACHE: { meaning: 'the component transpile cache cannot be written, or an entry in it is incomplete', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_COMPONENT_UNSUPPORTED: { meaning: 'a component was given to an API that takes core modules only', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED: { meaning: 'the component imports an interface wasmlet\'s WASI 0.2 host does not provide', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_COMPONENT_NOT_COMMAND: { meaning: 'the component exports no `wasi:cli/run` (it is not a command)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_COMPONENT_NOT_HTTP: { meaning: 'the component exports no `wasi:http/incoming-handler`', httpStatus: 500, exitStatus: 125 },
  // HTTP guests.
  WASMLET_ERR_HTTP_NO_RESPONSE: { meaning: 'the guest returned, exited or trapped before giving a complete HTTP response', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_HTTP_GUEST_ERROR: { meaning: 'a wasi:http guest answered with an `error-code` instead of a response', httpStatus: 500, exitStatus: 125 },
  // Event guests (Redis, cron triggers).
  WASMLET_ERR_COMPONENT_NO_HANDLER: { meaning: 'the component does not export the handler its trigger calls (`fermyon:spin/inbound-redis`, `handle-cron-event`)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_GUEST_HANDLER_ERROR: { meaning: 'an event handler (Redis message, cron tick) returned its `error` value', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_REDIS_TRIGGER: { meaning: 'a Redis trigger could not subscribe or read its stream (bad address, group setup failed)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_CGI_RESPONSE: { meaning: 'a WAGI guest wrote a malformed CGI response', httpStatus: 502, exitStatus: 125 },
  // Serving requests.
  WASMLET_ERR_BODY_TOO_LARGE: { meaning: 'the request body is larger than the server\'s limit (`--max-body`)', httpStatus: 413, exitStatus: 125 },
  WASMLET_ERR_ABORTED: { meaning: 'the invocation was cancelled: the client went away (mid-body, or before the guest started)', httpStatus: 400, exitStatus: 125 },
  WASMLET_ERR_QUEUE_FULL: { meaning: 'a request was not admitted to wait for a worker (expected wait past its deadline, queued bytes, or `--max-queue`)', httpStatus: 503, exitStatus: 125 },
  WASMLET_ERR_POOL_CLOSED: { meaning: 'the worker pool is shut down', httpStatus: 503, exitStatus: 125 },
  WASMLET_ERR_WORKER_LOST: { meaning: 'the worker thread running the invocation stopped (another guest on it crashed or timed out)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_WORKER_START: { meaning: 'a worker thread failed to start or to load its unit', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_UNKNOWN_UNIT: { meaning: 'no unit is registered in the worker pool under that name (a wasmlet bug)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_LISTEN: { meaning: 'the server cannot listen on the address', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_LOG_DIR: { meaning: 'the guest log directory (`--log-dir`) or a log file in it cannot be created or opened', httpStatus: 500, exitStatus: 125 },
  // Apps.
  WASMLET_ERR_MANIFEST: { meaning: 'the app manifest is missing or invalid (one line per problem)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_ROUTE: { meaning: 'a route is malformed, or two routes match the same paths', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_UNKNOWN_COMPONENT: { meaning: 'a trigger names a component the app does not define', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_READ_SOURCE: { meaning: 'a Wasm file cannot be read (missing, a directory, no permission)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_EXECUTOR_UNSUPPORTED: { meaning: 'the route\'s executor cannot run that kind of binary (WAGI: modules; wasi-http: components)', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_ALLOWED_HOST_INVALID: { meaning: 'an `allowed_outbound_hosts` entry is malformed', httpStatus: 500, exitStatus: 125 },
  // Options and the command line.
  WASMLET_ERR_USAGE: { meaning: 'the command line is wrong (unknown flag, missing argument, conflicting flags)', httpStatus: 500, exitStatus: 2 },
  WASMLET_ERR_INVALID_SIZE: { meaning: 'a size (`64MiB`) cannot be parsed or is out of range', httpStatus: 500, exitStatus: 2 },
  WASMLET_ERR_INVALID_DURATION: { meaning: 'a duration (`2s`) cannot be parsed or is out of range', httpStatus: 500, exitStatus: 2 },
  WASMLET_ERR_INVALID_OPTIONS: { meaning: 'an option has a bad value (including `invokeArgs` of the wrong count or type)', httpStatus: 500, exitStatus: 2 },
  WASMLET_ERR_OTLP_PROTOCOL: { meaning: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL names no OTLP protocol (accepted: http/protobuf, http/json, grpc)', httpStatus: 500, exitStatus: 2 },
  WASMLET_ERR_PREOPEN: { meaning: 'a directory to preopen is not an existing directory', httpStatus: 500, exitStatus: 125 },
  // OCI registries (`wasmlet registry`, `serve --from-registry`).
  WASMLET_ERR_REFERENCE: { meaning: 'an OCI reference (`REGISTRY/REPOSITORY[:TAG][@DIGEST]`) cannot be parsed', httpStatus: 500, exitStatus: 2 },
  WASMLET_ERR_REGISTRY: { meaning: 'an OCI registry cannot be reached or answered with an error', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_REGISTRY_AUTH: { meaning: 'an OCI registry refused the credentials (or none were given): log in with `wasmlet registry login`', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_DIGEST_MISMATCH: { meaning: 'content pulled from a registry does not match its sha256 digest', httpStatus: 500, exitStatus: 125 },
  WASMLET_ERR_ARTIFACT: { meaning: 'an OCI artifact is not a layout wasmlet can run (Spin app, or one Wasm layer as `wkg` pushes)', httpStatus: 500, exitStatus: 125 },
  // Embedding (createPlugin).
  WASMLET_ERR_EXTISM_MANIFEST: { meaning: 'an Extism manifest or plugin option is malformed, or a module hash does not match', httpStatus: 500, exitStatus: 125 },
  // The developer loop (`wasmlet new`).
  WASMLET_ERR_TEMPLATE: { meaning: 'an app template is unknown or cannot be written (the target directory is not empty, a bad app name)', httpStatus: 500, exitStatus: 125 },
  // wasmlet itself.
  WASMLET_ERR_INTERNAL: { meaning: 'an internal error (a wasmlet bug, or the worker thread running the guest died)', httpStatus: 500, exitStatus: 125 },
} as const satisfies Record<`WASMLET_ERR_${string}`, ErrorCodeInfo>;

/** The stable code of a {@link WasmletError}: one of the keys of {@link ERROR_CODES}. */
export type WasmletErrorCode = keyof typeof ERROR_CODES;

/**
 * The registry entry for `code`, or undefined when `code` is not a wasmlet code (an error from
 * another realm or version may carry any string).
 */
export function errorCodeInfo(code: string): ErrorCodeInfo | undefined {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as WasmletErrorCode] : undefined;
}

/** Options common to every {@link WasmletError}. */
export interface WasmletErrorOptions {
  /** The underlying error, if any (kept for logs; never shown to a guest). */
  cause?: unknown;
  /** Who is at fault; defaults to `'host'`. */
  blame?: Blame;
}

/**
 * The base of every error wasmlet throws at its API boundary. `code` is stable across
 * releases (match on it, never on `message`; the codes are listed in {@link ERROR_CODES});
 * `message` says what failed and what to do.
 * Naming follows undici/Fastify (`name` fixed, `code` like `WASMLET_ERR_*`).
 */
export class WasmletError extends Error {
  override readonly name: string = 'WasmletError';
  readonly code: WasmletErrorCode;
  readonly blame: Blame;

  constructor(code: WasmletErrorCode, message: string, options: WasmletErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.blame = options.blame ?? 'host';
  }
}

/** True when `err` is a {@link WasmletError} (also across realms/workers, by shape). */
export function isWasmletError(err: unknown): err is WasmletError {
  return err instanceof WasmletError
    || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'WasmletError'
      && typeof (err as { code?: unknown }).code === 'string');
}
