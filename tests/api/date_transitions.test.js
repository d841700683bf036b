// The status changes that dates make, recorded by the server
// (server/date_transitions.c, schema/0090_date_transitions.sql): a licence
// that expired and a suspension that began while nothing was written reach
// the licence's history, GET /v1/changes and the Atom feed as soon as a
// server starts, once, however many servers run.
'use strict';

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const h = require('./harness');

let database;
let today;
const ids = {};

// Licences whose last recorded status the dates have overtaken, and one
// whose status holds.  The history says "active" for all three.
const SEED_SQL = String.raw`
INSERT INTO agency (name, country, authority_code, external_ref) VALUES
  ('Dates Test Agency', 'PH', 'PH-DMW', 'DT-1');
INSERT INTO licence (authority_code, number, agency_id, category, listed_status, valid_from, valid_until)
SELECT 'PH-DMW', v.number, a.id, 'landbased', 'active', current_date - 400, v.valid_until
  FROM (VALUES ('DT-EXPIRED', current_date - 3), ('DT-SUSPENDED', current_date + 300),
               ('DT-CURRENT', current_date + 300)) AS v (number, valid_until)
  CROSS JOIN agency AS a WHERE a.name = 'Dates Test Agency';
INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source)
SELECT id, 'active', current_date - 400, 'listed', 'system' FROM licence WHERE number LIKE 'DT-%' ORDER BY id;
-- Decided two months ago, for a period that began yesterday; not public.
INSERT INTO sanction (kind, licence_id, decided_on, effective_from, reason, authority_code, is_public)
SELECT 'suspension', id, current_date - 60, current_date - 1, 'grounds not published', 'PH-DMW', false
  FROM licence WHERE number = 'DT-SUSPENDED';
`;

function daysFromToday(days) {
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// The recorder's first line in SERVER's log (the harness waited for it).
function datesLine(server) {
  const line = server.logs.map(h.parseLogLine)
    .find((p) => p && typeof p.message === 'string' && p.message.startsWith('date transitions: '));
  assert.ok(line, `no date transitions line in:\n${server.logs.join('\n')}`);
  return line;
}

// How many changes the first run recorded, from its line.
function recordedLine(server) {
  const line = datesLine(server);
  assert.equal(line.level, 'info', line.message);
  const match = /^date transitions: up to date; recorded (\d+) status changes made by dates$/.exec(line.message);
  assert.ok(match, line.message);
  return Number(match[1]);
}

// A port nothing listens on.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = require('node:net').createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Adds licence NUMBER, valid for the last 30 days up to yesterday, its
// history still saying active.
async function addExpiredYesterday(number) {
  await h.psql(database, `
    INSERT INTO licence (authority_code, number, agency_id, listed_status, valid_from, valid_until)
    SELECT 'PH-DMW', '${number}', id, 'active', current_date - 30, current_date - 1
      FROM agency WHERE name = 'Dates Test Agency';
    INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source)
    SELECT id, 'active', current_date - 30, 'listed', 'system' FROM licence WHERE number = '${number}';`);
}

async function historyCount() {
  return Number(await h.psql(database, 'SELECT count(*) FROM licence_status_history'));
}

before(async () => {
  database = await h.freshDatabase({ tag: 'dates' });
  await h.psql(database, SEED_SQL);
  today = (await h.psql(database, 'SELECT current_date')).trim();
  for (const line of (await h.psql(database, "SELECT number, id FROM licence WHERE number LIKE 'DT-%'")).split('\n')) {
    const [number, id] = line.split('|');
    ids[number] = Number(id);
  }
});

test('a starting server records what the dates changed: expiry and a sanction that began', async () => {
  const before = await historyCount();
  const server = await h.startServer({ database, env: { FAIRREG_PUBLIC_PER_MINUTE: '0' } });
  try {
    assert.equal(recordedLine(server), 2);
    assert.equal(await historyCount(), before + 2);

    const expired = await h.api(server.url, 'GET', `/v1/licences/${ids['DT-EXPIRED']}`);
    assert.equal(expired.status, 200, expired.text);
    assert.equal(expired.json.status, 'expired');
    assert.deepEqual(expired.json.history, [
      { status: 'active', effective_on: daysFromToday(-400), reason: 'listed', source: 'system' },
      { status: 'expired', effective_on: daysFromToday(-2), reason: `valid until ${daysFromToday(-3)}`, source: 'system' },
    ]);

    const suspended = await h.api(server.url, 'GET', `/v1/licences/${ids['DT-SUSPENDED']}`);
    assert.equal(suspended.json.status, 'suspended');
    assert.deepEqual(suspended.json.history.at(-1),
      { status: 'suspended', effective_on: daysFromToday(-1), reason: null, source: 'sanction' },
      'the change is the sanction\'s, its reason withheld (the sanction is not public)');

    const current = await h.api(server.url, 'GET', `/v1/licences/${ids['DT-CURRENT']}`);
    assert.equal(current.json.status, 'active');
    assert.equal(current.json.history.length, 1, 'a status that holds gets no row');

    const feed = await h.api(server.url, 'GET', '/v1/changes?limit=100');
    assert.equal(feed.status, 200, feed.text);
    assert.deepEqual(feed.json.items.slice(-2).map((c) => [c.licence.number, c.status, c.effective_on, c.reason]), [
      ['DT-EXPIRED', 'expired', daysFromToday(-2), `valid until ${daysFromToday(-3)}`],
      ['DT-SUSPENDED', 'suspended', daysFromToday(-1), null],
    ]);

    const atom = await h.api(server.url, 'GET', '/feeds/licences.atom');
    assert.equal(atom.status, 200);
    assert.match(atom.text, /DT-EXPIRED/);
    assert.match(atom.text, /expired/);

    const audit = await h.psql(database, `SELECT count(*) FROM audit_log
      WHERE entity = 'licence_status_history' AND actor = 'system:date-transitions'`);
    assert.equal(Number(audit), 2, 'each row is audited, by the date-transitions actor');
  } finally {
    await h.stopServer(server);
  }
});

test('a second start, and two servers starting together, record nothing twice', async () => {
  const before = await historyCount();
  const again = await h.startServer({ database });
  try {
    assert.equal(recordedLine(again), 0);
  } finally {
    await h.stopServer(again);
  }

  // A new licence that expired yesterday, its history saying active: two
  // servers start at once, one records it, the other finds it done.
  await addExpiredYesterday('DT-EXPIRED-2');
  const [one, two] = await Promise.all([h.startServer({ database }), h.startServer({ database })]);
  try {
    assert.deepEqual([recordedLine(one), recordedLine(two)].sort(), [0, 1]);
    assert.equal(await historyCount(), before + 2);
    const rows = await h.psql(database, `SELECT h.status, h.effective_on FROM licence_status_history AS h
      JOIN licence AS l ON l.id = h.licence_id WHERE l.number = 'DT-EXPIRED-2' ORDER BY h.id`);
    assert.equal(rows, `active|${daysFromToday(-30)}\nexpired|${today}`);
  } finally {
    await h.stopServer(one);
    await h.stopServer(two);
  }
});

test('a licence a writer holds is skipped, not waited for, and said so', async () => {
  await addExpiredYesterday('DT-HELD');
  // A writer (an import, say) holds the licence for a few seconds.
  const writer = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', database, '-c',
    "BEGIN; SELECT FROM licence WHERE number = 'DT-HELD' FOR UPDATE; SELECT pg_sleep(4); COMMIT;"],
  { env: h.processEnv(), stdio: 'ignore' });
  const writerDone = new Promise((resolve) => writer.on('close', resolve));
  try {
    // Sleeping for 200 ms already: past its FOR UPDATE.
    assert.ok(await h.poll(async () => Number(await h.psql(database, `SELECT count(*) FROM pg_stat_activity
      WHERE query LIKE '%pg_sleep(4)%' AND state = 'active' AND pid <> pg_backend_pid()
        AND clock_timestamp() - query_start > interval '200 milliseconds'`)) === 1,
    { timeoutMs: 3000 }), 'the writer holds the licence');
    const server = await h.startServer({ database });
    try {
      assert.equal(datesLine(server).message,
        'date transitions: recorded 0 status changes made by dates; 1 licences held by a writer, tried again in 60 s');
      assert.equal(await h.psql(database, `SELECT string_agg(h.status::text, ',' ORDER BY h.id)
        FROM licence_status_history AS h JOIN licence AS l ON l.id = h.licence_id WHERE l.number = 'DT-HELD'`),
      'active', 'nothing recorded for the held licence');
    } finally {
      await h.stopServer(server);
    }
  } finally {
    assert.equal(await writerDone, 0, 'the writer was not disturbed');
  }
});

test('without a database the recorder says why, and the server serves on', async () => {
  const server = await h.startServer({
    database,
    env: { PGHOST: '127.0.0.1', PGPORT: String(await freePort()) },
  });
  try {
    const line = datesLine(server);
    assert.equal(line.level, 'warning');
    assert.match(line.message, /^date transitions: cannot connect to the database; retrying every 30 s$/);
    const health = await h.api(server.url, 'GET', '/healthz');
    assert.ok([200, 503].includes(health.status), health.text);
  } finally {
    await h.stopServer(server);
  }
});
