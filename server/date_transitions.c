/*
 * The date-transitions recorder (see date_transitions.h).  One thread, its
 * own fairreg_app connection (db_thread_conn: in UTC, like every connection
 * of the server), one call, db_licences_record_date_transitions: the
 * function fr_record_date_transitions does all the work in one transaction,
 * audited as "system:date-transitions", and says how long until the next
 * day begins.  Dates change nothing in between, so
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

#include "date_transitions.h"
#include "db/db.h"
#include "db/licences.h"
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

/* How long to sleep after a run that did RUN. */
static unsigned
wait_after (const struct db_date_transitions *run)
{
  if (run->skipped > 0)
    return SKIPPED_RETRY_MS;
  double ms = run->seconds_to_next_day * 1000.0;
  if (isfinite (ms) && ms > 0 && ms < RUN_EVERY_MS)
    return (unsigned) ms + AFTER_MIDNIGHT_MS;
  return RUN_EVERY_MS;
}

static void *
recorder_main (void *cls)
{
  (void) cls;
  const struct db_audit_context audit
      = { NULL, "system:date-transitions", NULL, NULL };
  bool failing = false;
  bool first = true;
  for (;;)
  {
    unsigned wait_ms = RETRY_MS;
    /* This thread's own fairreg_app connection, in UTC like every other:
       "today" is the same day for the recorder and for the lookups. */
    struct db_conn *conn = db_thread_conn (DB_KIND_APP);
    struct db_date_transitions run = { 0, 0, 0.0 };
    if (NULL == conn)
    {
      if (!failing)
        log_event ("warning",
                   "date transitions: cannot connect to the database; "
                   "retrying every %d s",
                   RETRY_MS / 1000);
      failing = true;
    }
    else if (db_licences_record_date_transitions (conn, &audit, &run) < 0)
    {
      /* db_run logged the failure, without data that could be personal. */
      if (!failing)
        log_event ("warning",
                   "date transitions: cannot record (the failure is logged "
                   "above); retrying every %d s",
                   RETRY_MS / 1000);
      failing = true;
    }
    else
    {
      if (failing)
        log_event ("info", "date transitions: recording again");
      /* The first run always says so (the tests wait for it). */
      if (run.skipped > 0)
        log_event ("info",
                   "date transitions: recorded %ld status changes made by "
                   "dates; %ld licences held by a writer, tried again in "
                   "%d s",
                   run.recorded, run.skipped, SKIPPED_RETRY_MS / 1000);
      else if (run.recorded > 0 || first)
        log_event ("info",
                   "date transitions: up to date; recorded %ld status "
                   "changes made by dates",
                   run.recorded);
      failing = false;
      wait_ms = wait_after (&run);
    }
    first = false;
    if (sleep_or_stop (wait_ms))
      break;
  }
  db_thread_release ();
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
