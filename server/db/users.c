/*
 * SQL of staff accounts and tokens, each statement above the function that
 * runs it.  Accounts are answered in one JSON shape everywhere:
 * {id, email, name, role, org, disabled, created_at, updated_at}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/json.h"
#include "db/users.h"

#define USER_COLUMNS                                                           \
  "id, email, name, role, org, disabled,"                                      \
  " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"  \
  " AS created_at,"                                                            \
  " to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"  \
  " AS updated_at"

static void
copy_text (char *dst, size_t size, const char *src)
{
  snprintf (dst, size, "%s", (NULL != src) ? src : "");
}

DB_STATEMENT (users_credentials,
              "SELECT id, role, coalesce(org, ''), password_hash, disabled"
              " FROM app_user WHERE lower(email) = lower($1)");

enum db_lookup
db_user_credentials (struct db_conn *conn, const char *email,
                     struct db_user_credentials *out)
{
  const char *params[] = { email };
  int qs;
  PGresult *res = db_run (conn, &users_credentials, 1, params, &qs);
  enum db_lookup found = (qs < 0)    ? DB_FAILED
                         : (0 == qs) ? DB_NOT_FOUND
                                     : DB_FOUND;
  if (DB_FOUND == found)
  {
    memset (out, 0, sizeof *out);
    out->who.user_id = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    out->who.role = role_parse (PQgetvalue (res, 0, 1));
    copy_text (out->who.org, sizeof out->who.org, PQgetvalue (res, 0, 2));
    copy_text (out->password_hash, sizeof out->password_hash,
               PQgetvalue (res, 0, 3));
    out->disabled = 't' == PQgetvalue (res, 0, 4)[0];
  }
  PQclear (res);
  return found;
}

DB_STATEMENT (users_token_insert,
              "INSERT INTO api_token (user_id, token_hash, expires_at)"
              " VALUES ($1, $2::bytea, now() + make_interval(secs => $3::int))"
              " RETURNING to_char(expires_at AT TIME ZONE 'UTC',"
              " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");

struct token_insert
{
  const char *params[3];
  char *expires_at;
};

static int
token_insert_body (struct db_conn *conn, void *cls)
{
  struct token_insert *t = cls;
  int qs;
  PGresult *res = db_run (conn, &users_token_insert, 3, t->params, &qs);
  if (1 == qs)
    copy_text (t->expires_at, 40, PQgetvalue (res, 0, 0));
  PQclear (res);
  return qs;
}

int
db_token_create (struct db_conn *conn, const struct db_audit_context *audit,
                 int64_t user_id, const char *hash, unsigned ttl,
                 char expires_at[40])
{
  char id_text[24], ttl_text[16];
  snprintf (id_text, sizeof id_text, "%lld", (long long) user_id);
  snprintf (ttl_text, sizeof ttl_text, "%u", ttl);
  struct token_insert t = { { id_text, hash, ttl_text }, expires_at };
  return db_transaction (conn, audit, token_insert_body, &t);
}

DB_STATEMENT (users_token_principal,
              "SELECT t.id, u.id, u.role, coalesce(u.org, '')"
              " FROM api_token t JOIN app_user u ON u.id = t.user_id"
              " WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL"
              " AND t.expires_at > now() AND NOT u.disabled");

enum db_lookup
db_token_principal (struct db_conn *conn, const char *hash,
                    struct principal *who)
{
  const char *params[] = { hash };
  int qs;
  PGresult *res = db_run (conn, &users_token_principal, 1, params, &qs);
  enum db_lookup found = (qs < 0)    ? DB_FAILED
                         : (0 == qs) ? DB_NOT_FOUND
                                     : DB_FOUND;
  if (DB_FOUND == found)
  {
    who->authenticated = true;
    who->token_id = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    who->user_id = strtoll (PQgetvalue (res, 0, 1), NULL, 10);
    who->role = role_parse (PQgetvalue (res, 0, 2));
    copy_text (who->org, sizeof who->org, PQgetvalue (res, 0, 3));
  }
  PQclear (res);
  return found;
}

DB_STATEMENT (users_token_revoke, "UPDATE api_token SET revoked_at = now()"
                                  " WHERE id = $1 AND revoked_at IS NULL");

static int
token_revoke_body (struct db_conn *conn, void *cls)
{
  const char *params[] = { cls };
  int qs;
  PQclear (db_run (conn, &users_token_revoke, 1, params, &qs));
  return qs;
}

int
db_token_revoke (struct db_conn *conn, const struct db_audit_context *audit,
                 int64_t token_id)
{
  char id_text[24];
  snprintf (id_text, sizeof id_text, "%lld", (long long) token_id);
  return db_transaction (conn, audit, token_revoke_body, id_text);
}

/* Runs a statement returning one account inside a transaction, keeping its
   JSON; used by create and update. */
struct user_write
{
  const struct db_statement *statement;
  const char *params[8];
  int nparams;
  json_t *user;
  bool duplicate;
};

static int
user_write_body (struct db_conn *conn, void *cls)
{
  struct user_write *w = cls;
  int qs;
  PGresult *res = db_run (conn, w->statement, w->nparams, w->params, &qs);
  if (NULL != res && db_is_sqlstate (res, "23505"))
    w->duplicate = true;
  if (1 == qs)
    w->user = db_row_json (res, 0);
  PQclear (res);
  return qs;
}

static enum db_write
user_write_run (struct db_conn *conn, const struct db_audit_context *audit,
                struct user_write *w, json_t **user)
{
  int qs = db_transaction (conn, audit, user_write_body, w);
  if (w->duplicate)
    return DB_WRITE_DUPLICATE;
  if (qs < 0)
    return DB_WRITE_FAILED;
  if (0 == qs)
    return DB_WRITE_NOT_FOUND;
  if (NULL == w->user)
    return DB_WRITE_FAILED;
  *user = w->user;
  return DB_WRITE_OK;
}

DB_STATEMENT (users_insert,
              "INSERT INTO app_user (email, name, role, org, password_hash)"
              " VALUES ($1, $2, $3, $4, $5) RETURNING " USER_COLUMNS);

enum db_write
db_user_create (struct db_conn *conn, const struct db_audit_context *audit,
                const struct db_user_fields *f, json_t **user)
{
  struct user_write w
      = { &users_insert,
          { f->email, f->name, f->role, f->org, f->password_hash },
          5,
          NULL,
          false };
  return user_write_run (conn, audit, &w, user);
}

DB_STATEMENT (users_update, "UPDATE app_user SET"
                            " name = coalesce($2, name),"
                            " role = coalesce($3, role),"
                            " org = CASE WHEN $4::bool THEN $5 ELSE org END,"
                            " disabled = coalesce($6::bool, disabled),"
                            " password_hash = coalesce($7, password_hash)"
                            " WHERE id = $1 RETURNING " USER_COLUMNS);

enum db_write
db_user_update (struct db_conn *conn, const struct db_audit_context *audit,
                int64_t id, const struct db_user_fields *f, json_t **user)
{
  char id_text[24];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  struct user_write w
      = { &users_update,
          { id_text, f->name, f->role, f->org_set ? "true" : "false", f->org,
            (f->disabled < 0) ? NULL : (f->disabled ? "true" : "false"),
            f->password_hash },
          7,
          NULL,
          false };
  return user_write_run (conn, audit, &w, user);
}

DB_STATEMENT (users_get, "SELECT " USER_COLUMNS " FROM app_user WHERE id = $1");

enum db_lookup
db_user_get (struct db_conn *conn, int64_t id, json_t **user)
{
  char id_text[24];
  snprintf (id_text, sizeof id_text, "%lld", (long long) id);
  const char *params[] = { id_text };
  int qs;
  PGresult *res = db_run (conn, &users_get, 1, params, &qs);
  enum db_lookup found = (qs < 0)    ? DB_FAILED
                         : (0 == qs) ? DB_NOT_FOUND
                                     : DB_FOUND;
  if (DB_FOUND == found && NULL == (*user = db_row_json (res, 0)))
    found = DB_FAILED;
  PQclear (res);
  return found;
}

DB_STATEMENT (users_list, "SELECT " USER_COLUMNS " FROM app_user ORDER BY id");

json_t *
db_users_list (struct db_conn *conn)
{
  int qs;
  PGresult *res = db_run (conn, &users_list, 0, NULL, &qs);
  json_t *users = (qs >= 0) ? db_rows_json (res) : NULL;
  PQclear (res);
  return users;
}
