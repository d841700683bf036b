// GET /v1/audit: the audit log, for administrators only.  A write over HTTP
// shows up with its actor, client address and request id (the X-Request-Id
// of the reply), secrets masked; filters and cursor paging give exact pages;
// other roles get 403, anonymous callers 401, malformed filters 400.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');
const h = require('./harness');

const USERS = {
  admin: { email: 'admin@audit.example', role: 'admin' },
  analyst: { email: 'analyst@audit.example', role: 'analyst' },
  inspector: { email: 'inspector@audit.example', role: 'inspector', org: 'PH-DMW' },
  attache: { email: 'attache@audit.example', role: 'attache', org: 'MM-EMB-BKK' },
};
const MADE = { email: 'made@audit.example', name: 'Made Over HTTP', role: 'analyst', password: 'a long enough password' };
const ENTRY_KEYS = ['id', 'at', 'actor', 'actor_user_id', 'client_addr', 'request_id', 'action', 'entity',
  'entity_id', 'before', 'after'];
// Times as the log answers them: RFC 3339, UTC, microseconds.
const AUDIT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

let server;
const tokens = {};
const made = {}; // what the writes over HTTP answered: {id, createRequest, updateRequest}

before(async () => {
  const database = await h.freshDatabase({ tag: 'audit' });
  for (const [caller, user] of Object.entries(USERS)) {
    user.id = await h.addUser({ database, email: user.email, role: user.role, org: user.org });
    user.caller = caller;
  }
  server = await h.startServer({ database });
  for (const [caller, user] of Object.entries(USERS)) tokens[caller] = await h.login(server.url, user.email);

  const created = await h.api(server.url, 'POST', '/v1/users', { token: tokens.admin, json: MADE });
  assert.equal(created.status, 201, created.text);
  made.id = created.json.user.id;
  made.createRequest = created.headers.get('x-request-id');
  const renamed = await h.api(server.url, 'PATCH', `/v1/users/${made.id}`,
    { token: tokens.admin, json: { name: 'Renamed Over HTTP' } });
  assert.equal(renamed.status, 200, renamed.text);
  made.updateRequest = renamed.headers.get('x-request-id');
});

after(async () => {
  await h.stopServer(server);
});

// GET /v1/audit?QUERY as the admin (or CALLER).
function audit(query, caller = 'admin') {
  return h.api(server.url, 'GET', `/v1/audit${query ? `?${query}` : ''}`,
    { token: caller === 'anonymous' ? undefined : tokens[caller] });
}

// Asserts a 200 page and returns it; never a password hash in it.
function page(res) {
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.deepEqual(Object.keys(res.json), ['items', 'next_cursor']);
  assert.doesNotMatch(res.text, /\$argon2|a long enough password/);
  for (const item of res.json.items) assert.deepEqual(Object.keys(item), ENTRY_KEYS);
  return res.json;
}

test('creating a user over HTTP is logged with the admin as actor, the request id and the hash masked', async () => {
  const { items, next_cursor: next } = page(await audit(`request_id=${made.createRequest}`));
  assert.equal(next, null);
  assert.equal(items.length, 1, JSON.stringify(items));
  const [entry] = items;
  assert.ok(Number.isInteger(entry.id) && entry.id > 0);
  assert.match(entry.at, AUDIT_TIME);
  assert.deepEqual({ ...entry, id: 0, at: '', after: null }, {
    id: 0, at: '', actor: `user:${USERS.admin.id}`, actor_user_id: USERS.admin.id, client_addr: '127.0.0.1',
    request_id: made.createRequest, action: 'insert', entity: 'app_user', entity_id: String(made.id),
    before: null, after: null,
  });
  assert.equal(entry.after.id, made.id);
  assert.equal(entry.after.email, MADE.email);
  assert.equal(entry.after.name, MADE.name);
  assert.equal(entry.after.role, 'analyst');
  assert.equal(entry.after.password_hash, '***');
});

test('entity=app_user lists every write to the users, newest first', async () => {
  const { items, next_cursor: next } = page(await audit('entity=app_user'));
  assert.equal(next, null);
  // The update and the insert over HTTP, then the four accounts made by
  // `fairreg user add`, newest first.
  assert.deepEqual(items.map((e) => [e.action, e.entity_id, e.request_id]), [
    ['update', String(made.id), made.updateRequest],
    ['insert', String(made.id), made.createRequest],
    ...Object.values(USERS).reverse().map((u) => ['insert', String(u.id), null]),
  ]);
  const ids = items.map((e) => e.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
  for (const entry of items.slice(2)) {
    assert.equal(entry.actor, 'cli:user-add');
    assert.equal(entry.actor_user_id, null);
    assert.equal(entry.client_addr, null);
    assert.equal(entry.after.password_hash, '***');
  }
  const [update] = items;
  assert.equal(update.before.name, MADE.name);
  assert.equal(update.after.name, 'Renamed Over HTTP');
  assert.equal(update.before.password_hash, '***');
  assert.equal(update.after.password_hash, '***');
});

test('the filters combine: entity_id, actor_user_id, action, request_id', async () => {
  const only = async (query) => page(await audit(query)).items.map((e) => `${e.action} ${e.entity} ${e.entity_id}`);
  assert.deepEqual(await only(`entity=app_user&entity_id=${made.id}`),
    [`update app_user ${made.id}`, `insert app_user ${made.id}`]);
  assert.deepEqual(await only(`entity=app_user&action=update`), [`update app_user ${made.id}`]);
  assert.deepEqual(await only(`entity=app_user&actor_user_id=${USERS.admin.id}&action=insert`),
    [`insert app_user ${made.id}`]);
  assert.deepEqual(await only(`request_id=${made.updateRequest}`), [`update app_user ${made.id}`]);
  assert.deepEqual(await only(`entity=app_user&actor_user_id=${USERS.analyst.id}`), []);
  assert.deepEqual(await only('entity=no_such_table'), []);
  // Logins are writes too: each issued a token, logged masked.
  const tokensIssued = page(await audit('entity=api_token&action=insert')).items;
  assert.equal(tokensIssued.length, 4);
  for (const entry of tokensIssued) assert.equal(entry.after.token_hash, '***');
});

test('from (inclusive) and to (exclusive) select by time, in any RFC 3339 offset', async () => {
  const all = page(await audit('entity=app_user')).items;
  const insert = all[1];
  const ids = async (query) => page(await audit(query)).items.map((e) => e.id);
  assert.deepEqual(await ids(`entity=app_user&from=${insert.at}`), [all[0].id, insert.id]);
  assert.deepEqual(await ids(`entity=app_user&to=${insert.at}`), all.slice(2).map((e) => e.id));
  assert.deepEqual(await ids(`entity=app_user&from=${insert.at}&to=${insert.at}`), []);
  assert.deepEqual(await ids('entity=app_user&from=2000-01-01T07:00:00%2B07:00&to=2999-12-31t23:59:59.5z'),
    all.map((e) => e.id));
  assert.deepEqual(await ids('entity=app_user&to=2000-01-01T00:00:00Z'), []);
  // Leap seconds, fractions and offsets the database would refuse as text.
  assert.deepEqual(await ids('entity=app_user&from=2016-12-31T23:59:60.999999999Z&to=9999-12-31T00:00:00-23:59'),
    all.map((e) => e.id));
});

test('limit and cursor page through the log without gaps or repeats', async () => {
  const all = page(await audit('entity=app_user&limit=500')).items.map((e) => e.id);
  assert.equal(all.length, 6);
  const seen = [];
  let cursor = null;
  const sizes = [];
  do {
    const res = page(await audit(`entity=app_user&limit=4${cursor ? `&cursor=${cursor}` : ''}`));
    sizes.push(res.items.length);
    seen.push(...res.items.map((e) => e.id));
    cursor = res.next_cursor;
    if (cursor !== null) assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  } while (cursor !== null);
  assert.deepEqual(sizes, [4, 2]);
  assert.deepEqual(seen, all);

  // Exactly one page's worth: no next page.
  const two = page(await audit(`entity=app_user&entity_id=${made.id}&limit=2`));
  assert.equal(two.items.length, 2);
  assert.equal(two.next_cursor, null);

  // A cursor belongs to its query.
  const first = page(await audit('entity=app_user&limit=1'));
  assert.equal(typeof first.next_cursor, 'string');
  h.assertError(await audit(`entity=api_token&limit=1&cursor=${first.next_cursor}`), 400, 'bad_parameter');
  const tampered = first.next_cursor.slice(0, -2) + (first.next_cursor.endsWith('AA') ? 'BB' : 'AA');
  h.assertError(await audit(`entity=app_user&limit=1&cursor=${tampered}`), 400, 'bad_parameter');
  const next = page(await audit(`entity=app_user&limit=5&cursor=${first.next_cursor}`));
  assert.deepEqual(next.items.map((e) => e.id), all.slice(1), 'the limit may change between pages');
});

test('the entries validate against the OpenAPI document', async () => {
  const doc = (await h.api(server.url, 'GET', '/openapi.json')).json;
  const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'));
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'example' });
  const validate = ajv.compile({ $ref: '#/$defs/AuditEntry', $defs: defs });
  const { items } = page(await audit('limit=500'));
  assert.ok(items.length >= 10);
  for (const entry of items) assert.ok(validate(entry), `${JSON.stringify(entry)}: ${JSON.stringify(validate.errors)}`);
  assert.equal(validate({ ...items[0], action: 'truncate' }), false);
});

test('only admins read the log: other roles 403, anonymous 401', async () => {
  for (const caller of ['analyst', 'inspector', 'attache']) {
    const error = h.assertError(await audit('', caller), 403, 'forbidden');
    assert.ok(error.message.includes(caller), error.message);
  }
  const res = await audit('', 'anonymous');
  h.assertError(res, 401, 'unauthenticated');
  assert.match(res.headers.get('www-authenticate') || '', /^Bearer/);
});

test('malformed filters are 400 bad_parameter naming the parameter', async () => {
  const cases = [
    ['limit=0', /limit must be a whole number from 1 to 500/],
    ['limit=501', /limit must be a whole number from 1 to 500/],
    ['limit=ten', /limit/],
    ['action=truncate', /action must be insert, update or delete/],
    ['entity=App-User', /entity must be a table name/],
    ['entity=', /entity/],
    ['entity_id=', /entity_id/],
    ['actor_user_id=0', /actor_user_id must be a positive id/],
    ['actor_user_id=me', /actor_user_id/],
    ['request_id=', /request_id/],
    ['request_id=has%20space', /request_id/],
    ['from=yesterday', /from must be an RFC 3339 time/],
    ['from=2026-02-30T00:00:00Z', /from must be an RFC 3339 time/],
    ['to=2026-01-01T00:00:00', /to must be an RFC 3339 time/],
    ['to=2026-01-01T24:00:00Z', /to must be an RFC 3339 time/],
    ['to=2026-01-01 00:00:00Z', /to must be an RFC 3339 time/],
    ['from=0001-01-01T00:00:00%2B00:01', /from must be an RFC 3339 time/],
    ['from=2026-01-01T00:00:00.1234567891Z', /from must be an RFC 3339 time/],
    ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', /from must not be after to/],
    ['cursor=not-a-cursor', /cursor/],
  ];
  for (const [query, message] of cases) {
    const error = h.assertError(await audit(query), 400, 'bad_parameter');
    assert.match(error.message, message, query);
  }
  h.assertError(await audit('table=app_user'), 400, 'unknown_parameter');
});
