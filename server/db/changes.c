/*
 * SQL of the change feed (see changes.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/changes.h"

/* One change, as a SQL json expression over pub_licence_history AS h. */
#define CHANGE_JSON_SQL                                                        \
  "json_build_object('id', h.id,"                                              \
  " 'licence', json_build_object('id', h.licence_id, 'number', h.number,"      \
  "   'authority', h.authority_code),"                                         \
  " 'agency', json_build_object('id', h.agency_id, 'name', h.agency_name),"    \
  " 'status', h.status, 'effective_on', h.effective_on,"                       \
  " 'reason', h.reason,"                                                       \
  " 'at', to_char(h.recorded_at AT TIME ZONE 'UTC',"                           \
  "   'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))"

DB_STATEMENT (changes_after,
              "SELECT h.txid::text, h.id, " CHANGE_JSON_SQL
              " FROM pub_licence_history AS h"
              " WHERE (h.txid, h.id) > ($1::xid8, $2::bigint)"
              "   AND h.txid < pg_snapshot_xmin(pg_current_snapshot())"
              "   AND ($3::bigint IS NULL OR h.agency_id = $3::bigint)"
              " ORDER BY h.txid, h.id"
              " LIMIT $4");

int
db_changes_after (struct db_conn *conn, const struct db_change_position *after,
                  int64_t agency_id, unsigned limit, json_t **items,
                  struct db_change_position *next)
{
  char txid[24], id[24], agency[24], limit_text[16];
  snprintf (txid, sizeof txid, "%" PRIu64, after->txid);
  snprintf (id, sizeof id, "%" PRId64, after->id);
  snprintf (agency, sizeof agency, "%" PRId64, agency_id);
  snprintf (limit_text, sizeof limit_text, "%u", limit);
  const char *params[]
      = { txid, id, (0 != agency_id) ? agency : NULL, limit_text };
  int qs;
  PGresult *res = db_run (conn, &changes_after, 4, params, &qs);
  *items = (qs >= 0) ? json_array () : NULL;
  *next = *after;
  for (int r = 0; NULL != *items && r < qs; r++)
  {
    json_t *item = json_loads (PQgetvalue (res, r, 2), 0, NULL);
    if (NULL == item || 0 != json_array_append_new (*items, item))
    {
      json_decref (*items);
      *items = NULL;
      break;
    }
    next->txid = strtoull (PQgetvalue (res, r, 0), NULL, 10);
    next->id = strtoll (PQgetvalue (res, r, 1), NULL, 10);
  }
  PQclear (res);
  return (NULL != *items) ? 0 : -1;
}

DB_STATEMENT (changes_recent,
              "SELECT coalesce(json_agg(c.change ORDER BY c.id DESC), '[]')"
              " FROM (SELECT h.id, " CHANGE_JSON_SQL " AS change"
              "   FROM pub_licence_history AS h"
              "   WHERE $1::bigint IS NULL OR h.agency_id = $1::bigint"
              "   ORDER BY h.id DESC"
              "   LIMIT $2) AS c");

json_t *
db_changes_recent (struct db_conn *conn, int64_t agency_id, unsigned limit)
{
  char agency[24], limit_text[16];
  snprintf (agency, sizeof agency, "%" PRId64, agency_id);
  snprintf (limit_text, sizeof limit_text, "%u", limit);
  const char *params[] = { (0 != agency_id) ? agency : NULL, limit_text };
  int qs;
  PGresult *res = db_run (conn, &changes_recent, 2, params, &qs);
  json_t *items
      = (1 == qs) ? json_loads (PQgetvalue (res, 0, 0), 0, NULL) : NULL;
  PQclear (res);
  return items;
}
