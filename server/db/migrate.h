/*
 * Schema migrations: schema/roles.sql (roles and grants, idempotent, as the
 * connecting user) and then every numbered schema/NNNN_name.sql not yet in
 * schema_migration, each in its own transaction as fairreg_owner.  A
 * session-level advisory lock makes two concurrent runs safe: the second
 * waits, then finds nothing to do.
 */
#ifndef FAIRREG_DB_MIGRATE_H
#define FAIRREG_DB_MIGRATE_H

#include <stdio.h>

#include "db/db.h"

/* Applies what is missing, reporting each step on OUT.  Returns the number
   of migrations applied (0 when current), or -1 after printing the failing
   file and PostgreSQL's message on stderr (that file changed nothing). */
int db_migrate (struct db_conn *conn, FILE *out);

#endif
