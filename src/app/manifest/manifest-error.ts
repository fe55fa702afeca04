import { WasmletError } from '../../util/errors.ts';

/** One problem found in a manifest. */
export interface ManifestDiagnostic {
  /** 1-based line in the manifest, when it could be found. */
  line?: number;
  /** `<what is wrong> — <what to do>`. */
  message: string;
}

/**
 * A manifest (`wasmlet.toml` / `spin.toml`) is invalid. `message` has one line per problem,
 * `<manifest path>:<line>: <what> — <what to do>`; `diagnostics` has them as data.
 * Code `WASMLET_ERR_MANIFEST`, blame `user`.
 */
export class ManifestError extends WasmletError {
  readonly manifestPath: string;
  readonly diagnostics: readonly ManifestDiagnostic[];

  constructor(manifestPath: string, diagnostics: readonly ManifestDiagnostic[], options: { cause?: unknown } = {}) {
    super('WASMLET_ERR_MANIFEST', diagnostics.map((d) => formatDiagnostic(manifestPath, d)).join('\n'),
      { blame: 'user', cause: options.cause });
    this.manifestPath = manifestPath;
    this.diagnostics = diagnostics;
  }
}

/** `path:line: message`, or `path: message` when the line is unknown. */
export function formatDiagnostic(manifestPath: string, d: ManifestDiagnostic): string {
  return d.line === undefined ? `${manifestPath}: ${d.message}` : `${manifestPath}:${d.line}: ${d.message}`;
}
