// The whole story of one complaint, end to end, as the people in it live it:
// an attaché in Bangkok files for a worker; the worker's status page says
// received; an inspector of the licensing authority takes the case,
// acknowledges it, investigates, plans an inspection, records a breach of the
// fees rule, closes the inspection and suspends the licence; the public
// lookup, the agency page and the change feed show the suspension at once;
// the complaint is resolved with a remedy and a public note; the worker's
// status page shows the history with that note and nothing private; the
// statistics count it; the audit log holds every step, each under the
// request that made it.  Every answer is checked against /openapi.json.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');
const { documentChecker } = require('./openapi_check');

const LIST = `<?xml version="1.0" encoding="UTF-8"?>
<licenceList xmlns="urn:fairreg:licence-list:1" authority="PH-DMW" generated="2026-11-01T08:00:00Z" scope="partial">
  <agency ref="STORY-1">
    <name>Golden Bridge Manpower Services Inc.</name>
    <country>PH</country>
    <address>12 Kalaw St, Ermita, Manila</address>
    <licence number="POEA-777-LB-010125-R" category="landbased" status="active">
      <validFrom>2025-01-01</validFrom>
      <validUntil>2029-12-31</validUntil>
    </licence>
  </agency>
</licenceList>
`;
const NUMBER = 'POEA-777-LB-010125-R';
const PRIVATE = ['Daw Khin Myat', '+95 9 7777 1234', 'took my passport at the airport', 'The recruiter is known to the police'];

let database;
let server;
let checker;
const users = {
  admin: { email: 'admin@story.example', role: 'admin' },
  attache: { email: 'labour.attache@story.example', role: 'attache', org: 'MM-EMB-BKK' },
  inspector: { email: 'inspector@story.example', role: 'inspector', org: 'PH-DMW' },
  analyst: { email: 'analyst@story.example', role: 'analyst' },
};
const steps = []; // {what, requestId, entity}: what the audit log must hold
const story = {};

// One call of the story: sends it, checks the answer against the document
// and the expected status, and remembers its request id for the audit.
async function call(what, method, pattern, path, { as, json, body, headers, status, entity } = {}) {
  const res = await h.api(server.url, method, path, { token: as && users[as].token, json, body, headers });
  assert.equal(res.status, status, `${what}: ${method} ${path} answered ${res.status}: ${res.text}`);
  assert.deepEqual(checker.checkCall(method, pattern, res), [], `${what}: the answer is not as documented`);
  if (entity) steps.push({ what, requestId: res.headers.get('x-request-id'), entity, user: users[as].id });
  return res;
}

before(async () => {
  database = await h.freshDatabase({ tag: 'story' });
  for (const user of Object.values(users)) {
    user.id = await h.addUser({ database, email: user.email, role: user.role, org: user.org });
  }
  server = await h.startServer({ database, env: { FAIRREG_PUBLIC_PER_MINUTE: '0' } });
  for (const user of Object.values(users)) user.token = await h.login(server.url, user.email);
  checker = documentChecker(JSON.parse((await h.api(server.url, 'GET', '/openapi.json')).text));
  await call('the ministry imports its list', 'POST', '/v1/imports', '/v1/imports?authority=PH-DMW', {
    as: 'admin', body: LIST, headers: { 'content-type': 'application/xml' }, status: 201, entity: 'licence',
  });
  const found = await call('look the licence up', 'GET', '/v1/licences', `/v1/licences?number=${NUMBER}`, { status: 200 });
  story.licenceId = found.json.items[0].id;
  story.agencyId = found.json.items[0].agency.id;
});

after(async () => {
  await h.stopServer(server);
});

test('a complaint from the embassy to a sanction and a remedy', async () => {
  // 1. The attaché files for the worker.
  const filed = await call('the attaché files', 'POST', '/v1/complaints', '/v1/complaints', {
    as: 'attache', status: 201, entity: 'complaint',
    json: {
      agency_id: story.agencyId,
      licence_number: 'POEA 777',
      complainant: { name: PRIVATE[0], contact: PRIVATE[1], sex: 'female', nationality: 'MM', age_band: '25-34' },
      confidential: true,
      destination_country: 'TH',
      sector: 'domestic_work',
      categories: ['recruitment_fees', 'document_retention'],
      description: `They charged me 60,000 pesos and ${PRIVATE[2]}.`,
      amount_claimed: { amount: 60000, currency: 'PHP' },
      language: 'my',
    },
  });
  const { id, reference } = filed.json;
  const statusPath = `/v1/complaint-status/${reference}`;
  const statusPattern = '/v1/complaint-status/{reference}';
  const complaintPath = `/v1/complaints/${id}`;

  // 2. The worker's status page says received.
  let page = await call('the worker checks', 'GET', statusPattern, statusPath, { status: 200 });
  assert.equal(page.json.status, 'received');
  assert.deepEqual(page.json.history.map((e) => e.status), ['received']);

  // 3. The inspector of the licensing authority finds it, takes it, acknowledges it.
  const mine = await call('the inspector lists the new complaints', 'GET', '/v1/complaints', '/v1/complaints?status=received', { as: 'inspector', status: 200 });
  assert.deepEqual(mine.json.items.map((c) => c.id), [id]);
  await call('the inspector takes the case', 'POST', '/v1/complaints/{id}/assignment', `${complaintPath}/assignment`, {
    as: 'inspector', status: 200, json: { assigned_to: users.inspector.id }, entity: 'complaint_event',
  });
  await call('the inspector acknowledges', 'POST', '/v1/complaints/{id}/status', `${complaintPath}/status`, {
    as: 'inspector', status: 200, entity: 'complaint_event',
    json: { status: 'acknowledged', public_note: 'We have received your complaint and will look into it.' },
  });
  await call('the inspector notes', 'POST', '/v1/complaints/{id}/notes', `${complaintPath}/notes`, {
    as: 'inspector', status: 200, entity: 'complaint_event', json: { note: PRIVATE[3], public: false },
  });
  await call('the inspector investigates', 'POST', '/v1/complaints/{id}/status', `${complaintPath}/status`, {
    as: 'inspector', status: 200, json: { status: 'investigating' }, entity: 'complaint',
  });

  // 4. An inspection, triggered by the complaint, finds the fees breach.
  const planned = await call('the inspector plans an inspection', 'POST', '/v1/inspections', '/v1/inspections', {
    as: 'inspector', status: 201, entity: 'inspection',
    json: { agency_id: story.agencyId, complaint_id: id, planned_on: new Date().toISOString().slice(0, 10), inspectors: [users.inspector.id] },
  });
  const inspectionId = planned.json.inspection.id;
  assert.equal(planned.json.inspection.kind, 'complaint_driven');
  const linked = await call('the complaint shows its inspection', 'GET', '/v1/complaints/{id}', complaintPath, { as: 'inspector', status: 200 });
  assert.equal(linked.json.complaint.inspection_id, inspectionId);
  await call('the inspection starts', 'PATCH', '/v1/inspections/{id}', `/v1/inspections/${inspectionId}`, {
    as: 'inspector', status: 200, json: { status: 'in_progress' }, entity: 'inspection',
  });
  await call('a breach of the fees rule', 'PUT', '/v1/inspections/{id}/findings/{item}', `/v1/inspections/${inspectionId}/findings/FEES_CHARGED_TO_WORKER`, {
    as: 'inspector', status: 200, json: { result: 'breach', note: 'Receipts for placement fees of 60,000 PHP from 14 workers.' }, entity: 'inspection_finding',
  });
  await call('documents are kept', 'PUT', '/v1/inspections/{id}/findings/{item}', `/v1/inspections/${inspectionId}/findings/IDENTITY_DOCUMENTS_RETAINED`, {
    as: 'inspector', status: 200, json: { result: 'breach' }, entity: 'inspection_finding',
  });
  const today = new Date().toISOString().slice(0, 10);
  await call('the inspection closes', 'POST', '/v1/inspections/{id}/close', `/v1/inspections/${inspectionId}/close`, {
    as: 'inspector', status: 200, json: { outcome: 'Fees charged to workers; passports retained.', done_on: today }, entity: 'inspection',
  });

  // 5. The licence is suspended, on the inspection's findings.
  const suspended = await call('the inspector suspends the licence', 'POST', '/v1/sanctions', '/v1/sanctions', {
    as: 'inspector', status: 201, entity: 'licence_status_history',
    json: {
      kind: 'suspension', licence_id: story.licenceId, decided_on: today, effective_from: today,
      reason: 'Recruitment fees charged to workers', inspection_id: inspectionId, is_public: true,
    },
  });
  const sanctionId = suspended.json.sanction.id;

  // 6. The public sees it at once: the lookup, the agency page, the feeds.
  const lookup = await call('a worker checks the licence', 'GET', '/v1/licences', `/v1/licences?number=${encodeURIComponent('poea 777 lb 010125 r')}`, { status: 200 });
  const licence = lookup.json.items[0];
  assert.equal(licence.status, 'suspended');
  assert.equal(licence.listed_status, 'active');
  assert.equal(licence.in_good_standing, false);
  const last = licence.history.at(-1);
  assert.equal(last.status, 'suspended');
  assert.equal(last.effective_on, today);
  assert.equal(last.reason, 'Recruitment fees charged to workers');
  const agency = await call('the agency page', 'GET', '/v1/agencies/{id}', `/v1/agencies/${story.agencyId}`, { status: 200 });
  assert.equal(agency.json.in_good_standing, false);
  assert.deepEqual(agency.json.sanctions.map((s) => s.kind), ['suspension']);
  assert.deepEqual(agency.json.inspections.count_24m, 1);
  assert.deepEqual(agency.json.inspections.breaches_24m, 2);
  assert.equal(agency.json.inspections.last_on, today);
  assert.equal(agency.json.complaints.received_24m, 1);
  const changes = await call('the change feed', 'GET', '/v1/changes', '/v1/changes', { status: 200 });
  const change = changes.json.items.find((c) => c.licence && c.licence.id === story.licenceId && c.status === 'suspended');
  assert.ok(change, `the change feed shows the suspension: ${changes.text}`);
  const atom = await h.api(server.url, 'GET', '/feeds/licences.atom');
  assert.equal(atom.status, 200);
  assert.match(atom.text, /POEA-777-LB-010125-R/);
  assert.match(atom.text, /suspended/);
  const publicSanctions = await call('the public sanctions list', 'GET', '/v1/sanctions', '/v1/sanctions?active=true', { status: 200 });
  assert.ok(publicSanctions.json.items.some((s) => s.id === sanctionId), publicSanctions.text);

  // 7. The complaint is resolved with a remedy and a public note.
  await call('conciliation', 'POST', '/v1/complaints/{id}/status', `${complaintPath}/status`, {
    as: 'inspector', status: 200, json: { status: 'conciliation' }, entity: 'complaint',
  });
  const resolved = await call('resolved with a remedy', 'POST', '/v1/complaints/{id}/status', `${complaintPath}/status`, {
    as: 'inspector', status: 200, entity: 'complaint',
    json: {
      status: 'resolved', outcome: 'substantiated', remedy: { amount: 60000, currency: 'PHP' },
      public_note: 'The agency has repaid the 60,000 pesos and returned your passport. Its licence is suspended.',
    },
  });
  assert.equal(resolved.json.complaint.status, 'resolved');
  assert.deepEqual(resolved.json.complaint.remedy, { amount: 60000, currency: 'PHP' });

  // 8. The worker's page: the history with the public notes, nothing private.
  page = await call('the worker checks again', 'GET', statusPattern, statusPath, { status: 200 });
  assert.equal(page.json.status, 'resolved');
  assert.equal(page.json.expected_by, null);
  assert.deepEqual(page.json.history.map((e) => [e.status, e.note]), [
    ['received', null],
    ['acknowledged', 'We have received your complaint and will look into it.'],
    ['investigating', null],
    ['conciliation', null],
    ['resolved', 'The agency has repaid the 60,000 pesos and returned your passport. Its licence is suspended.'],
  ]);
  for (const secret of PRIVATE) assert.ok(!page.text.includes(secret), `the status page shows ${secret}`);

  // 9. The statistics count it: exactly for the analyst, suppressed for the public.
  const month = today.slice(0, 7);
  const stats = await call('the analyst reads the figures', 'GET', '/v1/stats/complaints',
    `/v1/stats/complaints?group_by=sex,destination_country,category&from=${month}&to=${month}`, { as: 'analyst', status: 200 });
  assert.deepEqual(stats.json.rows.map((r) => [r.sex, r.destination_country, r.category, r.count]), [
    ['female', 'TH', 'document_retention', 1],
    ['female', 'TH', 'recruitment_fees', 1],
  ]);
  const publicStats = await call('the public reads the figures', 'GET', '/v1/stats/complaints', `/v1/stats/complaints?group_by=sex&from=${month}&to=${month}`, { status: 200 });
  assert.deepEqual(publicStats.json.rows, [{ sex: 'female', count: null, suppressed: true }]);
  const outcome = await call('the agency page counts it substantiated', 'GET', '/v1/agencies/{id}', `/v1/agencies/${story.agencyId}`, { status: 200 });
  assert.equal(outcome.json.complaints.substantiated_24m, 1);

  // 10. The audit log holds every step, under the request and user that made it.
  for (const step of steps) {
    const res = await call(`the audit of "${step.what}"`, 'GET', '/v1/audit', `/v1/audit?request_id=${step.requestId}`, { as: 'admin', status: 200 });
    assert.ok(res.json.items.length > 0, `no audit row for "${step.what}" (request ${step.requestId})`);
    assert.ok(res.json.items.some((row) => row.entity === step.entity),
      `"${step.what}" left no ${step.entity} row: ${res.json.items.map((r) => r.entity)}`);
    for (const row of res.json.items) {
      assert.equal(row.actor_user_id, step.user, `"${step.what}" is audited as its user`);
      assert.equal(row.request_id, step.requestId);
    }
    for (const secret of PRIVATE) assert.ok(!res.text.includes(secret), `the audit of "${step.what}" shows ${secret}`);
  }
  const complaintRows = await call('the complaint\'s whole audit', 'GET', '/v1/audit', `/v1/audit?entity=complaint&entity_id=${id}&limit=500`, { as: 'admin', status: 200 });
  assert.deepEqual(complaintRows.json.items.map((r) => r.action).reverse(), ['insert', ...Array(7).fill('update')]);
  assert.equal(complaintRows.json.items.at(-1).after.description, '***');
});
