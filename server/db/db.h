/*
 * Database connections.  Each server thread owns two libpq connections, made on
 * first use: a public one that runs as role fairreg_public (which can read the
 * public views only, so a bug in a public handler cannot reach personal data;
 * it may point at a hot standby) and an application one that runs as
 * fairreg_app.  Statements are declared with DB_STATEMENT beside the function
 * that runs them and prepared once per connection, on first use.  A broken
 * connection is dropped and made again on a later request, so the server rides
 * out a database restart answering 503 meanwhile.
 */
#ifndef FAIRREG_DB_H
#define FAIRREG_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct config;
struct principal;

enum db_kind
{
  DB_KIND_PUBLIC,  /* SET ROLE fairreg_public, read-only transactions */
  DB_KIND_APP,     /* SET ROLE fairreg_app */
  DB_KIND_SESSION, /* the connecting user as it is: migrations only */
};

struct db_conn;

struct db_statement
{
  const char *name; /* unique across the program: prefix with the aggregate */
  const char *sql;
};

/* Declares a prepared statement NAME with SQL text SQL. */
#define DB_STATEMENT(name, sql)                                                \
  static const struct db_statement name = { #name, sql }

/* Result of a query, as STYLE.md asks: hard error, soft error (serialisation
   failure or deadlock, worth retrying), or the number of rows. */
enum db_qs
{
  DB_QS_HARD = -2,
  DB_QS_SOFT = -1,
  /* >= 0: rows returned or affected */
};

/* Result of fetching one thing. */
enum db_lookup
{
  DB_FOUND,
  DB_NOT_FOUND,
  DB_FAILED, /* the database failed: answer 503 or 500 */
};

/* Sets the connection strings (from the configuration) once, before threads. */
void db_configure (const struct config *cfg);

/* This thread's connection of KIND, connecting if needed; NULL if the database
   is unreachable (a reconnect is tried at most every 200 ms per thread). */
struct db_conn *db_thread_conn (enum db_kind kind);

/* Closes every thread's connections, once the threads have stopped. */
void db_release_all (void);

/* Closes the calling thread's connections: for a thread that ends while the
   server runs on. */
void db_thread_release (void);

/* Runs statement ST with NPARAMS text parameters (NULL for SQL NULL).  Returns
   the result (caller PQclear()s it) and stores the row count or a negative
   enum db_qs in *QS.  Returns NULL only when the connection is lost (*QS is
   DB_QS_HARD); the connection is then dropped for reconnection. */
PGresult *db_run (struct db_conn *conn, const struct db_statement *st,
                  int nparams, const char *const *params, int *qs);

/* Runs SQL text that is not worth preparing (BEGIN, COMMIT, SET LOCAL...).
   Returns the db_qs. */
int db_exec (struct db_conn *conn, const char *sql);

/* The raw libpq connection, for COPY and streaming (importers, exports). */
PGconn *db_pg (struct db_conn *conn);

/* A transaction with the audit context set: WHO (may be NULL for a command)
   and ACTOR (e.g. "cli:import", "http") and the request id and client address
   are stored with set_config(..., true) so the audit triggers record them.
   BODY is called with CLS; it returns a db_qs.  A soft error rolls back and
   retries up to 3 times.  Returns BODY's last result, or DB_QS_HARD if BEGIN
   or COMMIT failed. */
struct db_audit_context
{
  const struct principal *who;
  const char *actor;
  const char *request_id;
  const char *client_addr;
};
int db_transaction (struct db_conn *conn, const struct db_audit_context *audit,
                    int (*body) (struct db_conn *conn, void *cls), void *cls);

/* True if RES failed with SQLSTATE STATE (e.g. "23505"). */
bool db_is_sqlstate (const PGresult *res, const char *state);

/* The db_qs of RES: rows for success, DB_QS_SOFT for 40001/40P01,
   DB_QS_HARD otherwise. */
int db_result_qs (const PGresult *res);

/* Connects once, outside the server's thread pool (commands).  KIND chooses the
   role the session takes: DB_KIND_APP for commands that write data. Returns
   NULL after printing why on stderr. */
struct db_conn *db_connect_command (enum db_kind kind);
void db_conn_free (struct db_conn *conn);

/* Is the application connection of this thread up?  Counts for /metrics. */
void db_connection_counts (unsigned *public_up, unsigned *app_up);

#endif
