/*
 * Imports over HTTP, for administrators: upload a licence list (the body is
 * spooled to a temporary file as it arrives, see BODY_XML_STREAM, and read by
 * the very loader `fairreg import` uses), and read the recorded runs.
 *
 *   POST /v1/imports?authority=CODE&profile=NAME&dry_run=true&skip_invalid=true
 *     201 the report (imported), 200 the report (dry run),
 *     422 {"error": {...}, "report": {...}} (refused: nothing changed),
 *     400 unknown authority or profile, 500 {"error", "report"} (failed)
 *   GET /v1/imports?limit=&cursor=   {"items": [run], "next_cursor"}
 *   GET /v1/imports/{id}             {"import": run with its rejects}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/imports.h"
#include "h_staff.h"
#include "handlers.h"
#include "load.h"
#include "profile.h"
#include "reply.h"
#include "router.h"

#define IMPORTS_DEFAULT_LIMIT 20
#define IMPORTS_MAX_LIMIT 100

/* Reads boolean parameter NAME ("true" or "false", absent = false).  Replies
   and returns false when it is something else. */
static bool
flag_param (struct request *req, const char *name, bool *value)
{
  const char *text = request_query (req, name);
  *value = false;
  if (NULL == text || 0 == strcmp (text, "false"))
    return true;
  if (0 == strcmp (text, "true"))
  {
    *value = true;
    return true;
  }
  reply_error (req, ERR_BAD_PARAMETER, "%s must be true or false", name);
  return false;
}

/* An error answer that also carries the import report. */
static int
reply_error_with_report (struct request *req, enum error_code code,
                         const char *message, json_t *report)
{
  req->error_code = error_wire_code (code);
  return reply_json_steal (req, error_http_status (code),
                           json_pack ("{s:{s:s, s:s}, s:o}", "error", "code",
                                      error_wire_code (code), "message",
                                      message, "report", report));
}

int
h_imports_create (struct request *req)
{
  const char *authority = request_query (req, "authority");
  const char *profile_name = request_query (req, "profile");
  bool dry_run, skip_invalid;
  if (NULL == authority || '\0' == *authority)
    return reply_error (req, ERR_BAD_PARAMETER,
                        "authority is required: the code of the authority "
                        "whose list this is, e.g. PH-DMW");
  if (!flag_param (req, "dry_run", &dry_run)
      || !flag_param (req, "skip_invalid", &skip_invalid))
    return 0;
  if (NULL != profile_name && '\0' == *profile_name)
    profile_name = NULL;
  /* Only the built-in profiles: a path would read the server's files. */
  if (NULL != profile_name && NULL != strchr (profile_name, '/'))
    return reply_error (req, ERR_BAD_PARAMETER,
                        "profile must name a built-in profile, not a path");
  struct imp_profile *profile = NULL;
  if (NULL != profile_name)
  {
    char *error = NULL;
    profile = imp_profile_load (profile_name, &error);
    free (error);
    if (NULL == profile)
      return reply_error (req, ERR_BAD_PARAMETER,
                          "there is no usable built-in profile of that name");
  }
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
  {
    imp_profile_free (profile);
    return reply_error_default (req, ERR_UNAVAILABLE);
  }
  struct db_audit_context audit = request_audit (req);
  struct imp_load_options opt = {
    .authority = authority,
    .file_name = "upload",
    .profile_name = profile_name,
    .profile = profile,
    .dry_run = dry_run,
    .skip_invalid = skip_invalid,
    .started_by = req->who.user_id,
    .audit = &audit,
  };
  json_t *report = NULL;
  enum imp_outcome outcome = imp_load (conn, req->body_fd, &opt, &report);
  imp_profile_free (profile);
  switch (outcome)
  {
  case IMP_IMPORTED:
  case IMP_DRY_RUN:
  {
    char location[64];
    snprintf (location, sizeof location, "/v1/imports/%lld",
              (long long) json_integer_value (
                  json_object_get (report, "import_run")));
    reply_json_steal (req, (IMP_IMPORTED == outcome) ? 201 : 200, report);
    if (IMP_IMPORTED == outcome)
      reply_add_header (req, "Location", location);
    return 0;
  }
  case IMP_REFUSED:
  {
    char message[600];
    snprintf (message, sizeof message,
              "the licence list was refused and nothing was changed: %s",
              json_string_value (json_object_get (report, "error")));
    return reply_error_with_report (req, ERR_IMPORT_REFUSED, message, report);
  }
  case IMP_BAD_AUTHORITY:
    json_decref (report);
    return reply_error (req, ERR_BAD_PARAMETER,
                        "authority names no known authority; see GET "
                        "/v1/authorities");
  case IMP_NO_DATABASE:
    json_decref (report);
    return reply_error_default (req, ERR_UNAVAILABLE);
  case IMP_FAILED:
  default:
    return reply_error_with_report (
        req, ERR_INTERNAL, "the import failed and nothing was changed", report);
  }
}

int
h_imports_list (struct request *req)
{
  unsigned limit = IMPORTS_DEFAULT_LIMIT;
  const char *text = request_query (req, "limit");
  if (NULL != text)
  {
    char *end;
    unsigned long n = strtoul (text, &end, 10);
    if ('\0' == *text || '\0' != *end || n < 1 || n > IMPORTS_MAX_LIMIT)
      return reply_error (req, ERR_BAD_PARAMETER,
                          "limit must be a whole number from 1 to %d",
                          IMPORTS_MAX_LIMIT);
    limit = (unsigned) n;
  }
  int64_t before;
  if (!staff_query_cursor (req, &before))
    return 0;
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  json_t *items = NULL;
  int64_t next = 0;
  if (DB_FOUND != db_imports_list (conn, before, limit, &items, &next))
    return reply_error_default (req, ERR_UNAVAILABLE);
  char next_text[24];
  snprintf (next_text, sizeof next_text, "%lld", (long long) next);
  return reply_json_steal (
      req, 200,
      json_pack ("{s:o, s:o}", "items", items, "next_cursor",
                 (0 != next) ? json_string (next_text) : json_null ()));
}

int
h_imports_get (struct request *req)
{
  int64_t id;
  if (!request_path_id (req, 0, &id))
    return reply_error (req, ERR_BAD_ID,
                        "an import run id is a positive integer");
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  json_t *run = NULL;
  switch (db_import_get (conn, id, &run))
  {
  case DB_FOUND:
    return reply_json_steal (req, 200, json_pack ("{s:o}", "import", run));
  case DB_NOT_FOUND:
    return reply_error (req, ERR_NOT_FOUND, "no import run with that id");
  default:
    return reply_error_default (req, ERR_UNAVAILABLE);
  }
}
