/*
 * The reply discipline of the casework's staff handlers: a casework
 * function's answer or refusal becomes the one reply (see h_staff.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_staff.h"
#include "reply.h"

/* The allowed next statuses of a refused complaint move, from the trigger's
   detail "from=received to=resolved allowed=acknowledged, dismissed". */
static json_t *
allowed_statuses (const char *detail)
{
  json_t *list = json_array ();
  const char *p = strstr (detail, "allowed=");
  if (NULL == p || NULL == list)
    return list;
  p += strlen ("allowed=");
  while ('\0' != *p)
  {
    size_t n = strcspn (p, ", ");
    if (n > 0)
      json_array_append_new (list, json_stringn (p, n));
    p += n;
    p += strspn (p, ", ");
  }
  return list;
}

/* The reply to a failed call. */
static int
reply_refusal (struct request *req, const struct db_call *call)
{
  const char *state = call->sqlstate;
  if ('\0' == state[0])
    return reply_error_default (req, ERR_UNAVAILABLE); /* connection lost */
  if (0 == strcmp (state, "FR001"))
    return reply_error_extra_steal (
        req, ERR_CONFLICT,
        json_pack ("{s:o}", "allowed", allowed_statuses (call->detail)),
        call->message);
  if (0 == strcmp (state, "FR403"))
    return reply_error (req, ERR_FORBIDDEN, "%s", call->message);
  if (0 == strcmp (state, "FR404"))
    return reply_error (req, ERR_NOT_FOUND, "%s", call->message);
  if (0 == strcmp (state, "FR409"))
    return reply_error (req, ERR_CONFLICT, "%s", call->message);
  if (0 == strcmp (state, "FR422"))
    return reply_error (req, ERR_INVALID_FIELD, "%s", call->message);
  /* PostgreSQL's own messages of classes 22 and 23 may quote a value: only
     the kind of problem is told. */
  if (0 == strcmp (state, "23505"))
    return reply_error (req, ERR_CONFLICT,
                        "this conflicts with an existing record");
  if (0 == strncmp (state, "23", 2) || 0 == strncmp (state, "22", 2))
    return reply_error (req, ERR_INVALID_FIELD,
                        "a value is out of range or refers to nothing");
  if (0 == strcmp (state, "57014"))
    return reply_error (req, ERR_UNAVAILABLE,
                        "the database took too long; retry shortly");
  return reply_error_default (req, ERR_INTERNAL);
}

int
staff_reply_call (struct request *req, struct db_call *call, unsigned status,
                  const char *wrap)
{
  if (call->qs < 0)
  {
    int rc = reply_refusal (req, call);
    db_call_release (call);
    return rc;
  }
  json_t *answer = call->answer;
  call->answer = NULL;
  if (NULL == answer)
    return reply_error_default (req, ERR_NOT_FOUND);
  if (NULL != wrap)
    answer = json_pack ("{s:o}", wrap, answer);
  return reply_json_steal (req, status, answer);
}

char *
staff_body_text (struct request *req)
{
  char *text = json_dumps (req->json, JSON_COMPACT | JSON_ENCODE_ANY);
  if (NULL == text)
    reply_error_default (req, ERR_INTERNAL);
  return text;
}

bool
staff_query_word (struct request *req, const char *name,
                  const char *const *words, const char **value)
{
  *value = request_query (req, name);
  if (NULL == *value)
    return true;
  char list[512];
  size_t used = 0;
  list[0] = '\0';
  for (const char *const *w = words; NULL != *w; w++)
  {
    if (0 == strcmp (*value, *w))
      return true;
    int n = snprintf (list + used, sizeof list - used, "%s%s",
                      (w == words) ? "" : ", ", *w);
    if (n > 0 && (size_t) n < sizeof list - used)
      used += (size_t) n;
  }
  reply_error (req, ERR_BAD_PARAMETER, "%s must be one of %s", name, list);
  return false;
}

bool
staff_query_cursor (struct request *req, int64_t *before_id)
{
  const char *cursor = request_query (req, "cursor");
  *before_id = 0;
  if (NULL == cursor)
    return true;
  char *end;
  long long n = strtoll (cursor, &end, 10);
  if ('\0' == *cursor || '\0' != *end || n < 1 || strlen (cursor) > 18)
  {
    reply_error (req, ERR_BAD_PARAMETER,
                 "cursor must be the next_cursor of a previous page");
    return false;
  }
  *before_id = n;
  return true;
}

int
staff_reply_page (struct request *req, struct db_call *call, unsigned wanted)
{
  if (call->qs < 0 || !json_is_array (call->answer))
    return staff_reply_call (req, call, 200, NULL);
  json_t *items = call->answer;
  call->answer = NULL;
  json_t *next = json_null ();
  if (json_array_size (items) > wanted)
  {
    json_array_remove (items, wanted);
    char text[24];
    snprintf (text, sizeof text, "%lld",
              (long long) json_integer_value (
                  json_object_get (json_array_get (items, wanted - 1), "id")));
    next = json_string (text);
  }
  return reply_json_steal (
      req, 200, json_pack ("{s:o, s:o}", "items", items, "next_cursor", next));
}
