/*
 * GET /v1/stats/complaints?group_by=&from=&to=: how many complaints, grouped
 * by any of sex, nationality, destination_country, sector, category,
 * channel, status and month, over whole months (DESIGN.md section 5).
 *
 * Who sees what is decided here, once: the public (anonymous callers, and
 * staff other than analysts and administrators) gets pub_complaint_stats,
 * read as fairreg_public, in which cells under 5 and the cells that would
 * give them away are suppressed (schema/0070_stats_audit.sql); an analyst's
 * or administrator's token gets every count, read as fairreg_app, in a
 * private answer that no cache may keep.
 *
 *   200 {"group_by": [dimension], "from": "YYYY-MM" or null, "to": ...,
 *        "rows": [{dimension: value or null, ..., "count": n or null,
 *                  "suppressed": true (public answers, suppressed rows)}]}
 *   400 bad_parameter: group_by, from or to malformed, or from after to
 */
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "db/stats.h"
#include "handlers.h"
#include "http.h"
#include "reply.h"

/* The roles that see the figures unsuppressed. */
#define STATS_UNSUPPRESSED_ROLES (ROLE_ANALYST | ROLE_ADMIN)

#define STATS_DIMENSION_LIST                                                   \
  "sex, nationality, destination_country, sector, category, channel, "         \
  "status, month"

/* Reads group_by (absent or empty: no grouping, one total row) into DIMS.
   Replies 400 and returns false when it is not a comma-separated list of
   distinct dimensions. */
static bool
parse_group_by (struct request *req, unsigned dims[DB_STATS_DIMENSION_COUNT],
                size_t *ndims)
{
  const char *text = request_query (req, "group_by");
  *ndims = 0;
  if (NULL == text || '\0' == *text)
    return true;
  const char *p = text;
  for (;;)
  {
    size_t len = strcspn (p, ",");
    unsigned found = DB_STATS_DIMENSION_COUNT;
    for (unsigned d = 0; d < DB_STATS_DIMENSION_COUNT; d++)
      if (strlen (db_stats_dimensions[d]) == len
          && 0 == strncmp (db_stats_dimensions[d], p, len))
        found = d;
    if (DB_STATS_DIMENSION_COUNT == found)
    {
      reply_error (req, ERR_BAD_PARAMETER,
                   "group_by must be a comma-separated list of dimensions "
                   "from: " STATS_DIMENSION_LIST);
      return false;
    }
    for (size_t i = 0; i < *ndims; i++)
      if (dims[i] == found)
      {
        reply_error (req, ERR_BAD_PARAMETER,
                     "group_by names %s twice; each dimension may appear "
                     "once",
                     db_stats_dimensions[found]);
        return false;
      }
    dims[(*ndims)++] = found;
    if ('\0' == p[len])
      return true;
    p += len + 1;
  }
}

/* Reads month parameter NAME (YYYY-MM) into MONTH ("YYYY-MM", empty when
   absent) and DAY (its first day, "YYYY-MM-01", for the database).  Replies
   400 and returns false when it is not a month. */
static bool
parse_month (struct request *req, const char *name, char month[8], char day[11])
{
  const char *text = request_query (req, name);
  month[0] = '\0';
  day[0] = '\0';
  if (NULL == text)
    return true;
  bool ok = 7 == strlen (text) && '-' == text[4]
            && 4 == strspn (text, "0123456789")
            && 2 == strspn (text + 5, "0123456789")
            && 0 != strncmp (text, "0000", 4);
  int number = ok ? (text[5] - '0') * 10 + (text[6] - '0') : 0;
  if (!ok || number < 1 || number > 12)
  {
    reply_error (req, ERR_BAD_PARAMETER,
                 "%s must be a month as YYYY-MM, e.g. 2026-01", name);
    return false;
  }
  memcpy (month, text, 8);
  snprintf (day, 11, "%s-01", text);
  return true;
}

int
h_stats_complaints (struct request *req)
{
  unsigned dims[DB_STATS_DIMENSION_COUNT];
  size_t ndims;
  char from[8], to[8], from_day[11], to_day[11];
  if (!parse_group_by (req, dims, &ndims)
      || !parse_month (req, "from", from, from_day)
      || !parse_month (req, "to", to, to_day))
    return 0;
  /* YYYY-MM strings compare as their months do. */
  if ('\0' != from[0] && '\0' != to[0] && strcmp (from, to) > 0)
    return reply_error (req, ERR_BAD_PARAMETER, "from must not be after to");

  /* A public answer (the same for everyone) comes from memory when the same
     question was answered since the last change: a query over every
     dimension of a large register costs the database seconds. */
  bool full = req->who.authenticated
              && 0 != (req->who.role & STATS_UNSUPPRESSED_ROLES);
  struct cache_version version;
  bool versioned = false;
  char key[160];
  int key_len = 0;
  if (!full)
  {
    key_len = snprintf (key, sizeof key, "%s|%s|", from, to);
    for (size_t i = 0; i < ndims; i++)
      key_len += snprintf (key + key_len, sizeof key - (size_t) key_len, "%u,",
                           dims[i]);
    switch (http_request_version (req, &version))
    {
    case CACHE_VERSION_PENDING:
      return 0; /* called again once it is read */
    case CACHE_VERSION_READ:
      if (cache_serve (req, &version, key, (size_t) key_len))
      {
        reply_add_header (req, MHD_HTTP_HEADER_VARY, "Authorization");
        return 0;
      }
      break;
    case CACHE_VERSION_FAILED:
      break;
    }
  }
  struct db_conn *conn
      = request_db_elevated (req, STATS_UNSUPPRESSED_ROLES, &full);
  if (!full)
    versioned = cache_version_read (conn, &version);
  json_t *rows = NULL;
  if (NULL != conn)
    rows = db_stats_complaints (conn, dims, ndims,
                                ('\0' != from[0]) ? from_day : NULL,
                                ('\0' != to[0]) ? to_day : NULL, full);
  if (NULL == rows)
    return reply_error_default (req, ERR_UNAVAILABLE);
  json_t *group_by = json_array ();
  for (size_t i = 0; i < ndims; i++)
    json_array_append_new (group_by,
                           json_string (db_stats_dimensions[dims[i]]));
  json_t *answer = json_pack ("{s:o, s:s?, s:s?, s:o}", "group_by", group_by,
                              "from", ('\0' != from[0]) ? from : NULL, "to",
                              ('\0' != to[0]) ? to : NULL, "rows", rows);
  if (full)
  {
    reply_json_steal (req, 200, answer);
    reply_add_header (req, MHD_HTTP_HEADER_CACHE_CONTROL, "private, no-store");
  }
  else
    cache_reply_json_steal (req, versioned ? &version : NULL, key,
                            (size_t) key_len, answer);
  /* The same address answers differently with an analyst's token. */
  reply_add_header (req, MHD_HTTP_HEADER_VARY, "Authorization");
  return 0;
}
