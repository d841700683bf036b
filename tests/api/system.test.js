// The operational endpoints (liveness, readiness, metrics, the OpenAPI
// document) and the headers every reply carries.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');
const { ROUTES } = require('./routes');

let server;

before(async () => {
  const database = await h.freshDatabase({ tag: 'system' });
  server = await h.startServer({ database });
});

after(async () => {
  await h.stopServer(server);
});

// The value of the sample NAME{LABELS} in a Prometheus text page, 0 if absent.
function sample(page, nameAndLabels) {
  for (const line of page.split('\n')) {
    if (line.startsWith(`${nameAndLabels} `)) return Number(line.slice(nameAndLabels.length + 1));
  }
  return 0;
}

test('GET /healthz answers 200 {"status":"ok"} as JSON', async () => {
  const res = await h.api(server.url, 'GET', '/healthz');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  assert.deepEqual(res.json, { status: 'ok' });
});

test('GET /readyz answers 200 {"status":"ready"} when the database answers', async () => {
  const res = await h.api(server.url, 'GET', '/readyz');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  assert.deepEqual(res.json, { status: 'ready' });
});

test('GET /openapi.json is an OpenAPI 3.1 document describing every route of the table', async () => {
  const res = await h.api(server.url, 'GET', '/openapi.json');
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const doc = JSON.parse(res.text);
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  assert.equal(typeof doc.paths, 'object');
  const missing = ROUTES
    .filter((r) => !(doc.paths[r.pattern] && doc.paths[r.pattern][r.method.toLowerCase()]))
    .map((r) => `${r.method} ${r.pattern}`);
  assert.deepEqual(missing, [], 'operations of the route table missing from /openapi.json');
});

test('/openapi.json asks for a bearer token exactly on the staff routes', async () => {
  const res = await h.api(server.url, 'GET', '/openapi.json');
  assert.equal(res.status, 200, res.text);
  const doc = JSON.parse(res.text);
  const wrong = [];
  for (const route of ROUTES) {
    const op = doc.paths[route.pattern] && doc.paths[route.pattern][route.method.toLowerCase()];
    if (!op) continue; // reported by the test above
    const security = op.security !== undefined ? op.security : (doc.security || []);
    const needsToken = security.length > 0;
    if (needsToken !== (route.access !== 'public')) {
      wrong.push(`${route.method} ${route.pattern} (${needsToken ? 'documented with' : 'documented without'} a token)`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('GET /metrics counts each /healthz request exactly once', async () => {
  const counter = 'fairreg_http_requests_total{method="GET",route="/healthz",status="200"}';
  const first = await h.api(server.url, 'GET', '/metrics');
  assert.equal(first.status, 200);
  assert.match(first.headers.get('content-type'), /^text\/plain/);
  const before = sample(first.text, counter);

  for (let i = 0; i < 3; i++) {
    assert.equal((await h.api(server.url, 'GET', '/healthz')).status, 200);
  }

  // The counter is bumped when a request completes, just after its reply is
  // sent: give the third one a moment.
  const after = await h.poll(async () => {
    const page = (await h.api(server.url, 'GET', '/metrics')).text;
    return sample(page, counter) >= before + 3 ? page : null;
  }, { timeoutMs: 1000, intervalMs: 20 });
  assert.ok(after, `${counter} did not reach ${before + 3}`);
  assert.equal(sample(after, counter), before + 3);
  assert.match(after,
    /^fairreg_http_request_duration_seconds_bucket\{method="GET",route="\/healthz",le="\+Inf"\} \d+$/m);
  assert.match(after, /^fairreg_db_connections_up\{role="public"\} \d+$/m);
});

test('a request that matches no route is counted under route "(unmatched)"', async () => {
  const counter = 'fairreg_http_requests_total{method="",route="(unmatched)",status="404"}';
  const before = sample((await h.api(server.url, 'GET', '/metrics')).text, counter);
  assert.equal((await h.api(server.url, 'GET', '/no/such/thing')).status, 404);
  const after = await h.poll(async () => {
    const value = sample((await h.api(server.url, 'GET', '/metrics')).text, counter);
    return value >= before + 1 ? value : null;
  }, { timeoutMs: 1000, intervalMs: 20 });
  assert.equal(after, before + 1);
});

test('every reply carries X-Request-Id (16 hex digits), X-Content-Type-Options: nosniff and Cache-Control', async () => {
  const replies = [
    await h.api(server.url, 'GET', '/healthz'),
    await h.api(server.url, 'GET', '/metrics'),
    await h.api(server.url, 'GET', '/no/such/thing'),
    await h.api(server.url, 'DELETE', '/healthz'),
    await h.api(server.url, 'GET', '/v1/auth/tokens/current'),
  ];
  const ids = new Set();
  for (const res of replies) {
    const where = `${res.status} ${res.text.slice(0, 80)}`;
    assert.match(res.headers.get('x-request-id') || '', /^[0-9a-f]{16}$/, where);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', where);
    assert.ok(res.headers.get('cache-control'), `no Cache-Control on ${where}`);
    ids.add(res.headers.get('x-request-id'));
  }
  assert.equal(ids.size, replies.length, 'request ids repeat');
});

test('HEAD /healthz answers 200 with the headers and no body', async () => {
  const res = await h.rawRequest(server.port,
    'HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  assert.equal(res.status, 200, res.statusLine);
  assert.equal(res.headers['content-type'], h.JSON_TYPE);
  assert.match(res.headers['x-request-id'] || '', /^[0-9a-f]{16}$/);
  assert.equal(res.body.length, 0, `HEAD sent a body: ${res.body.toString()}`);
});
