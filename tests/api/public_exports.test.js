// The streamed open-data exports: CSV (RFC 4180), JSON, and one authority's
// register in the canonical XML format, which validates against the
// project's XSD and which another fairreg imports to the same licences and
// statuses (the round trip between two databases).  Then a large register:
// memory stays flat while it streams, other requests are served meanwhile,
// and the number of exports at once is bounded.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./harness');
const { seedRegister } = require('./public_seed');

const XSD = path.join(h.ROOT, 'importers', 'licence-list-1.xsd');
const CSV_HEADER = 'id,authority,authority_country,number,category,status,listed_status,'
  + 'valid_from,valid_until,in_good_standing,agency_id,agency_name';

let database;
let server;
let ids;
let xmllint = false;
let tmp;

before(async () => {
  database = await h.freshDatabase({ tag: 'exports' });
  ids = await seedRegister(database);
  server = await h.startServer({ database, env: { FAIRREG_PUBLIC_PER_MINUTE: '0' } });
  try {
    xmllint = (await h.run('xmllint', ['--version'])).code === 0;
  } catch {
    xmllint = false;
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fairreg-exports-'));
});

after(async () => {
  await h.stopServer(server);
  fs.rmSync(tmp, { recursive: true, force: true });
});

// Parses RFC 4180 CSV text (CRLF records, quoted fields) into rows of fields.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i += 1; continue; }
      field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field === '') { quoted = true; i += 1; continue; }
    if (c === ',') { row.push(field); field = ''; i += 1; continue; }
    if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
      continue;
    }
    assert.notEqual(c, '\n', `a bare LF at offset ${i}: records must end with CRLF`);
    field += c;
    i += 1;
  }
  assert.equal(field, '', 'the last record does not end with CRLF');
  assert.equal(row.length, 0);
  return rows;
}

async function licenceCount(db) {
  return Number(await h.psql(db, 'SELECT count(*) FROM licence'));
}

test('GET /v1/export/licences.csv streams a header and one RFC 4180 record per licence', async () => {
  const res = await h.api(server.url, 'GET', '/v1/export/licences.csv');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8; header=present');
  assert.equal(res.headers.get('content-disposition'), 'attachment; filename="licences.csv"');
  assert.equal(res.headers.get('transfer-encoding'), 'chunked');
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const rows = parseCsv(res.text);
  assert.deepEqual(rows[0], CSV_HEADER.split(','));
  const records = rows.slice(1);
  assert.equal(records.length, await licenceCount(database));
  assert.ok(records.every((r) => r.length === 12));
  assert.deepEqual(records.map((r) => Number(r[0])), records.map((r) => Number(r[0])).sort((a, b) => a - b));

  const byNumber = Object.fromEntries(records.map((r) => [r[3], r]));
  assert.deepEqual(byNumber['POEA-123-LB-031524-R'], [String(ids.licences.poea), 'PH-DMW', 'PH',
    'POEA-123-LB-031524-R', 'landbased', 'active', 'active', '2024-03-15', '2099-03-14', 'true',
    String(ids.agencies.example), 'Example Manpower Services Inc.']);
  assert.deepEqual(byNumber['POEA-124-SB-010120-R'].slice(5, 10), ['expired', 'active', '2017-01-01', '2020-01-01', 'false']);
  assert.deepEqual(byNumber['POEA-125-LB-050521-R'].slice(5, 7), ['suspended', 'active']);
  assert.deepEqual(byNumber['นจ. 1234/2565'].slice(4, 5), ['']);
  assert.equal(byNumber['นจ. 1234/2565'][11], 'บริษัท สยามแรงงาน จัดหางาน จำกัด');
  // A name with a comma and quotes is quoted, its quotes doubled.
  assert.equal(byNumber['ACME-001'][11], 'Acme "Best" Recruitment, Ltd.');
  assert.ok(res.text.includes(',"Acme ""Best"" Recruitment, Ltd."\r\n'));
});

test('GET /v1/export/licences.json streams {"items": [...]} of the very licence objects of the API', async () => {
  const res = await h.api(server.url, 'GET', '/v1/export/licences.json');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), h.JSON_TYPE);
  assert.equal(res.headers.get('transfer-encoding'), 'chunked');
  assert.ok(res.json, 'the export is not valid JSON');
  assert.deepEqual(Object.keys(res.json), ['items']);
  assert.equal(res.json.items.length, await licenceCount(database));
  for (const licence of res.json.items) {
    const one = await h.api(server.url, 'GET', `/v1/licences/${licence.id}`);
    assert.deepEqual(licence, one.json);
  }
});

async function exportXml(url, authority) {
  const res = await h.api(url, 'GET', `/v1/export/licences.xml?authority=${authority}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), 'application/xml; charset=utf-8');
  assert.equal(res.headers.get('content-disposition'), `attachment; filename="licences-${authority}.xml"`);
  return res.text;
}

test('GET /v1/export/licences.xml?authority= is the canonical format and validates against the XSD', async () => {
  const xml = await exportXml(server.url, 'PH-DMW');
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<licenceList xmlns="urn:fairreg:licence-list:1" authority="PH-DMW" generated="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z" scope="complete">\n/);
  assert.match(xml, /<\/licenceList>\n$/);
  if (xmllint) {
    const file = path.join(tmp, 'ph-dmw.xml');
    fs.writeFileSync(file, xml);
    const valid = await h.run('xmllint', ['--noout', '--schema', XSD, file]);
    assert.equal(valid.code, 0, `the export does not validate against ${XSD}:\n${valid.stderr}`);
  }
  // The agencies holding a PH-DMW licence, each once, by their ref.
  const refs = [...xml.matchAll(/<agency ref="([^"]+)">/g)].map((m) => m[1]);
  assert.deepEqual(refs, ['DMW-000123', 'DMW-000200', 'DMW-000300', `FR-${ids.agencies.acme}`]);
  const example = /<agency ref="DMW-000123">.*?<\/agency>/.exec(xml)[0];
  assert.ok(example.startsWith('<agency ref="DMW-000123"><name>Example Manpower Services Inc.</name>'
    + '<otherName lang="fil" kind="trade">Example Manpower</otherName><country>PH</country>'
    + '<registrationNumber>CS201912345</registrationNumber><address>123 Ortigas Ave, Pasig City</address>'
    + '<phone>+63 2 8123 4567</phone><email>info@example.ph</email><website>https://example.ph</website>'
    + '<officer role="president">Maria Santos</officer><personnel registration="R2024-0042">Ana Reyes</personnel>'
    + '<branch><address>45 Rizal St</address><city>Davao City</city><country>PH</country></branch>'
    + '<licence number="POEA-123-LB-031524-R" category="landbased" status="active" statusDate="2024-03-15">'
    + '<validFrom>2024-03-15</validFrom><validUntil>2099-03-14</validUntil></licence>'
    + '<licence number="POEA-126-LB-010126-R" category="landbased" status="active" statusDate="2099-01-01">'), example);
  // Listed statuses travel; a sanction's status travels as the status.
  assert.match(xml, /<licence number="POEA-124-SB-010120-R" category="seabased" status="active" statusDate="2017-01-01"><validFrom>2017-01-01<\/validFrom><validUntil>2020-01-01<\/validUntil><\/licence>/);
  assert.match(xml, /<licence number="POEA-125-LB-050521-R" category="landbased" status="suspended" statusDate="\d{4}-\d{2}-\d{2}">/);
  assert.match(xml, /<name>Acme "Best" Recruitment, Ltd\.<\/name>/);
  assert.doesNotMatch(xml, /7 Closed St|VN-MOLISA|นจ/);

  // Non-ASCII text is written as UTF-8, in attributes too.
  const th = await exportXml(server.url, 'TH-DOE');
  assert.match(th, /<agency ref="TH-1"><name>บริษัท สยามแรงงาน จัดหางาน จำกัด<\/name><otherName lang="en" kind="legal">Siam Labour Recruitment Co\., Ltd\.<\/otherName>/);
  assert.match(th, /<licence number="นจ\. 1234\/2565" status="active" statusDate="2022-03-15">/);
  assert.doesNotMatch(th, /&#x/);

  const vn = await exportXml(server.url, 'VN-MOLISA');
  assert.match(vn, /<licence number="456\/LĐTBXH-GP" status="revoked" statusDate="2025-06-01"><validFrom>2020-01-01<\/validFrom><validUntil>2099-01-01<\/validUntil><statusReason>fees charged to workers<\/statusReason><\/licence>/);
});

test('the XML export refuses a missing, malformed or unknown authority', async () => {
  h.assertError(await h.api(server.url, 'GET', '/v1/export/licences.xml'), 400, 'bad_parameter');
  h.assertError(await h.api(server.url, 'GET', '/v1/export/licences.xml?authority=ph-dmw'), 400, 'bad_parameter');
  h.assertError(await h.api(server.url, 'GET', '/v1/export/licences.xml?authority=%3Cx%3E'), 400, 'bad_parameter');
  h.assertError(await h.api(server.url, 'GET', '/v1/export/licences.xml?authority=XX-NOPE'), 404, 'not_found');
});

// ---------------------------------------------------------------------------
// The round trip: registry A exports, registry B imports, B answers the same.

// The public view of an agency that must survive the trip (ids and history
// aside, which are B's own).
function portable(agency) {
  return {
    name: agency.name,
    other_names: agency.other_names,
    country: agency.country,
    registration_number: agency.registration_number,
    address: agency.address,
    phone: agency.phone,
    email: agency.email,
    website: agency.website,
    in_good_standing: agency.in_good_standing,
    branches: agency.branches,
    officers: agency.officers.map((o) => ({ name: o.name, role: o.role })),
    personnel: agency.personnel.map((p) => ({ name: p.name, registration_number: p.registration_number })),
    licences: agency.licences.map((l) => ({
      number: l.number,
      authority: l.authority,
      category: l.category,
      status: l.status,
      valid_from: l.valid_from,
      valid_until: l.valid_until,
      in_good_standing: l.in_good_standing,
    })),
  };
}

test('another fairreg imports the XML export to the same licences and statuses (round trip between two databases)', async () => {
  const authorities = ['PH-DMW', 'VN-MOLISA', 'TH-DOE', 'MM-MOL', 'KH-MLVT', 'LA-MLSW'];
  const other = await h.freshDatabase({ tag: 'roundtrip' });
  const files = {};
  for (const authority of authorities) {
    files[authority] = path.join(tmp, `${authority}.xml`);
    fs.writeFileSync(files[authority], await exportXml(server.url, authority));
    const imported = await h.fairreg(['import', '--authority', authority, files[authority]], { database: other });
    assert.equal(imported.code, 0, `fairreg import --authority ${authority} failed:\n${imported.stdout}${imported.stderr}`);
  }
  const otherServer = await h.startServer({ database: other, env: { FAIRREG_PUBLIC_PER_MINUTE: '0' } });
  try {
    // Every licence of A is in B under the same number, with the same
    // effective status, dates and agency.
    const exported = await h.api(server.url, 'GET', '/v1/export/licences.json');
    for (const licence of exported.json.items) {
      const res = await h.api(otherServer.url, 'GET', `/v1/licences?number=${encodeURIComponent(licence.number)}`);
      assert.equal(res.status, 200);
      assert.equal(res.json.items.length, 1, `licence ${licence.number} is not in B`);
      const copy = res.json.items[0];
      assert.deepEqual(
        [copy.authority, copy.category, copy.status, copy.in_good_standing, copy.valid_from, copy.valid_until, copy.agency.name],
        [licence.authority, licence.category, licence.status, licence.in_good_standing, licence.valid_from,
          licence.valid_until, licence.agency.name],
        `licence ${licence.number} differs in B`);
    }
    // Every agency with a licence carries the same public data.
    for (const key of ['example', 'sunrise', 'harbor', 'acme', 'nguyen', 'dongA', 'thai', 'burmese', 'khmer', 'lao']) {
      const mine = (await h.api(server.url, 'GET', `/v1/agencies/${ids.agencies[key]}`)).json;
      const search = await h.api(otherServer.url, 'GET', `/v1/agencies?q=${encodeURIComponent(mine.name)}&limit=1`);
      const theirs = (await h.api(otherServer.url, 'GET', `/v1/agencies/${search.json.items[0].id}`)).json;
      assert.deepEqual(portable(theirs), portable(mine), `agency ${mine.name} differs in B`);
    }
    // And B's own export is A's, but for the time it was made and the order
    // of the agencies (each registry lists them by its own ids).
    for (const authority of authorities) {
      const again = await exportXml(otherServer.url, authority);
      const canonical = (xml) => {
        const lines = xml.replace(/ generated="[^"]+"/, '').split('\n');
        return [...lines.slice(0, 2), ...lines.slice(2, -2).sort(), ...lines.slice(-2)];
      };
      assert.deepEqual(canonical(again), canonical(fs.readFileSync(files[authority], 'utf8')),
        `${authority}: B exports another list`);
    }
    // Importing the same list again changes nothing.
    const before = await h.psql(other, 'SELECT count(*) FROM licence_status_history');
    const again = await h.fairreg(['import', '--authority', 'PH-DMW', files['PH-DMW']], { database: other });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await h.psql(other, 'SELECT count(*) FROM licence_status_history'), before);
  } finally {
    await h.stopServer(otherServer);
  }
});

// ---------------------------------------------------------------------------
// A large register.

// The server's resident memory high-water mark in kB (Linux).
function peakKb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)[1]);
}

// Reads the body of RES to the end without keeping it; returns its size and
// its last bytes.
async function drain(res) {
  let size = 0;
  let tail = Buffer.alloc(0);
  for await (const chunk of res.body) {
    size += chunk.length;
    tail = Buffer.concat([tail, Buffer.from(chunk)]).subarray(-64);
  }
  return { size, tail: tail.toString('utf8') };
}

test('a large register streams with flat memory, while other requests are served and exports are bounded', async (t) => {
  const big = await h.freshDatabase({ tag: 'bigexport' });
  await h.psql(big, `INSERT INTO agency (name, country)
      SELECT format('Bulk Agency %s with a reasonably long legal name', g), 'PH' FROM generate_series(1, 20000) AS g;
    INSERT INTO licence (authority_code, number, agency_id, category, listed_status, valid_from, valid_until)
      SELECT 'PH-DMW', format('BULK-%s-LB', a.id * 3 + k), a.id, 'landbased', 'active', '2024-01-01', '2099-01-01'
        FROM agency AS a, generate_series(0, 2) AS k`);
  const bigServer = await h.startServer({ database: big, env: { FAIRREG_PUBLIC_PER_MINUTE: '0' } });
  try {
    const pid = bigServer.child.pid;
    // Warm up the threads' connections and allocator, and let the server
    // finish what it does at start (an in-memory name index, if it builds
    // one), then measure.
    await h.api(bigServer.url, 'GET', '/v1/export/licences.csv');
    await bigServer.waitForLog((l) => /^search index: 20000 agencies/.test(l.message || ''), 10000)
      .catch(() => {});
    const baseline = peakKb(pid);

    const json = await fetch(`${bigServer.url}/v1/export/licences.json`);
    assert.equal(json.status, 200);
    const jsonBody = await drain(json);
    assert.ok(jsonBody.size > 20 * 1024 * 1024, `the JSON export is only ${jsonBody.size} bytes`);
    assert.match(jsonBody.tail, /\]\}\n$/);
    const csv = await fetch(`${bigServer.url}/v1/export/licences.csv`);
    const csvBody = await drain(csv);
    assert.ok(csvBody.size > 5 * 1024 * 1024);
    const growth = peakKb(pid) - baseline;
    t.diagnostic(`streamed ${jsonBody.size} + ${csvBody.size} bytes; peak resident memory grew by ${growth} kB`);
    if (!process.env.FAIRREG_SANITIZERS) {
      // Buffering the 20+ MB answer would show here; one batch does not.
      assert.ok(growth < 16 * 1024, `the server grew by ${growth} kB while streaming ${jsonBody.size} bytes`);
    }

    // While exports are held open by clients that do not read, the server
    // answers everything else, on every thread; past the bound it refuses.
    const held = [];
    for (let i = 0; i < 8; i++) {
      const controller = new AbortController();
      const res = await fetch(`${bigServer.url}/v1/export/licences.json`, { signal: controller.signal });
      assert.equal(res.status, 200);
      held.push({ controller, res });
    }
    const refused = await h.api(bigServer.url, 'GET', '/v1/export/licences.csv');
    h.assertError(refused, 503, 'unavailable');
    assert.equal(refused.headers.get('retry-after'), '5');
    for (let i = 0; i < 24; i++) {
      const res = await h.api(bigServer.url, 'GET', `/v1/licences?number=BULK-${3 * (i + 1)}-LB`);
      assert.equal(res.status, 200);
      assert.equal(res.json.items.length, 1);
    }
    // One held export, read now, is complete and consistent.
    const { size, tail } = await drain(held[0].res);
    assert.equal(size, jsonBody.size);
    assert.match(tail, /\]\}\n$/);
    for (const { controller } of held.slice(1)) controller.abort();
    // Their slots come back once the server sees the clients gone.
    const freed = await h.poll(async () => {
      const res = await fetch(`${bigServer.url}/v1/export/licences.csv`);
      if (res.status !== 200) {
        await res.arrayBuffer();
        return false;
      }
      await drain(res);
      return true;
    }, { timeoutMs: 5000, intervalMs: 100 });
    assert.ok(freed, 'aborted exports kept their slots');
  } finally {
    await h.stopServer(bigServer);
  }
});
