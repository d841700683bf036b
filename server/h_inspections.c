/*
 * Inspections over HTTP (admins and inspectors; attachés and analysts are
 * refused by the route table, except for the checklist, which any staff
 * member may read).
 *
 *   GET   /v1/checklist                           the active checklist items
 *   POST  /v1/inspections                         plan one
 *   GET   /v1/inspections                         list, with filters
 *   GET   /v1/inspections/{id}                    one, with its findings
 *   PATCH /v1/inspections/{id}                    planned_on, inspectors,
 *                                                 status in_progress/cancelled
 *   PUT   /v1/inspections/{id}/findings/{item}    record one finding (upsert)
 *   POST  /v1/inspections/{id}/close              close with the outcome
 *
 * Who sees which inspection and what may change when are decided by the SQL
 * functions of schema/0060_inspections_sanctions.sql; these handlers parse
 * the address and the query, and reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/inspections.h"
#include "h_public.h"
#include "h_staff.h"
#include "handlers.h"
#include "reply.h"

#define LIST_DEFAULT_LIMIT 50
#define LIST_MAX_LIMIT 200

int
h_checklist_get (struct request *req)
{
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_checklist (conn, &audit, &call);
  return staff_reply_call (req, &call, 200, "items");
}

int
h_inspections_create (struct request *req)
{
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  char *body = staff_body_text (req);
  if (NULL == body)
    return 0;
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_inspection_plan (conn, &audit, body, &call);
  free (body);
  return staff_reply_call (req, &call, 201, "inspection");
}

/* Whether TEXT is a real calendar date YYYY-MM-DD. */
static bool
is_date (const char *text)
{
  static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  int y, m, d;
  char end;
  if (10 != strlen (text) || '-' != text[4] || '-' != text[7])
    return false;
  for (int i = 0; i < 10; i++)
    if (4 != i && 7 != i && (text[i] < '0' || text[i] > '9'))
      return false;
  if (3 != sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &end) || m < 1 || m > 12
      || d < 1 || d > days[m - 1])
    return false;
  bool leap = (0 == y % 4 && 0 != y % 100) || 0 == y % 400;
  return !(2 == m && 29 == d && !leap) && y >= 1;
}

int
h_inspections_list (struct request *req)
{
  struct db_inspection_filter filter = { .follow_up_overdue = -1 };
  if (!public_query_limit (req, "limit", LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT,
                           &filter.limit)
      || !public_query_id (req, "agency", &filter.agency_id)
      || !public_query_bool (req, "follow_up_overdue",
                             &filter.follow_up_overdue))
    return 0;
  static const char *const statuses[]
      = { "planned", "in_progress", "closed", "cancelled", NULL };
  if (!staff_query_word (req, "status", statuses, &filter.status))
    return 0;
  filter.due_before = request_query (req, "due_before");
  if (NULL != filter.due_before && !is_date (filter.due_before))
    return reply_error (req, ERR_BAD_PARAMETER,
                        "due_before must be a date YYYY-MM-DD");
  const char *mine = request_query (req, "mine");
  if (NULL != mine && 0 != strcmp (mine, "true") && 0 != strcmp (mine, "false"))
    return reply_error (req, ERR_BAD_PARAMETER, "mine must be true or false");
  filter.mine = (NULL != mine && 0 == strcmp (mine, "true")) ? 1 : 0;
  if (!staff_query_cursor (req, &filter.before_id))
    return 0;
  unsigned wanted = filter.limit;
  filter.limit = wanted + 1; /* one more says whether a next page exists */

  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_inspections_list (conn, &audit, &filter, &call);
  return staff_reply_page (req, &call, wanted);
}

/* The inspection id of the address; false after replying 400. */
static bool
inspection_id (struct request *req, int64_t *id)
{
  if (request_path_id (req, 0, id))
    return true;
  reply_error (req, ERR_BAD_ID, "an inspection id is a positive integer");
  return false;
}

int
h_inspection_get (struct request *req)
{
  int64_t id;
  if (!inspection_id (req, &id))
    return 0;
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_inspection_get (conn, &audit, id, &call);
  return staff_reply_call (req, &call, 200, "inspection");
}

/* Runs ACTION on the inspection of the address with the request's body. */
static int
inspection_act (struct request *req, enum db_inspection_action action)
{
  int64_t id;
  if (!inspection_id (req, &id))
    return 0;
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  char *body = staff_body_text (req);
  if (NULL == body)
    return 0;
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_inspection_act (conn, &audit, action, id, body, &call);
  free (body);
  return staff_reply_call (req, &call, 200, "inspection");
}

int
h_inspection_update (struct request *req)
{
  return inspection_act (req, DB_INSPECTION_UPDATE);
}

int
h_inspection_close (struct request *req)
{
  return inspection_act (req, DB_INSPECTION_CLOSE);
}

int
h_inspection_finding_put (struct request *req)
{
  int64_t id;
  if (!inspection_id (req, &id))
    return 0;
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  char *body = staff_body_text (req);
  if (NULL == body)
    return 0;
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_inspection_finding (conn, &audit, id, request_path_param (req, 1), body,
                         &call);
  free (body);
  return staff_reply_call (req, &call, 200, "inspection");
}
