/*
 * The request context.  One is made for each HTTP request when its headers
 * arrive and freed when libmicrohttpd reports the request completed; it owns
 * everything the request allocates (body, parsed JSON, reply), so a handler
 * never frees what it got from here.
 */
#ifndef FAIRREG_REQUEST_H
#define FAIRREG_REQUEST_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

struct route;

#define REQUEST_MAX_PATH_PARAMS 4

/* Roles as a bit mask, so a route can name several. */
enum role
{
  ROLE_NONE = 0,
  ROLE_ADMIN = 1 << 0,
  ROLE_INSPECTOR = 1 << 1,
  ROLE_ATTACHE = 1 << 2,
  ROLE_ANALYST = 1 << 3,
  /* In a route's mask beside staff roles: callers without a token may call
     it too (a staff token of another role is still refused). */
  ROLE_ANONYMOUS = 1 << 4,
};
#define ROLE_STAFF (ROLE_ADMIN | ROLE_INSPECTOR | ROLE_ATTACHE | ROLE_ANALYST)

/* "admin" for ROLE_ADMIN, NULL for anything that is not one role. */
const char *role_name (enum role role);
/* ROLE_ADMIN for "admin", ROLE_NONE for anything else. */
enum role role_parse (const char *name);

/* The authenticated caller, if any. */
struct principal
{
  bool authenticated;
  int64_t user_id;
  int64_t token_id;
  enum role role;
  char org[64]; /* authority code or mission ("MM-EMB-BKK") */
};

struct request
{
  struct MHD_Connection *connection;
  const struct route *route; /* NULL until dispatched */
  const char *method;        /* owned by libmicrohttpd */
  const char *path;          /* owned by libmicrohttpd, without query */
  char id[17];               /* request id: 16 hex digits, for the log */
  char client_addr[64];      /* text form of the peer's IP address */
  uint64_t started_ns;       /* monotonic clock */

  /* Path parameters, in the order the route pattern names them. */
  char *path_params[REQUEST_MAX_PATH_PARAMS];
  unsigned path_param_count;

  /* The body as received; NUL-terminated when complete. */
  char *body;
  size_t body_len;
  size_t body_cap;
  bool body_refused; /* over the route's limit: answered 413 */
  /* BODY_XML_STREAM routes: the body, spooled as it arrives into an unlinked
     temporary file (an import may be a gigabyte), rewound for the handler;
     -1 otherwise.  Closed when the request is freed. */
  int body_fd;
  bool body_spool_failed; /* a write failed (disk full): answered 500 */

  json_t *json; /* the parsed body, for routes that take JSON */
  struct principal who;
  bool wants_html; /* client prefers text/html */
  char lang[16];   /* chosen UI language, e.g. "my" */

  /* The reply, set by exactly one reply_* call. */
  struct MHD_Response *response;
  unsigned status;
  bool sent;              /* queued with libmicrohttpd */
  const char *error_code; /* wire code of an error reply, for the log */
};

/* Path parameter I (0-based) as text; never NULL for a matched route. */
const char *request_path_param (const struct request *req, unsigned i);

/* Query argument NAME, or NULL. */
const char *request_query (const struct request *req, const char *name);

/* Request header NAME, or NULL. */
const char *request_header (const struct request *req, const char *name);

/* Parses path parameter I as a positive 63-bit id.  Returns false (and the
   caller answers ERR_BAD_ID) if it is not one. */
bool request_path_id (const struct request *req, unsigned i, int64_t *id);

/* The database connection for this request's route: the public connection
   (role fairreg_public) for public routes, the application connection for
   staff routes.  NULL when the database is unreachable: answer ERR_UNAVAILABLE. */
struct db_conn *request_db (struct request *req);

/* request_db(), except that a caller authenticated with one of ROLES gets the
   application connection (role fairreg_app) even on a public route: for the
   public answers that some staff see in full (the unsuppressed complaint
   statistics).  Sets *ELEVATED to whether it did.  NULL when the database is
   unreachable: answer ERR_UNAVAILABLE. */
struct db_conn *request_db_elevated (struct request *req, unsigned roles,
                                     bool *elevated);

/* The audit context of writes made for this request: its caller, id and
   client address. */
struct db_audit_context request_audit (const struct request *req);

#endif
