/*
 * Reply builders.  They make the MHD_Response and store it with its status in
 * the request; http.c adds the common headers and queues it.  Errors come from
 * the one table in errors.def.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reply.h"
#include "request.h"
#include "router.h"
#include "template.h"

struct error_entry
{
  const char *wire_code;
  unsigned status;
  const char *message;
};

static const struct error_entry error_table[] = {
#define ERR(name, code, status, message) { code, status, message },
#include "errors.def"
#undef ERR
};

static const struct tmpl_set *page_templates;

void
reply_set_templates (const struct tmpl_set *set)
{
  page_templates = set;
}

const char *
error_wire_code (enum error_code code)
{
  return error_table[code].wire_code;
}

unsigned
error_http_status (enum error_code code)
{
  return error_table[code].status;
}

const char *
error_default_message (enum error_code code)
{
  return error_table[code].message;
}

/* Stores RESPONSE as the reply of REQ; a second reply is a programming error
   and is dropped (and logged) rather than leaked. */
static int
set_response (struct request *req, unsigned status,
              struct MHD_Response *response, const char *content_type)
{
  if (NULL == response)
    abort (); /* out of memory */
  if (NULL != content_type)
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                             content_type);
  if (NULL != req->response)
  {
    log_event ("error", "second reply to request %s dropped", req->id);
    MHD_destroy_response (response);
    return 0;
  }
  req->response = response;
  req->status = status;
  return 0;
}

int
reply_text (struct request *req, unsigned status, const char *content_type,
            const char *body, size_t len)
{
  return set_response (req, status,
                       MHD_create_response_from_buffer (len, (void *) body,
                                                        MHD_RESPMEM_MUST_COPY),
                       content_type);
}

int
reply_static (struct request *req, unsigned status, const char *content_type,
              const char *body, size_t len)
{
  return set_response (req, status,
                       MHD_create_response_from_buffer (len, (void *) body,
                                                        MHD_RESPMEM_PERSISTENT),
                       content_type);
}

int
reply_response (struct request *req, unsigned status,
                struct MHD_Response *response)
{
  return set_response (req, status, response, NULL);
}

int
reply_empty (struct request *req, unsigned status)
{
  return set_response (
      req, status,
      MHD_create_response_from_buffer (0, NULL, MHD_RESPMEM_PERSISTENT), NULL);
}

/* Sends TEXT (malloc'ed, ownership taken) of LEN bytes. */
static int
reply_owned (struct request *req, unsigned status, const char *content_type,
             char *text, size_t len)
{
  return set_response (
      req, status,
      MHD_create_response_from_buffer (len, text, MHD_RESPMEM_MUST_FREE),
      content_type);
}

int
reply_json_steal (struct request *req, unsigned status, json_t *data)
{
  if (NULL == data)
  {
    log_event ("error",
               "reply to %s %s: no data to send (out of memory or "
               "a failed json_pack)",
               req->method,
               (NULL != req->route) ? req->route->pattern : "(none)");
    return reply_error (req, ERR_INTERNAL, NULL);
  }
  char *text = json_dumps (data, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref (data);
  if (NULL == text)
    return reply_error (req, ERR_INTERNAL, NULL);
  return reply_owned (req, status, "application/json; charset=utf-8", text,
                      strlen (text));
}

int
reply_data_steal (struct request *req, unsigned status, json_t *data)
{
  if (!req->wants_html || NULL == req->route
      || NULL == req->route->template_name || NULL == page_templates)
    return reply_json_steal (req, status, data);
  if (NULL == data)
    return reply_error (req, ERR_INTERNAL, NULL);
  json_object_set_new (data, "lang", json_string (req->lang));
  char *html = NULL;
  size_t len = 0;
  char *err = NULL;
  int rc = tmpl_render (page_templates, req->route->template_name, data, &html,
                        &len, &err);
  json_decref (data);
  if (0 != rc)
  {
    log_event ("error", "template %s: %s", req->route->template_name,
               (NULL != err) ? err : "render failed");
    free (err);
    return reply_error (req, ERR_INTERNAL, NULL);
  }
  return reply_owned (req, status, "text/html; charset=utf-8", html, len);
}

int
reply_error (struct request *req, enum error_code code, const char *message_fmt,
             ...)
{
  char message[512];
  if (NULL == message_fmt)
    snprintf (message, sizeof message, "%s", error_table[code].message);
  else
  {
    va_list ap;
    va_start (ap, message_fmt);
    vsnprintf (message, sizeof message, message_fmt, ap);
    va_end (ap);
  }
  json_t *body = json_pack ("{s:{s:s, s:s}}", "error", "code",
                            error_table[code].wire_code, "message", message);
  req->error_code = error_table[code].wire_code;
  return reply_json_steal (req, error_table[code].status, body);
}

int
reply_error_extra_steal (struct request *req, enum error_code code,
                         json_t *extra, const char *message)
{
  json_t *body = json_pack ("{s:{s:s, s:s}}", "error", "code",
                            error_table[code].wire_code, "message", message);
  if (NULL != body && NULL != extra)
    json_object_update (json_object_get (body, "error"), extra);
  json_decref (extra);
  req->error_code = error_table[code].wire_code;
  return reply_json_steal (req, error_table[code].status, body);
}

int
reply_error_default (struct request *req, enum error_code code)
{
  return reply_error (req, code, NULL);
}

void
reply_add_header (struct request *req, const char *name, const char *value)
{
  if (NULL != req->response)
    MHD_add_response_header (req->response, name, value);
}
