// The registry's HTTP surface as the tests know it: one line per route of
// server/router.c, with who may call it and what a valid call answers.
// permissions.test.js walks it cell by cell (every route x every caller) and
// system.test.js checks that /openapi.json documents every line.  Adding a
// route to the server means adding its line here.
//
//   access   'public': anyone, with or without a token;
//            'staff': any staff role (admin, inspector, attache, analyst);
//            an array of callers: only those ('anonymous': without a token).
//   path     (ctx) => a concrete address for the pattern, when it has {ids}
//            (may be async).
//   request  (ctx, caller) => {json, body, headers}: a valid request.
//   status   what a valid request by an allowed caller answers.
//   consumesToken  the call uses its token up (so each cell gets a new one).
//
// ctx (made by permissions.test.js): {users: {admin, inspector, attache,
// analyst, target}, unique(), register}: each user has id, email, password,
// token; register holds what permissions.test.js imported (one agency with
// one licence, through one import run): {agencyId, licenceId, importId}.
'use strict';

// A small canonical licence list (DESIGN.md section 6) for PH-DMW.
const LICENCE_LIST = `<?xml version="1.0" encoding="UTF-8"?>
<licenceList xmlns="urn:fairreg:licence-list:1" authority="PH-DMW" generated="2026-11-01T08:00:00Z" scope="partial">
  <agency ref="MATRIX-1">
    <name>Matrix Manpower Services Inc.</name>
    <country>PH</country>
    <licence number="MATRIX-LIC-0001" category="landbased" status="active">
      <validFrom>2024-03-15</validFrom>
      <validUntil>2030-03-14</validUntil>
    </licence>
  </agency>
</licenceList>
`;
const LICENCE_NUMBER = 'MATRIX-LIC-0001';

// ctx.register.NAME, or an error saying that the import the cell needs failed.
function registered(ctx, name) {
  const value = ctx.register[name];
  if (value === undefined) throw new Error(`no ${name}: the setup import failed: ${ctx.register.error}`);
  return value;
}

const CALLERS = ['anonymous', 'admin', 'inspector', 'attache', 'analyst'];

const ROUTES = [
  { method: 'GET', pattern: '/', access: 'public', status: 200 },
  { method: 'GET', pattern: '/healthz', access: 'public', status: 200 },
  { method: 'GET', pattern: '/readyz', access: 'public', status: 200 },
  { method: 'GET', pattern: '/metrics', access: 'public', status: 200 },
  { method: 'GET', pattern: '/openapi.json', access: 'public', status: 200 },

  {
    method: 'POST', pattern: '/v1/auth/tokens', access: 'public', status: 201,
    // Anyone may log in; a staff caller logs in as themselves, anonymous as the analyst.
    request: (ctx, caller) => {
      const user = ctx.users[caller === 'anonymous' ? 'analyst' : caller];
      return { json: { email: user.email, password: user.password } };
    },
  },
  { method: 'GET', pattern: '/v1/auth/tokens/current', access: 'staff', status: 200 },
  { method: 'DELETE', pattern: '/v1/auth/tokens/current', access: 'staff', status: 204, consumesToken: true },

  { method: 'GET', pattern: '/v1/users', access: ['admin'], status: 200 },
  {
    method: 'POST', pattern: '/v1/users', access: ['admin'], status: 201,
    request: (ctx) => ({
      json: {
        email: `made-${ctx.unique()}@example.org`, name: 'Made In The Matrix',
        role: 'analyst', password: 'a long enough password',
      },
    }),
  },
  {
    method: 'GET', pattern: '/v1/users/{id}', access: ['admin'], status: 200,
    path: (ctx) => `/v1/users/${ctx.users.target.id}`,
  },
  {
    method: 'PATCH', pattern: '/v1/users/{id}', access: ['admin'], status: 200,
    path: (ctx) => `/v1/users/${ctx.users.target.id}`,
    request: (ctx) => ({ json: { name: `Renamed ${ctx.unique()}` } }),
  },

  {
    method: 'POST', pattern: '/v1/imports', access: ['admin'], status: 200,
    path: () => '/v1/imports?authority=PH-DMW&dry_run=true',
    request: () => ({ body: LICENCE_LIST, headers: { 'content-type': 'application/xml' } }),
  },
  { method: 'GET', pattern: '/v1/imports', access: ['admin'], status: 200 },
  {
    method: 'GET', pattern: '/v1/imports/{id}', access: ['admin'], status: 200,
    path: (ctx) => `/v1/imports/${registered(ctx, 'importId')}`,
  },

  { method: 'GET', pattern: '/v1/authorities', access: 'public', status: 200 },
  { method: 'GET', pattern: '/v1/agencies', access: 'public', status: 200 },
  {
    method: 'GET', pattern: '/v1/agencies/{id}', access: 'public', status: 200,
    path: (ctx) => `/v1/agencies/${registered(ctx, 'agencyId')}`,
  },
  {
    method: 'GET', pattern: '/v1/licences', access: 'public', status: 200,
    path: () => `/v1/licences?number=${LICENCE_NUMBER}`,
  },
  {
    method: 'GET', pattern: '/v1/licences/{id}', access: 'public', status: 200,
    path: (ctx) => `/v1/licences/${registered(ctx, 'licenceId')}`,
  },
  { method: 'GET', pattern: '/v1/sanctions', access: 'public', status: 200 },
  { method: 'GET', pattern: '/v1/export/licences.csv', access: 'public', status: 200 },
  { method: 'GET', pattern: '/v1/export/licences.json', access: 'public', status: 200 },
  {
    method: 'GET', pattern: '/v1/export/licences.xml', access: 'public', status: 200,
    path: () => '/v1/export/licences.xml?authority=PH-DMW',
  },
  { method: 'GET', pattern: '/v1/changes', access: 'public', status: 200 },
  { method: 'GET', pattern: '/feeds/licences.atom', access: 'public', status: 200 },

  // Complaints: anyone files but analysts; the staff lines work on a new
  // complaint that the attaché files about the matrix agency (PH-DMW), so
  // that the inspector (PH-DMW) and the attaché (MM-EMB-BKK) may see it.
  {
    method: 'POST', pattern: '/v1/complaints', access: ['anonymous', 'admin', 'inspector', 'attache'], status: 201,
    request: (ctx) => ({ json: { agency_id: registered(ctx, 'agencyId'), categories: ['recruitment_fees'], description: 'matrix' } }),
  },
  {
    method: 'GET', pattern: '/v1/complaint-status/{reference}', access: 'public', status: 200,
    path: async (ctx) => `/v1/complaint-status/${(await ctx.newComplaint()).reference}`,
  },
  { method: 'GET', pattern: '/v1/complaints', access: ['admin', 'inspector', 'attache'], status: 200 },
  {
    method: 'GET', pattern: '/v1/complaints/{id}', access: ['admin', 'inspector', 'attache'], status: 200,
    path: async (ctx) => `/v1/complaints/${(await ctx.newComplaint()).id}`,
  },
  {
    method: 'PATCH', pattern: '/v1/complaints/{id}', access: ['admin', 'inspector'], status: 200,
    path: async (ctx) => `/v1/complaints/${(await ctx.newComplaint()).id}`,
    request: () => ({ json: { priority: 'high' } }),
  },
  {
    method: 'POST', pattern: '/v1/complaints/{id}/assignment', access: ['admin', 'inspector'], status: 200,
    path: async (ctx) => `/v1/complaints/${(await ctx.newComplaint()).id}/assignment`,
    request: (ctx) => ({ json: { assigned_to: ctx.users.inspector.id } }),
  },
  {
    method: 'POST', pattern: '/v1/complaints/{id}/status', access: ['admin', 'inspector', 'attache'], status: 200,
    path: async (ctx) => `/v1/complaints/${(await ctx.newComplaint()).id}/status`,
    // an attaché may only withdraw
    request: (ctx, caller) => ({ json: { status: caller === 'attache' ? 'withdrawn' : 'acknowledged' } }),
  },
  {
    method: 'POST', pattern: '/v1/complaints/{id}/notes', access: ['admin', 'inspector', 'attache'], status: 200,
    path: async (ctx) => `/v1/complaints/${(await ctx.newComplaint()).id}/notes`,
    request: () => ({ json: { note: 'matrix note', public: false } }),
  },

  // Public; analysts and admins get the unsuppressed counts (stats.test.js).
  {
    method: 'GET', pattern: '/v1/stats/complaints', access: 'public', status: 200,
    path: () => '/v1/stats/complaints?group_by=sex,month&from=2026-01&to=2026-12',
  },
  { method: 'GET', pattern: '/v1/audit', access: ['admin'], status: 200 },

  // Inspections, sanctions and licence status decisions: admins and
  // inspectors (the checklist: any staff).  The lines that change or close
  // one work on a new inspection or sanction of the matrix agency (PH-DMW)
  // that permissions.test.js makes as the admin.
  { method: 'GET', pattern: '/v1/checklist', access: 'staff', status: 200 },
  {
    method: 'POST', pattern: '/v1/inspections', access: ['admin', 'inspector'], status: 201,
    request: (ctx, caller) => ({
      json: {
        agency_id: registered(ctx, 'agencyId'), kind: 'routine', planned_on: '2026-12-01',
        ...(caller === 'inspector' ? {} : { inspectors: [ctx.users.inspector.id] }),
      },
    }),
  },
  { method: 'GET', pattern: '/v1/inspections', access: ['admin', 'inspector'], status: 200 },
  {
    method: 'GET', pattern: '/v1/inspections/{id}', access: ['admin', 'inspector'], status: 200,
    path: async (ctx) => `/v1/inspections/${(await ctx.newInspection()).id}`,
  },
  {
    method: 'PATCH', pattern: '/v1/inspections/{id}', access: ['admin', 'inspector'], status: 200,
    path: async (ctx) => `/v1/inspections/${(await ctx.newInspection()).id}`,
    request: () => ({ json: { status: 'in_progress', planned_on: '2026-12-02' } }),
  },
  {
    method: 'PUT', pattern: '/v1/inspections/{id}/findings/{item}', access: ['admin', 'inspector'], status: 200,
    path: async (ctx) => `/v1/inspections/${(await ctx.newInspection()).id}/findings/RECORDS_MISSING`,
    request: () => ({ json: { result: 'breach', note: 'matrix finding' } }),
  },
  {
    method: 'POST', pattern: '/v1/inspections/{id}/close', access: ['admin', 'inspector'], status: 200,
    path: async (ctx) => `/v1/inspections/${(await ctx.newInspection()).id}/close`,
    request: () => ({ json: { outcome: 'matrix outcome', done_on: '2026-01-15' } }),
  },
  {
    method: 'POST', pattern: '/v1/sanctions', access: ['admin', 'inspector'], status: 201,
    request: (ctx, caller) => ({
      json: {
        kind: 'warning', agency_id: registered(ctx, 'agencyId'), reason: 'matrix warning',
        ...(caller === 'inspector' ? {} : { authority: 'PH-DMW' }),
      },
    }),
  },
  {
    method: 'GET', pattern: '/v1/sanctions/{id}', access: ['admin', 'inspector'], status: 200,
    path: async (ctx) => `/v1/sanctions/${(await ctx.newSanction()).id}`,
  },
  {
    method: 'POST', pattern: '/v1/sanctions/{id}/lift', access: ['admin', 'inspector'], status: 200,
    path: async (ctx) => `/v1/sanctions/${(await ctx.newSanction()).id}/lift`,
    request: () => ({ json: { lift_reason: 'matrix appeal' } }),
  },
  { method: 'GET', pattern: '/v1/staff/sanctions', access: ['admin', 'inspector'], status: 200 },
  {
    method: 'GET', pattern: '/v1/agencies/{id}/standing', access: ['admin', 'inspector'], status: 200,
    path: (ctx) => `/v1/agencies/${registered(ctx, 'agencyId')}/standing`,
  },
  {
    method: 'POST', pattern: '/v1/licences/{id}/status', access: ['admin', 'inspector'], status: 200,
    path: (ctx) => `/v1/licences/${registered(ctx, 'licenceId')}/status`,
    // the listed status again: valid for every caller, and changes nothing
    request: () => ({ json: { status: 'active', reason: 'matrix confirmation' } }),
  },
];

// Does the route let CALLER (a name of CALLERS) in?
function allows(route, caller) {
  if (route.access === 'public') return true;
  if (Array.isArray(route.access) && route.access.includes(caller)) return true;
  if (caller === 'anonymous') return false;
  if (route.access === 'staff') return true;
  return route.access.includes(caller);
}

module.exports = { CALLERS, LICENCE_LIST, LICENCE_NUMBER, ROUTES, allows };
