// Staff authentication: logging in for a bearer token, asking who the token
// belongs to, revoking it, refusing bad credentials and bad tokens alike,
// limiting failed logins per address, and keeping secrets out of the log.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const INSPECTOR = { email: 'ines@auth.example', password: 'inspector password 1', name: 'Ines Inspector' };
const DISABLED = { email: 'dana@auth.example', password: 'soon disabled password' };
const ADMIN = { email: 'admin@auth.example', password: 'administrator password' };
const TOKEN_SHAPE = /^fr_[A-Za-z0-9_-]{43}$/;

let database;
let server;
const ids = {};
// Every token and password this file used, for the log scan at the end.
const secrets = [INSPECTOR.password, DISABLED.password, ADMIN.password, 'not the password at all'];
// The logs (live arrays) of the other servers this file starts, for the same scan.
const otherLogs = [];

before(async () => {
  database = await h.freshDatabase({ tag: 'auth' });
  ids.inspector = await h.addUser({ database, ...INSPECTOR, role: 'inspector', org: 'PH-DMW' });
  ids.disabled = await h.addUser({ database, ...DISABLED, role: 'analyst' });
  ids.admin = await h.addUser({ database, ...ADMIN, role: 'admin' });
  server = await h.startServer({ database });
});

after(async () => {
  await h.stopServer(server);
});

async function loginRequest(email, password) {
  return h.api(server.url, 'POST', '/v1/auth/tokens', { json: { email, password } });
}

let inspectorToken;

test('a login answers 201 with a bearer token, its expiry and the user', async () => {
  const res = await loginRequest(INSPECTOR.email, INSPECTOR.password);
  assert.equal(res.status, 201, res.text);
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  assert.deepEqual(Object.keys(res.json).sort(), ['expires_at', 'token', 'token_type', 'user']);
  assert.match(res.json.token, TOKEN_SHAPE);
  assert.equal(res.json.token_type, 'Bearer');
  assert.match(res.json.expires_at, h.RFC3339_UTC);
  assert.ok(Date.parse(res.json.expires_at) > Date.now(), `expires_at ${res.json.expires_at} is not in the future`);
  assert.deepEqual(res.json.user, { id: ids.inspector, role: 'inspector', org: 'PH-DMW' });
  inspectorToken = res.json.token;
  secrets.push(inspectorToken);
});

test('the e-mail address of a login is matched without regard to case', async () => {
  const res = await loginRequest(INSPECTOR.email.toUpperCase(), INSPECTOR.password);
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.user.id, ids.inspector);
  secrets.push(res.json.token);
});

test('GET /v1/auth/tokens/current answers the token\'s user', async () => {
  const res = await h.api(server.url, 'GET', '/v1/auth/tokens/current', { token: inspectorToken });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  assert.deepEqual(Object.keys(res.json), ['user']);
  const { created_at: createdAt, updated_at: updatedAt, ...user } = res.json.user;
  assert.deepEqual(user, {
    id: ids.inspector, email: INSPECTOR.email, name: INSPECTOR.name,
    role: 'inspector', org: 'PH-DMW', disabled: false,
  });
  assert.match(createdAt, h.RFC3339_UTC);
  assert.match(updatedAt, h.RFC3339_UTC);
});

test('a wrong password and an unknown e-mail get the same 401 bad_credentials', async () => {
  const wrong = await loginRequest(INSPECTOR.email, 'not the password at all');
  h.assertError(wrong, 401, 'bad_credentials');
  const unknown = await loginRequest('nobody@auth.example', 'not the password at all');
  h.assertError(unknown, 401, 'bad_credentials');
  assert.deepEqual(unknown.json, wrong.json);
});

test('a disabled account cannot log in, and the token it had stops working', async () => {
  const token = await h.login(server.url, DISABLED.email, DISABLED.password);
  secrets.push(token);
  assert.equal((await h.api(server.url, 'GET', '/v1/auth/tokens/current', { token })).status, 200);

  // Disabled behind the server's back (users.test.js pins PATCH itself): the
  // server must not trust anything it remembered about the account.
  await h.psql(database, `UPDATE app_user SET disabled = true WHERE id = ${ids.disabled}`);

  h.assertError(await loginRequest(DISABLED.email, DISABLED.password), 401, 'bad_credentials');
  const stale = await h.api(server.url, 'GET', '/v1/auth/tokens/current', { token });
  h.assertError(stale, 401, 'unauthenticated');
});

test('a malformed, unknown or missing bearer token is 401 unauthenticated with WWW-Authenticate', async () => {
  const cases = [
    { authorization: 'Bearer nope' },
    { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    { authorization: `Bearer fr_${'A'.repeat(43)}` }, // well-formed, never issued
    { authorization: `Bearer ${inspectorToken}x` },
    { authorization: `Bearer ${inspectorToken.slice(0, -1)}!` },
  ];
  for (const headers of cases) {
    const res = await h.api(server.url, 'GET', '/v1/auth/tokens/current', { headers });
    h.assertError(res, 401, 'unauthenticated');
    assert.match(res.headers.get('www-authenticate') || '', /^Bearer\b/, headers.authorization);
  }
  const none = await h.api(server.url, 'GET', '/v1/auth/tokens/current');
  h.assertError(none, 401, 'unauthenticated');
  assert.match(none.headers.get('www-authenticate') || '', /^Bearer\b/);
});

test('DELETE /v1/auth/tokens/current revokes the token: 204, then 401', async () => {
  const token = await h.login(server.url, INSPECTOR.email, INSPECTOR.password);
  secrets.push(token);
  const res = await h.api(server.url, 'DELETE', '/v1/auth/tokens/current', { token });
  assert.equal(res.status, 204, res.text);
  assert.equal(res.text, '');
  h.assertError(await h.api(server.url, 'GET', '/v1/auth/tokens/current', { token }), 401, 'unauthenticated');
  h.assertError(await h.api(server.url, 'DELETE', '/v1/auth/tokens/current', { token }), 401, 'unauthenticated');
  // Other tokens of the same user are untouched.
  assert.equal((await h.api(server.url, 'GET', '/v1/auth/tokens/current', { token: inspectorToken })).status, 200);
});

test('failed logins are limited per address: after 3 a right password gets 429 rate_limited with Retry-After', async () => {
  const limited = await h.startServer({ database, env: { FAIRREG_LOGIN_PER_MINUTE: '3' } });
  try {
    for (let i = 0; i < 3; i++) {
      const res = await h.api(limited.url, 'POST', '/v1/auth/tokens', {
        json: { email: INSPECTOR.email, password: 'not the password at all' },
      });
      h.assertError(res, 401, 'bad_credentials');
    }
    const res = await h.api(limited.url, 'POST', '/v1/auth/tokens', {
      json: { email: INSPECTOR.email, password: INSPECTOR.password },
    });
    h.assertError(res, 429, 'rate_limited');
    const retryAfter = res.headers.get('retry-after');
    assert.match(retryAfter || '', /^\d+$/, `Retry-After is ${retryAfter}`);
    assert.ok(Number(retryAfter) > 0 && Number(retryAfter) <= 60, `Retry-After is ${retryAfter}`);
  } finally {
    otherLogs.push(limited.logs); // live: gets the lines of the stop too
    await h.stopServer(limited);
  }
});

test('successful logins are not limited', async () => {
  // The limit counts failures only: more logins than the limit of 3 all pass.
  const generous = await h.startServer({ database, env: { FAIRREG_LOGIN_PER_MINUTE: '3' } });
  try {
    for (let i = 0; i < 4; i++) {
      const res = await h.api(generous.url, 'POST', '/v1/auth/tokens', {
        json: { email: INSPECTOR.email, password: INSPECTOR.password },
      });
      assert.equal(res.status, 201, `login ${i + 1}: ${res.text}`);
      secrets.push(res.json.token);
    }
  } finally {
    otherLogs.push(generous.logs);
    await h.stopServer(generous);
  }
});

test('the log is JSON lines; request lines name the route pattern, never the raw path, nor any secret', async () => {
  const adminToken = await h.login(server.url, ADMIN.email, ADMIN.password);
  secrets.push(adminToken);
  const res = await h.api(server.url, 'GET', `/v1/users/${ids.inspector}`, { token: adminToken });
  assert.equal(res.status, 200, res.text);
  const requestId = res.headers.get('x-request-id');
  const line = await server.waitForLog((l) => l.request_id === requestId);
  assert.equal(line.route, '/v1/users/{id}');
  assert.equal(line.method, 'GET');
  assert.equal(line.status, 200);
  assert.equal(typeof line.duration_ms, 'number');
  assert.ok(line.duration_ms >= 0);

  const logs = [server.logs, ...otherLogs].flat();
  const text = logs.join('\n');
  assert.ok(!text.includes(`/v1/users/${ids.inspector}`), 'a raw path with an id is in the log');
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `a secret is in the log: ${secret.slice(0, 6)}...`);
  }
  for (const raw of logs) {
    const parsed = h.parseLogLine(raw);
    assert.ok(parsed, `not a JSON log line: ${raw}`);
    assert.equal(typeof parsed.level, 'string', raw);
    if ('request_id' in parsed) {
      assert.match(parsed.request_id, /^[0-9a-f]{16}$/, raw);
      assert.equal(typeof parsed.status, 'number', raw);
      assert.equal(typeof parsed.duration_ms, 'number', raw);
      assert.ok(parsed.route === '(none)' || /^\/[a-z0-9/{}._-]*$/.test(parsed.route), raw);
    }
  }
});
