/*
 * JSON log lines on stderr (see log.h for what may and may not be logged).
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "request.h"
#include "router.h"

static void
format_now (char *buf, size_t size)
{
  struct timespec now;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &now);
  gmtime_r (&now.tv_sec, &tm);
  size_t n = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, size - n, ".%03ldZ", now.tv_nsec / 1000000);
}

static void
write_line (json_t *line)
{
  char *text = json_dumps (line, JSON_COMPACT);
  json_decref (line);
  if (NULL == text)
    return;
  size_t len = strlen (text);
  text[len] = '\n'; /* replaces the NUL: json_dumps allocates len + 1 */
  ssize_t ignored = write (STDERR_FILENO, text, len + 1);
  (void) ignored; /* nowhere to report a failing log */
  free (text);
}

void
log_request (const struct request *req, double duration_ms)
{
  char ts[40];
  format_now (ts, sizeof ts);
  json_t *line = json_pack (
      "{s:s, s:s, s:s, s:s, s:s, s:i, s:f}", "ts", ts, "level", "info",
      "request_id", req->id, "method", req->method, "route",
      (NULL != req->route) ? req->route->pattern : "(none)", "status",
      (json_int_t) req->status, "duration_ms",
      round (duration_ms * 1000.0) / 1000.0);
  if (NULL == line)
    return;
  if (NULL != req->error_code)
    json_object_set_new (line, "error", json_string (req->error_code));
  if (req->who.authenticated)
    json_object_set_new (line, "user_id", json_integer (req->who.user_id));
  write_line (line);
}

void
log_event (const char *level, const char *fmt, ...)
{
  char ts[40];
  char message[1024];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (message, sizeof message, fmt, ap);
  va_end (ap);
  format_now (ts, sizeof ts);
  json_t *line = json_pack ("{s:s, s:s, s:s}", "ts", ts, "level", level,
                            "message", message);
  if (NULL != line)
    write_line (line);
}
