/*
 * The HTTP server: libmicrohttpd with an epoll thread pool, the request
 * lifecycle (context, body limits, dispatch through the route table, common
 * headers, log line, metrics) and a graceful drain on SIGTERM/SIGINT.
 */
#ifndef FAIRREG_HTTP_H
#define FAIRREG_HTTP_H

/* Serves until SIGTERM or SIGINT, then drains in-flight requests.  Returns the
   process exit code: 0 after a clean stop, 1 if the server could not start
   (after saying why on stderr). */
int http_serve (void);

#endif
