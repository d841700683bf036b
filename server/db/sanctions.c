/*
 * SQL of sanctions (see sanctions.h): the public list over pub_sanction, and
 * the staff's statements, each calling one function of
 * schema/0060_inspections_sanctions.sql.
 */
#include <stdio.h>

#include "config.h"
#include "db/sanctions.h"

DB_STATEMENT (sanctions_list,
              "SELECT coalesce(json_agg(" DB_SANCTION_JSON_SQL
              " ORDER BY s.decided_on DESC, s.id DESC), '[]')"
              " FROM pub_sanction AS s"
              " WHERE $1::boolean IS NULL OR s.in_force = $1::boolean");

json_t *
db_sanctions_list (struct db_conn *conn, int active)
{
  const char *params[] = { (active < 0) ? NULL : (active ? "true" : "false") };
  int qs;
  PGresult *res = db_run (conn, &sanctions_list, 1, params, &qs);
  json_t *items
      = (1 == qs) ? json_loads (PQgetvalue (res, 0, 0), 0, NULL) : NULL;
  PQclear (res);
  return items;
}

/* The demerit thresholds, as the functions' text parameters. */
static void
thresholds (char surveillance[16], char suspension[16])
{
  snprintf (surveillance, 16, "%u", config.demerit_surveillance);
  snprintf (suspension, 16, "%u", config.demerit_suspension);
}

DB_STATEMENT (sanctions_create,
              "SELECT fr_sanction_create($1::jsonb, $2::int, $3::int)");

void
db_sanction_create (struct db_conn *conn, const struct db_audit_context *audit,
                    const char *body, struct db_call *out)
{
  char surveillance[16], suspension[16];
  thresholds (surveillance, suspension);
  const char *params[] = { body, surveillance, suspension };
  db_call_json (conn, audit, &sanctions_create, 3, params, out);
}

DB_STATEMENT (sanctions_lift, "SELECT fr_sanction_lift($1::bigint, $2::jsonb,"
                              " $3::int, $4::int)");

void
db_sanction_lift (struct db_conn *conn, const struct db_audit_context *audit,
                  int64_t id, const char *body, struct db_call *out)
{
  char id_text[24], surveillance[16], suspension[16];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  thresholds (surveillance, suspension);
  const char *params[] = { id_text, body, surveillance, suspension };
  db_call_json (conn, audit, &sanctions_lift, 4, params, out);
}

DB_STATEMENT (sanctions_get,
              "SELECT fr_sanction_get($1::bigint, $2::int, $3::int)");

void
db_sanction_get (struct db_conn *conn, const struct db_audit_context *audit,
                 int64_t id, struct db_call *out)
{
  char id_text[24], surveillance[16], suspension[16];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  thresholds (surveillance, suspension);
  const char *params[] = { id_text, surveillance, suspension };
  db_call_json (conn, audit, &sanctions_get, 3, params, out);
}

DB_STATEMENT (sanctions_staff_list,
              "SELECT fr_sanction_list($1::bigint, $2, $3::boolean,"
              " $4::bigint, $5::int)");

void
db_sanctions_staff_list (struct db_conn *conn,
                         const struct db_audit_context *audit,
                         const struct db_sanction_filter *filter,
                         struct db_call *out)
{
  char agency[24], before[24], limit[16];
  snprintf (agency, sizeof agency, "%lld", (long long) filter->agency_id);
  snprintf (before, sizeof before, "%lld", (long long) filter->before_id);
  snprintf (limit, sizeof limit, "%u", filter->limit);
  const char *params[] = {
    (filter->agency_id > 0) ? agency : NULL,
    filter->kind,
    (filter->in_force < 0) ? NULL : (filter->in_force ? "true" : "false"),
    (filter->before_id > 0) ? before : NULL,
    limit,
  };
  db_call_json (conn, audit, &sanctions_staff_list, 5, params, out);
}

DB_STATEMENT (agencies_standing,
              "SELECT fr_agency_standing($1::bigint, $2::int, $3::int)");

void
db_agency_standing (struct db_conn *conn, const struct db_audit_context *audit,
                    int64_t id, struct db_call *out)
{
  char id_text[24], surveillance[16], suspension[16];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  thresholds (surveillance, suspension);
  const char *params[] = { id_text, surveillance, suspension };
  db_call_json (conn, audit, &agencies_standing, 3, params, out);
}
