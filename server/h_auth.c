/*
 * Bearer tokens: staff exchange e-mail and password for a token
 * (POST /v1/auth/tokens), ask who they are (GET .../current) and revoke it
 * (DELETE .../current).  Failed logins are limited per client address.
 */
#include <stdio.h>

#include "auth.h"
#include "config.h"
#include "db/db.h"
#include "db/users.h"
#include "handlers.h"
#include "ratelimit.h"
#include "reply.h"

int
h_tokens_create (struct request *req)
{
  const char *email = NULL, *password = NULL;
  json_error_t error;
  if (0
      != json_unpack_ex (req->json, &error, JSON_STRICT, "{s:s, s:s}", "email",
                         &email, "password", &password))
    return reply_error (req, ERR_INVALID_FIELD,
                        "send {\"email\", \"password\"}: %s", error.text);

  unsigned retry_after = 0;
  struct ratelimit *limiter = auth_login_limiter ();
  if (!ratelimit_allows (limiter, req->client_addr, &retry_after))
  {
    char seconds[16];
    snprintf (seconds, sizeof seconds, "%u", retry_after);
    reply_error (req, ERR_RATE_LIMITED,
                 "too many failed logins from your address; retry in %u s",
                 retry_after);
    reply_add_header (req, "Retry-After", seconds);
    return 0;
  }

  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  struct db_user_credentials cred;
  enum db_lookup found = db_user_credentials (conn, email, &cred);
  if (DB_FAILED == found)
    return reply_error_default (req, ERR_UNAVAILABLE);
  bool ok;
  if (DB_FOUND == found)
    ok = auth_password_matches (cred.password_hash, password) && !cred.disabled;
  else
  {
    auth_password_dummy_check (password);
    ok = false;
  }
  sodium_memzero (cred.password_hash, sizeof cred.password_hash);
  if (!ok)
  {
    ratelimit_charge (limiter, req->client_addr);
    return reply_error_default (req, ERR_BAD_CREDENTIALS);
  }

  char token[AUTH_TOKEN_TEXT_SIZE], hash[AUTH_TOKEN_HASH_SIZE];
  char expires_at[40];
  auth_token_new (token, hash);
  cred.who.authenticated = true;
  struct db_audit_context audit = request_audit (req);
  audit.who = &cred.who; /* the login is done by the user logging in */
  if (1
      != db_token_create (conn, &audit, cred.who.user_id, hash,
                          config.token_ttl_seconds, expires_at))
    return reply_error_default (req, ERR_UNAVAILABLE);
  json_t *body = json_pack (
      "{s:s, s:s, s:s, s:{s:I, s:s, s:s?}}", "token", token, "token_type",
      "Bearer", "expires_at", expires_at, "user", "id",
      (json_int_t) cred.who.user_id, "role", role_name (cred.who.role), "org",
      ('\0' != cred.who.org[0]) ? cred.who.org : NULL);
  sodium_memzero (token, sizeof token);
  return reply_json_steal (req, 201, body);
}

int
h_tokens_current (struct request *req)
{
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  json_t *user = NULL;
  switch (db_user_get (conn, req->who.user_id, &user))
  {
  case DB_FOUND:
    return reply_json_steal (req, 200, json_pack ("{s:o}", "user", user));
  case DB_NOT_FOUND:
    return reply_error_default (req, ERR_UNAUTHENTICATED);
  default:
    return reply_error_default (req, ERR_UNAVAILABLE);
  }
}

int
h_tokens_revoke (struct request *req)
{
  struct db_conn *conn = request_db (req);
  if (NULL == conn)
    return reply_error_default (req, ERR_UNAVAILABLE);
  struct db_audit_context audit = request_audit (req);
  if (0 > db_token_revoke (conn, &audit, req->who.token_id))
    return reply_error_default (req, ERR_UNAVAILABLE);
  return reply_empty (req, 204);
}
