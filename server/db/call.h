/*
 * Calls of the casework functions.  Complaints, inspections and sanctions are
 * written as SQL functions (schema/0050_casework_common.sql and after) that
 * check their input and the caller, write, and answer one JSON value; they
 * refuse with SQLSTATEs of class FR whose messages are meant for the client.
 * db_call_json runs one such statement in a transaction carrying the audit
 * context (the functions find their caller there, in fairreg.actor_user_id)
 * and keeps what the handler needs to reply: the answer, or the refusal.
 */
#ifndef FAIRREG_DB_CALL_H
#define FAIRREG_DB_CALL_H

#include <jansson.h>

#include "db/db.h"

struct db_call
{
  int qs;            /* db_qs of the statement, or of BEGIN/COMMIT */
  json_t *answer;    /* the JSON value answered (owned by the caller, who
                        json_decref()s it); NULL when the call failed or the
                        function answered SQL NULL */
  char sqlstate[6];  /* SQLSTATE of a failed statement; "" otherwise */
  char message[512]; /* its primary message (FR errors: for the client) */
  char detail[512];  /* its detail (FR001: "from=... to=... allowed=...") */
};

/* Runs ST, which selects one json or jsonb value, with NPARAMS text PARAMS in
   a transaction with AUDIT, and fills *OUT (which the caller releases with
   db_call_release).  A function that answers SQL NULL leaves OUT->answer
   NULL with OUT->qs 1. */
void db_call_json (struct db_conn *conn, const struct db_audit_context *audit,
                   const struct db_statement *st, int nparams,
                   const char *const *params, struct db_call *out);

/* Frees what *CALL holds. */
void db_call_release (struct db_call *call);

#endif
