/*
 * Operational endpoints: liveness (/healthz: the process answers), readiness
 * (/readyz: the database answers too), Prometheus metrics, and the OpenAPI
 * document that describes the whole API.
 */
#include <stdlib.h>

#include "db/db.h"
#include "embedded.h"
#include "handlers.h"
#include "metrics.h"
#include "reply.h"

int
h_healthz (struct request *req)
{
  return reply_json_steal (req, 200, json_pack ("{s:s}", "status", "ok"));
}

DB_STATEMENT (system_ready, "SELECT 1");

int
h_readyz (struct request *req)
{
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error (req, ERR_UNAVAILABLE, "the database is unreachable");
  int qs;
  PGresult *res = db_run (conn, &system_ready, 0, NULL, &qs);
  PQclear (res);
  if (1 != qs)
    return reply_error (req, ERR_UNAVAILABLE, "the database is unreachable");
  return reply_json_steal (req, 200, json_pack ("{s:s}", "status", "ready"));
}

int
h_metrics (struct request *req)
{
  size_t len = 0;
  char *text = metrics_render (&len);
  if (NULL == text)
    return reply_error_default (req, ERR_INTERNAL);
  int rc = reply_text (req, 200, "text/plain; version=0.0.4; charset=utf-8",
                       text, len);
  free (text);
  return rc;
}

int
h_openapi (struct request *req)
{
  const struct embedded_file *doc = embedded_find ("server/openapi.json");
  if (NULL == doc)
    return reply_error_default (req, ERR_INTERNAL);
  reply_static (req, 200, "application/json; charset=utf-8", doc->data,
                doc->size);
  reply_add_header (req, "Cache-Control", "public, max-age=3600");
  return 0;
}
