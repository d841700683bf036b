/*
 * The change feed of licence statuses, for embassies, employers and other
 * registries that follow agencies: GET /v1/changes?since= (JSON, oldest
 * first, with the position to ask from next time) and GET
 * /feeds/licences.atom (the latest changes as an Atom 1.0 feed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db/changes.h"
#include "h_public.h"
#include "handlers.h"
#include "reply.h"

#define CHANGES_DEFAULT_LIMIT 100
#define CHANGES_MAX_LIMIT 1000
#define FEED_ENTRIES 50

/* The date in the tag: URIs of the feed (RFC 4151): any day on which the
   registry's host name was its operator's; it must never change. */
#define FEED_TAG_DATE "2025"

/* Parses since= ("TXID.ID" as handed out in next, or "0": the start). */
static bool
parse_since (struct request *req, struct db_change_position *since)
{
  const char *text = request_query (req, "since");
  since->txid = 0;
  since->id = 0;
  if (NULL == text || 0 == strcmp (text, "0"))
    return true;
  const char *dot = strchr (text, '.');
  size_t txid_len = (NULL != dot) ? (size_t) (dot - text) : 0;
  bool ok = NULL != dot && txid_len >= 1 && txid_len <= 20
            && strspn (text, "0123456789") == txid_len && strlen (dot + 1) >= 1
            && strlen (dot + 1) <= 18
            && strspn (dot + 1, "0123456789") == strlen (dot + 1);
  if (ok)
  {
    errno = 0;
    since->txid = strtoull (text, NULL, 10);
    since->id = strtoll (dot + 1, NULL, 10);
    ok = 0 == errno;
  }
  if (!ok)
    reply_error (req, ERR_BAD_PARAMETER,
                 "since must be the value of next from an earlier answer, "
                 "or 0 for the start");
  return ok;
}

int
h_changes_list (struct request *req)
{
  struct db_change_position since, next;
  unsigned limit;
  int64_t agency;
  if (!parse_since (req, &since)
      || !public_query_limit (req, "limit", CHANGES_DEFAULT_LIMIT,
                              CHANGES_MAX_LIMIT, &limit)
      || !public_query_id (req, "agency", &agency))
    return 0;
  struct db_conn *conn = request_db (req);
  json_t *items = NULL;
  if (NULL == conn
      || 0 != db_changes_after (conn, &since, agency, limit, &items, &next))
    return reply_error_default (req, ERR_UNAVAILABLE);
  char position[48];
  snprintf (position, sizeof position, "%" PRIu64 ".%" PRId64, next.txid,
            next.id);
  return public_reply_json_steal (
      req, json_pack ("{s:o, s:s}", "items", items, "next", position));
}

/* Writes TEXT to OUT with the five XML special characters escaped. */
static void
xml_text (FILE *out, const char *text)
{
  for (const char *p = (NULL != text) ? text : ""; '\0' != *p; p++)
    switch (*p)
    {
    case '&':
      fputs ("&amp;", out);
      break;
    case '<':
      fputs ("&lt;", out);
      break;
    case '>':
      fputs ("&gt;", out);
      break;
    case '"':
      fputs ("&quot;", out);
      break;
    case '\'':
      fputs ("&apos;", out);
      break;
    default:
      /* XML 1.0 has no place for the other C0 controls: dropped. */
      if ((unsigned char) *p >= 0x20 || '\t' == *p || '\n' == *p || '\r' == *p)
        fputc (*p, out);
    }
}

/* The string member KEY (or KEY.SUBKEY) of OBJECT, or "". */
static const char *
member (const json_t *object, const char *key, const char *subkey)
{
  const json_t *value = json_object_get (object, key);
  if (NULL != subkey)
    value = json_object_get (value, subkey);
  return json_is_string (value) ? json_string_value (value) : "";
}

/* The host name of FAIRREG_PUBLIC_URL, for the tag: URIs (RFC 4151 wants
   a DNS name there): "localhost" when it is not one. */
static void
public_host (char *host, size_t size)
{
  const char *url = config.public_url;
  const char *start = strstr (url, "://");
  start = (NULL != start) ? start + 3 : url;
  size_t len = strcspn (start, ":/?#");
  const char *dns = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789.-";
  if (0 == len || len >= size || strspn (start, dns) < len)
    snprintf (host, size, "localhost");
  else
    snprintf (host, size, "%.*s", (int) len, start);
}

/* Writes FAIRREG_PUBLIC_URL (without its trailing slash) and PATH, escaped
   for an attribute. */
static void
xml_url (FILE *out, const char *path)
{
  size_t len = strlen (config.public_url);
  while (len > 0 && '/' == config.public_url[len - 1])
    len--;
  char *base = strndup (config.public_url, len);
  if (NULL == base)
    abort ();
  xml_text (out, base);
  xml_text (out, path);
  free (base);
}

static void
feed_entry (FILE *out, const json_t *change, const char *host)
{
  json_int_t id = json_integer_value (json_object_get (change, "id"));
  json_int_t licence_id = json_integer_value (
      json_object_get (json_object_get (change, "licence"), "id"));
  const char *number = member (change, "licence", "number");
  const char *authority = member (change, "licence", "authority");
  const char *agency = member (change, "agency", "name");
  const char *status = member (change, "status", NULL);
  const char *reason = member (change, "reason", NULL);
  fputs ("<entry>\n<id>tag:", out);
  xml_text (out, host);
  fprintf (out,
           "," FEED_TAG_DATE ":fairreg:licence-change:%" JSON_INTEGER_FORMAT
           "</id>\n<title>",
           id);
  xml_text (out, agency);
  fputs (": licence ", out);
  xml_text (out, number);
  fputs (" (", out);
  xml_text (out, authority);
  fputs (") ", out);
  xml_text (out, status);
  fprintf (out, "</title>\n<updated>%s</updated>\n",
           member (change, "at", NULL));
  char path[48];
  snprintf (path, sizeof path, "/v1/licences/%" JSON_INTEGER_FORMAT,
            licence_id);
  fputs ("<link rel=\"alternate\" type=\"application/json\" href=\"", out);
  xml_url (out, path);
  fputs ("\"/>\n", out);
  fputs ("<content type=\"text\">Licence ", out);
  xml_text (out, number);
  fputs (" of ", out);
  xml_text (out, authority);
  fputs (", held by ", out);
  xml_text (out, agency);
  fputs (", is ", out);
  xml_text (out, status);
  fputs (" from ", out);
  xml_text (out, member (change, "effective_on", NULL));
  fputs (".", out);
  if ('\0' != reason[0])
  {
    fputs (" Reason: ", out);
    xml_text (out, reason);
  }
  fputs ("</content>\n</entry>\n", out);
}

int
h_feed_licences (struct request *req)
{
  int64_t agency;
  if (!public_query_id (req, "agency", &agency))
    return 0;
  struct db_conn *conn = request_db (req);
  json_t *changes
      = (NULL != conn) ? db_changes_recent (conn, agency, FEED_ENTRIES) : NULL;
  if (NULL == changes)
    return reply_error_default (req, ERR_UNAVAILABLE);

  char host[256], id_suffix[48] = "", query[48] = "";
  public_host (host, sizeof host);
  if (0 != agency)
  {
    snprintf (id_suffix, sizeof id_suffix, ":agency:%" PRId64, agency);
    snprintf (query, sizeof query, "?agency=%" PRId64, agency);
  }
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream (&text, &len);
  if (NULL == out)
    abort ();
  const json_t *newest = json_array_get (changes, 0);
  fprintf (out,
           "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
           "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
           "<id>tag:%s," FEED_TAG_DATE ":fairreg:licence-changes%s</id>\n"
           "<title>Licence status changes%s</title>\n"
           "<updated>%s</updated>\n"
           "<link rel=\"self\" type=\"application/atom+xml\" href=\"",
           host, id_suffix, (0 != agency) ? " of one agency" : "",
           (NULL != newest) ? member (newest, "at", NULL)
                            : "1970-01-01T00:00:00Z");
  xml_url (out, "/feeds/licences.atom");
  fprintf (out, "%s\"/>\n<author><name>fairreg</name></author>\n", query);
  size_t i;
  json_t *change;
  json_array_foreach (changes, i, change)
  {
    feed_entry (out, change, host);
  }
  fputs ("</feed>\n", out);
  fclose (out);
  json_decref (changes);
  return public_reply_text_steal (req, "application/atom+xml; charset=utf-8",
                                  text, len);
}
