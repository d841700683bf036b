/*
 * SQL of complaints (see complaints.h): each statement calls one function of
 * schema/0051_complaints.sql.
 */
#include <stdio.h>

#include "config.h"
#include "db/complaints.h"

DB_STATEMENT (complaints_file,
              "SELECT fr_complaint_file($1::jsonb, $2, $3::int, $4::int, $5)");

void
db_complaint_file (struct db_conn *conn, const struct db_audit_context *audit,
                   const char *body, const char *reference, struct db_call *out)
{
  char ack[16], resolve[16];
  snprintf (ack, sizeof ack, "%u", config.complaint_ack_days);
  snprintf (resolve, sizeof resolve, "%u", config.complaint_resolve_days);
  const char *params[]
      = { body, reference, ack, resolve, config.home_authority };
  db_call_json (conn, audit, &complaints_file, 5, params, out);
}

DB_STATEMENT (complaints_status, "SELECT pub_complaint_status_get($1)");

json_t *
db_complaint_status (struct db_conn *conn, const char *reference,
                     enum db_lookup *found)
{
  const char *params[] = { reference };
  int qs;
  PGresult *res = db_run (conn, &complaints_status, 1, params, &qs);
  json_t *status = NULL;
  *found = DB_FAILED;
  if (1 == qs && PQgetisnull (res, 0, 0))
    *found = DB_NOT_FOUND;
  else if (1 == qs)
  {
    status = json_loads (PQgetvalue (res, 0, 0), 0, NULL);
    *found = (NULL != status) ? DB_FOUND : DB_FAILED;
  }
  PQclear (res);
  return status;
}

DB_STATEMENT (complaints_list,
              "SELECT fr_complaint_list($1, $2::bigint, $3::boolean,"
              " $4::boolean, $5, $6::bigint, $7::int)");

void
db_complaints_list (struct db_conn *conn, const struct db_audit_context *audit,
                    const struct db_complaint_filter *filter,
                    struct db_call *out)
{
  char agency[24], before[24], limit[16];
  snprintf (agency, sizeof agency, "%lld", (long long) filter->agency_id);
  snprintf (before, sizeof before, "%lld", (long long) filter->before_id);
  snprintf (limit, sizeof limit, "%u", filter->limit);
  const char *params[] = {
    filter->status,
    (filter->agency_id > 0) ? agency : NULL,
    (1 == filter->assigned_to_me) ? "true" : NULL,
    (filter->overdue < 0) ? NULL : (filter->overdue ? "true" : "false"),
    filter->mission,
    (filter->before_id > 0) ? before : NULL,
    limit,
  };
  db_call_json (conn, audit, &complaints_list, 7, params, out);
}

DB_STATEMENT (complaints_get, "SELECT fr_complaint_get($1::bigint)");

void
db_complaint_get (struct db_conn *conn, const struct db_audit_context *audit,
                  int64_t id, struct db_call *out)
{
  char id_text[24];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  const char *params[] = { id_text };
  db_call_json (conn, audit, &complaints_get, 1, params, out);
}

DB_STATEMENT (complaints_assign,
              "SELECT fr_complaint_assign($1::bigint, $2::jsonb)");
DB_STATEMENT (complaints_move,
              "SELECT fr_complaint_move($1::bigint, $2::jsonb)");
DB_STATEMENT (complaints_note,
              "SELECT fr_complaint_note($1::bigint, $2::jsonb)");
DB_STATEMENT (complaints_update,
              "SELECT fr_complaint_update($1::bigint, $2::jsonb)");

void
db_complaint_act (struct db_conn *conn, const struct db_audit_context *audit,
                  enum db_complaint_action action, int64_t id, const char *body,
                  struct db_call *out)
{
  static const struct db_statement *const statements[] = {
    [DB_COMPLAINT_ASSIGN] = &complaints_assign,
    [DB_COMPLAINT_MOVE] = &complaints_move,
    [DB_COMPLAINT_NOTE] = &complaints_note,
    [DB_COMPLAINT_UPDATE] = &complaints_update,
  };
  char id_text[24];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  const char *params[] = { id_text, body };
  db_call_json (conn, audit, statements[action], 2, params, out);
}
