// What the dispatcher refuses before any handler runs (unknown address,
// method, query parameter; bodies too large, of the wrong type, not JSON, not
// UTF-8) and the malformed or unknown ids handlers refuse.  Every refusal is
// the one error shape with the exact status and code of server/errors.def.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

let server;
let adminToken;

before(async () => {
  const database = await h.freshDatabase({ tag: 'errors' });
  await h.addUser({ database, email: 'admin@errors.example', role: 'admin' });
  server = await h.startServer({ database });
  adminToken = await h.login(server.url, 'admin@errors.example');
});

after(async () => {
  await h.stopServer(server);
});

// A JSON object for POST /v1/auth/tokens of exactly SIZE bytes: a login with
// an extra field (so that, if it gets through, it is refused with 422 before
// any password is checked).
function loginBodyOfSize(size) {
  const empty = JSON.stringify({ email: 'nobody@example.org', password: 'x', padding: '' });
  const body = JSON.stringify({ email: 'nobody@example.org', password: 'x', padding: 'p'.repeat(size - empty.length) });
  assert.equal(Buffer.byteLength(body), size);
  return body;
}

// A stream of SIZE bytes of BODY in 1000-byte chunks: fetch sends it with
// Transfer-Encoding: chunked and no Content-Length.
function chunkedStream(body) {
  const bytes = Buffer.from(body);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.subarray(offset, offset + 1000));
      offset += 1000;
    },
  });
}

test('an address that matches no route is 404 not_found', async () => {
  h.assertError(await h.api(server.url, 'GET', '/no/such/page'), 404, 'not_found');
  h.assertError(await h.api(server.url, 'GET', '/v1/users/1/extra', { token: adminToken }), 404, 'not_found');
  h.assertError(await h.api(server.url, 'GET', '/healthz/'), 404, 'not_found');
});

test('a method the address does not accept is 405 method_not_allowed with an Allow header', async () => {
  const res = await h.api(server.url, 'DELETE', '/healthz');
  h.assertError(res, 405, 'method_not_allowed');
  assert.equal(res.headers.get('allow'), 'GET, HEAD');

  const users = await h.api(server.url, 'DELETE', '/v1/users/7');
  h.assertError(users, 405, 'method_not_allowed');
  assert.equal(users.headers.get('allow'), 'GET, HEAD, PATCH');

  const tokens = await h.api(server.url, 'PUT', '/v1/auth/tokens/current', { body: '' });
  h.assertError(tokens, 405, 'method_not_allowed');
  assert.equal(tokens.headers.get('allow'), 'GET, HEAD, DELETE');
});

test('an unknown query parameter is refused with 400 unknown_parameter naming it', async () => {
  const error = h.assertError(await h.api(server.url, 'GET', '/healthz?x=1'), 400, 'unknown_parameter');
  assert.match(error.message, /"x"/);
  const other = h.assertError(await h.api(server.url, 'GET', '/v1/authorities?format=json&colour=red'),
    400, 'unknown_parameter');
  assert.match(other.message, /"colour"/);
});

test('a query value that is not UTF-8 is refused with 400 invalid_utf8', async () => {
  h.assertError(await h.api(server.url, 'GET', '/v1/authorities?format=%FF'), 400, 'invalid_utf8');
  h.assertError(await h.api(server.url, 'GET', '/v1/authorities?format=%C3%28'), 400, 'invalid_utf8');
});

test('a body over the 4 KiB limit, by Content-Length, is refused with 413 body_too_large', async () => {
  const res = await h.api(server.url, 'POST', '/v1/auth/tokens', {
    body: loginBodyOfSize(5000), headers: { 'content-type': 'application/json' },
  });
  h.assertError(res, 413, 'body_too_large');
});

test('a body of exactly 4096 bytes is within the limit, and 4097 bytes are not', async () => {
  const at = await h.api(server.url, 'POST', '/v1/auth/tokens', {
    body: loginBodyOfSize(4096), headers: { 'content-type': 'application/json' },
  });
  h.assertError(at, 422, 'invalid_field');
  const over = await h.api(server.url, 'POST', '/v1/auth/tokens', {
    body: loginBodyOfSize(4097), headers: { 'content-type': 'application/json' },
  });
  h.assertError(over, 413, 'body_too_large');
});

test('a chunked body (no Content-Length) over the limit is refused with 413 body_too_large', async () => {
  const res = await h.api(server.url, 'POST', '/v1/auth/tokens', {
    body: chunkedStream(loginBodyOfSize(5000)), duplex: 'half',
    headers: { 'content-type': 'application/json' },
  });
  h.assertError(res, 413, 'body_too_large');
});

test('a chunked body within the limit is read and parsed like any other', async () => {
  const res = await h.api(server.url, 'POST', '/v1/auth/tokens', {
    body: chunkedStream(loginBodyOfSize(3000)), duplex: 'half',
    headers: { 'content-type': 'application/json' },
  });
  h.assertError(res, 422, 'invalid_field');
});

test('a chunked body over the limit, sent raw, is refused with 413 body_too_large', async () => {
  const chunk = 'a'.repeat(1000);
  let raw = 'POST /v1/auth/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
    + 'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
  for (let i = 0; i < 5; i++) raw += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
  raw += '0\r\n\r\n';
  const res = await h.rawRequest(server.port, raw);
  assert.equal(res.status, 413, res.statusLine);
  const body = JSON.parse(res.body.toString('utf8'));
  assert.equal(body.error.code, 'body_too_large');
});

test('a body sent to an address that takes none is refused with 413 body_too_large', async () => {
  const res = await h.api(server.url, 'DELETE', '/v1/auth/tokens/current', {
    token: adminToken, body: '{}', headers: { 'content-type': 'application/json' },
  });
  h.assertError(res, 413, 'body_too_large');
  // Refused, not executed: the token still works.
  assert.equal((await h.api(server.url, 'GET', '/v1/auth/tokens/current', { token: adminToken })).status, 200);
});

test('a body that is not application/json is refused with 415 unsupported_media_type', async () => {
  const json = JSON.stringify({ email: 'a@example.org', password: 'whatever password' });
  h.assertError(await h.api(server.url, 'POST', '/v1/auth/tokens', {
    body: json, headers: { 'content-type': 'text/plain' },
  }), 415, 'unsupported_media_type');
  h.assertError(await h.api(server.url, 'POST', '/v1/auth/tokens', {
    body: json, headers: { 'content-type': 'application/jsonp' },
  }), 415, 'unsupported_media_type');
});

test('a body that is not JSON is refused with 400 invalid_json', async () => {
  h.assertError(await h.api(server.url, 'POST', '/v1/auth/tokens', {
    body: '{"email": "a@example.org", ', headers: { 'content-type': 'application/json' },
  }), 400, 'invalid_json');
  h.assertError(await h.api(server.url, 'POST', '/v1/auth/tokens', {
    body: '', headers: { 'content-type': 'application/json' },
  }), 400, 'invalid_json');
});

test('a JSON string holding bytes that are not UTF-8 is refused with 400 invalid_utf8', async () => {
  const body = Buffer.concat([
    Buffer.from('{"email": "a'),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('@example.org", "password": "whatever password"}'),
  ]);
  h.assertError(await h.api(server.url, 'POST', '/v1/auth/tokens', {
    body, headers: { 'content-type': 'application/json; charset=utf-8' },
  }), 400, 'invalid_utf8');
});

test('a JSON body that is an array, not an object, is refused with 400 invalid_json', async () => {
  h.assertError(await h.api(server.url, 'POST', '/v1/auth/tokens', {
    json: [{ email: 'a@example.org', password: 'whatever password' }],
  }), 400, 'invalid_json');
});

test('a JSON object with a key twice is refused with 400 invalid_json', async () => {
  h.assertError(await h.api(server.url, 'POST', '/v1/auth/tokens', {
    body: '{"email": "a@example.org", "email": "b@example.org", "password": "whatever password"}',
    headers: { 'content-type': 'application/json' },
  }), 400, 'invalid_json');
});

test('an unknown JSON field is refused with 422 invalid_field', async () => {
  h.assertError(await h.api(server.url, 'POST', '/v1/auth/tokens', {
    json: { email: 'a@example.org', password: 'whatever password', remember: true },
  }), 422, 'invalid_field');
});

test('a missing or mistyped JSON field is refused with 422 invalid_field', async () => {
  h.assertError(await h.api(server.url, 'POST', '/v1/auth/tokens', {
    json: { email: 'a@example.org' },
  }), 422, 'invalid_field');
  h.assertError(await h.api(server.url, 'POST', '/v1/auth/tokens', {
    json: { email: 'a@example.org', password: 12345678901234 },
  }), 422, 'invalid_field');
});

test('a malformed id in the address is 400 bad_id', async () => {
  for (const id of ['abc', '0', '-1', '01', '1.5', '99999999999999999999']) {
    h.assertError(await h.api(server.url, 'GET', `/v1/users/${id}`, { token: adminToken }), 400, 'bad_id');
  }
});

test('a well-formed id of no user is 404 not_found', async () => {
  h.assertError(await h.api(server.url, 'GET', '/v1/users/999999', { token: adminToken }), 404, 'not_found');
});
