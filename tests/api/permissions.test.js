// The permission matrix, cell by cell: every route of routes.js called by
// every kind of caller, each answer checked against /openapi.json too (so
// that the live contract covers every route, staff ones included).  A caller the route does not let in gets 401
// unauthenticated (anonymous on a staff route) or 403 forbidden (a staff role
// the route does not name); a caller it lets in gets the exact success status
// of a valid request.
'use strict';

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');
const { CALLERS, LICENCE_LIST, LICENCE_NUMBER, ROUTES, allows } = require('./routes');
const { documentChecker } = require('./openapi_check');

let server;
let checker; // every cell's answer must be as /openapi.json documents it
let counter = 0;
const ctx = {
  users: {
    admin: { email: 'admin@perm.example', role: 'admin' },
    inspector: { email: 'inspector@perm.example', role: 'inspector', org: 'PH-DMW' },
    attache: { email: 'attache@perm.example', role: 'attache', org: 'MM-EMB-BKK' },
    analyst: { email: 'analyst@perm.example', role: 'analyst' },
    target: { email: 'target@perm.example', role: 'analyst' }, // the user that /v1/users/{id} names
  },
  unique: () => `${process.pid}-${++counter}`,
  register: {},
};

// Imports one agency with one licence, so that the {id} routes have
// something to show.  A failure is kept (not thrown): only the cells that
// need the data then fail, saying why.
async function seedRegister() {
  const imported = await h.api(server.url, 'POST', '/v1/imports?authority=PH-DMW', {
    token: ctx.users.admin.token, body: LICENCE_LIST, headers: { 'content-type': 'application/xml' },
  });
  if (imported.status !== 201 || !imported.json || !Number.isInteger(imported.json.import_run)) {
    ctx.register.error = `POST /v1/imports answered ${imported.status}: ${imported.text.slice(0, 300)}`;
    return;
  }
  ctx.register.importId = imported.json.import_run;
  const found = await h.api(server.url, 'GET', `/v1/licences?number=${LICENCE_NUMBER}`);
  const licence = found.json && found.json.items && found.json.items[0];
  if (found.status !== 200 || !licence) {
    ctx.register.error = `GET /v1/licences?number=${LICENCE_NUMBER} answered ${found.status}: ${found.text.slice(0, 300)}`;
    return;
  }
  ctx.register.licenceId = licence.id;
  ctx.register.agencyId = licence.agency.id;
}

// Files a new complaint about the matrix agency as the attaché, so that the
// admin, the inspector (PH-DMW) and the attaché (MM-EMB-BKK) may all see it;
// resolves with {id, reference}.
ctx.newComplaint = async () => {
  const res = await h.api(server.url, 'POST', '/v1/complaints', {
    token: ctx.users.attache.token,
    json: { agency_id: registered(ctx, 'agencyId'), categories: ['deception'], description: 'matrix complaint' },
  });
  if (res.status !== 201) throw new Error(`filing the matrix complaint answered ${res.status}: ${res.text}`);
  return res.json;
};

// Plans a new inspection of the matrix agency as the admin, with the
// inspector (PH-DMW) on it, so that each cell that closes or changes one has
// its own; resolves with the inspection.
ctx.newInspection = async () => {
  const res = await h.api(server.url, 'POST', '/v1/inspections', {
    token: ctx.users.admin.token,
    json: { agency_id: registered(ctx, 'agencyId'), kind: 'routine', planned_on: '2026-12-01', inspectors: [ctx.users.inspector.id] },
  });
  if (res.status !== 201) throw new Error(`planning the matrix inspection answered ${res.status}: ${res.text}`);
  return res.json.inspection;
};

// Records a new warning on the matrix agency as the admin for PH-DMW (so the
// inspector may read and lift it); resolves with the sanction.
ctx.newSanction = async () => {
  const res = await h.api(server.url, 'POST', '/v1/sanctions', {
    token: ctx.users.admin.token,
    json: { kind: 'warning', agency_id: registered(ctx, 'agencyId'), reason: 'matrix warning', authority: 'PH-DMW' },
  });
  if (res.status !== 201) throw new Error(`recording the matrix sanction answered ${res.status}: ${res.text}`);
  return res.json.sanction;
};

function registered(context, name) {
  const value = context.register[name];
  if (value === undefined) throw new Error(`no ${name}: the setup import failed: ${context.register.error}`);
  return value;
}

before(async () => {
  const database = await h.freshDatabase({ tag: 'perm' });
  for (const user of Object.values(ctx.users)) {
    user.password = `${user.role} password of ${user.email}`;
    user.id = await h.addUser({ database, email: user.email, role: user.role, org: user.org, password: user.password });
  }
  server = await h.startServer({ database });
  checker = documentChecker(JSON.parse((await h.api(server.url, 'GET', '/openapi.json')).text));
  for (const caller of CALLERS.filter((c) => c !== 'anonymous')) {
    const user = ctx.users[caller];
    user.token = await h.login(server.url, user.email, user.password);
  }
  await seedRegister();
});

after(async () => {
  await h.stopServer(server);
});

// The token a cell sends: none for anonymous; a new one when the call uses
// its token up (so the shared tokens stay valid for the other cells).
async function tokenFor(route, caller) {
  if (caller === 'anonymous') return undefined;
  const user = ctx.users[caller];
  if (route.consumesToken && allows(route, caller)) return h.login(server.url, user.email, user.password);
  return user.token;
}

for (const route of ROUTES) {
  describe(`${route.method} ${route.pattern}`, () => {
    for (const caller of CALLERS) {
      const allowed = allows(route, caller);
      const expected = allowed ? String(route.status)
        : caller === 'anonymous' ? '401 unauthenticated' : '403 forbidden';
      test(`${caller}: ${expected}`, async () => {
        const path = route.path ? await route.path(ctx) : route.pattern;
        assert.ok(!path.includes('{'), `the line of ${route.pattern} needs a path()`);
        const request = route.request ? route.request(ctx, caller) : {};
        const res = await h.api(server.url, route.method, path, {
          ...request, token: await tokenFor(route, caller),
        });
        assert.deepEqual(checker.checkCall(route.method, route.pattern, res), [],
          `${caller} ${route.method} ${path}: the answer is not as documented: ${res.text.slice(0, 300)}`);
        if (allowed) {
          assert.equal(res.status, route.status, `${caller} ${route.method} ${path}: ${res.text}`);
        } else if (caller === 'anonymous') {
          h.assertError(res, 401, 'unauthenticated');
          assert.match(res.headers.get('www-authenticate') || '', /^Bearer/);
        } else {
          const error = h.assertError(res, 403, 'forbidden');
          assert.ok(error.message.includes(caller), `the message names the role: ${error.message}`);
        }
      });
    }
  });
}

test('the matrix has a line for every operation that /openapi.json documents', async () => {
  const res = await h.api(server.url, 'GET', '/openapi.json');
  assert.equal(res.status, 200, res.text);
  const doc = JSON.parse(res.text);
  const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
  const documented = [];
  for (const [pattern, item] of Object.entries(doc.paths || {})) {
    for (const method of methods) {
      if (item[method]) documented.push(`${method.toUpperCase()} ${pattern}`);
    }
  }
  const known = new Set(ROUTES.map((r) => `${r.method} ${r.pattern}`));
  assert.deepEqual(documented.filter((op) => !known.has(op)), [],
    'operations without a line in tests/api/routes.js');
});
