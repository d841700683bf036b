/*
 * Routing is data: the route table in router.c lists every address the server
 * answers, with its method, the roles that may call it, the query parameters
 * it accepts, the body it takes and the database role it runs as.  One
 * dispatcher walks it; the permission matrix of the registry is that table.
 */
#ifndef FAIRREG_ROUTER_H
#define FAIRREG_ROUTER_H

#include <stddef.h>

#include "request.h"

typedef int (*route_handler) (struct request *req);

enum route_body
{
  BODY_NONE, /* any body is refused with 413 */
  BODY_JSON, /* application/json, parsed into req->json before the handler */
  BODY_XML_STREAM, /* application/xml or text/xml of any size up to
                      FAIRREG_IMPORT_MAX_BYTES (body_limit is unused): the
                      caller is authorised at the headers, and the body is
                      spooled as it arrives to an unlinked temporary file
                      that the handler reads from req->body_fd */
};

enum route_db
{
  DB_NONE,   /* the handler does not touch the database */
  DB_PUBLIC, /* public views only, as role fairreg_public (maybe a standby) */
  DB_APP,    /* the application role, on the primary */
};

struct route
{
  const char *method;  /* "GET", "POST", ... */
  const char *pattern; /* "/v1/licences/{id}": {x} matches a segment */
  route_handler handler;
  unsigned roles;            /* ROLE_NONE: anyone; else a mask of roles */
  const char *const *params; /* accepted query parameters, NULL-terminated;
                                  NULL accepts none */
  enum route_body body;
  size_t body_limit; /* bytes, for BODY_JSON */
  enum route_db db;
  const char *template_name; /* HTML skin of the answer, or NULL: JSON only */
};

/* The table and its length (for metrics, which count per route). */
extern const struct route router_routes[];
extern const size_t router_route_count;

enum router_match
{
  ROUTER_FOUND,
  ROUTER_NO_PATH,   /* 404 */
  ROUTER_NO_METHOD, /* 405; *ALLOW lists the methods the path accepts */
};

/* Finds the route for METHOD and PATH.  On ROUTER_FOUND sets *ROUTE and fills
   req->path_params (malloc'ed, owned by REQ).  On ROUTER_NO_METHOD writes the
   comma-separated accepted methods into ALLOW.  HEAD matches GET routes. */
enum router_match router_match (struct request *req, const char *method,
                                const char *path, const struct route **route,
                                char *allow, size_t allow_size);

/* Index of ROUTE in router_routes (for metrics). */
size_t router_index (const struct route *route);

#endif
