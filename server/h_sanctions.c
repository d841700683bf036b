/*
 * GET /v1/sanctions?active=: the public list of sanctioned and banned
 * agencies (only sanctions the authority made public).
 */
#include "db/sanctions.h"
#include "h_public.h"
#include "handlers.h"
#include "reply.h"

int
h_sanctions_list (struct request *req)
{
  int active;
  if (!public_query_bool (req, "active", &active))
    return 0;
  struct db_conn *conn = request_db (req);
  json_t *items = (NULL != conn) ? db_sanctions_list (conn, active) : NULL;
  if (NULL == items)
    return reply_error_default (req, ERR_UNAVAILABLE);
  return public_reply_json_steal (req, json_pack ("{s:o}", "items", items));
}
