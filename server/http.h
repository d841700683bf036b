/*
 * The HTTP server: libmicrohttpd with an epoll thread pool, the request
 * lifecycle (context, body limits, dispatch through the route table, common
 * headers, log line, metrics) and a graceful drain on SIGTERM/SIGINT.
 */
#ifndef FAIRREG_HTTP_H
#define FAIRREG_HTTP_H

#include "cache.h"

struct request;

/* Serves until SIGTERM or SIGINT, then drains in-flight requests.  Returns the
   process exit code: 0 after a clean stop, 1 if the server could not start
   (after saying why on stderr). */
int http_serve (void);

/* For handlers that answer from memory: the register version read for REQ
   by a shared read sent after REQ arrived (cache.h).  The first call
   returns CACHE_VERSION_PENDING: the handler must then return at once
   without a reply; its connection waits, suspended, for the read, and the
   handler is called again, when this returns CACHE_VERSION_READ (with *V)
   or CACHE_VERSION_FAILED (serve nothing from memory). */
enum cache_version_state http_request_version (struct request *req,
                                               struct cache_version *v);

#endif
