// Sanctions decided by staff, and direct licence status changes: who may
// sanction what (admins anything, inspectors what their authority licenses),
// the exact answers, every refusal, the status history a suspension, ban or
// lifting writes, demerit points adding up to the configured thresholds, the
// staff list, and that the public lookup and the change feed show a
// suspension at once (the cached answer read just before is not served).
'use strict';

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');
const { documentChecker } = require('./openapi_check');

let database;
let server;
let doc;
let checker; // every staff answer must be as /openapi.json documents it
let today;
const data = {};
const users = {
  admin: { email: 'admin@sanc.example', role: 'admin', name: 'Ada Admin' },
  inspector: { email: 'inspector@sanc.example', role: 'inspector', org: 'PH-DMW', name: 'Ines Inspector' },
  idInspector: { email: 'id@sanc.example', role: 'inspector', org: 'ID-BP2MI', name: 'Indah Inspector' },
  attache: { email: 'attache@sanc.example', role: 'attache', org: 'MM-EMB-BKK' },
  analyst: { email: 'analyst@sanc.example', role: 'analyst' },
};

const ref = (user) => ({ id: user.id, name: user.name, org: user.org === undefined ? null : user.org });

function day(days) {
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// The documented pattern of PATH (the most literal one that matches).
function patternOf(path) {
  const bare = path.split('?')[0];
  const matching = Object.keys(doc.paths).filter((pattern) =>
    new RegExp(`^${pattern.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare));
  matching.sort((a, b) => a.split('{').length - b.split('{').length);
  return matching[0] || bare;
}

// Calls the server and checks the answer against the API description.
async function call(method, path, token, json) {
  const res = await h.api(server.url, method, path, { token, json });
  assert.deepEqual(checker.checkCall(method, patternOf(path), res), [],
    `${method} ${path}: the answer is not as documented: ${res.text.slice(0, 300)}`);
  return res;
}

async function sanction(body, token = users.inspector.token) {
  const res = await call('POST', '/v1/sanctions', token, body);
  assert.equal(res.status, 201, res.text);
  return res.json;
}

async function lookup(number) {
  const res = await h.api(server.url, 'GET', `/v1/licences?number=${encodeURIComponent(number)}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.items.length, 1);
  return res.json.items[0];
}

// Inserts an agency with licences NUMBERS of AUTHORITY; returns {agency, licences: {number: id}}.
async function agencyWith(name, authority, numbers) {
  const rows = await h.psql(database, `
    WITH a AS (INSERT INTO agency (name, country, authority_code) VALUES ('${name}', '${authority.slice(0, 2)}', '${authority}') RETURNING id),
         l AS (INSERT INTO licence (authority_code, number, agency_id, listed_status, valid_from, valid_until)
               SELECT '${authority}', n, a.id, 'active', current_date - 100, current_date + 1000
                 FROM a, unnest(ARRAY['${numbers.join("','")}']) AS n RETURNING id, number, agency_id)
    SELECT l.agency_id || ':' || l.number || ':' || l.id FROM l ORDER BY l.id`);
  const out = { licences: {} };
  for (const row of rows.split('\n')) {
    const [agency, number, id] = row.split(':');
    out.agency = Number(agency);
    out.licences[number] = Number(id);
  }
  return out;
}

before(async () => {
  database = await h.freshDatabase({ tag: 'sanctions' });
  for (const user of Object.values(users)) {
    user.id = await h.addUser({ database, email: user.email, role: user.role, org: user.org, name: user.name });
  }
  today = await h.psql(database, 'SELECT current_date');
  data.ph = await agencyWith('Luzon Deployment Corp', 'PH-DMW', ['PH-SUS-001', 'PH-SUS-002']);
  data.ban = await agencyWith('Visayas Banned Recruiters', 'PH-DMW', ['PH-BAN-001', 'PH-BAN-002']);
  data.points = await agencyWith('Mindanao Points Agency', 'PH-DMW', ['PH-PTS-001']);
  data.id = await agencyWith('Jakarta Penempatan', 'ID-BP2MI', ['ID-0001']);
  data.status = await agencyWith('Quezon Status Agency', 'PH-DMW', ['PH-STA-001']);
  server = await h.startServer({ database, env: { FAIRREG_PUBLIC_PER_MINUTE: '0' } });
  for (const user of Object.values(users)) user.token = await h.login(server.url, user.email);
  doc = JSON.parse((await h.api(server.url, 'GET', '/openapi.json')).text);
  checker = documentChecker(doc);
});

after(async () => {
  await h.stopServer(server);
});

describe('a suspension', () => {
  let decided;
  const number = 'PH-SUS-001';

  test('POST /v1/sanctions by an inspector of the issuing authority: 201 with the exact answer', async () => {
    // Read first, so that a cached answer exists that the suspension must replace.
    assert.equal((await lookup(number)).status, 'active');
    const res = await call('POST', '/v1/sanctions', users.inspector.token, {
      kind: 'suspension', licence_id: data.ph.licences[number], decided_on: today, effective_from: today,
      effective_until: day(90), reason: 'fees charged to workers', is_public: true,
    });
    assert.equal(res.status, 201, res.text);
    decided = res.json;
    const s = decided.sanction;
    assert.match(s.created_at, h.RFC3339_UTC);
    assert.match(s.updated_at, h.RFC3339_UTC);
    delete s.created_at;
    delete s.updated_at;
    assert.deepEqual(decided, {
      sanction: {
        id: s.id, kind: 'suspension',
        agency: { id: data.ph.agency, name: 'Luzon Deployment Corp' },
        licence: { id: data.ph.licences[number], number },
        authority: 'PH-DMW', decided_on: today, effective_from: today, effective_until: day(90),
        lifted_on: null, lift_reason: null, in_force: true, reason: 'fees charged to workers',
        points: null, amount: null, currency: null, is_public: true,
        basis: { inspection_id: null, complaint_id: null },
        created_by: ref(users.inspector),
      },
      standing: {
        agency: { id: data.ph.agency, name: 'Luzon Deployment Corp' },
        in_good_standing: true, points: 0, surveillance: false, suspension_proposed: false,
        thresholds: { surveillance: 10, suspension: 20 },
      },
      status_changes: [{ licence: { id: data.ph.licences[number], number }, from: 'active', to: 'suspended' }],
    });
  });

  test('the public lookup shows it at once: suspended, not in good standing, with the history entry', async () => {
    const licence = await lookup(number);
    assert.equal(licence.status, 'suspended');
    assert.equal(licence.listed_status, 'active');
    assert.equal(licence.in_good_standing, false);
    assert.deepEqual(licence.history, [
      { status: 'suspended', effective_on: today, reason: 'fees charged to workers', source: 'sanction' },
    ]);
    // The other licence of the agency is untouched.
    assert.equal((await lookup('PH-SUS-002')).status, 'active');
  });

  test('the change feed shows it at once', async () => {
    const res = await h.api(server.url, 'GET', `/v1/changes?agency=${data.ph.agency}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.items.length, 1);
    const change = res.json.items[0];
    assert.deepEqual({ ...change, id: 0, at: '' }, {
      id: 0, at: '',
      licence: { id: data.ph.licences[number], number, authority: 'PH-DMW' },
      agency: { id: data.ph.agency, name: 'Luzon Deployment Corp' },
      status: 'suspended', effective_on: today, reason: 'fees charged to workers',
    });
    const atom = await h.api(server.url, 'GET', `/feeds/licences.atom?agency=${data.ph.agency}`);
    assert.equal(atom.status, 200);
    assert.match(atom.text, /PH-SUS-001/);
    assert.match(atom.text, /suspended/);
  });

  test('the public sanctions list and the CSV export show it', async () => {
    const res = await h.api(server.url, 'GET', '/v1/sanctions?active=true');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.items.map((s) => s.id), [decided.sanction.id]);
    const csv = await h.api(server.url, 'GET', '/v1/export/licences.csv');
    assert.equal(csv.status, 200);
    assert.match(csv.text.split('\n').find((line) => line.includes(number)), /suspended/);
  });

  test('GET /v1/sanctions/{id}: the deciding authority and admins read it; another authority 404; unknown 404; bad id 400', async () => {
    for (const user of [users.inspector, users.admin]) {
      const res = await call('GET', `/v1/sanctions/${decided.sanction.id}`, user.token);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), ['sanction', 'standing']);
      assert.equal(res.json.sanction.id, decided.sanction.id);
    }
    h.assertError(await call('GET', `/v1/sanctions/${decided.sanction.id}`, users.idInspector.token), 404, 'not_found');
    h.assertError(await call('GET', '/v1/sanctions/999999', users.admin.token), 404, 'not_found');
    h.assertError(await call('GET', '/v1/sanctions/x', users.admin.token), 400, 'bad_id');
    h.assertError(await call('GET', `/v1/sanctions/${decided.sanction.id}`, users.attache.token), 403, 'forbidden');
    h.assertError(await call('GET', `/v1/sanctions/${decided.sanction.id}`), 401, 'unauthenticated');
  });

  test('lifting it: active again at once, with a second history entry; lifting twice is 409', async () => {
    const id = decided.sanction.id;
    h.assertError(await call('POST', `/v1/sanctions/${id}/lift`, users.idInspector.token, { lift_reason: 'x' }), 404, 'not_found');
    assert.match(h.assertError(await call('POST', `/v1/sanctions/${id}/lift`, users.inspector.token, {}), 422, 'invalid_field')
      .message, /lift_reason is required/);
    h.assertError(await call('POST', `/v1/sanctions/${id}/lift`, users.inspector.token,
      { lift_reason: 'appeal', lifted_on: day(1) }), 422, 'invalid_field');
    const res = await call('POST', `/v1/sanctions/${id}/lift`, users.inspector.token, { lift_reason: 'fees refunded' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.sanction.lifted_on, today);
    assert.equal(res.json.sanction.lift_reason, 'fees refunded');
    assert.equal(res.json.sanction.in_force, false);
    assert.deepEqual(res.json.status_changes,
      [{ licence: { id: data.ph.licences[number], number }, from: 'suspended', to: 'active' }]);
    const licence = await lookup(number);
    assert.equal(licence.status, 'active');
    assert.equal(licence.in_good_standing, true);
    assert.deepEqual(licence.history.map((e) => [e.status, e.source, e.reason]),
      [['suspended', 'sanction', 'fees charged to workers'], ['active', 'sanction', 'fees refunded']]);
    assert.match(h.assertError(await call('POST', `/v1/sanctions/${id}/lift`, users.inspector.token, { lift_reason: 'again' }),
      409, 'conflict').message, /already been lifted/);
  });

  test('a suspension that is not public: the status shows, its reason does not', async () => {
    const decision = await sanction({ kind: 'suspension', licence_id: data.ph.licences['PH-SUS-002'],
      effective_from: day(-3), reason: 'confidential investigation' });
    assert.equal(decision.sanction.is_public, false);
    const licence = await lookup('PH-SUS-002');
    assert.equal(licence.status, 'suspended');
    assert.deepEqual(licence.history, [{ status: 'suspended', effective_on: day(-3), reason: null, source: 'sanction' }]);
    const listed = await h.api(server.url, 'GET', '/v1/sanctions');
    assert.ok(!listed.json.items.some((s) => s.id === decision.sanction.id));
  });
});

describe('a ban on a whole agency', () => {
  test('an administrator bans for an authority: every licence banned, one history row each', async () => {
    const decision = await sanction({ kind: 'ban', agency_id: data.ban.agency, effective_from: today,
      reason: 'trafficking conviction', is_public: true, authority: 'PH-DMW' }, users.admin.token);
    assert.equal(decision.sanction.licence, null);
    assert.equal(decision.sanction.authority, 'PH-DMW');
    assert.equal(decision.standing.in_good_standing, false);
    assert.deepEqual(decision.status_changes, [
      { licence: { id: data.ban.licences['PH-BAN-001'], number: 'PH-BAN-001' }, from: 'active', to: 'banned' },
      { licence: { id: data.ban.licences['PH-BAN-002'], number: 'PH-BAN-002' }, from: 'active', to: 'banned' },
    ]);
    for (const number of ['PH-BAN-001', 'PH-BAN-002']) {
      const licence = await lookup(number);
      assert.equal(licence.status, 'banned');
      assert.equal(licence.history.length, 1);
    }
    const agency = await h.api(server.url, 'GET', `/v1/agencies/${data.ban.agency}`);
    assert.equal(agency.json.in_good_standing, false);
    assert.equal(await h.psql(database, `SELECT string_agg(source || '/' || (sanction_id = ${decision.sanction.id}), ',')
      FROM licence_status_history WHERE licence_id IN (${Object.values(data.ban.licences).join(',')})`), 'sanction/true,sanction/true');
  });

  test('a suspension on top of a ban changes no status and writes no history', async () => {
    const decision = await sanction({ kind: 'suspension', agency_id: data.ban.agency, effective_from: today,
      reason: 'also suspended' });
    assert.deepEqual(decision.status_changes, []);
    assert.equal((await lookup('PH-BAN-001')).history.length, 1);
  });
});

describe('demerit points', () => {
  test('add up across sanctions to the thresholds; lifted and old points do not count', async () => {
    const agency = data.points.agency;
    let d = await sanction({ kind: 'demerit_points', agency_id: agency, points: 6, reason: 'late records' });
    assert.deepEqual(d.status_changes, []);
    assert.deepEqual([d.standing.points, d.standing.surveillance, d.standing.suspension_proposed], [6, false, false]);
    d = await sanction({ kind: 'demerit_points', licence_id: data.points.licences['PH-PTS-001'], points: 5,
      reason: 'advertising' });
    assert.deepEqual([d.standing.points, d.standing.surveillance, d.standing.suspension_proposed], [11, true, false]);
    const lifted = await sanction({ kind: 'demerit_points', agency_id: agency, points: 7, reason: 'disputed' });
    assert.equal(lifted.standing.points, 18);
    const res = await call('POST', `/v1/sanctions/${lifted.sanction.id}/lift`, users.inspector.token,
      { lift_reason: 'overturned on appeal' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.standing.points, 11);
    d = await sanction({ kind: 'demerit_points', agency_id: agency, points: 4, reason: 'old', decided_on: day(-800) });
    assert.equal(d.standing.points, 11, 'points decided more than 24 months ago do not count');
    d = await sanction({ kind: 'demerit_points', agency_id: agency, points: 9, reason: 'fees' });
    assert.deepEqual([d.standing.points, d.standing.surveillance, d.standing.suspension_proposed], [20, true, true]);
    const standing = await call('GET', `/v1/agencies/${agency}/standing`, users.inspector.token);
    assert.equal(standing.status, 200, standing.text);
    assert.deepEqual(standing.json, { standing: {
      agency: { id: agency, name: 'Mindanao Points Agency' }, in_good_standing: true, points: 20,
      surveillance: true, suspension_proposed: true, thresholds: { surveillance: 10, suspension: 20 },
    } });
    assert.equal((await lookup('PH-PTS-001')).status, 'active', 'points alone never change the status');
  });

  test('GET /v1/agencies/{id}/standing: 404 for an unknown agency, 403 for an attaché, 401 anonymous', async () => {
    h.assertError(await call('GET', '/v1/agencies/999999/standing', users.admin.token), 404, 'not_found');
    h.assertError(await call('GET', `/v1/agencies/${data.points.agency}/standing`, users.attache.token), 403, 'forbidden');
    h.assertError(await call('GET', `/v1/agencies/${data.points.agency}/standing`), 401, 'unauthenticated');
  });
});

describe('refusals', () => {
  test('a fine needs {amount, currency} with an ISO 4217 currency', async () => {
    const d = await sanction({ kind: 'fine', agency_id: data.ph.agency, fine: { amount: 50000, currency: 'PHP' },
      reason: 'excessive fees' });
    assert.deepEqual([d.sanction.amount, d.sanction.currency, d.sanction.in_force], [50000, 'PHP', false]);
  });

  const base = () => ({ kind: 'warning', agency_id: data.ph.agency, reason: 'late' });
  const invalid = [
    ['an unknown field', { colour: 'red' }, /unknown field "colour"/],
    ['no kind', { kind: undefined }, /kind is required/],
    ['an unknown kind', { kind: 'jail' }, /kind must be one of/],
    ['both agency_id and licence_id', { licence_id: 'ph' }, /exactly one of agency_id/],
    ['neither agency_id nor licence_id', { agency_id: undefined }, /exactly one of agency_id/],
    ['an unknown licence', { agency_id: undefined, licence_id: 999999 }, /licence_id names no licence/],
    ['an unknown agency', { agency_id: 999999 }, /agency_id names no registered agency/],
    ['points on a warning', { points: 3 }, /points is required for demerit_points/],
    ['demerit_points without points', { kind: 'demerit_points' }, /points is required/],
    ['a fine without fine', { kind: 'fine' }, /fine \{amount, currency\} is required/],
    ['a fine in no currency', { kind: 'fine', fine: { amount: 10, currency: 'XYZ' } }, /fine.currency must be an ISO 4217/],
    ['a fine of nothing', { kind: 'fine', fine: { amount: 0, currency: 'PHP' } }, /fine.amount must be more than 0/],
    ['a suspension without effective_from', { kind: 'suspension' }, /effective_from is required/],
    ['a period that ends before it starts', { kind: 'suspension', effective_from: 'today', effective_until: 'yesterday' },
      /effective_until must not be before effective_from/],
    ['dates on a warning', { effective_from: 'today' }, /given only for a suspension/],
    ['a decision in the future', { decided_on: 'tomorrow' }, /decided_on must not be in the future/],
    ['no reason', { reason: undefined }, /reason is required/],
    ['is_public not a boolean', { is_public: 'yes' }, /is_public must be true or false/],
    ['an unknown inspection', { inspection_id: 999999 }, /inspection_id names no inspection/],
    ['an unknown complaint', { complaint_id: 999999 }, /complaint_id names no complaint/],
  ];
  for (const [what, change, message] of invalid) {
    test(`422 for ${what}`, async () => {
      const body = { ...base(), ...change };
      for (const key of Object.keys(body)) {
        if (body[key] === undefined) delete body[key];
        if (body[key] === 'today') body[key] = today;
        if (body[key] === 'yesterday') body[key] = day(-1);
        if (body[key] === 'tomorrow') body[key] = day(1);
        if (body[key] === 'ph') body[key] = data.ph.licences['PH-SUS-001'];
      }
      const res = await call('POST', '/v1/sanctions', users.inspector.token, body);
      assert.match(h.assertError(res, 422, 'invalid_field').message, message);
    });
  }

  test('an administrator must name the deciding authority (422), an existing one', async () => {
    assert.match(h.assertError(await call('POST', '/v1/sanctions', users.admin.token, base()), 422, 'invalid_field').message,
      /authority is required/);
    h.assertError(await call('POST', '/v1/sanctions', users.admin.token, { ...base(), authority: 'XX-NONE' }),
      422, 'invalid_field');
  });

  test('an inspector may not sanction what another authority licenses, nor decide for it: 403', async () => {
    const t = users.inspector.token;
    assert.match(h.assertError(await call('POST', '/v1/sanctions', t,
      { kind: 'warning', licence_id: data.id.licences['ID-0001'], reason: 'x' }), 403, 'forbidden').message,
      /only licences their authority issued/);
    assert.match(h.assertError(await call('POST', '/v1/sanctions', t,
      { kind: 'warning', agency_id: data.id.agency, reason: 'x' }), 403, 'forbidden').message,
      /only agencies their authority licenses/);
    h.assertError(await call('POST', '/v1/sanctions', t, { ...base(), authority: 'ID-BP2MI' }), 403, 'forbidden');
    h.assertError(await call('POST', '/v1/sanctions', users.idInspector.token,
      { kind: 'suspension', licence_id: data.ph.licences['PH-SUS-001'], effective_from: today, reason: 'x' }), 403, 'forbidden');
    assert.equal((await lookup('PH-SUS-001')).status, 'active', 'nothing changed');
  });

  test('the basis must be visible and about the same agency', async () => {
    const planned = await call('POST', '/v1/inspections', users.idInspector.token,
      { agency_id: data.id.agency, kind: 'routine', planned_on: today });
    assert.equal(planned.status, 201, planned.text);
    assert.match(h.assertError(await call('POST', '/v1/sanctions', users.inspector.token,
      { ...base(), inspection_id: planned.json.inspection.id }), 422, 'invalid_field').message, /inspection_id names no inspection/);
    assert.match(h.assertError(await call('POST', '/v1/sanctions', users.admin.token,
      { ...base(), authority: 'PH-DMW', inspection_id: planned.json.inspection.id }), 422, 'invalid_field').message,
      /inspection of another agency/);
    const ours = await call('POST', '/v1/inspections', users.inspector.token,
      { agency_id: data.ph.agency, kind: 'routine', planned_on: today });
    const d = await sanction({ ...base(), inspection_id: ours.json.inspection.id });
    assert.deepEqual(d.sanction.basis, { inspection_id: ours.json.inspection.id, complaint_id: null });
  });

  test('attachés and analysts may not sanction (403); anonymous callers are asked for a token (401)', async () => {
    h.assertError(await call('POST', '/v1/sanctions', users.attache.token, base()), 403, 'forbidden');
    h.assertError(await call('POST', '/v1/sanctions', users.analyst.token, base()), 403, 'forbidden');
    h.assertError(await call('POST', '/v1/sanctions', undefined, base()), 401, 'unauthenticated');
  });
});

describe('the staff list', () => {
  async function list(query, token = users.inspector.token) {
    const res = await call('GET', `/v1/staff/sanctions${query}`, token);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), ['items', 'next_cursor']);
    return res.json;
  }

  test('public or not, newest first, filtered; another authority sees only what touches it', async () => {
    const all = await list('?limit=200');
    const ids = all.items.map((s) => s.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    assert.ok(all.items.some((s) => !s.is_public));
    assert.ok((await list(`?agency=${data.points.agency}&kind=demerit_points`)).items.every((s) => s.kind === 'demerit_points'));
    assert.equal((await list(`?agency=${data.points.agency}&kind=demerit_points`)).items.length, 5);
    assert.ok((await list('?in_force=true')).items.every((s) => s.in_force));
    assert.deepEqual((await list('', users.idInspector.token)).items, []);
  });

  test('keyset paging walks the list once', async () => {
    const all = (await list('?limit=200')).items.map((s) => s.id);
    const seen = [];
    let cursor = null;
    do {
      const page = await list(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((s) => s.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, all);
  });

  test('400 for bad parameters; 403 for an attaché', async () => {
    for (const query of ['?kind=jail', '?in_force=maybe', '?agency=x', '?limit=500', '?cursor=-3']) {
      h.assertError(await call('GET', `/v1/staff/sanctions${query}`, users.inspector.token), 400, 'bad_parameter');
    }
    h.assertError(await call('GET', '/v1/staff/sanctions?x=1', users.inspector.token), 400, 'unknown_parameter');
    h.assertError(await call('GET', '/v1/staff/sanctions', users.attache.token), 403, 'forbidden');
  });
});

describe('a direct licence status change', () => {
  const number = 'PH-STA-001';

  test('an inspector of the issuing authority revokes: listed status, history with source user, public at once', async () => {
    assert.equal((await lookup(number)).status, 'active');
    const id = data.status.licences[number];
    const res = await call('POST', `/v1/licences/${id}/status`, users.inspector.token,
      { status: 'revoked', reason: 'licence obtained by fraud', effective_on: day(-2) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.changed, true);
    const l = res.json.licence;
    assert.deepEqual([l.listed_status, l.status, l.status_basis, l.in_good_standing, l.status_reason],
      ['revoked', 'revoked', 'listed', false, 'licence obtained by fraud']);
    assert.equal(l.history.length, 1);
    const entry = l.history[0];
    assert.match(entry.recorded_at, h.RFC3339_UTC);
    assert.deepEqual({ ...entry, id: 0, recorded_at: '' }, {
      id: 0, status: 'revoked', effective_on: day(-2), reason: 'licence obtained by fraud', source: 'user',
      import_run_id: null, sanction_id: null, user: ref(users.inspector), recorded_at: '',
    });
    const licence = await lookup(number);
    assert.equal(licence.status, 'revoked');
    assert.equal(licence.in_good_standing, false);
    assert.deepEqual(licence.history,
      [{ status: 'revoked', effective_on: day(-2), reason: 'licence obtained by fraud', source: 'decision' }]);
    const feed = await h.api(server.url, 'GET', `/v1/changes?agency=${data.status.agency}`);
    assert.deepEqual(feed.json.items.map((c) => c.status), ['revoked']);
  });

  test('the same status again changes nothing', async () => {
    const res = await call('POST', `/v1/licences/${data.status.licences[number]}/status`, users.admin.token,
      { status: 'revoked', reason: 'confirmed' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.changed, false);
    assert.equal(res.json.licence.history.length, 1);
  });

  test('refusals: another authority 403, unknown licence 404, bad id 400, bad fields 422, attaché 403', async () => {
    const path = `/v1/licences/${data.status.licences[number]}/status`;
    assert.match(h.assertError(await call('POST', path, users.idInspector.token, { status: 'active', reason: 'x' }),
      403, 'forbidden').message, /issuing authority/);
    h.assertError(await call('POST', '/v1/licences/999999/status', users.admin.token, { status: 'active', reason: 'x' }),
      404, 'not_found');
    h.assertError(await call('POST', '/v1/licences/zero/status', users.admin.token, { status: 'active', reason: 'x' }),
      400, 'bad_id');
    for (const [body, message] of [
      [{ status: 'active' }, /reason is required/],
      [{ status: 'dormant', reason: 'x' }, /status must be one of active, suspended/],
      [{ status: 'active', reason: 'x', effective_on: day(1) }, /effective_on must not be in the future/],
      [{ status: 'active', reason: 'x', by: 'me' }, /unknown field "by"/],
    ]) {
      assert.match(h.assertError(await call('POST', path, users.admin.token, body), 422, 'invalid_field').message, message);
    }
    h.assertError(await call('POST', path, users.attache.token, { status: 'active', reason: 'x' }), 403, 'forbidden');
    assert.equal((await lookup(number)).status, 'revoked', 'nothing changed');
  });
});
