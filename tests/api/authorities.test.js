// GET /v1/authorities (the public list of licensing authorities) and
// `fairreg authority add`, which extends it.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

let database;
let server;

before(async () => {
  database = await h.freshDatabase({ tag: 'authorities' });
  server = await h.startServer({ database });
});

after(async () => {
  await h.stopServer(server);
});

async function listAuthorities() {
  const res = await h.api(server.url, 'GET', '/v1/authorities');
  assert.equal(res.status, 200, res.text);
  return res;
}

function authorityAdd(args) {
  return h.fairreg(['authority', 'add', ...args], { database });
}

test('GET /v1/authorities lists exactly the ten seeded authorities, each with code, country and name', async () => {
  const res = await listAuthorities();
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  assert.deepEqual(Object.keys(res.json), ['items']);
  const codes = res.json.items.map((a) => a.code);
  assert.deepEqual([...codes].sort(), h.SEEDED_AUTHORITIES);
  for (const authority of res.json.items) {
    assert.match(authority.country, /^[A-Z]{2}$/, authority.code);
    assert.equal(authority.country, authority.code.slice(0, 2), authority.code);
    assert.equal(typeof authority.name, 'string', authority.code);
    assert.notEqual(authority.name.trim(), '', authority.code);
  }
  const dmw = res.json.items.find((a) => a.code === 'PH-DMW');
  assert.equal(dmw.country, 'PH');
  assert.equal(dmw.name, 'Department of Migrant Workers');
});

test('GET /v1/authorities may be read from any origin (Access-Control-Allow-Origin: *)', async () => {
  const res = await listAuthorities();
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
});

test('staff replies are not opened to other origins', async () => {
  const res = await h.api(server.url, 'GET', '/v1/auth/tokens/current');
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('access-control-allow-origin'), null);
});

test('`fairreg authority add` exits 0 and the authority is listed at once', async () => {
  const result = await authorityAdd(['XX-TEST', '--country', 'XX', '--name', 'Test Authority']);
  assert.equal(result.code, 0, result.stderr);
  const res = await listAuthorities();
  const added = res.json.items.find((a) => a.code === 'XX-TEST');
  assert.ok(added, 'XX-TEST is not listed');
  assert.equal(added.country, 'XX');
  assert.equal(added.name, 'Test Authority');
  assert.equal(res.json.items.length, h.SEEDED_AUTHORITIES.length + 1);
});

test('`fairreg authority add` of a code that exists exits 1 and changes nothing', async () => {
  const again = await authorityAdd(['XX-TEST', '--country', 'XX', '--name', 'Another Name']);
  assert.equal(again.code, 1, again.stderr);
  assert.match(again.stderr, /XX-TEST/);
  const seeded = await authorityAdd(['PH-DMW', '--country', 'PH', '--name', 'Renamed']);
  assert.equal(seeded.code, 1, seeded.stderr);
  const res = await listAuthorities();
  assert.equal(res.json.items.find((a) => a.code === 'XX-TEST').name, 'Test Authority');
  assert.equal(res.json.items.find((a) => a.code === 'PH-DMW').name, 'Department of Migrant Workers');
});

test('`fairreg authority add` exits 2 on bad usage: bad country, bad code, missing name', async () => {
  const cases = [
    ['XY-TEST', '--country', 'xy', '--name', 'Lower Case Country'],
    ['XY-TEST', '--country', 'XYZ', '--name', 'Three Letters'],
    ['XY-TEST', '--country', '', '--name', 'Empty Country'],
    ['xy-test', '--country', 'XY', '--name', 'Lower Case Code'],
    ['XY-TEST', '--country', 'XY'],
    ['--country', 'XY', '--name', 'No Code'],
    ['XY-TEST', '--country', 'XY', '--name', 'Extra', 'surplus'],
  ];
  for (const args of cases) {
    const result = await authorityAdd(args);
    assert.equal(result.code, 2, `authority add ${args.join(' ')}: ${result.stderr}`);
    assert.notEqual(result.stderr, '', 'a usage error says what is wrong');
  }
  const codes = (await listAuthorities()).json.items.map((a) => a.code);
  assert.ok(!codes.some((c) => c.startsWith('XY')), `added despite the usage error: ${codes}`);
});

test('anonymous reads of the public register are limited per address: 429 rate_limited with Retry-After; staff and /healthz are not', async () => {
  const limited = await h.startServer({ database, env: { FAIRREG_PUBLIC_PER_MINUTE: '5' } });
  try {
    await h.addUser({ database, email: `analyst-${process.pid}@authorities.example`, role: 'analyst' });
    const token = await h.login(limited.url, `analyst-${process.pid}@authorities.example`);
    for (let i = 0; i < 5; i++) {
      const res = await h.api(limited.url, 'GET', '/v1/authorities');
      assert.equal(res.status, 200, `read ${i + 1}: ${res.text}`);
    }
    const over = await h.api(limited.url, 'GET', '/v1/authorities');
    h.assertError(over, 429, 'rate_limited');
    const retryAfter = over.headers.get('retry-after');
    assert.match(retryAfter || '', /^\d+$/);
    assert.ok(Number(retryAfter) > 0, `Retry-After is ${retryAfter}`);
    assert.equal((await h.api(limited.url, 'GET', '/healthz')).status, 200);
    assert.equal((await h.api(limited.url, 'GET', '/v1/authorities', { token })).status, 200);
  } finally {
    await h.stopServer(limited);
  }
});
