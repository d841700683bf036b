// Inspections over HTTP: the checklist, planning (with the complaint that
// triggered it), who sees which inspection (admins all, inspectors their
// authority's, attachés and analysts none), recording findings against the
// checklist, starting, cancelling and closing (a closed inspection is
// read-only), and the list with its filters and paging.
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
  admin: { email: 'admin@insp.example', role: 'admin', name: 'Ada Admin' },
  inspector: { email: 'inspector@insp.example', role: 'inspector', org: 'PH-DMW', name: 'Ines Inspector' },
  colleague: { email: 'colleague@insp.example', role: 'inspector', org: 'PH-DMW', name: 'Colm Colleague' },
  idInspector: { email: 'id@insp.example', role: 'inspector', org: 'ID-BP2MI', name: 'Indah Inspector' },
  attache: { email: 'attache@insp.example', role: 'attache', org: 'MM-EMB-BKK' },
  analyst: { email: 'analyst@insp.example', role: 'analyst' },
};

const ref = (user) => ({ id: user.id, name: user.name, org: user.org === undefined ? null : user.org });

// YYYY-MM-DD of today plus DAYS, in the database's calendar.
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

async function plan(body, token = users.inspector.token) {
  const res = await call('POST', '/v1/inspections', token, body);
  assert.equal(res.status, 201, res.text);
  return res.json.inspection;
}

before(async () => {
  database = await h.freshDatabase({ tag: 'inspections' });
  for (const user of Object.values(users)) {
    user.id = await h.addUser({ database, email: user.email, role: user.role, org: user.org, name: user.name });
  }
  today = await h.psql(database, 'SELECT current_date');
  const ids = (await h.psql(database, `
    WITH a AS (INSERT INTO agency (name, country, authority_code) VALUES
                 ('Manila Inspected Manpower', 'PH', 'PH-DMW'), ('Cebu Other Agency', 'PH', 'PH-DMW') RETURNING id, name),
         b AS (INSERT INTO agency_branch (agency_id, address, city, country)
               SELECT id, '12 Taft Avenue', 'Manila', 'PH' FROM a RETURNING id, agency_id)
    SELECT string_agg(a.id || ':' || b.id, ',' ORDER BY a.name DESC) FROM a JOIN b ON b.agency_id = a.id`)).split(',');
  [data.agency, data.branch] = ids[0].split(':').map(Number);
  [data.otherAgency, data.otherBranch] = ids[1].split(':').map(Number);
  server = await h.startServer({ database });
  for (const user of Object.values(users)) user.token = await h.login(server.url, user.email);
  doc = JSON.parse((await h.api(server.url, 'GET', '/openapi.json')).text);
  checker = documentChecker(doc);
});

after(async () => {
  await h.stopServer(server);
});

describe('the checklist', () => {
  test('GET /v1/checklist: the 19 active items in order, for any staff member', async () => {
    const res = await call('GET', '/v1/checklist', users.analyst.token);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), ['items']);
    assert.equal(res.json.items.length, 19);
    assert.deepEqual(res.json.items[0], {
      code: 'FEES_CHARGED_TO_WORKER',
      title: 'Recruitment fees charged to or borne by workers',
      ilo_principle: 7,
      ilo_reference: 'General principle 7; Definition of recruitment fees and related costs: recruitment fees',
      guidance: 'Any payment from workers or jobseekers for recruitment or placement services, directly or through a sub-agent, whatever it is called.',
    });
    assert.equal(res.json.items[18].code, 'LICENCE_CONDITIONS_BREACHED');
  });

  test('without a token: 401', async () => {
    h.assertError(await call('GET', '/v1/checklist'), 401, 'unauthenticated');
  });
});

describe('planning', () => {
  test('an inspector plans for their own authority and is its inspector by default: the exact answer', async () => {
    const res = await call('POST', '/v1/inspections', users.inspector.token, {
      agency_id: data.agency, branch_id: data.branch, kind: 'routine', planned_on: day(7),
    });
    assert.equal(res.status, 201, res.text);
    const i = res.json.inspection;
    assert.match(i.created_at, h.RFC3339_UTC);
    assert.match(i.updated_at, h.RFC3339_UTC);
    delete i.created_at;
    delete i.updated_at;
    assert.deepEqual(i, {
      id: i.id,
      agency: { id: data.agency, name: 'Manila Inspected Manpower' },
      branch: { id: data.branch, address: '12 Taft Avenue', city: 'Manila', country: 'PH' },
      authority: 'PH-DMW',
      kind: 'routine',
      status: 'planned',
      planned_on: day(7),
      done_on: null,
      follow_up_due: null,
      follow_up_overdue: false,
      inspectors: [ref(users.inspector)],
      breaches: 0,
      outcome: null,
      created_by: ref(users.inspector),
      findings: [],
      complaints: [],
    });
    assert.equal(await h.psql(database, `SELECT count(*) FROM audit_log WHERE entity = 'inspection' AND entity_id = '${i.id}'`), '1',
      'the plan is audited');
  });

  test('an administrator names the inspectors; the authority defaults to the agency\'s', async () => {
    const i = await plan({ agency_id: data.agency, kind: 'unannounced', planned_on: day(3),
      inspectors: [users.colleague.id, users.inspector.id] }, users.admin.token);
    assert.equal(i.authority, 'PH-DMW');
    assert.equal(i.branch, null);
    assert.deepEqual(i.inspectors, [ref(users.inspector), ref(users.colleague)]);
    assert.deepEqual(i.created_by, ref(users.admin));
  });

  test('a complaint that triggers it: kind complaint_driven by default, the complaint linked both ways', async () => {
    const filed = await call('POST', '/v1/complaints', users.admin.token, {
      agency_id: data.agency, categories: ['recruitment_fees'], description: 'charged a placement fee',
    });
    assert.equal(filed.status, 201, filed.text);
    const i = await plan({ agency_id: data.agency, planned_on: day(1), complaint_id: filed.json.id });
    assert.equal(i.kind, 'complaint_driven');
    assert.deepEqual(i.complaints, [{ id: filed.json.id, reference: filed.json.reference, status: 'received' }]);
    const complaint = await call('GET', `/v1/complaints/${filed.json.id}`, users.inspector.token);
    assert.equal(complaint.status, 200, complaint.text);
    assert.equal(complaint.json.complaint.inspection_id, i.id);
    // Another authority's inspector may not see that complaint: as if it did not exist.
    const refused = await call('POST', '/v1/inspections', users.idInspector.token,
      { agency_id: data.agency, planned_on: day(1), complaint_id: filed.json.id });
    assert.match(h.assertError(refused, 422, 'invalid_field').message, /complaint_id/);
    // Nor may it be used for another agency.
    const other = await call('POST', '/v1/inspections', users.inspector.token,
      { agency_id: data.otherAgency, planned_on: day(1), complaint_id: filed.json.id });
    assert.match(h.assertError(other, 422, 'invalid_field').message, /complaint_id/);
  });

  const invalid = [
    ['an unknown field', { colour: 'red' }, /unknown field "colour"/],
    ['no agency_id', { agency_id: undefined }, /agency_id is required/],
    ['an unknown agency', { agency_id: 999999 }, /agency_id names no registered agency/],
    ['a branch of another agency', { branch_id: 'other' }, /branch_id/],
    ['an unknown kind', { kind: 'surprise' }, /kind must be one of/],
    ['no kind and no complaint', { kind: undefined }, /kind is required/],
    ['a malformed date', { planned_on: '2026-13-01' }, /planned_on/],
    ['no planned_on', { planned_on: undefined }, /planned_on is required/],
    ['an inspector of another authority', { inspectors: ['id'] }, /inspectors must be ids of active inspectors/],
    ['an attaché as inspector', { inspectors: ['attache'] }, /inspectors must be/],
    ['an empty inspector list', { inspectors: [] }, /inspectors must be an array of 1 to 20 ids/],
    ['an unknown complaint', { complaint_id: 999999 }, /complaint_id names no complaint/],
  ];
  for (const [what, change, message] of invalid) {
    test(`422 for ${what}`, async () => {
      const body = { agency_id: data.agency, kind: 'routine', planned_on: day(1), ...change };
      if (change.branch_id === 'other') body.branch_id = data.otherBranch;
      if (change.inspectors) body.inspectors = change.inspectors.map((u) => (u === 'id' ? users.idInspector.id : users.attache.id));
      for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
      const res = await call('POST', '/v1/inspections', users.inspector.token, body);
      assert.match(h.assertError(res, 422, 'invalid_field').message, message);
    });
  }

  test('an administrator must name the inspectors', async () => {
    const res = await call('POST', '/v1/inspections', users.admin.token,
      { agency_id: data.agency, kind: 'routine', planned_on: day(1) });
    assert.match(h.assertError(res, 422, 'invalid_field').message, /inspectors is required/);
  });

  test('an inspector may not plan for another authority: 403', async () => {
    const res = await call('POST', '/v1/inspections', users.inspector.token,
      { agency_id: data.agency, kind: 'routine', planned_on: day(1), authority: 'ID-BP2MI' });
    h.assertError(res, 403, 'forbidden');
  });

  test('attachés and analysts may not plan or read inspections: 403', async () => {
    for (const user of [users.attache, users.analyst]) {
      h.assertError(await call('POST', '/v1/inspections', user.token,
        { agency_id: data.agency, kind: 'routine', planned_on: day(1) }), 403, 'forbidden');
      h.assertError(await call('GET', '/v1/inspections', user.token), 403, 'forbidden');
    }
  });

  test('a body that is not JSON: 400', async () => {
    const res = await h.api(server.url, 'POST', '/v1/inspections', {
      token: users.inspector.token, body: '{', headers: { 'content-type': 'application/json' },
    });
    h.assertError(res, 400, 'invalid_json');
  });
});

describe('working an inspection', () => {
  let id;
  before(async () => {
    id = (await plan({ agency_id: data.agency, kind: 'follow_up', planned_on: day(2) })).id;
  });

  test('GET /v1/inspections/{id}: 200 for its authority and admins, 404 for another authority, 400 for a bad id', async () => {
    for (const user of [users.inspector, users.colleague, users.admin]) {
      const res = await call('GET', `/v1/inspections/${id}`, user.token);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.inspection.id, id);
    }
    const hidden = await call('GET', `/v1/inspections/${id}`, users.idInspector.token);
    assert.match(h.assertError(hidden, 404, 'not_found').message, /no inspection with that id/);
    h.assertError(await call('GET', '/v1/inspections/999999', users.admin.token), 404, 'not_found');
    h.assertError(await call('GET', '/v1/inspections/abc', users.admin.token), 400, 'bad_id');
  });

  test('another authority\'s inspector cannot change, record or close it: 404', async () => {
    const t = users.idInspector.token;
    h.assertError(await call('PATCH', `/v1/inspections/${id}`, t, { status: 'in_progress' }), 404, 'not_found');
    h.assertError(await call('PUT', `/v1/inspections/${id}/findings/RECORDS_MISSING`, t, { result: 'breach' }), 404, 'not_found');
    h.assertError(await call('POST', `/v1/inspections/${id}/close`, t, { outcome: 'x' }), 404, 'not_found');
  });

  test('findings: recorded against the checklist, replaced per item, in checklist order', async () => {
    let res = await call('PUT', `/v1/inspections/${id}/findings/RECORDS_MISSING`, users.inspector.token,
      { result: 'breach', note: 'no deployment register' });
    assert.equal(res.status, 200, res.text);
    res = await call('PUT', `/v1/inspections/${id}/findings/FEES_CHARGED_TO_WORKER`, users.colleague.token,
      { result: 'compliant' });
    assert.equal(res.status, 200, res.text);
    res = await call('PUT', `/v1/inspections/${id}/findings/RECORDS_MISSING`, users.colleague.token,
      { result: 'breach', note: 'register kept since March only' });
    assert.equal(res.status, 200, res.text);
    const findings = res.json.inspection.findings.map((f) => {
      assert.match(f.updated_at, h.RFC3339_UTC);
      const { updated_at: _, ...rest } = f;
      return rest;
    });
    assert.deepEqual(findings, [
      { item: 'FEES_CHARGED_TO_WORKER', title: 'Recruitment fees charged to or borne by workers', result: 'compliant',
        note: null, recorded_by: ref(users.colleague) },
      { item: 'RECORDS_MISSING', title: 'Records missing or incomplete', result: 'breach',
        note: 'register kept since March only', recorded_by: ref(users.colleague) },
    ]);
    assert.equal(res.json.inspection.breaches, 1);
  });

  test('findings: 422 for an unknown item, an unknown result, an unknown field, no result', async () => {
    const t = users.inspector.token;
    assert.match(h.assertError(await call('PUT', `/v1/inspections/${id}/findings/NO_SUCH_ITEM`, t, { result: 'breach' }),
      422, 'invalid_field').message, /item names no active checklist item/);
    assert.match(h.assertError(await call('PUT', `/v1/inspections/${id}/findings/RECORDS_MISSING`, t, { result: 'bad' }),
      422, 'invalid_field').message, /result must be one of compliant, breach, not_applicable/);
    h.assertError(await call('PUT', `/v1/inspections/${id}/findings/RECORDS_MISSING`, t, { result: 'breach', extra: 1 }),
      422, 'invalid_field');
    h.assertError(await call('PUT', `/v1/inspections/${id}/findings/RECORDS_MISSING`, t, { note: 'x' }),
      422, 'invalid_field');
  });

  test('PATCH: start it, move it, change its inspectors; 422 for what it does not take', async () => {
    let res = await call('PATCH', `/v1/inspections/${id}`, users.inspector.token,
      { status: 'in_progress', planned_on: day(1), inspectors: [users.colleague.id] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.inspection.status, 'in_progress');
    assert.equal(res.json.inspection.planned_on, day(1));
    assert.deepEqual(res.json.inspection.inspectors, [ref(users.colleague)]);
    const t = users.inspector.token;
    assert.match(h.assertError(await call('PATCH', `/v1/inspections/${id}`, t, {}), 422, 'invalid_field').message,
      /send at least one of/);
    assert.match(h.assertError(await call('PATCH', `/v1/inspections/${id}`, t, { status: 'planned' }), 422, 'invalid_field').message,
      /status must be one of in_progress, cancelled/);
    h.assertError(await call('PATCH', `/v1/inspections/${id}`, t, { status: 'closed' }), 422, 'invalid_field');
    h.assertError(await call('PATCH', `/v1/inspections/${id}`, t, { planned_on: null }), 422, 'invalid_field');
    h.assertError(await call('PATCH', `/v1/inspections/${id}`, t, { inspectors: [users.idInspector.id] }), 422, 'invalid_field');
    h.assertError(await call('PATCH', `/v1/inspections/${id}`, t, { agency_id: data.otherAgency }), 422, 'invalid_field');
  });

  test('close: 422 without an outcome, with a future done_on, with a follow-up before it was done', async () => {
    const t = users.inspector.token;
    assert.match(h.assertError(await call('POST', `/v1/inspections/${id}/close`, t, {}), 422, 'invalid_field').message,
      /outcome is required/);
    assert.match(h.assertError(await call('POST', `/v1/inspections/${id}/close`, t, { outcome: 'ok', done_on: day(1) }),
      422, 'invalid_field').message, /done_on must not be in the future/);
    assert.match(h.assertError(await call('POST', `/v1/inspections/${id}/close`, t,
      { outcome: 'ok', done_on: day(-5), follow_up_due: day(-6) }), 422, 'invalid_field').message, /follow_up_due/);
  });

  test('close: the outcome, done_on and follow-up; then the inspection is read-only (409)', async () => {
    const res = await call('POST', `/v1/inspections/${id}/close`, users.inspector.token,
      { outcome: 'Records incomplete; warning issued.', done_on: day(-10), follow_up_due: day(-1) });
    assert.equal(res.status, 200, res.text);
    const i = res.json.inspection;
    assert.equal(i.status, 'closed');
    assert.equal(i.done_on, day(-10));
    assert.equal(i.follow_up_due, day(-1));
    assert.equal(i.follow_up_overdue, true);
    assert.equal(i.outcome, 'Records incomplete; warning issued.');
    const t = users.inspector.token;
    assert.match(h.assertError(await call('PUT', `/v1/inspections/${id}/findings/RECORDS_MISSING`, t, { result: 'compliant' }),
      409, 'conflict').message, /the inspection is closed: it is read-only/);
    h.assertError(await call('PATCH', `/v1/inspections/${id}`, t, { planned_on: day(1) }), 409, 'conflict');
    h.assertError(await call('POST', `/v1/inspections/${id}/close`, t, { outcome: 'again' }), 409, 'conflict');
    h.assertError(await call('PATCH', `/v1/inspections/${id}`, users.admin.token, { status: 'cancelled' }), 409, 'conflict');
    // The public agency activity counts it: one closed inspection, one breach.
    const agency = await h.api(server.url, 'GET', `/v1/agencies/${data.agency}`);
    assert.equal(agency.status, 200, agency.text);
    assert.deepEqual(agency.json.inspections, { count_24m: 1, last_on: day(-10), breaches_24m: 1 });
  });

  test('cancel: a cancelled inspection cannot be closed (409)', async () => {
    const other = await plan({ agency_id: data.otherAgency, kind: 'routine', planned_on: day(20) });
    const res = await call('PATCH', `/v1/inspections/${other.id}`, users.inspector.token, { status: 'cancelled' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.inspection.status, 'cancelled');
    assert.match(h.assertError(await call('POST', `/v1/inspections/${other.id}/close`, users.inspector.token,
      { outcome: 'x' }), 409, 'conflict').message, /cancelled/);
  });
});

describe('the list', () => {
  let mine;
  before(async () => {
    mine = await plan({ agency_id: data.otherAgency, kind: 'pre_licensing', planned_on: day(40),
      inspectors: [users.colleague.id] }, users.admin.token);
  });

  async function list(query, token = users.inspector.token) {
    const res = await call('GET', `/v1/inspections${query}`, token);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), ['items', 'next_cursor']);
    return res.json;
  }

  test('newest first, as summaries; another authority sees none of them', async () => {
    const all = await list('');
    assert.ok(all.items.length >= 5);
    const ids = all.items.map((i) => i.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    assert.deepEqual(Object.keys(all.items[0]).sort(), ['agency', 'authority', 'branch', 'breaches', 'done_on', 'follow_up_due',
      'follow_up_overdue', 'id', 'inspectors', 'kind', 'planned_on', 'status', 'updated_at']);
    assert.deepEqual((await list('', users.idInspector.token)).items, []);
    assert.deepEqual((await list('', users.admin.token)).items.map((i) => i.id), ids);
  });

  test('filters: agency, status, due_before, follow_up_overdue, mine', async () => {
    assert.deepEqual((await list(`?agency=${data.otherAgency}&status=planned`)).items.map((i) => i.id), [mine.id]);
    assert.ok((await list('?status=closed')).items.every((i) => i.status === 'closed'));
    const due = await list(`?due_before=${day(7)}`);
    assert.ok(due.items.length > 0 && due.items.every((i) => i.planned_on <= day(7)));
    assert.ok(!due.items.some((i) => i.id === mine.id));
    const overdue = await list('?follow_up_overdue=true');
    assert.equal(overdue.items.length, 1);
    assert.equal(overdue.items[0].follow_up_overdue, true);
    assert.deepEqual((await list('?mine=true', users.colleague.token)).items.map((i) => i.id).includes(mine.id), true);
    assert.ok(!(await list('?mine=true')).items.some((i) => i.id === mine.id));
  });

  test('keyset paging: limit and next_cursor walk the whole list once', async () => {
    const all = (await list('?limit=200')).items.map((i) => i.id);
    const seen = [];
    let cursor = null;
    do {
      const page = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, all);
  });

  test('400 for bad parameters, unknown parameters included', async () => {
    for (const query of ['?status=open', '?due_before=2026-02-30', '?follow_up_overdue=yes', '?mine=me',
      '?limit=0', '?cursor=x', '?agency=-1']) {
      h.assertError(await call('GET', `/v1/inspections${query}`, users.inspector.token), 400, 'bad_parameter');
    }
    h.assertError(await call('GET', '/v1/inspections?colour=red', users.inspector.token), 400, 'unknown_parameter');
  });
});
