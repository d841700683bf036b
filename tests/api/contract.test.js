// The contract check: every public GET operation of the OpenAPI document the
// server serves is called on a running server over a seeded register, and
// each answer's status, content type and body are validated against the
// document (ajv, JSON Schema 2020-12 with formats).  Each operation is also
// called so that it must fail (an unknown parameter; an unknown id), and the
// error answer is validated too.  A last test proves the validator is not
// vacuous: deliberately wrong bodies must be rejected.  The run closes with
// "N passed, N failed" over the checked answers.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');
const { documentChecker } = require('./openapi_check');
const { seedRegister } = require('./public_seed');

let server;
let ids;
let filedReference; // of a complaint filed in before()
let doc;
let check; // (operation, res) => problems
const tally = { passed: 0, failed: 0 };

// Values for parameters that the document gives no example of.
function samples() {
  return {
    path: {
      '/v1/agencies/{id}': { id: ids.agencies.example },
      '/v1/licences/{id}': { id: ids.licences.poea },
      '/v1/complaint-status/{reference}': { reference: filedReference },
    },
    query: {
      number: 'poea 123 lb 031524 r',
      authority: 'PH-DMW',
    },
    missing: {
      '/v1/agencies/{id}': { id: 999999 },
      '/v1/licences/{id}': { id: 999999 },
      '/v1/complaint-status/{reference}': { reference: referenceWithCheck('ZZZZZZZZZZZ') },
    },
  };
}

// A complaint reference whose check symbol fits (Luhn mod 32 over Crockford's
// base 32, as server/complaint_ref.c makes them) for eleven SYMBOLS.
function referenceWithCheck(symbols) {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let sum = 0;
  let doubled = true;
  for (let i = symbols.length - 1; i >= 0; i--) {
    const addend = alphabet.indexOf(symbols[i]) * (doubled ? 2 : 1);
    sum += Math.floor(addend / 32) + (addend % 32);
    doubled = !doubled;
  }
  const all = symbols + alphabet[(32 - (sum % 32)) % 32];
  return `${all.slice(0, 4)}-${all.slice(4, 8)}-${all.slice(8)}`;
}

// The public GET operations: those whose security (own or the document's)
// allows anonymous calls.
function publicGets() {
  const out = [];
  for (const [pattern, item] of Object.entries(doc.paths)) {
    const operation = item.get;
    if (!operation) continue;
    const security = operation.security || doc.security || [];
    const anonymous = security.length === 0 || security.some((s) => Object.keys(s).length === 0);
    if (!anonymous) continue;
    out.push({ pattern, operation, parameters: [...(item.parameters || []), ...(operation.parameters || [])] });
  }
  return out;
}

// A concrete address for OP: path parameters and required query parameters
// from the document's examples or the samples; EXTRA query appended.
function address(op, pathValues, extra = '') {
  let url = op.pattern;
  const query = new URLSearchParams();
  for (const p of op.parameters) {
    const example = p.example !== undefined ? p.example
      : (p.schema && p.schema.examples ? p.schema.examples[0] : undefined);
    if (p.in === 'path') {
      const value = pathValues && pathValues[p.name] !== undefined ? pathValues[p.name] : example;
      assert.notEqual(value, undefined,
        `no sample for path parameter ${p.name} of ${op.pattern}: add an example to the document`);
      url = url.replace(`{${p.name}}`, encodeURIComponent(String(value)));
    } else if (p.in === 'query' && p.required) {
      const value = example !== undefined ? example : samples().query[p.name];
      assert.notEqual(value, undefined,
        `no sample for required query parameter ${p.name} of ${op.pattern}: add an example to the document`);
      query.set(p.name, String(value));
    }
  }
  const qs = query.toString();
  return url + (qs ? `?${qs}` : '') + (extra ? (qs ? '&' : '?') + extra : '');
}

function record(label, problems) {
  if (problems.length === 0) tally.passed += 1;
  else tally.failed += 1;
  assert.deepEqual(problems, [], `${label} breaks the contract`);
}

before(async () => {
  const database = await h.freshDatabase({ tag: 'contract' });
  ids = await seedRegister(database);
  server = await h.startServer({ database, env: { FAIRREG_PUBLIC_PER_MINUTE: '0' } });
  const filed = await h.api(server.url, 'POST', '/v1/complaints', {
    json: { agency_id: ids.agencies.example, categories: ['deception'], description: 'contract check' },
  });
  assert.equal(filed.status, 201, filed.text);
  filedReference = filed.json.reference;
  const res = await h.api(server.url, 'GET', '/openapi.json');
  assert.equal(res.status, 200);
  doc = JSON.parse(res.text);
  ({ check } = documentChecker(doc));
});

after(async () => {
  await h.stopServer(server);
  // The closing line of the contract run.
  console.log(`contract: ${tally.passed} passed, ${tally.failed} failed`);
});

test('the document describes the public read API', () => {
  const patterns = publicGets().map((op) => op.pattern);
  for (const expected of ['/v1/agencies', '/v1/agencies/{id}', '/v1/licences', '/v1/licences/{id}',
    '/v1/authorities', '/v1/sanctions', '/v1/export/licences.csv', '/v1/export/licences.json',
    '/v1/export/licences.xml', '/v1/changes', '/feeds/licences.atom']) {
    assert.ok(patterns.includes(expected), `GET ${expected} is not documented as public`);
  }
});

test('every public GET answers as the document says', async (t) => {
  const s = samples();
  for (const op of publicGets()) {
    await t.test(`GET ${op.pattern}`, async () => {
      const path = address(op, s.path[op.pattern]);
      const res = await h.api(server.url, 'GET', path);
      assert.ok(res.status >= 200 && res.status < 300, `GET ${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
      record(`GET ${path}`, check(op.operation, res));
    });
    await t.test(`GET ${op.pattern} with an unknown parameter`, async () => {
      const path = address(op, s.path[op.pattern], 'no_such_parameter=1');
      const res = await h.api(server.url, 'GET', path);
      assert.equal(res.status, 400);
      record(`GET ${path}`, check(op.operation, res));
    });
    if (s.missing[op.pattern]) {
      await t.test(`GET ${op.pattern} for an id that does not exist`, async () => {
        const path = address(op, s.missing[op.pattern]);
        const res = await h.api(server.url, 'GET', path);
        assert.equal(res.status, 404);
        record(`GET ${path}`, check(op.operation, res));
      });
    }
  }
});

test('the answers of the search, the lookups and the feeds validate in their other shapes', async () => {
  const byPattern = Object.fromEntries(publicGets().map((op) => [op.pattern, op.operation]));
  const calls = [
    ['/v1/agencies', '/v1/agencies?q=Nguyen&limit=1'],
    ['/v1/agencies', '/v1/agencies?limit=5&standing=not_good'],
    ['/v1/agencies', '/v1/agencies?q=zzzzqqqq'],
    ['/v1/agencies/{id}', `/v1/agencies/${ids.agencies.harbor}`],
    ['/v1/licences', '/v1/licences?number=nothing-like-it'],
    ['/v1/licences/{id}', `/v1/licences/${ids.licences.revoked}`],
    ['/v1/sanctions', '/v1/sanctions?active=true'],
    ['/v1/sanctions', '/v1/sanctions?active=false'],
    ['/v1/changes', '/v1/changes?limit=3'],
    ['/v1/agencies', '/v1/agencies?limit=500'],
    ['/v1/export/licences.xml', '/v1/export/licences.xml?authority=XX-NONE'],
  ];
  for (const [pattern, path] of calls) {
    assert.ok(byPattern[pattern], `${pattern} is not documented`);
    const res = await h.api(server.url, 'GET', path);
    record(`GET ${path}`, check(byPattern[pattern], res));
  }
  const first = await h.api(server.url, 'GET', `/v1/licences/${ids.licences.poea}`);
  const notModified = await h.api(server.url, 'GET', `/v1/licences/${ids.licences.poea}`,
    { headers: { 'if-none-match': first.headers.get('etag') } });
  assert.equal(notModified.status, 304);
  record('GET /v1/licences/{id} (304)', check(byPattern['/v1/licences/{id}'], notModified));
});

test('the validator rejects deliberately wrong bodies (the check is not vacuous)', async () => {
  const byPattern = Object.fromEntries(publicGets().map((op) => [op.pattern, op.operation]));
  const licenceOp = byPattern['/v1/licences/{id}'];
  const good = await h.api(server.url, 'GET', `/v1/licences/${ids.licences.poea}`);
  assert.deepEqual(check(licenceOp, good), []);

  const wrong = (mutate) => {
    const body = JSON.parse(good.text);
    mutate(body);
    return { status: 200, headers: good.headers, text: JSON.stringify(body) };
  };
  const cases = {
    'a required field missing': (b) => { delete b.in_good_standing; },
    'an undocumented field': (b) => { b.extra = 1; },
    'a status outside the vocabulary': (b) => { b.status = 'dormant'; },
    'a date in another format': (b) => { b.valid_until = '14/03/2099'; },
    'a wrong type': (b) => { b.id = '1'; },
    'a nested object with a missing field': (b) => { delete b.authority.country; },
    'a history source that names a user': (b) => { b.history[0].source = 'user:5'; },
  };
  for (const [label, mutate] of Object.entries(cases)) {
    assert.notDeepEqual(check(licenceOp, wrong(mutate)), [], `the validator accepted ${label}`);
  }
  assert.notDeepEqual(check(licenceOp, { status: 418, headers: good.headers, text: '{}' }), [],
    'an undocumented status was accepted');
  const agencies = byPattern['/v1/agencies'];
  const page = await h.api(server.url, 'GET', '/v1/agencies?limit=2');
  assert.deepEqual(check(agencies, page), []);
  const broken = JSON.parse(page.text);
  delete broken.next_cursor;
  assert.notDeepEqual(check(agencies, { status: 200, headers: page.headers, text: JSON.stringify(broken) }), []);
});
