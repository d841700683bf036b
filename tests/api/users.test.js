// Staff accounts: an administrator creates, reads, lists and changes them
// over HTTP; `fairreg user add` creates them from the command line.  A
// password or its hash never leaves the server.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const ADMIN = { email: 'admin@users.example', password: 'administrator password' };
const NEW_INSPECTOR = {
  email: 'Ines.Ortega@users.example', name: 'Inés Ortega', role: 'inspector', org: 'PH-DMW',
  password: 'inspector password 2026',
};
const USER_KEYS = ['created_at', 'disabled', 'email', 'id', 'name', 'org', 'role', 'updated_at'];

let database;
let server;
let adminId;
let adminToken;
let inspector; // the account made over HTTP, as the server answered it

before(async () => {
  database = await h.freshDatabase({ tag: 'users' });
  adminId = await h.addUser({ database, ...ADMIN, role: 'admin', name: 'Ada Admin' });
  server = await h.startServer({ database });
  adminToken = await h.login(server.url, ADMIN.email, ADMIN.password);
});

after(async () => {
  await h.stopServer(server);
});

function asAdmin(method, path, json) {
  return h.api(server.url, method, path, { token: adminToken, json });
}

// The account of the first test: as its reply gave it, or (if that reply was
// wrong) as the list gives it, so that the later tests still test their own
// behaviour.
async function theInspector() {
  if (!inspector) {
    const list = await asAdmin('GET', '/v1/users');
    inspector = (list.json?.items || []).find((u) => u.email.toLowerCase() === NEW_INSPECTOR.email.toLowerCase());
  }
  assert.ok(inspector, 'the account of the first test does not exist');
  return inspector;
}

// Asserts that TEXT (a reply body) has no password, hash or argon2 string.
function assertNoSecrets(text, password) {
  assert.doesNotMatch(text, /password|hash|\$argon2/i);
  if (password) assert.ok(!text.includes(password), 'the password is in the reply');
}

test('an admin creates an inspector: 201 with the account and no password or hash', async () => {
  const res = await asAdmin('POST', '/v1/users', NEW_INSPECTOR);
  assert.equal(res.status, 201, res.text);
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  assertNoSecrets(res.text, NEW_INSPECTOR.password);
  assert.deepEqual(Object.keys(res.json), ['user']);
  const { user } = res.json;
  assert.deepEqual(Object.keys(user).sort(), USER_KEYS);
  assert.ok(Number.isInteger(user.id) && user.id > adminId, `id ${user.id}`);
  assert.equal(user.email, NEW_INSPECTOR.email);
  assert.equal(user.name, NEW_INSPECTOR.name);
  assert.equal(user.role, 'inspector');
  assert.equal(user.org, 'PH-DMW');
  assert.equal(user.disabled, false);
  assert.match(user.created_at, h.RFC3339_UTC);
  assert.match(user.updated_at, h.RFC3339_UTC);
  inspector = user;
});

test('GET /v1/users/{id} answers the account as it was created', async () => {
  const inspector = await theInspector();
  const res = await asAdmin('GET', `/v1/users/${inspector.id}`);
  assert.equal(res.status, 200, res.text);
  assertNoSecrets(res.text);
  assert.deepEqual(res.json, { user: inspector });
});

test('the new user can log in with the password the admin set', async () => {
  const inspector = await theInspector();
  const res = await h.api(server.url, 'POST', '/v1/auth/tokens', {
    json: { email: NEW_INSPECTOR.email, password: NEW_INSPECTOR.password },
  });
  assert.equal(res.status, 201, res.text);
  assert.deepEqual(res.json.user, { id: inspector.id, role: 'inspector', org: 'PH-DMW' });
});

test('an e-mail address already in use, in any case, is 409 conflict', async () => {
  for (const email of [NEW_INSPECTOR.email, NEW_INSPECTOR.email.toLowerCase(), ADMIN.email.toUpperCase()]) {
    const res = await asAdmin('POST', '/v1/users', { ...NEW_INSPECTOR, email });
    h.assertError(res, 409, 'conflict');
  }
});

test('an unknown role is 422 invalid_field', async () => {
  for (const role of ['superuser', 'Admin', '']) {
    const res = await asAdmin('POST', '/v1/users', {
      email: 'x@users.example', name: 'X', role, password: 'long enough password',
    });
    h.assertError(res, 422, 'invalid_field');
  }
});

test('an inspector or attache without an organisation is 422 invalid_field', async () => {
  for (const role of ['inspector', 'attache']) {
    const res = await asAdmin('POST', '/v1/users', {
      email: `no-org-${role}@users.example`, name: 'No Org', role, password: 'long enough password',
    });
    h.assertError(res, 422, 'invalid_field');
  }
});

test('a password shorter than 12 bytes is 422 invalid_field', async () => {
  const res = await asAdmin('POST', '/v1/users', {
    email: 'short@users.example', name: 'Short', role: 'analyst', password: 'elevenbytes',
  });
  h.assertError(res, 422, 'invalid_field');
});

test('a malformed e-mail, an empty name or an unknown field is 422 invalid_field', async () => {
  const valid = { email: 'ok@users.example', name: 'Ok', role: 'analyst', password: 'long enough password' };
  for (const body of [
    { ...valid, email: 'not-an-address' },
    { ...valid, name: '' },
    { ...valid, org: 'lower-case' },
    { ...valid, admin: true },
    { email: valid.email, name: valid.name, role: valid.role },
  ]) {
    h.assertError(await asAdmin('POST', '/v1/users', body), 422, 'invalid_field');
  }
  // None of them was created.
  const list = await asAdmin('GET', '/v1/users');
  assert.equal(list.status, 200, list.text);
  assert.ok(!list.json.items.some((u) => u.email === valid.email));
});

test('PATCH changes the name and the role', async () => {
  const inspector = await theInspector();
  const res = await asAdmin('PATCH', `/v1/users/${inspector.id}`, { name: 'Inés Ortega-Reyes', role: 'analyst' });
  assert.equal(res.status, 200, res.text);
  assertNoSecrets(res.text);
  assert.deepEqual(Object.keys(res.json.user).sort(), USER_KEYS);
  assert.equal(res.json.user.name, 'Inés Ortega-Reyes');
  assert.equal(res.json.user.role, 'analyst');
  assert.equal(res.json.user.email, NEW_INSPECTOR.email);
  assert.equal(res.json.user.created_at, inspector.created_at);
  const read = await asAdmin('GET', `/v1/users/${inspector.id}`);
  assert.equal(read.json.user.name, 'Inés Ortega-Reyes');
  assert.equal(read.json.user.role, 'analyst');
});

test('PATCH with nothing to change, an unknown field or a bad value is 422 invalid_field', async () => {
  const inspector = await theInspector();
  for (const body of [{}, { email: 'new@users.example' }, { role: 'root' }, { disabled: 'yes' }, { name: '' },
    { password: 'short' }]) {
    h.assertError(await asAdmin('PATCH', `/v1/users/${inspector.id}`, body), 422, 'invalid_field');
  }
});

test('PATCH of an account that does not exist is 404 not_found', async () => {
  h.assertError(await asAdmin('PATCH', '/v1/users/999999', { name: 'Nobody' }), 404, 'not_found');
});

test('a disabled account cannot log in: 401 bad_credentials', async () => {
  const inspector = await theInspector();
  const res = await asAdmin('PATCH', `/v1/users/${inspector.id}`, { disabled: true });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.user.disabled, true);
  const loginRes = await h.api(server.url, 'POST', '/v1/auth/tokens', {
    json: { email: NEW_INSPECTOR.email, password: NEW_INSPECTOR.password },
  });
  h.assertError(loginRes, 401, 'bad_credentials');
});

test('an admin cannot disable or demote themselves: 409 conflict, and nothing changes', async () => {
  h.assertError(await asAdmin('PATCH', `/v1/users/${adminId}`, { disabled: true }), 409, 'conflict');
  for (const role of ['inspector', 'attache', 'analyst']) {
    h.assertError(await asAdmin('PATCH', `/v1/users/${adminId}`, { role, org: 'PH-DMW' }), 409, 'conflict');
  }
  const me = await asAdmin('GET', `/v1/users/${adminId}`);
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.user.role, 'admin');
  assert.equal(me.json.user.disabled, false);
  assert.equal(me.json.user.org, null);
  // The admin token still works.
  assert.equal((await asAdmin('GET', '/v1/auth/tokens/current')).status, 200);
});

test('an admin may change their own name', async () => {
  const res = await asAdmin('PATCH', `/v1/users/${adminId}`, { name: 'Ada A. Admin' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.user.name, 'Ada A. Admin');
  assert.equal(res.json.user.role, 'admin');
});

test('GET /v1/users lists every account in id order, without secrets', async () => {
  const res = await asAdmin('GET', '/v1/users');
  assert.equal(res.status, 200, res.text);
  assertNoSecrets(res.text);
  assert.deepEqual(Object.keys(res.json), ['items']);
  const ids = res.json.items.map((u) => u.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.equal(new Set(ids).size, ids.length);
  for (const user of res.json.items) assert.deepEqual(Object.keys(user).sort(), USER_KEYS);
  assert.ok(ids.includes(adminId), 'the admin is listed');
  assert.ok(ids.includes((await theInspector()).id), 'the account made over HTTP is listed');
  const count = Number(await h.psql(database, 'SELECT count(*) FROM app_user'));
  assert.equal(res.json.items.length, count);
});

// ---- the command line ----

function userAdd(args, password = 'a long enough password') {
  return h.fairreg(['user', 'add', ...args], { database, input: `${password}\n` });
}

test('`fairreg user add` exits 0 and the account can log in', async () => {
  const result = await userAdd(['--email', 'cli@users.example', '--role', 'attache', '--org', 'MM-EMB-BKK',
    '--name', 'Cli Attaché'], 'attache password 99');
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /added attache user cli@users\.example \(id \d+\)/);
  assert.ok(!`${result.stdout}${result.stderr}`.includes('attache password 99'));
  const res = await h.api(server.url, 'POST', '/v1/auth/tokens', {
    json: { email: 'cli@users.example', password: 'attache password 99' },
  });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.user.role, 'attache');
  assert.equal(res.json.user.org, 'MM-EMB-BKK');
});

test('`fairreg user add` exits 2 on bad usage: no --role, a bad role, a short password, no org', async () => {
  const cases = [
    [['--email', 'u1@users.example'], 'a long enough password'],
    [['--role', 'analyst'], 'a long enough password'],
    [['--email', 'u2@users.example', '--role', 'superuser'], 'a long enough password'],
    [['--email', 'u3@users.example', '--role', 'analyst'], 'short'],
    [['--email', 'u4@users.example', '--role', 'inspector'], 'a long enough password'],
    [['--email', 'u5@users.example', '--role', 'analyst', 'extra'], 'a long enough password'],
  ];
  for (const [args, password] of cases) {
    const result = await userAdd(args, password);
    assert.equal(result.code, 2, `user add ${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /fairreg user add|usage:/);
  }
  const noPassword = await h.fairreg(['user', 'add', '--email', 'u6@users.example', '--role', 'analyst'],
    { database, input: '' });
  assert.equal(noPassword.code, 2, noPassword.stderr);
  const made = await h.psql(database, "SELECT count(*) FROM app_user WHERE email LIKE 'u_@users.example'");
  assert.equal(made, '0');
});

test('`fairreg user add` exits 1 when the e-mail address is taken, in any case', async () => {
  for (const email of [ADMIN.email, ADMIN.email.toUpperCase()]) {
    const result = await userAdd(['--email', email, '--role', 'analyst']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /exists/);
  }
});
