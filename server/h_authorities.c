/*
 * GET /v1/authorities: the licensing bodies whose registers this registry
 * holds, for clients that filter by authority.
 */
#include "db/authorities.h"
#include "handlers.h"
#include "reply.h"

int
h_authorities_list (struct request *req)
{
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  json_t *items = db_authorities_list (conn);
  if (NULL == items)
    return reply_error_default (req, ERR_UNAVAILABLE);
  reply_data_steal (req, 200, json_pack ("{s:o}", "items", items));
  reply_add_header (req, "Cache-Control", "public, max-age=60");
  return 0;
}
