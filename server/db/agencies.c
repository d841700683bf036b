/*
 * SQL of the public agency search and agency page (see agencies.h).
 *
 * The name search folds case and diacritics with fr_fold (the same function
 * the trigram indexes are built on, so "Nguyen" finds "Nguyễn" and the
 * indexes serve the query) and compares trigrams, which is what makes it
 * tolerant of a wrong letter and of spacing ("SeaStar", "Sea Star") in every
 * script: Thai, Burmese, Khmer and Lao letters are letters to pg_trgm in a
 * UTF-8 database.  An agency matches through its legal name or any of its
 * other names; its score is its best name's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/agencies.h"
#include "db/licences.h"
#include "db/sanctions.h"

#define AGENCY_SUMMARY_SQL DB_AGENCY_SUMMARY_SQL

/* The score of one name against the query $1: the best of the query against
   the closest run of the name, against the whole name, and the same first
   measure without spaces, so that "Sea Star" ranks "SeaStar" above a name
   that merely shares the word "Star". */
#define NAME_SCORE_SQL(name)                                                   \
  "greatest(word_similarity(fr_fold($1), fr_fold(" name ")),"                  \
  " similarity(fr_fold($1), fr_fold(" name ")),"                               \
  " word_similarity(replace(fr_fold($1), ' ', ''),"                            \
  "   replace(fr_fold(" name "), ' ', '')))"

/* The same test as an indexable condition (the trigram GIN indexes on
   fr_fold(name)), with the thresholds set for the transaction. */
#define NAME_MATCH_SQL(name)                                                   \
  "(fr_fold($1) <% fr_fold(" name ") OR fr_fold($1) % fr_fold(" name "))"

/* clang-format off */
DB_STATEMENT (agencies_match,
              "WITH m AS ("
              "  SELECT a.id AS agency_id, " NAME_SCORE_SQL ("a.name") " AS score"
              "  FROM pub_agency AS a WHERE " NAME_MATCH_SQL ("a.name")
              "  UNION ALL"
              "  SELECT n.agency_id, " NAME_SCORE_SQL ("n.name")
              "  FROM pub_agency_name AS n WHERE " NAME_MATCH_SQL ("n.name")
              "), best AS ("
              "  SELECT agency_id, max(score) AS score FROM m"
              "  GROUP BY agency_id)"
              " SELECT b.score::text, a.id, " AGENCY_SUMMARY_SQL
              " FROM best AS b JOIN pub_agency AS a ON a.id = b.agency_id"
              " WHERE ($2::text IS NULL OR a.country = $2::text)"
              "   AND ($3::boolean IS NULL OR a.in_good_standing = $3::boolean)"
              "   AND ($4::real IS NULL OR b.score < $4::real"
              "        OR (b.score = $4::real AND a.id > $5::bigint))"
              " ORDER BY b.score DESC, a.id"
              " LIMIT $6");
/* clang-format on */

DB_STATEMENT (agencies_list,
              "SELECT NULL::text, a.id, " AGENCY_SUMMARY_SQL
              " FROM pub_agency AS a"
              " WHERE ($1::text IS NULL OR a.country = $1::text)"
              "   AND ($2::boolean IS NULL OR a.in_good_standing = $2::boolean)"
              "   AND a.id > $3::bigint"
              " ORDER BY a.id"
              " LIMIT $4");

/* Fills PAGE from RES (columns score, id, summary), which holds up to one
   row more than the page: that row only says that more follow. */
static int
page_from_rows (const PGresult *res, unsigned limit,
                struct db_agency_page *page)
{
  int rows = PQntuples (res);
  page->more = rows > (int) limit;
  if (page->more)
    rows = (int) limit;
  for (int r = 0; r < rows; r++)
  {
    json_t *item = json_loads (PQgetvalue (res, r, 2), 0, NULL);
    if (NULL == item || 0 != json_array_append_new (page->items, item))
      return -1;
  }
  if (rows > 0)
  {
    snprintf (page->last_score, sizeof page->last_score, "%s",
              PQgetvalue (res, rows - 1, 0));
    page->last_id = strtoll (PQgetvalue (res, rows - 1, 1), NULL, 10);
  }
  return 0;
}

/* Runs the name search in a read-only transaction whose pg_trgm thresholds
   are ours (SET LOCAL: the thread's connection is shared by other public
   queries, which keep the defaults). */
static PGresult *
run_match (struct db_conn *conn, const char *const params[6], int *qs)
{
  if (0 > db_exec (conn, "BEGIN READ ONLY;"
                         " SET LOCAL pg_trgm.word_similarity_threshold"
                         " = " DB_AGENCY_MATCH_THRESHOLD ";"
                         " SET LOCAL pg_trgm.similarity_threshold"
                         " = " DB_AGENCY_MATCH_THRESHOLD))
  {
    if (CONNECTION_OK == PQstatus (db_pg (conn)))
      db_exec (conn, "ROLLBACK");
    *qs = DB_QS_HARD;
    return NULL;
  }
  PGresult *res = db_run (conn, &agencies_match, 6, params, qs);
  if (CONNECTION_OK == PQstatus (db_pg (conn)))
  {
    if (0 > db_exec (conn, (*qs >= 0) ? "COMMIT" : "ROLLBACK") && *qs >= 0)
      *qs = DB_QS_HARD;
  }
  return res;
}

int
db_agencies_search (struct db_conn *conn, const struct db_agency_query *query,
                    struct db_agency_page *page)
{
  memset (page, 0, sizeof *page);
  page->items = json_array ();
  if (NULL == page->items)
    return -1;
  const char *standing = (query->standing < 0) ? NULL
                         : query->standing     ? "true"
                                               : "false";
  char after_id[24], limit[16];
  snprintf (after_id, sizeof after_id, "%lld",
            query->after ? (long long) query->after_id : 0LL);
  snprintf (limit, sizeof limit, "%u", query->limit + 1);
  int qs;
  PGresult *res;
  if (NULL != query->q)
  {
    const char *params[] = { query->q, query->country,
                             standing, query->after ? query->after_score : NULL,
                             after_id, limit };
    res = run_match (conn, params, &qs);
  }
  else
  {
    const char *params[] = { query->country, standing, after_id, limit };
    res = db_run (conn, &agencies_list, 4, params, &qs);
  }
  int rc = (qs >= 0) ? page_from_rows (res, query->limit, page) : -1;
  PQclear (res);
  if (0 != rc)
  {
    json_decref (page->items);
    memset (page, 0, sizeof *page);
  }
  return rc;
}

DB_STATEMENT (
    agency_get,
    "SELECT json_build_object("
    " 'id', a.id, 'name', a.name,"
    " 'other_names', coalesce((SELECT json_agg(json_build_object("
    "     'name', n.name, 'lang', n.lang, 'kind', n.kind) ORDER BY n.id)"
    "   FROM pub_agency_name AS n WHERE n.agency_id = a.id), '[]'),"
    " 'country', a.country, 'registration_number', a.registration_number,"
    " 'address', a.address, 'phone', a.phone, 'email', a.email,"
    " 'website', a.website, 'in_good_standing', a.in_good_standing,"
    " 'licences', coalesce((SELECT json_agg(" DB_LICENCE_JSON_SQL
    "     ORDER BY l.id)"
    "   FROM pub_licence AS l WHERE l.agency_id = a.id), '[]'),"
    " 'branches', coalesce((SELECT json_agg(json_build_object("
    "     'address', b.address, 'city', b.city, 'country', b.country,"
    "     'phone', b.phone, 'email', b.email) ORDER BY b.id)"
    "   FROM pub_branch AS b WHERE b.agency_id = a.id), '[]'),"
    " 'officers', coalesce((SELECT json_agg(json_build_object("
    "     'name', o.name, 'role', o.role, 'valid_from', o.valid_from,"
    "     'valid_until', o.valid_until) ORDER BY o.id)"
    "   FROM pub_officer AS o WHERE o.agency_id = a.id), '[]'),"
    " 'personnel', coalesce((SELECT json_agg(json_build_object("
    "     'name', p.name, 'registration_number', p.registration_number,"
    "     'role', p.role, 'valid_from', p.valid_from,"
    "     'valid_until', p.valid_until) ORDER BY p.id)"
    "   FROM pub_personnel AS p WHERE p.agency_id = a.id), '[]'),"
    " 'sanctions', coalesce((SELECT json_agg(" DB_SANCTION_JSON_SQL
    "     ORDER BY s.decided_on DESC, s.id DESC)"
    "   FROM pub_sanction AS s WHERE s.agency_id = a.id), '[]'),"
    " 'inspections', json_build_object('count_24m', act.inspections_24m,"
    "   'last_on', act.last_inspected_on, 'breaches_24m', act.breaches_24m),"
    " 'complaints', json_build_object("
    "   'received_24m', act.complaints_received_24m,"
    "   'substantiated_24m', act.complaints_substantiated_24m))"
    " FROM pub_agency AS a"
    " JOIN pub_agency_activity AS act ON act.agency_id = a.id"
    " WHERE a.id = $1");

enum db_lookup
db_agency_get (struct db_conn *conn, int64_t id, json_t **agency)
{
  char id_text[24];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  const char *params[] = { id_text };
  int qs;
  PGresult *res = db_run (conn, &agency_get, 1, params, &qs);
  enum db_lookup found = (0 == qs) ? DB_NOT_FOUND : DB_FAILED;
  if (1 == qs)
  {
    *agency = json_loads (PQgetvalue (res, 0, 0), 0, NULL);
    found = (NULL != *agency) ? DB_FOUND : DB_FAILED;
  }
  PQclear (res);
  return found;
}
