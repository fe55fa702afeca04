// Spin's HTTP route syntax, part of the app model: the manifest validates routes with it and the
// HTTP trigger's router compiles them. Matching lives in `triggers/http/router.ts`.
import { WasmletError } from '../util/errors.ts';

/** A route split into segments. */
export interface ParsedRoute {
  /** Literal segments as strings, parameters as `{ param: name }`. */
  segments: (string | { param: string })[];
  wildcard: boolean;
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses a route in Spin syntax: it starts with `/`; segments are literals or `:name`
 * (letters, digits, `_`); `/...` (or Spin's alias `/*`) only as the last segment; a single
 * trailing `/` is ignored (`/a/` is `/a`), as Spin does.
 * @throws WasmletError `WASMLET_ERR_ROUTE` (blame user) with the reason.
 */
export function parseRoute(route: string): ParsedRoute {
  const fail = (why: string): never => {
    throw new WasmletError('WASMLET_ERR_ROUTE', `invalid route '${route}': ${why}`, { blame: 'user' });
  };
  if (!route.startsWith('/')) fail('a route must start with `/`, e.g. `/hello` or `/api/...`');
  if (/[?#\s]/.test(route)) fail('a route may not contain `?`, `#` or whitespace');
  let body = route.slice(1);
  if (body.endsWith('/')) body = body.slice(0, -1);
  const parts = body === '' ? [] : body.split('/');
  const segments: ParsedRoute['segments'] = [];
  const names = new Set<string>();
  let wildcard = false;
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === '...' || part === '*') {
      if (!last) fail('the wildcard `/...` may only be the last segment');
      wildcard = true;
    } else if (part === '') {
      fail('empty segment (`//`)');
    } else if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!PARAM_NAME.test(name)) fail(`parameter \`${part}\` needs a name of letters, digits and \`_\``);
      if (names.has(name)) fail(`parameter \`:${name}\` appears twice`);
      names.add(name);
      segments.push({ param: name });
    } else if (part.includes('...') || part.includes('*')) {
      fail(`\`${part}\`: a wildcard is a whole segment and only the last one (\`/...\`)`);
    } else {
      segments.push(part);
    }
  });
  return { segments, wildcard };
}

/**
 * A key equal for two routes that match exactly the same paths (`/a/:x` and `/a/:y/`), used to
 * reject duplicates.
 */
export function routeShape(parsed: ParsedRoute): string {
  const segs = parsed.segments.map((s) => (typeof s === 'string' ? `=${s}` : ':'));
  return `/${segs.join('/')}${parsed.wildcard ? '/...' : ''}`;
}
