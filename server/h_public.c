/*
 * Replies, query parameters and cursors of the public read API (see
 * h_public.h).
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_public.h"
#include "reply.h"

/* Every answer may be stored, but must be revalidated before each use: the
   ETag makes the revalidation cheap, and a status change is never served
   stale from a cache. */
#define PUBLIC_CACHE_CONTROL "public, max-age=0, must-revalidate"

#define CURSOR_TAG_BYTES 8
#define CURSOR_MAX_PAYLOAD 200

void
public_etag (const char *body, size_t len, char etag[PUBLIC_ETAG_SIZE])
{
  unsigned char digest[PUBLIC_ETAG_HASH_BYTES];
  crypto_generichash (digest, sizeof digest, (const unsigned char *) body, len,
                      NULL, 0);
  etag[0] = '"';
  sodium_bin2hex (etag + 1, PUBLIC_ETAG_SIZE - 2, digest, sizeof digest);
  etag[PUBLIC_ETAG_SIZE - 2] = '"';
  etag[PUBLIC_ETAG_SIZE - 1] = '\0';
}

bool
public_etag_matches (const struct request *req, const char *etag)
{
  const char *header = request_header (req, MHD_HTTP_HEADER_IF_NONE_MATCH);
  if (NULL == header)
    return false;
  size_t etag_len = strlen (etag);
  const char *p = header;
  while ('\0' != *p)
  {
    p += strspn (p, " \t,");
    if ('*' == *p)
      return true;
    if (0 == strncmp (p, "W/", 2))
      p += 2;
    size_t len = strcspn (p, ",");
    while (len > 0 && (' ' == p[len - 1] || '\t' == p[len - 1]))
      len--;
    if (len == etag_len && 0 == memcmp (p, etag, len))
      return true;
    p += strcspn (p, ",");
  }
  return false;
}

int
public_reply_text_steal (struct request *req, const char *content_type,
                         char *text, size_t len)
{
  char etag[PUBLIC_ETAG_SIZE];
  public_etag (text, len, etag);
  if (public_etag_matches (req, etag))
    reply_empty (req, 304);
  else
    reply_text (req, 200, content_type, text, len);
  free (text);
  reply_add_header (req, MHD_HTTP_HEADER_ETAG, etag);
  reply_add_header (req, MHD_HTTP_HEADER_CACHE_CONTROL, PUBLIC_CACHE_CONTROL);
  reply_add_header (req, "Access-Control-Expose-Headers", "ETag");
  return 0;
}

int
public_reply_json_steal (struct request *req, json_t *data)
{
  if (NULL == data)
    return reply_error_default (req, ERR_UNAVAILABLE);
  char *text = json_dumps (data, JSON_COMPACT);
  json_decref (data);
  if (NULL == text)
    return reply_error_default (req, ERR_INTERNAL);
  return public_reply_text_steal (req, "application/json; charset=utf-8", text,
                                  strlen (text));
}

/* Parses TEXT as a whole number in [MIN, MAX] (decimal digits only). */
static bool
parse_whole (const char *text, unsigned long long min, unsigned long long max,
             unsigned long long *out)
{
  if ('\0' == *text || strlen (text) > 19
      || strspn (text, "0123456789") != strlen (text))
    return false;
  errno = 0;
  unsigned long long value = strtoull (text, NULL, 10);
  if (0 != errno || value < min || value > max)
    return false;
  *out = value;
  return true;
}

bool
public_query_limit (struct request *req, const char *name,
                    unsigned default_value, unsigned max, unsigned *limit)
{
  const char *text = request_query (req, name);
  unsigned long long value = default_value;
  if (NULL != text && !parse_whole (text, 1, max, &value))
  {
    reply_error (req, ERR_BAD_PARAMETER,
                 "%s must be a whole number from 1 to %u", name, max);
    return false;
  }
  *limit = (unsigned) value;
  return true;
}

bool
public_query_id (struct request *req, const char *name, int64_t *id)
{
  const char *text = request_query (req, name);
  unsigned long long value = 0;
  if (NULL != text && !parse_whole (text, 1, INT64_MAX, &value))
  {
    reply_error (req, ERR_BAD_PARAMETER, "%s must be a positive id", name);
    return false;
  }
  *id = (int64_t) value;
  return true;
}

bool
public_query_bool (struct request *req, const char *name, int *value)
{
  const char *text = request_query (req, name);
  if (NULL == text)
    *value = -1;
  else if (0 == strcmp (text, "true"))
    *value = 1;
  else if (0 == strcmp (text, "false"))
    *value = 0;
  else
  {
    reply_error (req, ERR_BAD_PARAMETER, "%s must be true or false", name);
    return false;
  }
  return true;
}

/* The check tag of a cursor: BLAKE2b-64 of a domain label, the payload and
   the scope.  Not a secret: it catches altered and misplaced cursors; a
   cursor forged with care is only a position in a public list. */
static void
cursor_tag (const char *payload, size_t len, const char *scope,
            unsigned char tag[CURSOR_TAG_BYTES])
{
  crypto_generichash_state state;
  static const char domain[] = "fairreg cursor 1";
  crypto_generichash_init (&state, NULL, 0, CURSOR_TAG_BYTES);
  crypto_generichash_update (&state, (const unsigned char *) domain,
                             sizeof domain);
  crypto_generichash_update (&state, (const unsigned char *) payload, len);
  crypto_generichash_update (&state, (const unsigned char *) "", 1);
  crypto_generichash_update (&state, (const unsigned char *) scope,
                             strlen (scope));
  crypto_generichash_final (&state, tag, CURSOR_TAG_BYTES);
}

char *
public_cursor_encode (const char *payload, const char *scope)
{
  size_t len = strlen (payload);
  unsigned char raw[CURSOR_MAX_PAYLOAD + CURSOR_TAG_BYTES];
  if (len > CURSOR_MAX_PAYLOAD)
    abort (); /* the callers' payloads are a few numbers */
  memcpy (raw, payload, len);
  cursor_tag (payload, len, scope, raw + len);
  size_t size = sodium_base64_ENCODED_LEN (
      len + CURSOR_TAG_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *text = malloc (size);
  if (NULL == text)
    abort ();
  sodium_bin2base64 (text, size, raw, len + CURSOR_TAG_BYTES,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return text;
}

bool
public_cursor_decode (const char *cursor, const char *scope, char *payload,
                      size_t size)
{
  unsigned char raw[CURSOR_MAX_PAYLOAD + CURSOR_TAG_BYTES];
  size_t len = 0;
  const char *end = NULL;
  if (0
          != sodium_base642bin (raw, sizeof raw, cursor, strlen (cursor), NULL,
                                &len, &end,
                                sodium_base64_VARIANT_URLSAFE_NO_PADDING)
      || '\0' != *end || len <= CURSOR_TAG_BYTES)
    return false;
  len -= CURSOR_TAG_BYTES;
  if (len + 1 > size)
    return false;
  for (size_t i = 0; i < len; i++)
    if (raw[i] < 0x20 || raw[i] > 0x7e)
      return false;
  unsigned char tag[CURSOR_TAG_BYTES];
  cursor_tag ((const char *) raw, len, scope, tag);
  if (0 != sodium_memcmp (tag, raw + len, CURSOR_TAG_BYTES))
    return false;
  memcpy (payload, raw, len);
  payload[len] = '\0';
  return true;
}
