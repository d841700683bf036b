/*
 * GET /v1/licences?number= (the check a worker makes with the number a
 * recruiter showed them: spaces, case, hyphens, dots and slashes do not
 * matter) and GET /v1/licences/{id}; and for staff POST
 * /v1/licences/{id}/status, a direct change of the listed status with a
 * reason (admins, and inspectors of the issuing authority: the rule is in
 * fr_licence_set_status, schema/0060_inspections_sanctions.sql).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "db/licences.h"
#include "h_public.h"
#include "h_staff.h"
#include "handlers.h"
#include "http.h"
#include "reply.h"

/* Bytes of a licence number as typed; the longest real ones are ~30. */
#define LICENCES_MAX_NUMBER 200

int
h_licences_lookup (struct request *req)
{
  const char *number = request_query (req, "number");
  bool blank = true;
  for (const char *p = (NULL != number) ? number : ""; '\0' != *p; p++)
    if (!isspace ((unsigned char) *p))
      blank = false;
  if (blank)
    return reply_error (req, ERR_BAD_PARAMETER,
                        "number is required: the licence number to look up");
  if (strlen (number) > LICENCES_MAX_NUMBER)
    return reply_error (req, ERR_BAD_PARAMETER,
                        "number is longer than %d bytes", LICENCES_MAX_NUMBER);
  /* The same number asked since the last change: from memory, once the
     register version is read after this request arrived (cache.c says why
     that makes the answer never stale). */
  struct cache_version version;
  switch (http_request_version (req, &version))
  {
  case CACHE_VERSION_PENDING:
    return 0; /* called again once it is read */
  case CACHE_VERSION_READ:
    if (cache_serve (req, &version, number, strlen (number)))
      return 0;
    break;
  case CACHE_VERSION_FAILED:
    break;
  }
  /* From the database, in one round trip: what is stored is labelled with
     the version read in the same statement, so from the same snapshot. */
  struct db_conn *conn = request_db (req);
  json_t *items = (NULL != conn) ? db_licences_by_number (
                      conn, number, &version.version, &version.day)
                                 : NULL;
  if (NULL == items)
    return reply_error_default (req, ERR_UNAVAILABLE);
  return cache_reply_json_steal (req, &version, number, strlen (number),
                                 json_pack ("{s:o}", "items", items));
}

int
h_licence_get (struct request *req)
{
  int64_t id;
  if (!request_path_id (req, 0, &id))
    return reply_error (req, ERR_BAD_ID, "the licence id must be a number");
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  json_t *licence = NULL;
  switch (db_licence_get (conn, id, &licence))
  {
  case DB_FOUND:
    return public_reply_json_steal (req, licence);
  case DB_NOT_FOUND:
    return reply_error (req, ERR_NOT_FOUND, "no licence with that id");
  case DB_FAILED:
    break;
  }
  return reply_error_default (req, ERR_UNAVAILABLE);
}

int
h_licence_status_set (struct request *req)
{
  int64_t id;
  if (!request_path_id (req, 0, &id))
    return reply_error (req, ERR_BAD_ID, "the licence id must be a number");
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  char *body = staff_body_text (req);
  if (NULL == body)
    return 0;
  struct db_audit_context audit = request_audit (req);
  struct db_call call;
  db_licence_set_status (conn, &audit, id, body, &call);
  free (body);
  return staff_reply_call (req, &call, 200, NULL);
}
