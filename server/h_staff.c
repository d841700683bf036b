/*
 * The reply discipline of the casework's staff handlers: a casework
 * function's answer or refusal becomes the one reply (see h_staff.h).
 */
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
