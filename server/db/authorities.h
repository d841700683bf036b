/*
 * Licensing authorities (table authority, public view pub_authority).
 */
#ifndef FAIRREG_DB_AUTHORITIES_H
#define FAIRREG_DB_AUTHORITIES_H

#include <jansson.h>

#include "db/db.h"

/* Every authority as [{code, country, name, kind}], ordered by code; NULL if
   the database failed. */
json_t *db_authorities_list (struct db_conn *conn);

/* Adds an authority.  KIND is origin, destination or both. */
enum db_write_authority
{
  DB_AUTHORITY_ADDED,
  DB_AUTHORITY_EXISTS,
  DB_AUTHORITY_FAILED,
};
enum db_write_authority db_authority_add (struct db_conn *conn,
                                          const struct db_audit_context *audit,
                                          const char *code, const char *country,
                                          const char *name, const char *kind);

#endif
