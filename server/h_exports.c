/*
 * The open-data exports of the public register, streamed:
 *   GET /v1/export/licences.csv               every licence, RFC 4180
 *   GET /v1/export/licences.json              {"items": [licence, ...]}
 *   GET /v1/export/licences.xml?authority=C   one authority's register in the
 *                                             canonical format (DESIGN.md 6)
 *
 * The handler opens the export's cursor (db/exports.h: a connection and a
 * REPEATABLE READ READ ONLY transaction of its own, so the file is one
 * snapshot and the thread's connection stays free for the thread's other
 * clients) and answers with a libmicrohttpd callback response.  The callback
 * fetches DB_EXPORT_BATCH rows whenever the bytes of the previous batch have
 * been taken by the client, so the server holds one batch at a time whatever
 * the size of the register; the stream's connection is closed as soon as the
 * last row is read.  Errors found before the first byte (database down,
 * unknown authority, too many exports at once) are ordinary error replies; a
 * failure in the middle ends the response early (the chunked body then has
 * no terminating chunk, so the client sees it is incomplete).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/exports.h"
#include "handlers.h"
#include "log.h"
#include "reply.h"

/* Bytes libmicrohttpd asks for at a time. */
#define EXPORT_BLOCK_SIZE (32 * 1024)

enum export_format
{
  EXPORT_CSV,
  EXPORT_JSON,
  EXPORT_XML,
};

struct export_stream
{
  struct db_stream *db; /* NULL once the last row is read */
  enum export_format format;
  unsigned long long rows;
  char *buf; /* bytes ready for the client: buf[off..len) */
  size_t len;
  size_t off;
  size_t cap;
  bool done; /* the footer is in buf */
};

static void
put (struct export_stream *s, const char *data, size_t n)
{
  if (s->len + n > s->cap)
  {
    size_t cap = (0 == s->cap) ? 64 * 1024 : s->cap;
    while (cap < s->len + n)
      cap *= 2;
    char *grown = realloc (s->buf, cap);
    if (NULL == grown)
      abort ();
    s->buf = grown;
    s->cap = cap;
  }
  memcpy (s->buf + s->len, data, n);
  s->len += n;
}

static void
put_text (struct export_stream *s, const char *text)
{
  put (s, text, strlen (text));
}

/* One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line
   break, quotes doubled; SQL NULL is an empty field. */
static void
put_csv_field (struct export_stream *s, const PGresult *res, int row, int col)
{
  if (PQgetisnull (res, row, col))
    return;
  const char *value = PQgetvalue (res, row, col);
  if ('\0' == value[strcspn (value, ",\"\r\n")])
  {
    put_text (s, value);
    return;
  }
  put (s, "\"", 1);
  for (const char *p = value; '\0' != *p; p++)
  {
    if ('"' == *p)
      put (s, "\"", 1);
    put (s, p, 1);
  }
  put (s, "\"", 1);
}

/* A licence object as the API writes it (compact, as jansson prints it),
   not as PostgreSQL's json text spaces it. */
static void
put_json (struct export_stream *s, const char *text)
{
  json_t *value = json_loads (text, JSON_DECODE_ANY, NULL);
  char *compact = (NULL != value)
                      ? json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY)
                      : NULL;
  put_text (s, (NULL != compact) ? compact : text);
  free (compact);
  json_decref (value);
}

/* An <agency> element as PostgreSQL made it, but for the character
   references (&#x110;) that its attribute writer (libxml2's, without an
   encoding) puts for every non-ASCII character: those are written back as
   the UTF-8 they stand for, so that a Thai or Vietnamese licence number
   reads as it is.  References below U+0080 (tabs, line breaks) stay: they
   are what keeps such characters intact in an attribute. */
static void
put_xml (struct export_stream *s, const char *text)
{
  const char *p = text;
  const char *ref;
  while (NULL != (ref = strstr (p, "&#x")))
  {
    char *end;
    unsigned long cp = strtoul (ref + 3, &end, 16);
    bool decode = ';' == *end && end > ref + 3 && cp >= 0x80 && cp <= 0x10FFFF
                  && !(cp >= 0xD800 && cp <= 0xDFFF);
    put (s, p, (size_t) (ref - p));
    if (!decode)
    {
      put (s, ref, 3);
      p = ref + 3;
      continue;
    }
    char utf8[4];
    size_t n;
    if (cp < 0x800)
    {
      utf8[0] = (char) (0xC0 | (cp >> 6));
      utf8[1] = (char) (0x80 | (cp & 0x3F));
      n = 2;
    }
    else if (cp < 0x10000)
    {
      utf8[0] = (char) (0xE0 | (cp >> 12));
      utf8[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
      utf8[2] = (char) (0x80 | (cp & 0x3F));
      n = 3;
    }
    else
    {
      utf8[0] = (char) (0xF0 | (cp >> 18));
      utf8[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
      utf8[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
      utf8[3] = (char) (0x80 | (cp & 0x3F));
      n = 4;
    }
    put (s, utf8, n);
    p = end + 1;
  }
  put_text (s, p);
}

static void
put_rows (struct export_stream *s, const PGresult *res)
{
  for (int r = 0; r < PQntuples (res); r++, s->rows++)
    switch (s->format)
    {
    case EXPORT_CSV:
      for (int c = 0; c < PQnfields (res); c++)
      {
        if (c > 0)
          put (s, ",", 1);
        put_csv_field (s, res, r, c);
      }
      put (s, "\r\n", 2);
      break;
    case EXPORT_JSON:
      if (s->rows > 0)
        put (s, ",\n", 2);
      put_json (s, PQgetvalue (res, r, 0));
      break;
    case EXPORT_XML:
      put_xml (s, PQgetvalue (res, r, 0));
      put (s, "\n", 1);
      break;
    }
}

static void
put_footer (struct export_stream *s)
{
  switch (s->format)
  {
  case EXPORT_CSV:
    break;
  case EXPORT_JSON:
    put_text (s, "]}\n");
    break;
  case EXPORT_XML:
    put_text (s, "</licenceList>\n");
    break;
  }
  s->done = true;
}

/* Fills the empty buffer with the next batch, or the footer after the last
   one.  False if the database failed. */
static bool
refill (struct export_stream *s)
{
  s->len = s->off = 0;
  PGresult *res = db_stream_fetch (s->db);
  if (NULL == res)
    return false;
  if (0 == PQntuples (res))
  {
    db_stream_free (s->db); /* the connection is not needed for the rest */
    s->db = NULL;
    put_footer (s);
  }
  else
    put_rows (s, res);
  PQclear (res);
  return true;
}

static ssize_t
export_read (void *cls, uint64_t pos, char *out, size_t max)
{
  struct export_stream *s = cls;
  (void) pos;
  while (s->off == s->len)
  {
    if (s->done)
      return MHD_CONTENT_READER_END_OF_STREAM;
    if (!refill (s))
    {
      log_event ("error", "export stopped after %llu rows: the database failed",
                 s->rows);
      return MHD_CONTENT_READER_END_WITH_ERROR;
    }
  }
  size_t n = s->len - s->off;
  if (n > max)
    n = max;
  memcpy (out, s->buf + s->off, n);
  s->off += n;
  return (ssize_t) n;
}

static void
export_free (void *cls)
{
  struct export_stream *s = cls;
  db_stream_free (s->db);
  free (s->buf);
  free (s);
}

/* Answers an export that could not start. */
static int
reply_not_open (struct request *req, enum db_stream_open rc)
{
  switch (rc)
  {
  case DB_STREAM_BUSY:
    reply_error (req, ERR_UNAVAILABLE,
                 "%d exports are running; retry in a few seconds",
                 DB_EXPORT_MAX_STREAMS);
    reply_add_header (req, "Retry-After", "5");
    return 0;
  case DB_STREAM_NOT_FOUND:
    return reply_error (req, ERR_NOT_FOUND, "no authority with that code");
  case DB_STREAM_OPEN:
  case DB_STREAM_FAILED:
    break;
  }
  return reply_error_default (req, ERR_UNAVAILABLE);
}

/* Sends the stream DB (ownership taken) with the HEADER already made, as
   CONTENT_TYPE, to be saved as FILE_NAME.  The reply is made here rather than
   by a reply_* function because its body is a callback. */
static int
reply_stream (struct request *req, struct db_stream *db,
              enum export_format format, const char *header,
              const char *content_type, const char *file_name)
{
  struct export_stream *s = calloc (1, sizeof *s);
  if (NULL == s)
    abort ();
  s->db = db;
  s->format = format;
  put_text (s, header);
  struct MHD_Response *response = MHD_create_response_from_callback (
      MHD_SIZE_UNKNOWN, EXPORT_BLOCK_SIZE, export_read, s, export_free);
  if (NULL == response)
    abort ();
  char disposition[96];
  snprintf (disposition, sizeof disposition, "attachment; filename=\"%s\"",
            file_name);
  MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                           content_type);
  MHD_add_response_header (response, "Content-Disposition", disposition);
  MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                           "public, no-cache");
  return reply_response (req, 200, response);
}

int
h_export_licences_csv (struct request *req)
{
  struct db_stream *db = NULL;
  enum db_stream_open rc = db_export_licences_table (&db);
  if (DB_STREAM_OPEN != rc)
    return reply_not_open (req, rc);
  return reply_stream (req, db, EXPORT_CSV, DB_EXPORT_CSV_COLUMNS "\r\n",
                       "text/csv; charset=utf-8; header=present",
                       "licences.csv");
}

int
h_export_licences_json (struct request *req)
{
  struct db_stream *db = NULL;
  enum db_stream_open rc = db_export_licences_json (&db);
  if (DB_STREAM_OPEN != rc)
    return reply_not_open (req, rc);
  return reply_stream (req, db, EXPORT_JSON, "{\"items\":[\n",
                       "application/json; charset=utf-8", "licences.json");
}

/* Is TEXT an authority code (CC-ABBREV, as the schema checks it)? */
static bool
is_authority_code (const char *text)
{
  size_t len = strlen (text);
  if (len < 5 || len > 19 || '-' != text[2])
    return false;
  for (size_t i = 0; i < len; i++)
  {
    char c = text[i];
    bool upper = c >= 'A' && c <= 'Z';
    bool digit = c >= '0' && c <= '9';
    if (2 == i ? '-' != c : i < 2 ? !upper : !(upper || digit))
      return false;
  }
  return true;
}

int
h_export_licences_xml (struct request *req)
{
  const char *authority = request_query (req, "authority");
  if (NULL == authority)
    return reply_error (req, ERR_BAD_PARAMETER,
                        "authority is required: the code of the authority "
                        "whose list to export, e.g. PH-DMW");
  if (!is_authority_code (authority))
    return reply_error (req, ERR_BAD_PARAMETER,
                        "authority must be an authority code such as PH-DMW");
  struct db_stream *db = NULL;
  char generated[32];
  enum db_stream_open rc = db_export_licences_xml (authority, &db, generated);
  if (DB_STREAM_OPEN != rc)
    return reply_not_open (req, rc);
  char header[256], file_name[64];
  /* Both values are checked above or made by the database: no escaping. */
  snprintf (header, sizeof header,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<licenceList xmlns=\"urn:fairreg:licence-list:1\" "
            "authority=\"%s\" generated=\"%s\" scope=\"complete\">\n",
            authority, generated);
  snprintf (file_name, sizeof file_name, "licences-%s.xml", authority);
  return reply_stream (req, db, EXPORT_XML, header,
                       "application/xml; charset=utf-8", file_name);
}
