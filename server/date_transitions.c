/*
 * The date-transitions recorder (see date_transitions.h).  One thread, one
 * connection, one call: SELECT ... FROM fr_record_date_transitions(), which
 * does all the work in one transaction and says how long until the next day
 * begins in the database's time zone.  Dates change nothing in between, so
 * the thread sleeps until just after that (six hours at most, in case the
 * clocks disagree), or a minute when the run had to skip licences a writer
 * held, and starts again.  Every server runs one; the function takes an
 * advisory lock, so two servers never record twice.
 *
 * The first run always logs one line, "date transitions: ..." (recorded, or
 * why not).  Failures (the database down, not yet migrated) are logged once
 * each time they start, and retried; they never stop the server, whose
 * answers do not depend on this record (the effective status is computed on
 * every read).
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config.h"
#include "date_transitions.h"
#include "log.h"

/* At most this long between runs. */
#define RUN_EVERY_MS (6 * 3600 * 1000)
/* After a failure, this long before the next try. */
#define RETRY_MS (30 * 1000)
/* After a run that skipped licences a writer held, this long. */
#define SKIPPED_RETRY_MS (60 * 1000)
/* A run this long after midnight, so that the new day has surely begun for
   the database too. */
#define AFTER_MIDNIGHT_MS 2000

static pthread_t recorder_thread;
static bool recorder_running;
static int stop_pipe[2] = { -1, -1 };

/* Sleeps MS milliseconds unless date_transitions_stop() is called; true if
   stopping. */
static bool
sleep_or_stop (unsigned ms)
{
  struct pollfd p = { stop_pipe[0], POLLIN, 0 };
  for (;;)
  {
    int n = poll (&p, 1, (int) ms);
    if (n >= 0 || EINTR != errno)
      return n > 0;
  }
}

/* Notices are not ours to print (a FATAL as the backend is terminated). */
static void
ignore_notice (void *cls, const PGresult *res)
{
  (void) cls;
  (void) res;
}

static PGconn *
recorder_connect (void)
{
  const char *const keys[]
      = { "dbname", "connect_timeout", "application_name", NULL };
  const char *const values[]
      = { config.database_url, "5", "fairreg-date-transitions", NULL };
  PGconn *pg = PQconnectdbParams (keys, values, 1);
  if (NULL != pg && CONNECTION_OK == PQstatus (pg))
  {
    PQsetNoticeReceiver (pg, ignore_notice, NULL);
    return pg;
  }
  PQfinish (pg);
  return NULL;
}

/* One run on PG: true with *RECORDED, *SKIPPED and *NEXT_DAY_MS set, or
   false (the failure logged when *SAID_FAILING was false). */
static bool
record_once (PGconn *pg, long *recorded, long *skipped, unsigned *next_day_ms,
             bool *said_failing)
{
  PGresult *res = PQexec (pg, "SELECT recorded, skipped, seconds_to_next_day"
                              " FROM fr_record_date_transitions()");
  bool ok = PGRES_TUPLES_OK == PQresultStatus (res) && 1 == PQntuples (res);
  if (ok)
  {
    *recorded = strtol (PQgetvalue (res, 0, 0), NULL, 10);
    *skipped = strtol (PQgetvalue (res, 0, 1), NULL, 10);
    double seconds = strtod (PQgetvalue (res, 0, 2), NULL);
    *next_day_ms = (isfinite (seconds) && seconds > 0 && seconds < 86400 * 2)
                       ? (unsigned) (seconds * 1000.0)
                       : RUN_EVERY_MS;
  }
  else if (!*said_failing)
  {
    /* The message is the database's about our own statement: no register
       data, no personal data, in it. */
    const char *why = (NULL != res)
                          ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY)
                          : NULL;
    log_event ("warning",
               "date transitions: cannot record (%s); retrying every %d s",
               (NULL != why) ? why : PQerrorMessage (pg), RETRY_MS / 1000);
  }
  PQclear (res);
  return ok;
}

static void *
recorder_main (void *cls)
{
  (void) cls;
  PGconn *pg = NULL;
  bool failing = false;
  bool first = true;
  for (;;)
  {
    unsigned wait_ms = RETRY_MS;
    if (NULL == pg || CONNECTION_OK != PQstatus (pg))
    {
      PQfinish (pg);
      pg = recorder_connect ();
      if (NULL == pg && !failing)
        log_event ("warning",
                   "date transitions: cannot connect to the database; "
                   "retrying every %d s",
                   RETRY_MS / 1000);
    }
    long recorded = 0, skipped = 0;
    unsigned next_day_ms = 0;
    if (NULL == pg)
      failing = true;
    else if (record_once (pg, &recorded, &skipped, &next_day_ms, &failing))
    {
      if (failing)
        log_event ("info", "date transitions: recording again");
      /* The first run always says so (the tests wait for it). */
      if (skipped > 0)
        log_event ("info",
                   "date transitions: recorded %ld status changes made by "
                   "dates; %ld licences held by a writer, tried again in "
                   "%d s",
                   recorded, skipped, SKIPPED_RETRY_MS / 1000);
      else if (recorded > 0 || first)
        log_event ("info",
                   "date transitions: up to date; recorded %ld status "
                   "changes made by dates",
                   recorded);
      failing = false;
      if (skipped > 0)
        wait_ms = SKIPPED_RETRY_MS;
      else if (next_day_ms < RUN_EVERY_MS)
        wait_ms = next_day_ms + AFTER_MIDNIGHT_MS;
      else
        wait_ms = RUN_EVERY_MS;
    }
    else
      failing = true;
    first = false;
    if (sleep_or_stop (wait_ms))
      break;
  }
  PQfinish (pg);
  return NULL;
}

int
date_transitions_start (void)
{
  if (0 != pipe (stop_pipe))
    return -1;
  if (0 != pthread_create (&recorder_thread, NULL, recorder_main, NULL))
  {
    close (stop_pipe[0]);
    close (stop_pipe[1]);
    stop_pipe[0] = stop_pipe[1] = -1;
    return -1;
  }
  recorder_running = true;
  return 0;
}

void
date_transitions_stop (void)
{
  if (!recorder_running)
    return;
  if (1 != write (stop_pipe[1], "x", 1))
    log_event ("warning", "date transitions: cannot signal the thread to stop");
  pthread_join (recorder_thread, NULL);
  recorder_running = false;
  close (stop_pipe[0]);
  close (stop_pipe[1]);
  stop_pipe[0] = stop_pipe[1] = -1;
}
