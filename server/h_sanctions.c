/*
 * Sanctions over HTTP.
 *
 *   GET  /v1/sanctions?active=           the public list of sanctioned and
 *                                        banned agencies (only sanctions the
 *                                        authority made public)
 *   POST /v1/sanctions                   decide one (admins, inspectors)
 *   GET  /v1/sanctions/{id}              one, public or not, with the
 *                                        agency's standing (staff)
 *   POST /v1/sanctions/{id}/lift         end one early (staff)
 *   GET  /v1/staff/sanctions             every sanction the caller may see,
 *                                        public or not, with filters (staff)
 *   GET  /v1/agencies/{id}/standing      an agency's demerit points and
 *                                        whether they flag it (staff)
 *
 * The rules (who may sanction what, the status history a suspension,
 * revocation or ban writes, the demerit sums) are in the SQL functions of
 * schema/0060_inspections_sanctions.sql; these handlers parse the address
 * and the query, and reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/sanctions.h"
#include "h_public.h"
#include "h_staff.h"
#include "handlers.h"
#include "reply.h"

#define LIST_DEFAULT_LIMIT 50
#define LIST_MAX_LIMIT 200

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

int
h_sanctions_create (struct request *req)
{
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  char *body = staff_body_text (req);
  if (NULL == body)
    return 0;
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_sanction_create (conn, &audit, body, &call);
  free (body);
  return staff_reply_call (req, &call, 201, NULL);
}

/* The id of the address; false after replying 400. */
static bool
path_id (struct request *req, const char *what, int64_t *id)
{
  if (request_path_id (req, 0, id))
    return true;
  reply_error (req, ERR_BAD_ID, "%s id is a positive integer", what);
  return false;
}

int
h_sanction_get (struct request *req)
{
  int64_t id;
  if (!path_id (req, "a sanction", &id))
    return 0;
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_sanction_get (conn, &audit, id, &call);
  return staff_reply_call (req, &call, 200, NULL);
}

int
h_sanction_lift (struct request *req)
{
  int64_t id;
  if (!path_id (req, "a sanction", &id))
    return 0;
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  char *body = staff_body_text (req);
  if (NULL == body)
    return 0;
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_sanction_lift (conn, &audit, id, body, &call);
  free (body);
  return staff_reply_call (req, &call, 200, NULL);
}

int
h_sanctions_staff_list (struct request *req)
{
  struct db_sanction_filter filter = { .in_force = -1 };
  if (!public_query_limit (req, "limit", LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT,
                           &filter.limit)
      || !public_query_id (req, "agency", &filter.agency_id)
      || !public_query_bool (req, "in_force", &filter.in_force))
    return 0;
  static const char *const kinds[] = { "warning",    "demerit_points", "fine",
                                       "suspension", "revocation",     "ban",
                                       NULL };
  if (!staff_query_word (req, "kind", kinds, &filter.kind))
    return 0;
  if (!staff_query_cursor (req, &filter.before_id))
    return 0;
  unsigned wanted = filter.limit;
  filter.limit = wanted + 1; /* one more says whether a next page exists */

  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_sanctions_staff_list (conn, &audit, &filter, &call);
  return staff_reply_page (req, &call, wanted);
}

int
h_agency_standing (struct request *req)
{
  int64_t id;
  if (!path_id (req, "an agency", &id))
    return 0;
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_agency_standing (conn, &audit, id, &call);
  return staff_reply_call (req, &call, 200, "standing");
}
