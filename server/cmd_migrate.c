/*
 * `fairreg migrate`: brings the database schema up to date (see
 * db/migrate.h).  Run it as a superuser or as a database owner with
 * CREATEROLE; it is a no-op when the schema is current.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "db/db.h"
#include "db/migrate.h"

int
cmd_migrate (int argc, char **argv)
{
  if (argc > 1
      && (0 == strcmp (argv[1], "--help") || 0 == strcmp (argv[1], "-h")))
  {
    printf ("usage: fairreg migrate\n\nApplies the schema migrations the "
            "database lacks; a no-op when it is current.\nConnects with "
            "DATABASE_URL or libpq's PG* variables, as a superuser or a\n"
            "database owner with CREATEROLE.\n");
    return EXIT_OK;
  }
  if (argc > 1)
  {
    fprintf (stderr, "fairreg migrate: takes no arguments (\"%s\")\n", argv[1]);
    return EXIT_USAGE;
  }
  struct db_conn *conn = db_connect_command (DB_KIND_SESSION);
  if (NULL == conn)
    return EXIT_FAILED;
  int applied = db_migrate (conn, stdout);
  db_conn_free (conn);
  if (applied < 0)
  {
    fprintf (stderr, "fairreg migrate: stopped; the failing migration changed "
                     "nothing. Fix it and run again.\n");
    return EXIT_FAILED;
  }
  if (0 == applied)
    printf ("schema is up to date\n");
  else
    printf ("%d migration%s applied\n", applied, (1 == applied) ? "" : "s");
  return EXIT_OK;
}
