// The privacy scan: complaints are filed and worked with a unique marker in
// every personal or case-private field (the complainant's name and contact,
// the description, internal notes, the referral reason, the agency name and
// licence number as the worker gave them), through every channel; then every
// public route, the metrics, the server's log, refused requests' error
// messages and the audit log are searched for the markers.  None may appear.
// The one marker meant for the public (a public note) must appear on that
// complaint's status page, and nowhere else: the scan can find what it seeks.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');
const { seedRegister } = require('./public_seed');

const RUN = `${process.pid}x${Date.now().toString(36)}`;
const marker = (field, n) => `ZQ${field}${n}Q${RUN}`;
const PRIVATE_FIELDS = ['NAME', 'CONTACT', 'DESCRIPTION', 'INTERNAL', 'REFERRAL', 'AGENCYNAME', 'LICENCENO'];

let database;
let server;
let register;
const users = {
  admin: { email: 'admin@privacy.example', role: 'admin' },
  inspector: { email: 'inspector@privacy.example', role: 'inspector', org: 'PH-DMW' },
  attache: { email: 'attache@privacy.example', role: 'attache', org: 'MM-EMB-BKK' },
  analyst: { email: 'analyst@privacy.example', role: 'analyst' },
};
const filed = []; // {reference, id?, n}
const secrets = []; // every private marker written
let publicNote;

function body(n, overrides = {}) {
  for (const f of PRIVATE_FIELDS) secrets.push(marker(f, n));
  return {
    agency_name: marker('AGENCYNAME', n),
    licence_number: marker('LICENCENO', n),
    complainant: { name: marker('NAME', n), contact: marker('CONTACT', n), sex: n % 2 ? 'female' : 'male', nationality: 'MM', age_band: '25-34' },
    confidential: n % 2 === 0,
    destination_country: 'TH',
    sector: 'domestic_work',
    categories: ['recruitment_fees'],
    description: `${marker('DESCRIPTION', n)} ${'ဘာသာ '.repeat(3)}`,
    amount_claimed: { amount: 1000 + n, currency: 'THB' },
    language: 'my',
    ...overrides,
  };
}

before(async () => {
  database = await h.freshDatabase({ tag: 'privacy' });
  register = await seedRegister(database);
  for (const user of Object.values(users)) {
    user.id = await h.addUser({ database, email: user.email, role: user.role, org: user.org });
  }
  server = await h.startServer({ database, env: { FAIRREG_PUBLIC_PER_MINUTE: '0', FAIRREG_HOME_AUTHORITY: 'PH-DMW' } });
  for (const user of Object.values(users)) user.token = await h.login(server.url, user.email);

  // Filed through every channel: online, by the mission, by ministry staff.
  const tokens = [undefined, users.attache.token, users.inspector.token, users.admin.token];
  for (let n = 0; n < 8; n++) {
    const extra = n % 4 === 2 ? { channel: 'hotline' } : {};
    const res = await h.api(server.url, 'POST', '/v1/complaints', { json: body(n, extra), token: tokens[n % 4] });
    assert.equal(res.status, 201, res.text);
    filed.push({ reference: res.json.reference, id: res.json.id, n });
  }
  // Worked: linked to a registered agency (so its public page counts it),
  // assigned, noted, moved, referred, resolved.
  const ids = (await h.psql(database, 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM complaint')).split(',').map(Number);
  const staff = users.admin.token;
  for (const [i, id] of ids.entries()) {
    const link = await h.api(server.url, 'PATCH', `/v1/complaints/${id}`, { token: staff, json: { agency_id: register.agencies.example } });
    assert.equal(link.status, 200, link.text);
    const note = await h.api(server.url, 'POST', `/v1/complaints/${id}/notes`, { token: staff, json: { note: marker('INTERNAL', i), public: false } });
    assert.equal(note.status, 200, note.text);
    assert.equal((await h.api(server.url, 'POST', `/v1/complaints/${id}/status`, { token: staff, json: { status: 'acknowledged' } })).status, 200);
  }
  publicNote = `ZQPUBLICNOTEQ${RUN}`;
  const first = ids[0];
  assert.equal((await h.api(server.url, 'POST', `/v1/complaints/${first}/notes`, { token: staff, json: { note: publicNote, public: true } })).status, 200);
  const referred = await h.api(server.url, 'POST', `/v1/complaints/${ids[1]}/status`, {
    token: staff, json: { status: 'referred', referral_to: 'anti_trafficking', referral_reason: marker('REFERRAL', 1), internal_note: marker('INTERNAL', 101) },
  });
  assert.equal(referred.status, 200, referred.text);
  secrets.push(marker('INTERNAL', 101));
  for (const s of ['investigating', 'resolved']) {
    const extra = s === 'resolved' ? { outcome: 'substantiated', remedy: { amount: 500, currency: 'THB' } } : {};
    assert.equal((await h.api(server.url, 'POST', `/v1/complaints/${ids[2]}/status`, { token: staff, json: { status: s, ...extra } })).status, 200);
  }
});

after(async () => {
  await h.stopServer(server);
});

function assertClean(label, text) {
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `${label} holds the private marker ${secret}`);
  }
  // Any marker at all, even one this scan did not register.
  assert.doesNotMatch(text.replace(publicNote, ''), new RegExp(`ZQ[A-Z]+\\d*Q${RUN}`), `${label} holds a marker`);
}

test('refused filings never echo a personal value in their error', async () => {
  const bad = [
    { complainant: { name: marker('NAME', 900), sex: marker('SEX', 900) } },
    { complainant: { contact: marker('CONTACT', 901), nationality: marker('NAT', 901) } },
    { description: marker('DESCRIPTION', 902), categories: [marker('CAT', 902)] },
    { [marker('KEY', 903)]: 1 },
  ];
  for (const overrides of bad) {
    const res = await h.api(server.url, 'POST', '/v1/complaints', { json: { ...body(99), ...overrides } });
    assert.equal(res.status, 422, res.text);
    for (const value of JSON.stringify(overrides).match(/ZQ[A-Z]+\d+Q[0-9a-z]+/g)) {
      if (value.startsWith('ZQKEY')) continue; // an unknown key's name is the client's own word
      assert.ok(!res.text.includes(value), `the error echoes ${value}: ${res.text}`);
    }
  }
});

test('no public route answers a private marker', async () => {
  const doc = JSON.parse((await h.api(server.url, 'GET', '/openapi.json')).text);
  const authorities = (await h.api(server.url, 'GET', '/v1/authorities')).json.items.map((a) => a.code);
  const dims = ['sex', 'nationality', 'destination_country', 'sector', 'category', 'channel', 'status', 'month'];
  const urls = [
    '/', '/healthz', '/readyz', '/metrics', '/openapi.json',
    '/v1/authorities', '/v1/agencies', `/v1/agencies?q=${encodeURIComponent(marker('AGENCYNAME', 0))}`,
    `/v1/agencies/${register.agencies.example}`, '/v1/licences?number=POEA-123-LB-031524-R',
    `/v1/licences/${register.licences.poea}`, '/v1/sanctions', '/v1/sanctions?active=true',
    '/v1/export/licences.csv', '/v1/export/licences.json',
    ...authorities.map((a) => `/v1/export/licences.xml?authority=${a}`),
    '/v1/changes', '/feeds/licences.atom',
    '/v1/stats/complaints',
    ...dims.map((d) => `/v1/stats/complaints?group_by=${d}`),
    `/v1/stats/complaints?group_by=${dims.join(',')}`,
    ...filed.map((f) => `/v1/complaint-status/${f.reference}`),
  ];
  // Every public GET of the document is in the scan.
  const covered = new Set(urls.map((u) => u.split('?')[0].replace(/\/\d+$/, '/{id}')
    .replace(/^\/v1\/complaint-status\/.*/, '/v1/complaint-status/{reference}')));
  for (const [pattern, item] of Object.entries(doc.paths)) {
    const security = item.get && (item.get.security || doc.security || []);
    if (item.get && (security.length === 0 || security.some((s) => Object.keys(s).length === 0))) {
      assert.ok(covered.has(pattern), `the scan misses the public route GET ${pattern}`);
    }
  }
  let publicNoteSeen = 0;
  for (const url of urls) {
    for (const accept of ['application/json', 'text/html']) {
      const res = await h.api(server.url, 'GET', url, { headers: { accept } });
      assert.ok(res.status < 500, `${url}: ${res.status}`);
      assertClean(`GET ${url} (${accept})`, res.text);
      if (res.text.includes(publicNote)) publicNoteSeen += 1;
    }
  }
  assert.ok(publicNoteSeen > 0, 'the public note is on its status page: the scan can find a marker');
  const statusPage = await h.api(server.url, 'GET', `/v1/complaint-status/${filed[0].reference}`);
  assert.ok(statusPage.text.includes(publicNote));
});

test('an analyst\'s unsuppressed statistics hold counts, not people', async () => {
  const res = await h.api(server.url, 'GET', '/v1/stats/complaints?group_by=sex,nationality,channel,status', { token: users.analyst.token });
  assert.equal(res.status, 200, res.text);
  assertClean('analyst statistics', res.text);
});

test('the server\'s log and the metrics hold no marker', async () => {
  const metrics = await h.api(server.url, 'GET', '/metrics');
  assertClean('/metrics', metrics.text);
  assert.ok(server.logs.length > 20, 'the server logged the requests');
  assertClean('the server log', server.logs.join('\n'));
});

test('the audit log masks every private field', async () => {
  const rows = await h.psql(database, 'SELECT count(*) FROM audit_log WHERE entity IN (\'complaint\', \'complainant\', \'complaint_event\')');
  assert.ok(Number(rows) > 30, `audit rows of the casework: ${rows}`);
  const text = await h.psql(database, 'SELECT coalesce(string_agg(coalesce(before::text, \'\') || coalesce(after::text, \'\'), E\'\\n\'), \'\') FROM audit_log');
  for (const f of ['NAME', 'CONTACT', 'DESCRIPTION', 'INTERNAL', 'REFERRAL']) {
    assert.doesNotMatch(text, new RegExp(`ZQ${f}\\d+Q${RUN}`), `the audit log holds a ${f} marker`);
  }
  assert.ok(!text.includes(publicNote), 'notes are masked in the audit log, public ones too');
});

test('staff outside a confidential case see no name or contact', async () => {
  const confidential = filed.find((f) => f.n % 2 === 0 && f.id !== undefined);
  const res = await h.api(server.url, 'GET', `/v1/complaints/${confidential.id}`, { token: users.inspector.token });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.complaint.complainant.identity_hidden, true);
  assert.ok(!res.text.includes(marker('NAME', confidential.n)) && !res.text.includes(marker('CONTACT', confidential.n)));
  const list = await h.api(server.url, 'GET', '/v1/complaints?limit=200', { token: users.inspector.token });
  for (const n of filed.map((f) => f.n)) {
    assert.ok(!list.text.includes(marker('NAME', n)), 'lists carry no complainant');
    assert.ok(!list.text.includes(marker('DESCRIPTION', n)), 'lists carry no description');
  }
});
