/*
 * Logging: one JSON object per line on standard error, written with a single
 * write() so lines from different threads never interleave.  Log lines carry
 * request ids, routes (the pattern, never the raw path), statuses and
 * durations: never a body, a token, a query string or personal data.
 */
#ifndef FAIRREG_LOG_H
#define FAIRREG_LOG_H

struct request;

/* The access line of a finished request. */
void log_request (const struct request *req, double duration_ms);

/* An event that is not a request ("listening", "database unreachable").
   LEVEL is "info", "warning" or "error".  The message must hold no personal
   data; callers pass SQL error texts only through log_db_error. */
void log_event (const char *level, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#endif
