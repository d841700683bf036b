/*
 * SQL of inspections (see inspections.h): each statement calls one function
 * of schema/0060_inspections_sanctions.sql.
 */
#include <stdio.h>

#include "db/inspections.h"

DB_STATEMENT (checklist_get, "SELECT fr_checklist()");

void
db_checklist (struct db_conn *conn, const struct db_audit_context *audit,
              struct db_call *out)
{
  db_call_json (conn, audit, &checklist_get, 0, NULL, out);
}

DB_STATEMENT (inspections_plan, "SELECT fr_inspection_plan($1::jsonb)");

void
db_inspection_plan (struct db_conn *conn, const struct db_audit_context *audit,
                    const char *body, struct db_call *out)
{
  const char *params[] = { body };
  db_call_json (conn, audit, &inspections_plan, 1, params, out);
}

DB_STATEMENT (inspections_list,
              "SELECT fr_inspection_list($1::bigint, $2, $3::date,"
              " $4::boolean, $5::boolean, $6::bigint, $7::int)");

void
db_inspections_list (struct db_conn *conn, const struct db_audit_context *audit,
                     const struct db_inspection_filter *filter,
                     struct db_call *out)
{
  char agency[24], before[24], limit[16];
  snprintf (agency, sizeof agency, "%lld", (long long) filter->agency_id);
  snprintf (before, sizeof before, "%lld", (long long) filter->before_id);
  snprintf (limit, sizeof limit, "%u", filter->limit);
  const char *params[] = {
    (filter->agency_id > 0) ? agency : NULL,
    filter->status,
    filter->due_before,
    (filter->follow_up_overdue < 0)
        ? NULL
        : (filter->follow_up_overdue ? "true" : "false"),
    (1 == filter->mine) ? "true" : NULL,
    (filter->before_id > 0) ? before : NULL,
    limit,
  };
  db_call_json (conn, audit, &inspections_list, 7, params, out);
}

DB_STATEMENT (inspections_get, "SELECT fr_inspection_get($1::bigint)");

void
db_inspection_get (struct db_conn *conn, const struct db_audit_context *audit,
                   int64_t id, struct db_call *out)
{
  char id_text[24];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  const char *params[] = { id_text };
  db_call_json (conn, audit, &inspections_get, 1, params, out);
}

DB_STATEMENT (inspections_update,
              "SELECT fr_inspection_update($1::bigint, $2::jsonb)");
DB_STATEMENT (inspections_close,
              "SELECT fr_inspection_close($1::bigint, $2::jsonb)");

void
db_inspection_act (struct db_conn *conn, const struct db_audit_context *audit,
                   enum db_inspection_action action, int64_t id,
                   const char *body, struct db_call *out)
{
  static const struct db_statement *const statements[] = {
    [DB_INSPECTION_UPDATE] = &inspections_update,
    [DB_INSPECTION_CLOSE] = &inspections_close,
  };
  char id_text[24];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  const char *params[] = { id_text, body };
  db_call_json (conn, audit, statements[action], 2, params, out);
}

DB_STATEMENT (inspections_finding,
              "SELECT fr_inspection_record_finding($1::bigint, $2,"
              " $3::jsonb)");

void
db_inspection_finding (struct db_conn *conn,
                       const struct db_audit_context *audit, int64_t id,
                       const char *item, const char *body, struct db_call *out)
{
  char id_text[24];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  const char *params[] = { id_text, item, body };
  db_call_json (conn, audit, &inspections_finding, 3, params, out);
}
