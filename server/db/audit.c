/*
 * SQL of the audit log (see audit.h).  One statement for every combination
 * of filters: an absent filter is a NULL parameter.  Pages walk the primary
 * key backwards.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/audit.h"
#include "db/json.h"

DB_STATEMENT (
    audit_log_list,
    "SELECT a.id,"
    " to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    " AS at,"
    " a.actor, a.actor_user_id, a.client_addr, a.request_id, a.action,"
    " a.entity, a.entity_id, a.before, a.after"
    " FROM audit_log AS a"
    " WHERE ($1::text IS NULL OR a.entity = $1::text)"
    " AND ($2::text IS NULL OR a.entity_id = $2::text)"
    " AND ($3::bigint IS NULL OR a.actor_user_id = $3::bigint)"
    " AND ($4::text IS NULL OR a.request_id = $4::text)"
    " AND ($5::text IS NULL OR a.action = $5::text)"
    " AND ($6::timestamptz IS NULL OR a.at >= $6::timestamptz)"
    " AND ($7::timestamptz IS NULL OR a.at < $7::timestamptz)"
    " AND ($8::bigint IS NULL OR a.id < $8::bigint)"
    " ORDER BY a.id DESC LIMIT $9::int");

enum db_lookup
db_audit_log_list (struct db_conn *conn, const struct db_audit_log_query *query,
                   json_t **items, int64_t *next)
{
  char actor_text[24], before_text[24], limit_text[16];
  snprintf (actor_text, sizeof actor_text, "%lld",
            (long long) query->actor_user_id);
  snprintf (before_text, sizeof before_text, "%lld",
            (long long) query->before_id);
  /* One more than asked: whether there is a next page. */
  snprintf (limit_text, sizeof limit_text, "%u", query->limit + 1);
  const char *params[] = {
    query->entity,
    query->entity_id,
    (0 != query->actor_user_id) ? actor_text : NULL,
    query->request_id,
    query->action,
    query->from,
    query->to,
    (0 != query->before_id) ? before_text : NULL,
    limit_text,
  };
  int qs;
  PGresult *res = db_run (conn, &audit_log_list, 9, params, &qs);
  if (qs < 0)
  {
    PQclear (res);
    return DB_FAILED;
  }
  *next = 0;
  if ((unsigned) qs > query->limit)
    *next = strtoll (PQgetvalue (res, (int) query->limit - 1, 0), NULL, 10);
  json_t *array = json_array ();
  for (int i = 0; i < qs && (unsigned) i < query->limit; i++)
    json_array_append_new (array, db_row_json (res, i));
  PQclear (res);
  *items = array;
  return DB_FOUND;
}
