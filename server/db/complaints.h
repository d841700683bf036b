/*
 * SQL of complaints: filing, the worker's status page, and the staff's work
 * on a case.  The rules live in the functions of schema/0051_complaints.sql;
 * these statements call them (see db/call.h for the outcome).
 */
#ifndef FAIRREG_DB_COMPLAINTS_H
#define FAIRREG_DB_COMPLAINTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db/call.h"

/* Files the complaint BODY (the request's JSON as text) under REFERENCE.
   The answer is {id, reference, status}.  A clash of references (SQLSTATE
   23505, as likely as a lottery win twice) is the caller's to retry. */
void db_complaint_file (struct db_conn *conn,
                        const struct db_audit_context *audit, const char *body,
                        const char *reference, struct db_call *out);

/* The worker's view of complaint REFERENCE (canonical form), on the public
   connection: a new object, or NULL with *FOUND saying why. */
json_t *db_complaint_status (struct db_conn *conn, const char *reference,
                             enum db_lookup *found);

/* Filters of the staff list; NULL / -1 / 0 for none. */
struct db_complaint_filter
{
  const char *status;
  int64_t agency_id;
  int assigned_to_me; /* 1: only the caller's cases */
  int overdue;        /* -1: either, 0: not overdue, 1: overdue */
  const char *mission;
  int64_t before_id; /* keyset: ids below this one */
  unsigned limit;
};

/* The complaints the caller may see, newest first: an array. */
void db_complaints_list (struct db_conn *conn,
                         const struct db_audit_context *audit,
                         const struct db_complaint_filter *filter,
                         struct db_call *out);

/* One complaint as the caller may read it. */
void db_complaint_get (struct db_conn *conn,
                       const struct db_audit_context *audit, int64_t id,
                       struct db_call *out);

/* The staff's actions on complaint ID with the request body BODY; each
   answers the complaint as the caller may read it. */
enum db_complaint_action
{
  DB_COMPLAINT_ASSIGN, /* {assigned_to, note} */
  DB_COMPLAINT_MOVE,   /* {status, public_note, internal_note, outcome, ...} */
  DB_COMPLAINT_NOTE,   /* {note, public} */
  DB_COMPLAINT_UPDATE, /* {priority, agency_id, licence_id, inspection_id, ...} */
};
void db_complaint_act (struct db_conn *conn,
                       const struct db_audit_context *audit,
                       enum db_complaint_action action, int64_t id,
                       const char *body, struct db_call *out);

#endif
