// Complaints over HTTP: filing (public, mission and ministry channels), the
// worker's status page, and the staff's casework: who sees which complaint,
// the confidential complainant, assignment, every status move (allowed and
// forbidden), notes, referral, resolution, links, filters and paging.
'use strict';

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');
const { seedRegister } = require('./public_seed');

const REFERENCE = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
const STATUSES = ['received', 'acknowledged', 'investigating', 'conciliation',
  'resolved', 'referred', 'dismissed', 'withdrawn'];
const ALLOWED = {
  received: ['acknowledged', 'dismissed', 'referred', 'withdrawn'],
  acknowledged: ['dismissed', 'investigating', 'referred', 'withdrawn'],
  investigating: ['conciliation', 'dismissed', 'referred', 'resolved', 'withdrawn'],
  conciliation: ['dismissed', 'investigating', 'referred', 'resolved', 'withdrawn'],
  resolved: [], referred: [], dismissed: [], withdrawn: [],
};
// What each move needs besides the status.
const MOVE_EXTRA = {
  resolved: { outcome: 'substantiated' },
  referred: { referral_to: 'police', referral_reason: 'trafficking indicators' },
  dismissed: { internal_note: 'duplicate of an earlier complaint' },
};
// The path from received to each status.
const PATH_TO = {
  received: [],
  acknowledged: ['acknowledged'],
  investigating: ['acknowledged', 'investigating'],
  conciliation: ['acknowledged', 'investigating', 'conciliation'],
  resolved: ['acknowledged', 'investigating', 'resolved'],
  referred: ['referred'],
  dismissed: ['dismissed'],
  withdrawn: ['withdrawn'],
};

let database;
let server;
let register;
const users = {
  admin: { email: 'admin@complaints.example', role: 'admin' },
  inspector: { email: 'inspector@complaints.example', role: 'inspector', org: 'PH-DMW', name: 'Ines Inspector' },
  colleague: { email: 'colleague@complaints.example', role: 'inspector', org: 'PH-DMW' },
  homeInspector: { email: 'home@complaints.example', role: 'inspector', org: 'TH-DOE' },
  vnInspector: { email: 'vn@complaints.example', role: 'inspector', org: 'VN-MOLISA' },
  attache: { email: 'attache@complaints.example', role: 'attache', org: 'MM-EMB-BKK' },
  otherAttache: { email: 'other-attache@complaints.example', role: 'attache', org: 'KH-EMB-KUL' },
  analyst: { email: 'analyst@complaints.example', role: 'analyst' },
};

function complaint(overrides = {}) {
  return {
    agency_id: register.agencies.example,
    licence_number: 'POEA 123',
    complainant: { name: 'Daw Aye Aye', contact: '+95 9 1234 5678', sex: 'female', nationality: 'MM', age_band: '25-34' },
    confidential: true,
    destination_country: 'TH',
    sector: 'domestic_work',
    categories: ['recruitment_fees', 'document_retention'],
    description: 'They took 60,000 pesos and my passport.',
    amount_claimed: { amount: 60000, currency: 'PHP' },
    language: 'my',
    ...overrides,
  };
}

async function file(body, token) {
  return h.api(server.url, 'POST', '/v1/complaints', { json: body, token });
}

// Files as the attaché and returns the complaint id.
async function fileAsAttache(overrides = {}) {
  const res = await file(complaint(overrides), users.attache.token);
  assert.equal(res.status, 201, res.text);
  return res.json;
}

async function move(id, status, token = users.inspector.token, extra = MOVE_EXTRA[status] || {}) {
  return h.api(server.url, 'POST', `/v1/complaints/${id}/status`, { token, json: { status, ...extra } });
}

async function get(id, token) {
  return h.api(server.url, 'GET', `/v1/complaints/${id}`, { token });
}

before(async () => {
  database = await h.freshDatabase({ tag: 'complaints' });
  register = await seedRegister(database);
  for (const user of Object.values(users)) {
    user.id = await h.addUser({ database, email: user.email, role: user.role, org: user.org, name: user.name });
  }
  server = await h.startServer({
    database,
    env: { FAIRREG_HOME_AUTHORITY: 'TH-DOE', FAIRREG_COMPLAINT_PER_MINUTE: '1000' },
  });
  for (const user of Object.values(users)) user.token = await h.login(server.url, user.email);
});

after(async () => {
  await h.stopServer(server);
});

describe('filing', () => {
  test('without a token: 201 with the fixed answer, the online channel, a checkable reference', async () => {
    const res = await file(complaint());
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['reference', 'status', 'status_url']);
    assert.match(res.json.reference, REFERENCE);
    assert.equal(res.json.status, 'received');
    assert.equal(res.json.status_url, `http://127.0.0.1:8080/v1/complaint-status/${res.json.reference}`);
    assert.equal(res.headers.get('location'), res.json.status_url);
    const row = await h.psql(database, `SELECT channel, filed_by, mission IS NULL, filed_by_user_id IS NULL, authority_code,
      confidential, due_at - created_at, resolution_due_at - created_at FROM complaint WHERE reference = '${res.json.reference}'`);
    assert.equal(row, 'online|worker|t|t|PH-DMW|t|7 days|60 days');
    assert.equal(await h.psql(database, `SELECT string_agg(category, ',' ORDER BY category) FROM complaint_category
      JOIN complaint ON complaint.id = complaint_id WHERE reference = '${res.json.reference}'`), 'document_retention,recruitment_fees');
  });

  test('references are random: 20 filings give 20 different references', async () => {
    const seen = new Set();
    for (let i = 0; i < 20; i++) {
      const res = await file(complaint({ agency_id: undefined, agency_name: `Agency ${i}` }));
      assert.equal(res.status, 201, res.text);
      seen.add(res.json.reference);
    }
    assert.equal(seen.size, 20);
  });

  test('an attaché files for a worker: the mission channel, and the id to work the case by', async () => {
    const res = await file(complaint(), users.attache.token);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['id', 'reference', 'status', 'status_url']);
    const row = await h.psql(database, `SELECT channel, filed_by, mission, filed_by_user_id FROM complaint WHERE id = ${res.json.id}`);
    assert.equal(row, `attache|mission|MM-EMB-BKK|${users.attache.id}`);
  });

  test('ministry staff take a complaint by telephone: the channel they name', async () => {
    const res = await file(complaint({ channel: 'walk_in', filed_by: 'family' }), users.inspector.token);
    assert.equal(res.status, 201, res.text);
    assert.equal(await h.psql(database, `SELECT channel || '/' || filed_by FROM complaint WHERE id = ${res.json.id}`), 'walk_in/family');
  });

  test('an unknown agency, given by name: the home authority has it', async () => {
    const res = await file(complaint({ agency_id: undefined, agency_name: 'Golden Bridge (not registered)', licence_number: 'X-1' }));
    assert.equal(res.status, 201, res.text);
    assert.equal(await h.psql(database, `SELECT authority_code || '|' || agency_name_given || '|' || licence_number_given
      FROM complaint WHERE reference = '${res.json.reference}'`), 'TH-DOE|Golden Bridge (not registered)|X-1');
  });

  test('the fewest fields: categories, description and an agency name', async () => {
    const res = await file({ agency_name: 'Someone', categories: ['other'], description: 'x' });
    assert.equal(res.status, 201, res.text);
    assert.equal(await h.psql(database, `SELECT confidential, (SELECT count(*) FROM complainant WHERE complaint_id = c.id)
      FROM complaint AS c WHERE reference = '${res.json.reference}'`), 't|0');
  });

  const refusals = [
    ['an unknown field', { nickname: 'x' }, /unknown field "nickname" in the complaint; allowed fields: agency_id, /],
    ['an unknown complainant field', { complainant: { name: 'A', passport: 'P1' } }, /unknown field "passport" in complainant/],
    ['no categories', { categories: undefined }, /^categories is required$/],
    ['empty categories', { categories: [] }, /^categories must be a non-empty array of: recruitment_fees, /],
    ['an unknown category', { categories: ['fees'] }, /^categories may hold only: recruitment_fees, deception, /],
    ['a category twice', { categories: ['deception', 'deception'] }, /^categories names a value twice$/],
    ['no description', { description: undefined }, /^description is required$/],
    ['a blank description', { description: '  \n ' }, /^description must not be empty$/],
    ['a description over 10,000 characters', { description: 'é'.repeat(10001) }, /^description is longer than 10000 characters$/],
    ['control characters', { description: 'a\u0007b' }, /^description contains control characters$/],
    ['no agency at all', { agency_id: undefined }, /^give agency_id \(a registered agency\) or agency_name/],
    ['an agency id that names nothing', { agency_id: 999999 }, /^agency_id names no registered agency$/],
    ['an agency id that is not a number', { agency_id: '45' }, /^agency_id must be a positive whole number/],
    ['a sex outside the vocabulary', { complainant: { sex: 'f' } }, /^complainant\.sex must be one of female, male, other, undisclosed$/],
    ['an age band outside the vocabulary', { complainant: { age_band: '30' } }, /^complainant\.age_band must be one of under-18, /],
    ['a nationality that is no ISO country', { complainant: { nationality: 'XX' } }, /^complainant\.nationality must be an ISO 3166-1 alpha-2/],
    ['a lower-case country', { destination_country: 'th' }, /^destination_country must be an ISO 3166-1 alpha-2/],
    ['a sector outside the vocabulary', { sector: 'mining' }, /^sector must be one of domestic_work, /],
    ['a currency that is no ISO 4217 code', { amount_claimed: { amount: 5, currency: 'PES' } }, /^amount_claimed\.currency must be an ISO 4217/],
    ['a negative amount', { amount_claimed: { amount: -5, currency: 'PHP' } }, /^amount_claimed\.amount must be a number from 0/],
    ['an amount without currency', { amount_claimed: { amount: 5 } }, /^amount_claimed\.currency is required$/],
    ['a language that is no BCP 47 tag', { language: 'Burmese language' }, /^language must be a BCP 47 language tag/],
    ['confidential as a string', { confidential: 'yes' }, /^confidential must be true or false$/],
    ['a channel chosen by the public', { channel: 'hotline' }, /^channel is set by the server for online filing$/],
  ];
  for (const [what, overrides, message] of refusals) {
    test(`${what}: 422 naming the field, nothing stored`, async () => {
      const before = await h.psql(database, 'SELECT count(*) FROM complaint');
      const res = await file(complaint(overrides));
      const error = h.assertError(res, 422, 'invalid_field');
      assert.match(error.message, message);
      assert.equal(await h.psql(database, 'SELECT count(*) FROM complaint'), before);
    });
  }

  test('a body that is not an object or not JSON: 400', async () => {
    h.assertError(await h.api(server.url, 'POST', '/v1/complaints', { json: ['x'] }), 400, 'invalid_json');
    h.assertError(await h.api(server.url, 'POST', '/v1/complaints', {
      body: '{"description":', headers: { 'content-type': 'application/json' },
    }), 400, 'invalid_json');
  });

  test('refusals never echo what the worker wrote', async () => {
    const res = await file(complaint({ complainant: { name: 'Marker Person 7731', sex: 'woman' } }));
    h.assertError(res, 422, 'invalid_field');
    assert.ok(!res.text.includes('Marker Person 7731') && !res.text.includes('woman'), res.text);
  });

  test('an attaché may not choose the channel; an analyst may not file', async () => {
    h.assertError(await file(complaint({ channel: 'hotline' }), users.attache.token), 422, 'invalid_field');
    const error = h.assertError(await file(complaint(), users.analyst.token), 403, 'forbidden');
    assert.match(error.message, /analyst/);
  });
});

describe('the worker\'s status page', () => {
  test('received, with dates and the history, and nothing else', async () => {
    const filed = await file(complaint());
    const res = await h.api(server.url, 'GET', `/v1/complaint-status/${filed.json.reference}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    const today = new Date().toISOString().slice(0, 10);
    const ack = new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 10);
    assert.deepEqual(Object.keys(res.json).sort(), ['expected_by', 'filed_on', 'history', 'reference', 'status', 'updated_at']);
    assert.equal(res.json.reference, filed.json.reference);
    assert.equal(res.json.status, 'received');
    assert.equal(res.json.filed_on, today);
    assert.equal(res.json.expected_by, ack);
    assert.match(res.json.updated_at, h.RFC3339_UTC);
    assert.equal(res.json.history.length, 1);
    assert.deepEqual({ ...res.json.history[0], at: 'T' }, { at: 'T', status: 'received', note: null });
  });

  test('the reference may be typed in lower case, with spaces, O for 0 and I or L for 1', async () => {
    const filed = await file(complaint());
    const ref = filed.json.reference;
    const typed = ref.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l');
    const res = await h.api(server.url, 'GET', `/v1/complaint-status/${encodeURIComponent(typed)}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.reference, ref);
  });

  test('a mistyped reference is told apart from an unknown one', async () => {
    const filed = await file(complaint());
    const ref = filed.json.reference;
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const wrong = alphabet[(alphabet.indexOf(ref[0]) + 1) % 32] + ref.slice(1);
    const mistyped = h.assertError(await h.api(server.url, 'GET', `/v1/complaint-status/${wrong}`), 400, 'bad_id');
    assert.match(mistyped.message, /typing mistake/);
    const malformed = h.assertError(await h.api(server.url, 'GET', '/v1/complaint-status/ABC'), 400, 'bad_id');
    assert.match(malformed.message, /12 letters and digits/);
    // A well-formed reference with a good check symbol that nobody was given.
    let unknown = null;
    for (const c of alphabet) {
      const candidate = `${c}${ref.slice(1, 13)}${ref[13]}`;
      if (candidate === ref) continue;
      // swapping the first symbol breaks the check; find the check symbol that fits
      for (const check of alphabet) {
        const attempt = `${candidate.slice(0, 13)}${check}`;
        const r = await h.api(server.url, 'GET', `/v1/complaint-status/${attempt}`);
        if (r.status !== 400) { unknown = r; break; }
      }
      if (unknown) break;
    }
    h.assertError(unknown, 404, 'not_found');
  });

  test('public notes show, internal notes and the complainant never do', async () => {
    const filed = await fileAsAttache({ complainant: { name: 'Status Page Person', contact: 'status-contact@example' } });
    assert.equal((await move(filed.id, 'acknowledged', users.inspector.token, { public_note: 'We have your complaint.', internal_note: 'Call the agency first.' })).status, 200);
    const note = await h.api(server.url, 'POST', `/v1/complaints/${filed.id}/notes`, {
      token: users.inspector.token, json: { note: 'Internal: the recruiter is known to us.', public: false },
    });
    assert.equal(note.status, 200, note.text);
    const publicNote = await h.api(server.url, 'POST', `/v1/complaints/${filed.id}/notes`, {
      token: users.inspector.token, json: { note: 'We will visit the agency this week.', public: true },
    });
    assert.equal(publicNote.status, 200, publicNote.text);
    const res = await h.api(server.url, 'GET', `/v1/complaint-status/${filed.reference}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'acknowledged');
    assert.equal(res.json.expected_by, new Date(Date.now() + 60 * 86400e3).toISOString().slice(0, 10));
    assert.deepEqual(res.json.history.map((e) => [e.status, e.note]), [
      ['received', null],
      ['acknowledged', 'We have your complaint.'],
      ['acknowledged', 'We will visit the agency this week.'],
    ]);
    for (const secret of ['Internal', 'Call the agency', 'Status Page Person', 'status-contact', 'passport']) {
      assert.ok(!res.text.includes(secret), `${secret} leaked: ${res.text}`);
    }
  });
});

describe('who sees which complaint', () => {
  let mine; // filed by the attaché about a PH-DMW agency
  let elsewhere; // filed online about a VN-MOLISA agency
  let unknownAgency; // filed online about an unregistered agency: TH-DOE, the home authority

  before(async () => {
    mine = await fileAsAttache();
    const vn = await file(complaint({ agency_id: register.agencies.nguyen }), users.admin.token);
    assert.equal(vn.status, 201, vn.text);
    elsewhere = vn.json;
    const unknown = await file(complaint({ agency_id: undefined, agency_name: 'Nobody Knows Ltd' }), users.admin.token);
    unknownAgency = unknown.json;
  });

  const cases = [
    ['admin', 'mine', 200], ['admin', 'elsewhere', 200], ['admin', 'unknownAgency', 200],
    ['inspector', 'mine', 200], ['inspector', 'elsewhere', 404], ['inspector', 'unknownAgency', 404],
    ['vnInspector', 'mine', 404], ['vnInspector', 'elsewhere', 200],
    ['homeInspector', 'unknownAgency', 200], ['homeInspector', 'mine', 404],
    ['attache', 'mine', 200], ['attache', 'elsewhere', 404],
    ['otherAttache', 'mine', 404],
  ];
  for (const [who, which, status] of cases) {
    test(`${who} reading ${which}: ${status}`, async () => {
      const id = { mine, elsewhere, unknownAgency }[which].id;
      const res = await get(id, users[who].token);
      if (status === 404) {
        const error = h.assertError(res, 404, 'not_found');
        assert.equal(error.message, 'no complaint with that id that you may see');
      } else {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.complaint.id, id);
      }
    });
  }

  test('an analyst reads no complaint (403 at the route)', async () => {
    h.assertError(await get(mine.id, users.analyst.token), 403, 'forbidden');
    h.assertError(await h.api(server.url, 'GET', '/v1/complaints', { token: users.analyst.token }), 403, 'forbidden');
  });

  test('a staff user outside the case does not see a confidential complainant; the assignee and the mission do', async () => {
    const c = await fileAsAttache({ complainant: { name: 'Ma Hla', contact: 'viber:ma-hla', sex: 'female', nationality: 'MM', age_band: '18-24' } });
    const hidden = { identity_hidden: true, name: null, contact: null, sex: 'female', nationality: 'MM', age_band: '18-24' };
    const shown = { identity_hidden: false, name: 'Ma Hla', contact: 'viber:ma-hla', sex: 'female', nationality: 'MM', age_band: '18-24' };
    assert.deepEqual((await get(c.id, users.inspector.token)).json.complaint.complainant, hidden);
    assert.deepEqual((await get(c.id, users.admin.token)).json.complaint.complainant, hidden);
    assert.deepEqual((await get(c.id, users.attache.token)).json.complaint.complainant, shown);
    const assigned = await h.api(server.url, 'POST', `/v1/complaints/${c.id}/assignment`, {
      token: users.admin.token, json: { assigned_to: users.inspector.id },
    });
    assert.equal(assigned.status, 200, assigned.text);
    assert.deepEqual(assigned.json.complaint.complainant, hidden, 'the admin is still outside the case');
    assert.deepEqual((await get(c.id, users.inspector.token)).json.complaint.complainant, shown);
    assert.deepEqual((await get(c.id, users.colleague.token)).json.complaint.complainant, hidden);
  });

  test('a complaint that is not confidential shows the complainant to every staff user who may see it', async () => {
    const c = await fileAsAttache({ confidential: false, complainant: { name: 'Open Name' } });
    const res = await get(c.id, users.colleague.token);
    assert.equal(res.json.complaint.complainant.name, 'Open Name');
    assert.equal(res.json.complaint.complainant.identity_hidden, false);
  });

  test('the list holds exactly what each may see', async () => {
    const ids = async (who, query = '') => {
      const res = await h.api(server.url, 'GET', `/v1/complaints?limit=200${query}`, { token: users[who].token });
      assert.equal(res.status, 200, res.text);
      return res.json.items.map((c) => c.id);
    };
    const all = await h.psql(database, 'SELECT count(*) FROM complaint');
    assert.equal((await ids('admin')).length, Number(all));
    const ph = (await h.psql(database, "SELECT string_agg(id::text, ',' ORDER BY id DESC) FROM complaint WHERE authority_code = 'PH-DMW'"))
      .split(',').map(Number);
    assert.deepEqual(await ids('inspector'), ph);
    const mission = (await h.psql(database, "SELECT string_agg(id::text, ',' ORDER BY id DESC) FROM complaint WHERE mission = 'MM-EMB-BKK'"))
      .split(',').map(Number);
    assert.deepEqual(await ids('attache'), mission);
    assert.deepEqual(await ids('otherAttache'), []);
    assert.deepEqual(await ids('vnInspector'), [elsewhere.id]);
  });
});

describe('moving through the statuses', () => {
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      if (from === to) continue;
      const allowed = ALLOWED[from].includes(to);
      test(`${from} -> ${to}: ${allowed ? '200' : '409 with the allowed next statuses'}`, async () => {
        const c = await fileAsAttache();
        for (const step of PATH_TO[from]) {
          const res = await move(c.id, step, users.admin.token);
          assert.equal(res.status, 200, `setting up ${step}: ${res.text}`);
        }
        const res = await move(c.id, to, users.admin.token);
        if (allowed) {
          assert.equal(res.status, 200, res.text);
          assert.equal(res.json.complaint.status, to);
          assert.deepEqual(res.json.complaint.allowed_next_statuses, ALLOWED[to]);
        } else {
          assert.equal(res.status, 409, res.text);
          assert.equal(res.json.error.code, 'conflict');
          assert.deepEqual(res.json.error.allowed, ALLOWED[from]);
          assert.equal(res.json.error.message, `complaint ${c.id} cannot move from ${from} to ${to}; allowed next statuses: `
            + (ALLOWED[from].length ? ALLOWED[from].join(', ') : 'none (final status)'));
          assert.equal((await get(c.id, users.admin.token)).json.complaint.status, from, 'nothing changed');
        }
      });
    }
  }

  test('acknowledging stamps acknowledged_at; a final status stamps closed_at', async () => {
    const c = await fileAsAttache();
    const ack = await move(c.id, 'acknowledged');
    assert.match(ack.json.complaint.acknowledged_at, h.RFC3339_UTC);
    assert.equal(ack.json.complaint.closed_at, null);
    const closed = await move(c.id, 'referred');
    assert.match(closed.json.complaint.closed_at, h.RFC3339_UTC);
    assert.deepEqual(closed.json.complaint.referral, { to: 'police', reason: 'trafficking indicators' });
    const kinds = closed.json.complaint.events.map((e) => `${e.kind}:${e.status}:${e.public}`);
    // A status change is always shown to the worker; public says whether its note is.
    assert.deepEqual(kinds, ['status_change:received:false', 'status_change:acknowledged:false',
      'status_change:referred:false', 'referral:referred:false']);
  });

  const moveRefusals = [
    ['resolving without an outcome', 'resolved', {}, /^outcome is required to resolve a complaint$/],
    ['an outcome while acknowledging', 'acknowledged', { outcome: 'settled' }, /^outcome is given only when resolving or dismissing$/],
    ['a remedy while dismissing', 'dismissed', { internal_note: 'x', remedy: { amount: 1, currency: 'PHP' } }, /^remedy is given only when resolving$/],
    ['referring without where to', 'referred', { referral_reason: 'x' }, /^referral_to and referral_reason are required/],
    ['a referral while acknowledging', 'acknowledged', { referral_to: 'ngo' }, /^referral_to and referral_reason are given only when referring$/],
    ['dismissing without a reason', 'dismissed', {}, /^say why in public_note or internal_note when dismissing/],
    ['an unknown status', 'closed', {}, /^status must be one of received, /],
    ['an unknown field', 'acknowledged', { comment: 'x' }, /^unknown field "comment" in the status change/],
  ];
  for (const [what, status, extra, message] of moveRefusals) {
    test(`${what}: 422`, async () => {
      const c = await fileAsAttache();
      const res = await move(c.id, status, users.inspector.token, extra);
      assert.match(h.assertError(res, 422, 'invalid_field').message, message);
    });
  }

  test('an attaché may withdraw the mission\'s complaint and nothing else', async () => {
    const c = await fileAsAttache();
    const refused = h.assertError(await move(c.id, 'acknowledged', users.attache.token), 403, 'forbidden');
    assert.match(refused.message, /may only withdraw/);
    const res = await move(c.id, 'withdrawn', users.attache.token, { public_note: 'Withdrawn at the worker\'s request.' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.complaint.status, 'withdrawn');
  });

  test('moving a complaint one may not see: 404; a bad id: 400', async () => {
    const c = await fileAsAttache();
    h.assertError(await move(c.id, 'acknowledged', users.vnInspector.token), 404, 'not_found');
    h.assertError(await move('abc', 'acknowledged'), 400, 'bad_id');
    h.assertError(await move(99999999, 'acknowledged'), 404, 'not_found');
  });

  test('resolution with an outcome and a remedy', async () => {
    const c = await fileAsAttache();
    for (const s of ['acknowledged', 'investigating', 'conciliation']) assert.equal((await move(c.id, s)).status, 200);
    const res = await move(c.id, 'resolved', users.inspector.token, {
      outcome: 'settled', remedy: { amount: 45000.5, currency: 'PHP' }, public_note: 'The agency repaid 45,000.50 pesos.',
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.complaint.outcome, 'settled');
    assert.deepEqual(res.json.complaint.remedy, { amount: 45000.5, currency: 'PHP' });
  });
});

describe('assignment, notes and links', () => {
  test('assigning to an inspector of the authority, with an event; unassigning', async () => {
    const c = await fileAsAttache();
    const res = await h.api(server.url, 'POST', `/v1/complaints/${c.id}/assignment`, {
      token: users.inspector.token, json: { assigned_to: users.colleague.id },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.complaint.assigned_to, { id: users.colleague.id, name: users.colleague.email, org: 'PH-DMW' });
    const event = res.json.complaint.events.at(-1);
    assert.equal(event.kind, 'assignment');
    assert.equal(event.public, false);
    assert.deepEqual(event.by, { id: users.inspector.id, name: 'Ines Inspector', org: 'PH-DMW' });
    const off = await h.api(server.url, 'POST', `/v1/complaints/${c.id}/assignment`, {
      token: users.inspector.token, json: { assigned_to: null },
    });
    assert.equal(off.json.complaint.assigned_to, null);
    assert.equal(off.json.complaint.events.at(-1).note, 'unassigned');
  });

  test('assignees must be inspectors of the complaint\'s authority', async () => {
    const c = await fileAsAttache();
    for (const who of ['vnInspector', 'attache', 'analyst']) {
      const res = await h.api(server.url, 'POST', `/v1/complaints/${c.id}/assignment`, {
        token: users.admin.token, json: { assigned_to: users[who].id },
      });
      assert.match(h.assertError(res, 422, 'invalid_field').message, /^assigned_to must be/);
    }
    const missing = await h.api(server.url, 'POST', `/v1/complaints/${c.id}/assignment`, { token: users.admin.token, json: {} });
    assert.match(h.assertError(missing, 422, 'invalid_field').message, /^assigned_to is required/);
  });

  test('a closed complaint cannot be assigned: 409', async () => {
    const c = await fileAsAttache();
    await move(c.id, 'withdrawn', users.attache.token);
    const res = await h.api(server.url, 'POST', `/v1/complaints/${c.id}/assignment`, {
      token: users.admin.token, json: { assigned_to: users.inspector.id },
    });
    assert.match(h.assertError(res, 409, 'conflict').message, /withdrawn \(closed\)/);
  });

  test('notes need a text and say whether they are public', async () => {
    const c = await fileAsAttache();
    const url = `/v1/complaints/${c.id}/notes`;
    const noPublic = await h.api(server.url, 'POST', url, { token: users.attache.token, json: { note: 'x' } });
    assert.match(h.assertError(noPublic, 422, 'invalid_field').message, /^public is required/);
    const empty = await h.api(server.url, 'POST', url, { token: users.attache.token, json: { note: ' ', public: false } });
    assert.match(h.assertError(empty, 422, 'invalid_field').message, /^note must not be empty$/);
    const ok = await h.api(server.url, 'POST', url, { token: users.attache.token, json: { note: 'The worker is safe.', public: false } });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json.complaint.events.at(-1).kind, 'internal_note');
  });

  test('linking an unregistered agency\'s complaint to a licence moves it to the licensing authority', async () => {
    const filed = await file(complaint({ agency_id: undefined, agency_name: 'Nguyen Co' }), users.homeInspector.token);
    const id = filed.json.id;
    const res = await h.api(server.url, 'PATCH', `/v1/complaints/${id}`, {
      token: users.homeInspector.token, json: { licence_id: register.licences.nguyen, priority: 'high' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.complaint.authority, 'VN-MOLISA');
    assert.equal(res.json.complaint.priority, 'high');
    assert.equal(res.json.complaint.agency.id, register.agencies.nguyen);
    assert.equal(res.json.complaint.licence.id, register.licences.nguyen);
    assert.equal(res.json.complaint.complainant, undefined, 'the caller handed the case away and reads only the summary');
    h.assertError(await get(id, users.homeInspector.token), 404, 'not_found');
    assert.equal((await get(id, users.vnInspector.token)).status, 200);
  });

  test('link refusals: another agency\'s licence, unknown ids, handing over without being admin', async () => {
    const c = await fileAsAttache();
    const patch = (json, token = users.inspector.token) => h.api(server.url, 'PATCH', `/v1/complaints/${c.id}`, { token, json });
    assert.match(h.assertError(await patch({ agency_id: register.agencies.example, licence_id: register.licences.nguyen }), 422, 'invalid_field').message,
      /^licence_id is a licence of another agency/);
    assert.match(h.assertError(await patch({ inspection_id: 424242 }), 422, 'invalid_field').message, /^inspection_id names no inspection$/);
    assert.match(h.assertError(await patch({ authority: 'VN-MOLISA' }), 403, 'forbidden').message, /only an administrator/);
    assert.match(h.assertError(await patch({}), 422, 'invalid_field').message, /^send at least one of/);
    const handed = await patch({ authority: 'VN-MOLISA' }, users.admin.token);
    assert.equal(handed.json.complaint.authority, 'VN-MOLISA');
  });
});

describe('the staff list', () => {
  test('filters: status, agency, assigned to me, overdue, mission; keyset pages', async () => {
    const a = await fileAsAttache({ agency_id: register.agencies.sunrise });
    const b = await fileAsAttache({ agency_id: register.agencies.sunrise });
    await move(b.id, 'acknowledged');
    await h.api(server.url, 'POST', `/v1/complaints/${a.id}/assignment`, { token: users.admin.token, json: { assigned_to: users.colleague.id } });
    await h.psql(database, `UPDATE complaint SET due_at = now() - interval '1 day' WHERE id = ${a.id}`);
    const list = async (query, who = 'inspector') => {
      const res = await h.api(server.url, 'GET', `/v1/complaints?${query}`, { token: users[who].token });
      assert.equal(res.status, 200, res.text);
      return res.json;
    };
    assert.deepEqual((await list(`agency=${register.agencies.sunrise}`)).items.map((c) => c.id), [b.id, a.id]);
    assert.deepEqual((await list(`agency=${register.agencies.sunrise}&status=acknowledged`)).items.map((c) => c.id), [b.id]);
    assert.deepEqual((await list('assigned=me', 'colleague')).items.map((c) => c.id), [a.id]);
    const overdue = (await list(`overdue=true&agency=${register.agencies.sunrise}`)).items;
    assert.deepEqual(overdue.map((c) => [c.id, c.overdue]), [[a.id, true]]);
    assert.deepEqual((await list(`overdue=false&agency=${register.agencies.sunrise}`)).items.map((c) => c.id), [b.id]);
    assert.ok((await list('mission=MM-EMB-BKK', 'admin')).items.every((c) => c.mission === 'MM-EMB-BKK'));
    const summary = (await list(`agency=${register.agencies.sunrise}`)).items[1];
    assert.equal(summary.description, undefined, 'lists carry no description');
    assert.equal(summary.complainant, undefined, 'lists carry no complainant');

    const first = await list('limit=2', 'admin');
    assert.equal(first.items.length, 2);
    assert.equal(first.next_cursor, String(first.items[1].id));
    const second = await list(`limit=2&cursor=${first.next_cursor}`, 'admin');
    assert.ok(second.items[0].id < first.items[1].id);
    const total = Number(await h.psql(database, 'SELECT count(*) FROM complaint'));
    const last = await list(`limit=200`, 'admin');
    assert.equal(last.items.length, total);
    assert.equal(last.next_cursor, null);
  });

  test('bad filters: 400 naming the parameter', async () => {
    for (const [query, message] of [
      ['status=open', /^status must be one of/], ['assigned=you', /^assigned takes one value: me$/],
      ['overdue=maybe', /overdue/], ['limit=0', /limit/], ['limit=201', /limit/], ['cursor=x', /^cursor must be/],
      ['agency=-1', /agency/], ['colour=red', /colour|unknown/],
    ]) {
      const res = await h.api(server.url, 'GET', `/v1/complaints?${query}`, { token: users.admin.token });
      assert.equal(res.status, 400, `${query}: ${res.text}`);
      assert.match(res.json.error.message, message, query);
    }
  });
});

describe('limits', () => {
  let limited;
  before(async () => {
    limited = await h.startServer({ database, env: { FAIRREG_COMPLAINT_PER_MINUTE: '2' } });
  });
  after(async () => { await h.stopServer(limited); });

  test('filing without a token is limited per address: 429 with Retry-After; staff are not limited', async () => {
    for (let i = 0; i < 2; i++) {
      assert.equal((await h.api(limited.url, 'POST', '/v1/complaints', { json: complaint() })).status, 201);
    }
    const res = await h.api(limited.url, 'POST', '/v1/complaints', { json: complaint() });
    h.assertError(res, 429, 'rate_limited');
    assert.match(res.headers.get('retry-after'), /^[1-9][0-9]*$/);
    const token = await h.login(limited.url, users.attache.email);
    for (let i = 0; i < 3; i++) {
      assert.equal((await h.api(limited.url, 'POST', '/v1/complaints', { json: complaint(), token })).status, 201);
    }
  });

  test('a body over 64 KB: 413', async () => {
    const res = await file(complaint({ description: 'x'.repeat(70 * 1024) }));
    h.assertError(res, 413, 'body_too_large');
  });
});
