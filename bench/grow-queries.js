#!/usr/bin/env node
// bench/grow-queries.js FILE: the search paths of FILE (/v1/agencies?q=...)
// for the registry grown by bench/grow-registry.sql: each query rotated by a
// copy number K from 0 to 9 (the same rotation as the SQL's pg_temp.rot), so
// that the queries spread over the whole million agencies.  Deterministic.
'use strict';

const fs = require('node:fs');

const ALPHABETS = ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  'กขคงจฉชซดตถทธนบปผพฟมยรลวศสหอ',
  'ကခဂဃငစဆဇဈညဋဌဍဎဏတထဒဓနပဖဗဘမယရလဝသဟဠအ',
  'កខគឃងចឆជឈញដឋឌឍណតថទធនបផពភមយរលវសហឡអ',
  'ກຂຄງຈສຊຍດຕຖທນບປຜພຟມຢຣລວຫອຮ'].map((a) => [...a]);

function rot(text, k) {
  return [...text].map((c) => {
    for (const a of ALPHABETS) {
      const i = a.indexOf(c);
      if (i >= 0) return a[(i + k) % a.length];
    }
    return c;
  }).join('');
}

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.startsWith('/v1/agencies?q='));
const out = lines.map((line, i) => {
  const q = decodeURIComponent(line.slice('/v1/agencies?q='.length));
  return `/v1/agencies?q=${encodeURIComponent(rot(q, i % 10))}`;
});
process.stdout.write(`${out.join('\n')}\n`);
