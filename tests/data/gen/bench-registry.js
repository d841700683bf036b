#!/usr/bin/env node
// Deterministic generator of the benchmark registry of bench/api.sh: N
// agencies with M licences in all, spread over the nine authorities of the
// region, as one canonical licence list (DESIGN.md section 6) per authority,
// ready for `fairreg import`.  Unlike the demo samples (licence-lists.js, a
// few dozen names), every agency here gets its own name: pseudo-words made
// of each language's syllables, so that a name search meets what it meets
// in a real register of 100,000 or 1,000,000 agencies (a few common words,
// "Manpower", "จัดหางาน", and very many rare ones), in Latin with and without
// diacritics, Thai, Burmese, Khmer and Lao, each agency with its name in
// another script or a trade name beside.
//
//   node tests/data/gen/bench-registry.js --agencies N --licences M --out DIR
//        [--seed S] [--queries K]
//
// writes DIR/<authority>.xml (one per authority), DIR/search.txt (K search
// paths /v1/agencies?q=..., URL-encoded: names whole or in part, with a typo,
// without diacritics, in another script) and DIR/lookup.txt (K lookup paths
// /v1/licences?number=..., numbers as a worker types them).  No npm package.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const lists = require('./licence-lists.js');

const { AUTHORITIES, REASONS, agencyXml, pickStatus, rng } = lists;

// ---------------------------------------------------------------------------
// Pseudo-words, syllable by syllable, in each script (with a Latin reading
// for the transliterated other name).

function latinWord(r, syllables) {
  const onsets = ['b', 'k', 'd', 'g', 'h', 'j', 'l', 'm', 'n', 'p', 'r', 's', 't', 'w', 'y', 'ng', 'ny', 'sr', 'tr', 'c'];
  const vowels = ['a', 'e', 'i', 'o', 'u', 'a', 'i', 'ua', 'ia', 'ay'];
  const codas = ['', '', '', 'n', 'ng', 'r', 's', 't', 'k', 'm', 'l', 'h'];
  let w = '';
  for (let i = 0; i < syllables; i++) w += r.pick(onsets) + r.pick(vowels) + r.pick(codas);
  return w[0].toUpperCase() + w.slice(1);
}

// Vietnamese: one syllable a word, with its tone marks; the Latin reading
// drops the marks (as an English transliteration does).
const VI_ONSETS = ['b', 'c', 'ch', 'd', 'đ', 'g', 'gi', 'h', 'kh', 'l', 'm', 'n', 'ng', 'nh', 'ph', 'qu', 's', 't', 'th', 'tr', 'v', 'x'];
const VI_VOWELS = ['a', 'á', 'à', 'ả', 'ã', 'ạ', 'ă', 'ắ', 'â', 'ấ', 'ầ', 'e', 'é', 'ê', 'ế', 'ề', 'i', 'í', 'ì', 'o', 'ó', 'ô', 'ố', 'ồ', 'ơ', 'ớ', 'ờ', 'u', 'ú', 'ư', 'ứ', 'ừ', 'y', 'uô', 'ươ', 'iê'];
const VI_CODAS = ['', '', 'c', 'ch', 'm', 'n', 'ng', 'nh', 'p', 't'];

function viSyllable(r) {
  const s = r.pick(VI_ONSETS) + r.pick(VI_VOWELS) + r.pick(VI_CODAS);
  return s[0].toUpperCase() + s.slice(1);
}

function stripMarks(s) {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');
}

// Scripts written without spaces between words: consonant, vowel sign and
// final, each with a Latin reading.
const ABUGIDA = {
  th: {
    cons: [['ก', 'k'], ['ข', 'kh'], ['ค', 'kh'], ['ง', 'ng'], ['จ', 'ch'], ['ช', 'ch'], ['ด', 'd'], ['ต', 't'], ['ท', 'th'], ['น', 'n'], ['บ', 'b'], ['ป', 'p'], ['พ', 'ph'], ['ม', 'm'], ['ย', 'y'], ['ร', 'r'], ['ล', 'l'], ['ว', 'w'], ['ส', 's'], ['ห', 'h'], ['อ', '']],
    vowel: [['{}า', 'a'], ['{}ิ', 'i'], ['{}ี', 'i'], ['{}ุ', 'u'], ['{}ู', 'u'], ['เ{}', 'e'], ['แ{}', 'ae'], ['โ{}', 'o'], ['{}ั', 'a'], ['{}ำ', 'am'], ['{}', 'o']],
    fin: [['', ''], ['', ''], ['น', 'n'], ['ม', 'm'], ['ง', 'ng'], ['ก', 'k'], ['ด', 't'], ['ย', 'i'], ['ว', 'o']],
  },
  my: {
    cons: [['က', 'k'], ['ခ', 'kh'], ['ဂ', 'g'], ['င', 'ng'], ['စ', 's'], ['ဆ', 'hs'], ['ဇ', 'z'], ['တ', 't'], ['ထ', 'ht'], ['ဒ', 'd'], ['န', 'n'], ['ပ', 'p'], ['ဖ', 'ph'], ['ဗ', 'b'], ['မ', 'm'], ['ယ', 'y'], ['ရ', 'y'], ['လ', 'l'], ['ဝ', 'w'], ['သ', 'th'], ['ဟ', 'h'], ['အ', '']],
    vowel: [['{}ာ', 'a'], ['{}ိ', 'i'], ['{}ီ', 'i'], ['{}ု', 'u'], ['{}ူ', 'u'], ['{}ေ', 'ay'], ['{}ဲ', 'e'], ['{}ော', 'aw'], ['{}ို', 'o'], ['{}', 'a']],
    fin: [['', ''], ['', ''], ['န်', 'n'], ['င်', 'ng'], ['မ်', 'm'], ['တ်', 't'], ['ံ', 'n']],
  },
  km: {
    cons: [['ក', 'k'], ['ខ', 'kh'], ['គ', 'k'], ['ង', 'ng'], ['ច', 'ch'], ['ឆ', 'chh'], ['ជ', 'ch'], ['ញ', 'nh'], ['ដ', 'd'], ['ត', 't'], ['ថ', 'th'], ['ទ', 't'], ['ន', 'n'], ['ប', 'b'], ['ផ', 'ph'], ['ព', 'p'], ['ម', 'm'], ['យ', 'y'], ['រ', 'r'], ['ល', 'l'], ['វ', 'v'], ['ស', 's'], ['ហ', 'h'], ['អ', '']],
    vowel: [['{}ា', 'a'], ['{}ិ', 'e'], ['{}ី', 'ei'], ['{}ឹ', 'oe'], ['{}ុ', 'o'], ['{}ូ', 'ou'], ['{}េ', 'e'], ['{}ែ', 'ae'], ['{}ៃ', 'ai'], ['{}ោ', 'ao'], ['{}ៅ', 'au'], ['{}', 'a']],
    fin: [['', ''], ['', ''], ['ង', 'ng'], ['ន', 'n'], ['ម', 'm'], ['ល', 'l'], ['ក', 'k'], ['ត', 't']],
  },
  lo: {
    cons: [['ກ', 'k'], ['ຂ', 'kh'], ['ຄ', 'kh'], ['ງ', 'ng'], ['ຈ', 'ch'], ['ສ', 's'], ['ຊ', 'x'], ['ຍ', 'ny'], ['ດ', 'd'], ['ຕ', 't'], ['ທ', 'th'], ['ນ', 'n'], ['ບ', 'b'], ['ປ', 'p'], ['ພ', 'ph'], ['ຟ', 'f'], ['ມ', 'm'], ['ລ', 'l'], ['ວ', 'v'], ['ຫ', 'h'], ['ອ', '']],
    vowel: [['{}າ', 'a'], ['{}ິ', 'i'], ['{}ີ', 'i'], ['{}ຸ', 'ou'], ['{}ູ', 'ou'], ['ເ{}', 'e'], ['ແ{}', 'ae'], ['ໂ{}', 'o'], ['{}ັ', 'a'], ['{}ຳ', 'am']],
    fin: [['', ''], ['', ''], ['ນ', 'n'], ['ມ', 'm'], ['ງ', 'ng'], ['ກ', 'k'], ['ດ', 't'], ['ຍ', 'y'], ['ວ', 'o']],
  },
};

// A word of 2 or 3 syllables: [script text, Latin reading].
function abugidaWord(r, script) {
  const s = ABUGIDA[script];
  let text = '';
  let latin = '';
  const n = r.int(2, 3);
  for (let i = 0; i < n; i++) {
    const [c, cl] = r.pick(s.cons);
    const [v, vl] = r.pick(s.vowel);
    const [f, fl] = r.pick(s.fin);
    text += v.replace('{}', c) + f;
    latin += cl + vl + fl;
  }
  return [text, latin[0] ? latin[0].toUpperCase() + latin.slice(1) : 'A'];
}

// ---------------------------------------------------------------------------
// Names by country: {name, otherNames[], core} where core is the distinctive
// part a worker would type.

const NAMING = {
  PH: (r) => {
    const core = `${latinWord(r, r.int(2, 3))} ${latinWord(r, 2)}`;
    const name = `${core} ${r.pick(['Manpower Services Inc.', 'International Placement Agency Corp.', 'Overseas Employment Inc.', 'Recruitment Services Co.', 'Maritime Crewing Inc.'])}`;
    return { name, core, otherNames: r.chance(0.5) ? [{ text: core, lang: 'fil', kind: 'trade' }] : [] };
  },
  ID: (r) => {
    const core = `${latinWord(r, 2)} ${latinWord(r, r.int(2, 3))}`;
    return { name: `PT ${core} ${r.pick(['Sejahtera', 'Abadi', 'Utama', 'Mandiri', 'Nusantara'])}`, core, otherNames: r.chance(0.4) ? [{ text: core, lang: 'id', kind: 'trade' }] : [] };
  },
  MY: (r) => {
    const core = `${latinWord(r, 2)} ${latinWord(r, 2)}`;
    const kind = r.pick(['Resources', 'Manpower', 'Services']);
    return { name: `Agensi Pekerjaan ${core} ${kind} Sdn. Bhd.`, core, otherNames: r.chance(0.4) ? [{ text: `AP ${core} ${kind}`, lang: 'ms', kind: 'abbreviation' }] : [] };
  },
  SG: (r) => {
    const core = `${latinWord(r, r.int(2, 3))}${r.chance(0.5) ? ` ${latinWord(r, 2)}` : ''}`;
    return { name: `${core} ${r.pick(['Employment Agency', 'Maid Agency', 'Manpower'])} Pte. Ltd.`, core, otherNames: [] };
  },
  VN: (r) => {
    const core = `${viSyllable(r)} ${viSyllable(r)}${r.chance(0.3) ? ` ${viSyllable(r)}` : ''}`;
    const tail = r.pick(['Cung ứng Nhân lực', 'Xuất khẩu Lao động', 'Hợp tác Lao động Quốc tế']);
    const english = `${stripMarks(core)} ${tail === 'Cung ứng Nhân lực' ? 'Manpower Supply' : 'Labour Cooperation'} JSC`;
    return { name: `${r.pick(['Công ty Cổ phần', 'Công ty TNHH'])} ${tail} ${core}`, core, otherNames: [{ text: english, lang: 'en', kind: 'transliteration' }] };
  },
  TH: (r) => {
    const [a, al] = abugidaWord(r, 'th');
    const [b, bl] = abugidaWord(r, 'th');
    return {
      name: `บริษัท จัดหางาน ${a}${b} จำกัด`,
      core: `${a}${b}`,
      latinCore: `${al} ${bl}`,
      otherNames: [{ text: `${al} ${bl} Recruitment Co., Ltd.`, lang: 'en', kind: 'transliteration' }],
    };
  },
  MM: (r) => {
    const [a, al] = abugidaWord(r, 'my');
    const [b, bl] = abugidaWord(r, 'my');
    const burmese = `${a}${b} ပြည်ပအလုပ်အကိုင်ရှာဖွေရေး ကုမ္ပဏီလီမိတက်`;
    const english = `${al} ${bl} Overseas Employment Agency Co., Ltd.`;
    return r.chance(0.5)
      ? { name: burmese, core: `${a}${b}`, latinCore: `${al} ${bl}`, otherNames: [{ text: english, lang: 'en', kind: 'transliteration' }] }
      : { name: english, core: `${al} ${bl}`, latinCore: `${a}${b}`, otherNames: [{ text: burmese, lang: 'my', kind: 'legal' }] };
  },
  KH: (r) => {
    const [a, al] = abugidaWord(r, 'km');
    const [b, bl] = abugidaWord(r, 'km');
    const khmer = `ក្រុមហ៊ុន ${a}${b} ជ្រើសរើសបុគ្គលិក ឯ.ក`;
    const english = `${al} ${bl} Manpower Co., Ltd.`;
    return r.chance(0.5)
      ? { name: khmer, core: `${a}${b}`, latinCore: `${al} ${bl}`, otherNames: [{ text: english, lang: 'en', kind: 'transliteration' }] }
      : { name: english, core: `${al} ${bl}`, latinCore: `${a}${b}`, otherNames: [{ text: khmer, lang: 'km', kind: 'legal' }] };
  },
  LA: (r) => {
    const [a, al] = abugidaWord(r, 'lo');
    const [b, bl] = abugidaWord(r, 'lo');
    return {
      name: `ບໍລິສັດ ${a}${b} ຈັດຫາງານ ຈຳກັດ`,
      core: `${a}${b}`,
      latinCore: `${al} ${bl}`,
      otherNames: [{ text: `${al} ${bl} Employment Co., Ltd.`, lang: 'en', kind: 'transliteration' }],
    };
  },
};

// ---------------------------------------------------------------------------
// Queries as workers type them.

function typo(r, text) {
  const chars = [...text];
  const letters = chars.map((c, i) => (/[a-z]/i.test(c) ? i : -1)).filter((i) => i > 0);
  if (letters.length === 0) return text;
  const i = r.pick(letters);
  switch (r.int(0, 2)) {
    case 0: chars.splice(i, 1); break; // a letter missing
    case 1: chars[i] = String.fromCharCode(97 + r.int(0, 25)); break; // a wrong one
    default: [chars[i - 1], chars[i]] = [chars[i], chars[i - 1]]; // two swapped
  }
  return chars.join('');
}

function searchQuery(r, naming) {
  const x = r();
  if (x < 0.3) return naming.core;
  if (x < 0.45) return naming.name;
  if (x < 0.65) return typo(r, stripMarks(naming.core));
  if (x < 0.8) return stripMarks(naming.core).toLowerCase();
  if (naming.latinCore) return naming.latinCore;
  return naming.core.split(' ')[0];
}

// What a worker types for a licence number: as printed, lower case, with
// spaces for the punctuation.
function lookupNumber(r, number) {
  const x = r();
  if (x < 0.5) return number;
  if (x < 0.75) return number.toLowerCase();
  return number.replace(/[-./]+/g, ' ').toLowerCase();
}

// ---------------------------------------------------------------------------

function write({ agencies, licences, out, seed = 11, queries = 20000 }) {
  fs.mkdirSync(out, { recursive: true });
  const r = rng(seed);
  const codes = Object.keys(AUTHORITIES);
  const files = {};
  const buffers = {};
  for (const code of codes) {
    files[code] = fs.openSync(path.join(out, `${code}.xml`), 'w');
    buffers[code] = '<?xml version="1.0" encoding="UTF-8"?>\n'
      + `<licenceList xmlns="urn:fairreg:licence-list:1" authority="${code}" generated="2026-11-01T08:00:00Z" scope="complete">\n`;
  }
  const sample = Math.max(1, Math.floor(agencies / queries));
  const search = [];
  const lookup = [];
  let made = 0;
  for (let i = 1; i <= agencies; i++) {
    const code = codes[i % codes.length];
    const cc = AUTHORITIES[code].country;
    // licences left to hand out, over agencies left: 1 to 3 each
    const left = licences - made;
    const mean = left / (agencies - i + 1);
    const n = Math.max(1, Math.min(3, Math.round(mean + (r() - 0.5) * 2)));
    const naming = NAMING[cc](r);
    const a = lists.makeAgency(r, code, i, { licences: n, rich: r.chance(0.5) });
    a.ref = `BR${String(i).padStart(8, '0')}`;
    a.name = naming.name;
    a.otherNames = naming.otherNames;
    a.licences.forEach((l, k) => {
      l.number = `${AUTHORITIES[code].number(i, k)}`;
      l.status = pickStatus(r);
      if (l.status !== 'active') l.statusReason = REASONS[l.status];
    });
    made += n;
    buffers[code] += agencyXml(a);
    if (buffers[code].length > 1 << 20) {
      fs.writeSync(files[code], buffers[code]);
      buffers[code] = '';
    }
    if (i % sample === 0 && search.length < queries) {
      search.push(`/v1/agencies?q=${encodeURIComponent(searchQuery(r, naming))}`);
      lookup.push(`/v1/licences?number=${encodeURIComponent(lookupNumber(r, r.pick(a.licences).number))}`);
    }
  }
  for (const code of codes) {
    fs.writeSync(files[code], `${buffers[code]}</licenceList>\n`);
    fs.closeSync(files[code]);
  }
  fs.writeFileSync(path.join(out, 'search.txt'), `${search.join('\n')}\n`);
  fs.writeFileSync(path.join(out, 'lookup.txt'), `${lookup.join('\n')}\n`);
  return { agencies, licences: made, queries: search.length };
}

function main(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i += 2) opts[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!opts.agencies || !opts.out) {
    process.stderr.write('usage: bench-registry.js --agencies N [--licences M] --out DIR [--seed S] [--queries K]\n');
    return 2;
  }
  const agencies = Number(opts.agencies);
  const made = write({
    agencies,
    licences: Number(opts.licences || Math.round(agencies * 1.5)),
    out: opts.out,
    seed: Number(opts.seed || 11),
    queries: Number(opts.queries || 20000),
  });
  process.stdout.write(`wrote ${made.agencies} agencies, ${made.licences} licences, ${made.queries} queries into ${opts.out}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { write };
