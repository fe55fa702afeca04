// The wasmlet dashboard: polls /api/status (see src/triggers/admin/dashboard-stats.ts for its shape)
// once a second and renders it. Plain DOM, no framework, nothing loaded from the network.
const POLL_MS = 1000;

const $ = (id) => document.getElementById(id);
const fmt = (n) => (n === undefined ? '–' : n < 10 ? n.toFixed(2) : n.toFixed(1));

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = String(text);
  if (className) td.className = className;
  return td;
}

function row(cells, attrs = {}) {
  const tr = document.createElement('tr');
  for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
  for (const c of cells) tr.append(c);
  return tr;
}

// data-route on rows and data-field on cells name the figures (for scripts and tests).
const ROUTE_FIELDS = ['route', 'component', 'executor', 'total', 'errors', 'rps', 'p50', 'p90', 'p99'];

function renderRoutes(routes) {
  $('routes').tBodies[0].replaceChildren(...routes.map((r) => row(ROUTE_FIELDS.map((field, i) => {
    const td = cell(i < 5 ? r[field] : fmt(r[field]), i < 3 ? undefined : 'num');
    td.setAttribute('data-field', field);
    return td;
  }), { 'data-route': r.route })));
}

function renderSeries(series) {
  const svg = $('series');
  const max = Math.max(1, ...series);
  const w = 600 / series.length;
  svg.replaceChildren(...series.map((n, i) => {
    const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    const h = (n / max) * 78;
    rect.setAttribute('x', String(i * w + 0.5));
    rect.setAttribute('y', String(80 - h));
    rect.setAttribute('width', String(Math.max(1, w - 1)));
    rect.setAttribute('height', String(h));
    return rect;
  }));
  const recent = series.slice(-5);
  $('total-rps').textContent = fmt(recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length));
}

function renderErrors(errors) {
  $('errors').tBodies[0].replaceChildren(...errors.map((e) => row([
    cell(e.time.slice(11, 23)), cell(e.requestId), cell(`${e.method} ${e.path}`), cell(e.status, 'num'), cell(e.error ?? ''),
  ], { class: 'error', 'data-request-id': e.requestId })));
}

async function poll() {
  try {
    const res = await fetch('/api/status', { cache: 'no-store' });
    const status = await res.json();
    $('app-name').textContent = status.app.version ? `${status.app.name} ${status.app.version}` : status.app.name;
    renderRoutes(status.routes);
    renderSeries(status.series);
    renderErrors(status.errors);
    const logs = $('logs');
    const atBottom = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
    logs.textContent = status.logs.join('\n');
    if (atBottom) logs.scrollTop = logs.scrollHeight;
    $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    $('updated').textContent = `cannot reach the server: ${err.message}`;
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

poll();
