// `fairreg demo`: the sample lists of importers/samples/ (embedded in the
// binary) through the real importer, then a few sanctions: a registry that
// looks alive, in every script of the region.  And the profiles' fixtures,
// imported through `fairreg import --profile`.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');
const t = require('./import_helpers');

// Letters of each script, as a POSIX regular expression for PostgreSQL.
const SCRIPTS = {
  Thai: '[ก-๛]',
  Burmese: '[က-႟]',
  Khmer: '[ក-៹]',
  Lao: '[ກ-ໝ]',
  Vietnamese: '[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđĐơư]',
  'Latin with diacritics': '[ñÑéíóú]',
};

test('fairreg demo loads a living registry: 9 authorities, 300+ agencies, every status, every script, history, sanctions', { timeout: 300000 }, async () => {
  const database = await h.freshDatabase({ tag: 'imp_demo' });
  const res = await h.fairreg(['demo'], { database, timeoutMs: 240000 });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /demo registry is loaded/);

  assert.ok(await t.count(database, 'SELECT count(DISTINCT authority_code) FROM licence') >= 5);
  assert.ok(await t.count(database, 'SELECT count(*) FROM agency') >= 300);
  const statuses = await h.psql(database, 'SELECT string_agg(DISTINCT listed_status, \',\' ORDER BY listed_status) FROM licence');
  assert.equal(statuses, 'active,banned,cancelled,delisted,expired,pending,revoked,surrendered,suspended');
  // Origin and destination authorities both.
  assert.equal(await h.psql(database,
    "SELECT string_agg(DISTINCT a.kind, ',' ORDER BY a.kind) FROM licence l JOIN authority a ON a.code = l.authority_code"),
  'both,destination,origin');
  for (const [script, letters] of Object.entries(SCRIPTS)) {
    const n = await t.count(database,
      `SELECT count(*) FROM (SELECT name FROM agency UNION ALL SELECT name FROM agency_name
                             UNION ALL SELECT name FROM agency_officer) n WHERE name ~ '${letters}'`);
    assert.ok(n > 0, `no name in ${script}`);
  }
  // History: the newer lists changed statuses (more history rows than licences).
  assert.ok(await t.count(database, 'SELECT count(*) FROM licence_status_history')
    > await t.count(database, 'SELECT count(*) FROM licence'));
  assert.ok(await t.count(database, "SELECT count(*) FROM licence_status_history WHERE status = 'delisted'") > 0);
  // Sanctions, public and not, of several kinds.
  assert.ok(await t.count(database, 'SELECT count(DISTINCT kind) FROM sanction') >= 4);
  assert.equal(await h.psql(database, "SELECT string_agg(DISTINCT is_public::text, ',' ORDER BY is_public::text) FROM sanction"), 'false,true');
  assert.equal(await t.count(database, "SELECT count(*) FROM import_run WHERE outcome <> 'imported'"), 0);

  // Not twice: a registry with agencies is left alone.
  const before = await t.fingerprint(database);
  const again = await h.fairreg(['demo'], { database });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already has \d+ agencies/);
  assert.equal(await t.fingerprint(database), before);
});

// The profiles' own fixtures, written with the profiles:
// tests/data/import/profile-NAME.xml imports through --profile NAME, for the
// authority the profile names.
function profileFixtures() {
  const dir = path.join(h.ROOT, 'tests', 'data', 'import');
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const file of fs.readdirSync(dir).filter((f) => /^profile-.*\.xml$/.test(f) && !/-bad\.xml$/.test(f)).sort()) {
    const profile = file.replace(/^profile-/, '').replace(/\.xml$/, '');
    const definition = path.join(h.ROOT, 'importers', 'profiles', `${profile}.xml`);
    const authority = /<authority\s+value="([^"]+)"/.exec(fs.readFileSync(definition, 'utf8'))[1];
    out.push({ profile, authority, file: path.join(dir, file) });
  }
  return out;
}

test('the demo\'s Thai flat export imports through --profile th-doe-flat, Buddhist-era dates and Thai status words', async () => {
  const database = await h.freshDatabase({ tag: 'imp_thai' });
  const sample = path.join(h.ROOT, 'importers', 'samples', 'th-doe-1-2026-05.xml');
  const { code, report, stderr } = await t.importJson(database, ['--authority', 'TH-DOE', '--profile', 'th-doe-flat', sample]);
  assert.equal(code, 0, stderr + JSON.stringify(report));
  assert.ok(report.counts.inserted > 0);
  assert.equal(report.counts.rejected, 0);
  // 2565 in the Buddhist era is 2022: no date of the register is in the 26th century.
  assert.equal(await t.count(database, "SELECT count(*) FROM licence WHERE valid_from > '2100-01-01' OR valid_until > '2100-01-01'"), 0);
  assert.ok(await t.count(database, "SELECT count(*) FROM agency WHERE name ~ '[ก-๛]'") > 0);
});

for (const { profile, authority, file } of profileFixtures()) {
  test(`the fixture ${path.basename(file)} imports through --profile ${profile}`, async () => {
    const database = await h.freshDatabase({ tag: 'imp_profile' });
    const { code, report, stderr } = await t.importJson(database, ['--authority', authority, '--profile', profile, file]);
    assert.equal(code, 0, stderr + JSON.stringify(report));
    assert.equal(report.outcome, 'imported');
    assert.ok(report.counts.inserted > 0);
  });
}
