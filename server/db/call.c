/*
 * Calls of the casework functions: one statement in one transaction, its
 * JSON answer or its refusal kept for the handler (see call.h).
 */
#include <stdio.h>
#include <string.h>

#include "db/call.h"

struct call_run
{
  const struct db_statement *st;
  int nparams;
  const char *const *params;
  struct db_call *out;
};

static void
copy_field (char *dst, size_t size, const PGresult *res, int field)
{
  const char *value = PQresultErrorField (res, field);
  snprintf (dst, size, "%s", (NULL != value) ? value : "");
}

static int
call_body (struct db_conn *conn, void *cls)
{
  struct call_run *run = cls;
  struct db_call *out = run->out;
  int qs;
  PGresult *res = db_run (conn, run->st, run->nparams, run->params, &qs);
  json_decref (out->answer);
  out->answer = NULL;
  out->sqlstate[0] = out->message[0] = out->detail[0] = '\0';
  if (qs < 0)
  {
    if (NULL != res)
    {
      copy_field (out->sqlstate, sizeof out->sqlstate, res, PG_DIAG_SQLSTATE);
      copy_field (out->message, sizeof out->message, res,
                  PG_DIAG_MESSAGE_PRIMARY);
      copy_field (out->detail, sizeof out->detail, res, PG_DIAG_MESSAGE_DETAIL);
    }
  }
  else if (1 != qs || 1 != PQnfields (res))
    qs = DB_QS_HARD; /* a statement of the wrong shape: a programming error */
  else if (!PQgetisnull (res, 0, 0))
  {
    json_error_t error;
    out->answer = json_loads (PQgetvalue (res, 0, 0), JSON_DECODE_ANY, &error);
    if (NULL == out->answer)
      qs = DB_QS_HARD;
  }
  PQclear (res);
  return qs;
}

void
db_call_json (struct db_conn *conn, const struct db_audit_context *audit,
              const struct db_statement *st, int nparams,
              const char *const *params, struct db_call *out)
{
  memset (out, 0, sizeof *out);
  struct call_run run = { st, nparams, params, out };
  out->qs = db_transaction (conn, audit, call_body, &run);
  if (out->qs < 0)
  {
    json_decref (out->answer);
    out->answer = NULL;
  }
}

void
db_call_release (struct db_call *call)
{
  json_decref (call->answer);
  call->answer = NULL;
}
