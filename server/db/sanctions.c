/*
 * SQL of the public sanctions list (see sanctions.h).
 */
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
