/*
 * The route table (the registry's whole HTTP surface and its permission
 * matrix, in one place) and the matcher the dispatcher in http.c calls.
 * Patterns are literal segments and {name} placeholders that match one
 * non-empty segment.  Keep the table grouped by resource, in the order of the
 * OpenAPI document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "router.h"

#define KB 1024

static const char *const no_params[] = { NULL };
static const char *const format_params[] = { "format", NULL };
static const char *const home_params[] = { "lang", NULL };
static const char *const import_params[]
    = { "authority", "profile", "dry_run", "skip_invalid", NULL };
static const char *const page_params[] = { "limit", "cursor", NULL };
static const char *const agencies_params[]
    = { "q", "country", "standing", "limit", "cursor", NULL };
static const char *const licences_params[] = { "number", NULL };
static const char *const sanctions_params[] = { "active", NULL };
static const char *const staff_sanctions_params[]
    = { "agency", "kind", "in_force", "limit", "cursor", NULL };
static const char *const inspections_params[]
    = { "agency", "status", "due_before", "follow_up_overdue",
        "mine",   "limit",  "cursor",     NULL };
static const char *const export_xml_params[] = { "authority", NULL };
static const char *const changes_params[]
    = { "since", "limit", "agency", NULL };
static const char *const feed_params[] = { "agency", NULL };
static const char *const stats_params[] = { "group_by", "from", "to", NULL };
static const char *const audit_params[]
    = { "entity", "entity_id", "actor_user_id", "request_id", "action",
        "from",   "to",        "limit",         "cursor",     NULL };
static const char *const complaints_params[]
    = { "status",  "agency", "assigned", "overdue",
        "mission", "limit",  "cursor",   NULL };

#define ROLE_CASEWORK (ROLE_ADMIN | ROLE_INSPECTOR)
#define ROLE_CASE_READERS (ROLE_ADMIN | ROLE_INSPECTOR | ROLE_ATTACHE)

/* clang-format off */
const struct route router_routes[] = {
  /* method, pattern, handler, roles, query params, body, body limit, db, template */
  { "GET",    "/",                         h_home,             ROLE_NONE,  home_params,   BODY_NONE, 0,      DB_PUBLIC, "home" },
  { "GET",    "/healthz",                  h_healthz,          ROLE_NONE,  no_params,     BODY_NONE, 0,      DB_NONE,   NULL },
  { "GET",    "/readyz",                   h_readyz,           ROLE_NONE,  no_params,     BODY_NONE, 0,      DB_PUBLIC, NULL },
  { "GET",    "/metrics",                  h_metrics,          ROLE_NONE,  no_params,     BODY_NONE, 0,      DB_NONE,   NULL },
  { "GET",    "/openapi.json",             h_openapi,          ROLE_NONE,  no_params,     BODY_NONE, 0,      DB_NONE,   NULL },

  { "POST",   "/v1/auth/tokens",           h_tokens_create,    ROLE_NONE,  no_params,     BODY_JSON, 4 * KB, DB_APP,    NULL },
  { "GET",    "/v1/auth/tokens/current",   h_tokens_current,   ROLE_STAFF, no_params,     BODY_NONE, 0,      DB_APP,    NULL },
  { "DELETE", "/v1/auth/tokens/current",   h_tokens_revoke,    ROLE_STAFF, no_params,     BODY_NONE, 0,      DB_APP,    NULL },

  { "GET",    "/v1/users",                 h_users_list,       ROLE_ADMIN, no_params,     BODY_NONE, 0,      DB_APP,    NULL },
  { "POST",   "/v1/users",                 h_users_create,     ROLE_ADMIN, no_params,     BODY_JSON, 4 * KB, DB_APP,    NULL },
  { "GET",    "/v1/users/{id}",            h_users_get,        ROLE_ADMIN, no_params,     BODY_NONE, 0,      DB_APP,    NULL },
  { "PATCH",  "/v1/users/{id}",            h_users_update,     ROLE_ADMIN, no_params,     BODY_JSON, 4 * KB, DB_APP,    NULL },

  /* The body of an upload streams to a temporary file (BODY_XML_STREAM): its
     limit is FAIRREG_IMPORT_MAX_BYTES, not the limit column. */
  { "POST",   "/v1/imports",               h_imports_create,   ROLE_ADMIN, import_params, BODY_XML_STREAM, 0, DB_APP, NULL },
  { "GET",    "/v1/imports",               h_imports_list,     ROLE_ADMIN, page_params,   BODY_NONE, 0,      DB_APP,    NULL },
  { "GET",    "/v1/imports/{id}",          h_imports_get,      ROLE_ADMIN, no_params,     BODY_NONE, 0,      DB_APP,    NULL },

  { "GET",    "/v1/authorities",           h_authorities_list, ROLE_NONE,  format_params, BODY_NONE, 0,      DB_PUBLIC, NULL },
  { "GET",    "/v1/agencies",              h_agencies_list,    ROLE_NONE,  agencies_params, BODY_NONE, 0,    DB_PUBLIC, NULL },
  { "GET",    "/v1/agencies/{id}",         h_agency_get,       ROLE_NONE,  no_params,     BODY_NONE, 0,      DB_PUBLIC, NULL },
  { "GET",    "/v1/licences",              h_licences_lookup,  ROLE_NONE,  licences_params, BODY_NONE, 0,    DB_PUBLIC, NULL },
  { "GET",    "/v1/licences/{id}",         h_licence_get,      ROLE_NONE,  no_params,     BODY_NONE, 0,      DB_PUBLIC, NULL },
  { "GET",    "/v1/sanctions",             h_sanctions_list,   ROLE_NONE,  sanctions_params, BODY_NONE, 0,   DB_PUBLIC, NULL },
  { "GET",    "/v1/export/licences.csv",   h_export_licences_csv,  ROLE_NONE, no_params, BODY_NONE, 0,       DB_PUBLIC, NULL },
  { "GET",    "/v1/export/licences.json",  h_export_licences_json, ROLE_NONE, no_params, BODY_NONE, 0,       DB_PUBLIC, NULL },
  { "GET",    "/v1/export/licences.xml",   h_export_licences_xml,  ROLE_NONE, export_xml_params, BODY_NONE, 0, DB_PUBLIC, NULL },
  { "GET",    "/v1/changes",               h_changes_list,     ROLE_NONE,  changes_params, BODY_NONE, 0,     DB_PUBLIC, NULL },
  { "GET",    "/feeds/licences.atom",      h_feed_licences,    ROLE_NONE,  feed_params,   BODY_NONE, 0,      DB_PUBLIC, NULL },

  /* Public, suppressed; an analyst's or administrator's token gets every
     count, read on the application connection (h_stats.c decides). */
  { "GET",    "/v1/stats/complaints",      h_stats_complaints, ROLE_NONE,  stats_params,  BODY_NONE, 0,      DB_PUBLIC, NULL },
  { "GET",    "/v1/audit",                 h_audit_list,       ROLE_ADMIN, audit_params,  BODY_NONE, 0,      DB_APP,    NULL },

  /* Complaints: filed by anyone but analysts; who sees which is decided in
     schema/0051_complaints.sql. */
  { "POST",   "/v1/complaints",            h_complaints_create, ROLE_ANONYMOUS | ROLE_CASE_READERS, no_params, BODY_JSON, 64 * KB, DB_APP, NULL },
  { "GET",    "/v1/complaint-status/{reference}", h_complaint_status, ROLE_NONE, no_params, BODY_NONE, 0, DB_PUBLIC, NULL },
  { "GET",    "/v1/complaints",            h_complaints_list,  ROLE_CASE_READERS, complaints_params, BODY_NONE, 0, DB_APP, NULL },
  { "GET",    "/v1/complaints/{id}",       h_complaint_get,    ROLE_CASE_READERS, no_params, BODY_NONE, 0,    DB_APP,    NULL },
  { "PATCH",  "/v1/complaints/{id}",       h_complaint_update, ROLE_CASEWORK, no_params,     BODY_JSON, 4 * KB, DB_APP,    NULL },
  { "POST",   "/v1/complaints/{id}/assignment", h_complaint_assign, ROLE_CASEWORK, no_params, BODY_JSON, 4 * KB, DB_APP, NULL },
  { "POST",   "/v1/complaints/{id}/status", h_complaint_move,  ROLE_CASE_READERS, no_params, BODY_JSON, 32 * KB, DB_APP, NULL },
  { "POST",   "/v1/complaints/{id}/notes", h_complaint_note,   ROLE_CASE_READERS, no_params, BODY_JSON, 32 * KB, DB_APP, NULL },

  /* Inspections, sanctions and direct licence status decisions: admins and
     inspectors (of their own authority: schema/0060_inspections_sanctions.sql
     decides which inspection, agency and licence).  GET /v1/sanctions above
     stays the public list; staff read every sanction at /v1/staff/sanctions. */
  { "GET",    "/v1/checklist",             h_checklist_get,    ROLE_STAFF, no_params,     BODY_NONE, 0,      DB_APP,    NULL },
  { "POST",   "/v1/inspections",           h_inspections_create, ROLE_CASEWORK, no_params, BODY_JSON, 16 * KB, DB_APP,  NULL },
  { "GET",    "/v1/inspections",           h_inspections_list, ROLE_CASEWORK, inspections_params, BODY_NONE, 0, DB_APP, NULL },
  { "GET",    "/v1/inspections/{id}",      h_inspection_get,   ROLE_CASEWORK, no_params,  BODY_NONE, 0,      DB_APP,    NULL },
  { "PATCH",  "/v1/inspections/{id}",      h_inspection_update, ROLE_CASEWORK, no_params, BODY_JSON, 4 * KB, DB_APP,    NULL },
  { "PUT",    "/v1/inspections/{id}/findings/{item}", h_inspection_finding_put, ROLE_CASEWORK, no_params, BODY_JSON, 16 * KB, DB_APP, NULL },
  { "POST",   "/v1/inspections/{id}/close", h_inspection_close, ROLE_CASEWORK, no_params, BODY_JSON, 32 * KB, DB_APP,    NULL },
  { "POST",   "/v1/sanctions",             h_sanctions_create, ROLE_CASEWORK, no_params,  BODY_JSON, 8 * KB, DB_APP,    NULL },
  { "GET",    "/v1/sanctions/{id}",        h_sanction_get,     ROLE_CASEWORK, no_params,  BODY_NONE, 0,      DB_APP,    NULL },
  { "POST",   "/v1/sanctions/{id}/lift",   h_sanction_lift,    ROLE_CASEWORK, no_params,  BODY_JSON, 8 * KB, DB_APP,    NULL },
  { "GET",    "/v1/staff/sanctions",       h_sanctions_staff_list, ROLE_CASEWORK, staff_sanctions_params, BODY_NONE, 0, DB_APP, NULL },
  { "GET",    "/v1/agencies/{id}/standing", h_agency_standing, ROLE_CASEWORK, no_params,  BODY_NONE, 0,      DB_APP,    NULL },
  { "POST",   "/v1/licences/{id}/status",  h_licence_status_set, ROLE_CASEWORK, no_params, BODY_JSON, 8 * KB, DB_APP,   NULL },
};
/* clang-format on */

const size_t router_route_count
    = sizeof router_routes / sizeof router_routes[0];

size_t
router_index (const struct route *route)
{
  return (size_t) (route - router_routes);
}

/* Matches PATH against PATTERN segment by segment.  On success stores the
   placeholder segments (malloc'ed) into req; on failure stores nothing. */
static bool
pattern_match (const char *pattern, const char *path, struct request *req,
               bool capture)
{
  const char *captured[REQUEST_MAX_PATH_PARAMS];
  size_t captured_len[REQUEST_MAX_PATH_PARAMS];
  unsigned count = 0;
  const char *p = pattern;
  const char *s = path;
  while ('\0' != *p && '\0' != *s)
  {
    if ('{' == *p)
    {
      const char *close = strchr (p, '}');
      size_t seg = strcspn (s, "/");
      if (NULL == close || 0 == seg || count == REQUEST_MAX_PATH_PARAMS)
        return false;
      captured[count] = s;
      captured_len[count++] = seg;
      p = close + 1;
      s += seg;
      continue;
    }
    if (*p != *s)
      return false;
    p++;
    s++;
  }
  if ('\0' != *p || '\0' != *s)
    return false;
  if (capture)
  {
    for (unsigned i = 0; i < count; i++)
    {
      req->path_params[i] = strndup (captured[i], captured_len[i]);
      if (NULL == req->path_params[i])
        abort ();
    }
    req->path_param_count = count;
  }
  return true;
}

enum router_match
router_match (struct request *req, const char *method, const char *path,
              const struct route **route, char *allow, size_t allow_size)
{
  const char *wanted = (0 == strcmp (method, "HEAD")) ? "GET" : method;
  bool path_known = false;
  size_t used = 0;
  allow[0] = '\0';
  for (size_t i = 0; i < router_route_count; i++)
  {
    const struct route *r = &router_routes[i];
    if (!pattern_match (r->pattern, path, req, false))
      continue;
    if (0 == strcmp (r->method, wanted))
    {
      pattern_match (r->pattern, path, req, true);
      *route = r;
      return ROUTER_FOUND;
    }
    path_known = true;
    int n = snprintf (allow + used, allow_size - used, "%s%s",
                      (0 == used) ? "" : ", ", r->method);
    if (n > 0 && (size_t) n < allow_size - used)
      used += (size_t) n;
    if (0 == strcmp (r->method, "GET")
        && (size_t) snprintf (allow + used, allow_size - used, ", HEAD")
               < allow_size - used)
      used += strlen (", HEAD");
  }
  return path_known ? ROUTER_NO_METHOD : ROUTER_NO_PATH;
}
