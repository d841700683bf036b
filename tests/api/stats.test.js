// GET /v1/stats/complaints: complaint counts grouped by up to eight
// dimensions.  The public (anonymous, inspectors, attachés) gets cells under 5
// suppressed and, by complementary suppression, every cell that would give a
// suppressed one away by subtraction; analysts and admins get every count, in
// a private answer.  No answer ever carries a complainant's personal data.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');
const h = require('./harness');

// 23 complaints in five kinds (the same as tests/sql/30_complaint_stats.sql):
//   R1  7  female     MM  TH  domestic_work  online   recruitment_fees                      2026-01
//   R2  5  female     MM  MY  manufacturing  attache  recruitment_fees, document_retention  2026-02
//   R3  3  male       KH  TH  construction   hotline  unpaid_wages                          2026-01
//   R4  6  male       MM  MY  manufacturing  online   recruitment_fees                      2026-02
//   R5  2  anonymous  -   TH  -              hotline  deception                             2026-03
// Personal data that must never come out: the names, contacts, age band and
// the descriptions below.
const SEED_SQL = String.raw`
CREATE TEMP TABLE kind (kind text, n int, sex text, nationality text, destination text, sector text,
                        channel text, categories text[], created timestamptz);
INSERT INTO kind VALUES
  ('R1', 7, 'female', 'MM', 'TH', 'domestic_work', 'online', '{recruitment_fees}', '2026-01-10 08:00Z'),
  ('R2', 5, 'female', 'MM', 'MY', 'manufacturing', 'attache', '{recruitment_fees,document_retention}', '2026-02-10 08:00Z'),
  ('R3', 3, 'male', 'KH', 'TH', 'construction', 'hotline', '{unpaid_wages}', '2026-01-31 23:59Z'),
  ('R4', 6, 'male', 'MM', 'MY', 'manufacturing', 'online', '{recruitment_fees}', '2026-02-01 00:00Z'),
  ('R5', 2, NULL, NULL, 'TH', NULL, 'hotline', '{deception}', '2026-03-05 08:00Z');
INSERT INTO complaint (reference, channel, filed_by, agency_name_given, description, destination_country,
                       sector, created_at)
SELECT k.kind || 'ST-0000-' || lpad(g::text, 4, '0'), k.channel, 'worker', 'Stats Test Agency',
       'They kept my passport, said Aye Aye Win', k.destination, k.sector, k.created
  FROM kind AS k, generate_series(1, k.n) AS g;
INSERT INTO complainant (complaint_id, name, contact, sex, nationality, age_band)
SELECT c.id, 'Aye Aye Win', '+95 9 7777 1234', k.sex, k.nationality, '25-34'
  FROM complaint AS c JOIN kind AS k ON c.reference LIKE k.kind || 'ST-%'
 WHERE k.sex IS NOT NULL;
INSERT INTO complaint_category (complaint_id, category)
SELECT c.id, unnest(k.categories) FROM complaint AS c JOIN kind AS k ON c.reference LIKE k.kind || 'ST-%';
`;
const PERSONAL = /Aye Aye|7777|passport|25-34|age_band|contact|description|reference/i;

const USERS = {
  admin: { email: 'admin@stats.example', role: 'admin' },
  analyst: { email: 'analyst@stats.example', role: 'analyst' },
  inspector: { email: 'inspector@stats.example', role: 'inspector', org: 'PH-DMW' },
  attache: { email: 'attache@stats.example', role: 'attache', org: 'MM-EMB-BKK' },
};
const PUBLIC_CACHE = 'public, max-age=0, must-revalidate';

let server;
const tokens = {};
const answers = []; // every body answered, checked for personal data at the end

before(async () => {
  const database = await h.freshDatabase({ tag: 'stats' });
  await h.psql(database, SEED_SQL);
  for (const [caller, user] of Object.entries(USERS)) {
    await h.addUser({ database, email: user.email, role: user.role, org: user.org });
    user.caller = caller;
  }
  server = await h.startServer({ database, env: { FAIRREG_PUBLIC_PER_MINUTE: '0' } });
  for (const [caller, user] of Object.entries(USERS)) tokens[caller] = await h.login(server.url, user.email);
});

after(async () => {
  await h.stopServer(server);
});

// GET /v1/stats/complaints?QUERY as CALLER (a key of USERS, or anonymous).
async function stats(query, caller = 'anonymous', headers = {}) {
  const res = await h.api(server.url, 'GET', `/v1/stats/complaints${query ? `?${query}` : ''}`,
    { token: caller === 'anonymous' ? undefined : tokens[caller], headers });
  answers.push(res.text);
  return res;
}

// Asserts a public answer: 200, JSON, revalidated public caching with an ETag.
function assertPublic(res, body) {
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  assert.equal(res.headers.get('cache-control'), PUBLIC_CACHE);
  assert.match(res.headers.get('etag') || '', /^"[0-9a-f]{32}"$/);
  assert.equal(res.headers.get('vary'), 'Authorization');
  assert.deepEqual(res.json, body);
}

// Asserts an analyst's answer: 200, JSON, never stored, every count.
function assertFull(res, body) {
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  assert.equal(res.headers.get('cache-control'), 'private, no-store');
  assert.equal(res.headers.get('etag'), null);
  assert.equal(res.headers.get('vary'), 'Authorization');
  assert.deepEqual(res.json, body);
  assert.ok(!res.text.includes('suppressed'), 'an analyst answer mentions suppression');
}

const SUPPRESSED = { count: null, suppressed: true };

test('public by sex: undisclosed (2) is suppressed, and male (9) with it, else 23 - 12 - 9 would give it away', async () => {
  assertPublic(await stats('group_by=sex&from=2026-01&to=2026-12'), {
    group_by: ['sex'], from: '2026-01', to: '2026-12',
    rows: [{ sex: 'female', count: 12 }, { sex: 'male', ...SUPPRESSED }, { sex: 'undisclosed', ...SUPPRESSED }],
  });
});

test('inspectors and attachés get the public figures', async () => {
  const anonymous = await stats('group_by=sex');
  for (const caller of ['inspector', 'attache']) {
    const res = await stats('group_by=sex', caller);
    assertPublic(res, anonymous.json);
    assert.equal(res.text, anonymous.text);
  }
});

test('analysts and admins get every count, privately, without a suppressed member', async () => {
  for (const caller of ['analyst', 'admin']) {
    assertFull(await stats('group_by=sex&from=2026-01&to=2026-12', caller), {
      group_by: ['sex'], from: '2026-01', to: '2026-12',
      rows: [{ sex: 'female', count: 12 }, { sex: 'male', count: 9 }, { sex: 'undisclosed', count: 2 }],
    });
  }
});

test('two cells under 5 protect each other; unknown values are null and come last', async () => {
  assertPublic(await stats('group_by=nationality'), {
    group_by: ['nationality'], from: null, to: null,
    rows: [{ nationality: 'KH', ...SUPPRESSED }, { nationality: 'MM', count: 18 }, { nationality: null, ...SUPPRESSED }],
  });
});

test('by month: March (2) suppressed, and January (10), the smaller of the others', async () => {
  assertPublic(await stats('group_by=month'), {
    group_by: ['month'], from: null, to: null,
    rows: [{ month: '2026-01', ...SUPPRESSED }, { month: '2026-02', count: 11 }, { month: '2026-03', ...SUPPRESSED }],
  });
});

test('two dimensions: complementary suppression repeats across marginals until none has a lone suppressed cell', async () => {
  // male TH (3) and undisclosed TH (2) are under 5; male MY goes for the male
  // marginal, then female MY for the MY marginal, then female TH for female.
  assertPublic(await stats('group_by=sex,destination_country'), {
    group_by: ['sex', 'destination_country'], from: null, to: null,
    rows: [
      { sex: 'female', destination_country: 'MY', ...SUPPRESSED },
      { sex: 'female', destination_country: 'TH', ...SUPPRESSED },
      { sex: 'male', destination_country: 'MY', ...SUPPRESSED },
      { sex: 'male', destination_country: 'TH', ...SUPPRESSED },
      { sex: 'undisclosed', destination_country: 'TH', ...SUPPRESSED },
    ],
  });
  assertFull(await stats('group_by=sex,destination_country', 'analyst'), {
    group_by: ['sex', 'destination_country'], from: null, to: null,
    rows: [
      { sex: 'female', destination_country: 'MY', count: 5 },
      { sex: 'female', destination_country: 'TH', count: 7 },
      { sex: 'male', destination_country: 'MY', count: 6 },
      { sex: 'male', destination_country: 'TH', count: 3 },
      { sex: 'undisclosed', destination_country: 'TH', count: 2 },
    ],
  });
});

test('rows follow the order of group_by; a marginal of one cell needs no partner', async () => {
  assertPublic(await stats('group_by=destination_country,sex&from=2026-02'), {
    group_by: ['destination_country', 'sex'], from: '2026-02', to: null,
    rows: [
      { destination_country: 'MY', sex: 'female', count: 5 },
      { destination_country: 'MY', sex: 'male', count: 6 },
      { destination_country: 'TH', sex: 'undisclosed', ...SUPPRESSED },
    ],
  });
});

test('category counts a complaint in each of its categories, and is protected like any other dimension', async () => {
  assertPublic(await stats('group_by=category'), {
    group_by: ['category'], from: null, to: null,
    rows: [
      { category: 'deception', ...SUPPRESSED },
      { category: 'document_retention', count: 5 },
      { category: 'recruitment_fees', count: 18 },
      { category: 'unpaid_wages', ...SUPPRESSED },
    ],
  });
  // January: unpaid wages 3, recruitment fees 7; with one category each,
  // the January total (10) minus 7 would give 3 away.
  assertPublic(await stats('group_by=category&from=2026-01&to=2026-01'), {
    group_by: ['category'], from: '2026-01', to: '2026-01',
    rows: [{ category: 'recruitment_fees', ...SUPPRESSED }, { category: 'unpaid_wages', ...SUPPRESSED }],
  });
});

test('without group_by: one total row; a total under 5, or of 0, is suppressed', async () => {
  assertPublic(await stats(''), { group_by: [], from: null, to: null, rows: [{ count: 23 }] });
  assertPublic(await stats('group_by='), { group_by: [], from: null, to: null, rows: [{ count: 23 }] });
  assertPublic(await stats('from=2026-03&to=2026-03'),
    { group_by: [], from: '2026-03', to: '2026-03', rows: [SUPPRESSED] });
  assertPublic(await stats('from=2030-01'), { group_by: [], from: '2030-01', to: null, rows: [SUPPRESSED] });
  assertFull(await stats('from=2030-01', 'analyst'), { group_by: [], from: '2030-01', to: null, rows: [{ count: 0 }] });
});

test('every dimension at once: no count under 5 is shown, and a suppressed cell never has a count', async () => {
  const all = 'sex,nationality,destination_country,sector,category,channel,status,month';
  const res = await stats(`group_by=${all}`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.group_by, all.split(','));
  assert.ok(res.json.rows.length > 0);
  for (const row of res.json.rows) {
    assert.deepEqual(Object.keys(row), [...all.split(','), 'count', ...(row.suppressed ? ['suppressed'] : [])]);
    if (row.suppressed) assert.equal(row.count, null);
    else assert.ok(row.count >= 5, JSON.stringify(row));
  }
  const full = await stats(`group_by=${all}`, 'analyst');
  assert.equal(full.status, 200, full.text);
  assert.equal(full.json.rows.length, res.json.rows.length);
  assert.equal(full.json.rows.reduce((sum, row) => sum + row.count, 0), 28, '23 complaints, 5 of them in two categories');
});

test('a public answer is revalidated with its ETag', async () => {
  const first = await stats('group_by=sex');
  const again = await stats('group_by=sex', 'anonymous', { 'if-none-match': first.headers.get('etag') });
  assert.equal(again.status, 304);
  assert.equal(again.text, '');
});

test('a malformed group_by, from or to is 400 bad_parameter naming the parameter and what it allows', async () => {
  const cases = [
    ['group_by=name', /group_by.*sex, nationality, destination_country, sector, category, channel, status, month/],
    ['group_by=contact', /group_by/],
    ['group_by=Sex', /group_by/],
    ['group_by=sex,', /group_by/],
    ['group_by=,sex', /group_by/],
    ['group_by=sex,month,sex', /group_by names sex twice/],
    ['from=2026-13', /from must be a month as YYYY-MM/],
    ['from=2026-1', /from must be a month as YYYY-MM/],
    ['to=0000-01', /to must be a month as YYYY-MM/],
    ['to=2026-01-01', /to must be a month as YYYY-MM/],
    ['from=2026-05&to=2026-04', /from must not be after to/],
  ];
  for (const [query, message] of cases) {
    const res = await stats(query);
    const error = h.assertError(res, 400, 'bad_parameter');
    assert.match(error.message, message, query);
  }
  h.assertError(await stats('group_by=sex&since=1'), 400, 'unknown_parameter');
  h.assertError(await stats('group_by=sex', 'anonymous', { authorization: 'Bearer fr_not-a-token' }), 401,
    'unauthenticated');
});

// A validator of the OpenAPI document's schema NAME (with its siblings as $defs).
async function documentSchema(name) {
  const doc = (await h.api(server.url, 'GET', '/openapi.json')).json;
  const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'));
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'example' });
  return ajv.compile({ $ref: `#/$defs/${name}`, $defs: defs });
}

test('public and analyst answers with data validate against the OpenAPI document', async () => {
  const validate = await documentSchema('ComplaintStats');
  const all = 'sex,nationality,destination_country,sector,category,channel,status,month';
  for (const [query, caller] of [[`group_by=${all}`, 'anonymous'], [`group_by=${all}`, 'analyst'],
    ['group_by=sex&from=2026-01&to=2026-12', 'anonymous'], ['', 'admin']]) {
    const res = await stats(query, caller);
    assert.equal(res.status, 200, res.text);
    assert.ok(validate(res.json), `${caller} ${query}: ${JSON.stringify(validate.errors)}`);
  }
  const wrong = { group_by: ['sex'], from: null, to: null, rows: [{ sex: 'female', count: 3, name: 'x' }] };
  assert.equal(validate(wrong), false, 'the schema lets an undocumented member through');
});

test('no answer, error or log line carries personal data', async () => {
  assert.ok(answers.length > 20);
  for (const text of answers) assert.doesNotMatch(text, PERSONAL);
  const logged = server.logs.filter((line) => /Aye Aye|7777|passport/.test(line));
  assert.deepEqual(logged, []);
});

test('public answers come from memory until a complaint is filed, and never after it', async () => {
  const online = (res) => res.json.rows.find((row) => row.channel === 'online').count;
  const hits = async () => Number(/^fairreg_cache_lookups_total\{result="hit"\} (\d+)$/m
    .exec((await h.api(server.url, 'GET', '/metrics')).text)[1]);
  const first = await stats('group_by=channel');
  const hitsBefore = await hits();
  const again = await stats('group_by=channel');
  assert.equal(await hits(), hitsBefore + 1, 'the same question again is answered from memory');
  assert.equal(again.text, first.text);
  assert.equal(again.headers.get('etag'), first.headers.get('etag'));
  assert.equal(again.headers.get('vary'), 'Authorization');
  for (let i = 0; i < 5; i++) {
    const filed = await h.api(server.url, 'POST', '/v1/complaints', {
      json: { agency_name: 'Stats Freshness Agency', categories: ['other'], description: 'freshness' },
    });
    assert.equal(filed.status, 201, filed.text);
  }
  const after = await stats('group_by=channel');
  assert.equal(online(after), online(first) + 5, 'the very next public answer counts the new complaints');
  assert.notEqual(after.headers.get('etag'), first.headers.get('etag'));
  const analyst = await stats('group_by=channel', 'analyst');
  assert.equal(analyst.json.rows.find((row) => row.channel === 'online').count, online(after));
});
