/*
 * Replies.  Every handler ends by calling exactly one of these; they build the
 * MHD_Response and record it in the request, and the dispatcher (http.c) adds
 * the common headers, queues it, logs and counts it.  One data path, two skins:
 * reply_data() sends the handler's json_t as JSON to API clients, or renders
 * it through the route's template as HTML when the client asks for HTML.
 */
#ifndef FAIRREG_REPLY_H
#define FAIRREG_REPLY_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>

struct request;

enum error_code
{
#define ERR(name, code, status, message) ERR_##name,
#include "errors.def"
#undef ERR
  ERR_COUNT_
};

/* The wire code ("not_found"), HTTP status and default message of CODE. */
const char *error_wire_code (enum error_code code);
unsigned error_http_status (enum error_code code);
const char *error_default_message (enum error_code code);

/* Sends DATA (ownership taken; NULL is an internal error) with STATUS: as
   JSON, or as HTML through the route's template if the client prefers HTML.
   Returns 0. */
int reply_data_steal (struct request *req, unsigned status, json_t *data);

/* Sends JSON whatever the client accepts (API-only answers). */
int reply_json_steal (struct request *req, unsigned status, json_t *data);

/* Sends a body of the given content type, copied. */
int reply_text (struct request *req, unsigned status, const char *content_type,
                const char *body, size_t len);

/* Sends a body that lives as long as the process (embedded files): no copy. */
int reply_static (struct request *req, unsigned status,
                  const char *content_type, const char *body, size_t len);

/* Sends RESPONSE (ownership taken), made by the caller: streamed bodies
   (MHD_create_response_from_callback).  Returns 0. */
int reply_response (struct request *req, unsigned status,
                    struct MHD_Response *response);

/* Sends an empty body (204, 304). */
int reply_empty (struct request *req, unsigned status);

/* Sends {"error": {"code", "message"}} with the code's status.  MESSAGE_FMT
   may be NULL for the default message; it must never contain personal data.
   Returns 0. */
int reply_error (struct request *req, enum error_code code,
                 const char *message_fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* The same with the members of EXTRA (an object, ownership taken; may be
   NULL) added beside code and message, e.g. the allowed next statuses of a
   refused move.  MESSAGE is sent as it is. */
int reply_error_extra_steal (struct request *req, enum error_code code,
                             json_t *extra, const char *message);

/* Adds a header to the reply about to be sent (call after a reply_*). */
void reply_add_header (struct request *req, const char *name,
                       const char *value);

struct tmpl_set;

/* Sets the compiled templates that HTML replies render through (once, at
   start, before the first request). */
void reply_set_templates (const struct tmpl_set *set);

/* Builds the one reply of a request whose handler could not run (the
   dispatcher's own errors); same as reply_error with the default message. */
int reply_error_default (struct request *req, enum error_code code);

#endif
