// The baseline of bench/api.sh: how a typical team would serve fairreg's two
// hottest public requests with Node.js, fastify and pg, on the same database
// and through the same public views, with the straightforward SQL:
//
//   GET /v1/licences?number=  an indexed lookup on licence.number_norm
//                             (pub_licence, with its history), as fairreg
//                             answers it
//   GET /v1/agencies?q=       a pg_trgm similarity search over the folded
//                             legal and other names (the GIN trigram
//                             indexes), best match first, 20 summaries
//
// One process (node is single-threaded; the machine has two cores, shared
// with the database and wrk), a pool of 16 connections.  Configuration: the
// PG* variables, BASELINE_PORT.
'use strict';

const fastify = require('fastify')({ logger: false });
const { Pool } = require('pg');

const pool = new Pool({ max: 16 });
pool.on('connect', (client) => {
  client.query("SET ROLE fairreg_public; SET TIME ZONE 'UTC'").catch(() => {});
});

const LICENCE_SQL = `
SELECT coalesce(json_agg(json_build_object(
         'id', l.id, 'number', l.number,
         'authority', json_build_object('code', l.authority_code,
           'country', l.authority_country, 'name', l.authority_name),
         'category', l.category, 'status', l.status,
         'listed_status', l.listed_status, 'valid_from', l.valid_from,
         'valid_until', l.valid_until, 'in_good_standing', l.in_good_standing,
         'agency', json_build_object('id', l.agency_id, 'name', l.agency_name),
         'history', coalesce((SELECT json_agg(json_build_object(
             'status', h.status, 'effective_on', h.effective_on,
             'reason', h.reason, 'source', h.source)
             ORDER BY h.effective_on, h.id)
           FROM pub_licence_history AS h WHERE h.licence_id = l.id), '[]'))
         ORDER BY l.authority_code, l.id), '[]') AS items
  FROM pub_licence AS l
 WHERE l.number_norm = fr_normalise_number($1)`;

// The search a typical server writes: the % operator (pg_trgm's
// similarity_threshold, 0.3 by default) on the indexed fr_fold(name), over
// both name tables, best similarity first.
const SEARCH_SQL = `
WITH m AS (
  SELECT a.id AS agency_id, similarity(fr_fold(a.name), fr_fold($1)) AS score
    FROM pub_agency AS a WHERE fr_fold(a.name) % fr_fold($1)
  UNION ALL
  SELECT n.agency_id, similarity(fr_fold(n.name), fr_fold($1))
    FROM pub_agency_name AS n WHERE fr_fold(n.name) % fr_fold($1)
), best AS (
  SELECT agency_id, max(score) AS score FROM m GROUP BY agency_id
  ORDER BY score DESC, agency_id LIMIT 20)
SELECT a.id, a.name, a.country, a.in_good_standing,
       coalesce((SELECT json_agg(json_build_object('id', l.id, 'number', l.number,
                  'authority', l.authority_code, 'status', l.status,
                  'valid_until', l.valid_until) ORDER BY l.id)
                 FROM pub_licence AS l WHERE l.agency_id = a.id), '[]') AS licences
  FROM best AS b JOIN pub_agency AS a ON a.id = b.agency_id
 ORDER BY b.score DESC, a.id`;

fastify.get('/v1/licences', async (request, reply) => {
  const number = request.query.number;
  if (typeof number !== 'string' || number.trim() === '') {
    reply.code(400);
    return { error: { code: 'bad_parameter', message: 'number is required' } };
  }
  const { rows } = await pool.query(LICENCE_SQL, [number]);
  return { items: rows[0].items };
});

fastify.get('/v1/agencies', async (request, reply) => {
  const q = request.query.q;
  if (typeof q !== 'string' || q.trim() === '') {
    reply.code(400);
    return { error: { code: 'bad_parameter', message: 'q is required' } };
  }
  const { rows } = await pool.query(SEARCH_SQL, [q]);
  return { items: rows, next_cursor: null };
});

fastify.get('/healthz', async () => ({ status: 'ok' }));

const port = Number(process.env.BASELINE_PORT || 8081);
fastify.listen({ port, host: '127.0.0.1' }).then(() => {
  process.stderr.write(`baseline listening on http://127.0.0.1:${port}/\n`);
}).catch((err) => {
  process.stderr.write(`baseline: ${err.message}\n`);
  process.exit(1);
});

process.on('SIGTERM', () => {
  fastify.close().then(() => pool.end()).then(() => process.exit(0));
});
