/*
 * SQL of the public licence lookups (see licences.h).  The JSON is made by
 * the database; these functions only parse its one value.  The staff's
 * status change calls a function of schema/0060_inspections_sanctions.sql,
 * the date-transitions recorder one of 0090_date_transitions.sql.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/licences.h"

DB_STATEMENT (licences_by_number,
              "SELECT (SELECT coalesce(json_agg(" DB_LICENCE_JSON_SQL
              "  ORDER BY l.authority_code, l.id), '[]')"
              "  FROM pub_licence AS l"
              "  WHERE l.number_norm = fr_normalise_number($1)),"
              " v.version, current_date - DATE '2000-01-01'"
              " FROM pub_register_version AS v");

json_t *
db_licences_by_number (struct db_conn *conn, const char *number,
                       int64_t *version, int32_t *day)
{
  int qs;
  const char *params[] = { number };
  PGresult *res = db_run (conn, &licences_by_number, 1, params, &qs);
  json_t *items = NULL;
  if (1 == qs)
  {
    items = json_loads (PQgetvalue (res, 0, 0), 0, NULL);
    *version = strtoll (PQgetvalue (res, 0, 1), NULL, 10);
    *day = (int32_t) strtol (PQgetvalue (res, 0, 2), NULL, 10);
  }
  PQclear (res);
  return items;
}

DB_STATEMENT (licence_get, "SELECT " DB_LICENCE_JSON_SQL
                           " FROM pub_licence AS l WHERE l.id = $1");

enum db_lookup
db_licence_get (struct db_conn *conn, int64_t id, json_t **licence)
{
  char id_text[24];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  const char *params[] = { id_text };
  int qs;
  PGresult *res = db_run (conn, &licence_get, 1, params, &qs);
  enum db_lookup found = (0 == qs) ? DB_NOT_FOUND : DB_FAILED;
  if (1 == qs)
  {
    *licence = json_loads (PQgetvalue (res, 0, 0), 0, NULL);
    found = (NULL != *licence) ? DB_FOUND : DB_FAILED;
  }
  PQclear (res);
  return found;
}

DB_STATEMENT (licences_set_status,
              "SELECT fr_licence_set_status($1::bigint, $2::jsonb)");

void
db_licence_set_status (struct db_conn *conn,
                       const struct db_audit_context *audit, int64_t id,
                       const char *body, struct db_call *out)
{
  char id_text[24];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  const char *params[] = { id_text, body };
  db_call_json (conn, audit, &licences_set_status, 2, params, out);
}

DB_STATEMENT (licences_record_date_transitions,
              "SELECT recorded, skipped, seconds_to_next_day"
              " FROM fr_record_date_transitions()");

static int
record_date_transitions (struct db_conn *conn, void *cls)
{
  struct db_date_transitions *out = cls;
  /* Once a day over every licence: longer than any request may take. */
  int qs = db_exec (conn, "SET LOCAL statement_timeout = '10min'");
  if (qs < 0)
    return qs;
  PGresult *res
      = db_run (conn, &licences_record_date_transitions, 0, NULL, &qs);
  if (1 == qs)
  {
    out->recorded = strtol (PQgetvalue (res, 0, 0), NULL, 10);
    out->skipped = strtol (PQgetvalue (res, 0, 1), NULL, 10);
    out->seconds_to_next_day = strtod (PQgetvalue (res, 0, 2), NULL);
  }
  else if (qs >= 0)
    qs = DB_QS_HARD; /* the function answers one row, always */
  PQclear (res);
  return qs;
}

int
db_licences_record_date_transitions (struct db_conn *conn,
                                     const struct db_audit_context *audit,
                                     struct db_date_transitions *out)
{
  return db_transaction (conn, audit, record_date_transitions, out);
}
