// `fairreg import`: the rules of DESIGN.md section 6 against a real database
// and the real binary.  Each test makes its own database, so that "nothing
// changed" is checked against a register that only that test wrote.
//
// Decisions these tests pin:
//  - an unknown --authority is bad usage: exit 2, and no run is recorded
//    (import_run cannot name an authority that does not exist);
//  - a new licence gets one history row (its first status), so "a status
//    change writes one history row" is counted on top of it;
//  - counts in the report and in import_run are of licences;
//  - a file for another authority, a file with any invalid record (without
//    --skip-invalid) and a hostile file are refused: exit 1, the register
//    untouched, the run recorded with outcome "refused".
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');
const t = require('./import_helpers');

const BASE = [t.agency(1), t.agency(2), t.agency(3, { licences: 1 })];

async function importedRegister(tag) {
  const database = await h.freshDatabase({ tag });
  const file = t.writeFile(t.list(BASE));
  const first = await t.importJson(database, ['--authority', 'PH-DMW', file]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  return { database, first };
}

test('a first import inserts every agency and licence, with a first history row each, and records the run', async () => {
  const database = await h.freshDatabase({ tag: 'imp_first' });
  const file = t.writeFile(t.list(BASE));
  const { code, report, stderr } = await t.importJson(database, ['--authority', 'PH-DMW', file]);
  assert.equal(code, 0, stderr);
  assert.equal(report.outcome, 'imported');
  assert.deepEqual(report.counts, { seen: 5, inserted: 5, updated: 0, unchanged: 0, delisted: 0, rejected: 0 });
  assert.deepEqual(report.agencies, { seen: 3, inserted: 3, updated: 0, unchanged: 0 });
  assert.equal(report.sha256, t.sha256(file));
  assert.equal(report.size_bytes, fs.statSync(file).size);
  assert.equal(await t.count(database, 'SELECT count(*) FROM agency'), 3);
  assert.equal(await t.count(database, "SELECT count(*) FROM licence WHERE authority_code = 'PH-DMW' AND listed_status = 'active'"), 5);
  assert.equal(await t.count(database, 'SELECT count(*) FROM agency_name'), 3);
  assert.equal(await t.count(database, 'SELECT count(*) FROM agency_officer'), 3);
  assert.equal(await t.count(database, 'SELECT count(*) FROM agency_personnel'), 3);
  assert.equal(await t.count(database, 'SELECT count(*) FROM agency_branch WHERE listed'), 3);
  assert.equal(await h.psql(database, "SELECT number_norm FROM licence WHERE number = 'T-1-1'"), 't11');
  assert.equal(await h.psql(database,
    `SELECT count(*) || ' ' || min(effective_on)::text || ' ' || bool_and(import_run_id = ${report.import_run})
       FROM licence_status_history WHERE source = 'import'`), '5 2026-11-01 true');
  const run = await h.psql(database,
    `SELECT authority_code, file_name, outcome, encode(sha256, 'hex'), size_bytes, inserted, seen, rejected, dry_run
       FROM import_run WHERE id = ${report.import_run}`);
  assert.equal(run, `PH-DMW|${path.basename(file)}|imported|${t.sha256(file)}|${fs.statSync(file).size}|5|5|0|f`);
  // The audit log says who imported, and has one row for every row written.
  assert.equal(await h.psql(database, "SELECT DISTINCT actor FROM audit_log WHERE entity = 'licence'"), 'import');
  assert.equal(await h.psql(database,
    `SELECT string_agg(e || ' ' || (SELECT count(*) FROM audit_log a
                                     WHERE a.entity = e AND a.action = 'insert' AND a.after IS NOT NULL
                                       AND a.entity_id = a.after ->> 'id'), ', ' ORDER BY e)
       FROM unnest(ARRAY['agency', 'agency_name', 'agency_officer', 'agency_personnel', 'agency_branch',
                         'licence', 'licence_status_history']) AS e`),
    'agency 3, agency_branch 3, agency_name 3, agency_officer 3, agency_personnel 3, licence 5, licence_status_history 5');
});

test('the same content again, exported with a new generated date, changes nothing: no history, no audit row', async () => {
  const { database } = await importedRegister('imp_same');
  const before = await t.fingerprint(database);
  const again = t.writeFile(t.list(BASE, { generated: '2026-11-20T10:30:00+07:00' }));
  const { code, report } = await t.importJson(database, ['--authority', 'PH-DMW', again]);
  assert.equal(code, 0);
  assert.equal(report.outcome, 'imported');
  assert.deepEqual(report.counts, { seen: 5, inserted: 0, updated: 0, unchanged: 5, delisted: 0, rejected: 0 });
  assert.deepEqual(report.agencies, { seen: 3, inserted: 0, updated: 0, unchanged: 3 });
  assert.equal(report.status_changes, 0);
  assert.equal(await t.fingerprint(database), before);
  assert.equal(await t.count(database, 'SELECT count(*) FROM import_run'), 2);
});

test('a status change writes exactly one history row, effective on statusDate or else the list\'s date', async () => {
  const { database } = await importedRegister('imp_change');
  const changed = structuredClone(BASE);
  changed[0].licences[0].status = 'suspended';
  changed[0].licences[0].statusReason = 'Fees charged to workers';
  changed[1].licences[1].status = 'revoked';
  changed[1].licences[1].statusDate = '2026-10-15';
  const file = t.writeFile(t.list(changed, { generated: '2026-11-05T09:00:00Z' }));
  const { code, report } = await t.importJson(database, ['--authority', 'PH-DMW', file]);
  assert.equal(code, 0);
  assert.equal(report.status_changes, 2);
  assert.deepEqual(report.counts, { seen: 5, inserted: 0, updated: 2, unchanged: 3, delisted: 0, rejected: 0 });
  const history = (number) => h.psql(database,
    `SELECT string_agg(status || ' ' || effective_on || ' ' || coalesce(reason, '-'), '; ' ORDER BY h.id)
       FROM licence_status_history h JOIN licence l ON l.id = h.licence_id WHERE l.number = '${number}'`);
  assert.equal(await history('T-1-1'), 'active 2026-11-01 -; suspended 2026-11-05 Fees charged to workers');
  assert.equal(await history('T-2-2'), 'active 2026-11-01 -; revoked 2026-10-15 -');
  assert.equal(await history('T-1-2'), 'active 2026-11-01 -');
  assert.equal(await h.psql(database, "SELECT listed_status || ' ' || status_reason FROM licence WHERE number = 'T-1-1'"),
    'suspended Fees charged to workers');
  // Importing the changed list again adds nothing.
  const again = await t.importJson(database, ['--authority', 'PH-DMW', file]);
  assert.equal(again.report.status_changes, 0);
  assert.equal(await t.count(database, 'SELECT count(*) FROM licence_status_history'), 7);
});

test('a complete list delists the authority\'s licences it no longer names, with history; a partial one does not', async () => {
  const { database } = await importedRegister('imp_delist');
  const partial = t.writeFile(t.list(BASE.slice(0, 2), { scope: 'partial', generated: '2026-11-10T00:00:00Z' }));
  const p = await t.importJson(database, ['--authority', 'PH-DMW', partial]);
  assert.equal(p.code, 0);
  assert.equal(p.report.counts.delisted, 0);
  assert.equal(await t.count(database, "SELECT count(*) FROM licence WHERE listed_status = 'delisted'"), 0);

  const complete = t.writeFile(t.list(BASE.slice(0, 2), { generated: '2026-11-12T00:00:00Z' }));
  const c = await t.importJson(database, ['--authority', 'PH-DMW', complete]);
  assert.equal(c.code, 0);
  assert.equal(c.report.counts.delisted, 1);
  assert.equal(await h.psql(database,
    `SELECT l.number || ' ' || l.listed_status || ' ' || h.effective_on || ' ' || h.import_run_id
       FROM licence l JOIN licence_status_history h ON h.licence_id = l.id AND h.status = 'delisted'`),
  `T-3-1 delisted 2026-11-12 ${c.report.import_run}`);
  // Delisted once: the same complete list again delists nothing more.
  const again = await t.importJson(database, ['--authority', 'PH-DMW', complete]);
  assert.equal(again.report.counts.delisted, 0);
  assert.equal(await t.count(database, "SELECT count(*) FROM licence_status_history WHERE status = 'delisted'"), 1);
});

test('all or nothing: three bad records of different kinds refuse the file, list all three by line, change nothing', async () => {
  const { database } = await importedRegister('imp_all_or_nothing');
  const before = await t.fingerprint(database);
  const bad = structuredClone(BASE);
  bad.push(t.agency(4));
  bad[0].licences[0].status = 'actve';                  // unknown status
  bad[1].licences[0].validUntil = '2026-02-30';         // not a date
  bad[3].licences[1].validFrom = '2027-01-01';          // validUntil before validFrom
  bad[3].licences[1].validUntil = '2026-01-01';
  const text = t.list(bad);
  const file = t.writeFile(text);
  const { code, report } = await t.importJson(database, ['--authority', 'PH-DMW', file]);
  assert.equal(code, 1);
  assert.equal(report.outcome, 'refused');
  assert.equal(report.counts.rejected, 3);
  const lines = report.rejects.map((r) => r.line);
  const expected = [lineOf(text, 'T-1-1'), lineOf(text, 'T-2-1'), lineOf(text, 'T-4-2')];
  for (const line of expected) {
    assert.ok(lines.some((l) => Math.abs(l - line) <= 3), `a reject near line ${line}: ${JSON.stringify(report.rejects)}`);
  }
  assert.equal(report.rejects.length, 3);
  assert.equal(await t.fingerprint(database), before);
  assert.equal(await h.psql(database,
    `SELECT outcome || ' ' || rejected || ' ' || jsonb_array_length(rejects) FROM import_run WHERE id = ${report.import_run}`),
  'refused 3 3');
});

function lineOf(text, needle) {
  return t.lineOf(text, `"${needle}"`);
}

test('the same licence number twice in a file (after normalisation) refuses it and names both lines', async () => {
  const { database } = await importedRegister('imp_duplicate');
  const before = await t.fingerprint(database);
  const dup = structuredClone(BASE);
  dup[2].licences[0].number = 't 1/1';                 // the same as T-1-1 once normalised
  const text = t.list(dup);
  const file = t.writeFile(text);
  const { code, report } = await t.importJson(database, ['--authority', 'PH-DMW', file]);
  assert.equal(code, 1);
  assert.equal(report.outcome, 'refused');
  assert.deepEqual(report.rejects.map((r) => r.line), [lineOf(text, 'T-1-1'), lineOf(text, 't 1/1')]);
  for (const r of report.rejects) assert.match(r.reason, /appears 2 times/);
  assert.equal(await t.fingerprint(database), before);
});

test('--skip-invalid imports the valid records, lists the rejected ones, and never delists', async () => {
  const { database } = await importedRegister('imp_skip');
  const mixed = structuredClone(BASE.slice(0, 2));       // agency 3 absent: not delisted
  mixed[0].licences[1].status = 'suspended';
  mixed[1].licences[0].status = 'nonsense';
  mixed.push(t.agency(5, { licences: 1 }));
  const text = t.list(mixed);
  const file = t.writeFile(text);
  const { code, report } = await t.importJson(database, ['--authority', 'PH-DMW', '--skip-invalid', file]);
  assert.equal(code, 0, JSON.stringify(report));
  assert.equal(report.outcome, 'imported');
  // The reader may reject the licence or its whole agency record: either
  // way the reject is within agency 2.
  assert.equal(report.counts.rejected, 1);
  const line = report.rejects[0].line;
  assert.ok(line >= t.lineOf(text, 'ref="REF-2"') && line <= lineOf(text, 'T-2-2'), JSON.stringify(report.rejects));
  assert.equal(report.counts.delisted, 0);
  assert.equal(report.counts.inserted, 1);
  assert.equal(await h.psql(database, "SELECT listed_status FROM licence WHERE number = 'T-1-2'"), 'suspended');
  assert.equal(await h.psql(database, "SELECT listed_status FROM licence WHERE number = 'T-2-1'"), 'active');
  assert.equal(await h.psql(database, "SELECT listed_status FROM licence WHERE number = 'T-3-1'"), 'active');
  assert.equal(await t.count(database, "SELECT count(*) FROM licence WHERE number = 'T-5-1'"), 1);
});

test('--dry-run reports the status changes it would make, changes nothing, and records the run', async () => {
  const { database } = await importedRegister('imp_dry');
  const before = await t.fingerprint(database);
  const changed = structuredClone(BASE.slice(0, 2));
  changed[0].licences[0].status = 'banned';
  changed[1].licences.push({ number: 'T-2-9', category: 'seabased', status: 'pending' });
  const file = t.writeFile(t.list(changed));
  const { code, report } = await t.importJson(database, ['--authority', 'PH-DMW', '--dry-run', file]);
  assert.equal(code, 0);
  assert.equal(report.outcome, 'dry_run');
  assert.deepEqual(report.counts, { seen: 5, inserted: 1, updated: 1, unchanged: 3, delisted: 1, rejected: 0 });
  assert.deepEqual(report.changes, [
    { number: 'T-1-1', from: 'active', to: 'banned' },
    { number: 'T-2-9', from: null, to: 'pending' },
    { number: 'T-3-1', from: 'active', to: 'delisted' },
  ]);
  assert.equal(await t.fingerprint(database), before);
  assert.equal(await h.psql(database, `SELECT outcome || ' ' || dry_run || ' ' || inserted FROM import_run WHERE id = ${report.import_run}`),
    'dry_run true 1');
  // The human summary says the same.
  const human = await h.fairreg(['import', '--authority', 'PH-DMW', '--dry-run', file], { database });
  assert.equal(human.code, 0);
  assert.match(human.stdout, /dry run for PH-DMW .*nothing was changed/);
  assert.match(human.stdout, /T-1-1: active -> banned/);
});

test('a file for another authority than --authority says is refused, and recorded', async () => {
  const database = await h.freshDatabase({ tag: 'imp_mismatch' });
  const file = t.writeFile(t.list(BASE, { authority: 'ID-BP2MI' }));
  const { code, report } = await t.importJson(database, ['--authority', 'PH-DMW', file]);
  assert.equal(code, 1);
  assert.equal(report.outcome, 'refused');
  assert.match(report.error, /ID-BP2MI.*not of PH-DMW/);
  assert.equal(await t.count(database, 'SELECT count(*) FROM agency'), 0);
  assert.equal(await h.psql(database, 'SELECT outcome FROM import_run'), 'refused');
});

test('an unknown --authority is bad usage (exit 2) and records no run', async () => {
  const database = await h.freshDatabase({ tag: 'imp_unknown' });
  const file = t.writeFile(t.list(BASE, { authority: 'XX-NOPE' }));
  const res = await h.fairreg(['import', '--authority', 'XX-NOPE', file], { database });
  assert.equal(res.code, 2);
  assert.match(res.stderr, /no authority XX-NOPE/);
  assert.equal(await t.count(database, 'SELECT count(*) FROM import_run'), 0);
  const usage = await h.fairreg(['import', file], { database });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--authority/);
});

test('several files are imported one after the other, each its own run; the exit status says one failed', async () => {
  const database = await h.freshDatabase({ tag: 'imp_several' });
  const good = t.writeFile(t.list(BASE));
  const other = t.writeFile(t.list(BASE, { authority: 'MM-MOL' }));
  const res = await h.fairreg(['import', '--authority', 'PH-DMW', good, other, good], { database });
  assert.equal(res.code, 1);
  assert.equal(await h.psql(database, "SELECT string_agg(outcome, ' ' ORDER BY id) FROM import_run"), 'imported refused imported');
});

// The hostile files: the reader's fixtures in tests/data/import/ when they
// exist, and a few made here either way.
function hostileFiles() {
  const files = {
    'doctype with an external entity': '<?xml version="1.0"?>\n<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
      + '<licenceList xmlns="urn:fairreg:licence-list:1" authority="PH-DMW" generated="2026-11-01T08:00:00Z" scope="complete">&x;</licenceList>\n',
    'billion laughs': `<?xml version="1.0"?>\n<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]>\n<licenceList>&j;</licenceList>\n`,
    'xinclude': t.list(BASE).replace('<agency ref="REF-1">', '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>\n  <agency ref="REF-1">'),
    'truncated': t.list(BASE).slice(0, 1500),
    'invalid UTF-8': Buffer.concat([Buffer.from(t.list(BASE).slice(0, 400)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(t.list(BASE).slice(400))]),
    'wrong encoding declaration': t.list([t.agency(1, { name: 'Agência Ñandú' })]).replace('encoding="UTF-8"', 'encoding="UTF-16"'),
    'empty': '',
    'wrong root element': '<?xml version="1.0"?>\n<agencies><agency/></agencies>\n',
    'nesting 10000 deep': `<?xml version="1.0"?>\n${'<a>'.repeat(10000)}${'</a>'.repeat(10000)}\n`,
  };
  const dir = path.join(h.ROOT, 'tests', 'data', 'import');
  if (fs.existsSync(dir)) {
    for (const name of fs.readdirSync(dir).filter((f) => /^hostile-.*\.xml$/.test(f)).sort()) {
      files[`fixture ${name}`] = fs.readFileSync(path.join(dir, name));
    }
  }
  return files;
}

test('hostile and broken files are all refused with a clear error, the register untouched', async () => {
  const { database } = await importedRegister('imp_hostile');
  const before = await t.fingerprint(database);
  for (const [name, content] of Object.entries(hostileFiles())) {
    const file = t.writeFile(content, 'hostile.xml');
    const { code, report, stderr } = await t.importJson(database, ['--authority', 'PH-DMW', file], { timeoutMs: 60000 });
    assert.equal(code, 1, `${name}: exit ${code} ${stderr}`);
    assert.equal(report.outcome, 'refused', `${name}: ${JSON.stringify(report)}`);
    assert.ok(typeof report.error === 'string' && report.error.length > 0, name);
    assert.doesNotMatch(JSON.stringify(report), /root:x:0:0/, `${name}: the report leaks a local file`);
  }
  assert.equal(await t.fingerprint(database), before);
});

test('backslashes, quotes, tabs, newlines and every script of the region survive the COPY staging', async () => {
  const database = await h.freshDatabase({ tag: 'imp_escape' });
  const tricky = [t.agency(1, {
    name: 'Back\\slash & "Quotes" <Agency>',
    address: 'Line one\nLine two\tTabbed\r\nEnd',
    otherNames: [{ text: 'Nguyễn Ñandú ဗမာ ខ្មែរ ລາວ ไทย', lang: 'vi', kind: 'transliteration' }],
  })];
  const file = t.writeFile(t.list(tricky));
  const { code } = await t.importJson(database, ['--authority', 'PH-DMW', file]);
  assert.equal(code, 0);
  assert.equal(await h.psql(database, 'SELECT name FROM agency'), 'Back\\slash & "Quotes" <Agency>');
  assert.equal(await h.psql(database, 'SELECT name FROM agency_name'), 'Nguyễn Ñandú ဗမာ ខ្មែរ ລາວ ไทย');
  // xs:token collapses white space: the address is stored as the reader gives it.
  const address = await h.psql(database, 'SELECT address FROM agency');
  assert.match(address, /^Line one\s+Line two\s+Tabbed\s+End$/);
});
