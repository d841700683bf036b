// The public read API: the agency search in every script of the region, the
// agency page and the licence lookups with their fixed fields, effective
// statuses, the public sanctions list, paging, conditional requests, rate
// limits and the refusals.  The register is seeded with SQL as the
// superuser (public_seed.js); every request is anonymous.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');
const { seedRegister } = require('./public_seed');

let database;
let server;
let ids;

before(async () => {
  database = await h.freshDatabase({ tag: 'public' });
  ids = await seedRegister(database);
  server = await h.startServer({ database, env: { FAIRREG_PUBLIC_PER_MINUTE: '0' } });
});

after(async () => {
  await h.stopServer(server);
});

async function get(path, options) {
  return h.api(server.url, 'GET', path, options);
}

// GET PATH, asserting 200 JSON; returns the body.
async function getJson(path) {
  const res = await get(path);
  assert.equal(res.status, 200, `${path}: ${res.text}`);
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  return res.json;
}

async function search(query) {
  return getJson(`/v1/agencies?${new URLSearchParams(query)}`);
}

const PH_DMW = { code: 'PH-DMW', country: 'PH', name: 'Department of Migrant Workers' };

// ---------------------------------------------------------------------------
// The fixed fields.

test('GET /v1/licences/{id} answers exactly the fixed fields of a licence', async () => {
  const licence = await getJson(`/v1/licences/${ids.licences.poea}`);
  assert.deepEqual(licence, {
    id: ids.licences.poea,
    number: 'POEA-123-LB-031524-R',
    authority: PH_DMW,
    category: 'landbased',
    status: 'active',
    listed_status: 'active',
    valid_from: '2024-03-15',
    valid_until: '2099-03-14',
    in_good_standing: true,
    agency: { id: ids.agencies.example, name: 'Example Manpower Services Inc.' },
    history: [{ status: 'active', effective_on: '2024-03-15', reason: 'listed', source: 'import' }],
  });
});

test('GET /v1/agencies/{id} answers every fixed field of DESIGN.md 5, public data only', async () => {
  const agency = await getJson(`/v1/agencies/${ids.agencies.example}`);
  const poea = await getJson(`/v1/licences/${ids.licences.poea}`);
  const pending = await getJson(`/v1/licences/${ids.licences.pending}`);
  assert.deepEqual(agency, {
    id: ids.agencies.example,
    name: 'Example Manpower Services Inc.',
    other_names: [{ name: 'Example Manpower', lang: 'fil', kind: 'trade' }],
    country: 'PH',
    registration_number: 'CS201912345',
    address: '123 Ortigas Ave, Pasig City',
    phone: '+63 2 8123 4567',
    email: 'info@example.ph',
    website: 'https://example.ph',
    in_good_standing: true,
    licences: [poea, pending].sort((a, b) => a.id - b.id),
    branches: [{ address: '45 Rizal St', city: 'Davao City', country: 'PH', phone: null, email: null }],
    officers: [{ name: 'Maria Santos', role: 'president', valid_from: '2019-01-01', valid_until: null }],
    personnel: [{
      name: 'Ana Reyes', registration_number: 'R2024-0042', role: 'recruiter', valid_from: null, valid_until: null,
    }],
    sanctions: [{
      id: ids.sanctions.fine,
      kind: 'fine',
      agency: { id: ids.agencies.example, name: 'Example Manpower Services Inc.' },
      licence: { id: ids.licences.poea, number: 'POEA-123-LB-031524-R' },
      authority: 'PH-DMW',
      decided_on: '2025-02-01',
      effective_from: null,
      effective_until: null,
      lifted_on: null,
      lift_reason: null,
      in_force: false,
      reason: 'misleading advertisement',
      points: null,
      amount: 50000,
      currency: 'PHP',
    }],
    inspections: { count_24m: 0, last_on: null, breaches_24m: 0 },
    complaints: { received_24m: 0, substantiated_24m: 0 },
  });
  assert.doesNotMatch(JSON.stringify(agency), /not public|7 Closed St/,
    'a non-public sanction or an unlisted branch leaked');
});

test('an agency summary has exactly {id, name, country, in_good_standing, licences[{id, number, authority, status, valid_until}]}', async () => {
  const body = await search({ q: 'Harbor Star Recruitment' });
  assert.deepEqual(Object.keys(body), ['items', 'next_cursor']);
  assert.deepEqual(body.items[0], {
    id: ids.agencies.harbor,
    name: 'Harbor Star Recruitment',
    country: 'PH',
    in_good_standing: false,
    licences: [{
      id: ids.licences.suspended, number: 'POEA-125-LB-050521-R', authority: 'PH-DMW',
      status: 'suspended', valid_until: '2099-05-04',
    }],
  });
});

// ---------------------------------------------------------------------------
// Licence numbers.

test('GET /v1/licences?number= ignores case, spaces, hyphens, dots and slashes', async () => {
  const poea = await getJson(`/v1/licences/${ids.licences.poea}`);
  for (const typed of ['poea 123 lb 031524 r', 'POEA-123-LB-031524-R', 'POEA123LB031524R', 'poea.123/lb-031524 r']) {
    assert.deepEqual(await getJson(`/v1/licences?number=${encodeURIComponent(typed)}`), { items: [poea] }, typed);
  }
  const thai = await getJson(`/v1/licences/${ids.licences.thai}`);
  for (const typed of ['นจ.1234/2565', 'นจ 1234 2565', 'นจ. 1234/2565']) {
    assert.deepEqual(await getJson(`/v1/licences?number=${encodeURIComponent(typed)}`), { items: [thai] }, typed);
  }
  assert.equal(thai.agency.name, 'บริษัท สยามแรงงาน จัดหางาน จำกัด');
  assert.deepEqual(await getJson('/v1/licences?number=POEA-999'), { items: [] });
});

test('GET /v1/licences without a number is 400 bad_parameter', async () => {
  h.assertError(await get('/v1/licences'), 400, 'bad_parameter');
  h.assertError(await get('/v1/licences?number='), 400, 'bad_parameter');
  h.assertError(await get('/v1/licences?number=%20%20'), 400, 'bad_parameter');
  h.assertError(await get(`/v1/licences?number=${'9'.repeat(201)}`), 400, 'bad_parameter');
});

// ---------------------------------------------------------------------------
// Effective status.

test('a licence listed active whose valid_until has passed is expired and not in good standing', async () => {
  const licence = await getJson(`/v1/licences/${ids.licences.expired}`);
  assert.equal(licence.listed_status, 'active');
  assert.equal(licence.status, 'expired');
  assert.equal(licence.in_good_standing, false);
  const agency = await getJson(`/v1/agencies/${ids.agencies.sunrise}`);
  assert.equal(agency.in_good_standing, false);
});

test('an active suspension sanction makes the licence suspended and the agency not in good standing', async () => {
  const licence = await getJson(`/v1/licences/${ids.licences.suspended}`);
  assert.equal(licence.listed_status, 'active');
  assert.equal(licence.status, 'suspended');
  assert.equal(licence.in_good_standing, false);
  assert.deepEqual(licence.history.map((e) => [e.status, e.source, e.reason]),
    [['active', 'import', 'listed'], ['suspended', 'sanction', 'unregistered branch']]);
  const agency = await getJson(`/v1/agencies/${ids.agencies.harbor}`);
  assert.equal(agency.in_good_standing, false);
  assert.deepEqual(agency.sanctions.map((s) => [s.kind, s.in_force, s.licence]), [['suspension', true, null]]);
});

test('a licence valid only from a future date is pending; its agency stays in good standing by its other licence', async () => {
  const licence = await getJson(`/v1/licences/${ids.licences.pending}`);
  assert.equal(licence.status, 'pending');
  assert.equal(licence.in_good_standing, false);
  assert.equal((await getJson(`/v1/agencies/${ids.agencies.example}`)).in_good_standing, true);
});

test('a status decided by a user is sourced "decision" in the history, never the user', async () => {
  const res = await get(`/v1/licences/${ids.licences.revoked}`);
  assert.equal(res.status, 200);
  assert.equal(res.json.status, 'revoked');
  assert.deepEqual(res.json.history.map((e) => [e.status, e.effective_on, e.source]),
    [['active', '2020-01-01', 'import'], ['revoked', '2025-06-01', 'decision']]);
  assert.doesNotMatch(res.text, /seed-inspector|Seed Inspector|"user"/);
});

// ---------------------------------------------------------------------------
// The name search.

// The ids of the agencies a search finds, best first.
async function found(q, extra = {}) {
  return (await search({ q, ...extra })).items.map((a) => a.id);
}

test('search finds Latin names, best match first', async () => {
  assert.equal((await found('Example Manpower'))[0], ids.agencies.example);
  assert.equal((await found('Harbor Star'))[0], ids.agencies.harbor);
  assert.equal((await found('example manpower services inc'))[0], ids.agencies.example);
});

test('search tolerates one wrong letter', async () => {
  assert.equal((await found('Exanple Manpower'))[0], ids.agencies.example);
  assert.equal((await found('Harbour Star'))[0], ids.agencies.harbor);
  assert.equal((await found('Exmaple Manpower'))[0], ids.agencies.example);
  assert.equal((await found('Sunrize'))[0], ids.agencies.sunrise);
  assert.equal((await found('Sunrise Placment Agency'))[0], ids.agencies.sunrise);
});

test('search ignores missing diacritics: Nguyen finds Nguyễn, Dong A finds Đông Á, and the reverse', async () => {
  assert.equal((await found('Nguyen'))[0], ids.agencies.nguyen);
  assert.equal((await found('nguyen van hung'))[0], ids.agencies.nguyen);
  assert.equal((await found('Dong A'))[0], ids.agencies.dongA);
  assert.equal((await found('Hoàng Long'))[0], ids.agencies.hoangLong);
});

test('search tolerates spacing: "Sea Star" finds SeaStar, extra spaces change nothing', async () => {
  assert.equal((await found('Sea Star'))[0], ids.agencies.seastar);
  assert.equal((await found('Seastar'))[0], ids.agencies.seastar);
  assert.deepEqual(await found('Example    Manpower'), await found('Example Manpower'));
});

test('search finds Thai names, with a wrong letter too', async () => {
  assert.equal((await found('สยามแรงงาน'))[0], ids.agencies.thai);
  assert.equal((await found('สยามแรงงาณ'))[0], ids.agencies.thai);
  assert.equal((await found('บริษัท สยามแรงงาน'))[0], ids.agencies.thai);
});

test('search finds Burmese, Khmer and Lao names', async () => {
  assert.equal((await found('ရွှေမြန်မာ'))[0], ids.agencies.burmese);
  assert.equal((await found('အလုပ်အကိုင်'))[0], ids.agencies.burmese);
  assert.equal((await found('អង្គរ'))[0], ids.agencies.khmer);
  assert.equal((await found('ລາວ ແຮງງານ'))[0], ids.agencies.lao);
});

test('search matches other names in other scripts and languages', async () => {
  assert.equal((await found('Siam Labour'))[0], ids.agencies.thai);
  assert.equal((await found('Shwe Myanmar'))[0], ids.agencies.burmese);
  assert.equal((await found('Angkor Labour'))[0], ids.agencies.khmer);
  assert.equal((await found('Lao Labour'))[0], ids.agencies.lao);
});

test('a query that matches nothing answers an empty page', async () => {
  assert.deepEqual(await search({ q: 'Zyxwvut Qqqq' }), { items: [], next_cursor: null });
});

test('country= and standing= filter the search and the list', async () => {
  assert.deepEqual(await found('Manpower', { country: 'VN' }), [ids.agencies.hoangLong]);
  assert.deepEqual(await found('Manpower', { country: 'vn' }), [ids.agencies.hoangLong]);
  const good = (await search({ standing: 'good', limit: 100 })).items;
  const notGood = (await search({ standing: 'not_good', limit: 100 })).items;
  assert.ok(good.length > 0 && notGood.length > 0);
  assert.ok(good.every((a) => a.in_good_standing === true));
  assert.ok(notGood.every((a) => a.in_good_standing === false));
  assert.ok(good.some((a) => a.id === ids.agencies.example));
  assert.ok(notGood.some((a) => a.id === ids.agencies.harbor));
  const all = (await search({ limit: 100 })).items;
  assert.equal(good.length + notGood.length, all.length);
  assert.deepEqual(await found('Harbor Star', { standing: 'good' }), []);
});

// ---------------------------------------------------------------------------
// Paging.

// Follows next_cursor from QUERY to the end; returns the ids in page order
// and the number of pages.
async function allPages(query) {
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const params = new URLSearchParams(query);
    if (cursor !== null) params.set('cursor', cursor);
    const body = await getJson(`/v1/agencies?${params}`);
    assert.ok(body.items.length <= Number(query.limit || 20));
    seen.push(...body.items.map((a) => a.id));
    cursor = body.next_cursor;
    pages += 1;
    assert.ok(pages < 100, 'the cursor never ends');
  } while (cursor !== null);
  return { seen, pages };
}

test('without q, the list is every agency by id, in keyset pages with no duplicate and no gap', async () => {
  const expected = (await h.psql(database, 'SELECT id FROM agency ORDER BY id')).split('\n').map(Number);
  assert.equal(expected.length, 37);
  const { seen, pages } = await allPages({ limit: 7 });
  assert.deepEqual(seen, expected);
  assert.equal(pages, 6);
  const first = await search({});
  assert.equal(first.items.length, 20, 'the default limit is 20');
  assert.equal(typeof first.next_cursor, 'string');
  assert.match(first.next_cursor, /^[A-Za-z0-9_-]+$/);
});

test('a name search pages through every match once, in a stable order', async () => {
  const query = { q: 'Paging Agency', country: 'ID', limit: 4 };
  const one = await allPages(query);
  assert.equal(one.seen.length, 25);
  assert.deepEqual([...one.seen].sort((a, b) => a - b), ids.agencies.paging);
  assert.equal(one.pages, 7);
  const two = await allPages(query);
  assert.deepEqual(two.seen, one.seen);
  const single = await search({ q: 'Paging Agency', country: 'ID', limit: 100 });
  assert.deepEqual(single.items.map((a) => a.id), one.seen);
  assert.equal(single.next_cursor, null);
});

test('limit must be a whole number from 1 to 100', async () => {
  for (const bad of ['0', '101', '-1', 'abc', '1.5', '', '1e2']) {
    h.assertError(await get(`/v1/agencies?limit=${bad}`), 400, 'bad_parameter');
  }
  assert.equal((await search({ limit: 100 })).items.length, 37);
  assert.equal((await search({ limit: 1 })).items.length, 1);
});

test('a tampered, foreign or garbage cursor is 400 bad_parameter', async () => {
  const page = await search({ q: 'Paging Agency', limit: 2 });
  const cursor = page.next_cursor;
  assert.equal(typeof cursor, 'string');
  const flip = (c, i) => c.slice(0, i) + (c[i] === 'A' ? 'B' : 'A') + c.slice(i + 1);
  for (const i of [0, Math.floor(cursor.length / 2), cursor.length - 1]) {
    h.assertError(await get(`/v1/agencies?q=Paging+Agency&limit=2&cursor=${flip(cursor, i)}`), 400, 'bad_parameter');
  }
  h.assertError(await get(`/v1/agencies?q=Example&limit=2&cursor=${cursor}`), 400, 'bad_parameter');
  h.assertError(await get(`/v1/agencies?limit=2&cursor=${cursor}`), 400, 'bad_parameter');
  h.assertError(await get('/v1/agencies?cursor=!!!'), 400, 'bad_parameter');
  h.assertError(await get('/v1/agencies?cursor=MTIz'), 400, 'bad_parameter');
  const ok = await get(`/v1/agencies?q=Paging+Agency&limit=2&cursor=${cursor}`);
  assert.equal(ok.status, 200);
});

// ---------------------------------------------------------------------------
// Sanctions.

test('GET /v1/sanctions?active=true lists the public sanctions in force, false the others', async () => {
  const active = await getJson('/v1/sanctions?active=true');
  assert.deepEqual(active.items.map((s) => s.id), [ids.sanctions.suspension]);
  const suspension = active.items[0];
  assert.deepEqual(suspension.agency, { id: ids.agencies.harbor, name: 'Harbor Star Recruitment' });
  assert.equal(suspension.licence, null);
  assert.equal(suspension.kind, 'suspension');
  assert.equal(suspension.in_force, true);
  assert.match(suspension.effective_from, /^\d{4}-\d{2}-\d{2}$/);
  const inactive = await getJson('/v1/sanctions?active=false');
  assert.deepEqual(inactive.items.map((s) => s.id), [ids.sanctions.fine]);
  assert.deepEqual(inactive.items[0].licence, { id: ids.licences.poea, number: 'POEA-123-LB-031524-R' });
  const all = await getJson('/v1/sanctions');
  assert.deepEqual(all.items.map((s) => s.id).sort(), [ids.sanctions.suspension, ids.sanctions.fine].sort());
  h.assertError(await get('/v1/sanctions?active=yes'), 400, 'bad_parameter');
});

// ---------------------------------------------------------------------------
// Conditional requests and headers.

const JSON_ROUTES = () => [
  '/v1/agencies?q=Example',
  `/v1/agencies/${ids.agencies.example}`,
  '/v1/licences?number=poea123lb031524r',
  `/v1/licences/${ids.licences.poea}`,
  '/v1/sanctions?active=true',
  '/v1/changes',
];

test('every public JSON answer has a strong ETag, revalidating Cache-Control and CORS; If-None-Match gives 304', async () => {
  for (const path of JSON_ROUTES()) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    const etag = res.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]{32}"$/, path);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=0, must-revalidate', path);
    assert.equal(res.headers.get('access-control-allow-origin'), '*', path);

    for (const header of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const again = await get(path, { headers: { 'if-none-match': header } });
      assert.equal(again.status, 304, `${path} with If-None-Match: ${header}`);
      assert.equal(again.text, '');
      assert.equal(again.headers.get('etag'), etag);
    }
    const other = await get(path, { headers: { 'if-none-match': '"0123"' } });
    assert.equal(other.status, 200, path);
    assert.equal(other.text, res.text);
  }
});

// ---------------------------------------------------------------------------
// Refusals.

test('unknown query parameters are 400 unknown_parameter on every public route', async () => {
  for (const path of ['/v1/agencies', `/v1/agencies/${ids.agencies.example}`, '/v1/licences',
    `/v1/licences/${ids.licences.poea}`, '/v1/sanctions', '/v1/changes', '/feeds/licences.atom',
    '/v1/export/licences.csv', '/v1/export/licences.json', '/v1/export/licences.xml']) {
    h.assertError(await get(`${path}?bogus=1`), 400, 'unknown_parameter');
  }
  h.assertError(await get('/v1/agencies?q=x&page=2'), 400, 'unknown_parameter');
});

test('malformed ids are 400 bad_id; ids that do not exist are 404 not_found', async () => {
  for (const bad of ['abc', '0', '01', '-1', '1.5', '99999999999999999999', '1e3']) {
    h.assertError(await get(`/v1/agencies/${bad}`), 400, 'bad_id');
    h.assertError(await get(`/v1/licences/${bad}`), 400, 'bad_id');
  }
  h.assertError(await get('/v1/agencies/999999'), 404, 'not_found');
  h.assertError(await get('/v1/licences/999999'), 404, 'not_found');
});

test('bad filter values are 400 bad_parameter', async () => {
  for (const query of ['country=PHL', 'country=1A', 'country=', 'standing=bad', 'standing=GOOD',
    `q=${'x'.repeat(201)}`]) {
    h.assertError(await get(`/v1/agencies?${query}`), 400, 'bad_parameter');
  }
});

// ---------------------------------------------------------------------------
// Freshness: the very next request sees a change.  (Last: it changes data.)

test('a status change, a sanction and an import-like update are visible to the very next request', async () => {
  const path = `/v1/licences/${ids.licences.khmer}`;
  const before = await get(path);
  assert.equal(before.json.status, 'active');
  const etag = before.headers.get('etag');
  assert.equal((await get(path, { headers: { 'if-none-match': etag } })).status, 304);

  await h.psql(database, `UPDATE licence SET listed_status = 'suspended' WHERE id = ${ids.licences.khmer};
    INSERT INTO licence_status_history (licence_id, status, effective_on, reason, source)
    VALUES (${ids.licences.khmer}, 'suspended', current_date, 'inspection found fees', 'system')`);
  const afterChange = await get(path, { headers: { 'if-none-match': etag } });
  assert.equal(afterChange.status, 200, 'a stale 304 after a change');
  assert.equal(afterChange.json.status, 'suspended');
  assert.notEqual(afterChange.headers.get('etag'), etag);
  assert.deepEqual(afterChange.json.history.at(-1),
    { status: 'suspended', effective_on: afterChange.json.history.at(-1).effective_on, reason: 'inspection found fees', source: 'system' });
  assert.equal((await getJson(`/v1/agencies/${ids.agencies.khmer}`)).in_good_standing, false);
  assert.equal((await search({ q: 'Angkor Labour' })).items[0].licences[0].status, 'suspended');

  await h.psql(database, `INSERT INTO sanction (kind, agency_id, decided_on, effective_from, reason, authority_code, is_public)
    VALUES ('ban', ${ids.agencies.nguyen}, current_date, current_date, 'trafficking indicators', 'VN-MOLISA', true)`);
  const banned = await getJson(`/v1/licences/${ids.licences.nguyen}`);
  assert.equal(banned.status, 'banned');
  assert.equal(banned.in_good_standing, false);
  assert.ok((await getJson('/v1/sanctions?active=true')).items.some((s) => s.agency.id === ids.agencies.nguyen));

  await h.psql(database, `UPDATE licence SET valid_until = current_date - 1 WHERE id = ${ids.licences.burmese}`);
  assert.equal((await getJson(`/v1/licences/${ids.licences.burmese}`)).status, 'expired');
});

// ---------------------------------------------------------------------------
// Rate limiting, on a server of its own with a low limit.

test('past FAIRREG_PUBLIC_PER_MINUTE an address gets 429 with Retry-After; staff and /healthz are not limited', async () => {
  await h.addUser({ database, email: 'limits@public.example', role: 'analyst' });
  const limited = await h.startServer({ database, env: { FAIRREG_PUBLIC_PER_MINUTE: '3' } });
  try {
    for (let i = 0; i < 3; i++) {
      assert.equal((await h.api(limited.url, 'GET', '/v1/sanctions')).status, 200);
    }
    const refused = await h.api(limited.url, 'GET', `/v1/licences/${ids.licences.poea}`);
    h.assertError(refused, 429, 'rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    h.assertError(await h.api(limited.url, 'GET', '/v1/agencies'), 429, 'rate_limited');
    assert.equal((await h.api(limited.url, 'GET', '/healthz')).status, 200);
    const token = await h.login(limited.url, 'limits@public.example');
    assert.equal((await h.api(limited.url, 'GET', '/v1/sanctions', { token })).status, 200);
  } finally {
    await h.stopServer(limited);
  }
});
