// Helpers of the importer's tests (import*.test.js): small licence lists
// written in the test, the command, and a fingerprint of the register to prove
// that a refused or killed import changed nothing.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./harness');
const gen = require('../data/gen/licence-lists');

// A scratch directory for the files of this test process, removed when it
// exits (the kill test writes a 100 MB list there).
const SCRATCH = fs.mkdtempSync(path.join(os.tmpdir(), 'fairreg-import-test-'));
process.on('exit', () => fs.rmSync(SCRATCH, { recursive: true, force: true }));
let fileCounter = 0;

// Writes TEXT into a new file of the scratch directory; returns its path.
function writeFile(text, name = 'list.xml') {
  fileCounter += 1;
  const file = path.join(SCRATCH, `${fileCounter}-${name}`);
  fs.writeFileSync(file, text);
  return file;
}

// Agency I of a small made-up register (PH by default), with LICENCES
// licences numbered `${prefix}-I-K`.  Everything can be overridden.
function agency(i, { prefix = 'T', licences = 2, country = 'PH', ...over } = {}) {
  return {
    ref: `REF-${i}`,
    name: `Test Agency ${i} Manpower Services Inc.`,
    otherNames: [{ text: `Agência ${i}`, lang: 'fil', kind: 'trade' }],
    country,
    registrationNumber: `CS-${1000 + i}`,
    address: `${i} Rizal St, Manila`,
    phone: `+63 2 8000 ${String(1000 + i)}`,
    email: `agency${i}@test.example`,
    officers: [{ name: `Officer ${i}`, role: 'president' }],
    personnel: [{ name: `Recruiter ${i}`, registration: `R-${i}` }],
    branches: [{ address: `${i} Luna Road`, city: 'Davao City', country }],
    licences: Array.from({ length: licences }, (_, k) => ({
      number: `${prefix}-${i}-${k + 1}`,
      category: 'landbased',
      status: 'active',
      validFrom: '2024-01-01',
      validUntil: '2028-12-31',
    })),
    ...over,
  };
}

// A canonical list of AGENCIES as a string.
function list(agencies, { authority = 'PH-DMW', generated = '2026-11-01T08:00:00Z', scope = 'complete' } = {}) {
  return gen.listXml({ authority, generated, scope, agencies });
}

// The line of the first line of TEXT that contains NEEDLE (1-based).
function lineOf(text, needle, from = 0) {
  const lines = text.split('\n');
  for (let i = from; i < lines.length; i++) if (lines[i].includes(needle)) return i + 1;
  throw new Error(`"${needle}" is not in the text`);
}

// `fairreg import ARGS... --json` against DATABASE; resolves with {code,
// stdout, stderr, report} where report is the parsed JSON (or undefined).
async function importJson(database, args, { timeoutMs = 60000, env } = {}) {
  const result = await h.fairreg(['import', '--json', ...args], { database, timeoutMs, env });
  let report;
  try { report = JSON.parse(result.stdout); } catch { report = undefined; }
  return { ...result, report };
}

// The tables an import writes, as one fingerprint: every row of each, in id
// order, hashed; and the number of audit rows about them.
const REGISTER_TABLES = ['agency', 'agency_name', 'agency_officer', 'agency_personnel', 'agency_branch',
  'licence', 'licence_status_history', 'sanction'];

async function fingerprint(database) {
  const parts = REGISTER_TABLES.map((t) => `(SELECT '${t}:' || count(*) || ':' || md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x.id), '')) FROM ${t} x)`);
  parts.push(`(SELECT 'audit:' || count(*) FROM audit_log WHERE entity IN (${REGISTER_TABLES.map((t) => `'${t}'`).join(', ')}))`);
  return h.psql(database, `SELECT ${parts.join(" || ' ' || ")}`);
}

async function count(database, sql) {
  return Number(await h.psql(database, sql));
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

module.exports = { SCRATCH, agency, count, fingerprint, gen, importJson, lineOf, list, sha256, writeFile };
