/*
 * SQL of the import runs (see imports.h), each statement above the function
 * that runs it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/imports.h"
#include "db/json.h"

#define RUN_COLUMNS                                                            \
  "r.id, r.authority_code AS authority, r.file_name, r.profile,"               \
  " encode(r.sha256, 'hex') AS sha256, r.size_bytes, r.scope, r.dry_run,"      \
  " r.skip_invalid, r.started_by,"                                             \
  " to_char(r.started_at AT TIME ZONE 'UTC', "                                 \
  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"                                          \
  " AS started_at,"                                                            \
  " to_char(r.finished_at AT TIME ZONE 'UTC', "                                \
  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"                                          \
  " AS finished_at,"                                                           \
  " r.outcome, r.error,"                                                       \
  " jsonb_build_object('seen', r.seen, 'inserted', r.inserted,"                \
  "  'updated', r.updated, 'unchanged', r.unchanged, 'delisted', r.delisted,"  \
  "  'rejected', r.rejected) AS counts"

DB_STATEMENT (imports_list, "SELECT " RUN_COLUMNS " FROM import_run r"
                            " WHERE $1::bigint = 0 OR r.id < $1::bigint"
                            " ORDER BY r.id DESC LIMIT $2::int");

enum db_lookup
db_imports_list (struct db_conn *conn, int64_t before, unsigned limit,
                 json_t **items, int64_t *next)
{
  char before_text[24], limit_text[16];
  snprintf (before_text, sizeof before_text, "%lld", (long long) before);
  /* One more than asked: whether there is a next page. */
  snprintf (limit_text, sizeof limit_text, "%u", limit + 1);
  const char *params[] = { before_text, limit_text };
  int qs;
  PGresult *res = db_run (conn, &imports_list, 2, params, &qs);
  if (qs < 0)
  {
    PQclear (res);
    return DB_FAILED;
  }
  *next = 0;
  if ((unsigned) qs > limit)
    *next = strtoll (PQgetvalue (res, (int) limit - 1, 0), NULL, 10);
  json_t *array = json_array ();
  for (int i = 0; i < qs && (unsigned) i < limit; i++)
    json_array_append_new (array, db_row_json (res, i));
  PQclear (res);
  *items = array;
  return DB_FOUND;
}

DB_STATEMENT (imports_get, "SELECT " RUN_COLUMNS ", r.rejects"
                           " FROM import_run r WHERE r.id = $1::bigint");

enum db_lookup
db_import_get (struct db_conn *conn, int64_t id, json_t **run)
{
  char id_text[24];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  const char *params[] = { id_text };
  int qs;
  PGresult *res = db_run (conn, &imports_get, 1, params, &qs);
  enum db_lookup found = (qs < 0)    ? DB_FAILED
                         : (0 == qs) ? DB_NOT_FOUND
                                     : DB_FOUND;
  if (DB_FOUND == found)
    *run = db_row_json (res, 0);
  PQclear (res);
  return found;
}
