// The change feed of licence statuses: GET /v1/changes (JSON, in order, with
// a cursor that never skips a change, even one whose transaction commits
// late) and GET /feeds/licences.atom (a valid Atom 1.0 feed).
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const h = require('./harness');
const { seedRegister } = require('./public_seed');

let database;
let server;
let ids;
let xmllint = false;

before(async () => {
  database = await h.freshDatabase({ tag: 'changes' });
  ids = await seedRegister(database);
  server = await h.startServer({ database, env: { FAIRREG_PUBLIC_PER_MINUTE: '0' } });
  try {
    xmllint = (await h.run('xmllint', ['--version'])).code === 0;
  } catch {
    xmllint = false;
  }
});

after(async () => {
  await h.stopServer(server);
});

async function changes(query = '') {
  const res = await h.api(server.url, 'GET', `/v1/changes${query}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  assert.deepEqual(Object.keys(res.json), ['items', 'next']);
  assert.match(res.json.next, /^\d+\.\d+$/);
  return res.json;
}

// Reads the whole feed from SINCE with LIMIT per call; returns the items and
// the final position.
async function readAll(since, limit) {
  const items = [];
  let position = since;
  for (let calls = 0; ; calls++) {
    assert.ok(calls < 100, 'the feed never ends');
    const page = await changes(`?since=${position}&limit=${limit}`);
    if (page.items.length === 0) {
      assert.equal(page.next, position, 'next moved although nothing was new');
      return { items, position };
    }
    assert.ok(page.items.length <= limit);
    items.push(...page.items);
    position = page.next;
  }
}

// Records a status change of licence ID with SQL (as an inspector's system
// job would) and returns nothing.
async function recordChange(id, status, reason) {
  await h.psql(database, `INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source)
    VALUES (${id}, '${status}', current_date, '${reason}', 'system')`);
}

test('GET /v1/changes lists every status change with the fixed fields, in order', async () => {
  const page = await changes();
  const history = (await h.psql(database, 'SELECT id FROM licence_status_history ORDER BY id'))
    .split('\n').map(Number);
  // The seed wrote them in one transaction, so the order is the id order.
  assert.deepEqual(page.items.map((c) => c.id), history);
  const poea = page.items.find((c) => c.licence.id === ids.licences.poea);
  assert.deepEqual(Object.keys(poea), ['id', 'licence', 'agency', 'status', 'effective_on', 'reason', 'at']);
  assert.deepEqual(poea.licence, { id: ids.licences.poea, number: 'POEA-123-LB-031524-R', authority: 'PH-DMW' });
  assert.deepEqual(poea.agency, { id: ids.agencies.example, name: 'Example Manpower Services Inc.' });
  assert.equal(poea.status, 'active');
  assert.equal(poea.effective_on, '2024-03-15');
  assert.equal(poea.reason, 'listed');
  assert.match(poea.at, h.RFC3339_UTC);
  assert.deepEqual(await changes('?since=0'), page);
});

test('the cursor pages through the feed with no duplicate and no gap; next stays put when nothing is new', async () => {
  const whole = await changes('?limit=1000');
  const paged = await readAll('0', 2);
  assert.deepEqual(paged.items, whole.items);
  assert.equal(paged.position, whole.next);

  await recordChange(ids.licences.khmer, 'suspended', 'first new change');
  await recordChange(ids.licences.lao, 'active', 'second new change');
  const fresh = await readAll(whole.next, 1);
  assert.deepEqual(fresh.items.map((c) => [c.licence.id, c.status, c.reason]),
    [[ids.licences.khmer, 'suspended', 'first new change'], [ids.licences.lao, 'active', 'second new change']]);
  assert.deepEqual((await changes(`?since=${fresh.position}`)).items, []);
});

test('a change whose transaction commits late is not skipped: later commits wait behind it', async () => {
  const start = (await changes('?limit=1000')).next;
  // A: a long transaction that records a change, then holds it open.
  const slow = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c',
    `BEGIN;
     INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source)
     VALUES (${ids.licences.thai}, 'suspended', current_date, 'late commit', 'system');
     SELECT pg_sleep(4); COMMIT;`],
  { env: h.processEnv({ PGDATABASE: database, PGAPPNAME: 'fairreg-late-commit' }), stdio: 'ignore' });
  const slowDone = new Promise((resolve) => slow.on('close', resolve));
  try {
    const holding = await h.poll(async () => Number(await h.psql(database,
      `SELECT count(*) FROM pg_stat_activity
        WHERE application_name = 'fairreg-late-commit' AND backend_xid IS NOT NULL`)) === 1,
    { timeoutMs: 3000, intervalMs: 50 });
    assert.ok(holding, 'the slow transaction did not start');
    // B: a short transaction that commits at once, after A took its id.
    await recordChange(ids.licences.burmese, 'revoked', 'quick commit');

    const during = await changes(`?since=${start}`);
    const stillRunning = Number(await h.psql(database,
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fairreg-late-commit'"));
    assert.equal(stillRunning, 1, 'the slow transaction ended too early for this test to mean anything');
    assert.deepEqual(during.items, [], 'B was published while A, which took an earlier id, was still running');
    assert.equal(during.next, start);
  } finally {
    await slowDone;
  }
  const afterwards = await changes(`?since=${start}`);
  assert.deepEqual(afterwards.items.map((c) => c.reason), ['late commit', 'quick commit']);
  assert.ok(afterwards.items[0].id < afterwards.items[1].id);
});

test('agency= keeps the changes of one agency', async () => {
  const page = await changes(`?agency=${ids.agencies.harbor}&limit=1000`);
  assert.deepEqual(page.items.map((c) => [c.licence.id, c.status]),
    [[ids.licences.suspended, 'active'], [ids.licences.suspended, 'suspended']]);
  assert.ok(page.items.every((c) => c.agency.id === ids.agencies.harbor));
});

test('the reason of a change due to a non-public sanction is withheld', async () => {
  await h.psql(database, `INSERT INTO sanction (kind, agency_id, decided_on, effective_from, reason, authority_code, is_public)
      VALUES ('suspension', ${ids.agencies.hoangLong}, current_date, current_date, 'secret internal reason', 'VN-MOLISA', false);
    INSERT INTO licence (authority_code, number, agency_id, listed_status, valid_from)
      VALUES ('VN-MOLISA', 'HL-1', ${ids.agencies.hoangLong}, 'active', '2024-01-01');
    INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source, sanction_id)
      SELECT l.id, 'suspended', current_date, 'secret internal reason', 'sanction', s.id
        FROM licence AS l, sanction AS s WHERE l.number = 'HL-1' AND s.reason = 'secret internal reason'`);
  const page = await changes(`?agency=${ids.agencies.hoangLong}`);
  assert.deepEqual(page.items.map((c) => [c.status, c.reason]), [['suspended', null]]);
  const feed = await h.api(server.url, 'GET', '/feeds/licences.atom');
  assert.doesNotMatch(feed.text, /secret internal reason/);
});

test('since, limit and agency are checked: 400 bad_parameter', async () => {
  for (const bad of ['abc', '1', '1.', '.1', '-1.2', '1.2.3', '1.-2', '123456789012345678901.1', '18446744073709551616.1']) {
    h.assertError(await h.api(server.url, 'GET', `/v1/changes?since=${encodeURIComponent(bad)}`), 400, 'bad_parameter');
  }
  for (const bad of ['0', '1001', 'x']) {
    h.assertError(await h.api(server.url, 'GET', `/v1/changes?limit=${bad}`), 400, 'bad_parameter');
  }
  h.assertError(await h.api(server.url, 'GET', '/v1/changes?agency=x'), 400, 'bad_parameter');
  h.assertError(await h.api(server.url, 'GET', '/feeds/licences.atom?agency=0'), 400, 'bad_parameter');
  h.assertError(await h.api(server.url, 'GET', '/v1/changes?from=1'), 400, 'unknown_parameter');
});

// ---------------------------------------------------------------------------
// Atom.

// The text of every element LOCALNAME directly under the element PARENT (a
// regular expression over the well-formed document).
function children(xml, localName) {
  const re = new RegExp(`<${localName}(?:\\s[^>]*)?>([\\s\\S]*?)</${localName}>`, 'g');
  return [...xml.matchAll(re)].map((m) => m[1]);
}

async function xmllintCheck(xml, args) {
  return h.run('xmllint', [...args, '-'], { input: xml });
}

test('GET /feeds/licences.atom is a well-formed Atom 1.0 feed with the required elements', async () => {
  // More changes than the feed carries, then one with text to escape.
  await h.psql(database, `INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source)
    SELECT ${ids.licences.khmer}, 'active', current_date, format('bulk %s', g), 'system' FROM generate_series(1, 50) AS g`);
  await h.psql(database, `INSERT INTO agency (name, country) VALUES ('Smith & Sons <Recruitment> "Quoted"', 'PH');
    INSERT INTO licence (authority_code, number, agency_id, listed_status)
      SELECT 'PH-DMW', 'S&S-1', id, 'active' FROM agency WHERE name LIKE 'Smith & Sons%';
    INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source)
      SELECT id, 'active', current_date, 'reason with <markup> & ampersand', 'system' FROM licence WHERE number = 'S&S-1'`);
  const res = await h.api(server.url, 'GET', '/feeds/licences.atom');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), 'application/atom+xml; charset=utf-8');
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const xml = res.text;

  if (xmllint) {
    const wellFormed = await xmllintCheck(xml, ['--noout']);
    assert.equal(wellFormed.code, 0, `not well-formed XML: ${wellFormed.stderr}`);
    const count = await xmllintCheck(xml,
      ['--xpath', "count(/*[local-name()='feed' and namespace-uri()='http://www.w3.org/2005/Atom']/*[local-name()='entry'])"]);
    assert.equal(count.stdout.trim(), '50');
  }
  assert.match(xml, /^<\?xml version="1\.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom">/);
  assert.match(xml, /<\/feed>\n$/);
  const [head] = xml.split('<entry>');
  assert.match(head, /<id>tag:[^<,]+,\d{4}:[^<]+<\/id>/);
  assert.match(head, /<title>[^<]+<\/title>/);
  assert.match(head, /<updated>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z<\/updated>/);
  assert.match(head, /<link rel="self" type="application\/atom\+xml" href="https?:\/\/[^"]+\/feeds\/licences\.atom"\/>/);
  assert.match(head, /<author><name>[^<]+<\/name><\/author>/);

  const entries = children(xml, 'entry');
  assert.equal(entries.length, 50, 'the feed carries the 50 latest changes');
  const entryIds = entries.map((e) => children(e, 'id')[0]);
  assert.equal(new Set(entryIds).size, 50, 'entry ids are unique');
  for (const entry of entries) {
    assert.match(children(entry, 'id')[0], /^tag:[^,]+,\d{4}:fairreg:licence-change:\d+$/);
    assert.equal(children(entry, 'title').length, 1);
    assert.match(children(entry, 'updated')[0], h.RFC3339_UTC);
    assert.match(entry, /<content type="text">[^<]+<\/content>/);
    assert.match(entry, /<link rel="alternate" type="application\/json" href="https?:\/\/[^"]+\/v1\/licences\/\d+"\/>/);
  }
  // Newest first: the change just made leads, its text escaped.
  const newest = entries[0];
  assert.match(newest, /Smith &amp; Sons &lt;Recruitment&gt; &quot;Quoted&quot;/);
  assert.match(newest, /reason with &lt;markup&gt; &amp; ampersand/);
  assert.match(newest, /S&amp;S-1/);
  const history = (await h.psql(database, 'SELECT id FROM licence_status_history ORDER BY id DESC LIMIT 50'))
    .split('\n').map(Number);
  assert.deepEqual(entryIds.map((id) => Number(id.split(':').at(-1))), history);
  assert.equal(children(head, 'updated')[0], children(newest, 'updated')[0]);
});

test('the Atom feed has an ETag and answers 304; agency= narrows it', async () => {
  const first = await h.api(server.url, 'GET', '/feeds/licences.atom');
  const etag = first.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  const again = await h.api(server.url, 'GET', '/feeds/licences.atom', { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);

  const one = await h.api(server.url, 'GET', `/feeds/licences.atom?agency=${ids.agencies.harbor}`);
  assert.equal(one.status, 200);
  const entries = children(one.text, 'entry');
  assert.equal(entries.length, 2);
  assert.ok(entries.every((e) => e.includes('Harbor Star Recruitment')));
  assert.match(one.text, new RegExp(`<id>tag:[^<]+:licence-changes:agency:${ids.agencies.harbor}</id>`));
  if (xmllint) {
    assert.equal((await xmllintCheck(one.text, ['--noout'])).code, 0);
  }
  const none = await h.api(server.url, 'GET', '/feeds/licences.atom?agency=999999');
  assert.equal(children(none.text, 'entry').length, 0);
  assert.match(none.text, /<updated>1970-01-01T00:00:00Z<\/updated>/);
});
