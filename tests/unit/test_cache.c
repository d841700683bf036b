/*
 * Unit tests of the never-stale response cache (server/cache.c): the store
 * (hits, replacement, the byte bound, LRU eviction, entries held across
 * eviction, many threads at once) and the version labels (an entry made
 * before a commit is never served to a request that read the version after
 * it; an older answer never replaces a newer one; another day is another
 * state), and the shared version read (a read answers only the requests
 * that joined before it was sent; a failed one lets nothing be served from
 * memory).  When a PostgreSQL server is reachable (tests/run.sh runs inside
 * one), the register version is tested for real: it has moved when COMMIT
 * returns, every time, and not on rollback; and the listener, now only an
 * accelerator, hears commits and comes back when its connection is killed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cache.h"
#include "config.h"
#include "db/db.h"
#include "db/migrate.h"

#define MB (1024 * 1024)
#define TODAY 9600

/* The version the next request of the test "reads". */
static struct cache_version current = { 1, TODAY };

static int
setup_store (void **state)
{
  (void) state;
  current = (struct cache_version){ 1, TODAY };
  return cache_testing_start (1 * MB);
}

static int
teardown_store (void **state)
{
  (void) state;
  cache_stop ();
  return 0;
}

/* Stores BODY under KEY labelled MADE; true if stored. */
static bool
put_at (unsigned route, const char *key, const char *body,
        struct cache_version made)
{
  const struct cache_entry *entry = cache_put (route, key, strlen (key), &made,
                                               body, strlen (body), "\"t\"");
  cache_entry_release (entry);
  return NULL != entry;
}

static bool
put (unsigned route, const char *key, const char *body)
{
  return put_at (route, key, body, current);
}

/* Is KEY served with BODY to a request that read version NOW? */
static bool
has_at (unsigned route, const char *key, const char *body,
        struct cache_version now)
{
  const struct cache_entry *entry = cache_get (route, key, strlen (key), &now);
  if (NULL == entry)
    return false;
  size_t len;
  const char *got = cache_entry_body (entry, &len);
  bool same = len == strlen (body) && 0 == memcmp (got, body, len);
  cache_entry_release (entry);
  return same;
}

static bool
has (unsigned route, const char *key, const char *body)
{
  return has_at (route, key, body, current);
}

static void
stored_answer_is_served_until_replaced (void **state)
{
  (void) state;
  assert_false (has (1, "number=abc", "{}"));
  assert_true (put (1, "number=abc", "{\"items\":[1]}"));
  assert_true (has (1, "number=abc", "{\"items\":[1]}"));
  /* same key on another route is another answer */
  assert_false (has (2, "number=abc", "{\"items\":[1]}"));
  const struct cache_entry *e = cache_get (1, "number=abc", 10, &current);
  assert_non_null (e);
  assert_string_equal (cache_entry_etag (e), "\"t\"");
  cache_entry_release (e);
  assert_true (put (1, "number=abc", "{\"items\":[2]}"));
  assert_true (has (1, "number=abc", "{\"items\":[2]}"));
  struct cache_stats st;
  cache_stats (&st);
  assert_int_equal (st.entries, 1);
}

static void
entry_made_before_a_commit_is_not_served_after_it (void **state)
{
  (void) state;
  assert_true (put (1, "k", "old"));
  struct cache_stats st;
  cache_stats (&st);
  uint64_t outdated = st.outdated;
  current.version++; /* a commit: the next request reads the new version */
  assert_false (has (1, "k", "old"));
  cache_stats (&st);
  assert_int_equal (st.outdated, outdated + 1);
  assert_true (put (1, "k", "new"));
  assert_true (has (1, "k", "new"));
}

static void
answer_read_across_a_commit_is_labelled_before_it (void **state)
{
  (void) state;
  /* A request reads version 1, then its data; a change commits in between,
     so its data may be of either state.  Labelled 1, it is served to no
     request that read version 2. */
  struct cache_version before = current;
  current.version++;
  assert_true (put_at (1, "late", "either state", before));
  assert_false (has (1, "late", "either state"));
  /* a request that read version 1 (it arrived before the commit) may */
  assert_true (has_at (1, "late", "either state", before));
}

static void
older_answer_never_replaces_a_newer_one (void **state)
{
  (void) state;
  struct cache_version old = current;
  current.version += 5;
  assert_true (put (1, "k", "newer"));
  assert_false (put_at (1, "k", "older", old));
  assert_true (has (1, "k", "newer"));
  /* a request still on the old version (a lagging standby) gets the newer
     answer, which is not stale for it */
  assert_true (has_at (1, "k", "newer", old));
}

static void
another_day_is_another_state (void **state)
{
  (void) state;
  assert_true (put (1, "k", "yesterday"));
  current.day++; /* midnight: no write, but effective statuses moved */
  assert_false (has (1, "k", "yesterday"));
  assert_true (put (1, "k", "today"));
  assert_true (has (1, "k", "today"));
  struct cache_version yesterday = current;
  yesterday.day--;
  assert_false (has_at (1, "k", "today", yesterday));
}

static void
invalidation_evicts_every_entry (void **state)
{
  (void) state;
  assert_true (put (1, "a", "1"));
  assert_true (put (2, "b", "2"));
  uint64_t heard = cache_changes_heard ();
  cache_invalidate ();
  assert_true (cache_changes_heard () > heard);
  assert_false (has (1, "a", "1"));
  assert_false (has (2, "b", "2"));
  struct cache_stats st;
  cache_stats (&st);
  assert_true (st.entries <= 2); /* dropped lazily, shard by shard */
  assert_true (put (1, "a", "1 again"));
  assert_true (has (1, "a", "1 again"));
}

static void
bytes_stay_under_the_budget_and_lru_survives (void **state)
{
  (void) state;
  char key[32];
  char body[2048];
  memset (body, 'b', sizeof body - 1);
  body[sizeof body - 1] = '\0';
  assert_true (put (7, "hot", "hot body"));
  for (int i = 0; i < 3000; i++)
  {
    snprintf (key, sizeof key, "key-%d", i);
    put (7, key, body);
    if (0 == i % 50)
      assert_true (has (7, "hot", "hot body")); /* kept recently used */
    struct cache_stats st;
    cache_stats (&st);
    assert_true (st.bytes <= 1 * MB);
  }
  struct cache_stats st;
  cache_stats (&st);
  assert_true (st.evictions > 0);
  assert_true (st.entries < 3000);
  /* an answer larger than an eighth of a shard is not stored */
  char *big = malloc (MB / 16 / 8 + 1);
  memset (big, 'x', MB / 16 / 8);
  big[MB / 16 / 8] = '\0';
  assert_false (put (7, "big", big));
  free (big);
}

static void
held_entry_outlives_its_eviction (void **state)
{
  (void) state;
  assert_true (put (3, "held", "still readable"));
  const struct cache_entry *held = cache_get (3, "held", 4, &current);
  assert_non_null (held);
  cache_invalidate (); /* dropped from its shard on next use */
  for (int i = 0; i < 200; i++)
  {
    char key[16];
    snprintf (key, sizeof key, "%d", i);
    put (3, key, "filler");
  }
  size_t len;
  const char *body = cache_entry_body (held, &len);
  assert_int_equal (len, 14);
  assert_memory_equal (body, "still readable", 14);
  cache_entry_release (held); /* freed here; ASan checks */
}

/* The register of the hammer test: its version moves while threads read
   and store; a body records the version its "data" was read at. */
static _Atomic int64_t hammer_version = 1;

struct hammer
{
  int seed;
  int hits;
  int stale;
};

static void *
hammer_main (void *cls)
{
  struct hammer *h = cls;
  unsigned r = (unsigned) h->seed;
  char key[16];
  char body[64];
  for (int i = 0; i < 20000; i++)
  {
    r = r * 1103515245u + 12345u;
    int k = (int) ((r >> 8) % 300);
    snprintf (key, sizeof key, "k%d", k);
    /* the request reads the version first */
    struct cache_version now = { atomic_load (&hammer_version), TODAY };
    const struct cache_entry *e = cache_get (9, key, strlen (key), &now);
    if (NULL != e)
    {
      size_t len;
      const char *got = cache_entry_body (e, &len);
      char copy[64];
      snprintf (copy, sizeof copy, "%.*s", (int) len, got);
      int got_k;
      int64_t got_v;
      if (2 != sscanf (copy, "body of %d at %" SCNd64, &got_k, &got_v)
          || got_k != k)
        abort (); /* a hit is always the body stored for that key */
      if (got_v < now.version)
        h->stale++;
      h->hits++;
      cache_entry_release (e);
    }
    else
    {
      /* the data is read after the version: at least as new */
      snprintf (body, sizeof body, "body of %d at %" PRId64, k,
                (int64_t) atomic_load (&hammer_version));
      struct cache_version made = now;
      const struct cache_entry *stored = cache_put (
          9, key, strlen (key), &made, body, strlen (body), "\"t\"");
      cache_entry_release (stored);
    }
    if (0 == (r >> 20) % 500)
      atomic_fetch_add (&hammer_version, 1); /* a commit */
    if (0 == (r >> 20) % 3000)
      cache_invalidate ();
  }
  return NULL;
}

static void
many_threads_share_the_cache_and_none_sees_an_older_state (void **state)
{
  (void) state;
  pthread_t threads[4];
  struct hammer h[4];
  for (int i = 0; i < 4; i++)
  {
    h[i] = (struct hammer){ i + 1, 0, 0 };
    assert_int_equal (pthread_create (&threads[i], NULL, hammer_main, &h[i]),
                      0);
  }
  int hits = 0;
  int stale = 0;
  for (int i = 0; i < 4; i++)
  {
    pthread_join (threads[i], NULL);
    hits += h[i].hits;
    stale += h[i].stale;
  }
  assert_true (hits > 0);
  assert_int_equal (stale, 0);
  assert_true (atomic_load (&hammer_version) > 1);
  struct cache_stats st;
  cache_stats (&st);
  assert_true (st.bytes <= 1 * MB);
}

static void
no_store_stores_nothing (void **state)
{
  (void) state;
  assert_int_equal (cache_testing_start (0), 0);
  assert_false (put (1, "k", "v")); /* FAIRREG_CACHE_MB=0 */
  assert_null (cache_get (1, "k", 1, &current));
  cache_stop ();
}

/* ---- the shared version read ---- */

/* A request's side of the shared read: READY is called once. */
struct joined
{
  struct cache_version_wait wait;
  pthread_mutex_t lock;
  pthread_cond_t done;
  int readies;
};

static void
joined_ready (void *cls)
{
  struct joined *j = cls;
  pthread_mutex_lock (&j->lock);
  j->readies++;
  pthread_cond_signal (&j->done);
  pthread_mutex_unlock (&j->lock);
}

static void
join (struct joined *j)
{
  memset (j, 0, sizeof *j);
  pthread_mutex_init (&j->lock, NULL);
  pthread_cond_init (&j->done, NULL);
  j->wait.ready = joined_ready;
  j->wait.cls = j;
  cache_version_join (&j->wait);
}

static void
shared_read_answers_only_those_that_joined_before_it_was_sent (void **state)
{
  (void) state;
  struct joined early;
  struct joined late;
  join (&early);
  assert_int_equal (early.wait.state, CACHE_VERSION_PENDING);
  assert_true (cache_testing_round_begin ());
  join (&late); /* while the read is in flight: it may predate the request */
  struct cache_version v5 = { 5, TODAY };
  cache_testing_round_end (true, &v5);
  assert_int_equal (early.readies, 1);
  assert_int_equal (early.wait.state, CACHE_VERSION_READ);
  assert_int_equal (early.wait.version.version, 5);
  assert_int_equal (late.readies, 0);
  assert_int_equal (late.wait.state, CACHE_VERSION_PENDING);

  assert_true (cache_testing_round_begin ());
  struct cache_version v6 = { 6, TODAY };
  cache_testing_round_end (true, &v6);
  assert_int_equal (late.readies, 1);
  assert_int_equal (late.wait.state, CACHE_VERSION_READ);
  assert_int_equal (late.wait.version.version, 6);
  assert_int_equal (early.readies, 1);
  assert_false (cache_testing_round_begin ()); /* nobody waits: no read */
}

static void
one_read_answers_every_request_that_joined_before_it (void **state)
{
  (void) state;
  struct joined many[50];
  for (int i = 0; i < 50; i++)
    join (&many[i]);
  assert_true (cache_testing_round_begin ());
  struct cache_version v = { 9, TODAY };
  cache_testing_round_end (true, &v);
  for (int i = 0; i < 50; i++)
  {
    assert_int_equal (many[i].readies, 1);
    assert_int_equal (many[i].wait.version.version, 9);
  }
}

static void
failed_shared_read_lets_nothing_be_served_from_memory (void **state)
{
  (void) state;
  struct joined j;
  join (&j);
  assert_true (cache_testing_round_begin ());
  cache_testing_round_end (false, NULL);
  assert_int_equal (j.readies, 1);
  assert_int_equal (j.wait.state, CACHE_VERSION_FAILED);
}

static void
join_without_a_reader_fails_at_once (void **state)
{
  (void) state;
  struct joined waiting;
  join (&waiting);
  cache_stop (); /* answers whoever still waits */
  assert_int_equal (waiting.readies, 1);
  assert_int_equal (waiting.wait.state, CACHE_VERSION_FAILED);
  struct joined after;
  join (&after);
  assert_int_equal (after.readies, 1);
  assert_int_equal (after.wait.state, CACHE_VERSION_FAILED);
  assert_int_equal (cache_testing_start (1 * MB), 0); /* for the teardown */
}

/* Joins the shared read of the live reader thread and waits for it. */
static struct joined *
shared_read (void)
{
  struct joined *j = malloc (sizeof *j);
  assert_non_null (j);
  join (j);
  pthread_mutex_lock (&j->lock);
  while (0 == j->readies)
    pthread_cond_wait (&j->done, &j->lock);
  pthread_mutex_unlock (&j->lock);
  return j;
}

/* ---- the register version and the listener, against PostgreSQL ---- */

static uint64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* Waits up to MS for cache_changes_heard() to pass SEEN. */
static bool
wait_heard (uint64_t seen, unsigned ms)
{
  uint64_t until = now_ns () + (uint64_t) ms * 1000000ULL;
  while (now_ns () < until)
  {
    if (cache_changes_heard () > seen)
      return true;
    usleep (1000);
  }
  return false;
}

static void
exec_ok (PGconn *pg, const char *sql)
{
  PGresult *res = PQexec (pg, sql);
  if (PGRES_COMMAND_OK != PQresultStatus (res)
      && PGRES_TUPLES_OK != PQresultStatus (res))
    fail_msg ("%s: %s", sql, PQresultErrorMessage (res));
  PQclear (res);
}

static struct cache_version
read_version (struct db_conn *reader)
{
  struct cache_version v = { 0, 0 };
  assert_true (cache_version_read (reader, &v));
  return v;
}

static void
version_moves_when_commit_returns_and_not_on_rollback (void **state)
{
  (void) state;
  PGconn *admin = PQconnectdb ("");
  if (CONNECTION_OK != PQstatus (admin))
  {
    PQfinish (admin);
    skip (); /* no PostgreSQL here: tests/run.sh provides one */
    return;
  }
  char dbname[64];
  snprintf (dbname, sizeof dbname, "fr_unit_cache_%d", (int) getpid ());
  char sql[256];
  snprintf (sql, sizeof sql,
            "CREATE DATABASE %s ENCODING 'UTF8' LOCALE 'C.UTF-8'"
            " TEMPLATE template0",
            dbname);
  exec_ok (admin, sql);
  static char conninfo[128];
  snprintf (conninfo, sizeof conninfo, "dbname=%s", dbname);
  config.database_url = conninfo;
  config.read_database_url = conninfo;
  config.statement_timeout_ms = 60000;
  db_configure (&config);
  struct db_conn *conn = db_connect_command (DB_KIND_SESSION);
  assert_non_null (conn);
  FILE *devnull = fopen ("/dev/null", "w");
  assert_true (db_migrate (conn, devnull) > 0);
  fclose (devnull);
  PGconn *writer = db_pg (conn);
  exec_ok (writer, "SET ROLE fairreg_app");
  /* the public role, as every request reads it */
  struct db_conn *reader = db_connect_command (DB_KIND_PUBLIC);
  assert_non_null (reader);

  struct cache_version v = read_version (reader);
  assert_true (v.day > 0);

  /* a rolled-back write leaves the version */
  exec_ok (writer, "BEGIN");
  exec_ok (writer,
           "INSERT INTO agency (name, country) VALUES ('Rolled Back', 'PH')");
  exec_ok (writer, "ROLLBACK");
  assert_int_equal (read_version (reader).version, v.version);

  /* a write in a rolled-back savepoint too */
  exec_ok (writer, "BEGIN");
  exec_ok (writer, "SAVEPOINT s");
  exec_ok (writer,
           "INSERT INTO agency (name, country) VALUES ('Rolled Back', 'PH')");
  exec_ok (writer, "ROLLBACK TO SAVEPOINT s");
  exec_ok (writer, "COMMIT");
  assert_int_equal (read_version (reader).version, v.version);

  /* a transaction of several writing statements moves it once, at its
     commit and not before */
  exec_ok (writer, "BEGIN");
  exec_ok (writer,
           "INSERT INTO agency (name, country) VALUES ('Committed', 'PH')");
  exec_ok (writer, "UPDATE agency SET phone = '1' WHERE name = 'Committed'");
  assert_int_equal (read_version (reader).version, v.version);
  exec_ok (writer, "COMMIT");
  assert_int_equal (read_version (reader).version, v.version + 1);

  /* the listener hears commits (eviction, rebuilds) */
  assert_int_equal (cache_start (1 * MB), 0);
  uint64_t heard = cache_changes_heard ();
  assert_true (wait_heard (heard, 5000)); /* connected and listening */
  heard = cache_changes_heard ();
  exec_ok (writer, "UPDATE agency SET phone = '2' WHERE name = 'Committed'");
  assert_true (wait_heard (heard, 2000));

  /* What the notification could not promise, the version does: it has
     moved when COMMIT returns, every time. */
  int late = 0;
  for (int i = 0; i < 200; i++)
  {
    struct cache_version before = read_version (reader);
    exec_ok (writer, "UPDATE agency SET phone = 'x' || random()"
                     " WHERE name = 'Committed'");
    if (read_version (reader).version <= before.version)
      late++;
  }
  print_message ("# version not yet moved right after COMMIT: %d of 200\n",
                 late);
  assert_int_equal (late, 0);

  /* so has the shared read, made by the reader thread on its own
     connection, joined after COMMIT returned */
  for (int i = 0; i < 50; i++)
  {
    exec_ok (writer, "UPDATE agency SET phone = 'y' || random()"
                     " WHERE name = 'Committed'");
    struct cache_version direct = read_version (reader);
    struct joined *j = shared_read ();
    assert_int_equal (j->wait.state, CACHE_VERSION_READ);
    assert_int_equal (j->wait.version.version, direct.version);
    assert_int_equal (j->wait.version.day, direct.day);
    free (j);
  }

  /* the listener's connection is killed: it comes back, and says so by
     counting a change (it may have missed some) */
  heard = cache_changes_heard ();
  exec_ok (writer, "RESET ROLE");
  exec_ok (writer, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                   " WHERE application_name = 'fairreg-cache-listener'");
  assert_true (wait_heard (heard, 5000));
  struct cache_stats st;
  uint64_t until = now_ns () + 5000 * 1000000ULL;
  do
  {
    cache_stats (&st);
    usleep (1000);
  } while (!st.listening && now_ns () < until);
  assert_true (st.listening);

  cache_stop ();
  db_conn_free (reader);
  db_conn_free (conn);
  snprintf (sql, sizeof sql, "DROP DATABASE %s", dbname);
  exec_ok (admin, sql);
  PQfinish (admin);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (stored_answer_is_served_until_replaced,
                                     setup_store, teardown_store),
    cmocka_unit_test_setup_teardown (
        entry_made_before_a_commit_is_not_served_after_it, setup_store,
        teardown_store),
    cmocka_unit_test_setup_teardown (
        answer_read_across_a_commit_is_labelled_before_it, setup_store,
        teardown_store),
    cmocka_unit_test_setup_teardown (older_answer_never_replaces_a_newer_one,
                                     setup_store, teardown_store),
    cmocka_unit_test_setup_teardown (another_day_is_another_state, setup_store,
                                     teardown_store),
    cmocka_unit_test_setup_teardown (invalidation_evicts_every_entry,
                                     setup_store, teardown_store),
    cmocka_unit_test_setup_teardown (
        bytes_stay_under_the_budget_and_lru_survives, setup_store,
        teardown_store),
    cmocka_unit_test_setup_teardown (held_entry_outlives_its_eviction,
                                     setup_store, teardown_store),
    cmocka_unit_test_setup_teardown (
        many_threads_share_the_cache_and_none_sees_an_older_state, setup_store,
        teardown_store),
    cmocka_unit_test (no_store_stores_nothing),
    cmocka_unit_test_setup_teardown (
        shared_read_answers_only_those_that_joined_before_it_was_sent,
        setup_store, teardown_store),
    cmocka_unit_test_setup_teardown (
        one_read_answers_every_request_that_joined_before_it, setup_store,
        teardown_store),
    cmocka_unit_test_setup_teardown (
        failed_shared_read_lets_nothing_be_served_from_memory, setup_store,
        teardown_store),
    cmocka_unit_test_setup_teardown (join_without_a_reader_fails_at_once,
                                     setup_store, teardown_store),
    cmocka_unit_test (version_moves_when_commit_returns_and_not_on_rollback),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
