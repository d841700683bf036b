// The harness of fairreg's HTTP tests: fresh databases, a real server on a
// free port, staff accounts, logins, and a small request helper.
//
// The tests run inside `pg_virtualenv -t -v 15` (tests/run.sh), which sets
// PGHOST, PGPORT, PGUSER (a superuser) and PGPASSWORD.  FAIRREG_BIN names the
// binary under test (build/fairreg, or build-san/fairreg under the sanitizers);
// it defaults to build/fairreg of this checkout.
//
// Every test file makes its own database and server in `before` and stops the
// server in `after`, where the exit status must be 0 and stderr must hold no
// sanitizer report.
'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = process.env.FAIRREG_ROOT || path.resolve(__dirname, '..', '..');
const BIN = process.env.FAIRREG_BIN
  ? path.resolve(ROOT, process.env.FAIRREG_BIN)
  : path.join(ROOT, 'build', 'fairreg');

// What AddressSanitizer, LeakSanitizer and UBSan print when they find something.
const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/;

const JSON_TYPE = 'application/json; charset=utf-8';

// A password long enough for the server's rule (12 bytes at least).
const PASSWORD = 'correct horse battery staple';

// ---------------------------------------------------------------------------
// Processes.

// The environment of a fairreg process: the inherited one without fairreg's
// own settings (so that a developer's DATABASE_URL or FAIRREG_LISTEN cannot
// leak into a test), plus EXTRA.
function processEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('FAIRREG_') || key === 'DATABASE_URL') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

// Runs FILE with ARGS to completion.  Resolves with {code, signal, stdout,
// stderr}; never rejects on a non-zero exit (the tests assert it).
function run(file, args, { env = processEnv(), input, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the child may exit without reading
    child.stdin.end(input === undefined ? '' : input);
  });
}

// Runs `fairreg ARGS...` against DATABASE (PGDATABASE), with the password or
// other INPUT on stdin.  A sanitizer report on stderr fails the test at once.
async function fairreg(args, { database, env = {}, input, timeoutMs } = {}) {
  const extra = { ...env };
  if (database !== undefined) extra.PGDATABASE = database;
  const result = await run(BIN, args, { env: processEnv(extra), input, timeoutMs });
  const lines = result.stderr.split('\n');
  const first = lines.findIndex((line) => SANITIZER_REPORT.test(line));
  if (first >= 0) {
    assert.fail(`fairreg ${args.join(' ')} printed a sanitizer report:\n${lines.slice(first, first + 40).join('\n')}`);
  }
  return result;
}

// Runs one SQL statement with psql as the cluster's superuser and returns its
// unaligned, tuples-only output without the final newline.
async function psql(database, sql, { env = {} } = {}) {
  const result = await run('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { env: processEnv({ ...env, PGDATABASE: database }) });
  if (result.code !== 0) {
    throw new Error(`psql -c ${JSON.stringify(sql)} failed (${result.code}): ${result.stderr}`);
  }
  return result.stdout.replace(/\n$/, '');
}

let databaseCounter = 0;

// A name no other test process uses: tag, pid, counter and time.
function uniqueName(tag) {
  databaseCounter += 1;
  return `fr_${tag}_${process.pid}_${databaseCounter}_${Date.now().toString(36)}`
    .toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

// Creates an empty UTF-8 database and returns its name (nothing migrated).
async function createDatabase({ tag = 'api', env = {} } = {}) {
  const name = uniqueName(tag);
  const result = await run('createdb', ['-E', 'UTF8', '--locale=C.UTF-8', '-T', 'template0', name],
    { env: processEnv(env) });
  if (result.code !== 0) {
    throw new Error(`createdb ${name} failed (${result.code}): ${result.stderr}`);
  }
  return name;
}

// Creates a new database, runs `fairreg migrate` on it and returns its name.
async function freshDatabase({ tag = 'api', env = {} } = {}) {
  const name = await createDatabase({ tag, env });
  let result = await fairreg(['migrate'], { database: name, env });
  if (result.code !== 0 && /schema\/roles\.sql failed/.test(result.stderr)) {
    // The first migrations of two databases of a new cluster, run at once,
    // can collide on the cluster-wide roles (a known server bug that
    // migrate.test.js pins).  Test files run in parallel: try once more rather
    // than fail a whole file for it.
    result = await fairreg(['migrate'], { database: name, env });
  }
  if (result.code !== 0) {
    throw new Error(`fairreg migrate on ${name} failed (exit ${result.code}):\n`
      + `${result.stdout}${result.stderr}`);
  }
  return name;
}

const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)\//;

// A PostgreSQL cluster of a test's own, for what must not touch the shared
// throwaway cluster (stopping it, or a cluster without fairreg's roles yet):
// pg_createcluster into a temporary directory with its own
// PG_CLUSTER_CONF_ROOT, trust authentication on localhost.  Resolves with
// {env (libpq's variables for it), start(), stop(), drop()}.
async function createCluster(tag) {
  const version = process.env.PGVERSION || '15';
  const name = `fairreg_${tag}_${process.pid}`;
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), `fairreg-${tag}-`));
  fs.chmodSync(workdir, 0o755); // the cluster's owner (postgres, when we are root) reads through it
  const socketDir = path.join(workdir, 'run');
  fs.mkdirSync(socketDir);
  fs.chmodSync(socketDir, 0o1777);
  const clusterEnv = processEnv({ PG_CLUSTER_CONF_ROOT: path.join(workdir, 'etc') });
  const command = async (file, args) => {
    const result = await run(file, args, { env: clusterEnv, timeoutMs: 60000 });
    if (result.code !== 0) {
      throw new Error(`${file} ${args.join(' ')} failed (${result.code}):\n${result.stdout}${result.stderr}`);
    }
  };
  const port = await freePort();
  try {
    await command('pg_createcluster', [
      '--quiet', version, name, '-p', String(port),
      '-d', path.join(workdir, 'data'), '-l', path.join(workdir, 'postgresql.log'),
      '-o', `unix_socket_directories=${socketDir}`, '-o', 'fsync=off',
      '--start', '--', '--auth=trust', '--nosync',
    ]);
  } catch (error) {
    fs.rmSync(workdir, { recursive: true, force: true });
    throw error;
  }
  const superuser = process.getuid && process.getuid() === 0 ? 'postgres' : os.userInfo().username;
  return {
    env: { PGHOST: 'localhost', PGPORT: String(port), PGUSER: superuser, PGPASSWORD: '', PGDATABASE: 'postgres' },
    start: () => command('pg_ctlcluster', [version, name, 'start']),
    stop: () => command('pg_ctlcluster', [version, name, 'stop', '-m', 'fast']),
    drop: async () => {
      try {
        await command('pg_dropcluster', [version, name, '--stop']);
      } finally {
        fs.rmSync(workdir, { recursive: true, force: true });
      }
    },
  };
}

// A TCP port of 127.0.0.1 that nothing listens on (just now).
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Starts `fairreg serve` on a free port of 127.0.0.1 with 4 threads.  Resolves
// once it logs its listening line with {url, port, logs, startupMs, child,
// waitForLog(predicate, ms), stop()}.  `logs` holds every stderr line, the
// later ones too.  stop() sends SIGTERM and resolves with {code, signal,
// stopMs}.
function startServer({ database, env = {}, startTimeoutMs = 10000 } = {}) {
  const extra = { FAIRREG_LISTEN: '127.0.0.1:0', FAIRREG_THREADS: '4', ...env };
  if (database !== undefined) extra.PGDATABASE = database;
  const started = process.hrtime.bigint();
  const child = spawn(BIN, ['serve'], { env: processEnv(extra), stdio: ['ignore', 'ignore', 'pipe'] });
  const logs = [];
  const waiters = new Set();
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    // 'close' comes after stderr has ended, so `logs` is complete by then.
    child.on('close', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  readline.createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
    logs.push(line);
    for (const waiter of waiters) waiter();
  });

  // Resolves with the first log line (parsed) for which PREDICATE holds.
  function waitForLog(predicate, timeoutMs = 3000) {
    return new Promise((resolve, reject) => {
      let checked = 0;
      const check = () => {
        for (; checked < logs.length; checked++) {
          const parsed = parseLogLine(logs[checked]);
          if (parsed !== null && predicate(parsed)) {
            finish();
            resolve(parsed);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no matching log line within ${timeoutMs} ms; the log:\n${logs.join('\n')}`));
      }, timeoutMs);
      const finish = () => { clearTimeout(timer); waiters.delete(check); };
      waiters.add(check);
      check();
    });
  }

  async function stop({ timeoutMs = 10000 } = {}) {
    if (exited === null) child.kill('SIGTERM');
    const stopping = process.hrtime.bigint();
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    let result = await Promise.race([exitPromise, timeout]);
    clearTimeout(timer);
    if (result === null) {
      child.kill('SIGKILL');
      await exitPromise;
      result = { code: null, signal: 'SIGKILL', timedOut: true };
    }
    return { ...result, stopMs: Number(process.hrtime.bigint() - stopping) / 1e6 };
  }

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fairreg serve printed no listening line within ${startTimeoutMs} ms:\n${logs.join('\n')}`));
    }, startTimeoutMs);
    const onLine = () => {
      for (const line of logs) {
        const parsed = parseLogLine(line);
        const match = parsed && typeof parsed.message === 'string' && LISTENING.exec(parsed.message);
        if (match) {
          clearTimeout(timer);
          waiters.delete(onLine);
          const port = Number(match[1]);
          const startupMs = Number(process.hrtime.bigint() - started) / 1e6;
          // The date-transitions recorder's first run writes to the history
          // (server/date_transitions.c): wait for its one line, so that no
          // test sees the register change under it.
          waitForLog((p) => typeof p.message === 'string' && p.message.startsWith('date transitions: '),
            startTimeoutMs).then(() => resolve({
            url: `http://127.0.0.1:${port}`,
            port,
            logs,
            child,
            startupMs,
            waitForLog,
            stop,
            exited: () => exited,
          }), (err) => {
            child.kill('SIGKILL');
            reject(err);
          });
          return;
        }
      }
    };
    waiters.add(onLine);
    exitPromise.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`fairreg serve exited (code ${code}, signal ${signal}) before listening:\n${logs.join('\n')}`));
    });
  });
}

// A log line as an object, or null if it is not JSON.
function parseLogLine(line) {
  try {
    const value = JSON.parse(line);
    return value !== null && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

// Fails with the sanitizer's report (not the whole log) if LINES hold one.
function assertNoSanitizerReport(lines) {
  const first = lines.findIndex((line) => SANITIZER_REPORT.test(line));
  if (first >= 0) {
    assert.fail(`the server printed a sanitizer report:\n${lines.slice(first, first + 40).join('\n')}`);
  }
}

// Stops SERVER and asserts what every test file's `after` asserts: exit 0, no
// signal, no sanitizer report anywhere in its stderr.
async function stopServer(server) {
  if (!server) return;
  const result = await server.stop();
  assertNoSanitizerReport(server.logs);
  assert.equal(result.signal, null, `the server was killed by ${result.signal}`);
  assert.equal(result.code, 0, `the server exited with ${result.code}; its log:\n${server.logs.join('\n')}`);
}

// ---------------------------------------------------------------------------
// Accounts.

// Runs `fairreg user add` with the password on stdin and resolves with the new
// account's id.  Fails loudly if the command does not succeed.
async function addUser({ database, email, role, org, name, password = PASSWORD, env }) {
  const args = ['user', 'add', '--email', email, '--role', role];
  if (org !== undefined) args.push('--org', org);
  if (name !== undefined) args.push('--name', name);
  const result = await fairreg(args, { database, env, input: `${password}\n` });
  if (result.code !== 0) {
    throw new Error(`fairreg ${args.join(' ')} failed (exit ${result.code}): ${result.stderr}`);
  }
  const match = /\(id (\d+)\)/.exec(result.stdout);
  if (!match) throw new Error(`fairreg user add printed no id: ${result.stdout}`);
  return Number(match[1]);
}

// Logs in and returns the bearer token; fails loudly on anything but 201.
async function login(url, email, password = PASSWORD) {
  const res = await api(url, 'POST', '/v1/auth/tokens', { json: { email, password } });
  if (res.status !== 201 || !res.json || typeof res.json.token !== 'string') {
    throw new Error(`login of ${email} answered ${res.status}: ${res.text}`);
  }
  return res.json.token;
}

// ---------------------------------------------------------------------------
// Requests.

// Sends one request.  JSON (an object) is sent as application/json; BODY is
// sent as is (string, Buffer or stream) with HEADERS.  Resolves with {status,
// headers, json, text}; json is the parsed body when the reply says it is
// JSON, else undefined.  Times out (rejects) after timeoutMs: a hang fails.
async function api(url, method, pathAndQuery, { token, json, body, headers = {}, timeoutMs = 10000, duplex } = {}) {
  const sent = { ...headers };
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    if (!Object.keys(sent).some((h) => h.toLowerCase() === 'content-type')) {
      sent['content-type'] = 'application/json';
    }
  }
  if (token !== undefined) sent.authorization = `Bearer ${token}`;
  const init = { method, headers: sent, body: payload, signal: AbortSignal.timeout(timeoutMs) };
  if (duplex) init.duplex = duplex;
  const res = await fetch(url + pathAndQuery, init);
  const text = await res.text();
  let parsed;
  if ((res.headers.get('content-type') || '').startsWith('application/json')) {
    try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  }
  return { status: res.status, headers: res.headers, json: parsed, text };
}

// Sends RAW bytes on a new TCP connection and resolves with everything the
// server sends until it closes, split into {statusLine, status, headers (lower-
// case names), body (Buffer)}.
function rawRequest(port, raw, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.end(raw));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (err) => { clearTimeout(timer); reject(err); });
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        reject(new Error(`no complete header block in ${JSON.stringify(all.toString('latin1'))}`));
        return;
      }
      const [statusLine, ...lines] = all.subarray(0, end).toString('latin1').split('\r\n');
      const headers = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        statusLine,
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: all.subarray(end + 4),
      });
    });
  });
}

// Asserts that RES is the one error shape with STATUS and CODE:
// {"error": {"code": CODE, "message": "..."}} as application/json; charset=utf-8.
// Returns the error object.
function assertError(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.equal(res.headers.get('content-type'), JSON_TYPE);
  assert.ok(res.json, `the error body is not JSON: ${res.text}`);
  assert.deepEqual(Object.keys(res.json), ['error']);
  assert.deepEqual(Object.keys(res.json.error).sort(), ['code', 'message']);
  assert.equal(res.json.error.code, code);
  assert.equal(typeof res.json.error.message, 'string');
  assert.notEqual(res.json.error.message, '');
  return res.json.error;
}

// Polls FN (async, returns a truthy value when done) every intervalMs until
// it is truthy or timeoutMs has passed; resolves with the value or null.
async function poll(fn, { timeoutMs, intervalMs = 100 }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// RFC 3339 in UTC, to the second, as the server writes times.
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

// The ten authorities that the schema seeds.
const SEEDED_AUTHORITIES = ['BN-JTK', 'ID-BP2MI', 'KH-MLVT', 'LA-MLSW', 'MM-MOL',
  'MY-JTKSM', 'PH-DMW', 'SG-MOM', 'TH-DOE', 'VN-MOLISA'];

module.exports = {
  BIN,
  JSON_TYPE,
  PASSWORD,
  RFC3339_UTC,
  ROOT,
  SANITIZER_REPORT,
  SEEDED_AUTHORITIES,
  addUser,
  api,
  assertError,
  assertNoSanitizerReport,
  createCluster,
  createDatabase,
  fairreg,
  freshDatabase,
  login,
  parseLogLine,
  poll,
  processEnv,
  psql,
  rawRequest,
  run,
  startServer,
  stopServer,
  uniqueName,
};
