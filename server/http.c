/*
 * The request lifecycle on top of libmicrohttpd.  The access handler is
 * called once when the headers are in (the context is made, the route found,
 * the declared body size checked), once per body chunk (appended, limit
 * checked again: chunked bodies declare no size), and once at the end (the
 * request is dispatched).  The completion callback logs, counts and frees.
 *
 * A handler that answers from memory first needs the register version read
 * after its request arrived (cache.h).  It asks http_request_version, which
 * says "pending" the first time: the handler returns without a reply, the
 * connection is suspended (so the worker thread goes on serving its other
 * connections instead of waiting on the database), the request joins the
 * shared read, and when that is done the connection is resumed and the
 * handler called again, now with the version.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "cache.h"
#include "config.h"
#include "date_transitions.h"
#include "db/db.h"
#include "embedded.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "reply.h"
#include "request.h"
#include "router.h"
#include "search_index.h"
#include "template.h"
#include "utf8.h"

/* Query strings and their values are small in this API; anything longer is
   refused before it reaches a handler. */
#define MAX_QUERY_VALUE 1024
#define DRAIN_TIMEOUT_SECONDS 10

static atomic_uint requests_in_flight;

/* A request as the lifecycle holds it: the context that handlers see
   (first, so that the one pointer is both) and its place in the shared
   version read. */
struct held_request
{
  struct request req;
  struct cache_version_wait version;
  bool version_asked; /* by the handler; joined once the handler returned */
};

static bool authorised (struct request *req);

/* Anonymous reads of the public register, per client address
   (FAIRREG_PUBLIC_PER_MINUTE); made in http_serve before the daemon starts. */
static struct ratelimit *public_limiter;

static uint64_t
monotonic_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static void
client_address (struct MHD_Connection *connection, char *buf, size_t size)
{
  const union MHD_ConnectionInfo *info = MHD_get_connection_info (
      connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  snprintf (buf, size, "unknown");
  if (NULL == info || NULL == info->client_addr)
    return;
  const struct sockaddr *sa = info->client_addr;
  if (AF_INET == sa->sa_family)
    inet_ntop (AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, buf,
               (socklen_t) size);
  else if (AF_INET6 == sa->sa_family)
    inet_ntop (AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, buf,
               (socklen_t) size);
}

/* The shared version read is done: the handler may run again. */
static void
version_ready (void *cls)
{
  MHD_resume_connection (cls);
}

/* A request id must be unique in the log, not secret: a per-thread sequence
   from a random start, mixed (SplitMix64, a bijection, so a thread repeats
   none in 2^64 requests), costs no system call where randombytes_buf made
   one per request. */
static uint64_t
request_id_next (void)
{
  static _Thread_local uint64_t state;
  static _Thread_local bool seeded;
  if (!seeded)
  {
    randombytes_buf (&state, sizeof state);
    seeded = true;
  }
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static struct request *
request_new (struct MHD_Connection *connection, const char *url,
             const char *method)
{
  struct held_request *held = calloc (1, sizeof *held);
  if (NULL == held)
    return NULL;
  held->version.ready = version_ready;
  held->version.cls = connection;
  struct request *req = &held->req;
  req->body_fd = -1;
  req->connection = connection;
  req->method = method;
  req->path = url;
  req->started_ns = monotonic_ns ();
  snprintf (req->id, sizeof req->id, "%016" PRIx64, request_id_next ());
  client_address (connection, req->client_addr, sizeof req->client_addr);
  snprintf (req->lang, sizeof req->lang, "en");
  atomic_fetch_add (&requests_in_flight, 1);
  return req;
}

static void
request_free (struct request *req)
{
  if (NULL == req)
    return;
  if (req->body_fd >= 0)
    close (req->body_fd);
  for (unsigned i = 0; i < req->path_param_count; i++)
    free (req->path_params[i]);
  free (req->body);
  json_decref (req->json);
  if (NULL != req->response)
    MHD_destroy_response (req->response);
  free ((struct held_request *) req);
  atomic_fetch_sub (&requests_in_flight, 1);
}

/* ---- checks made before the handler runs ---- */

struct param_check
{
  const struct route *route;
  const char *bad_name;
  enum error_code error;
};

static enum MHD_Result
check_one_param (void *cls, enum MHD_ValueKind kind, const char *key,
                 const char *value)
{
  struct param_check *check = cls;
  (void) kind;
  bool known = false;
  for (const char *const *p = check->route->params; NULL != p && NULL != *p;
       p++)
    if (0 == strcmp (*p, key))
      known = true;
  if (!known)
  {
    check->bad_name = key;
    check->error = ERR_UNKNOWN_PARAMETER;
    return MHD_NO;
  }
  if (NULL != value
      && (strlen (value) > MAX_QUERY_VALUE
          || !utf8_valid (value, strlen (value))))
  {
    check->bad_name = key;
    check->error = (strlen (value) > MAX_QUERY_VALUE) ? ERR_BAD_PARAMETER
                                                      : ERR_INVALID_UTF8;
    return MHD_NO;
  }
  return MHD_YES;
}

/* Answers 400 if the query has a parameter the route does not accept. */
static bool
query_acceptable (struct request *req)
{
  struct param_check check = { req->route, NULL, ERR_COUNT_ };
  MHD_get_connection_values (req->connection, MHD_GET_ARGUMENT_KIND,
                             check_one_param, &check);
  if (NULL == check.bad_name)
    return true;
  bool printable = strlen (check.bad_name) <= 64
                   && utf8_valid (check.bad_name, strlen (check.bad_name));
  if (ERR_UNKNOWN_PARAMETER == check.error)
    reply_error (req, check.error, "unknown query parameter \"%s\"",
                 printable ? check.bad_name : "?");
  else if (ERR_INVALID_UTF8 == check.error)
    reply_error (req, check.error, "query parameter \"%s\" is not valid UTF-8",
                 printable ? check.bad_name : "?");
  else
    reply_error (req, check.error,
                 "query parameter \"%s\" is longer than %d bytes",
                 printable ? check.bad_name : "?", MAX_QUERY_VALUE);
  return false;
}

/* Does the client prefer HTML?  Browsers send text/html first; API clients
   send application/json or nothing. */
static bool
prefers_html (const char *accept)
{
  if (NULL == accept)
    return false;
  const char *html = strstr (accept, "text/html");
  const char *json = strstr (accept, "application/json");
  return NULL != html && (NULL == json || html < json);
}

/* The interface languages (DESIGN.md section 8), in BCP 47. */
static const char *const languages[]
    = { "en", "my", "km", "lo", "th", "vi", "id", "ms", "fil", NULL };

static const char *
known_language (const char *tag, size_t len)
{
  for (const char *const *l = languages; NULL != *l; l++)
    if (strlen (*l) == len && 0 == strncasecmp (*l, tag, len))
      return *l;
  return NULL;
}

/* The page language: ?lang=, then the "lang" cookie, then the first known
   primary tag of Accept-Language (its q-values are in preference order in
   practice), else English. */
static void
choose_language (struct request *req)
{
  const char *chosen = NULL;
  const char *param = request_query (req, "lang");
  if (NULL != param)
    chosen = known_language (param, strlen (param));
  const char *cookie
      = MHD_lookup_connection_value (req->connection, MHD_COOKIE_KIND, "lang");
  if (NULL == chosen && NULL != cookie)
    chosen = known_language (cookie, strlen (cookie));
  const char *accept = request_header (req, MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
  while (NULL == chosen && NULL != accept && '\0' != *accept)
  {
    accept += strspn (accept, " ,");
    size_t primary = strcspn (accept, "-;, ");
    chosen = known_language (accept, primary);
    accept += strcspn (accept, ",");
  }
  snprintf (req->lang, sizeof req->lang, "%s",
            (NULL != chosen) ? chosen : "en");
}

static size_t
declared_length (struct request *req)
{
  const char *text = request_header (req, MHD_HTTP_HEADER_CONTENT_LENGTH);
  return (NULL != text) ? strtoull (text, NULL, 10) : 0;
}

/* Does the request announce a body (a length above 0, or chunks)? */
static bool
has_body (struct request *req)
{
  return declared_length (req) > 0
         || NULL != request_header (req, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

static size_t
body_limit (const struct request *req)
{
  if (BODY_XML_STREAM == req->route->body)
    return config.import_max_bytes;
  return (BODY_NONE == req->route->body) ? 0 : req->route->body_limit;
}

static bool
is_xml_content_type (const char *type)
{
  if (NULL == type)
    return false;
  static const char *const accepted[] = { "application/xml", "text/xml" };
  for (size_t i = 0; i < 2; i++)
  {
    size_t len = strlen (accepted[i]);
    if (0 == strncasecmp (type, accepted[i], len)
        && ('\0' == type[len] || ';' == type[len] || ' ' == type[len]))
      return true;
  }
  return false;
}

/* Opens an unlinked temporary file in $TMPDIR (or /tmp): O_TMPFILE, or a
   named file unlinked at once where the file system lacks O_TMPFILE. */
static int
spool_open (void)
{
  const char *dir = getenv ("TMPDIR");
  if (NULL == dir || '\0' == *dir)
    dir = "/tmp";
  int fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0)
    return fd;
  char path[4096];
  snprintf (path, sizeof path, "%s/fairreg-upload-XXXXXX", dir);
  fd = mkostemp (path, O_CLOEXEC);
  if (fd >= 0)
    unlink (path);
  return fd;
}

/* For a BODY_XML_STREAM route, at the headers: the caller must be allowed
   and the body XML before a byte of it is stored; then the spool file is
   opened.  Leaves a reply in req when the request is refused. */
static bool
stream_begin (struct request *req)
{
  if (!authorised (req))
    return false;
  if (!is_xml_content_type (request_header (req, MHD_HTTP_HEADER_CONTENT_TYPE)))
  {
    reply_error (req, ERR_UNSUPPORTED_MEDIA_TYPE,
                 "the body must be application/xml or text/xml");
    return false;
  }
  req->body_fd = spool_open ();
  if (req->body_fd < 0)
  {
    log_event ("error", "cannot make a temporary file for an upload: %s",
               strerror (errno));
    reply_error_default (req, ERR_INTERNAL);
    return false;
  }
  return true;
}

/* Appends a chunk of a streamed body to its spool file. */
static void
stream_append (struct request *req, const char *data, size_t size)
{
  if (req->body_refused || req->body_spool_failed)
    return;
  if (req->body_len + size > config.import_max_bytes)
  {
    req->body_refused = true;
    close (req->body_fd);
    req->body_fd = -1;
    return;
  }
  while (size > 0)
  {
    ssize_t n = write (req->body_fd, data, size);
    if (n < 0 && EINTR == errno)
      continue;
    if (n <= 0)
    {
      log_event ("error", "writing an upload to its temporary file: %s",
                 strerror (errno));
      req->body_spool_failed = true;
      return;
    }
    data += n;
    size -= (size_t) n;
    req->body_len += (size_t) n;
  }
}

/* Work done when the headers are in: route, query, declared body size.
   Leaves a reply in req when the request is refused. */
static void
request_begin (struct request *req)
{
  char allow[128];
  const struct route *route = NULL;
  switch (
      router_match (req, req->method, req->path, &route, allow, sizeof allow))
  {
  case ROUTER_NO_PATH:
    reply_error_default (req, ERR_NOT_FOUND);
    return;
  case ROUTER_NO_METHOD:
    reply_error (req, ERR_METHOD_NOT_ALLOWED, "%s is not accepted here; use %s",
                 req->method, allow);
    reply_add_header (req, MHD_HTTP_HEADER_ALLOW, allow);
    return;
  case ROUTER_FOUND:
    break;
  }
  req->route = route;
  if (!query_acceptable (req))
    return;
  if (BODY_XML_STREAM == route->body && !stream_begin (req))
    return;
  if (declared_length (req) > body_limit (req))
  {
    reply_error (req, ERR_BODY_TOO_LARGE,
                 "this address accepts at most %zu bytes of body",
                 body_limit (req));
    return;
  }
  req->wants_html
      = NULL != route->template_name
        && prefers_html (request_header (req, MHD_HTTP_HEADER_ACCEPT));
  if (req->wants_html)
    choose_language (req);
}

/* Appends a chunk; past the route's limit the body is refused (and the rest
   discarded, since a reply cannot be queued mid-body). */
static void
request_append (struct request *req, const char *data, size_t size)
{
  if (NULL != req->route && BODY_XML_STREAM == req->route->body)
  {
    stream_append (req, data, size);
    return;
  }
  if (req->body_refused)
    return;
  if (req->body_len + size > body_limit (req))
  {
    req->body_refused = true;
    free (req->body);
    req->body = NULL;
    req->body_len = 0;
    return;
  }
  if (req->body_len + size + 1 > req->body_cap)
  {
    size_t cap = (0 == req->body_cap) ? 1024 : req->body_cap;
    while (cap < req->body_len + size + 1)
      cap *= 2;
    char *grown = realloc (req->body, cap);
    if (NULL == grown)
      abort ();
    req->body = grown;
    req->body_cap = cap;
  }
  memcpy (req->body + req->body_len, data, size);
  req->body_len += size;
  req->body[req->body_len] = '\0';
}

static bool
is_json_content_type (const char *type)
{
  if (NULL == type)
    return false;
  size_t len = strlen ("application/json");
  return 0 == strncasecmp (type, "application/json", len)
         && ('\0' == type[len] || ';' == type[len] || ' ' == type[len]);
}

/* Parses a JSON body into req->json; replies 415/400 when it cannot. */
static bool
parse_json_body (struct request *req)
{
  if (!is_json_content_type (
          request_header (req, MHD_HTTP_HEADER_CONTENT_TYPE)))
  {
    reply_error_default (req, ERR_UNSUPPORTED_MEDIA_TYPE);
    return false;
  }
  if (0 == req->body_len)
  {
    reply_error (req, ERR_INVALID_JSON,
                 "the body is empty; send a JSON object");
    return false;
  }
  if (!utf8_valid (req->body, req->body_len))
  {
    reply_error (req, ERR_INVALID_UTF8, "the body is not valid UTF-8");
    return false;
  }
  json_error_t error;
  req->json
      = json_loadb (req->body, req->body_len, JSON_REJECT_DUPLICATES, &error);
  if (NULL == req->json)
  {
    reply_error (req, ERR_INVALID_JSON,
                 "the body is not valid JSON (line %d, column %d)", error.line,
                 error.column);
    return false;
  }
  if (!json_is_object (req->json))
  {
    reply_error (req, ERR_INVALID_JSON, "the body must be a JSON object");
    return false;
  }
  return true;
}

/* Authenticates a bearer token if one is sent, and enforces the route's
   roles: 401 without a valid token, 403 with the wrong role. */
static bool
authorised (struct request *req)
{
  const char *header = request_header (req, MHD_HTTP_HEADER_AUTHORIZATION);
  if (NULL != header)
  {
    switch (auth_authenticate (req, header))
    {
    case AUTH_OK:
      break;
    case AUTH_INVALID:
      reply_error (req, ERR_UNAUTHENTICATED,
                   "the bearer token is invalid, expired or revoked");
      reply_add_header (req, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                        "Bearer error=\"invalid_token\"");
      return false;
    case AUTH_UNAVAILABLE:
      reply_error_default (req, ERR_UNAVAILABLE);
      return false;
    }
  }
  if (ROLE_NONE == req->route->roles)
    return true;
  if (!req->who.authenticated && 0 != (req->route->roles & ROLE_ANONYMOUS))
    return true;
  if (!req->who.authenticated)
  {
    reply_error_default (req, ERR_UNAUTHENTICATED);
    reply_add_header (req, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    return false;
  }
  if (0 == (req->route->roles & req->who.role))
  {
    reply_error (req, ERR_FORBIDDEN, "the %s role may not do this",
                 role_name (req->who.role));
    return false;
  }
  return true;
}

/* The public read API is limited per client address here, in the one place
   every public route passes, so that no handler can forget it: anonymous
   requests to routes that read the public database are counted; staff (a
   valid token) are not.  Answers 429 with Retry-After over the limit. */
static bool
within_public_limit (struct request *req)
{
  if (NULL == public_limiter || ROLE_NONE != req->route->roles
      || DB_PUBLIC != req->route->db || req->who.authenticated)
    return true;
  unsigned retry_after = 0;
  if (!ratelimit_allows (public_limiter, req->client_addr, &retry_after))
  {
    char seconds[16];
    snprintf (seconds, sizeof seconds, "%u", retry_after);
    reply_error (req, ERR_RATE_LIMITED,
                 "too many requests from your address; retry in %u s",
                 retry_after);
    reply_add_header (req, "Retry-After", seconds);
    return false;
  }
  ratelimit_charge (public_limiter, req->client_addr);
  return true;
}

enum cache_version_state
http_request_version (struct request *req, struct cache_version *v)
{
  struct held_request *held = (struct held_request *) req;
  if (!held->version_asked)
  {
    held->version_asked = true;
    return CACHE_VERSION_PENDING;
  }
  if (CACHE_VERSION_READ == held->version.state)
    *v = held->version.version;
  return held->version.state;
}

/* Has the handler asked for the version, not read yet? */
static bool
version_awaited (struct request *req)
{
  struct held_request *held = (struct held_request *) req;
  return held->version_asked && CACHE_VERSION_PENDING == held->version.state;
}

/* Runs the route's handler (again, after a version read). */
static void
request_handle (struct request *req)
{
  req->route->handler (req);
  if (NULL == req->response && !version_awaited (req))
  {
    log_event ("error", "handler of %s %s sent no reply", req->route->method,
               req->route->pattern);
    reply_error_default (req, ERR_INTERNAL);
  }
}

static void
request_dispatch (struct request *req)
{
  if (req->body_refused)
  {
    reply_error (req, ERR_BODY_TOO_LARGE,
                 "this address accepts at most %zu bytes of body",
                 body_limit (req));
    return;
  }
  /* A streamed body's caller was authorised at the headers. */
  bool streamed = BODY_XML_STREAM == req->route->body;
  if (!streamed && !authorised (req))
    return;
  if (streamed
      && (req->body_spool_failed || 0 != lseek (req->body_fd, 0, SEEK_SET)))
  {
    reply_error (req, ERR_INTERNAL, "the upload could not be stored");
    return;
  }
  if (!within_public_limit (req))
    return;
  if (BODY_JSON == req->route->body && !parse_json_body (req))
    return;
  request_handle (req);
}

/* ---- sending ---- */

static void
add_common_headers (struct request *req)
{
  struct MHD_Response *r = req->response;
  MHD_add_response_header (r, "X-Request-Id", req->id);
  MHD_add_response_header (r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header (r, "Referrer-Policy", "no-referrer");
  const char *type = MHD_get_response_header (r, MHD_HTTP_HEADER_CONTENT_TYPE);
  bool html = NULL != type && 0 == strncmp (type, "text/html", 9);
  MHD_add_response_header (
      r, "Content-Security-Policy",
      html ? "default-src 'none'; style-src 'self'; img-src 'self' data:; "
             "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
           : "default-src 'none'; frame-ancestors 'none'");
  if (html)
    MHD_add_response_header (r, "X-Frame-Options", "DENY");
  if (NULL == MHD_get_response_header (r, MHD_HTTP_HEADER_CACHE_CONTROL))
    MHD_add_response_header (r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (NULL != req->route && ROLE_NONE == req->route->roles
      && 0 == strcmp (req->route->method, "GET"))
    MHD_add_response_header (r, "Access-Control-Allow-Origin", "*");
}

static enum MHD_Result
request_send (struct request *req)
{
  req->sent = true;
  add_common_headers (req);
  return MHD_queue_response (req->connection, req->status, req->response);
}

static enum MHD_Result
access_handler (void *cls, struct MHD_Connection *connection, const char *url,
                const char *method, const char *version,
                const char *upload_data, size_t *upload_data_size,
                void **con_cls)
{
  (void) cls;
  (void) version;
  struct request *req = *con_cls;
  if (NULL == req)
  {
    req = request_new (connection, url, method);
    if (NULL == req)
      return MHD_NO;
    *con_cls = req;
    request_begin (req);
    /* A refusal of a request with a body is sent at once, so the body is
       never read (libmicrohttpd then closes the connection); without a body
       it waits for the usual final call, keeping the connection alive. */
    if (NULL != req->response && has_body (req))
      return request_send (req);
    return MHD_YES;
  }
  if (0 != *upload_data_size)
  {
    request_append (req, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (req->sent)
    return MHD_YES; /* already answered at the headers */
  struct held_request *held = (struct held_request *) req;
  if (NULL == req->response && held->version_asked)
    request_handle (req); /* resumed: the version is read */
  else if (NULL == req->response)
    request_dispatch (req);
  if (version_awaited (req))
  {
    /* suspended first: the read may be done, and the connection resumed,
       before cache_version_join returns */
    MHD_suspend_connection (connection);
    cache_version_join (&held->version);
    return MHD_YES;
  }
  return request_send (req);
}

static void
request_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
                   enum MHD_RequestTerminationCode toe)
{
  (void) cls;
  (void) connection;
  struct request *req = *con_cls;
  if (NULL == req)
    return;
  if (NULL == req->response)
    req->status = (MHD_REQUEST_TERMINATED_COMPLETED_OK == toe) ? 500 : 499;
  double duration_ms = (double) (monotonic_ns () - req->started_ns) / 1e6;
  log_request (req, duration_ms);
  metrics_observe (req, duration_ms);
  request_free (req);
  *con_cls = NULL;
}

static void
mhd_log (void *cls, const char *fmt, va_list ap)
{
  (void) cls;
  char message[512];
  vsnprintf (message, sizeof message, fmt, ap);
  message[strcspn (message, "\n")] = '\0';
  log_event ("warning", "libmicrohttpd: %s", message);
}

/* ---- start and stop ---- */

/* Compiles every embedded template once. */
static struct tmpl_set *
load_templates (void)
{
  struct tmpl_set *set = tmpl_set_new ();
  const char *prefix = "templates/";
  const char *suffix = ".mustache";
  for (const struct embedded_file *f = embedded_files; NULL != f->path; f++)
  {
    size_t len = strlen (f->path);
    if (0 != strncmp (f->path, prefix, strlen (prefix))
        || len < strlen (prefix) + strlen (suffix)
        || 0 != strcmp (f->path + len - strlen (suffix), suffix))
      continue;
    char name[128];
    snprintf (name, sizeof name, "%.*s",
              (int) (len - strlen (prefix) - strlen (suffix)),
              f->path + strlen (prefix));
    char *err = NULL;
    if (0 != tmpl_set_add (set, name, f->data, f->size, &err))
    {
      fprintf (stderr, "fairreg: template %s: %s\n", f->path, err);
      free (err);
      tmpl_set_free (set);
      return NULL;
    }
  }
  return set;
}

static int
listen_address (struct sockaddr_storage *addr)
{
  memset (addr, 0, sizeof *addr);
  struct sockaddr_in *v4 = (struct sockaddr_in *) addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) addr;
  if (1 == inet_pton (AF_INET, config.listen_host, &v4->sin_addr))
  {
    v4->sin_family = AF_INET;
    v4->sin_port = htons ((uint16_t) config.listen_port);
    return AF_INET;
  }
  if (1 == inet_pton (AF_INET6, config.listen_host, &v6->sin6_addr))
  {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons ((uint16_t) config.listen_port);
    return AF_INET6;
  }
  return -1;
}

int
http_serve (void)
{
  struct sockaddr_storage addr;
  int family = listen_address (&addr);
  if (family < 0)
  {
    fprintf (stderr,
             "fairreg: FAIRREG_LISTEN host \"%s\" is not an IP address; use "
             "e.g. 127.0.0.1 or 0.0.0.0 or ::\n",
             config.listen_host);
    return 1;
  }
  struct tmpl_set *templates = load_templates ();
  if (NULL == templates)
    return 1;
  reply_set_templates (templates);
  metrics_init ();
  auth_init ();
  db_configure (&config);
  public_limiter = ratelimit_new (config.public_per_minute);

  /* Signals are taken by sigwait below: block them before any thread starts
     so that every thread inherits the mask. */
  sigset_t stop_signals;
  sigemptyset (&stop_signals);
  sigaddset (&stop_signals, SIGTERM);
  sigaddset (&stop_signals, SIGINT);
  pthread_sigmask (SIG_BLOCK, &stop_signals, NULL);
  signal (SIGPIPE, SIG_IGN);
  /* Answers from memory only while the listener vouches for them; until it
     is up (or if it cannot start) every request goes to the database. */
  if (0 != cache_start ((size_t) config.cache_mb * 1024 * 1024)
      || 0 != search_index_start ())
    log_event ("warning", "cache: cannot start; answering from the database");
  if (0 != date_transitions_start ())
    log_event ("warning", "date transitions: cannot start the recorder; "
                          "status changes made by dates stay unrecorded");

  /* ITC lets MHD_quiesce_daemon wake the pool's threads for the drain, and
     the version reader resume the connections that waited for it. */
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG
                   | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
  if (AF_INET6 == family)
    flags |= MHD_USE_IPv6;
  struct MHD_Daemon *daemon = MHD_start_daemon (
      flags, 0, NULL, NULL, access_handler, NULL,
      /* first, so that every message of the start goes to our log */
      MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *) &addr, MHD_OPTION_THREAD_POOL_SIZE, config.threads,
      MHD_OPTION_CONNECTION_LIMIT, config.max_connections,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, config.per_ip_connections,
      MHD_OPTION_CONNECTION_TIMEOUT, config.connection_timeout,
      /* libmicrohttpd's default: headers, and uploads in 32 kB reads; the
         pool is cleared between the requests of a connection, so a larger
         one costs every request (64 kB took 5% of a cached lookup's CPU) */
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 32 * 1024,
      MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
      MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
  if (NULL == daemon)
  {
    fprintf (stderr,
             "fairreg: cannot listen on %s:%u (in use, or not an address of "
             "this machine?); set FAIRREG_LISTEN\n",
             config.listen_host, config.listen_port);
    search_index_stop ();
    cache_stop ();
    tmpl_set_free (templates);
    ratelimit_free (public_limiter);
    public_limiter = NULL;
    return 1;
  }
  const union MHD_DaemonInfo *info
      = MHD_get_daemon_info (daemon, MHD_DAEMON_INFO_BIND_PORT);
  log_event ("info", "listening on http://%s%s%s:%u/ with %u threads",
             (AF_INET6 == family) ? "[" : "", config.listen_host,
             (AF_INET6 == family) ? "]" : "",
             (NULL != info) ? info->port : config.listen_port, config.threads);

  int sig = 0;
  sigwait (&stop_signals, &sig);
  log_event ("info", "%s received: draining requests in flight",
             (SIGTERM == sig) ? "SIGTERM" : "SIGINT");
  MHD_quiesce_daemon (daemon);
  for (int waited = 0; waited < DRAIN_TIMEOUT_SECONDS * 100
                       && 0 != atomic_load (&requests_in_flight);
       waited++)
    usleep (10 * 1000);
  MHD_stop_daemon (daemon);
  date_transitions_stop ();
  search_index_stop ();
  cache_stop ();
  db_release_all ();
  auth_release ();
  ratelimit_free (public_limiter);
  public_limiter = NULL;
  tmpl_set_free (templates);
  log_event ("info", "stopped");
  return 0;
}
