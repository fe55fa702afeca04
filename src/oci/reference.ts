// OCI references: `REGISTRY/REPOSITORY[:TAG][@DIGEST]`, the form `docker pull` and `spin registry
// push` take. Grammar: distribution-spec `spec.md` "Pulling manifests" (`<name>` and `<reference>`
// patterns) and distribution/reference `reference.go`.
import { WasmletError } from '../util/errors.ts';

/** A parsed reference. */
export interface Reference {
  /** `host[:port]` as the registry is contacted (Docker Hub: `registry-1.docker.io`). */
  registry: string;
  /** Repository name (`demo/hello`; Docker Hub's one-segment names get `library/`). */
  repository: string;
  /** Tag; `latest` when neither tag nor digest is given. */
  tag?: string;
  /** `sha256:<hex>` when the reference pins one. */
  digest?: string;
}

// distribution-spec `<name>`: path components of lower-case alphanumerics and separators.
const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
// distribution-spec tag.
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

function refError(text: string, why: string): WasmletError {
  return new WasmletError('WASMLET_ERR_REFERENCE',
    `reference '${text}': ${why} — expected REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], e.g. 127.0.0.1:5000/demo/hello:v1`, { blame: 'user' });
}

/**
 * Parses `text` as Docker does: the first path segment is the registry when it holds a `.` or a
 * `:` or is `localhost`; otherwise the registry is Docker Hub.
 * @throws WasmletError `WASMLET_ERR_REFERENCE` (blame user) for a malformed reference.
 */
export function parseReference(text: string): Reference {
  let rest = text.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw refError(text, `digest '${digest}' is not sha256:<64 hex digits>`);
  }
  const slash = rest.indexOf('/');
  let registry: string;
  let path: string;
  const first = slash < 0 ? '' : rest.slice(0, slash);
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    registry = first;
    path = rest.slice(slash + 1);
  } else {
    registry = 'registry-1.docker.io';
    path = rest.includes('/') ? rest : `library/${rest}`;
  }
  if (registry === 'docker.io' || registry === 'index.docker.io') registry = 'registry-1.docker.io';
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw refError(text, `tag '${tag}' is not valid`);
  }
  if (path === '' || !NAME.test(path)) throw refError(text, `repository '${path}' must be lower-case path segments`);
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, repository: path, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** The reference as text: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** True for registries spoken to in plain HTTP without `--insecure`: 127.0.0.0/8, `localhost`, `[::1]`. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.split(':')[0]!;
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
