// A Spin app written with Spin's JavaScript SDK (@fermyon/spin-sdk 2.x), served unmodified by
// `wasmlet serve examples/spin-js-sdk`: a counter in the default key-value store, a todo list in
// the default SQLite database, and a greeting from a variable.
import { Kv, ResponseBuilder, Router, Sqlite, Variables } from '@fermyon/spin-sdk';

const decoder = new TextDecoder();
const router = Router();

// GET /counter: the current count; POST /counter: add one and return the new count.
const count = (store) => Number(decoder.decode(store.get('counter') ?? new Uint8Array()) || 0);
router.get('/counter', (meta, req, res) => {
  res.send(`${count(Kv.openDefault())}\n`);
});
router.post('/counter', (meta, req, res) => {
  const store = Kv.openDefault();
  const next = count(store) + 1;
  store.set('counter', String(next));
  res.send(`${next}\n`);
});

// The todo list: GET /todos (JSON), POST /todos (the body is the title),
// POST /todos/:id/done, DELETE /todos/:id.
const todos = () => {
  const db = Sqlite.openDefault();
  db.execute('CREATE TABLE IF NOT EXISTS todos (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)', []);
  return db;
};
const id = (meta) => ({ tag: 'integer', val: BigInt(meta.params.id) });
router.get('/todos', (meta, req, res) => {
  const { rows } = todos().execute('SELECT id, title, done FROM todos ORDER BY id', []);
  res.set('content-type', 'application/json');
  res.send(JSON.stringify(rows.map((r) => ({ id: Number(r.id), title: r.title, done: r.done === 1n || r.done === 1 }))));
});
router.post('/todos', async (meta, req, res) => {
  const title = (await req.text()).trim();
  if (title === '') { res.status(400); res.send('send the title as the request body\n'); return; }
  const db = todos();
  db.execute('INSERT INTO todos (title) VALUES (?)', [title]);
  const { rows } = db.execute('SELECT last_insert_rowid() AS id', []);
  res.status(201);
  res.send(`${rows[0].id}\n`);
});
router.post('/todos/:id/done', (meta, req, res) => {
  todos().execute('UPDATE todos SET done = 1 WHERE id = ?', [id(meta)]);
  res.status(204); res.send();
});
router.delete('/todos/:id', (meta, req, res) => {
  todos().execute('DELETE FROM todos WHERE id = ?', [id(meta)]);
  res.status(204); res.send();
});

// GET /greeting: the component variable `greeting` (spin.toml), from the app variable `who`.
router.get('/greeting', (meta, req, res) => {
  res.send(`${Variables.get('greeting')}\n`);
});

router.all('*', (meta, req, res) => {
  res.status(404);
  res.send('try GET /counter, POST /counter, GET /todos, POST /todos, POST /todos/:id/done, DELETE /todos/:id, GET /greeting\n');
});

// Wires the router to the fetch event, as the SDK's templates do (`src/spin.ts`).
addEventListener('fetch', (event) => {
  event.respondWith(new Promise((resolve) => {
    router.handleRequest(event.request, new ResponseBuilder(resolve))
      .catch((err) => resolve(new Response(`error: ${err}\n`, { status: 500 })));
  }));
});
