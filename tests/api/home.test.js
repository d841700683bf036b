// The home page: HTML for browsers (with the security headers of a page),
// the same data as JSON for clients that ask for JSON.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

let server;
let authorities; // as GET /v1/authorities answers them

before(async () => {
  const database = await h.freshDatabase({ tag: 'home' });
  server = await h.startServer({ database });
  const res = await h.api(server.url, 'GET', '/v1/authorities');
  assert.equal(res.status, 200, res.text);
  authorities = res.json.items;
});

after(async () => {
  await h.stopServer(server);
});

// The text of HTML as a reader sees it: entities decoded.
function decodeEntities(html) {
  return html.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (e[0] !== '#') return named[e.toLowerCase()];
    return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
  });
}

test('GET / for a browser is an HTML page with a strict Content-Security-Policy and X-Frame-Options: DENY', async () => {
  const res = await h.api(server.url, 'GET', '/', {
    headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  const csp = res.headers.get('content-security-policy') || '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(res.text, /^<!doctype html>/i);
});

test('the home page lists every authority by name and code', async () => {
  const res = await h.api(server.url, 'GET', '/', { headers: { accept: 'text/html' } });
  assert.equal(res.status, 200, res.text);
  const text = decodeEntities(res.text);
  assert.equal(authorities.length, h.SEEDED_AUTHORITIES.length);
  for (const authority of authorities) {
    assert.ok(text.includes(authority.name), `${authority.name} is not on the page`);
    assert.ok(text.includes(authority.code), `${authority.code} is not on the page`);
  }
});

test('GET / for a JSON client answers the same authorities as JSON', async () => {
  for (const accept of ['application/json', undefined]) {
    const res = await h.api(server.url, 'GET', '/', { headers: accept ? { accept } : {} });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-type'), h.JSON_TYPE, `Accept: ${accept}`);
    assert.equal(res.headers.get('x-frame-options'), null);
    assert.ok(Array.isArray(res.json.authorities), res.text);
    assert.deepEqual(res.json.authorities, authorities);
  }
});

test('the home page takes ?lang= and no other query parameter', async () => {
  const res = await h.api(server.url, 'GET', '/?lang=my', { headers: { accept: 'text/html' } });
  assert.equal(res.status, 200, res.text);
  assert.match(res.text, /<html lang="my">/);
  h.assertError(await h.api(server.url, 'GET', '/?q=agency', { headers: { accept: 'text/html' } }),
    400, 'unknown_parameter');
});
