/*
 * What the public read handlers (h_agencies.c, h_licences.c, h_sanctions.c,
 * h_changes.c, h_exports.c) share: the reply discipline of the public API
 * (a strong ETag over the exact body, If-None-Match answered 304,
 * revalidate-always caching, since a status change must be visible to the
 * very next request), the parsing of their common query parameters, and the
 * opaque pagination cursors.
 */
#ifndef FAIRREG_H_PUBLIC_H
#define FAIRREG_H_PUBLIC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

/* Sends DATA (ownership taken; NULL answers 503, the database having failed)
   as JSON with status 200, a strong ETag and Cache-Control; answers 304
   without a body when the request's If-None-Match names that ETag.
   Returns 0. */
int public_reply_json_steal (struct request *req, json_t *data);

/* The same for a body already made: TEXT (malloc'ed, ownership taken) of LEN
   bytes and CONTENT_TYPE.  Returns 0. */
int public_reply_text_steal (struct request *req, const char *content_type,
                             char *text, size_t len);

/* The size of a public ETag: a quoted hex BLAKE2b-128, and its NUL. */
#define PUBLIC_ETAG_HASH_BYTES 16
#define PUBLIC_ETAG_SIZE (2 * PUBLIC_ETAG_HASH_BYTES + 3)

/* The strong entity tag of BODY (LEN bytes), the one every public answer
   carries, from the database or from the cache alike. */
void public_etag (const char *body, size_t len, char etag[PUBLIC_ETAG_SIZE]);

/* Does the If-None-Match header of REQ match ETAG (a quoted strong tag)?
   Weak comparison, as RFC 9110 asks for If-None-Match; "*" matches. */
bool public_etag_matches (const struct request *req, const char *etag);

/* Query parameter NAME as a whole number in [1, MAX], DEFAULT_VALUE when
   absent.  Replies 400 bad_parameter and returns false when it is not. */
bool public_query_limit (struct request *req, const char *name,
                         unsigned default_value, unsigned max, unsigned *limit);

/* Query parameter NAME as a positive id; *ID is 0 when absent.  Replies 400
   bad_parameter and returns false when it is not one. */
bool public_query_id (struct request *req, const char *name, int64_t *id);

/* Query parameter NAME as true or false; *VALUE is -1 when absent, else 1 or
   0.  Replies 400 bad_parameter and returns false otherwise. */
bool public_query_bool (struct request *req, const char *name, int *value);

/* An opaque pagination cursor: base64url of PAYLOAD (printable text) with a
   check tag over the payload and SCOPE (the query the cursor belongs to), so
   that a cursor that was altered, or that is used with another query, is
   refused rather than silently misread.  Returns a malloc'ed string. */
char *public_cursor_encode (const char *payload, const char *scope);

/* Decodes CURSOR made by public_cursor_encode with the same SCOPE into
   PAYLOAD (NUL-terminated, at most SIZE bytes).  False if it is not one. */
bool public_cursor_decode (const char *cursor, const char *scope, char *payload,
                           size_t size);

#endif
