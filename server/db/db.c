/*
 * Per-thread libpq connections with lazily prepared statements, transactions
 * that carry the audit context, and the error classification of STYLE.md.
 * See db.h for the contract.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db/db.h"
#include "log.h"
#include "request.h"

#define DB_MAX_STATEMENTS 256
#define DB_RECONNECT_INTERVAL_NS (200 * 1000 * 1000ULL)
#define DB_TRANSACTION_ATTEMPTS 3

struct db_conn
{
  /* Threads' connections are also on a list, so they can be closed at
     shutdown after the thread pool (which holds them in TLS) has ended. */
  struct db_conn *next_thread_conn;
  PGconn *pg;
  enum db_kind kind;
  /* Statements prepared on this connection, by identity of their struct. */
  const struct db_statement *prepared[DB_MAX_STATEMENTS];
  unsigned prepared_count;
};

static const char *primary_conninfo = "";
static const char *public_conninfo = "";
static unsigned statement_timeout_ms = 10000;

static _Thread_local struct db_conn *thread_conns[2];
static _Thread_local uint64_t thread_last_attempt_ns[2];
static atomic_uint connections_up[2];
static pthread_mutex_t thread_conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct db_conn *all_thread_conns;

void
db_configure (const struct config *cfg)
{
  primary_conninfo = cfg->database_url;
  public_conninfo = cfg->read_database_url;
  statement_timeout_ms = cfg->statement_timeout_ms;
}

static uint64_t
monotonic_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* Connects and takes the role of KIND.  Returns NULL (and says why in *WHY,
   a static or PQ-owned text copied into WHY_BUF) on failure. */
static struct db_conn *
conn_open (enum db_kind kind, char *why, size_t why_size)
{
  const char *conninfo
      = (DB_KIND_PUBLIC == kind) ? public_conninfo : primary_conninfo;
  /* An empty value falls back to libpq's PG* variables. */
  const char *const keys[]
      = { "dbname", "connect_timeout", "application_name", NULL };
  const char *const values[] = { conninfo, "2", "fairreg", NULL };
  PGconn *pg = PQconnectdbParams (keys, values, 1);
  if (NULL == pg || CONNECTION_OK != PQstatus (pg))
  {
    snprintf (why, why_size, "%s",
              (NULL != pg) ? PQerrorMessage (pg) : "out of memory");
    why[strcspn (why, "\n")] = '\0';
    PQfinish (pg);
    return NULL;
  }
  char setup[256];
  snprintf (setup, sizeof setup,
            "%s SET TIME ZONE 'UTC'; SET statement_timeout = %u;%s",
            (DB_KIND_PUBLIC == kind) ? "SET ROLE fairreg_public;"
            : (DB_KIND_APP == kind)  ? "SET ROLE fairreg_app;"
                                     : "",
            statement_timeout_ms,
            (DB_KIND_PUBLIC == kind)
                ? " SET default_transaction_read_only = on;"
                : "");
  PGresult *res = PQexec (pg, setup);
  if (PGRES_COMMAND_OK != PQresultStatus (res))
  {
    snprintf (why, why_size, "setting up the session failed: %s",
              PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY)
                  ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY)
                  : PQerrorMessage (pg));
    PQclear (res);
    PQfinish (pg);
    return NULL;
  }
  PQclear (res);
  struct db_conn *conn = calloc (1, sizeof *conn);
  if (NULL == conn)
  {
    snprintf (why, why_size, "out of memory");
    PQfinish (pg);
    return NULL;
  }
  conn->pg = pg;
  conn->kind = kind;
  return conn;
}

void
db_conn_free (struct db_conn *conn)
{
  if (NULL == conn)
    return;
  PQfinish (conn->pg);
  free (conn);
}

static void
thread_conn_forget (struct db_conn *conn)
{
  pthread_mutex_lock (&thread_conns_lock);
  for (struct db_conn **p = &all_thread_conns; NULL != *p;
       p = &(*p)->next_thread_conn)
    if (*p == conn)
    {
      *p = conn->next_thread_conn;
      break;
    }
  pthread_mutex_unlock (&thread_conns_lock);
}

struct db_conn *
db_thread_conn (enum db_kind kind)
{
  unsigned slot = (DB_KIND_PUBLIC == kind) ? 0 : 1;
  struct db_conn *conn = thread_conns[slot];
  if (NULL != conn)
  {
    if (CONNECTION_OK == PQstatus (conn->pg))
      return conn;
    /* Lost (database restart): drop it and connect again below. */
    thread_conn_forget (conn);
    db_conn_free (conn);
    thread_conns[slot] = NULL;
    atomic_fetch_sub (&connections_up[slot], 1);
  }
  uint64_t now = monotonic_ns ();
  if (0 != thread_last_attempt_ns[slot]
      && now - thread_last_attempt_ns[slot] < DB_RECONNECT_INTERVAL_NS)
    return NULL;
  thread_last_attempt_ns[slot] = now;
  char why[256];
  conn = conn_open (kind, why, sizeof why);
  if (NULL == conn)
  {
    log_event ("warning", "database connection (%s) failed: %s",
               slot ? "app" : "public", why);
    return NULL;
  }
  thread_last_attempt_ns[slot] = 0;
  thread_conns[slot] = conn;
  pthread_mutex_lock (&thread_conns_lock);
  conn->next_thread_conn = all_thread_conns;
  all_thread_conns = conn;
  pthread_mutex_unlock (&thread_conns_lock);
  atomic_fetch_add (&connections_up[slot], 1);
  return conn;
}

void
db_thread_release (void)
{
  for (unsigned slot = 0; slot < 2; slot++)
    if (NULL != thread_conns[slot])
    {
      thread_conn_forget (thread_conns[slot]);
      db_conn_free (thread_conns[slot]);
      thread_conns[slot] = NULL;
      atomic_fetch_sub (&connections_up[slot], 1);
    }
}

void
db_release_all (void)
{
  pthread_mutex_lock (&thread_conns_lock);
  while (NULL != all_thread_conns)
  {
    struct db_conn *conn = all_thread_conns;
    all_thread_conns = conn->next_thread_conn;
    atomic_fetch_sub (&connections_up[(DB_KIND_PUBLIC == conn->kind) ? 0 : 1],
                      1);
    db_conn_free (conn);
  }
  pthread_mutex_unlock (&thread_conns_lock);
}

void
db_connection_counts (unsigned *public_up, unsigned *app_up)
{
  *public_up = atomic_load (&connections_up[0]);
  *app_up = atomic_load (&connections_up[1]);
}

struct db_conn *
db_connect_command (enum db_kind kind)
{
  char why[512];
  struct db_conn *conn = conn_open (kind, why, sizeof why);
  if (NULL == conn)
    fprintf (stderr,
             "fairreg: cannot connect to the database: %s\n"
             "Set DATABASE_URL or libpq's PGHOST, PGDATABASE, PGUSER.\n",
             why);
  return conn;
}

PGconn *
db_pg (struct db_conn *conn)
{
  return conn->pg;
}

bool
db_is_sqlstate (const PGresult *res, const char *state)
{
  const char *got = PQresultErrorField (res, PG_DIAG_SQLSTATE);
  return NULL != got && 0 == strcmp (got, state);
}

int
db_result_qs (const PGresult *res)
{
  switch (PQresultStatus (res))
  {
  case PGRES_TUPLES_OK:
    return PQntuples (res);
  case PGRES_COMMAND_OK:
  {
    const char *n = PQcmdTuples ((PGresult *) res);
    return ('\0' != *n) ? atoi (n) : 0;
  }
  default:
    if (db_is_sqlstate (res, "40001") || db_is_sqlstate (res, "40P01"))
      return DB_QS_SOFT;
    return DB_QS_HARD;
  }
}

/* Logs a failed statement without risking personal data: for data and
   integrity errors (classes 22 and 23) PostgreSQL's messages can quote the
   offending value, so only the SQLSTATE and the constraint are logged. */
static void
log_failure (const char *what, const PGresult *res, PGconn *pg)
{
  const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
  const char *constraint = PQresultErrorField (res, PG_DIAG_CONSTRAINT_NAME);
  const char *primary = PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY);
  bool may_quote_values
      = NULL != state
        && (0 == strncmp (state, "22", 2) || 0 == strncmp (state, "23", 2));
  if (NULL == state)
  {
    char message[256];
    snprintf (message, sizeof message, "%s", PQerrorMessage (pg));
    message[strcspn (message, "\n")] = '\0';
    log_event ("error", "SQL %s failed: %s", what, message);
    return;
  }
  log_event ("error", "SQL %s failed: SQLSTATE %s%s%s%s%s", what, state,
             (NULL != constraint) ? " constraint " : "",
             (NULL != constraint) ? constraint : "",
             (may_quote_values || NULL == primary) ? "" : ": ",
             (may_quote_values || NULL == primary) ? "" : primary);
}

/* A casework function's refusal of the client's request (SQLSTATE FR001,
   FR403, FR404, FR409, FR422; schema/0050_casework_common.sql): answered as a
   4xx, not a failure worth logging.  FR002 (an append-only table written) is
   a bug and is logged. */
static bool
is_refusal (const PGresult *res)
{
  const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
  return NULL != state && 0 == strncmp (state, "FR", 2)
         && 0 != strcmp (state, "FR002");
}

/* Drops a lost connection so the next request reconnects. */
static void
note_if_lost (struct db_conn *conn)
{
  if (CONNECTION_OK != PQstatus (conn->pg))
    log_event ("warning", "database connection lost; reconnecting");
}

static bool
is_prepared (const struct db_conn *conn, const struct db_statement *st)
{
  for (unsigned i = 0; i < conn->prepared_count; i++)
    if (conn->prepared[i] == st)
      return true;
  return false;
}

PGresult *
db_run (struct db_conn *conn, const struct db_statement *st, int nparams,
        const char *const *params, int *qs)
{
  if (!is_prepared (conn, st))
  {
    PGresult *res = PQprepare (conn->pg, st->name, st->sql, 0, NULL);
    if (NULL == res || PGRES_COMMAND_OK != PQresultStatus (res))
    {
      if (NULL == res || CONNECTION_OK != PQstatus (conn->pg))
      {
        PQclear (res);
        note_if_lost (conn);
        *qs = DB_QS_HARD;
        return NULL;
      }
      /* In a failed transaction a prepare fails too: report as the query. */
      log_failure (st->name, res, conn->pg);
      *qs = db_result_qs (res);
      return res;
    }
    PQclear (res);
    if (conn->prepared_count < DB_MAX_STATEMENTS)
      conn->prepared[conn->prepared_count++] = st;
  }
  PGresult *res
      = PQexecPrepared (conn->pg, st->name, nparams, params, NULL, NULL, 0);
  if (NULL == res || CONNECTION_OK != PQstatus (conn->pg))
  {
    PQclear (res);
    note_if_lost (conn);
    *qs = DB_QS_HARD;
    return NULL;
  }
  *qs = db_result_qs (res);
  if (*qs < 0 && !db_is_sqlstate (res, "23505")
      && !db_is_sqlstate (res, "40001") && !db_is_sqlstate (res, "40P01")
      && !is_refusal (res))
    log_failure (st->name, res, conn->pg);
  return res;
}

int
db_exec (struct db_conn *conn, const char *sql)
{
  PGresult *res = PQexec (conn->pg, sql);
  if (NULL == res)
  {
    note_if_lost (conn);
    return DB_QS_HARD;
  }
  int qs = db_result_qs (res);
  if (qs < 0 && DB_QS_SOFT != qs)
    log_failure (sql, res, conn->pg);
  PQclear (res);
  if (CONNECTION_OK != PQstatus (conn->pg))
    note_if_lost (conn);
  return qs;
}

DB_STATEMENT (db_set_audit_context,
              "SELECT set_config('fairreg.actor', $1, true),"
              " set_config('fairreg.actor_user_id', coalesce($2, ''), true),"
              " set_config('fairreg.request_id', coalesce($3, ''), true),"
              " set_config('fairreg.client_addr', coalesce($4, ''), true)");

static int
set_audit_context (struct db_conn *conn, const struct db_audit_context *audit)
{
  char user_id[24];
  const char *user_param = NULL;
  if (NULL != audit->who && audit->who->authenticated)
  {
    snprintf (user_id, sizeof user_id, "%lld", (long long) audit->who->user_id);
    user_param = user_id;
  }
  char actor[96];
  if (NULL != user_param)
    snprintf (actor, sizeof actor, "user:%s", user_id);
  else
    snprintf (actor, sizeof actor, "%s",
              (NULL != audit->actor) ? audit->actor : "anonymous");
  const char *params[]
      = { actor, user_param, audit->request_id, audit->client_addr };
  int qs;
  PGresult *res = db_run (conn, &db_set_audit_context, 4, params, &qs);
  PQclear (res);
  return qs;
}

int
db_transaction (struct db_conn *conn, const struct db_audit_context *audit,
                int (*body) (struct db_conn *conn, void *cls), void *cls)
{
  int qs = DB_QS_HARD;
  for (int attempt = 0; attempt < DB_TRANSACTION_ATTEMPTS; attempt++)
  {
    if (0 > db_exec (conn, "BEGIN"))
      return DB_QS_HARD;
    qs = set_audit_context (conn, audit);
    if (qs >= 0)
      qs = body (conn, cls);
    if (qs < 0)
    {
      if (CONNECTION_OK == PQstatus (conn->pg))
        db_exec (conn, "ROLLBACK");
      if (DB_QS_SOFT == qs)
        continue;
      return qs;
    }
    int commit = db_exec (conn, "COMMIT");
    if (commit >= 0)
      return qs;
    if (DB_QS_SOFT != commit)
      return DB_QS_HARD;
    qs = DB_QS_SOFT;
  }
  return qs;
}
