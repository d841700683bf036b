// POST /v1/imports (the upload, streamed to a temporary file and read by the
// same loader as `fairreg import`), GET /v1/imports and GET /v1/imports/{id}.
// The server runs with FAIRREG_IMPORT_MAX_BYTES=100000 so that the limit is
// easy to cross.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Readable } = require('node:stream');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');
const h = require('./harness');
const t = require('./import_helpers');

const LIMIT = 100000;
let server;
let database;
const tokens = {};
let schemas;

// The response schemas of the OpenAPI document (server/openapi.json), strict
// (additionalProperties false): conform(value, schema) asserts that VALUE is
// valid against the schema of the document at SCHEMA (a path such as
// ['paths', '/v1/imports', 'get', ...]) or the component named SCHEMA.
function loadSchemas() {
  const doc = JSON.parse(fs.readFileSync(path.join(h.ROOT, 'server', 'openapi.json'), 'utf8'));
  const rewrite = (value) => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const out = {};
    for (const [key, child] of Object.entries(value)) {
      out[key] = key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')
        ? `#/$defs/${child.slice('#/components/schemas/'.length)}` : rewrite(child);
    }
    return out;
  };
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false });
  addFormats(ajv);
  const defs = rewrite(doc.components.schemas);
  const compiled = new Map();
  return (value, where) => {
    const schema = typeof where === 'string'
      ? { $ref: `#/$defs/${where}` }
      : where.reduce((node, key) => node[key], doc);
    const key = JSON.stringify(where);
    if (!compiled.has(key)) compiled.set(key, ajv.compile({ ...rewrite(schema), $defs: defs }));
    const validate = compiled.get(key);
    assert.ok(validate(value), `${key}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
  };
}

before(async () => {
  database = await h.freshDatabase({ tag: 'imp_http' });
  await h.addUser({ database, email: 'admin@imports.example', role: 'admin' });
  await h.addUser({ database, email: 'inspector@imports.example', role: 'inspector', org: 'PH-DMW' });
  server = await h.startServer({ database, env: { FAIRREG_IMPORT_MAX_BYTES: String(LIMIT) } });
  tokens.admin = await h.login(server.url, 'admin@imports.example');
  tokens.inspector = await h.login(server.url, 'inspector@imports.example');
  schemas = loadSchemas();
});

after(async () => {
  await h.stopServer(server);
});

const XML = { 'content-type': 'application/xml' };
const BASE = [t.agency(1), t.agency(2), t.agency(3, { licences: 1 })];

function upload(query, body, { token = tokens.admin, headers = XML, ...rest } = {}) {
  return h.api(server.url, 'POST', `/v1/imports?${query}`, { token, body, headers, timeoutMs: 60000, ...rest });
}

test('an admin uploads a list: 201 with the report and the run\'s address; the register has it', async () => {
  const res = await upload('authority=PH-DMW', t.list(BASE));
  assert.equal(res.status, 201, res.text);
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  schemas(res.json, 'ImportReport');
  assert.throws(() => schemas({ ...res.json, unknown: 1 }, 'ImportReport'), /unknown|additional/);
  assert.equal(res.json.outcome, 'imported');
  assert.equal(res.json.counts.inserted, 5);
  assert.equal(res.json.file, 'upload');
  assert.equal(res.headers.get('location'), `/v1/imports/${res.json.import_run}`);
  assert.equal(await t.count(database, "SELECT count(*) FROM licence WHERE authority_code = 'PH-DMW'"), 5);
  // Who imported is recorded: the run and the audit log name the admin.
  const admin = await h.psql(database, "SELECT id FROM app_user WHERE email = 'admin@imports.example'");
  assert.equal(await h.psql(database, `SELECT started_by FROM import_run WHERE id = ${res.json.import_run}`), admin);
  assert.equal(await h.psql(database, "SELECT DISTINCT actor FROM audit_log WHERE entity = 'licence'"), `user:${admin}`);
});

test('text/xml is accepted too, and a chunked upload within the limit is read whole', async () => {
  const text = t.list(BASE, { generated: '2026-11-02T00:00:00Z' });
  const res = await upload('authority=PH-DMW', Readable.from([text.slice(0, 1000), text.slice(1000)]),
    { headers: { 'content-type': 'text/xml; charset=utf-8' }, duplex: 'half' });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.counts.unchanged, 5);
  assert.equal(res.json.size_bytes, Buffer.byteLength(text));
});

test('a ministry\'s own format uploads through a built-in profile (the Thai flat export)', async () => {
  const fixture = fs.readFileSync(path.join(h.ROOT, 'tests', 'data', 'import', 'profile-th-doe-flat.xml'));
  const res = await upload('authority=TH-DOE&profile=th-doe-flat', fixture);
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.profile, 'th-doe-flat');
  assert.ok(res.json.counts.inserted > 0);
  assert.ok(await t.count(database, "SELECT count(*) FROM licence WHERE authority_code = 'TH-DOE'") > 0);
});

test('dry_run=true answers 200 with the changes it would make and changes nothing', async () => {
  const changed = structuredClone(BASE);
  changed[0].licences[0].status = 'suspended';
  const before = await t.fingerprint(database);
  const res = await upload('authority=PH-DMW&dry_run=true', t.list(changed));
  assert.equal(res.status, 200, res.text);
  schemas(res.json, 'ImportReport');
  assert.equal(res.json.outcome, 'dry_run');
  assert.deepEqual(res.json.changes, [{ number: 'T-1-1', from: 'active', to: 'suspended' }]);
  assert.equal(await t.fingerprint(database), before);
});

test('a refused list answers 422 with the error shape and the report, and changes nothing', async () => {
  const bad = structuredClone(BASE);
  bad[1].licences[0].validUntil = '2026-02-30';
  const before = await t.fingerprint(database);
  const res = await upload('authority=PH-DMW', t.list(bad));
  assert.equal(res.status, 422, res.text);
  assert.deepEqual(Object.keys(res.json).sort(), ['error', 'report']);
  schemas(res.json, 'ImportError');
  assert.equal(res.json.error.code, 'import_refused');
  assert.match(res.json.error.message, /refused/);
  assert.equal(res.json.report.outcome, 'refused');
  assert.equal(res.json.report.rejects.length, 1);
  assert.equal(await t.fingerprint(database), before);
  // Another authority's list is refused the same way.
  const other = await upload('authority=MM-MOL', t.list(BASE));
  assert.equal(other.status, 422);
  assert.match(other.json.report.error, /not of MM-MOL/);
});

test('an inspector gets 403, an anonymous caller 401, before the body is read', async () => {
  h.assertError(await upload('authority=PH-DMW', t.list(BASE), { token: tokens.inspector }), 403, 'forbidden');
  const anonymous = await h.api(server.url, 'POST', '/v1/imports?authority=PH-DMW',
    { body: t.list(BASE), headers: XML });
  h.assertError(anonymous, 401, 'unauthenticated');
  assert.equal(await t.count(database, "SELECT count(*) FROM import_run WHERE started_by IS NULL"), 0);
});

test('a body that is not XML is refused with 415', async () => {
  const res = await upload('authority=PH-DMW', '{"not": "xml"}', { headers: { 'content-type': 'application/json' } });
  h.assertError(res, 415, 'unsupported_media_type');
  h.assertError(await upload('authority=PH-DMW', t.list(BASE), { headers: {} }), 415, 'unsupported_media_type');
});

test('a body over FAIRREG_IMPORT_MAX_BYTES is refused with 413, by Content-Length and while streaming', async () => {
  const big = t.list(Array.from({ length: 150 }, (_, i) => t.agency(100 + i)));
  assert.ok(Buffer.byteLength(big) > LIMIT);
  const before = await t.fingerprint(database);
  h.assertError(await upload('authority=PH-DMW', big), 413, 'body_too_large');
  const chunks = [];
  for (let i = 0; i < big.length; i += 8192) chunks.push(big.slice(i, i + 8192));
  const streamed = await upload('authority=PH-DMW', Readable.from(chunks), { duplex: 'half' });
  h.assertError(streamed, 413, 'body_too_large');
  assert.equal(await t.fingerprint(database), before);
});

test('bad parameters: a missing or unknown authority, a flag that is not true/false, a profile path', async () => {
  h.assertError(await upload('', t.list(BASE)), 400, 'bad_parameter');
  h.assertError(await upload('authority=XX-NOPE', t.list(BASE)), 400, 'bad_parameter');
  h.assertError(await upload('authority=PH-DMW&dry_run=yes', t.list(BASE)), 400, 'bad_parameter');
  h.assertError(await upload('authority=PH-DMW&profile=../../etc/passwd', t.list(BASE)), 400, 'bad_parameter');
  h.assertError(await upload('authority=PH-DMW&profile=no-such-profile', t.list(BASE)), 400, 'bad_parameter');
  h.assertError(await upload('authority=PH-DMW&nope=1', t.list(BASE)), 400, 'unknown_parameter');
});

test('GET /v1/imports lists the runs newest first, a page at a time; GET /v1/imports/{id} has the rejects', async () => {
  const all = await h.api(server.url, 'GET', '/v1/imports?limit=100', { token: tokens.admin });
  assert.equal(all.status, 200, all.text);
  schemas(all.json, ['paths', '/v1/imports', 'get', 'responses', '200', 'content', 'application/json', 'schema']);
  const ids = all.json.items.map((r) => r.id);
  assert.ok(ids.length >= 5, all.text);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
  assert.equal(all.json.next_cursor, null);
  const first = all.json.items[ids.length - 1];
  assert.equal(first.outcome, 'imported');
  assert.equal(first.authority, 'PH-DMW');
  assert.deepEqual(first.counts, { seen: 5, inserted: 5, updated: 0, unchanged: 0, delisted: 0, rejected: 0 });
  assert.match(first.sha256, /^[0-9a-f]{64}$/);
  assert.match(first.started_at, h.RFC3339_UTC);

  const page1 = await h.api(server.url, 'GET', '/v1/imports?limit=2', { token: tokens.admin });
  assert.deepEqual(page1.json.items.map((r) => r.id), ids.slice(0, 2));
  assert.equal(typeof page1.json.next_cursor, 'string');
  const page2 = await h.api(server.url, 'GET', `/v1/imports?limit=2&cursor=${page1.json.next_cursor}`, { token: tokens.admin });
  assert.deepEqual(page2.json.items.map((r) => r.id), ids.slice(2, 4));

  const refused = all.json.items.find((r) => r.outcome === 'refused' && r.counts.rejected === 1);
  const one = await h.api(server.url, 'GET', `/v1/imports/${refused.id}`, { token: tokens.admin });
  assert.equal(one.status, 200, one.text);
  schemas(one.json, ['paths', '/v1/imports/{id}', 'get', 'responses', '200', 'content', 'application/json', 'schema']);
  assert.equal(one.json.import.rejects.length, 1);
  assert.equal(typeof one.json.import.rejects[0].line, 'number');
  assert.match(one.json.import.rejects[0].reason, /validUntil|date/);

  h.assertError(await h.api(server.url, 'GET', '/v1/imports/999999', { token: tokens.admin }), 404, 'not_found');
  h.assertError(await h.api(server.url, 'GET', '/v1/imports', { token: tokens.inspector }), 403, 'forbidden');
  h.assertError(await h.api(server.url, 'GET', '/v1/imports?limit=0', { token: tokens.admin }), 400, 'bad_parameter');
});
