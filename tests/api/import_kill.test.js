// kill -9 of `fairreg import` in the middle of a large import leaves the
// register exactly as it was: the import is one transaction, and its
// import_run row is written inside it, so a killed run leaves no row at all.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const h = require('./harness');
const t = require('./import_helpers');

test('kill -9 after a second of a 200,000-licence import leaves the register and import_run as before', { timeout: 300000 }, async () => {
  const database = await h.freshDatabase({ tag: 'imp_kill' });
  // Something to lose: a first, small import.
  const small = t.writeFile(t.list([t.agency(1), t.agency(2)]));
  assert.equal((await t.importJson(database, ['--authority', 'PH-DMW', small])).code, 0);
  const before = await t.fingerprint(database);
  const runsBefore = await h.psql(database, 'SELECT string_agg(id || outcome, \',\' ORDER BY id) FROM import_run');

  const big = path.join(t.SCRATCH, 'big.xml');
  const made = t.gen.writeBench({ licences: 200000, xml: big, seed: 11 });
  assert.equal(made.licences, 200000);

  const child = spawn(h.BIN, ['import', '--authority', 'PH-DMW', big],
    { env: h.processEnv({ PGDATABASE: database }), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  // Kill it once its COPY is under way (its session is in the database).
  const underway = await h.poll(async () => Number(await h.psql(database,
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY imp_stage%'")) > 0,
  { timeoutMs: 20000, intervalMs: 50 });
  assert.ok(underway, `the import never reached its COPY: ${stderr}`);
  await new Promise((r) => setTimeout(r, 1000));
  child.kill('SIGKILL');
  const { signal } = await exited;
  assert.equal(signal, 'SIGKILL', 'the import ended before it was killed: make the file larger');

  // The server notices the lost client and rolls the transaction back.
  const gone = await h.poll(async () => Number(await h.psql(database,
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'fairreg'")) === 0,
  { timeoutMs: 30000 });
  assert.ok(gone, 'the killed import\'s session is still in the database');
  assert.equal(await t.fingerprint(database), before);
  assert.equal(await h.psql(database, 'SELECT string_agg(id || outcome, \',\' ORDER BY id) FROM import_run'), runsBefore);
  assert.equal(await h.psql(database, "SELECT count(*) FROM pg_class WHERE relname LIKE 'imp_stage%'"), '0');

  // Nothing is left locked: the next import runs.
  const after = await t.importJson(database, ['--authority', 'PH-DMW', '--dry-run', small]);
  assert.equal(after.code, 0, after.stderr);
});
