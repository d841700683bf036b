/*
 * GET /v1/agencies (the name search a worker starts from: any name, any
 * script, typos and missing diacritics forgiven, best match first, in keyset
 * pages) and GET /v1/agencies/{id} (everything public about one agency).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "db/agencies.h"
#include "h_public.h"
#include "handlers.h"
#include "http.h"
#include "reply.h"
#include "search_index.h"

#define AGENCIES_DEFAULT_LIMIT 20
#define AGENCIES_MAX_LIMIT 100
/* Bytes of a query: names are short, and trigram work grows with it. */
#define AGENCIES_MAX_QUERY 200

/* The query text, or NULL when absent or blank (every agency, by id). */
static const char *
query_text (const struct request *req)
{
  const char *q = request_query (req, "q");
  if (NULL == q)
    return NULL;
  for (const char *p = q; '\0' != *p; p++)
    if (!isspace ((unsigned char) *p))
      return q;
  return NULL;
}

/* Reads country= into COUNTRY (upper case), "" when absent. */
static bool
parse_country (struct request *req, char country[3])
{
  const char *text = request_query (req, "country");
  country[0] = '\0';
  if (NULL == text)
    return true;
  if (2 != strlen (text) || !isalpha ((unsigned char) text[0])
      || !isalpha ((unsigned char) text[1]) || (text[0] & 0x80)
      || (text[1] & 0x80))
  {
    reply_error (req, ERR_BAD_PARAMETER,
                 "country must be an ISO 3166-1 alpha-2 code such as PH");
    return false;
  }
  country[0] = (char) toupper ((unsigned char) text[0]);
  country[1] = (char) toupper ((unsigned char) text[1]);
  country[2] = '\0';
  return true;
}

/* Reads standing= (good, not_good) into *STANDING (1, 0; -1 absent). */
static bool
parse_standing (struct request *req, int *standing)
{
  const char *text = request_query (req, "standing");
  if (NULL == text)
    *standing = -1;
  else if (0 == strcmp (text, "good"))
    *standing = 1;
  else if (0 == strcmp (text, "not_good"))
    *standing = 0;
  else
  {
    reply_error (req, ERR_BAD_PARAMETER, "standing must be good or not_good");
    return false;
  }
  return true;
}

/* The scope a cursor is bound to: the query and its filters (not the limit,
   which a client may change between pages). */
static char *
cursor_scope (const struct db_agency_query *query)
{
  char *scope = NULL;
  if (0 > asprintf (
          &scope, "agencies\n%s\n%s\n%d", (NULL != query->q) ? query->q : "",
          (NULL != query->country) ? query->country : "", query->standing))
    abort ();
  return scope;
}

/* Is TEXT a similarity score as the database prints a real in [0, 1]? */
static bool
is_score (const char *text)
{
  if ('\0' == *text || strlen (text) >= 32
      || strspn (text, "0123456789.e-+") != strlen (text))
    return false;
  char *end;
  double value = strtod (text, &end);
  return '\0' == *end && value >= 0.0 && value <= 1.0;
}

/* Is TEXT a positive id? */
static bool
parse_key_id (const char *text, int64_t *id)
{
  if ('\0' == *text || strlen (text) > 18
      || strspn (text, "0123456789") != strlen (text))
    return false;
  *id = strtoll (text, NULL, 10);
  return *id > 0;
}

/* Reads cursor= into the keyset of QUERY.  The payload is "ID" for the list
   by id and "SCORE ID" for a name search. */
static bool
parse_cursor (struct request *req, const char *scope,
              struct db_agency_query *query)
{
  const char *cursor = request_query (req, "cursor");
  char payload[96];
  if (NULL == cursor)
    return true;
  if (!public_cursor_decode (cursor, scope, payload, sizeof payload))
  {
    reply_error (req, ERR_BAD_PARAMETER,
                 "cursor is not one this search handed out; start again "
                 "without it");
    return false;
  }
  char *space = strchr (payload, ' ');
  bool ok;
  if (NULL != query->q)
  {
    ok = NULL != space;
    if (ok)
    {
      *space = '\0';
      size_t len = strlen (payload);
      ok = len < sizeof query->after_score && is_score (payload)
           && parse_key_id (space + 1, &query->after_id);
      if (ok)
        memcpy (query->after_score, payload, len + 1);
    }
  }
  else
    ok = NULL == space && parse_key_id (payload, &query->after_id);
  if (!ok)
  {
    reply_error (req, ERR_BAD_PARAMETER,
                 "cursor is not one this search handed out; start again "
                 "without it");
    return false;
  }
  query->after = true;
  return true;
}

/* The page of a name search from the in-process index (search_index.h),
   which keeps the agencies' summaries too.  Returns 0, or 1 when the index
   cannot answer (none is current): then ask the database. */
static int
search_from_index (const struct db_agency_query *query,
                   const struct cache_version *version,
                   struct db_agency_page *page)
{
  if (NULL == query->q || NULL == version)
    return 1;
  memset (page, 0, sizeof *page);
  page->items = search_index_page (
      query->q, query->country, query->standing,
      query->after ? query->after_score : NULL, query->after_id, query->limit,
      version, &page->more, page->last_score, &page->last_id);
  return (NULL != page->items) ? 0 : 1;
}

int
h_agencies_list (struct request *req)
{
  struct db_agency_query query;
  memset (&query, 0, sizeof query);
  char country[3];
  query.q = query_text (req);
  if (NULL != query.q && strlen (query.q) > AGENCIES_MAX_QUERY)
    return reply_error (req, ERR_BAD_PARAMETER, "q is longer than %d bytes",
                        AGENCIES_MAX_QUERY);
  if (!parse_country (req, country) || !parse_standing (req, &query.standing)
      || !public_query_limit (req, "limit", AGENCIES_DEFAULT_LIMIT,
                              AGENCIES_MAX_LIMIT, &query.limit))
    return 0;
  query.country = ('\0' != country[0]) ? country : NULL;
  char *scope = cursor_scope (&query);
  bool cursor_ok = parse_cursor (req, scope, &query);
  if (!cursor_ok)
  {
    free (scope);
    return 0;
  }
  /* Memory (the cache, the index) answers once the register version is
     read after this request arrived (cache.h). */
  struct cache_version version;
  enum cache_version_state read = http_request_version (req, &version);
  if (CACHE_VERSION_PENDING == read)
  {
    free (scope);
    return 0; /* called again once it is read */
  }
  bool versioned = CACHE_VERSION_READ == read;

  /* A name search from the in-process index, when it is current: that
     costs well under a millisecond, so its answers are not stored, and the
     cache's bytes stay with the answers that cost a database round trip
     (the licence lookups above all). */
  struct db_agency_page page;
  int rc = search_from_index (&query, versioned ? &version : NULL, &page);
  bool store = false;
  const char *cursor_text = request_query (req, "cursor");
  char *key = NULL;
  if (0
      > asprintf (&key, "%s\n%s\n%d\n%u\n%s", (NULL != query.q) ? query.q : "",
                  (NULL != query.country) ? query.country : "", query.standing,
                  query.limit, (NULL != cursor_text) ? cursor_text : ""))
    abort ();
  if (1 == rc)
  {
    /* The same request answered since the last change: from memory. */
    if (versioned && cache_serve (req, &version, key, strlen (key)))
    {
      free (key);
      free (scope);
      return 0;
    }
    /* From the database: what is stored is labelled with the version read
       on the same connection just before. */
    struct db_conn *conn = request_db (req);
    versioned = cache_version_read (conn, &version);
    rc = (NULL == conn) ? -1 : db_agencies_search (conn, &query, &page);
    store = versioned;
  }
  if (0 != rc)
  {
    free (key);
    free (scope);
    return reply_error_default (req, ERR_UNAVAILABLE);
  }
  json_t *next = json_null ();
  if (page.more)
  {
    char payload[96];
    if (NULL != query.q)
      snprintf (payload, sizeof payload, "%s %" PRId64, page.last_score,
                page.last_id);
    else
      snprintf (payload, sizeof payload, "%" PRId64, page.last_id);
    char *cursor = public_cursor_encode (payload, scope);
    next = json_string (cursor);
    free (cursor);
  }
  free (scope);
  cache_reply_json_steal (
      req, store ? &version : NULL, key, strlen (key),
      json_pack ("{s:o, s:o}", "items", page.items, "next_cursor", next));
  free (key);
  return 0;
}

int
h_agency_get (struct request *req)
{
  int64_t id;
  if (!request_path_id (req, 0, &id))
    return reply_error (req, ERR_BAD_ID, "the agency id must be a number");
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  json_t *agency = NULL;
  switch (db_agency_get (conn, id, &agency))
  {
  case DB_FOUND:
    return public_reply_json_steal (req, agency);
  case DB_NOT_FOUND:
    return reply_error (req, ERR_NOT_FOUND, "no agency with that id");
  case DB_FAILED:
    break;
  }
  return reply_error_default (req, ERR_UNAVAILABLE);
}
