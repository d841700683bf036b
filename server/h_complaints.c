/*
 * Complaints over HTTP.
 *
 *   POST  /v1/complaints                    file (anyone but analysts)
 *   GET   /v1/complaint-status/{reference}  the worker's view (public)
 *   GET   /v1/complaints                    staff list, with filters
 *   GET   /v1/complaints/{id}               one complaint
 *   PATCH /v1/complaints/{id}               priority, links to agency,
 *                                           licence, inspection, authority
 *   POST  /v1/complaints/{id}/assignment    assign or unassign
 *   POST  /v1/complaints/{id}/status        move to the next status
 *   POST  /v1/complaints/{id}/notes         public or internal note
 *
 * The rules (who sees what, which moves, which fields) are in the SQL
 * functions of schema/0051_complaints.sql; these handlers parse the address,
 * make the reference, and reply.  Nothing a complainant wrote is ever put in
 * a log line or an error message here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "complaint_ref.h"
#include "config.h"
#include "db/complaints.h"
#include "h_public.h"
#include "h_staff.h"
#include "handlers.h"
#include "ratelimit.h"
#include "reply.h"

#define LIST_DEFAULT_LIMIT 50
#define LIST_MAX_LIMIT 200
#define REFERENCE_ATTEMPTS 3

/* Refuses a filing without a token over the per-address limit (429). */
static bool
within_filing_limit (struct request *req)
{
  if (req->who.authenticated)
    return true;
  struct ratelimit *limiter = auth_filing_limiter ();
  unsigned retry_after = 0;
  if (!ratelimit_allows (limiter, req->client_addr, &retry_after))
  {
    char seconds[16];
    snprintf (seconds, sizeof seconds, "%u", retry_after);
    reply_error (req, ERR_RATE_LIMITED,
                 "too many complaints filed from your address; retry in %u s",
                 retry_after);
    reply_add_header (req, "Retry-After", seconds);
    return false;
  }
  ratelimit_charge (limiter, req->client_addr);
  return true;
}

/* The address of the worker's status page for REFERENCE (malloc'ed). */
static char *
status_url (const char *reference)
{
  size_t len = strlen (config.public_url);
  while (len > 0 && '/' == config.public_url[len - 1])
    len--;
  char *url = NULL;
  if (asprintf (&url, "%.*s/v1/complaint-status/%s", (int) len,
                config.public_url, reference)
      < 0)
    abort ();
  return url;
}

int
h_complaints_create (struct request *req)
{
  if (!within_filing_limit (req))
    return 0;
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  char *body = staff_body_text (req);
  if (NULL == body)
    return 0;
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  char reference[COMPLAINT_REF_SIZE];
  for (int attempt = 0; attempt < REFERENCE_ATTEMPTS; attempt++)
  {
    complaint_ref_new (reference);
    db_complaint_file (conn, &audit, body, reference, &call);
    if (0 != strcmp (call.sqlstate, "23505"))
      break;
  }
  free (body);
  if (call.qs < 0 || NULL == call.answer)
    return staff_reply_call (req, &call, 201, NULL);

  /* The fixed answer; staff also get the id they work the case by. */
  char *url = status_url (reference);
  json_t *answer = json_pack ("{s:s, s:s, s:s}", "reference", reference,
                              "status", "received", "status_url", url);
  if (NULL != answer && req->who.authenticated)
    json_object_set (answer, "id", json_object_get (call.answer, "id"));
  db_call_release (&call);
  reply_json_steal (req, 201, answer);
  reply_add_header (req, "Location", url);
  free (url);
  return 0;
}

int
h_complaint_status (struct request *req)
{
  char reference[COMPLAINT_REF_SIZE];
  switch (complaint_ref_parse (request_path_param (req, 0), reference))
  {
  case COMPLAINT_REF_OK:
    break;
  case COMPLAINT_REF_MISTYPED:
    return reply_error (req, ERR_BAD_ID,
                        "this reference has a typing mistake (its last "
                        "character does not match the others): check it "
                        "against the one you were given");
  case COMPLAINT_REF_MALFORMED:
  default:
    return reply_error (req, ERR_BAD_ID,
                        "a complaint reference has 12 letters and digits, "
                        "like K7Q4-M2XP-9DRT");
  }
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  enum db_lookup found;
  json_t *status = db_complaint_status (conn, reference, &found);
  switch (found)
  {
  case DB_FOUND:
    /* A tracking reference is a secret: no shared cache keeps the answer. */
    reply_json_steal (req, 200, status);
    reply_add_header (req, "Cache-Control", "private, no-store");
    return 0;
  case DB_NOT_FOUND:
    return reply_error (req, ERR_NOT_FOUND, "no complaint has this reference");
  default:
    return reply_error_default (req, ERR_UNAVAILABLE);
  }
}

int
h_complaints_list (struct request *req)
{
  struct db_complaint_filter filter = { .overdue = -1 };
  if (!public_query_limit (req, "limit", LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT,
                           &filter.limit)
      || !public_query_id (req, "agency", &filter.agency_id)
      || !public_query_bool (req, "overdue", &filter.overdue))
    return 0;
  static const char *const statuses[]
      = { "received",     "acknowledged", "investigating",
          "conciliation", "resolved",     "referred",
          "dismissed",    "withdrawn",    NULL };
  if (!staff_query_word (req, "status", statuses, &filter.status))
    return 0;
  const char *assigned = request_query (req, "assigned");
  if (NULL != assigned && 0 != strcmp (assigned, "me"))
    return reply_error (req, ERR_BAD_PARAMETER, "assigned takes one value: me");
  filter.assigned_to_me = (NULL != assigned) ? 1 : 0;
  filter.mission = request_query (req, "mission");
  if (NULL != filter.mission && strlen (filter.mission) > 32)
    return reply_error (req, ERR_BAD_PARAMETER,
                        "mission is a mission code such as MM-EMB-BKK");
  if (!staff_query_cursor (req, &filter.before_id))
    return 0;
  unsigned wanted = filter.limit;
  filter.limit = wanted + 1; /* one more says whether a next page exists */

  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_complaints_list (conn, &audit, &filter, &call);
  return staff_reply_page (req, &call, wanted);
}

/* The complaint id of the address; false after replying 400. */
static bool
complaint_id (struct request *req, int64_t *id)
{
  if (request_path_id (req, 0, id))
    return true;
  reply_error (req, ERR_BAD_ID, "a complaint id is a positive integer");
  return false;
}

int
h_complaint_get (struct request *req)
{
  int64_t id;
  if (!complaint_id (req, &id))
    return 0;
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_complaint_get (conn, &audit, id, &call);
  return staff_reply_call (req, &call, 200, "complaint");
}

/* Runs ACTION on the complaint of the address with the request's body. */
static int
complaint_act (struct request *req, enum db_complaint_action action)
{
  int64_t id;
  if (!complaint_id (req, &id))
    return 0;
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  char *body = staff_body_text (req);
  if (NULL == body)
    return 0;
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_complaint_act (conn, &audit, action, id, body, &call);
  free (body);
  return staff_reply_call (req, &call, 200, "complaint");
}

int
h_complaint_update (struct request *req)
{
  return complaint_act (req, DB_COMPLAINT_UPDATE);
}

int
h_complaint_assign (struct request *req)
{
  return complaint_act (req, DB_COMPLAINT_ASSIGN);
}

int
h_complaint_move (struct request *req)
{
  return complaint_act (req, DB_COMPLAINT_MOVE);
}

int
h_complaint_note (struct request *req)
{
  return complaint_act (req, DB_COMPLAINT_NOTE);
}
