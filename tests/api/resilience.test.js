// The server under trouble: the database going away and coming back, SIGTERM
// with requests in flight, a quick start, and clear refusals of a bad listen
// address.
//
// Stopping a PostgreSQL server would break the other test files, which the
// runner may run at the same time against the throwaway cluster; so this file
// makes a cluster of its own (harness.createCluster), stops and starts that
// one with pg_ctlcluster, and drops it at the end.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const h = require('./harness');

const ADMIN = { email: 'admin@resilience.example', password: 'administrator password' };

let cluster;
let pgEnv; // libpq's variables for the cluster of this file
let database;
let server;

// A request that must answer (whatever the status) within 3 s: a hang fails.
function call(url, method, p, options = {}) {
  return h.api(url, method, p, { timeoutMs: 3000, ...options });
}

before(async () => {
  cluster = await h.createCluster('resilience');
  pgEnv = cluster.env;
  database = await h.freshDatabase({ tag: 'resilience', env: pgEnv });
  await h.addUser({ database, ...ADMIN, role: 'admin', env: pgEnv });
  server = await h.startServer({ database, env: pgEnv });
});

after(async () => {
  try {
    await h.stopServer(server);
  } finally {
    if (cluster) await cluster.drop();
  }
});

test('the server prints its listening line within 1 s of being spawned', () => {
  assert.ok(server.startupMs < 1000, `it took ${server.startupMs.toFixed(0)} ms`);
});

test('a database restart: 503 unavailable while it is down, never a crash or a hang; back within 2 s', async () => {
  assert.equal((await call(server.url, 'GET', '/readyz')).status, 200);
  const token = await h.login(server.url, ADMIN.email, ADMIN.password);

  await cluster.stop();

  // Liveness does not need the database; everything else says 503.
  assert.equal((await call(server.url, 'GET', '/healthz')).status, 200);
  h.assertError(await call(server.url, 'GET', '/readyz'), 503, 'unavailable');
  h.assertError(await call(server.url, 'GET', '/v1/authorities'), 503, 'unavailable');
  h.assertError(await call(server.url, 'GET', '/', { headers: { accept: 'text/html' } }), 503, 'unavailable');
  h.assertError(await call(server.url, 'GET', '/v1/auth/tokens/current', { token }), 503, 'unavailable');
  h.assertError(await call(server.url, 'POST', '/v1/auth/tokens', { json: ADMIN }), 503, 'unavailable');
  h.assertError(await call(server.url, 'GET', '/readyz'), 503, 'unavailable');

  // A server started while the database is down starts anyway.
  const lateServer = await h.startServer({ database, env: pgEnv });
  try {
    assert.ok(lateServer.startupMs < 1000, `it took ${lateServer.startupMs.toFixed(0)} ms to listen`);
    h.assertError(await call(lateServer.url, 'GET', '/readyz'), 503, 'unavailable');
    assert.equal(server.exited(), null, 'the server died while the database was down');

    await cluster.start();
    const started = Date.now();

    // Both servers are polled together, each for 2 s from the start.
    const ready = await Promise.all([server, lateServer].map((s) => h.poll(
      async () => ((await call(s.url, 'GET', '/readyz')).status === 200 ? { ms: Date.now() - started } : null),
      { timeoutMs: 2000, intervalMs: 100 })));
    assert.ok(ready[0] !== null, '/readyz of the running server not 200 within 2 s of the database\'s start');
    assert.ok(ready[1] !== null, '/readyz of the server started during the outage not 200 within 2 s');
    for (const s of [server, lateServer]) {
      const res = await call(s.url, 'GET', '/v1/authorities');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.items.length, h.SEEDED_AUTHORITIES.length);
    }
    // Staff routes (the application's connection) are back too.
    const current = await call(server.url, 'GET', '/v1/auth/tokens/current', { token });
    assert.equal(current.status, 200, `the token from before the restart: ${current.text}`);
    const relogin = await call(server.url, 'POST', '/v1/auth/tokens', { json: ADMIN });
    assert.equal(relogin.status, 201, relogin.text);
    const lateLogin = await call(lateServer.url, 'POST', '/v1/auth/tokens', { json: ADMIN });
    assert.equal(lateLogin.status, 201, lateLogin.text);
  } finally {
    await h.stopServer(lateServer);
  }
});

test('SIGTERM lets a request in flight finish, then the server exits 0', async () => {
  const draining = await h.startServer({ database, env: pgEnv });
  let stopped;
  try {
    const body = JSON.stringify({ email: 'a@resilience.example', password: 'some password', extra: 1 });
    const half = Math.floor(body.length / 2);
    const socket = net.connect(draining.port, '127.0.0.1');
    const chunks = [];
    socket.on('data', (d) => chunks.push(d));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.on('error', () => {});
    await new Promise((resolve) => socket.on('connect', resolve));
    socket.write('POST /v1/auth/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
      + `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`);
    await new Promise((r) => setTimeout(r, 200)); // the server has the headers: the request is in flight

    stopped = draining.stop();
    await draining.waitForLog((l) => /SIGTERM/.test(l.message || ''), 2000);
    socket.end(body.slice(half));
    await closed;
    const answer = Buffer.concat(chunks).toString('utf8');
    assert.match(answer, /^HTTP\/1\.1 422 /, `the request in flight got: ${answer.slice(0, 200)}`);
    assert.match(answer, /"invalid_field"/);
  } finally {
    const result = await (stopped || draining.stop());
    assert.equal(result.code, 0, `exit ${result.code}, signal ${result.signal}`);
    assert.ok(result.stopMs < 3000, `it took ${result.stopMs.toFixed(0)} ms to stop`);
    h.assertNoSanitizerReport(draining.logs);
  }
});

test('requests racing SIGTERM complete or are refused, never a 5xx, and the exit is prompt', async () => {
  const racing = await h.startServer({ database, env: pgEnv });
  const paths = ['/healthz', '/readyz', '/v1/authorities', '/'];
  const outcomes = [];
  // Four clients send request after request until the server is gone.
  const client = async (n) => {
    for (let i = n; ; i++) {
      try {
        const res = await call(racing.url, 'GET', paths[i % paths.length]);
        outcomes.push({ status: res.status, afterSigterm: signalled });
      } catch (error) {
        outcomes.push({ error });
        return;
      }
    }
  };
  let signalled = false;
  const clients = [0, 1, 2, 3].map(client);
  await new Promise((r) => setTimeout(r, 300));
  signalled = true;
  const result = await racing.stop();
  await Promise.all(clients);

  assert.equal(result.signal, null);
  assert.equal(result.code, 0, racing.logs.join('\n'));
  assert.ok(result.stopMs < 3000, `it took ${result.stopMs.toFixed(0)} ms to stop`);
  h.assertNoSanitizerReport(racing.logs);
  const answered = outcomes.filter((o) => !o.error);
  assert.ok(answered.length >= 4, `only ${answered.length} requests were answered before SIGTERM`);
  for (const outcome of outcomes) {
    if (outcome.error) {
      // Refused or cut at the connection: fine.  A timeout is a hang: not fine.
      assert.notEqual(outcome.error.name, 'TimeoutError', 'a request hung across SIGTERM');
    } else {
      assert.ok(outcome.status < 500, `a request racing SIGTERM got ${outcome.status}`);
    }
  }
});

test('a listen address that is not HOST:PORT makes serve exit 2 naming FAIRREG_LISTEN', async () => {
  const result = await h.fairreg(['serve'], {
    database, env: { ...pgEnv, FAIRREG_LISTEN: 'localhost' }, timeoutMs: 5000,
  });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /FAIRREG_LISTEN/);
});

test('a port already in use makes serve exit 1 naming FAIRREG_LISTEN', async () => {
  const holder = net.createServer();
  await new Promise((resolve) => holder.listen(0, '127.0.0.1', resolve));
  try {
    const result = await h.fairreg(['serve'], {
      database, env: { ...pgEnv, FAIRREG_LISTEN: `127.0.0.1:${holder.address().port}` }, timeoutMs: 5000,
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /FAIRREG_LISTEN/);
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});
