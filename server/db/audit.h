/*
 * The audit log (table audit_log, schema/0001_foundation.sql) as the admin
 * API reads it: written only by the fr_audit triggers, one entry per row
 * written, with personal fields and secrets already masked as "***".  Read
 * on the application connection, whose role may only SELECT it.
 *
 * An entry is answered as {id, at (RFC 3339, UTC, microseconds), actor,
 * actor_user_id or null, client_addr or null, request_id or null, action
 * (insert, update, delete), entity (the table), entity_id, before, after
 * (the row as JSON, or null)}.
 */
#ifndef FAIRREG_DB_AUDIT_H
#define FAIRREG_DB_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "db/db.h"

/* Which entries to read; NULL or 0 members do not filter. */
struct db_audit_log_query
{
  const char *entity;    /* table name */
  const char *entity_id; /* primary key as logged ("a/b" for two columns) */
  int64_t actor_user_id;
  const char *request_id;
  const char *action; /* insert, update or delete */
  const char *from;   /* RFC 3339 time: entries at or after it */
  const char *to;     /* RFC 3339 time: entries before it */
  int64_t before_id;  /* keyset: entries older than this id; 0: newest */
  unsigned limit;     /* at most this many */
};

/* The entries matching QUERY, newest (highest id) first.  Sets *ITEMS to
   the array and *NEXT to the before_id of the next page (0 when there is
   none).  Returns DB_FOUND (even for an empty page) or DB_FAILED. */
enum db_lookup db_audit_log_list (struct db_conn *conn,
                                  const struct db_audit_log_query *query,
                                  json_t **items, int64_t *next);

#endif
