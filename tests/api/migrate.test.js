// `fairreg migrate` (idempotent, safe to run twice at once) and the exit codes
// of the command line: 0 success, 1 failure, 2 bad usage.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const h = require('./harness');

const APPLIED = /^applied (schema\/(\d{4})_[a-z0-9_]+\.sql)$/;

// The "applied ..." lines of a migrate run, as [{file, version}].
function appliedLines(stdout) {
  return stdout.split('\n').map((line) => APPLIED.exec(line)).filter(Boolean)
    .map((m) => ({ file: m[1], version: Number(m[2]) }));
}

// What a migration run changed: the ledger and the objects of schema public.
async function snapshot(database) {
  return h.psql(database, `SELECT
      (SELECT string_agg(version || ' ' || name || ' ' || applied_at, ', ' ORDER BY version) FROM schema_migration),
      (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace),
      (SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace),
      (SELECT count(*) FROM authority)`);
}

test('migrate on a new database applies every migration in order and exits 0', async () => {
  const database = await h.createDatabase({ tag: 'migrate' });
  const result = await h.fairreg(['migrate'], { database });
  assert.equal(result.code, 0, result.stderr);
  const applied = appliedLines(result.stdout);
  assert.ok(applied.length >= 1, `no "applied" line in:\n${result.stdout}`);
  assert.equal(applied[0].file, 'schema/0001_foundation.sql');
  const versions = applied.map((a) => a.version);
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b), 'not in order');
  const lines = result.stdout.trimEnd().split('\n');
  assert.deepEqual(lines, [...applied.map((a) => `applied ${a.file}`),
    `${applied.length} migration${applied.length === 1 ? '' : 's'} applied`]);
  const ledger = await h.psql(database, 'SELECT version FROM schema_migration ORDER BY version');
  assert.deepEqual(ledger.split('\n').map(Number), versions);
});

test('migrate a second time says "schema is up to date", exits 0 and changes nothing', async () => {
  const database = await h.freshDatabase({ tag: 'migrate' });
  const before = await snapshot(database);
  const result = await h.fairreg(['migrate'], { database });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'schema is up to date\n');
  assert.equal(await snapshot(database), before);
});

test('two migrations started at once on a new database both exit 0 and apply each version once', async () => {
  const database = await h.createDatabase({ tag: 'migrate' });
  const [a, b] = await Promise.all([h.fairreg(['migrate'], { database }), h.fairreg(['migrate'], { database })]);
  assert.equal(a.code, 0, `first: ${a.stderr}`);
  assert.equal(b.code, 0, `second: ${b.stderr}`);
  const files = [...appliedLines(a.stdout), ...appliedLines(b.stdout)].map((x) => x.file).sort();
  assert.deepEqual(files, [...new Set(files)], 'a migration was applied twice');
  const counts = await h.psql(database,
    'SELECT count(*) || \' \' || count(DISTINCT version) FROM schema_migration');
  assert.equal(counts, `${files.length} ${files.length}`);
  // The database is complete: a third run has nothing to do.
  const third = await h.fairreg(['migrate'], { database });
  assert.equal(third.stdout, 'schema is up to date\n');
});

test('migrate against an unreachable database exits 1 and says so', async () => {
  const result = await h.fairreg(['migrate'], {
    database: 'postgres', env: { PGHOST: '127.0.0.1', PGPORT: '1' },
  });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /cannot connect to the database/);
});

test('command line usage: migrate with an argument, an unknown command, no command exit 2; --help exits 0', async () => {
  const extra = await h.fairreg(['migrate', 'extra']);
  assert.equal(extra.code, 2, extra.stderr);
  assert.match(extra.stderr, /extra/);

  const unknown = await h.fairreg(['nosuchcommand']);
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /unknown command "nosuchcommand"/);
  assert.match(unknown.stderr, /usage: fairreg/);

  const none = await h.fairreg([]);
  assert.equal(none.code, 2, none.stderr);

  const help = await h.fairreg(['--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^usage: fairreg COMMAND/);
  for (const command of ['serve', 'migrate', 'user add', 'authority add']) {
    assert.ok(help.stdout.includes(command), `--help does not mention ${command}`);
  }

  const serveExtra = await h.fairreg(['serve', 'now'], { timeoutMs: 5000 });
  assert.equal(serveExtra.code, 2, serveExtra.stderr);
});

test('the first migrations of two databases of a new cluster, run at once, both exit 0', async () => {
  // The roles are the cluster's, not a database's, so this needs a cluster
  // without them: the test makes its own.  To make the race certain rather
  // than likely, a third session holds pg_authid in SHARE mode (which lets
  // the migrations look for the roles but not create them) until both
  // migrations wait on it, then lets them go together.
  const cluster = await h.createCluster('migrate');
  const { env } = cluster;
  let holder;
  try {
    const databases = [await h.createDatabase({ tag: 'migrate', env }), await h.createDatabase({ tag: 'migrate', env })];
    holder = spawn('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'],
      { env: h.processEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    const locked = new Promise((resolve, reject) => {
      holder.stdout.on('data', (d) => { if (d.toString().includes('locked')) resolve(); });
      holder.on('close', () => reject(new Error('psql could not lock pg_authid')));
    });
    holder.stdin.write("BEGIN; LOCK TABLE pg_authid IN SHARE MODE; SELECT 'locked';\n");
    await locked;

    const runs = databases.map((database) => h.fairreg(['migrate'], { database, env }));
    await h.poll(async () => (await h.psql('postgres',
      "SELECT count(*) FROM pg_locks WHERE relation = 'pg_authid'::regclass AND NOT granted", { env })) === '2',
    { timeoutMs: 3000, intervalMs: 50 });
    holder.stdin.end('COMMIT;\n');
    const results = await Promise.all(runs);
    results.forEach((r, i) => assert.equal(r.code, 0, `${databases[i]}: ${r.stderr}`));
  } finally {
    if (holder && holder.exitCode === null) holder.kill();
    await cluster.drop();
  }
});
