/*
 * The migration runner (see migrate.h).  The files are embedded in the
 * binary, so an installed fairreg migrates without a source tree.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "db/migrate.h"
#include "embedded.h"

/* An arbitrary constant naming fairreg's migration lock. */
#define MIGRATION_LOCK_KEY "7346021955"

/* Is PATH "schema/NNNN_name.sql"?  Sets the version and the name's span. */
static bool
migration_file (const char *path, int *version, const char **name,
                size_t *name_len)
{
  const char *prefix = "schema/";
  size_t len = strlen (path);
  if (0 != strncmp (path, prefix, strlen (prefix)) || len < 7 + 4 + 1 + 1 + 4
      || 0 != strcmp (path + len - 4, ".sql"))
    return false;
  const char *base = path + strlen (prefix);
  for (int i = 0; i < 4; i++)
    if (base[i] < '0' || base[i] > '9')
      return false;
  if ('_' != base[4])
    return false;
  *version = atoi (base); /* leading zeros are decimal here */
  *name = base + 5;
  *name_len = (size_t) (path + len - 4 - *name);
  return true;
}

static int
exec_reporting (PGconn *pg, const char *sql, const char *what)
{
  PGresult *res = PQexec (pg, sql);
  ExecStatusType status = PQresultStatus (res);
  if (PGRES_COMMAND_OK != status && PGRES_TUPLES_OK != status)
  {
    fprintf (stderr, "fairreg migrate: %s failed:\n%s", what,
             PQresultErrorMessage (res));
    PQclear (res);
    return -1;
  }
  PQclear (res);
  return 0;
}

static bool
is_applied (PGconn *pg, int version, int *failed)
{
  char version_text[16];
  snprintf (version_text, sizeof version_text, "%d", version);
  const char *params[] = { version_text };
  PGresult *res
      = PQexecParams (pg, "SELECT 1 FROM schema_migration WHERE version = $1",
                      1, NULL, params, NULL, NULL, 0);
  bool applied
      = PGRES_TUPLES_OK == PQresultStatus (res) && 1 == PQntuples (res);
  if (PGRES_TUPLES_OK != PQresultStatus (res))
  {
    fprintf (stderr, "fairreg migrate: reading schema_migration failed: %s",
             PQresultErrorMessage (res));
    *failed = 1;
  }
  PQclear (res);
  return applied;
}

/* Applies one file in its own transaction as the owner role. */
static int
apply_one (PGconn *pg, const struct embedded_file *file, int version,
           const char *name, size_t name_len)
{
  if (0
      != exec_reporting (pg, "BEGIN; SET LOCAL ROLE fairreg_owner",
                         "starting a transaction"))
    return -1;
  if (0 != exec_reporting (pg, file->data, file->path))
  {
    exec_reporting (pg, "ROLLBACK", "rolling back");
    return -1;
  }
  char version_text[16];
  char name_text[128];
  snprintf (version_text, sizeof version_text, "%d", version);
  snprintf (name_text, sizeof name_text, "%.*s", (int) name_len, name);
  const char *params[] = { version_text, name_text };
  PGresult *res = PQexecParams (
      pg, "INSERT INTO schema_migration (version, name) VALUES ($1, $2)", 2,
      NULL, params, NULL, NULL, 0);
  bool recorded = PGRES_COMMAND_OK == PQresultStatus (res);
  if (!recorded)
    fprintf (stderr, "fairreg migrate: recording %s failed: %s", file->path,
             PQresultErrorMessage (res));
  PQclear (res);
  if (!recorded)
  {
    exec_reporting (pg, "ROLLBACK", "rolling back");
    return -1;
  }
  return exec_reporting (pg, "COMMIT", "committing");
}

int
db_migrate (struct db_conn *conn, FILE *out)
{
  PGconn *pg = db_pg (conn);
  if (0
      != exec_reporting (pg, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")",
                         "taking the migration lock"))
    return -1;
  int applied = 0;
  int failed = 0;
  const struct embedded_file *roles = embedded_find ("schema/roles.sql");
  if (NULL == roles)
  {
    fprintf (stderr, "fairreg migrate: schema/roles.sql is not built in\n");
    failed = 1;
  }
  else if (0 != exec_reporting (pg, roles->data, roles->path))
    failed = 1;
  /* embedded_files is sorted by path, so numbered files come in order. */
  for (const struct embedded_file *f = embedded_files;
       !failed && NULL != f->path; f++)
  {
    int version;
    const char *name;
    size_t name_len;
    if (!migration_file (f->path, &version, &name, &name_len))
      continue;
    if (is_applied (pg, version, &failed) || failed)
      continue;
    if (0 != apply_one (pg, f, version, name, name_len))
    {
      failed = 1;
      break;
    }
    fprintf (out, "applied %s\n", f->path);
    applied++;
  }
  exec_reporting (pg, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")",
                  "releasing the migration lock");
  return failed ? -1 : applied;
}
