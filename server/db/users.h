/*
 * Staff accounts and their API tokens (tables app_user and api_token).
 * Writes run in db_transaction with the caller's audit context, so the audit
 * log says who did them.
 */
#ifndef FAIRREG_DB_USERS_H
#define FAIRREG_DB_USERS_H

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "request.h"

struct db_user_credentials
{
  struct principal who; /* filled for the user, not yet authenticated */
  char password_hash[crypto_pwhash_STRBYTES];
  bool disabled;
};

/* The credentials of the account with EMAIL (case-insensitive). */
enum db_lookup db_user_credentials (struct db_conn *conn, const char *email,
                                    struct db_user_credentials *out);

/* Stores token hash HASH for USER_ID, valid TTL seconds; the expiry time
   (RFC 3339) goes into EXPIRES_AT.  Returns a db_qs. */
int db_token_create (struct db_conn *conn, const struct db_audit_context *audit,
                     int64_t user_id, const char *hash, unsigned ttl,
                     char expires_at[40]);

/* The principal of the live token HASH of an enabled account. */
enum db_lookup db_token_principal (struct db_conn *conn, const char *hash,
                                   struct principal *who);

/* Revokes token TOKEN_ID.  Returns a db_qs. */
int db_token_revoke (struct db_conn *conn, const struct db_audit_context *audit,
                     int64_t token_id);

/* The fields of a new or changed account.  NULL members are left as they
   are (update) or absent (create: org only). */
struct db_user_fields
{
  const char *email;
  const char *name;
  const char *role;
  const char *org;
  bool org_set; /* update: org given, possibly null */
  int disabled; /* -1 unchanged, 0, 1 */
  const char *password_hash;
};

enum db_write
{
  DB_WRITE_OK,
  DB_WRITE_DUPLICATE, /* a unique key is taken (e.g. the e-mail address) */
  DB_WRITE_NOT_FOUND,
  DB_WRITE_FAILED,
};

/* Creates an account; its JSON (without hash) in *USER.  */
enum db_write db_user_create (struct db_conn *conn,
                              const struct db_audit_context *audit,
                              const struct db_user_fields *fields,
                              json_t **user);

/* Changes account ID; its new JSON in *USER. */
enum db_write db_user_update (struct db_conn *conn,
                              const struct db_audit_context *audit, int64_t id,
                              const struct db_user_fields *fields,
                              json_t **user);

/* One account as JSON, or every account as an array (ordered by id). */
enum db_lookup db_user_get (struct db_conn *conn, int64_t id, json_t **user);
json_t *db_users_list (struct db_conn *conn);

#endif
