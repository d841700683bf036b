/*
 * GET /v1/audit: the audit log, for administrators only (the route table
 * says so): every write by anyone, newest first, as the triggers recorded it
 * with personal fields and secrets masked (db/audit.h).
 *
 *   ?entity=TABLE&entity_id=ID&actor_user_id=N&request_id=ID
 *    &action=insert|update|delete&from=TIME&to=TIME&limit=N&cursor=C
 *   200 {"items": [entry], "next_cursor": string or null}
 *   400 bad_parameter
 *
 * from (inclusive) and to (exclusive) are RFC 3339 times; limit is 1 to 500
 * (50 when absent); cursor is the next_cursor of the previous page of the
 * same query, opaque and bound to its filters (h_public.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/audit.h"
#include "h_public.h"
#include "handlers.h"
#include "reply.h"

#define AUDIT_DEFAULT_LIMIT 50
#define AUDIT_MAX_LIMIT 500
#define AUDIT_MAX_ID_LENGTH 64

/* An instant parsed from RFC 3339, and the same instant as the database
   reads it: in UTC, to the microsecond (so that leap seconds and offsets
   never reach its parser, which refuses a few of them). */
struct audit_time
{
  long long seconds; /* since the epoch */
  long microseconds;
  char text[64]; /* YYYY-MM-DDTHH:MM:SS.uuuuuuZ */
};

/* Reads N decimal digits at P into *VALUE; false at the first non-digit
   (so never past the end of the string). */
static bool
read_digits (const char *p, int n, int *value)
{
  *value = 0;
  for (int i = 0; i < n; i++)
  {
    if (p[i] < '0' || p[i] > '9')
      return false;
    *value = *value * 10 + (p[i] - '0');
  }
  return true;
}

static int
days_in_month (int year, int month)
{
  static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  bool leap = (0 == year % 4 && 0 != year % 100) || 0 == year % 400;
  return (2 == month && leap) ? 29 : days[month - 1];
}

/* Parses TEXT as an RFC 3339 date-time (section 5.6: a T and a Z in either
   case, up to 9 digits of fractions, Z or a numeric offset). */
static bool
parse_time (const char *text, struct audit_time *out)
{
  int year, month, day, hour, minute, second, off_hour = 0, off_minute = 0;
  const char *p = text;
  if (!read_digits (p, 4, &year) || '-' != p[4]
      || !read_digits (p + 5, 2, &month) || '-' != p[7]
      || !read_digits (p + 8, 2, &day) || ('T' != p[10] && 't' != p[10])
      || !read_digits (p + 11, 2, &hour) || ':' != p[13]
      || !read_digits (p + 14, 2, &minute) || ':' != p[16]
      || !read_digits (p + 17, 2, &second))
    return false;
  p += 19;
  long nanoseconds = 0;
  if ('.' == *p)
  {
    int digits = 0;
    for (p++; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
      nanoseconds = nanoseconds * 10 + (*p - '0');
    if (0 == digits)
      return false;
    for (; digits < 9; digits++)
      nanoseconds *= 10;
  }
  int sign = 0;
  if ('Z' == *p || 'z' == *p)
    p++;
  else if ('+' == *p || '-' == *p)
  {
    sign = ('+' == *p) ? 1 : -1;
    if (!read_digits (p + 1, 2, &off_hour) || ':' != p[3]
        || !read_digits (p + 4, 2, &off_minute))
      return false;
    p += 6;
  }
  else
    return false;
  if ('\0' != *p || year < 1 || month < 1 || month > 12 || day < 1
      || day > days_in_month (year, month) || hour > 23 || minute > 59
      || second > 60 || off_hour > 23 || off_minute > 59)
    return false;
  struct tm local = { .tm_year = year - 1900,
                      .tm_mon = month - 1,
                      .tm_mday = day,
                      .tm_hour = hour,
                      .tm_min = minute,
                      .tm_sec = second };
  time_t instant
      = timegm (&local) - sign * (off_hour * 3600LL + off_minute * 60LL);
  struct tm utc;
  if (NULL == gmtime_r (&instant, &utc) || utc.tm_year + 1900 < 1
      || utc.tm_year + 1900 > 9999)
    return false;
  out->seconds = (long long) instant;
  out->microseconds = nanoseconds / 1000;
  snprintf (out->text, sizeof out->text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
            utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
            utc.tm_min, utc.tm_sec, out->microseconds);
  return true;
}

/* Reads time parameter NAME into *OUT; *GIVEN says whether it was there.
   Replies 400 and returns false when it is not an RFC 3339 time. */
static bool
query_time (struct request *req, const char *name, struct audit_time *out,
            bool *given)
{
  const char *text = request_query (req, name);
  *given = NULL != text;
  if (NULL == text || parse_time (text, out))
    return true;
  reply_error (req, ERR_BAD_PARAMETER,
               "%s must be an RFC 3339 time, e.g. 2026-11-01T08:00:00Z", name);
  return false;
}

/* Is TEXT a table name as PostgreSQL spells ours (a-z, 0-9, _)? */
static bool
is_table_name (const char *text)
{
  size_t len = strlen (text);
  return len > 0 && len < 64
         && len == strspn (text, "abcdefghijklmnopqrstuvwxyz0123456789_")
         && !(text[0] >= '0' && text[0] <= '9');
}

/* Is TEXT a non-empty run of at most AUDIT_MAX_ID_LENGTH printable ASCII
   characters (a request id, a key)? */
static bool
is_printable_id (const char *text)
{
  size_t len = strlen (text);
  if (0 == len || len > AUDIT_MAX_ID_LENGTH)
    return false;
  for (size_t i = 0; i < len; i++)
    if (text[i] <= ' ' || text[i] > '~')
      return false;
  return true;
}

/* Reads the filters of the query into *QUERY (pointing into the request's
   arguments and into FROM and TO).  Replies 400 and returns false at the
   first that is malformed. */
static bool
parse_filters (struct request *req, struct db_audit_log_query *query,
               struct audit_time *from, struct audit_time *to)
{
  query->entity = request_query (req, "entity");
  if (NULL != query->entity && !is_table_name (query->entity))
  {
    reply_error (req, ERR_BAD_PARAMETER,
                 "entity must be a table name, e.g. app_user");
    return false;
  }
  query->entity_id = request_query (req, "entity_id");
  if (NULL != query->entity_id && '\0' == query->entity_id[0])
  {
    reply_error (req, ERR_BAD_PARAMETER,
                 "entity_id must be a primary key as the log has it, e.g. 12 "
                 "or 12/recruitment_fees");
    return false;
  }
  if (!public_query_id (req, "actor_user_id", &query->actor_user_id))
    return false;
  query->request_id = request_query (req, "request_id");
  if (NULL != query->request_id && !is_printable_id (query->request_id))
  {
    reply_error (req, ERR_BAD_PARAMETER,
                 "request_id must be a request id as the X-Request-Id "
                 "header gives it");
    return false;
  }
  query->action = request_query (req, "action");
  if (NULL != query->action && 0 != strcmp (query->action, "insert")
      && 0 != strcmp (query->action, "update")
      && 0 != strcmp (query->action, "delete"))
  {
    reply_error (req, ERR_BAD_PARAMETER,
                 "action must be insert, update or delete");
    return false;
  }
  bool from_given, to_given;
  if (!query_time (req, "from", from, &from_given)
      || !query_time (req, "to", to, &to_given))
    return false;
  query->from = from_given ? from->text : NULL;
  query->to = to_given ? to->text : NULL;
  if (from_given && to_given
      && (from->seconds > to->seconds
          || (from->seconds == to->seconds
              && from->microseconds > to->microseconds)))
  {
    reply_error (req, ERR_BAD_PARAMETER, "from must not be after to");
    return false;
  }
  return public_query_limit (req, "limit", AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT,
                             &query->limit);
}

/* The scope a cursor is bound to: the filters (not the limit, which a client
   may change between pages). */
static char *
cursor_scope (const struct db_audit_log_query *query)
{
  char *scope = NULL;
#define OR_EMPTY(s) ((NULL != (s)) ? (s) : "")
  if (0 > asprintf (&scope, "audit\n%s\n%s\n%lld\n%s\n%s\n%s\n%s",
                    OR_EMPTY (query->entity), OR_EMPTY (query->entity_id),
                    (long long) query->actor_user_id,
                    OR_EMPTY (query->request_id), OR_EMPTY (query->action),
                    OR_EMPTY (query->from), OR_EMPTY (query->to)))
    abort ();
#undef OR_EMPTY
  return scope;
}

/* Reads cursor= (the id to continue below) into query->before_id.  Replies
   400 and returns false when it is not one this query handed out. */
static bool
parse_cursor (struct request *req, const char *scope,
              struct db_audit_log_query *query)
{
  const char *cursor = request_query (req, "cursor");
  char payload[24];
  query->before_id = 0;
  if (NULL == cursor)
    return true;
  long long id = 0;
  if (public_cursor_decode (cursor, scope, payload, sizeof payload)
      && '\0' != payload[0] && strlen (payload) <= 18
      && strspn (payload, "0123456789") == strlen (payload))
    id = strtoll (payload, NULL, 10);
  if (id <= 0)
  {
    reply_error (req, ERR_BAD_PARAMETER,
                 "cursor is not one this query handed out; start again "
                 "without it");
    return false;
  }
  query->before_id = id;
  return true;
}

int
h_audit_list (struct request *req)
{
  struct db_audit_log_query query = { 0 };
  struct audit_time from, to;
  if (!parse_filters (req, &query, &from, &to))
    return 0;
  char *scope = cursor_scope (&query);
  if (!parse_cursor (req, scope, &query))
  {
    free (scope);
    return 0;
  }
  struct db_conn *conn = request_db (req);
  json_t *items = NULL;
  int64_t next = 0;
  if (NULL == conn
      || DB_FOUND != db_audit_log_list (conn, &query, &items, &next))
  {
    free (scope);
    return reply_error_default (req, ERR_UNAVAILABLE);
  }
  json_t *next_cursor = json_null ();
  if (0 != next)
  {
    char payload[24];
    snprintf (payload, sizeof payload, "%lld", (long long) next);
    char *text = public_cursor_encode (payload, scope);
    next_cursor = json_string (text);
    free (text);
  }
  free (scope);
  return reply_json_steal (
      req, 200,
      json_pack ("{s:o, s:o}", "items", items, "next_cursor", next_cursor));
}
