// Never stale: the server answers the public lookups and searches from memory
// (server/cache.c, server/search_index.c), and a change committed in the
// database (an import, a status change, a sanction) must show in the very next
// request all the same.  These tests commit and then query at once, in a tight
// loop, and count the answers that still showed the state before the commit:
// there must be none.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const h = require('./harness');

const SAMPLES = path.join(h.ROOT, 'importers', 'samples');
const ROUNDS = Number(process.env.FRESHNESS_ROUNDS || 1000);

let database;
let server;
let sql;

// A psql session kept open, so that a commit costs no process start: run()
// resolves once the statement has committed (psql echoes the marker after).
function psqlSession(db) {
  const child = spawn('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting = new Map();
  let counter = 0;
  let output = [];
  let errors = '';
  child.stderr.setEncoding('utf8').on('data', (d) => { errors += d; });
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const done = /^--done-(\d+)$/.exec(line);
    if (!done) {
      output.push(line);
      return;
    }
    const resolve = waiting.get(done[1]);
    waiting.delete(done[1]);
    const lines = output;
    output = [];
    resolve(lines);
  });
  return {
    run(statement) {
      counter += 1;
      const id = String(counter);
      return new Promise((resolve, reject) => {
        waiting.set(id, resolve);
        child.stdin.write(`${statement}\n\\echo --done-${id}\n`, (err) => { if (err) reject(err); });
        if (errors) reject(new Error(errors));
      });
    },
    async close() {
      child.stdin.end('\\q\n');
      await new Promise((resolve) => child.on('close', resolve));
      assert.equal(errors, '', 'psql reported an error');
    },
  };
}

async function lookup(number) {
  const res = await h.api(server.url, 'GET', `/v1/licences?number=${encodeURIComponent(number)}`);
  assert.equal(res.status, 200, res.text);
  return res;
}

async function search(q) {
  const res = await h.api(server.url, 'GET', `/v1/agencies?q=${encodeURIComponent(q)}&limit=100`);
  assert.equal(res.status, 200, res.text);
  return res;
}

before(async () => {
  database = await h.freshDatabase({ tag: 'freshness' });
  const imported = await h.fairreg(['import', '--authority', 'PH-DMW',
    path.join(SAMPLES, 'ph-dmw-1-2026-05.xml')], { database });
  assert.equal(imported.code, 0, imported.stderr);
  server = await h.startServer({ database, env: { FAIRREG_PUBLIC_PER_MINUTE: '0' } });
  // the search index is built in the background: wait for it
  await server.waitForLog((l) => String(l.message).startsWith('search index: '), 30000);
  sql = psqlSession(database);
});

after(async () => {
  if (sql) await sql.close();
  await h.stopServer(server);
});

// An active licence of an agency that holds only this one, so that its
// status decides the agency's standing too.
async function soleLicence() {
  const [row] = await sql.run(`SELECT l.number || '|' || l.id || '|' || a.name
      FROM licence AS l JOIN agency AS a ON a.id = l.agency_id
     WHERE l.listed_status = 'active' AND l.valid_until > current_date
       AND (SELECT count(*) FROM licence AS o WHERE o.agency_id = a.id) = 1
     ORDER BY l.id LIMIT 1;`);
  const [number, id, agency] = row.split('|');
  return { number, id, agency };
}

test(`a status change committed is in the very next lookup, ${ROUNDS} times in a row`, async () => {
  const { number, id } = await soleLicence();
  let stale = 0;
  let status = 'active';
  for (let round = 0; round < ROUNDS; round += 1) {
    // the current state is cached first (asked twice: stored, then served)
    await lookup(number);
    const warm = await lookup(number);
    assert.equal(warm.json.items[0].status, status);
    status = status === 'active' ? 'suspended' : 'active';
    await sql.run(`UPDATE licence SET listed_status = '${status}' WHERE id = ${id};`);
    const res = await lookup(number);
    if (res.json.items[0].status !== status) stale += 1;
  }
  process.stdout.write(`# ${ROUNDS} commits, each followed at once by a lookup: ${stale} stale answers\n`);
  assert.equal(stale, 0, `${stale} of ${ROUNDS} lookups right after a commit showed the state before it`);
});

test('a sanction committed changes the agency\'s standing in the very next search', async () => {
  const { id, agency } = await soleLicence();
  const standing = async () => {
    const res = await search(agency);
    const hit = res.json.items.find((a) => a.name === agency);
    assert.ok(hit, `${agency} is found by its name`);
    return hit.in_good_standing;
  };
  let stale = 0;
  const rounds = Math.max(10, Math.floor(ROUNDS / 10));
  for (let round = 0; round < rounds; round += 1) {
    assert.equal(await standing(), true);
    await sql.run(`INSERT INTO sanction (kind, licence_id, decided_on, effective_from, reason, authority_code, is_public)
                   VALUES ('suspension', ${id}, current_date, current_date, 'freshness test', 'PH-DMW', true);`);
    if (await standing() !== false) stale += 1;
    await sql.run(`DELETE FROM sanction WHERE reason = 'freshness test';`);
    if (await standing() !== true) stale += 1;
  }
  process.stdout.write(`# ${2 * rounds} sanction commits, each followed at once by a search: ${stale} stale answers\n`);
  assert.equal(stale, 0);
});

test('an import is visible to the very next request', async () => {
  // the newer list changes statuses and delists some licences
  const before = await sql.run(`SELECT number FROM licence ORDER BY id;`);
  const answers = new Map();
  for (const number of before) answers.set(number, (await lookup(number)).json.items[0].status);
  const imported = await h.fairreg(['import', '--authority', 'PH-DMW',
    path.join(SAMPLES, 'ph-dmw-2-2026-11.xml')], { database });
  assert.equal(imported.code, 0, imported.stderr);
  const truth = await sql.run(`SELECT number || '|' || status FROM pub_licence ORDER BY id;`);
  let changed = 0;
  for (const line of truth) {
    const [number, status] = line.split('|');
    const res = await lookup(number);
    assert.equal(res.json.items[0].status, status, `licence ${number} after the import`);
    if (answers.get(number) !== status) changed += 1;
  }
  assert.ok(changed > 0, 'the newer list changed some statuses');
});

test('while the listener is lost, answers come from the database, and it comes back', async () => {
  const { number, id } = await soleLicence();
  await lookup(number);
  await lookup(number);
  await sql.run(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                  WHERE application_name = 'fairreg-cache-listener';`);
  await sql.run(`UPDATE licence SET listed_status = 'revoked' WHERE id = ${id};`);
  assert.equal((await lookup(number)).json.items[0].status, 'revoked');
  await server.waitForLog((l) => String(l.message).includes('listening for register changes again'), 10000);
  await sql.run(`UPDATE licence SET listed_status = 'active' WHERE id = ${id};`);
  assert.equal((await lookup(number)).json.items[0].status, 'active');
});

test('a cached answer keeps its ETag, and If-None-Match gets 304 from the cache', async () => {
  const { number } = await soleLicence();
  const first = await lookup(number);
  const second = await lookup(number);
  const etag = second.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  assert.equal(first.headers.get('etag'), etag);
  assert.equal(second.text, first.text);
  assert.equal(second.headers.get('cache-control'), 'public, max-age=0, must-revalidate');
  const res = await h.api(server.url, 'GET', `/v1/licences?number=${encodeURIComponent(number)}`,
    { headers: { 'if-none-match': etag } });
  assert.equal(res.status, 304);
  assert.equal(res.headers.get('etag'), etag);
});
