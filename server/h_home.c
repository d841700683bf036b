/*
 * The home page: what the registry is, the search and verify forms, and the
 * authorities whose registers it holds.  The same data answers as JSON to a
 * client that asks for JSON.
 */
#include "db/authorities.h"
#include "handlers.h"
#include "reply.h"

int
h_home (struct request *req)
{
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  json_t *authorities = db_authorities_list (conn);
  if (NULL == authorities)
    return reply_error_default (req, ERR_UNAVAILABLE);
  return reply_data_steal (
      req, 200,
      json_pack ("{s:s, s:o}", "title",
                 "fairreg: the recruitment agency register", "authorities",
                 authorities));
}
