/*
 * SQL of licensing authorities.
 */
#include "db/authorities.h"
#include "db/json.h"

DB_STATEMENT (authorities_list,
              "SELECT code, country, name, kind FROM pub_authority"
              " ORDER BY code");

json_t *
db_authorities_list (struct db_conn *conn)
{
  int qs;
  PGresult *res = db_run (conn, &authorities_list, 0, NULL, &qs);
  json_t *items = (qs >= 0) ? db_rows_json (res) : NULL;
  PQclear (res);
  return items;
}

DB_STATEMENT (authorities_insert,
              "INSERT INTO authority (code, country, name, kind)"
              " VALUES ($1, $2, $3, $4)");

struct authority_insert
{
  const char *params[4];
  bool exists;
};

static int
authority_insert_body (struct db_conn *conn, void *cls)
{
  struct authority_insert *a = cls;
  int qs;
  PGresult *res = db_run (conn, &authorities_insert, 4, a->params, &qs);
  a->exists = NULL != res && db_is_sqlstate (res, "23505");
  PQclear (res);
  return qs;
}

enum db_write_authority
db_authority_add (struct db_conn *conn, const struct db_audit_context *audit,
                  const char *code, const char *country, const char *name,
                  const char *kind)
{
  struct authority_insert a = { { code, country, name, kind }, false };
  int qs = db_transaction (conn, audit, authority_insert_body, &a);
  if (a.exists)
    return DB_AUTHORITY_EXISTS;
  return (1 == qs) ? DB_AUTHORITY_ADDED : DB_AUTHORITY_FAILED;
}
