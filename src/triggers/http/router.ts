// HTTP route matching with Spin's syntax and precedence (Spin `crates/routes`, built on
// `routefinder`): routes are compared segment by segment from the left, a literal segment beats a
// `:param`, which beats the trailing wildcard; at a tie the shorter route (the exact one) wins.
// Routes are compiled into a trie, so a match costs O(segments) plus backtracking over params.
import { WasmletError } from '../../util/errors.ts';
import { parseRoute, routeShape, type ParsedRoute } from '../../app/route-syntax.ts';
import { SYNTHETIC_ROUTE } from '../../app/locked-app.ts';

export { parseRoute, routeShape, type ParsedRoute };

/** One route to serve: Spin route syntax and the component it invokes. */
export interface RouteEntry {
  route: string;
  component: string;
}

/** The result of {@link Router.match}. */
export interface RouteMatch {
  /** The route as written in the manifest (`/users/:id/...`). */
  route: string;
  component: string;
  /** `:name` parameters, percent-decoded (a malformed escape is kept raw). */
  params: Record<string, string>;
  /** `:name` parameters as they appear in the request path (still percent-encoded), as Spin's router captures them. */
  rawParams: Record<string, string>;
  /** The route without its trailing `/...` (`/users/:id`; `` for `/...`; `/` for `/`). */
  matchedPrefix: string;
  /**
   * The raw (still percent-encoded) part of the path after the matched prefix: `` or starting
   * with `/` (Spin keeps a trailing slash: `/static/...` on `/static/a/` gives `/a/`). Always ``
   * for an exact route. This is PATH_INFO before decoding.
   */
  trailing: string;
  /** The raw request path up to `trailing` (the matched prefix with parameters filled in). */
  matchedPath: string;
}

interface CompiledRoute {
  entry: RouteEntry;
  paramNames: string[];
  matchedPrefix: string;
  wildcard: boolean;
}

interface Node {
  exact: Map<string, Node>;
  param: Node | undefined;
  terminal: CompiledRoute | undefined;
  wildcard: CompiledRoute | undefined;
}

function newNode(): Node {
  return { exact: new Map(), param: undefined, terminal: undefined, wildcard: undefined };
}

function decode(s: string): string {
  if (!s.includes('%')) return s;
  try { return decodeURIComponent(s); } catch { return s; }
}

/** Routes requests to components. Immutable once built. */
export class Router {
  readonly #root: Node;
  readonly #entries: readonly RouteEntry[];

  private constructor(root: Node, entries: RouteEntry[]) {
    this.#root = root;
    this.#entries = entries;
  }

  /**
   * Compiles `entries`.
   * @throws WasmletError `WASMLET_ERR_ROUTE` (blame user) for an invalid route, or two routes
   *   that match the same paths (naming both components).
   */
  static build(entries: readonly RouteEntry[]): Router {
    const root = newNode();
    const seen = new Map<string, RouteEntry>();
    for (const entry of entries) {
      const parsed = parseRoute(entry.route);
      const shape = routeShape(parsed);
      const prior = seen.get(shape);
      if (prior) {
        throw new WasmletError('WASMLET_ERR_ROUTE',
          `duplicate route: '${entry.route}' (component '${entry.component}') matches the same paths as `
          + `'${prior.route}' (component '${prior.component}') — give one of them another route`, { blame: 'user' });
      }
      seen.set(shape, entry);
      let node = root;
      const paramNames: string[] = [];
      for (const seg of parsed.segments) {
        if (typeof seg === 'string') {
          let next = node.exact.get(seg);
          if (!next) node.exact.set(seg, next = newNode());
          node = next;
        } else {
          paramNames.push(seg.param);
          node = node.param ??= newNode();
        }
      }
      const matchedPrefix = parsed.wildcard ? entry.route.replace(/\/(\.\.\.|\*)$/, '')
        : entry.route.length > 1 ? entry.route.replace(/\/$/, '') : entry.route;
      const compiled: CompiledRoute = { entry: { ...entry }, paramNames, matchedPrefix, wildcard: parsed.wildcard };
      if (parsed.wildcard) node.wildcard = compiled; else node.terminal = compiled;
    }
    return new Router(root, entries.map((e) => ({ ...e })));
  }

  /** The routes, in manifest order. */
  get routes(): readonly RouteEntry[] {
    return this.#entries;
  }

  /**
   * Finds the most specific route for a request path (`/a/b`; a query string, if present, is
   * ignored). Trailing slashes do not matter for matching (`/a/` matches `/a`). Returns null when
   * no route matches.
   */
  match(path: string): RouteMatch | null {
    const q = path.search(/[?#]/);
    const raw = q < 0 ? path : path.slice(0, q);
    const trimmed = raw.replace(/^\//, '').replace(/\/+$/, '');
    const segs = trimmed === '' ? [] : trimmed.split('/');
    const values: string[] = [];
    const found = this.#walk(this.#root, segs, 0, values);
    if (!found) return null;
    const { route, consumed } = found;
    let trailing = '';
    if (route.wildcard) {
      const rest = segs.slice(consumed).join('/');
      const slash = raw.endsWith('/') && raw !== '' ? '/' : '';
      trailing = rest === '' ? slash : `/${rest}${slash}`;
    }
    const params: Record<string, string> = {};
    const rawParams: Record<string, string> = {};
    route.paramNames.forEach((name, i) => {
      params[name] = decode(values[i]!);
      rawParams[name] = values[i]!;
    });
    const matchedPath = trailing === '' ? raw : raw.slice(0, raw.length - trailing.length);
    return { route: route.entry.route, component: route.entry.component, params, rawParams, matchedPrefix: route.matchedPrefix,
      trailing, matchedPath };
  }

  // Depth-first, literal child first, then the parameter, then the wildcard: the first full match
  // is the lexicographically most specific route, which is routefinder's (and Spin's) order.
  #walk(node: Node, segs: string[], i: number, values: string[]): { route: CompiledRoute; consumed: number } | undefined {
    if (i === segs.length) {
      const route = node.terminal ?? node.wildcard;
      return route && { route, consumed: i };
    }
    const seg = segs[i]!;
    const child = node.exact.get(seg) ?? node.exact.get(decode(seg));
    if (child) {
      const r = this.#walk(child, segs, i + 1, values);
      if (r) return r;
    }
    if (node.param && seg !== '') {
      values.push(seg);
      const r = this.#walk(node.param, segs, i + 1, values);
      if (r) return r;
      values.pop();
    }
    return node.wildcard && { route: node.wildcard, consumed: i };
  }
}

/**
 * The match of a service-chained request (`http://<component>.spin.internal/<path>`), which no
 * router makes: Spin's `RouteMatch::synthetic(component_id, path)` (spinframework/spin
 * `crates/http/src/routes.rs`), as if `path` matched the route `/...`: no parameters, the whole
 * raw path (`rawPath`, no query) is the trailing wildcard (`spin-path-info`, CGI `PATH_INFO`).
 */
export function syntheticMatch(component: string, rawPath: string): RouteMatch {
  return { route: SYNTHETIC_ROUTE, component, params: {}, rawParams: {}, matchedPrefix: '', trailing: rawPath, matchedPath: '' };
}
