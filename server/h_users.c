/*
 * Staff accounts, for administrators: list, create, read, change (name, role,
 * organisation, disabled, password).  Password hashes never leave the
 * database layer; passwords never reach a log.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "db/users.h"
#include "handlers.h"
#include "reply.h"
#include "users.h"

int
h_users_list (struct request *req)
{
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  json_t *users = db_users_list (conn);
  if (NULL == users)
    return reply_error_default (req, ERR_UNAVAILABLE);
  return reply_json_steal (req, 200, json_pack ("{s:o}", "items", users));
}

static int
reply_write (struct request *req, enum db_write result, unsigned status,
             json_t *user)
{
  switch (result)
  {
  case DB_WRITE_OK:
    return reply_json_steal (req, status, json_pack ("{s:o}", "user", user));
  case DB_WRITE_DUPLICATE:
    return reply_error (req, ERR_CONFLICT,
                        "an account with this e-mail address exists");
  case DB_WRITE_NOT_FOUND:
    return reply_error (req, ERR_NOT_FOUND, "no account with that id");
  default:
    return reply_error_default (req, ERR_UNAVAILABLE);
  }
}

/* Hashes the password of F if one is given; replies and returns false when
   it is unacceptable. */
static bool
hash_password (struct request *req, const char *password,
               char hash[crypto_pwhash_STRBYTES])
{
  const char *problem = auth_password_problem (password);
  if (NULL != problem)
  {
    reply_error (req, ERR_INVALID_FIELD, "%s", problem);
    return false;
  }
  if (0 != auth_hash_password (password, hash))
  {
    reply_error_default (req, ERR_INTERNAL);
    return false;
  }
  return true;
}

int
h_users_create (struct request *req)
{
  struct db_user_fields f = { .disabled = -1 };
  const char *password = NULL;
  json_error_t error;
  if (0
      != json_unpack_ex (req->json, &error, JSON_STRICT,
                         "{s:s, s:s, s:s, s?s, s:s}", "email", &f.email, "name",
                         &f.name, "role", &f.role, "org", &f.org, "password",
                         &password))
    return reply_error (req, ERR_INVALID_FIELD,
                        "send {email, name, role, org, password}: %s",
                        error.text);
  const char *problem = users_fields_problem (&f, true);
  if (NULL != problem)
    return reply_error (req, ERR_INVALID_FIELD, "%s", problem);
  char hash[crypto_pwhash_STRBYTES];
  if (!hash_password (req, password, hash))
    return 0;
  f.password_hash = hash;
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  struct db_audit_context audit = request_audit (req);
  json_t *user = NULL;
  enum db_write result = db_user_create (conn, &audit, &f, &user);
  return reply_write (req, result, 201, user);
}

int
h_users_get (struct request *req)
{
  int64_t id;
  if (!request_path_id (req, 0, &id))
    return reply_error (req, ERR_BAD_ID, "a user id is a positive integer");
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  json_t *user = NULL;
  switch (db_user_get (conn, id, &user))
  {
  case DB_FOUND:
    return reply_json_steal (req, 200, json_pack ("{s:o}", "user", user));
  case DB_NOT_FOUND:
    return reply_error (req, ERR_NOT_FOUND, "no account with that id");
  default:
    return reply_error_default (req, ERR_UNAVAILABLE);
  }
}

int
h_users_update (struct request *req)
{
  int64_t id;
  if (!request_path_id (req, 0, &id))
    return reply_error (req, ERR_BAD_ID, "a user id is a positive integer");
  struct db_user_fields f = { .disabled = -1 };
  const char *password = NULL;
  json_t *org = NULL;
  int disabled = -1;
  json_error_t error;
  if (0
      != json_unpack_ex (req->json, &error, JSON_STRICT,
                         "{s?s, s?s, s?o, s?b, s?s}", "name", &f.name, "role",
                         &f.role, "org", &org, "disabled", &disabled,
                         "password", &password))
    return reply_error (req, ERR_INVALID_FIELD,
                        "send any of {name, role, org, disabled, password}: %s",
                        error.text);
  if (0 == json_object_size (req->json))
    return reply_error (req, ERR_INVALID_FIELD,
                        "send at least one of name, role, org, disabled, "
                        "password");
  if (NULL != org)
  {
    if (!json_is_string (org) && !json_is_null (org))
      return reply_error (req, ERR_INVALID_FIELD,
                          "org must be a string or null");
    f.org_set = true;
    f.org = json_string_value (org);
  }
  f.disabled = disabled;
  const char *problem = users_fields_problem (&f, false);
  if (NULL != problem)
    return reply_error (req, ERR_INVALID_FIELD, "%s", problem);
  if (id == req->who.user_id
      && (1 == f.disabled || (NULL != f.role && 0 != strcmp (f.role, "admin"))))
    return reply_error (req, ERR_CONFLICT,
                        "administrators may not disable or demote themselves");
  char hash[crypto_pwhash_STRBYTES];
  if (NULL != password)
  {
    if (!hash_password (req, password, hash))
      return 0;
    f.password_hash = hash;
  }
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  struct db_audit_context audit = request_audit (req);
  json_t *user = NULL;
  enum db_write result = db_user_update (conn, &audit, id, &f, &user);
  return reply_write (req, result, 200, user);
}
